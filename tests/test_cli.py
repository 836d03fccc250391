"""The ``kolrules`` command line: help texts, input encodings, output formats, exit codes,
and the ``explain``, ``validate``, ``rulesets`` and ``plugins`` commands.

Most tests go through :class:`click.testing.CliRunner` with stdout and stderr kept apart;
one runs the real module in a subprocess.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kolrules.cli import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_PLUGIN,
    EXIT_RULESET,
    EXIT_USAGE,
    main,
)
from kolrules.engine import Engine
from kolrules.ruleset import bundled_rulesets_dir

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BUNDLED = ("red-default", "weibo-default", "wechat-default")
FIRST_PARTY = ("red", "weibo", "wechat", "scoring")
CORE = ("kolrules.read", "kolrules.report", "kolrules.ruleset")

SUMMARY = re.compile(
    r"rows read (\d+) = accepted (\d+) \+ review (\d+) \+ rejected (\d+) \+ errors (\d+)"
)

# Three RED candidates: "good" passes red-default, "fake" has fewer total likes than
# followers (a reject rule), "broken" has a follower count that is not a number (a row error).
HEADER = [
    "id",
    "followers",
    "posts",
    "total_likes",
    "avg_likes",
    "avg_comments",
    "avg_collects",
    "price",
]
ROWS = [
    ["good", "12000", "86", "48000", "300", "25", "120", "2500"],
    ["fake", "20000", "50", "5000", "100", "10", "20", "3000"],
    ["broken", "lots", "50", "5000", "100", "10", "20", "3000"],
]
# The same candidates as a Chinese export tool writes them: Chinese headers, counts in 万.
HEADER_ZH = [
    "小红书号",
    "粉丝数",
    "笔记数",
    "获赞与收藏",
    "平均点赞",
    "平均评论",
    "平均收藏",
    "报价",
]
ROWS_ZH = [
    ["good", "1.2万", "86", "4.8万", "300", "25", "120", "2500"],
    ["fake", "2万", "50", "5000", "100", "10", "20", "3000"],
    ["broken", "lots", "50", "5000", "100", "10", "20", "3000"],
]
EXPECTED = {"good": ("accept", "micro"), "fake": ("reject", "micro")}


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its engines itself: keep third-party plugins out of these tests."""
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def runner() -> CliRunner:
    """A runner whose ``result.stdout`` is stdout only (click 8.2+ separates stderr by
    default; click 8.1 needs ``mix_stderr=False``)."""
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # pragma: no cover - click 8.1
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


def run(args: Sequence[str | Path], code: int | None = EXIT_OK) -> Result:
    result = runner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, (
            f"exit {result.exit_code}, wanted {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


@pytest.fixture
def utf8_csv(tmp_path: Path) -> Path:
    return write(tmp_path, "kols.csv", csv_text(HEADER, ROWS))


def summary_of(text: str) -> tuple[int, ...]:
    found = SUMMARY.findall(text)
    assert len(found) == 1, f"expected one summary line in:\n{text}"
    return tuple(int(n) for n in found[0])


def check_json_report(result: Result) -> dict[str, object]:
    """stdout is the JSON report; its counts add up and match the summary on stderr."""
    report = json.loads(result.stdout)
    s = report["summary"]
    assert s["rows_read"] == s["accepted"] + s["review"] + s["rejected"] + s["errors"]
    assert s["rows_read"] == len(report["decisions"]) + len(report["errors"])
    assert summary_of(result.stderr) == (
        s["rows_read"],
        s["accepted"],
        s["review"],
        s["rejected"],
        s["errors"],
    )
    assert not SUMMARY.search(result.stdout)
    return report


def verdicts(report: dict[str, object]) -> dict[str, tuple[str, str]]:
    decisions = report["decisions"]
    assert isinstance(decisions, list)
    return {d["id"]: (d["verdict"], d["tier"]) for d in decisions}


# --------------------------------------------------------------------------------------
# Help
# --------------------------------------------------------------------------------------


def _examples(help_text: str) -> list[str]:
    return [line.strip() for line in help_text.splitlines() if line.strip().startswith("kolrules ")]


def test_every_command_is_covered_by_the_help_guard() -> None:
    assert set(main.commands) >= {"evaluate", "explain", "validate", "rulesets", "plugins"}


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_help_has_an_example(command: str) -> None:
    help_text = run([command, "--help"]).stdout
    assert "Example" in help_text, help_text
    assert any(line.startswith(f"kolrules {command}") for line in _examples(help_text)), help_text


def test_group_help_has_an_example_and_the_exit_codes() -> None:
    help_text = run(["--help"]).stdout
    assert "Example" in help_text
    assert _examples(help_text), help_text
    for command in main.commands:
        assert command in help_text
    assert "Exit codes" in help_text


def test_help_as_a_module_in_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kolrules.cli", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Example" in proc.stdout
    assert _examples(proc.stdout)
    for command in ("evaluate", "explain", "validate", "rulesets", "plugins"):
        assert command in proc.stdout


def test_version() -> None:
    from kolrules import __version__

    assert __version__ in run(["--version"]).stdout


# --------------------------------------------------------------------------------------
# evaluate: inputs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header", "rows", "encoding"),
    [
        pytest.param("kols.csv", HEADER, ROWS, "utf-8", id="utf-8"),
        pytest.param("kols.csv", HEADER, ROWS, "utf-8-sig", id="utf-8-bom"),
        pytest.param("kols.csv", HEADER_ZH, ROWS_ZH, "utf-8", id="utf-8-chinese"),
        pytest.param("kols.csv", HEADER_ZH, ROWS_ZH, "utf-8-sig", id="utf-8-bom-chinese"),
        pytest.param("kols.csv", HEADER_ZH, ROWS_ZH, "gbk", id="gbk-chinese"),
    ],
)
def test_evaluate_csv_encodings(
    tmp_path: Path, name: str, header: list[str], rows: list[list[str]], encoding: str
) -> None:
    path = write(tmp_path, name, csv_text(header, rows).replace("\n", "\r\n"), encoding)
    if encoding == "gbk":
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    report = check_json_report(run(["evaluate", path, "--format", "json"]))
    assert report["summary"] == {
        "rows_read": 3,
        "accepted": 1,
        "review": 0,
        "rejected": 1,
        "errors": 1,
    }
    assert verdicts(report) == EXPECTED
    (error,) = report["errors"]
    assert error["row"] == 3
    assert "not a number" in error["reason"]


