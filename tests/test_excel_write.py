"""The ``xlsx`` output format: a run written as an Excel workbook, read back with openpyxl
and compared with the csv format's output of the same run, cell by cell."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from kolrules.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, main
from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.formats import StreamedRun, write_xlsx_batches
from kolrules.formats import xlsx as xlsx_format
from kolrules.report import XLSX
from kolrules.types import Report, RulesetRef, Summary

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO / "examples" / "candidates.csv"

#: Ids and handles a spreadsheet would run as formulas, and ones it would read as numbers.
HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-1", "@x", "1e5", '=HYPERLINK("http://x")']


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example candidates, plus rows with hostile and Chinese ids (one a duplicate, so
    a row error), so that formulas, Chinese text and errors are all in one run."""
    rows = CANDIDATES.read_text(encoding="utf-8").splitlines()
    header, first = rows[0], rows[1].split(",")
    extra = []
    for n, pid in enumerate([*HOSTILE, "小红书-达人-一号", "小红书-达人-一号"]):
        cells = [*first]
        cells[0] = '"' + pid.replace('"', '""') + '"'
        cells[1] = f"主播{n}"
        cells[3] = str(1000 + 137 * n)  # followers: the tiers differ
        extra.append(",".join(cells))
    path = tmp_path_factory.mktemp("xlsx") / "kols.csv"
    path.write_text("\n".join([header, *rows[1:], *extra]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def written(
    engine: Engine, source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Summary, list[dict[str, str]], Summary]:
    """The same input written as xlsx and as csv, in small batches (so several frames)."""
    out = tmp_path_factory.mktemp("out")
    book = out / "decisions.xlsx"
    summary = engine.evaluate_to_file(source, book, output_format="xlsx", batch_rows=7)
    text = out / "decisions.csv"
    csv_summary = engine.evaluate_to_file(source, text, output_format="csv", batch_rows=7)
    with text.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return book, summary, rows, csv_summary


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path)
    return list(book[name].iter_rows(values_only=True))


def _as_csv(value: Any) -> str:
    """A cell read back as the csv format writes the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = float(value)
        return str(int(number)) if number == round(number) else str(round(number, 6))
    return str(value).replace("\n", " | ")


def test_the_sheets_in_order(written: Any) -> None:
    book = openpyxl.load_workbook(written[0])
    assert book.sheetnames == ["Decisions", "Errors", "Summary", "Rules"]


def test_every_decisions_cell_is_the_csv_cell(written: Any) -> None:
    book, _, rows, _ = written
    sheet = _sheet(book, "Decisions")
    header, body = list(sheet[0]), sheet[1:]
    assert header == list(rows[0])  # every column of the decision frames, in order
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    assert len(body) == len(evaluated) > 30
    for got, want in zip(body, evaluated, strict=True):
        assert [_as_csv(v) for v in got] == list(want.values())
    assert [r[0] for r in body] == sorted(r[0] for r in body)  # input order


def test_errors_sheet_rows_and_row_numbers(written: Any) -> None:
    book, _, rows, _ = written
    sheet = _sheet(book, "Errors")
    assert sheet[0] == ("row", "id", "reasons")
    want = [(int(r["row"]), r["id"] or None, r["errors"]) for r in rows if r["status"] == "error"]
    got = [(row, pid, reasons.replace("\n", " | ")) for row, pid, reasons in sheet[1:]]
    assert got == want
    assert len(got) == 4  # the example's three, and the Chinese duplicate
    assert any("duplicate id" in r and pid == "小红书-达人-一号" for _, pid, r in got)


def test_summary_counts_ruleset_and_tiers(written: Any, engine: Engine, source: Path) -> None:
    book, summary, rows, csv_summary = written
    assert (summary.rows_read, summary.counts) == (csv_summary.rows_read, csv_summary.counts)
    sheet = _sheet(book, "Summary")
    pairs = {r[0]: r[1] for r in sheet if r[0] is not None}
    assert pairs["input"] == str(source)
    ref = engine.ruleset.ref
    assert (pairs["ruleset"], pairs["version"], pairs["hash"]) == (ref.name, ref.version, ref.hash)
    assert pairs["chain of files"] == ref.chain[0]
    assert pairs["rows read"] == summary.rows_read == len(rows)
    for key, n in summary.counts.items():
        assert pairs[key] == n
    start = next(i for i, r in enumerate(sheet) if r[0] == "tier")
    assert sheet[start][:5] == ("tier", "accept", "review", "reject", "total")
    tiers = {r[0]: r[1:5] for r in sheet[start + 1 :]}
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    want = Counter((r["tier"] or "(no tier)", r["verdict"]) for r in evaluated)
    assert {
        (t, v): n
        for t, c in tiers.items()
        for v, n in zip(("accept", "review", "reject"), c[:3], strict=True)
        if n
    } == dict(want)
    assert sum(c[3] for c in tiers.values()) == len(evaluated)


def test_rules_sheet_counts_each_rules_failures(written: Any, engine: Engine) -> None:
    book, _, rows, _ = written
    sheet = _sheet(book, "Rules")
    assert sheet[0] == (
        "rule",
        "stage",
        "severity",
        "description",
        "failed",
        "passed",
        "not_applicable",
    )
    rules = [r.rule for r in engine.plan.rules]
    assert [r[0] for r in sheet[1:]] == [r.id for r in rules]
    for got, rule in zip(sheet[1:], rules, strict=True):
        column = [r[f"rule:{rule.id}"] for r in rows if r["status"] == "evaluated"]
        assert got[1:3] == (rule.stage, rule.severity)
        assert got[3] == (rule.description or rule.message)
        assert got[4:] == (
            column.count("fail"),
            column.count("pass"),
            column.count("not_applicable"),
        )
    assert sum(r[4] for r in sheet[1:]) > 0  # some rule failed: the counts are not all zero


def test_formulas_are_neutralised_as_in_the_csv(written: Any) -> None:
    book, _, rows, _ = written
    ids = [r[1] for r in _sheet(book, "Decisions")[1:]]
    want = {"=cmd|' /C calc'!A0", "+1", "-1", "@x", '=HYPERLINK("http://x")'}
    for pid in want:
        assert "'" + pid in ids
        assert pid not in ids
    assert "1e5" in ids  # text, not the number 100000
    assert "'1e5" not in ids
    csv_ids = {r["id"] for r in rows}
    assert {"'" + p for p in want} <= csv_ids
    with zipfile.ZipFile(book) as z:
        xml = "".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere


def test_raw_writes_text_as_it_is_and_still_no_formula(
    engine: Engine, source: Path, tmp_path: Path
) -> None:
    book = tmp_path / "raw.xlsx"
    engine.evaluate_to_file(source, book, output_format="xlsx", raw=True)
    ids = [r[1] for r in _sheet(book, "Decisions")[1:]]
    assert "=cmd|' /C calc'!A0" in ids and "+1" in ids
    with zipfile.ZipFile(book) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_chinese_text_round_trips(written: Any) -> None:
    book = written[0]
    ids = [r[1] for r in _sheet(book, "Decisions")[1:]]
    assert "小红书-达人-一号" in ids


def test_every_column_of_the_frames_and_kept_text_is_neutralised(tmp_path: Path) -> None:
    """A frame with a column beyond the csv format's (an input column kept): written, as
    text, neutralised; a count of followers gets its number format."""
    frame = pl.DataFrame(
        {
            "row": [1, 2],
            "id": ["a", "b"],
            "status": ["evaluated", "evaluated"],
            "verdict": ["accept", "reject"],
            "tier": ["micro", None],
            "reasons": [None, "too few likes | price above band"],
            "handle": ["@x", "-1"],
            "followers": [12000.0, 1500000.0],
            "errors": [None, None],
            "rule:r1": ["pass", "fail"],
        }
    )
    ref = RulesetRef("rs", "1", "h")
    run = StreamedRun(
        lambda: iter([frame]),
        lambda kind: iter([]),
        ruleset=ref,
        source="in.csv",
        summary=lambda: Summary(2, {"accepted": 1, "review": 0, "rejected": 1, "errors": 0}, ref),
    )
    out = io.BytesIO()
    write_xlsx_batches(run, out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["Decisions"]
    assert [c.value for c in sheet[1]] == frame.columns
    assert [c.value for c in sheet["G"][1:]] == ["'@x", "'-1"]
    assert sheet["H2"].value == 12000 and sheet["H2"].number_format == "#,##0"
    assert sheet["F3"].value == "too few likes\nprice above band"
    assert sheet["D2"].fill.fgColor.rgb == "FFC6EFCE"
    assert sheet["F3"].alignment.wrap_text
    rules = list(book["Rules"].iter_rows(values_only=True))
    assert rules[1] == ("r1", None, None, None, 1, 1, 0)


def test_verdicts_are_coloured_and_numbers_formatted(written: Any) -> None:
    sheet = openpyxl.load_workbook(written[0])["Decisions"]
    header = [c.value for c in sheet[1]]
    at = {name: i for i, name in enumerate(header)}
    fills: dict[str, set[str]] = {}
    for row in sheet.iter_rows(min_row=2):
        verdict = row[at["verdict"]]
        fills.setdefault(verdict.value, set()).add(verdict.fill.fgColor.rgb)
        if row[at["quote"]].value is not None:
            assert "¥" in row[at["quote"]].number_format
        if row[at["score"]].value is not None:
            assert row[at["score"]].number_format == "0.0"
    assert set(fills) == {"accept", "review", "reject"}
    colours = {v: c for v, (c,) in fills.items()}  # one colour per verdict
    assert colours == {"accept": "FFC6EFCE", "review": "FFFFEB9C", "reject": "FFFFC7CE"}
    assert sheet.column_dimensions["N"].width > 40  # reasons: wide


def test_frozen_header_and_autofilter(written: Any) -> None:
    book = written[0]
    loaded = openpyxl.load_workbook(book)
    sheet = loaded["Decisions"]
    assert sheet.freeze_panes == "A2"
    assert (
        sheet.auto_filter.ref
        == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    )
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert 'ySplit="1"' in xml and 'state="frozen"' in xml
    assert f'<autoFilter ref="{sheet.auto_filter.ref}"' in xml


def test_an_empty_input_gives_a_header(engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(
        CANDIDATES.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
    )
    book = tmp_path / "empty.xlsx"
    summary = engine.evaluate_to_file(empty, book, output_format="xlsx")
    assert summary.rows_read == 0
    sheet = _sheet(book, "Decisions")
    assert len(sheet) == 1 and sheet[0][:2] == ("row", "id")


def test_more_rows_than_a_sheet_holds_fail_and_leave_nothing(
    engine: Engine, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_format, "MAX_ROWS", 10)
    book = tmp_path / "big.xlsx"
    with pytest.raises(InputFileError, match="more than 10 rows"):
        engine.evaluate_to_file(source, book, output_format="xlsx", batch_rows=7)
    assert list(tmp_path.iterdir()) == []


def test_render_says_how_to_write_a_workbook() -> None:
    report = Report((), (), 0, RulesetRef("rs", "1", "h"))
    with pytest.raises(TypeError, match="evaluate_to_file"):
        XLSX.render(report, io.StringIO())


# -- the command line ---------------------------------------------------------------------


def _cli(args: list[str]) -> Any:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_cli_picks_xlsx_from_the_suffix(source: Path, tmp_path: Path) -> None:
    book = tmp_path / "out.xlsx"
    result = _cli(["evaluate", str(source), "-o", str(book)])
    assert result.exit_code == EXIT_OK, result.stderr
    assert "rows read" in result.stderr
    assert openpyxl.load_workbook(book).sheetnames[0] == "Decisions"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]  # no .partial left


def test_cli_format_xlsx_needs_a_file(source: Path) -> None:
    result = _cli(["evaluate", str(source), "-f", "xlsx"])
    assert result.exit_code == EXIT_USAGE
    assert "-o decisions.xlsx" in result.stderr
    assert result.stdout == ""


def test_cli_without_the_extra_says_what_to_install(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # import xlsxwriter fails
    book = tmp_path / "out.xlsx"
    result = _cli(["evaluate", str(source), "-f", "xlsx", "-o", str(book)])
    assert result.exit_code == EXIT_USAGE
    assert "pip install 'kolrules[excel]'" in result.stderr
    assert not book.exists()


def test_cli_help_lists_xlsx() -> None:
    result = _cli(["evaluate", "--help"])
    assert "xlsx" in result.stdout


def test_cli_input_error_code_for_too_many_rows(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_format, "MAX_ROWS", 5)
    result = _cli(["evaluate", str(source), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == EXIT_INPUT
    assert "Excel sheet" in result.stderr


def test_cli_xlsx_matches_cli_csv_with_the_kept_columns(source: Path, tmp_path: Path) -> None:
    """From the command line, with its defaults (the nickname column kept): the Decisions
    sheet is the csv file's evaluated rows, cell by cell, kept columns included."""
    book, text = tmp_path / "d.xlsx", tmp_path / "d.csv"
    assert _cli(["evaluate", str(source), "-o", str(book)]).exit_code == EXIT_OK
    assert _cli(["evaluate", str(source), "-o", str(text)]).exit_code == EXIT_OK
    with text.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "evaluated"]
    sheet = _sheet(book, "Decisions")
    assert list(sheet[0]) == list(rows[0])
    assert "handle" in sheet[0]
    assert [[_as_csv(v) for v in r] for r in sheet[1:]] == [list(r.values()) for r in rows]
