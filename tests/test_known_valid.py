"""Ruleset files that passed the schema are remembered on disk (kolrules.ruleset.known_valid),
so building an engine for them skips jsonschema; a failing file is checked every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from kolrules.errors import RulesetError
from kolrules.ruleset import load_ruleset
from kolrules.ruleset import source as source_module
from kolrules.ruleset.known_valid import cache_dir, known_valid

GOOD = """\
[ruleset]
name = "good"
version = "1"
platform = "red"

[[rules]]
id = "big"
require = "followers >= 1000"
severity = "review"
"""
BAD = '[ruleset]\nname = "bad"\nversion = 1\nplatform = "red"\n'


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The files the schema check runs on, in order (with a fresh cache)."""
    monkeypatch.setenv("KOLRULES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KOLRULES_NO_CACHE", raising=False)
    seen: list[str] = []
    real = source_module._schema_issues

    def counting(doc, path, lines):  # type: ignore[no-untyped-def]
        seen.append(Path(path).name)
        return real(doc, path, lines)

    monkeypatch.setattr(source_module, "_schema_issues", counting)
    return seen


def test_a_file_that_passed_is_not_checked_again(tmp_path: Path, checks: list[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    assert load_ruleset(good).name == "good"
    assert load_ruleset(good).name == "good"
    assert checks == ["good.toml"]
    # The same bytes under another name are known too; changed bytes are checked again.
    twin = tmp_path / "twin.toml"
    twin.write_text(GOOD, encoding="utf-8")
    load_ruleset(twin)
    good.write_text(GOOD + "\n[params]\ny = 2\n", encoding="utf-8")
    load_ruleset(good)
    assert checks == ["good.toml", "good.toml"]


def test_a_file_that_failed_is_checked_every_time(tmp_path: Path, checks: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulesetError, match=r"ruleset\.version"):
            load_ruleset(bad)
    assert checks == ["bad.toml", "bad.toml"]


def test_the_cache_can_be_turned_off(
    tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOLRULES_NO_CACHE", "1")
    assert cache_dir() is None
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    load_ruleset(good)
    load_ruleset(good)
    assert checks == ["good.toml", "good.toml"]
    assert not known_valid("0" * 64)


def test_a_cache_that_cannot_be_written_only_costs_time(
    tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("KOLRULES_CACHE_DIR", str(blocker))
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    assert load_ruleset(good).name == "good"
    assert load_ruleset(good).name == "good"
    assert checks == ["good.toml", "good.toml"]


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KOLRULES_NO_CACHE", raising=False)
    monkeypatch.setenv("KOLRULES_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path / "valid"
    monkeypatch.delenv("KOLRULES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "kolrules" / "valid"