def test_evaluate_json_and_jsonl_inputs(tmp_path: Path) -> None:
    records = [dict(zip(HEADER_ZH, row, strict=True)) for row in ROWS_ZH]
    # Numbers may be JSON numbers as well as export text.
    records[0]["报价"] = 2500
    as_json = write(tmp_path, "kols.json", json.dumps(records, ensure_ascii=False))
    as_jsonl = write(
        tmp_path, "kols.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    )
    for path in (as_json, as_jsonl):
        report = check_json_report(run(["evaluate", path, "--format", "json"]))
        assert report["summary"]["rows_read"] == 3
        assert verdicts(report) == EXPECTED


def test_evaluate_input_format_option_overrides_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "kols.export", csv_text(HEADER, ROWS))
    run(["evaluate", path], code=EXIT_USAGE)
    report = check_json_report(run(["evaluate", path, "--input-format", "csv", "-f", "json"]))
    assert verdicts(report) == EXPECTED


def test_evaluate_examples_smoke() -> None:
    """The shipped examples: both files evaluate and give the same decisions."""
    plain = check_json_report(run(["evaluate", EXAMPLES / "candidates.csv", "-f", "json"]))
    gbk = check_json_report(run(["evaluate", EXAMPLES / "candidates-gbk.csv", "-f", "json"]))
    assert plain["summary"] == gbk["summary"]
    assert plain["summary"]["rows_read"] > 0
    assert verdicts(plain) == verdicts(gbk)


# --------------------------------------------------------------------------------------
# evaluate: outputs
# --------------------------------------------------------------------------------------


def test_table_prints_the_summary_last_on_stdout(utf8_csv: Path) -> None:
    result = run(["evaluate", utf8_csv])
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert summary_of(lines[-1]) == (3, 1, 0, 1, 1)
    assert SUMMARY.fullmatch(lines[-1].strip())
    for kol in ("good", "fake", "broken"):
        assert kol in result.stdout
    assert not SUMMARY.search(result.stderr)


