"""Literal expectations for kolrules.report, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): how the table and the explanation lay out long text, narrow
widths and colour, and the JSON and csv text of values of other kinds."""

from __future__ import annotations

import datetime
import io

import polars as pl
import pytest

from kolrules.report import jsonable, render_explanation, render_table, write_csv
from kolrules.types import (
    DataError,
    Decision,
    Finding,
    PriceAssessment,
    Report,
    RowError,
    RulesetRef,
)

RULESET = RulesetRef(name="r", version="1", hash="0123456789abcdef", chain=())
PRICE = PriceAssessment(
    quote=1234567.0, band_min=2000.0, band_max=None, position="above", cpe=None, gifting=False
)
LINK = "https://example.com/" + "a" * 110  # one word longer than any column


def _decision(*findings: Finding, errors: tuple[DataError, ...] = (), **kw: object) -> Decision:
    return Decision(
        id="zoe",
        platform="red",
        row=1,
        verdict="review",
        tier="mid",
        score=55.5,
        price=PRICE,
        findings=findings,
        data_errors=errors,
        ruleset=RULESET,
        **kw,  # type: ignore[arg-type]
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Writer:
    """A stream with ``write`` only (no ``isatty``): not a terminal."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)


# -- the table ---------------------------------------------------------------------------


def test_long_words_fold_in_the_reasons_and_the_row_errors() -> None:
    decision = _decision(
        Finding("link", "quality", "fail", "warn", "bad link " + LINK),
        errors=(DataError("likes", "x", "not a number"), DataError("posts", "y", "not a number")),
    )
    error = RowError(row=2, id="e", errors=(DataError("bio", None, "bad " + LINK),))
    out = io.StringIO()
    render_table(Report(decisions=(decision,), errors=(error,), rows_read=2, ruleset=RULESET), out)
    pad = " " * 56
    assert out.getvalue().split("\n") == [
        "ruleset r 1",
        "id   tier  verdict  score      quote    band  position  reasons",
        "─" * 100,
        "zoe  mid   review    55.5  1,234,567  ≥2,000  above     "
        "data error: column 'likes' 'x': not a number",
        pad + "data error: column 'posts' 'y': not a number",
        pad + "bad link",
        pad + "https://example.com/" + "a" * 24,
        pad + "a" * 44,
        pad + "a" * 42,
        "",
        "rows not evaluated",
        "row  id  reason",
        "─" * 100,
        "  2  e   column 'bio': bad",
        "         https://example.com/" + "a" * 71,
        "         " + "a" * 39,
        "",
        "rows read 2 = accepted 0 + review 1 + rejected 0 + errors 1",
        "",
    ]


def test_a_long_heading_wraps_at_the_width() -> None:
    report = Report(
        decisions=(), errors=(), rows_read=0, ruleset=RULESET, source="/in/" + "d" * 120 + ".csv"
    )
    out = io.StringIO()
    render_table(report, out)
    assert out.getvalue().split("\n")[:3] == [
        "ruleset r 1 ·",
        "/in/" + "d" * 96,
        "d" * 24 + ".csv",
    ]


def test_on_a_narrow_width_the_reasons_give_way_and_the_figures_stay_whole() -> None:
    decision = _decision(Finding("few", "quality", "fail", "warn", "few likes here"))
    out = io.StringIO()
    render_table(
        Report(decisions=(decision,), errors=(), rows_read=1, ruleset=RULESET), out, width=60
    )
    lines = out.getvalue().split("\n")
    assert lines[1:5] == [
        " " * 56 + "reas",
        "id   tier  verdict  score      quote    band  position  ons",
        "─" * 60,
        "zoe  mid   review    55.5  1,234,567  ≥2,000  above     few",
    ]


def test_on_a_narrow_width_a_row_number_stays_whole() -> None:
    error = RowError(row=123456, id="someone", errors=(DataError("bio", None, "a reason"),))
    out = io.StringIO()
    render_table(Report(decisions=(), errors=(error,), rows_read=1, ruleset=RULESET), out, width=22)
    assert out.getvalue().split("\n")[5:10] == [
        "   row  id     reason",
        "─" * 22,
        "123456  someo  column",
        "        ne     'bio':",
        "               a",
    ]


def test_off_a_terminal_there_is_no_colour_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _plain_terminal(monkeypatch)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    report = Report(decisions=(_decision(),), errors=(), rows_read=1, ruleset=RULESET)
    for out in (io.StringIO(), _Writer()):
        render_table(report, out)  # type: ignore[arg-type]
        text = out.getvalue() if isinstance(out, io.StringIO) else out.text
        assert "\x1b[" not in text
        assert text.split("\n")[2] == "─" * 63


# -- the explanation -------------------------------------------------------------------


def test_the_explanation_folds_long_words_and_keeps_a_superseded_message() -> None:
    decision = _decision(
        Finding("link", "quality", "fail", "warn", "bad link " + LINK),
        Finding("few", "quality", "fail", "warn", "few likes", superseded_by="link"),
    )
    out = io.StringIO()
    render_explanation(decision, out)
    lines = [line.rstrip() for line in out.getvalue().split("\n")]
    start = lines.index("findings")

    def row(rule: str, text: str) -> str:
        return f"│ {rule:<4} │ {'quality' if rule else '':<7} │ {'fail' if rule else '':<7} │ " + (
            f"{'warn' if rule else '':<8} │ {text:<78} │"
        )

    assert lines[start + 4 : start + 9] == [
        row("link", "bad link"),
        row("", "https://example.com/" + "a" * 58),
        row("", "a" * 52),
        row("few", "few likes"),
        row("", "(said by link: not repeated among the reasons)"),
    ]


def test_the_explanation_shows_what_a_failed_rule_saw_and_compared_with() -> None:
    seen = {"likes": 1500.0, "tier": "mid"}
    decision = _decision(
        Finding(
            "few",
            "quality",
            "fail",
            "warn",
            "few likes",
            seen=seen,
            thresholds={"m": 2e3, "n": 5.0},
        ),
        Finding("odd", "quality", "fail", "warn", "odd", seen={"posts": 3.0}),
    )
    out = io.StringIO()
    render_explanation(decision, out)
    lines = [line.rstrip() for line in out.getvalue().split("\n")]
    start = lines.index("findings")
    said = "seen: likes = 1,500; tier = mid · thresholds: m = 2,000; n = 5"  # the widest
    rule = "│ {:<4} │ quality │ fail    │ warn     │ "
    blank = "│      │         │         │          │ "
    assert lines[start + 4 : start + 8] == [
        rule.format("few") + f"{'few likes':<{len(said)}} │",
        blank + said + " │",
        rule.format("odd") + f"{'odd':<{len(said)}} │",
        blank + f"{'seen: posts = 3':<{len(said)}} │",
    ]


def test_on_a_terminal_the_explanation_colours_only_what_it_marks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _plain_terminal(monkeypatch)
    decision = _decision(
        Finding("na", "quality", "not_applicable", "warn", "n/a"), metrics={"er": 0.5}
    )
    out = _Terminal()
    render_explanation(decision, out)
    lines = out.getvalue().split("\n")
    bold, italic, dim, end = "\x1b[1m", "\x1b[3m", "\x1b[2m", "\x1b[0m"
    assert lines[0] == f"{bold}zoe{end} (red): verdict {bold}review{end}, tier mid, score 55.5"
    findings = lines.index(f"{italic}findings" + " " * 73 + end)
    assert lines[findings + 4] == (
        f"│ na   │ quality │ {dim}not_applicable{end} │ warn     │ n/a" + " " * 30 + "│"
    )
    assert f"{italic}metrics           {end}" in lines
    assert "│ er     │   0.5 │" in lines


# -- values as JSON and csv text ----------------------------------------------------------


def test_a_value_of_another_kind_is_written_as_its_text() -> None:
    assert jsonable(datetime.date(2024, 1, 2)) == "2024-01-02"
    assert jsonable({"on": datetime.date(2024, 1, 2)}) == {"on": "2024-01-02"}


def test_csv_numbers_are_rounded_to_six_decimals() -> None:
    out = io.BytesIO()
    write_csv(pl.DataFrame({"score": [0.12345678, 2.5, 3.0]}), out)
    assert out.getvalue() == b"score\n0.123457\n2.5\n3\n"


def test_a_reports_frame_has_the_dtypes_of_a_decision_frame() -> None:
    from kolrules.report import frame_of
    from kolrules.types import ToPass

    need = (ToPass("likes", 3.0, ">=", 10.0),)
    decision = _decision(Finding("few", "quality", "fail", "warn", "few likes", need))
    error = RowError(row=2, id="e", errors=(DataError("bio", None, "too long"),))
    frame = frame_of(Report(decisions=(decision,), errors=(error,), rows_read=2, ruleset=RULESET))
    numbers = ("score", "quote", "band_min", "band_max", "cpe")
    texts = ("id", "platform", "status", "verdict", "tier", "position", "reasons", "to_pass")
    assert dict(frame.schema) == {
        "row": pl.Int64,
        "gifting": pl.Boolean,
        **dict.fromkeys(numbers, pl.Float64),
        **dict.fromkeys((*texts, "errors", "rule:few"), pl.String),
    }
    assert frame.to_dicts() == [
        {
            "row": 1,
            "id": "zoe",
            "platform": "red",
            "status": "evaluated",
            "verdict": "review",
            "tier": "mid",
            "score": 55.5,
            "quote": 1234567.0,
            "band_min": 2000.0,
            "band_max": None,
            "position": "above",
            "cpe": None,
            "gifting": False,
            "reasons": "few likes",
            "to_pass": "few: likes at least 10 (now 3)",
            "errors": None,
            "rule:few": "fail",
        },
        {
            "row": 2,
            "id": "e",
            "status": "error",
            "errors": "column 'bio': too long",
            **dict.fromkeys(("platform", "verdict", "tier", "position", "reasons"), None),
            **dict.fromkeys(("to_pass", "rule:few", "gifting", *numbers), None),
        },
    ]
