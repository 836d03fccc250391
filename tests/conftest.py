"""Fixtures shared by several test modules."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def plugin_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], str]]:
    """Write an importable plugin module for ``kolrules -p NAME``; forgotten afterwards."""
    names: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path / "site"))

    def make(name: str, source: str) -> str:
        path = tmp_path / "site" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)