def test_csv_to_stdout(utf8_csv: Path) -> None:
    result = run(["evaluate", utf8_csv, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["good", "fake", "broken"]
    assert [r["verdict"] for r in rows[:2]] == ["accept", "reject"]
    assert rows[2]["status"] == "error"
    assert summary_of(result.stderr) == (3, 1, 0, 1, 1)


@pytest.mark.parametrize("suffix", [".csv", ".CSV"])
def test_output_csv_format_from_suffix(tmp_path: Path, utf8_csv: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    result = run(["evaluate", utf8_csv, "-o", out])
    assert result.stdout == ""
    assert summary_of(result.stderr) == (3, 1, 0, 1, 1)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["good", "fake", "broken"]


def test_output_jsonl_format_from_suffix(tmp_path: Path, utf8_csv: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run(["evaluate", utf8_csv, "-o", out])
    assert result.stdout == ""
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds.count("decision") == 2
    assert kinds.count("error") == 1
    summary = next(r for r in records if r["kind"] == "summary")
    assert summary["rows_read"] == 3
    assert summary_of(result.stderr) == (3, 1, 0, 1, 1)


def test_output_json_and_table_files(tmp_path: Path, utf8_csv: Path) -> None:
    out = tmp_path / "out.json"
    run(["evaluate", utf8_csv, "-o", out])
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["rows_read"] == 3
    # The table reporter's extension is .txt: -o out.txt writes a table.
    txt = tmp_path / "out.txt"
    result = run(["evaluate", utf8_csv, "-o", txt])
    assert summary_of(txt.read_text(encoding="utf-8")) == (3, 1, 0, 1, 1)
    assert summary_of(result.stderr) == (3, 1, 0, 1, 1)


def test_format_option_beats_the_suffix(tmp_path: Path, utf8_csv: Path) -> None:
    out = tmp_path / "out.csv"
    run(["evaluate", utf8_csv, "-o", out, "--format", "json"])
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["rows_read"] == 3


# --------------------------------------------------------------------------------------
# Exit codes
# --------------------------------------------------------------------------------------


def test_unknown_format_is_a_usage_error(utf8_csv: Path) -> None:
    result = run(["evaluate", utf8_csv, "--format", "yaml"], code=EXIT_USAGE)
    assert "'yaml'" in result.stderr
    for known in ("table", "json", "jsonl", "csv"):
        assert known in result.stderr
    assert result.stdout == ""


def test_unknown_output_suffix_is_a_usage_error(tmp_path: Path, utf8_csv: Path) -> None:
    out = tmp_path / "out.parquet"
    result = run(["evaluate", utf8_csv, "-o", out], code=EXIT_USAGE)
    assert "'parquet'" in result.stderr
    assert "csv" in result.stderr
    assert not out.exists()


def test_unwritable_output_is_a_usage_error(tmp_path: Path, utf8_csv: Path) -> None:
    result = run(
        ["evaluate", utf8_csv, "-o", tmp_path / "no-such-dir" / "out.csv"], code=EXIT_USAGE
    )
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_ruleset_name_is_a_usage_error(utf8_csv: Path) -> None:
    result = run(["evaluate", utf8_csv, "--ruleset", "acme-default"], code=EXIT_USAGE)
    assert "'acme-default'" in result.stderr
    for name in BUNDLED:
        assert name in result.stderr


def test_bundled_rulesets_by_name_and_by_path(utf8_csv: Path) -> None:
    by_name = check_json_report(run(["evaluate", utf8_csv, "-r", "red-default", "-f", "json"]))
    by_path = check_json_report(
        run(["evaluate", utf8_csv, "-r", bundled_rulesets_dir() / "red-default.toml", "-f", "json"])
    )
    assert by_name["ruleset"] == by_path["ruleset"]
    assert by_name["ruleset"]["name"] == "red-default"


BAD_EXPRESSION = """\
[ruleset]
name = "bad"
version = "1"
platform = "red"

[[rules]]
id = "broken"
require = "followers >"
severity = "warn"
"""

BAD_TOML = """\
[ruleset]
name = "bad"
version = "1"
platform = "red"

[[rules]
id = "broken"
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [pytest.param(BAD_EXPRESSION, 8, id="expression"), pytest.param(BAD_TOML, 6, id="toml")],
)
def test_malformed_ruleset_exits_3_with_file_and_line(
    tmp_path: Path, utf8_csv: Path, text: str, line: int
) -> None:
    ruleset = write(tmp_path, "bad.toml", text)
    result = run(["evaluate", utf8_csv, "--ruleset", ruleset], code=EXIT_RULESET)
    assert f"{ruleset}:{line}" in result.stderr, result.stderr
    assert result.stdout == ""


def test_missing_ruleset_file_exits_3(tmp_path: Path, utf8_csv: Path) -> None:
    result = run(["evaluate", utf8_csv, "-r", tmp_path / "nope.toml"], code=EXIT_RULESET)
    assert "nope.toml" in result.stderr


def test_missing_input_file_exits_4(tmp_path: Path) -> None:
    result = run(["evaluate", tmp_path / "nope.csv"], code=EXIT_INPUT)
    assert "nope.csv" in result.stderr
    assert "does not exist" in result.stderr


def test_empty_input_file_exits_4(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", b"")
    result = run(["evaluate", path], code=EXIT_INPUT)
    assert "empty" in result.stderr


def test_missing_required_column_exits_4_naming_the_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "kols.csv", "id,报价\nk1,2500\n")
    result = run(["evaluate", path], code=EXIT_INPUT)
    assert "'followers'" in result.stderr
    for alias in ("'fans'", "'粉丝数'", "'followers_count'"):
        assert alias in result.stderr
    assert "'报价'" in result.stderr  # the headers the file does have


def test_plugin_import_failure_exits_5(utf8_csv: Path) -> None:
    result = run(["-p", "nonexistent_module_xyz", "evaluate", utf8_csv], code=EXIT_PLUGIN)
    assert "nonexistent_module_xyz" in result.stderr
    for command in (["rulesets"], ["plugins"], ["validate", "red-default"]):
        run(["-p", "nonexistent_module_xyz", *command], code=EXIT_PLUGIN)


def test_verdicts_never_change_the_exit_code(tmp_path: Path) -> None:
    rows = [["fake1", "20000", "50", "5000"], ["fake2", "30000", "50", "100"]]
    path = write(tmp_path, "fakes.csv", csv_text(HEADER[:4], rows))
    report = check_json_report(run(["evaluate", path, "-f", "json"], code=EXIT_OK))
    assert report["summary"]["rejected"] == report["summary"]["rows_read"] == 2
    run(["evaluate", path], code=EXIT_OK)
    # Rows that are all errors are not a failure of the run either.
    errors = write(tmp_path, "errors.csv", "id,followers\nx,lots\ny,many\n")
    report = check_json_report(run(["evaluate", errors, "-f", "json"], code=EXIT_OK))
    assert report["summary"]["errors"] == 2


# --------------------------------------------------------------------------------------
# explain
# --------------------------------------------------------------------------------------


def red_rule_ids() -> list[str]:
    ids = [rule.id for rule in Engine("red-default", load_entrypoints=False).ruleset.rules]
    assert len(ids) > 3
    return ids


def test_explain_lists_every_rule_and_the_verdict(utf8_csv: Path) -> None:
    out = run(["explain", utf8_csv, "--id", "fake"]).stdout
    assert "fake" in out
    assert "verdict reject" in out
    for rule_id in red_rule_ids():
        assert rule_id in out, f"rule {rule_id} missing from:\n{out}"
    assert "likely fake followers" in out  # the failed rule's message


def test_explain_json(utf8_csv: Path) -> None:
    data = json.loads(run(["explain", utf8_csv, "--id", "good", "--format", "json"]).stdout)
    assert data["id"] == "good"
    assert data["verdict"] == "accept"
    assert data["tier"] == "micro"
    assert [f["rule"] for f in data["findings"]] == red_rule_ids()
    assert data["ruleset"]["name"] == "red-default"


def test_explain_unknown_id_is_a_usage_error(utf8_csv: Path) -> None:
    result = run(["explain", utf8_csv, "--id", "nobody"], code=EXIT_USAGE)
    assert "'nobody'" in result.stderr
    assert "good" in result.stderr  # some ids that do exist


def test_explain_an_error_row(utf8_csv: Path) -> None:
    out = run(["explain", utf8_csv, "--id", "broken"]).stdout
    assert "broken was not evaluated" in out
    assert "not a number" in out
    assert "'lots'" in out


def test_explain_needs_an_id(utf8_csv: Path) -> None:
    result = run(["explain", utf8_csv], code=EXIT_USAGE)
    assert "--id" in result.stderr


def test_explain_examples_smoke() -> None:
    out = run(["explain", EXAMPLES / "candidates-gbk.csv", "--id", "red-001"]).stdout
    assert "red-001" in out
    assert "verdict" in out


# --------------------------------------------------------------------------------------
# validate, rulesets, plugins
# --------------------------------------------------------------------------------------


def bundled_files() -> list[Path]:
    files = sorted(bundled_rulesets_dir().glob("*.toml"))
    assert {f.stem for f in files} >= set(BUNDLED)
    return files


def test_validate_every_bundled_ruleset() -> None:
    files = bundled_files()
    result = run(["validate", *files])
    ok_lines = [line for line in result.stdout.splitlines() if line.startswith("ok")]
    assert len(ok_lines) == len(files)
    for f in files:
        assert any(str(f) in line for line in ok_lines), f
    assert "FAIL" not in result.stderr


def test_validate_bundled_names() -> None:
    result = run(["validate", *BUNDLED])
    assert result.stdout.count("ok") == len(BUNDLED)


def test_validate_a_broken_file_lists_the_problems(tmp_path: Path) -> None:
    text = BAD_EXPRESSION.replace('severity = "warn"', 'severity = "fatal"\nstaeg = "vet"')
    bad = write(tmp_path, "bad.toml", text)
    result = run(["validate", bad], code=EXIT_RULESET)
    assert f"FAIL {bad}" in result.stderr
    assert "2 problems" in result.stderr
    assert "'fatal'" in result.stderr
    assert "'staeg'" in result.stderr
    assert "did you mean 'stage'" in result.stderr
    assert f"{bad}:9" in result.stderr
    assert "ok" not in result.stdout


def test_validate_a_mix_fails_but_checks_every_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.toml", BAD_TOML)
    good = bundled_rulesets_dir() / "weibo-default.toml"
    result = run(["validate", bad, good, "nope-default"], code=EXIT_RULESET)
    assert f"ok   {good}" in result.stdout
    assert f"FAIL {bad}" in result.stderr
    assert "FAIL nope-default" in result.stderr


def test_rulesets_lists_the_bundled_ones() -> None:
    out = run(["rulesets"]).stdout
    for name in BUNDLED:
        assert name in out


def test_rulesets_json() -> None:
    rows = json.loads(run(["rulesets", "--json"]).stdout)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) >= set(BUNDLED)
    assert {by_name[n]["platform"] for n in BUNDLED} == {"red", "weibo", "wechat"}
    for name in BUNDLED:
        assert by_name[name]["rules"] > 0
        assert Path(by_name[name]["path"]).is_file()
        assert not by_name[name]["description"].startswith("INVALID")


def test_plugins_json() -> None:
    rows = json.loads(run(["plugins", "--json"]).stdout)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) >= {*FIRST_PARTY, *CORE}
    for name in (*FIRST_PARTY, *CORE):
        assert by_name[name]["hooks"], name
        assert all(h.startswith("kolrules_") for h in by_name[name]["hooks"])
        assert by_name[name]["distribution"] == "kolrules"
    for platform in ("red", "weibo", "wechat"):
        assert by_name[platform]["hooks"] == ["kolrules_platforms_register"]
        assert by_name[platform]["registers"] == {"platforms": [platform]}
    assert {"weighted", "cost_efficiency"} <= set(by_name["scoring"]["registers"]["scorers"])
    assert by_name["kolrules.read"]["registers"]["readers"] == ["csv", "json", "jsonl", "xlsx"]
    assert by_name["kolrules.report"]["registers"]["reporters"] == [
        "csv",
        "html",
        "json",
        "jsonl",
        "table",
        "xlsx",
    ]
    (bundled,) = by_name["kolrules.ruleset"]["registers"]["ruleset_dirs"]
    assert Path(bundled) == bundled_rulesets_dir()


def test_plugins_table() -> None:
    out = run(["plugins"]).stdout
    for name in (*FIRST_PARTY, *CORE):
        assert name in out


def test_dash_reads_standard_input(utf8_csv: Path) -> None:
    """``-`` is standard input: csv by default, any format with --input-format."""
    data = utf8_csv.read_bytes()
    result = runner().invoke(main, ["evaluate", "-", "-f", "csv"], input=data)
    assert result.exit_code == EXIT_OK, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["good", "fake", "broken"]
    assert summary_of(result.stderr) == (3, 1, 0, 1, 1)
    lines = '{"id": "j1", "followers": 20000, "posts": 50}\n'
    result = runner().invoke(
        main, ["evaluate", "-", "--input-format", "jsonl", "-f", "jsonl"], input=lines
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["id"] == "j1"
    explained = runner().invoke(main, ["explain", "-", "--id", "fake"], input=data)
    assert explained.exit_code == EXIT_OK and "fake" in explained.stdout


def test_the_table_shows_a_long_tier_name_on_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "kols.csv",
        csv_text(["id", "followers", "posts"], [["kol-1", "50000000", "40"]]),
    )
    result = run(["evaluate", path])
    row = next(line for line in result.stdout.splitlines() if line.startswith("kol-1 "))
    assert row.split()[1] == "celebrity", row  # the tier cell, not folded into "celebrit"
