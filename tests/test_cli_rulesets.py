"""The ruleset commands: ``kolrules validate`` (errors, warnings, --strict, --json),
``kolrules rulesets`` and ``rulesets show`` (as written and --resolved), ``kolrules schema``."""

from __future__ import annotations

import inspect
import json
import textwrap
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kolrules.cli import EXIT_OK, EXIT_RULESET, EXIT_USAGE, main
from kolrules.ruleset import bundled_rulesets_dir
from kolrules.ruleset.display import display_path
from kolrules.ruleset.file_schema import schema_json

CLIENTS = bundled_rulesets_dir() / "clients"
RED = bundled_rulesets_dir() / "red-default.toml"

WARNS = """\
[ruleset]
name = "warns"
version = "1"
extends = "red-default"

[params]
min_post = 5
"""


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(args: Sequence[str | Path], code: int = EXIT_OK) -> Result:
    kwargs = (
        {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}
    )
    result = CliRunner(**kwargs).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (
        f"exit {result.exit_code}, wanted {code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- validate ----------------------------------------------------------------------------


def test_validate_the_client_rulesets_and_their_tests_strictly() -> None:
    files = sorted(CLIENTS.glob("*.toml"))
    assert len(files) == 4
    out = run(["validate", "--strict", *files]).stdout
    assert "ok   " in out
    assert "beauty-startup 1.0.0 for red, 17 rules, 2 tiers" in out
    assert "extends " in out and "red-default.toml" in out
    assert "test cases for" in out


def test_warnings_are_printed_and_only_fail_with_strict(tmp_path: Path) -> None:
    path = write(tmp_path / "warns.toml", WARNS)
    result = run(["validate", path])
    assert (
        result.stdout.startswith(f"ok   {path}: warns 1 for red") and "1 warning" in result.stdout
    )
    assert f"{path}:7 [params.min_post]: warning: param 'min_post' is not used" in result.stderr
    assert "hint: did you mean 'min_posts'?" in result.stderr
    strict = run(["validate", "--strict", path], code=EXIT_RULESET)
    assert f"FAIL {path}: 1 warning (--strict)" in strict.stderr


def test_validate_lists_every_error_of_the_chain(tmp_path: Path) -> None:
    write(
        tmp_path / "base.toml",
        """\
        [ruleset]
        name = "base"
        version = "1"
        platform = "red"
        [[rules]]
        id = "r"
        require = "folowers > 0"
        severity = "info"
        """,
    )
    child = write(
        tmp_path / "child.toml",
        """\
        [ruleset]
        name = "child"
        version = "1"
        extends = "base"
        [[rules]]
        id = "q"
        severity = "review"
        """,
    )
    err = run(["validate", child], code=EXIT_RULESET).stderr
    assert f"FAIL {child}" in err and "2 problems in ruleset" in err
    assert (
        f"{child}:6 [rules[0].id]: there is no rule 'q' to change in {tmp_path / 'base.toml'}"
        in err
    )
    assert f"{tmp_path / 'base.toml'}:7 [rules[0].require]: rule 'r' require: unknown name" in err


def test_validate_json(tmp_path: Path) -> None:
    path = write(tmp_path / "warns.toml", WARNS)
    rows = json.loads(run(["validate", "--json", path, "red-default"]).stdout)
    assert [(r["ok"], r["errors"], r["warnings"]) for r in rows] == [(True, 0, 1), (True, 0, 0)]
    (issue,) = rows[0]["issues"]
    assert issue == {
        "severity": "warning",
        "file": str(path),
        "line": 7,
        "key": "params.min_post",
        "message": "param 'min_post' is not used by any rule, metric, message or score",
        "hint": "did you mean 'min_posts'? remove it, or use it in a rule",
    }
    assert rows[0]["chain"] == [str(path), str(RED)]
    rows = json.loads(run(["validate", "--json", "--strict", path], code=EXIT_RULESET).stdout)
    assert rows[0]["ok"] is False


def test_validate_an_unknown_name(tmp_path: Path) -> None:
    err = run(["validate", "nope-default"], code=EXIT_RULESET).stderr
    assert "FAIL nope-default" in err and "unknown ruleset 'nope-default'" in err
    assert "beauty-startup" in err


# -- rulesets and rulesets show ----------------------------------------------------------


def test_rulesets_lists_client_rulesets_with_what_they_extend() -> None:
    rows = {r["name"]: r for r in json.loads(run(["rulesets", "--json"]).stdout)}
    assert rows["beauty-startup"]["extends"] == str(RED)
    assert rows["luxury-brand"]["platform"] == "red"
    assert rows["red-default"]["extends"] is None
    table = run(["rulesets"]).stdout
    assert "beauty-startup" in table and "extends" in table


def test_show_prints_the_file_and_its_chain() -> None:
    out = run(["rulesets", "show", "beauty-startup"]).stdout
    first, rest = out.split("\n", 1)
    assert first == f"# {CLIENTS / 'beauty-startup.toml'} (extends {display_path(str(RED))})"
    assert rest == (CLIENTS / "beauty-startup.toml").read_text(encoding="utf-8")
    data = json.loads(run(["rulesets", "show", "luxury-brand", "--json"]).stdout)
    assert data["chain"] == [str(CLIENTS / "luxury-brand.toml"), str(RED)]
    assert data["text"].startswith("#:schema ../ruleset.schema.json")


def test_show_resolved_comments_every_value_with_its_source() -> None:
    out = run(["rulesets", "show", CLIENTS / "beauty-startup.toml", "--resolved"]).stdout
    doc = tomllib.loads(out)
    assert doc["params"]["fake_likes_per_follower"] == 1.5
    assert [t["name"] for t in doc["tiers"]] == ["micro", "mid"]
    assert "extends" not in doc["ruleset"]
    lines = [line for line in out.splitlines() if " = " in line and not line.startswith("#")]
    assert lines and all("  # " in line for line in lines)
    assert any(
        line.startswith("fake_likes_per_follower = 1.5  # ") and "beauty-startup.toml:27" in line
        for line in lines
    )
    assert any(line.startswith("min_likes_per_follower = 3  # ") for line in lines)
    assert "# removed: rule 'price-above-roi-limit'" in out
    data = json.loads(run(["rulesets", "show", "beauty-startup", "--resolved", "--json"]).stdout)
    origin = data["origins"]["params.fake_likes_per_follower"]
    assert (origin["file"], origin["line"]) == (str(CLIENTS / "beauty-startup.toml"), 27)
    assert data["origins"]["params.min_posts"]["key"] == "params.min_posts"


def test_show_a_broken_ruleset_exits_3(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", WARNS.replace('"red-default"', '"red-defualt"'))
    err = run(["rulesets", "show", path, "--resolved"], code=EXIT_RULESET).stderr
    assert "did you mean 'red-default'?" in err
    run(["rulesets", "show", "nope"], code=EXIT_USAGE)


# -- schema ------------------------------------------------------------------------------


def test_schema_prints_and_writes_the_shipped_schema(tmp_path: Path) -> None:
    out = run(["schema"]).stdout
    assert out == schema_json()
    assert json.loads(out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    target = tmp_path / "ruleset.schema.json"
    assert run(["schema", "-o", target]).stdout == ""
    assert target.read_text(encoding="utf-8") == out
    assert (bundled_rulesets_dir() / "ruleset.schema.json").read_text(encoding="utf-8") == out
    run(["schema", "-o", tmp_path / "no" / "such" / "dir.json"], code=EXIT_USAGE)


def test_subcommand_help_has_examples() -> None:
    for args in (["rulesets", "show", "--help"], ["schema", "--help"], ["validate", "--help"]):
        text = run(args).stdout
        assert "Example" in text and f"kolrules {' '.join(args[:-1])}" in text


def test_decisions_record_the_chain_of_files_and_its_hash() -> None:
    examples = Path(__file__).resolve().parent.parent / "examples" / "candidates.csv"
    result = run(["evaluate", examples, "-r", "beauty-startup", "-f", "json"])
    document = json.loads(result.stdout)
    chain = document["ruleset"]["chain"]
    assert [Path(p).name for p in chain] == ["beauty-startup.toml", "red-default.toml"]
    assert all(d["ruleset"]["chain"] == chain for d in document["decisions"])
    plain = json.loads(run(["evaluate", examples, "-f", "json"]).stdout)["ruleset"]
    assert [Path(p).name for p in plain["chain"]] == ["red-default.toml"]
    assert document["ruleset"]["hash"] != plain["hash"]
