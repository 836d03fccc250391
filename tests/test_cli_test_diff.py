"""The ``kolrules test`` and ``kolrules diff`` commands: output, exit codes, bad input.

CI runs ``kolrules test rulesets/ --min-coverage 100`` through the first test here, so
every ruleset in ``rulesets/`` (client rulesets in ``rulesets/clients/`` included) must
have tests that pass and cover every rule."""

from __future__ import annotations

import inspect
import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kolrules.cli import EXIT_INPUT, EXIT_OK, EXIT_RULESET, EXIT_USAGE, main
from kolrules.ruleset import bundled_rulesets_dir

EXIT_TESTS_FAILED = 1
REPO = Path(__file__).resolve().parent.parent
RULESETS = REPO / "rulesets"
CANDIDATES = REPO / "examples" / "candidates.csv"
GOOD = (
    "followers = 12_000, posts = 86, total_likes = 48_000, avg_likes = 300, "
    "avg_comments = 25, avg_collects = 120, price = 2_500"
)


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(args: Sequence[str | Path], code: int) -> Result:
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # pragma: no cover - click 8.1
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    else:
        runner = CliRunner()
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (
        f"exit {result.exit_code}, wanted {code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cases(directory: Path, body: str) -> Path:
    return write(directory, "cases.test.toml", 'ruleset = "red-default"\n' + textwrap.dedent(body))


# -- kolrules test ------------------------------------------------------------------------


def test_every_ruleset_in_rulesets_passes_with_full_coverage() -> None:
    """The CI gate: `kolrules test rulesets/ --min-coverage 100`."""
    result = run(["test", RULESETS, "--min-coverage", "100"], EXIT_OK)
    assert " 0 failed, 0 errors" in result.stdout
    assert "rule coverage: 100.0%" in result.stdout
    for name in ("red-default", "weibo-default", "wechat-default"):
        assert name in result.stdout
    assert "has no tests" not in result.stdout


def test_a_failing_test_exits_1_with_its_diff(tmp_path: Path) -> None:
    cases(
        tmp_path,
        f"""
        [[test]]
        name = "wrong verdict"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "reject", findings = {{ few-posts = "fail" }} }}
        """,
    )
    result = run(["test", tmp_path], EXIT_TESTS_FAILED)
    out = result.stdout
    assert f"FAIL {tmp_path / 'cases.test.toml'}:3: wrong verdict" in out
    assert "verdict: expected reject, got accept" in out
    assert "finding few-posts: expected fail, got pass" in out
    assert "0 passed, 1 failed, 0 errors in 1 test from 1 file" in out


def test_a_bad_test_case_exits_3_with_file_line_key_and_hint(tmp_path: Path) -> None:
    path = cases(
        tmp_path,
        f"""
        [[test]]
        name = "typo"
        profile = {{ {GOOD}, folowers = 3 }}
        expect = {{ verdict = "accept" }}

        [[test]]
        name = "fine"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}
        """,
    )
    result = run(["test", path], EXIT_RULESET)
    assert f"{path}:5 [test[0].profile.folowers]: unknown field 'folowers'" in result.stderr
    assert "hint: did you mean 'followers'?" in result.stderr
    assert "1 passed, 0 failed, 1 error in 2 tests" in result.stdout  # the others still ran


def test_min_coverage(tmp_path: Path) -> None:
    cases(
        tmp_path, f"[[test]]\nname = 'one'\nprofile = {{ {GOOD} }}\nexpect = {{ tier = 'micro' }}\n"
    )
    result = run(["test", tmp_path, "--min-coverage", "90"], EXIT_TESTS_FAILED)
    assert "is below --min-coverage 90%" in result.stderr
    assert "never fail" in result.stdout  # the gaps are listed
    run(["test", tmp_path, "--min-coverage", "10"], EXIT_OK)
    run(["test", tmp_path, "--min-coverage", "101"], EXIT_USAGE)


def test_junit_xml_and_verbose(tmp_path: Path) -> None:
    cases(
        tmp_path, f"[[test]]\nname = 'one'\nprofile = {{ {GOOD} }}\nexpect = {{ tier = 'micro' }}\n"
    )
    out = tmp_path / "reports" / "junit.xml"
    out.parent.mkdir()
    result = run(["test", tmp_path, "-v", "--junit-xml", out], EXIT_OK)
    assert "ok   " in result.stdout and "red-default: rules" in result.stdout
    root = ET.parse(out).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    bad = run(["test", tmp_path, "--junit-xml", tmp_path / "missing" / "j.xml"], EXIT_USAGE)
    assert "cannot write" in bad.stderr


def test_nothing_to_test_and_missing_paths(tmp_path: Path) -> None:
    write(tmp_path, "notes.toml", "[other]\nx = 1\n")
    result = run(["test", tmp_path], EXIT_USAGE)
    assert "no tests or rulesets in" in result.stderr and "NAME.test.toml" in result.stderr
    result = run(["test", tmp_path / "nope"], EXIT_USAGE)
    assert "does not exist" in result.stderr


def test_an_untested_ruleset_is_listed(tmp_path: Path) -> None:
    red = (bundled_rulesets_dir() / "red-default.toml").read_text(encoding="utf-8")
    write(tmp_path, "acme.toml", red.replace('name = "red-default"', 'name = "acme"'))
    result = run(["test", tmp_path, "--min-coverage", "100"], EXIT_TESTS_FAILED)
    assert "acme has no tests: add" in result.stdout and "acme.test.toml" in result.stdout


# -- kolrules diff ------------------------------------------------------------------------


def overlay(directory: Path) -> Path:
    return write(
        directory,
        "client.toml",
        """
        [ruleset]
        name = "client"
        version = "2"
        extends = "red-default"

        [params]
        min_posts = 100
        """,
    )


def test_diff_table(tmp_path: Path) -> None:
    path = overlay(tmp_path)
    result = run(["diff", "--base", "red-default", "--ruleset", path, CANDIDATES], EXIT_OK)
    out = result.stdout
    assert "base: red-default 1.0.0" in out and "new:  client 2" in out
    assert "37 red profiles from" in out
    assert "verdicts (rows: base, columns: new)" in out
    assert "verdict changed: 3 profiles (8.1%)" in out
    assert "few-posts (warn): pass -> fail" in out
    assert "notes (fewer than 100)" in out and "min_posts = 10 -> 100" in out
    limited = run(["diff", "-b", "red-default", "-r", path, CANDIDATES, "--limit", "2"], EXIT_OK)
    assert "changed verdicts (first 2 of 3; --limit N shows more" in limited.stdout


def test_diff_json_lists_every_flip(tmp_path: Path) -> None:
    path = overlay(tmp_path)
    out = tmp_path / "impact.json"
    args = ["diff", "-b", "red-default", "-r", path, CANDIDATES, "--limit", "1"]
    run([*args, "--format", "json", "-o", out], EXIT_OK)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["flipped"] == 3 and len(data["flips"]) == 3  # json ignores --limit
    assert data["verdicts"]["accept"]["review"] == 3
    assert data["responsible"] == {"few-posts": 3}


def test_diff_between_two_bundled_rulesets_of_one_platform() -> None:
    result = run(["diff", "-b", "red-default", "-r", "red-default", CANDIDATES], EXIT_OK)
    assert "verdict changed: 0 profiles" in result.stdout


def test_diff_bad_input() -> None:
    cross = run(["diff", "-b", "red-default", "-r", "weibo-default", CANDIDATES], EXIT_USAGE)
    assert "must be for the same platform" in cross.stderr
    missing = run(["diff", "-b", "red-default", "-r", "red-default", "nope.csv"], EXIT_INPUT)
    assert "does not exist" in missing.stderr
    unknown = run(["diff", "-b", "red-default", "-r", "red-defualt", CANDIDATES], EXIT_USAGE)
    assert "unknown ruleset 'red-defualt'" in unknown.stderr
    no_base = run(["diff", "-r", "red-default", CANDIDATES], EXIT_USAGE)
    assert "--base" in no_base.stderr


def test_diff_with_a_malformed_ruleset_exits_3(tmp_path: Path) -> None:
    bad = write(
        tmp_path, "bad.toml", '[ruleset]\nname = "bad"\nversion = "1"\nextends = "nowhere"\n'
    )
    result = run(["diff", "-b", "red-default", "-r", bad, CANDIDATES], EXIT_RULESET)
    assert "bad.toml" in result.stderr


@pytest.mark.parametrize("command", ["test", "diff"])
def test_help_has_an_example(command: str) -> None:
    result = run([command, "--help"], EXIT_OK)
    assert "Example" in result.stdout and f"kolrules {command} " in result.stdout
    assert "Exit codes" in result.stdout


def test_diff_of_a_bundled_client_overlay() -> None:
    client = RULESETS / "clients" / "beauty-startup.toml"
    result = run(["diff", "-b", "red-default", "-r", client, CANDIDATES, "-f", "json"], EXIT_OK)
    data = json.loads(result.stdout)
    assert data["base"]["name"] == "red-default" and data["new"]["name"] == "beauty-startup"
    assert sum(sum(row.values()) for row in data["verdicts"].values()) == data["rows"] == 37
    assert data["flipped"] == len(data["flips"]) > 0
    assert all(f["rules"] or f["note"] or f["new_error"] for f in data["flips"])
