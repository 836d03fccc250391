"""Notebooks, Arrow and pandas: a Report and a Decision as HTML (escaped, bounded), a Report
as polars, pandas and Arrow (the csv output's rows and cells, typed), ``evaluate_frame``
on a pyarrow Table and on pandas frames whose missing cells are None, NaN or pd.NA, and
``Decision.to_dict()`` through strict JSON (docs/python-api.md)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hookkit import kind_ruleset

from kolrules import Engine, hookimpl
from kolrules.evaluate import DECISION_COLUMNS, to_pass_text
from kolrules.formats.html_table import HTML_ROWS, VERDICT_COLOURS, decision_html
from kolrules.report import render_json
from kolrules.testing import make_engine, make_profile
from kolrules.types import Applied, DataError, Decision, Report, RowError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "candidates.csv"
SCRIPT = "<script>alert(1)</script>"
HANDLE = '<img src=x onerror="alert(2)">'


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine()


@pytest.fixture(scope="module")
def example(engine: Engine) -> Report:
    return engine.evaluate_file(EXAMPLE)


def write_csv(path: Path, rows: list[Mapping[str, Any]]) -> Path:
    headers = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, headers, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return path


# -- reading HTML back -------------------------------------------------------------------


class Tables(HTMLParser):
    """The tables of an HTML text, each a list of rows of cell texts (entities decoded,
    ``<br>`` as a new line), and every element seen with its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def text_of(html: str) -> str:
    """The text of an HTML fragment, as a reader sees it."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def polars_of(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def body(table: list[list[str]]) -> list[list[str]]:
    return table[1:]  # the first row holds the headers


# -- HTML: a report ----------------------------------------------------------------------


def test_report_html_shows_ruleset_counts_decisions_and_row_errors(example: Report) -> None:
    html = example.to_html()
    assert example._repr_html_() == html
    read = Tables(html)
    decisions, errors = read.tables
    r = example.ruleset
    shown = text_of(html)
    assert f"ruleset {r.name} {r.version} {r.hash[:12]}" in shown
    assert ("code", {"title": f"sha256 {r.hash}"}) in read.elements
    assert str(EXAMPLE) in shown
    assert example.summary_line() in shown
    counts = example.counts
    for word, key in (("accept", "accepted"), ("review", "review"), ("reject", "rejected")):
        assert f"{word} {counts[key]}" in shown

    assert decisions[0] == [
        "row",
        "id",
        "tier",
        "verdict",
        "score",
        "quote",
        "band",
        "position",
        "reasons",
    ]
    assert len(example.decisions) < HTML_ROWS
    rows = body(decisions)
    assert [(int(c[0]), c[1], c[3]) for c in rows] == [
        (d.row, d.id, d.verdict) for d in example.decisions
    ]
    for cells, d in zip(rows, example.decisions, strict=True):
        assert cells[2] == (d.tier or "-")
        assert cells[4] == ("-" if d.score is None else f"{d.score:.1f}")
        said = cells[8].split("\n")
        # Every reason, in order; under each failed rule's message, what it would take.
        expected: list[str] = list(d.reasons[: len(d.reasons) - len(d.said())])
        for f in d.said():
            expected.append(f.message)
            if to_pass_text(f) and f.severity != "info":
                expected.append(f"to pass: {to_pass_text(f)}")
        assert said == (expected or ["-"])
    assert any("to pass: " in c[8] for c in rows)  # the example has such a decision

    assert errors[0] == ["row", "id", "status", "reason"]
    assert [(int(c[0]), c[1], c[2], c[3]) for c in body(errors)] == [
        (e.row, e.id or "-", "error", e.reason) for e in example.errors
    ]
    assert "more decisions" not in shown and "more row errors" not in shown


def test_report_html_colours_each_verdict(example: Report) -> None:
    read = Tables(example.to_html())
    styles = [a.get("style") or "" for tag, a in read.elements if tag == "span"]
    for verdict, (background, colour) in VERDICT_COLOURS.items():
        assert any(background in s and colour in s for s in styles), verdict
    verdicts = {d.verdict for d in example.decisions}
    assert verdicts == {"accept", "review", "reject"}
    # the verdict cells: one coloured span each, in the decision's colours
    html = example.to_html()
    for d in example.decisions:
        background, colour = VERDICT_COLOURS[d.verdict]
        assert f"background:{background};color:{colour}" in html


def test_report_html_is_bounded(engine: Engine) -> None:
    rows = [make_profile(id=f"k{i}") for i in range(HTML_ROWS + 7)]
    rows += [make_profile(id=f"bad{i}", followers="x") for i in range(HTML_ROWS + 3)]
    report = engine.evaluate(rows)
    assert len(report.decisions) == HTML_ROWS + 7 and len(report.errors) == HTML_ROWS + 3

    html = report._repr_html_()
    decisions, errors = Tables(html).tables
    assert [c[1] for c in body(decisions)] == [f"k{i}" for i in range(HTML_ROWS)]
    assert [c[1] for c in body(errors)] == [f"bad{i}" for i in range(HTML_ROWS)]
    shown = text_of(html)
    assert f"… and 7 more decisions (the first {HTML_ROWS} are shown" in shown
    assert f"… and 3 more row errors (the first {HTML_ROWS} are shown" in shown
    assert report.summary_line() in shown  # the counts are the whole report's

    few = report.to_html(rows=2)
    decisions, errors = Tables(few).tables
    assert len(body(decisions)) == 2 and len(body(errors)) == 2
    assert f"… and {HTML_ROWS + 5} more decisions" in text_of(few)
    assert f"… and {HTML_ROWS + 1} more row errors" in text_of(few)

    everything = report.to_html(rows=1000)
    decisions, errors = Tables(everything).tables
    assert len(body(decisions)) == HTML_ROWS + 7 and "more" not in text_of(everything)


def test_report_html_escapes_ids_handles_cells_and_names(engine: Engine, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "<b>export.csv",
        [
            make_profile(id=SCRIPT, handle=HANDLE, avg_views=f"{SCRIPT} views"),
            make_profile(id="k2", handle=SCRIPT, followers=f"<i>{SCRIPT}</i>"),
            make_profile(id=SCRIPT),  # a duplicate: a row error quoting the id
        ],
    )
    report = engine.evaluate_file(source)
    assert [d.id for d in report.decisions] == [SCRIPT]
    assert [e.row for e in report.errors] == [2, 3]
    hostile = attrs.evolve(
        report, ruleset=attrs.evolve(report.ruleset, name="<b>rs</b>", version='1"><x>')
    )
    html = hostile.to_html()
    # No element but those the writer makes: the input's tags are text.
    tags = {tag for tag, _ in Tables(html).elements}
    made = {"div", "b", "code", "span", "table", "caption", "thead", "tbody", "tr", "th", "td"}
    assert tags <= made | {"br"}
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    decisions, errors = Tables(html).tables
    assert body(decisions)[0][1] == SCRIPT  # escaped, it reads as written
    reasons = body(decisions)[0][8]
    assert f"'{SCRIPT} views'" in reasons and reasons.startswith("data error: column")
    assert body(errors)[0][1] == "k2" and f"<i>{SCRIPT}</i>" in body(errors)[0][3]
    assert body(errors)[1][1] == SCRIPT
    shown = text_of(html)
    assert 'ruleset <b>rs</b> 1"><x>' in shown and "<b>export.csv" in shown


def test_report_html_without_decisions(engine: Engine) -> None:
    report = engine.evaluate([make_profile(followers="x")])
    html = report.to_html()
    assert "no profiles were evaluated" in text_of(html)
    [errors] = Tables(html).tables
    assert [c[0] for c in body(errors)] == ["1"]


# -- HTML: a decision --------------------------------------------------------------------


def test_decision_html_shows_verdict_reasons_to_pass_findings(engine: Engine) -> None:
    d = engine.evaluate_one(make_profile(id=SCRIPT, price=90_000, avg_views="lots", posts=3))
    assert d.verdict == "review" and d.data_errors and any(f.to_pass for f in d.said())
    html = d._repr_html_()
    assert html == decision_html(d)
    assert "<script" not in html
    read = Tables(html)
    head, findings, metrics = read.tables
    assert head[0] == [
        "id",
        "platform",
        "row",
        "verdict",
        "tier",
        "score",
        "quote",
        "band",
        "position",
        "CPE",
    ]
    assert head[1][:5] == [SCRIPT, "red", "-", "review", d.tier]
    assert head[1][6] == "90,000" and head[1][8] == "above"
    background, colour = VERDICT_COLOURS["review"]
    assert f"background:{background};color:{colour}" in html
    shown = text_of(html)
    assert f"why: {d.why}" in shown
    for reason in d.reasons:
        assert reason in shown
    for f in d.said():
        if f.severity != "info":
            assert f"to pass: {to_pass_text(f)}" in shown
    assert [c[0] for c in body(findings)] == [f.rule for f in d.findings]
    assert [c[2] for c in body(findings)] == [f.outcome for f in d.findings]
    assert [c[0] for c in body(metrics)] == list(d.metrics)
    assert f"ruleset {d.ruleset.name} {d.ruleset.version} {d.ruleset.hash[:12]}" in shown
    assert "vetting rules applied: " in shown


def test_decision_html_of_an_accept_has_no_reasons_block(engine: Engine) -> None:
    d = engine.evaluate_one(make_profile())
    assert d.verdict == "accept" and not d.reasons
    html = d._repr_html_()
    assert "<b>reasons</b>" not in html
    assert f"background:{VERDICT_COLOURS['accept'][0]}" in html


# -- a Report as polars, pandas and Arrow ------------------------------------------------


def csv_cells(engine: Engine, source: Path) -> list[dict[str, str]]:
    """The csv output format's rows for ``source``, as the CLI writes them."""
    out = io.BytesIO()
    engine.evaluate_to_file(source, out, output_format="csv")
    return list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))


