"""The ``xlsx`` format: a run's decisions as an Excel workbook, written batch by batch.

Four sheets:

- **Decisions**: one row per evaluated input row, in input order, with every column of
  the decision frames (the ``csv`` format's, :data:`kolrules.evaluate.DECISION_COLUMNS`,
  then a ``rule:<id>`` column per rule, then any other column the frames carry). The
  verdict is coloured, the header frozen and filtered, money and follower counts have
  number formats, and ``reasons``, ``to_pass`` and ``errors`` hold one message a line.
- **Errors**: the rows not evaluated, with their row numbers and reasons.
- **Summary**: the input, the ruleset (name, version, hash, chain of files), the counts
  by verdict, and by tier and verdict.
- **Rules**: each rule (id, stage, severity, description) and how many KOLs it failed,
  passed, or was not applied to.

Text is written as text (never read as a formula, a number or a link), and a cell a
spreadsheet would run as a formula is neutralised as in the ``csv`` format
(:func:`kolrules.formats.neutralise`). The workbook is written with xlsxwriter in its
constant-memory mode (each sheet's rows go to a temporary file as they come), so a run of
a million rows stays in bounded memory. xlsxwriter is the optional extra ``excel``
(``pip install 'kolrules[excel]'``).
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from kolrules.errors import InputFileError
from kolrules.evaluate import DECISION_COLUMNS, JOIN
from kolrules.formats.formulas import neutralise, safe_cell
from kolrules.formats.stream import StreamedRun
from kolrules.types import Report, Reporter

if TYPE_CHECKING:
    import polars as pl

    from kolrules.ruleset import Rule

__all__ = [
    "EXCEL_EXTRA",
    "MAX_ROWS",
    "SHEETS",
    "XLSX",
    "require_xlsxwriter",
    "write_xlsx_batches",
]

#: What installs the Excel writer (and reader) with kolrules.
EXCEL_EXTRA = "pip install 'kolrules[excel]'"
#: The sheets of the workbook, in tab order.
SHEETS = ("Decisions", "Errors", "Summary", "Rules")
#: The data rows an Excel sheet holds below its header row (Excel's limit is 1,048,576).
MAX_ROWS = 1_048_575

#: The fill of a verdict's cell.
VERDICT_COLOURS = {
    "accept": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "review": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "reject": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
#: Columns shown in RMB: whole yuan, and CPE (yuan per engagement) to the fen.
_RMB = {"quote": '"¥"#,##0', "band_min": '"¥"#,##0', "band_max": '"¥"#,##0'}
_RMB_FINE = {"cpe": '"¥"#,##0.00'}
#: A number column whose name holds one of these is a count of people: ``#,##0``.
_COUNT_WORDS = ("follower", "fans", "粉丝", "likes", "点赞")
#: Columns whose cells hold several messages: one a line, wrapped.
_MULTILINE = frozenset({"reasons", "to_pass", "errors"})
#: Column widths (in characters) on the Decisions sheet; other columns fit their header.
_WIDTHS = {
    "row": 8,
    "id": 18,
    "platform": 10,
    "status": 10,
    "verdict": 9,
    "tier": 11,
    "score": 7,
    "quote": 12,
    "band_min": 12,
    "band_max": 12,
    "position": 10,
    "cpe": 10,
    "gifting": 8,
    "reasons": 60,
    "to_pass": 50,
    "errors": 40,
}


def require_xlsxwriter() -> Any:
    """The ``xlsxwriter`` module; :class:`ModuleNotFoundError` naming the extra to install
    when it is missing."""
    try:
        import xlsxwriter
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"the xlsx format needs xlsxwriter, which is not installed: {EXCEL_EXTRA}",
            name="xlsxwriter",
        ) from exc
    return xlsxwriter


def _render(report: Report, stream: IO[str]) -> None:
    raise TypeError(
        "the xlsx format is a binary workbook written as a run is evaluated: call "
        "kolrules.Engine.evaluate_to_file(source, 'decisions.xlsx', output_format='xlsx'), "
        "or kolrules evaluate INPUT -o decisions.xlsx"
    )


def _multiline(text: str) -> str:
    """Several messages joined by :data:`kolrules.evaluate.JOIN`, one a line."""
    return text.replace(JOIN, "\n")


class _Book:
    """The workbook being written: its formats and sheets, and what the Summary and Rules
    sheets count as the batches come."""

    def __init__(self, xlsxwriter: Any, stream: IO[bytes], tmpdir: str) -> None:
        self.book = xlsxwriter.Workbook(
            stream,
            {
                "constant_memory": True,
                "tmpdir": tmpdir,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                # a sheet of a million rows is ~2 GB of XML before it is zipped; with
                # more columns it can pass the 4 GB a plain zip entry holds (zip64 is
                # used only for an entry that needs it)
                "use_zip64": True,
            },
        )
        book = self.book
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "valign": "top"}
        )
        self.top = book.add_format({"valign": "top"})
        self.wrap = book.add_format({"valign": "top", "text_wrap": True})
        self.bold = book.add_format({"bold": True, "valign": "top"})
        self.verdicts = {
            v: book.add_format({"valign": "top", **colours})
            for v, colours in VERDICT_COLOURS.items()
        }
        self.numbers: dict[str, Any] = {}
        self.sheets = {name: book.add_worksheet(name) for name in SHEETS}
        self.tiers: dict[tuple[str | None, str], int] = {}
        self.outcomes: dict[str, dict[str, int]] = {}

    def number_format(self, pattern: str) -> Any:
        if pattern not in self.numbers:
            self.numbers[pattern] = self.book.add_format({"valign": "top", "num_format": pattern})
        return self.numbers[pattern]

    def close(self) -> None:
        self.book.close()

    def abandon(self) -> None:
        """Close the sheets' temporary files after a failure (the directory holding them
        is removed by the caller); nothing is written to the stream."""
        for sheet in self.sheets.values():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()


Cell = Callable[[int, int, Any], None]


def _cell_writers(book: _Book, sheet: Any, schema: pl.Schema) -> list[Cell]:
    """A function per column writing one of its cells as its type says: numbers as
    numbers (with the column's number format), ``gifting`` as a boolean, the verdict
    coloured, any other value as text."""
    import polars as pl

    writers: list[Cell] = []
    for name, dtype in schema.items():
        if dtype.is_numeric():
            pattern = _RMB.get(name) or _RMB_FINE.get(name)
            if pattern is None and name == "score":
                pattern = "0.0"
            if pattern is None and any(w in name.casefold() for w in _COUNT_WORDS):
                pattern = "#,##0"
            writers.append(_number(sheet, book.number_format(pattern) if pattern else book.top))
        elif dtype == pl.Boolean:
            writers.append(_boolean(sheet, book.top))
        elif name == "verdict":
            writers.append(_verdict(sheet, book.verdicts, book.top))
        elif name in _MULTILINE:
            writers.append(_text(sheet, book.wrap, _multiline))
        else:
            writers.append(_text(sheet, book.top, None))
    return writers


def _number(sheet: Any, fmt: Any) -> Cell:
    def write(row: int, col: int, value: Any) -> None:
        if value is not None and math.isfinite(value):
            sheet.write_number(row, col, value, fmt)

    return write


def _boolean(sheet: Any, fmt: Any) -> Cell:
    def write(row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_boolean(row, col, value, fmt)

    return write


def _verdict(sheet: Any, formats: dict[str, Any], fallback: Any) -> Cell:
    def write(row: int, col: int, value: Any) -> None:
        if value is not None:
            sheet.write_string(row, col, value, formats.get(value, fallback))

    return write


def _text(sheet: Any, fmt: Any, shape: Callable[[str], str] | None) -> Cell:
    def write(row: int, col: int, value: Any) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else str(value)
        if text:
            sheet.write_string(row, col, shape(text) if shape else text, fmt)

    return write


def _header(book: _Book, sheet: Any, names: Sequence[str], widths: Mapping[str, float]) -> None:
    for col, name in enumerate(names):
        sheet.write_string(0, col, safe_cell(name), book.header)
        width = widths.get(name) or min(max(len(name) + 2, 10), 30)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)


def write_xlsx_batches(frames: Iterable[pl.DataFrame], stream: IO[bytes]) -> None:
    """The ``xlsx`` format (``frames`` is a :class:`~kolrules.formats.StreamedRun`): the
    Decisions and Errors sheets written batch by batch as the run is evaluated, the
    Summary and Rules sheets once it is done; the workbook goes to the binary ``stream``
    when it is closed. Text cells are neutralised (:func:`kolrules.formats.neutralise`)
    unless the run is ``raw``."""
    if not isinstance(frames, StreamedRun):
        raise TypeError(
            "the xlsx format streams a run evaluated by kolrules.Engine.evaluate_to_file "
            f"(a kolrules.formats.StreamedRun), not {type(frames).__name__}"
        )
    given: object = stream  # a caller may hand a text stream over, whatever the type says
    if isinstance(given, io.TextIOBase):
        raise TypeError("the xlsx format writes a binary workbook: give it a binary stream")
    xlsxwriter = require_xlsxwriter()
    with tempfile.TemporaryDirectory(prefix="kolrules-xlsx-") as tmpdir:
        book = _Book(xlsxwriter, stream, tmpdir)
        try:
            _write(book, frames)
        except BaseException:
            book.abandon()
            raise
        book.close()


def _write(book: _Book, run: StreamedRun) -> None:
    import polars as pl

    decisions, errors = book.sheets["Decisions"], book.sheets["Errors"]
    _header(book, errors, ["row", "id", "reasons"], {"row": 8, "id": 18, "reasons": 80})
    columns: list[str] | None = None
    writers: list[Cell] = []
    row = error_row = 0
    for frame in run:
        if columns is None:
            columns = frame.columns
            _header(book, decisions, columns, _WIDTHS)
            writers = _cell_writers(book, decisions, frame.schema)
        shown = frame.select(columns) if run.raw else neutralise(frame.select(columns))
        evaluated = pl.col("status") == "evaluated"
        kept = shown.filter(evaluated)
        _count(book, kept)
        if row + kept.height > MAX_ROWS:
            raise InputFileError(
                f"more than {MAX_ROWS:,} rows were evaluated, more than an Excel sheet holds: "
                "write csv, json or jsonl (-o decisions.csv)"
            )
        for values in kept.iter_rows():
            row += 1
            for col, (write, value) in enumerate(zip(writers, values, strict=True)):
                write(row, col, value)
        for at, pid, reasons in (
            shown.filter(evaluated.not_()).select("row", "id", "errors").iter_rows()
        ):
            error_row += 1
            errors.write_number(error_row, 0, at, book.top)
            if pid is not None:
                errors.write_string(error_row, 1, pid, book.top)
            if reasons:
                errors.write_string(error_row, 2, _multiline(reasons), book.wrap)
    if columns is None:  # no row at all: the header still says what a row would hold
        columns = [*DECISION_COLUMNS, *(f"rule:{r.id}" for r in run.rules)]
        _header(book, decisions, columns, _WIDTHS)
    decisions.autofilter(0, 0, row, len(columns) - 1)
    errors.autofilter(0, 0, error_row, 2)
    _summary(book, run, row, error_row)
    _rules(book, run, columns)


def _count(book: _Book, evaluated: pl.DataFrame) -> None:
    """Add a batch's evaluated rows to the counts by tier and verdict and to each rule's
    counts of outcomes."""
    import polars as pl

    for tier, verdict, n in evaluated.group_by("tier", "verdict").len().iter_rows():
        book.tiers[tier, verdict] = book.tiers.get((tier, verdict), 0) + n
    rules = [c for c in evaluated.columns if c.startswith("rule:")]
    if not rules or not evaluated.height:
        return
    outcomes = ("fail", "pass", "not_applicable")
    totals = evaluated.select(
        (pl.col(c) == o).sum().alias(f"{o}\0{c}") for c in rules for o in outcomes
    ).row(0)
    for i, c in enumerate(rules):
        counts = book.outcomes.setdefault(c.removeprefix("rule:"), dict.fromkeys(outcomes, 0))
        for j, o in enumerate(outcomes):
            counts[o] += int(totals[i * len(outcomes) + j] or 0)


def _summary(book: _Book, run: StreamedRun, decisions: int, errors: int) -> None:
    sheet = book.sheets["Summary"]
    summary = run.summary()
    ruleset = run.ruleset
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 5, 12)
    lines: list[tuple[str, str | int]] = [
        ("input", run.source or "-"),
        ("ruleset", ruleset.name),
        ("version", ruleset.version),
        ("hash", ruleset.hash),
    ]
    lines += [("file" if i else "chain of files", f) for i, f in enumerate(ruleset.chain)]
    lines += [("rows read", summary.rows_read)]
    lines += list(summary.counts.items())
    row = 0
    sheet.write_string(row, 0, "kolrules decisions", book.bold)
    for label, value in lines:
        row += 1
        sheet.write_string(row, 0, label, book.bold)
        if isinstance(value, int):
            sheet.write_number(row, 1, value, book.number_format("#,##0"))
        else:
            sheet.write_string(row, 1, safe_cell(value), book.top)
    row += 2
    verdicts = ("accept", "review", "reject")
    for col, label in enumerate(("tier", *verdicts, "total")):
        sheet.write_string(row, col, label, book.header)
    tiers = sorted({t for t, _ in book.tiers}, key=lambda t: (t is None, t or ""))
    for tier in tiers:
        row += 1
        sheet.write_string(row, 0, safe_cell(tier) if tier is not None else "(no tier)", book.top)
        counts = [book.tiers.get((tier, v), 0) for v in verdicts]
        for col, n in enumerate([*counts, sum(counts)], 1):
            fmt = book.verdicts[verdicts[col - 1]] if col <= 3 and n else book.top
            sheet.write_number(row, col, n, fmt)


def _rules(book: _Book, run: StreamedRun, columns: Sequence[str]) -> None:
    sheet = book.sheets["Rules"]
    names = ["rule", "stage", "severity", "description", "failed", "passed", "not_applicable"]
    widths = {"rule": 24, "stage": 8, "severity": 9, "description": 70, "not_applicable": 15}
    _header(book, sheet, names, widths)
    known: dict[str, Rule | None] = {r.id: r for r in run.rules}
    for c in columns:  # a rule column with no rule given (a plugin's StreamedRun)
        if c.startswith("rule:"):
            known.setdefault(c.removeprefix("rule:"), None)
    count = book.number_format("#,##0")
    row = 0
    for rule_id, rule in known.items():
        row += 1
        sheet.write_string(row, 0, safe_cell(rule_id), book.top)
        if rule is not None:
            sheet.write_string(row, 1, safe_cell(rule.stage), book.top)
            sheet.write_string(row, 2, safe_cell(rule.severity), book.top)
            described = rule.description or rule.message or ""
            if described:
                sheet.write_string(row, 3, safe_cell(described), book.wrap)
        counts = book.outcomes.get(rule_id, {})
        for col, outcome in enumerate(("fail", "pass", "not_applicable"), 4):
            sheet.write_number(row, col, counts.get(outcome, 0), count)
    sheet.autofilter(0, 0, row, len(names) - 1)


#: An Excel workbook: Decisions, Errors, Summary and Rules sheets.
XLSX = Reporter(
    name="xlsx",
    extension=".xlsx",
    render=_render,
    description="An Excel workbook: Decisions, Errors, Summary and Rules sheets (kolrules[excel])",
    write_batches=write_xlsx_batches,
)
