"""The xlsx input format (kolrules.read.read_xlsx, fastexcel): sheets, the header row below
title rows, cells as text that normalises as the csv reader's would, every sheet row
accounted for, and the errors a workbook gets. Workbooks are written here with xlsxwriter."""

from __future__ import annotations

import csv
import datetime
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from click.testing import CliRunner, Result

from kolrules import Engine
from kolrules.cli import main
from kolrules.errors import InputFileError
from kolrules.read import EXCEL_INSTALL, read_xlsx, sheet_header

EXIT_OK, EXIT_USAGE, EXIT_INPUT = 0, 2, 4

HEADER = ["达人ID", "昵称", "粉丝数", "笔记数", "获赞与收藏", "平均点赞", "平均评论", "报价"]
ROWS: list[list[Any]] = [
    ["red-1", "小鹿", 12000, 86, 48000, 300, 25, 2500],
    ["red-2", "阿June", "1.2万", 140, "1.6w", 95, 12, "¥800"],
    ["red-3", "大号", 450000, 300, 2_000_000, 5000, 400, 50000.0],
    ["red-4", "=cmd", 3000.5, 10, 900, 30, 2, None],
]


def workbook(path: Path, sheets: dict[str, list[list[Any]]], *, at: int = 0) -> Path:
    """A workbook with ``sheets`` (name -> rows), each sheet's rows from sheet row
    ``at + 1``; None is an empty cell, dates are date cells, other values as they are."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows, start=at):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime.date):
                    sheet.write_datetime(r, c, value, date)
                else:
                    sheet.write(r, c, value)
    book.close()
    return path


def run(args: Sequence[str | Path], code: int = EXIT_OK) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def spellings(engine: Engine) -> list[str]:
    return [s for names in engine.plan.schema.aliases.values() for s in names]


def test_an_export_with_title_rows_reads_as_its_csv_does(tmp_path: Path) -> None:
    """Number cells, 万/w text, Chinese headers and a title and a two-cell line above the
    header: the decisions are those of the same table as csv, byte for byte."""
    titled = [["蒲公英达人导出"], ["导出时间", "2026-11-30"], [], HEADER, *ROWS]
    book = workbook(tmp_path / "export.xlsx", {"达人": titled})
    text = tmp_path / "export.csv"
    with text.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for row in ROWS:
            writer.writerow(
                ["" if v is None else (f"{v:g}" if isinstance(v, float) else v) for v in row]
            )
    engine = Engine()
    engine.evaluate_to_file(book, tmp_path / "from-xlsx.csv")
    engine.evaluate_to_file(text, tmp_path / "from-csv.csv")
    got = (tmp_path / "from-xlsx.csv").read_bytes()
    assert got == (tmp_path / "from-csv.csv").read_bytes()
    decided = pl.read_csv(tmp_path / "from-xlsx.csv", infer_schema=False)
    assert decided["id"].to_list() == ["red-1", "red-2", "red-3", "red-4"]
    assert decided["status"].to_list() == ["evaluated"] * 4
    report = engine.evaluate_file(book)
    assert report.rows_read == 4 and not report.errors
    assert report.columns is not None and report.columns.read["followers"] == "粉丝数"


def test_the_header_is_the_first_row_with_two_known_headers(tmp_path: Path) -> None:
    rows = [["导出", None], ["导出时间", "2026-11-30"], ["id", "粉丝数"], ["a", 1]]
    book = workbook(tmp_path / "b.xlsx", {"S": rows}, at=2)  # two empty rows first
    known = spellings(Engine())
    assert sheet_header(book, None, known).row == 5
    # Without the ruleset's spellings: the first row with two values.
    assert sheet_header(book).row == 4
    one = workbook(tmp_path / "one.xlsx", {"S": [["title"], ["a", "b"], ["followers", "x"]]})
    assert sheet_header(one, None, known).row == 3  # one known header beats none
    frame = read_xlsx(book, headers=known)
    assert frame.columns == ["id", "粉丝数"] and frame.rows() == [("a", "1")]


def test_cells_are_text_that_reads_back_as_the_number(tmp_path: Path) -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    rows = [
        ["id", "n", "day", "at", "mixed", "flag", "text"],
        ["a", 12000.0, datetime.date(2026, 1, 2), when, datetime.date(2026, 1, 2), True, "1.2万"],
        ["b", 1.5, datetime.date(2025, 12, 31), when, "soon", False, "  "],
        ["c", -3, None, None, None, None, "007"],
        ["d", 1e-7, None, None, None, None, 12],
    ]
    frame = read_xlsx(workbook(tmp_path / "c.xlsx", {"S": rows}))
    assert frame.schema == pl.Schema(dict.fromkeys(rows[0], pl.String))
    assert frame.rows() == [
        ("a", "12000", "2026-01-02", "2026-01-02 03:04:05", "2026-01-02 00:00:00", "true", "1.2万"),
        ("b", "1.5", "2025-12-31", "2026-01-02 03:04:05", "soon", "false", "  "),
        ("c", "-3", None, None, None, None, "007"),
        ("d", "0.0000001", None, None, None, None, "12"),
    ]


def test_sheets_by_name_or_by_position_from_one(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "s.xlsx",
        {"first": [["id"], ["a"]], "Second": [["id"], ["b"]], "1": [["id"], ["c"]]},
    )
    assert read_xlsx(book).item(0, 0) == "a"
    assert read_xlsx(book, sheet="Second").item(0, 0) == "b"
    assert read_xlsx(book, sheet=" second ").item(0, 0) == "b"
    assert read_xlsx(book, sheet=2).item(0, 0) == "b"
    assert read_xlsx(book, sheet="1").item(0, 0) == "c"  # a sheet's name first
    assert read_xlsx(book, sheet=1).item(0, 0) == "a"
    assert read_xlsx(book, sheet="3").item(0, 0) == "c"
    with pytest.raises(InputFileError, match=r"no sheet named 'nope'; its sheets are 1 'first'"):
        read_xlsx(book, sheet="nope")
    with pytest.raises(InputFileError, match=r"no sheet 4: sheets are counted from 1"):
        read_xlsx(book, sheet=4)
    with pytest.raises(InputFileError, match=r"no sheet 0"):
        read_xlsx(book, sheet=0)


def test_every_sheet_row_is_accounted_for_with_its_sheet_row(tmp_path: Path) -> None:
    rows = [["title"], HEADER, ROWS[0], [], ROWS[1], ["red-1", "dup", 5, 1, 1, 1, 1, 1], ROWS[2]]
    book = workbook(tmp_path / "r.xlsx", {"S": [*rows, [], []]})
    report = Engine().evaluate_file(book)
    assert report.rows_read == 5  # sheet rows 3 to 7; the blank rows after them dropped
    assert [e.row for e in report.errors] == [2, 4]  # the blank row, the duplicate id
    assert str(report.errors[0]) == "row 2: column '达人ID': empty id"
    assert "first seen at row 1" in str(report.errors[1])
    result = run(["evaluate", book, "-f", "jsonl"])
    assert "sheet 'S': header on sheet row 2; data row N is sheet row N+2" in result.stderr
    assert "rows read 5 = accepted" in result.stderr and "errors 2" in result.stderr
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert kinds.count("decision") == 3 and kinds.count("error") == 2


def test_column_errors_name_the_cell(tmp_path: Path) -> None:
    stray = workbook(
        tmp_path / "stray.xlsx", {"S": [["id", None, "fans"], ["a", None, 1], ["b", "x", 2]]}
    )
    with pytest.raises(
        InputFileError,
        match=r"column B has no header in sheet row 1 but holds "
        r"values \(cell B3: 'x'\)",
    ):
        read_xlsx(stray)
    empty_column = workbook(tmp_path / "ok.xlsx", {"S": [["id", None, "fans"], ["a", None, 1]]})
    assert read_xlsx(empty_column).columns == ["id", "fans"]
    twice = workbook(tmp_path / "twice.xlsx", {"S": [["id", "fans", "fans"], ["a", 1, 2]]})
    with pytest.raises(InputFileError, match="duplicate column headers: 'fans'"):
        read_xlsx(twice)
    blank = workbook(tmp_path / "blank.xlsx", {"S": [["id"]], "empty": []})
    with pytest.raises(InputFileError, match="sheet 'empty' is empty"):
        read_xlsx(blank, sheet="empty")
    assert read_xlsx(blank).shape == (0, 1)  # a header and no rows


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match=r"fake.xlsx is not a readable Excel workbook"):
        read_xlsx(fake)
    with pytest.raises(InputFileError, match="does not exist"):
        read_xlsx(tmp_path / "missing.xlsx")
    result = run(["evaluate", fake], EXIT_INPUT)
    assert "not a readable Excel workbook" in result.stderr


def test_without_the_excel_extra_it_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = workbook(tmp_path / "e.xlsx", {"S": [HEADER, ROWS[0]]})
    monkeypatch.setitem(sys.modules, "fastexcel", None)  # import fastexcel fails
    with pytest.raises(InputFileError, match=r"needs the excel extra: pip install"):
        read_xlsx(book)
    result = run(["evaluate", book], EXIT_INPUT)
    assert EXCEL_INSTALL in result.stderr


def test_the_cli_takes_sheet_on_evaluate_explain_and_columns(tmp_path: Path) -> None:
    book = workbook(tmp_path / "w.xlsx", {"notes": [["x"]], "KOLs": [["标题"], HEADER, *ROWS]})
    table = run(["evaluate", book, "--sheet", "KOLs"])
    assert "red-3" in table.stdout and "header on sheet row 2" in table.stderr
    shown = run(["explain", book, "--sheet", "2", "--id", "red-2", "-f", "json"])
    assert '"followers": 12000' in shown.stdout
    found = run(["columns", book, "--sheet", "KOLs", "--json"])
    assert '"followers": "粉丝数"' in found.stdout
    missing = run(["evaluate", book, "--sheet", "nope"], EXIT_INPUT)
    assert "no sheet named 'nope'" in missing.stderr
    text = tmp_path / "a.csv"
    text.write_text("id,followers\na,1\n", encoding="utf-8")
    not_book = run(["evaluate", text, "--sheet", "1"], EXIT_INPUT)
    assert "read as csv, which has no sheets" in not_book.stderr


def test_a_workbook_on_standard_input(tmp_path: Path) -> None:
    book = workbook(tmp_path / "in.xlsx", {"S": [["导出"], HEADER, *ROWS]})
    result = CliRunner().invoke(
        main,
        ["evaluate", "-", "--input-format", "xlsx", "-f", "jsonl"],
        input=book.read_bytes(),
        catch_exceptions=False,
    )
    assert result.exit_code == EXIT_OK, result.stderr
    assert "header on sheet row 2" in result.stderr
    ids = [json.loads(line).get("id") for line in result.stdout.splitlines()[:-1]]
    assert ids == ["red-1", "red-2", "red-3", "red-4"]


XLS = Path(__file__).resolve().parent / "data" / "red-export.xls"


def test_an_old_xls_workbook_reads_as_the_same_xlsx_does(tmp_path: Path) -> None:
    """``tests/data/red-export.xls`` (Excel 97-2003; written once with xlwt 1.3.0, which
    kolrules does not use: a title, a line, an empty row, then the header and ROWS and a
    row with an unreadable follower count) gives the decisions of the same sheet saved as
    xlsx, byte for byte, every sheet row accounted for."""
    bad = ["red-5", "坏数", "lots", 10, 900, 30, 2, 100]
    titled = [["蒲公英达人导出"], ["导出时间", "2026-11-30"], [], HEADER, *ROWS, bad]
    book = workbook(tmp_path / "export.xlsx", {"达人": titled})
    engine = Engine()
    engine.evaluate_to_file(XLS, tmp_path / "from-xls.csv")
    engine.evaluate_to_file(book, tmp_path / "from-xlsx.csv")
    assert (tmp_path / "from-xls.csv").read_bytes() == (tmp_path / "from-xlsx.csv").read_bytes()
    report = engine.evaluate_file(XLS)
    assert report.rows_read == 5 and [e.row for e in report.errors] == [5]
    assert sheet_header(XLS, None, spellings(engine)).row == 4
    assert "sheet row 4" in run(["evaluate", XLS, "-f", "csv"]).stderr
