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


@pytest.fixture(autouse=True)
def _forget_modules_loaded_from_tmp(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Plugin modules a test loads from its temporary directory (``--plugins-dir``, ``-p``)
    are forgotten after it, so that a test run twice in one process (as mutation testing
    does) finds no stale module of the same name."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(base):
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that print for people take their language from the locale (``--lang``'s
    default): every test starts from an English one, whatever the machine's, and a test
    of the Chinese output asks for it."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.setenv(name, "C")


@pytest.fixture(autouse=True, scope="session")
def _cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """kolrules' on-disk cache (ruleset files known to pass the schema) goes to a
    temporary directory, not the user's ~/.cache."""
    import os

    before = os.environ.get("KOLRULES_CACHE_DIR")
    os.environ["KOLRULES_CACHE_DIR"] = str(tmp_path_factory.mktemp("kolrules-cache"))
    yield
    if before is None:
        del os.environ["KOLRULES_CACHE_DIR"]
    else:
        os.environ["KOLRULES_CACHE_DIR"] = before