def as_csv_cell(value: Any) -> str:
    """How the csv output writes a value (numbers as kolrules.report._csv_number does)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value == round(value) and abs(value) < 1e15:
            return str(int(value))
        return str(round(value, 6))
    return str(value)


def test_to_polars_is_the_csv_output(engine: Engine, example: Report) -> None:
    frame = example.to_polars()
    assert frame.columns[: len(DECISION_COLUMNS)] == list(DECISION_COLUMNS)
    rules = [f"rule:{r.rule.id}" for r in engine.plan.rules]
    assert frame.columns[len(DECISION_COLUMNS) :] == rules
    assert frame.height == example.rows_read
    assert frame["row"].to_list() == list(range(1, example.rows_read + 1))  # input order
    errors = frame.filter(pl.col("status") == "error")
    assert errors["row"].to_list() == [e.row for e in example.errors]
    assert errors["errors"].to_list() == [e.reason for e in example.errors]
    assert errors["verdict"].to_list() == [None] * len(example.errors)
    numbers = {"score", "quote", "band_min", "band_max", "cpe"}
    for name, dtype in frame.schema.items():
        expected = (
            pl.Int64
            if name == "row"
            else pl.Boolean
            if name == "gifting"
            else pl.Float64
            if name in numbers
            else pl.String
        )
        assert dtype == expected, name

    cells = csv_cells(engine, EXAMPLE)
    assert list(cells[0]) == frame.columns
    assert [{k: as_csv_cell(v) for k, v in row.items()} for row in frame.iter_rows(named=True)] == (
        cells
    )


def test_to_pandas_and_to_arrow_hold_what_to_polars_holds(example: Report) -> None:
    frame = example.to_polars()
    table = example.to_arrow()
    assert isinstance(table, pa.Table)
    assert polars_of(table).equals(frame)
    assert table.schema.field("row").type == pa.int64()
    assert table.schema.field("score").type == pa.float64()
    assert table.schema.field("gifting").type == pa.bool_()
    assert table.schema.field("verdict").type == pa.large_string()

    pdf = example.to_pandas()
    assert isinstance(pdf, pd.DataFrame)
    assert list(pdf.columns) == frame.columns
    assert str(pdf["row"].dtype) == "Int64"
    for name in ("score", "quote", "band_min", "band_max", "cpe"):
        assert str(pdf[name].dtype) == "Float64", name
    assert str(pdf["gifting"].dtype) == "boolean"
    assert all(isinstance(pdf[c].dtype, pd.StringDtype) for c in ("id", "status", "reasons"))
    assert not any(pdf[c].dtype == object for c in pdf.columns)
    for name in frame.columns:
        got = [None if v is pd.NA else v for v in pdf[name].tolist()]
        assert got == frame[name].to_list(), name
    assert pdf.loc[pdf["status"] == "error", "row"].tolist() == [e.row for e in example.errors]


def test_conversions_of_a_report_from_profiles_one_by_one(engine: Engine) -> None:
    report = engine.evaluate(
        [make_profile(id="a"), make_profile(id="a"), make_profile(id="c", price=None)]
    )
    frame = report.to_polars()
    assert frame["row"].to_list() == [1, 2, 3]
    assert frame["status"].to_list() == ["evaluated", "error", "evaluated"]
    assert "duplicate id" in frame["errors"][1]
    assert frame["gifting"].to_list() == [False, None, True]
    pdf = report.to_pandas()
    assert pdf["gifting"].tolist() == [False, pd.NA, True]
    assert report.to_arrow().column("gifting").to_pylist() == [False, None, True]


@pytest.mark.parametrize(
    ("blocked", "call", "needs"),
    [
        ("pandas", "to_pandas", "Report.to_pandas() needs pandas, which is not installed"),
        ("pyarrow", "to_pandas", "Report.to_pandas() needs pyarrow, which is not installed"),
        ("pyarrow", "to_arrow", "Report.to_arrow() needs pyarrow, which is not installed"),
    ],
)
def test_a_missing_extra_names_it(
    example: Report, monkeypatch: pytest.MonkeyPatch, blocked: str, call: str, needs: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # import blocked: as if not installed
    with pytest.raises(ModuleNotFoundError) as caught:
        getattr(example, call)()
    assert str(caught.value) == f"{needs}: pip install 'kolrules[pandas]'"
    assert caught.value.name == blocked
    assert example.to_polars().height == example.rows_read  # polars needs neither


# -- evaluate_frame: a pyarrow Table -----------------------------------------------------


def test_evaluate_frame_takes_a_pyarrow_table(engine: Engine) -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "a", "d", "e"],
            "粉丝数": [12_000.0, 3_000.0, 1.0, float("nan"), None],
            "获赞与收藏": ["5万", "100", "1", "x", "7"],
            "note": ["keep", "me", "too", "!", None],
        }
    )
    table = frame.to_arrow().replace_schema_metadata({"source": "crm"})
    out = engine.evaluate_frame(table)
    assert isinstance(out, pa.Table)
    assert out.num_rows == 5
    assert out.schema.metadata == {b"source": b"crm"}
    # The input's columns as they came, then the decision columns.
    given = out.select(table.column_names)
    assert given.schema.equals(table.schema, check_metadata=True)
    assert polars_of(given).equals(frame)  # NaN kept
    polars_out = engine.evaluate_frame(frame)
    decided = [c for c in polars_out.columns if c not in frame.columns]
    assert out.column_names == [*table.column_names, *decided]
    assert polars_of(out.select(decided)).equals(polars_out.select(decided))
    statuses = ["evaluated", "evaluated", "error", "evaluated", "evaluated"]
    assert out.column("status").to_pylist() == statuses
    errors = out.column("error").to_pylist()
    assert "duplicate id" in errors[2]
    # A NaN in an Arrow float column is missing, as a null is: no data error of its own.
    assert errors[3] == "column '获赞与收藏' 'x': not a number" and errors[4] is None
    reasons = out.column("reasons").to_pylist()
    assert reasons[3] == [f"data error: {errors[3]}", *reasons[4]]
    assert reasons[4] == [
        "no tier for missing followers (missing, or below the lowest tier): check the "
        "follower count"
    ]


def test_evaluate_frame_refuses_other_things(engine: Engine) -> None:
    with pytest.raises(TypeError, match="polars or pandas DataFrame or a pyarrow Table"):
        engine.evaluate_frame([{"id": "a"}])
    with pytest.raises(TypeError, match="got Series"):
        engine.evaluate_frame(pd.Series([1, 2]))
    with pytest.raises(TypeError, match="got ChunkedArray"):
        engine.evaluate_frame(pa.chunked_array([[1, 2]]))


# -- evaluate_frame: pandas' missing values ----------------------------------------------

#: The profiles as a file would give them, None for an empty cell.
AS_TEXT = {
    "id": ["a", "b", "c", "d", "e", "f"],
    "followers": ["20000", "18000", "5000", "3000", "10000", "40000"],
    "total_likes": ["80000", None, None, "100", "1", "160000"],
    "price": [None, "8000", None, None, "1万", "2500"],
    "avg_likes": [None, None, "3", "12", None, "400"],
    "avg_views": ["15000", None, None, None, None, "9000"],
    "category": ["美妆", None, None, None, "x", None],
}


def pandas_frame() -> pd.DataFrame:
    """:data:`AS_TEXT` as pandas holds such data: float NaN in a float column, pd.NA in a
    nullable integer column, and object columns mixing text, numbers, None, NaN, pd.NA
    and pd.NaT."""
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "followers": [20000.0, 18000.0, 5000.0, 3000.0, 10000.0, 40000.0],
            "total_likes": pd.array([80000, None, pd.NA, 100, 1, 160000], dtype="Int64"),
            "price": pd.Series([np.nan, "8000", None, pd.NA, "1万", 2500], dtype=object),
            "avg_likes": pd.Series([None, np.nan, 3.0, "12", pd.NA, 400], dtype=object),
            "avg_views": [15000.0, np.nan, np.nan, None, np.nan, 9000.0],
            "category": pd.Series(["美妆", np.nan, None, pd.NA, "x", pd.NaT], dtype=object),
        }
    )
    frame.index = pd.Index([10, 11, 12, 12, 14, 15])  # the caller's, duplicates and all
    return frame


def test_pandas_frame_as_polars_keeps_every_cell() -> None:
    from kolrules.formats.frames import from_pandas

    converted = from_pandas(pandas_frame())
    assert converted.schema == {
        "id": pl.String,
        "followers": pl.Float64,
        "total_likes": pl.Int64,
        "price": pl.String,  # text and numbers: the numbers as text
        "avg_likes": pl.String,
        "avg_views": pl.Float64,
        "category": pl.String,
    }
    assert converted["price"].to_list() == [None, "8000", None, None, "1万", "2500"]
    assert converted["avg_likes"].to_list() == [None, None, "3", "12", None, "400"]
    assert converted["avg_views"].to_list() == [15000.0, None, None, None, None, 9000.0]
    assert converted["category"].to_list() == AS_TEXT["category"]
    numbers = pd.DataFrame({"n": pd.Series([1, 2.5, None, np.int64(7), 2**70], dtype=object)})
    assert from_pandas(numbers)["n"].to_list() == [1.0, 2.5, None, 7.0, float(2**70)]


def test_pandas_missing_cells_are_missing_never_data_errors(engine: Engine) -> None:
    frame = pandas_frame()
    out = engine.evaluate_frame(frame)
    assert isinstance(out, pd.DataFrame)
    assert out["status"].tolist() == ["evaluated"] * 6
    assert out["error"].isna().all()  # not one data error
    # The same decisions as the text a file would hold, empty cells and all.
    expected = engine.evaluate_frame(pl.DataFrame(AS_TEXT))
    for name in ("verdict", "tier", "score", "band_min", "cpe", "gifting", "price_position"):
        got = [None if pd.isna(v) else v for v in out[name].tolist()]
        assert got == expected[name].to_list(), name
    assert [list(r) for r in out["reasons"]] == expected["reasons"].to_list()
    rules = [c for c in expected.columns if c.startswith("rule:")]
    assert out[rules].values.tolist() == [list(r) for r in expected.select(rules).rows()]
    # and as the one-profile path decides them, a missing cell left out
    singles = [
        engine.evaluate_one({k: v for k, v in zip(AS_TEXT, row, strict=True) if v is not None})
        for row in zip(*AS_TEXT.values(), strict=True)
    ]
    assert out["verdict"].tolist() == [d.verdict for d in singles]
    assert [list(r) for r in out["reasons"]] == [list(d.reasons) for d in singles]


def test_pandas_frame_comes_back_as_given(engine: Engine) -> None:
    frame = pandas_frame()
    before = frame.copy()
    out = engine.evaluate_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # not changed
    assert out.index.tolist() == frame.index.tolist()
    pd.testing.assert_frame_equal(out[list(frame.columns)], frame)
    assert out.columns.tolist()[len(frame.columns) :][:3] == ["status", "error", "verdict"]


def test_pandas_text_that_is_not_a_number_is_still_a_data_error(engine: Engine) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "followers": [20000, 20000, 20000],
            "avg_views": pd.Series(["many", np.nan, 12.5], dtype=object),
            "posts": pd.Series([True, 40, None], dtype=object),
        }
    )
    out = engine.evaluate_frame(frame)
    errors = out["error"].tolist()
    assert "column 'avg_views' 'many': not a number" in errors[0]
    assert "column 'posts' 'True': not a number" in errors[0]
    assert pd.isna(errors[1]) and pd.isna(errors[2])
    # as a bool given one profile at a time is not a number either
    single = engine.evaluate_one({"id": "a", "followers": 20000, "posts": True})
    assert [e.column for e in single.data_errors] == ["posts"]


def test_pandas_number_columns_of_every_kind(engine: Engine) -> None:
    frame = pd.DataFrame(
        {
            "id": pd.array(["a", "b", pd.NA], dtype="string"),
            "followers": pd.array([20000, 20000, 20000], dtype="Int64"),
            "total_likes": pd.array([80000.5, None, 3.0], dtype="Float64"),
            "avg_likes": pd.Series([1e20, 400, None], dtype=object),
        }
    )
    out = engine.evaluate_frame(frame)
    assert out["status"].tolist() == ["evaluated", "evaluated", "error"]  # no id: a row error
    values = {"id": "a", "followers": 20000, "total_likes": 80000.5, "avg_likes": 1e20}
    single = engine.evaluate_one(values, headers=list(frame.columns))
    assert out["verdict"][0] == single.verdict
    assert list(out["reasons"][0]) == list(single.reasons)


# -- Decision.to_dict() through JSON -----------------------------------------------------

#: The keys of ``Decision.to_dict()`` that docs/python-api.md lists.
DOCUMENTED = {
    "": {
        "id",
        "platform",
        "row",
        "verdict",
        "tier",
        "score",
        "price",
        "findings",
        "data_errors",
        "ruleset",
        "metrics",
        "why",
        "score_missing",
        "applied",
    },
    "price": {"quote", "band_min", "band_max", "position", "cpe", "gifting"},
    "finding": {
        "rule",
        "stage",
        "outcome",
        "severity",
        "message",
        "to_pass",
        "superseded_by",
        "seen",
        "thresholds",
    },
    "to_pass": {"name", "now", "op", "need", "part"},
    "data_error": {"column", "value", "reason"},
    "ruleset": {"name", "version", "hash", "chain"},
    "applied": {"rules", "of", "missing", "enough"},
}


def test_the_documented_keys_are_in_the_docs() -> None:
    text = (REPO / "docs" / "python-api.md").read_text(encoding="utf-8")
    section = text[text.index("## `Decision.to_dict()`") :]
    for keys in DOCUMENTED.values():
        for key in keys:
            assert f'"{key}"' in section or f"`{key}`" in section, key


def keys_of(document: dict[str, Any]) -> dict[str, set[str]]:
    finding = document["findings"][0]
    failed = next(f for f in document["findings"] if f["to_pass"])
    return {
        "": set(document),
        "price": set(document["price"]),
        "finding": set(finding),
        "to_pass": set(failed["to_pass"][0]),
        "data_error": set(document["data_errors"][0]),
        "ruleset": set(document["ruleset"]),
        "applied": set(document["applied"]),
    }


def thin_engine(tmp_path: Path) -> Engine:
    """red-default wanting half its vetting rules applied ([verdict] min_applicable)."""
    path = tmp_path / "thin.toml"
    path.write_text(
        '[ruleset]\nname = "thin"\nversion = "1"\nextends = "red-default"\n\n'
        "[verdict]\nmin_applicable = 0.5\n",
        encoding="utf-8",
    )
    return make_engine(path)


def test_to_dict_of_a_full_decision_goes_through_strict_json(tmp_path: Path) -> None:
    engine = thin_engine(tmp_path)
    d = engine.evaluate_one(
        {"id": "k1", "followers": 20000, "posts": 3, "price": 90000, "avg_views": "lots"}
    )
    # every field filled: data errors, failed findings with to_pass, too few rules applied
    assert d.data_errors and d.applied is not None and not d.applied.enough
    assert any(f.to_pass for f in d.failed()) and d.score_missing and d.why
    d = attrs.evolve(d, row=7, ruleset=attrs.evolve(d.ruleset, chain=("a.toml", "b.toml")))
    document = d.to_dict()
    assert keys_of(document) == DOCUMENTED
    text = json.dumps(document, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == document
    assert document["row"] == 7 and document["ruleset"]["chain"] == ["a.toml", "b.toml"]
    applied = d.applied
    assert applied is not None
    assert document["applied"] == {
        "rules": applied.rules,
        "of": applied.of,
        "missing": list(applied.missing),
        "enough": False,
    }
    assert document["data_errors"] == [
        {"column": e.column, "value": e.value, "reason": e.reason} for e in d.data_errors
    ]
    # the json format's decision is this dict
    out = io.StringIO()
    render_json(Report((d,), (), 1, d.ruleset), out)
    assert json.loads(out.getvalue())["decisions"] == [document]


def test_to_dict_writes_non_finite_numbers_as_none() -> None:
    base = make_engine().evaluate_one(make_profile(price=90_000))
    failed = next(f for f in base.findings if f.to_pass)
    nan, inf = float("nan"), float("inf")
    odd = attrs.evolve(
        failed,
        seen={**failed.seen, "x": nan, "nested": [1.0, -inf, {"y": nan}]},
        thresholds={"limit": inf},
        to_pass=(attrs.evolve(failed.to_pass[0], now=inf, need=nan),),  # type: ignore[index]
    )
    d = attrs.evolve(
        base,
        score=nan,
        price=attrs.evolve(base.price, cpe=inf, quote=-inf),
        metrics={**base.metrics, "ratio": nan, "text": "ok", "flag": True},
        findings=(odd, *base.findings),
    )
    document = d.to_dict()
    json.dumps(document, allow_nan=False)  # raises on NaN or infinity
    assert document["score"] is None
    assert document["price"]["cpe"] is None and document["price"]["quote"] is None
    assert document["metrics"]["ratio"] is None
    assert document["metrics"]["text"] == "ok" and document["metrics"]["flag"] is True
    first = document["findings"][0]
    assert first["seen"]["x"] is None and first["seen"]["nested"] == [1.0, None, {"y": None}]
    assert first["thresholds"] == {"limit": None}
    assert first["to_pass"][0]["now"] is None and first["to_pass"][0]["need"] is None
    assert document["findings"][1:] == base.to_dict()["findings"]
    # the decision itself is not changed
    assert d.price.cpe == inf and math.isnan(d.metrics["ratio"])  # type: ignore[arg-type]


def test_to_dict_of_read_only_mappings() -> None:
    from types import MappingProxyType

    base = make_engine().evaluate_one(make_profile())
    d = attrs.evolve(base, metrics=MappingProxyType({"a": 1.0, "b": float("nan")}))
    document = d.to_dict()
    assert document["metrics"] == {"a": 1.0, "b": None}
    assert json.loads(json.dumps(document, allow_nan=False)) == document


class InfiniteMetric:
    """Derives ``handle_length`` as infinity: a plugin's metric need not be finite."""

    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame) -> pl.DataFrame:
        inf = pl.repeat(math.inf, pl.len(), dtype=pl.Float64)
        return frame.select(inf.alias("handle_length"))

    @hookimpl
    def kolrules_profile_derive(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        return {"handle_length": math.inf}


def test_a_plugins_infinite_metric_in_to_dict_and_json(tmp_path: Path) -> None:
    rule = 'require = "handle_length <= 10"\nmessage = "handle of {handle_length:.0f} letters"\n'
    engine = make_engine(kind_ruleset(tmp_path, rule, "derived"), [InfiniteMetric()])
    d = engine.evaluate_one(make_profile(id="k1"))
    assert d.metrics["handle_length"] == math.inf
    failed = next(f for f in d.findings if f.rule == "enough-posts")
    assert failed.outcome == "fail" and failed.seen == {"handle_length": math.inf}
    document = d.to_dict()
    assert document["metrics"]["handle_length"] is None
    finding = next(f for f in document["findings"] if f["rule"] == "enough-posts")
    assert finding["seen"] == {"handle_length": None}
    assert finding["to_pass"] == [
        {"name": "handle_length", "now": None, "op": "<=", "need": 10.0, "part": 0}
    ]
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    # The json format, streamed from the columnar path, writes the same.
    source = write_csv(tmp_path / "k.csv", [make_profile(id="k1")])
    out = io.BytesIO()
    engine.evaluate_to_file(source, out, output_format="json")
    [streamed] = json.loads(out.getvalue())["decisions"]
    assert streamed == {**document, "row": 1}
    # and the HTML says it as the messages do
    assert "handle of inf letters" in text_of(d._repr_html_())


def test_every_decision_of_a_file_goes_through_strict_json(example: Report) -> None:
    for d in example.decisions:
        document = d.to_dict()
        assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert re.fullmatch(r"[0-9a-f]{64}", example.decisions[0].to_dict()["ruleset"]["hash"])


def test_row_errors_and_applied_render(tmp_path: Path) -> None:
    d = thin_engine(tmp_path).evaluate_one({"id": "k1", "followers": 20000})
    assert isinstance(d.applied, Applied) and not d.applied.enough
    assert d.applied.note in text_of(d._repr_html_())
    report = Report(
        (d,),
        (RowError(2, None, (DataError("粉丝数", "<x>", "not a number"),)),),
        2,
        d.ruleset,
    )
    [decisions, errors] = Tables(report.to_html()).tables
    assert d.applied.note in body(decisions)[0][8].split("\n")
    assert body(errors) == [["2", "-", "error", "column '粉丝数' '<x>': not a number"]]
    assert isinstance(report.decisions[0], Decision)
