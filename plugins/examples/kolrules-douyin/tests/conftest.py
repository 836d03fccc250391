"""Shared fixtures of kolrules-douyin's tests: an engine for douyin-default with this
plugin, the directory of its rulesets, a helper writing rulesets, and a clean kolrules
environment (no plugins named or blocked by environment variables)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import kolrules_douyin
import pytest

from kolrules import Engine
from kolrules.testing import make_engine

#: Writes ``<name>.toml`` with ``[ruleset]`` name and version, then the body; returns its path.
WriteRuleset = Callable[[str, str], Path]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins named or blocked by the machine's environment must not change the tests."""
    monkeypatch.delenv("KOLRULES_PLUGINS", raising=False)
    monkeypatch.delenv("KOLRULES_DISABLE_PLUGINS", raising=False)


@pytest.fixture(scope="session")
def engine() -> Engine:
    """douyin-default with this plugin (entry points off: only what the test names)."""
    return make_engine("douyin-default", plugins=[kolrules_douyin])


@pytest.fixture(scope="session")
def rulesets_dir() -> Path:
    """The directory of douyin-default and its tests, as shipped in the package."""
    return Path(kolrules_douyin.__file__).parent / "rulesets"


@pytest.fixture
def write_ruleset(tmp_path: Path) -> WriteRuleset:
    def write(name: str, body: str) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(f'[ruleset]\nname = "{name}"\nversion = "1"\n{body}', encoding="utf-8")
        return path

    return write
