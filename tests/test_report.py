"""The report step: the Report's counts and the four built-in reporters."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from kolrules.report import (
    CSV,
    CSV_COLUMNS,
    JSON,
    JSONL,
    TABLE,
    Report,
    kolrules_reporters_register,
    render_table,
)
from kolrules.types import (
    DataError,
    Decision,
    Finding,
    PriceAssessment,
    Reporter,
    RowError,
    RulesetRef,
    Severity,
    Verdict,
)

RULESET = RulesetRef(name="red-default", version="1.2", hash="ab" * 32)


def finding(
    rule: str, outcome: str = "pass", severity: Severity = "reject", message: str = ""
) -> Finding:
    return Finding(
        rule=rule,
        stage="vet",
        outcome=outcome,  # type: ignore[arg-type]
        severity=severity,
        message=message or f"{rule} {outcome}",
    )


def decision(
    id: str,
    row: int | None,
    verdict: Verdict = "accept",
    *,
    findings: tuple[Finding, ...] = (),
    score: float | None = 71.25,
    quote: float | None = 12000.0,
    band: tuple[float | None, float | None] = (8000.0, 15000.0),
    position: Any = "within",
    tier: str | None = "腰部",
    data_errors: tuple[DataError, ...] = (),
    metrics: dict[str, Any] | None = None,
) -> Decision:
    return Decision(
        id=id,
        platform="red",
        row=row,
        verdict=verdict,
        tier=tier,
        score=score,
        price=PriceAssessment(
            quote=quote,
            band_min=band[0],
            band_max=band[1],
            position=None if quote is None else position,
            cpe=None if quote is None else 2.5,
            gifting=quote is None,
        ),
        findings=findings,
        data_errors=data_errors,
        ruleset=RULESET,
        metrics=metrics or {},
    )


def row_error(row: int, id: str | None, *errors: DataError) -> RowError:
    return RowError(row=row, id=id, errors=errors or (DataError("粉丝数", "abc", "not a number"),))


@pytest.fixture
def report() -> Report:
    """Rows 1..6: two errors interleaved with four decisions, one of each verdict."""
    decisions = (
        decision(
            "小红薯A",
            1,
            findings=(finding("min_followers"), finding("fake_fans", "not_applicable")),
            metrics={"engagement_rate": 0.0421, "ratio": float("nan")},
        ),
        decision(
            "kol-2",
            3,
            "review",
            findings=(
                finding("min_followers"),
                finding("price_band", "fail", "review", "报价高于区间 above the band"),
                finding("er_floor", "fail", "warn", "low engagement"),
            ),
            position="above",
            quote=30000.0,
        ),
        decision(
            "kol-3",
            4,
            "reject",
            findings=(
                finding("min_followers", "fail", "reject", "too few followers"),
                finding("price_band", "fail", "review", "above band"),
                finding("brand_safety", "fail", "reject", "flagged words"),
                finding("er_floor", "fail", "warn", "low engagement"),
            ),
            score=12.0,
        ),
        decision("kol-6", 6, "accept", quote=None, findings=(finding("min_followers"),)),
    )
    errors = (
        row_error(2, "bad-2"),
        row_error(
            5,
            None,
            DataError("报价", "12k?", "not a number"),
            DataError("id", None, "missing"),
        ),
    )
    return Report(decisions, errors, rows_read=6, ruleset=RULESET, source="kols.csv")


def render(reporter: Reporter, report: Report) -> str:
    stream = io.StringIO()
    reporter.render(report, stream)
    return stream.getvalue()


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def test_counts_and_summary_line(report: Report) -> None:
    assert report.counts == {"accepted": 2, "review": 1, "rejected": 1, "errors": 2}
    assert report.summary_line() == "rows read 6 = accepted 2 + review 1 + rejected 1 + errors 2"
    assert report.accounted()


def test_summary_line_exact_wording() -> None:
    decisions = (
        *(decision(f"a{i}", i, "accept") for i in range(20)),
        *(decision(f"r{i}", 100 + i, "review") for i in range(11)),
        *(decision(f"x{i}", 200 + i, "reject") for i in range(5)),
    )
    errors = tuple(row_error(300 + i, None) for i in range(4))
    report = Report(decisions, errors, rows_read=40, ruleset=RULESET)
    assert report.summary_line() == "rows read 40 = accepted 20 + review 11 + rejected 5 + errors 4"
    assert report.accounted()


def test_accounted_detects_a_lost_row(report: Report) -> None:
    lost = Report(report.decisions, report.errors, rows_read=7, ruleset=RULESET)
    assert not lost.accounted()


def test_in_row_order_merges_by_row(report: Report) -> None:
    rows = [entry.row for entry in report.in_row_order()]
    assert rows == [1, 2, 3, 4, 5, 6]


def test_report_is_frozen(report: Report) -> None:
    with pytest.raises(AttributeError):
        report.rows_read = 3  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# json
# --------------------------------------------------------------------------------------


def test_json(report: Report) -> None:
    text = render(JSON, report)
    assert "小红薯A" in text  # not \u-escaped
    document = json.loads(text)
    assert document["ruleset"] == {
        "name": "red-default",
        "version": "1.2",
        "hash": "ab" * 32,
        "chain": [],
    }
    assert document["summary"] == {
        "rows_read": 6,
        "accepted": 2,
        "review": 1,
        "rejected": 1,
        "errors": 2,
    }
    assert document["source"] == "kols.csv"
    assert [d["id"] for d in document["decisions"]] == ["小红薯A", "kol-2", "kol-3", "kol-6"]
    first = document["decisions"][0]
    assert first["verdict"] == "accept"
    assert first["price"]["band_max"] == 15000.0
    assert first["findings"][1] == {
        "rule": "fake_fans",
        "stage": "vet",
        "outcome": "not_applicable",
        "severity": "reject",
        "message": "fake_fans not_applicable",
        "to_pass": [],  # only a failed rule says what it would take
        "superseded_by": None,
        "seen": {},  # only a failed finding says what it saw
        "thresholds": {},
    }
    # NaN is not JSON: it becomes null rather than an invalid document.
    assert first["metrics"] == {"engagement_rate": 0.0421, "ratio": None}
    assert document["errors"][1] == {
        "row": 5,
        "id": None,
        "errors": [
            {"column": "报价", "value": "12k?", "reason": "not a number"},
            {"column": "id", "value": None, "reason": "missing"},
        ],
        "reason": "column '报价' '12k?': not a number; column 'id': missing",
    }
    assert text.startswith('{\n  "ruleset"')


# --------------------------------------------------------------------------------------
# jsonl
# --------------------------------------------------------------------------------------


def test_jsonl(report: Report) -> None:
    text = render(JSONL, report)
    lines = [json.loads(line) for line in text.splitlines()]
    # In row order, as the streamed form writes them: row errors where their rows are.
    assert [line["kind"] for line in lines] == [
        "decision",
        "error",
        "decision",
        "decision",
        "error",
        "decision",
        "summary",
    ]
    assert [line.get("row") for line in lines[:6]] == [1, 2, 3, 4, 5, 6]
    assert [line.get("id") for line in lines[:6]] == [
        "小红薯A",
        "bad-2",
        "kol-2",
        "kol-3",
        None,
        "kol-6",
    ]
    assert lines[1]["errors"] == [{"column": "粉丝数", "value": "abc", "reason": "not a number"}]
    summary = lines[-1]
    assert summary["rows_read"] == 6
    assert (summary["accepted"], summary["review"], summary["rejected"], summary["errors"]) == (
        2,
        1,
        1,
        2,
    )
    assert summary["ruleset"]["name"] == "red-default"
    assert "小红薯A" in text
    assert text.endswith("\n")
    assert len(text.splitlines()) == 7


# --------------------------------------------------------------------------------------
# csv
# --------------------------------------------------------------------------------------


def test_csv(report: Report) -> None:
    text = render(CSV, report)
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert header == [
        *CSV_COLUMNS,
        "rule:min_followers",
        "rule:fake_fans",
        "rule:price_band",
        "rule:er_floor",
        "rule:brand_safety",
    ]
    assert [r["row"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["status"] for r in rows] == [
        "evaluated",
        "error",
        "evaluated",
        "evaluated",
        "error",
        "evaluated",
    ]
    first = rows[0]
    assert first["id"] == "小红薯A"
    assert first["tier"] == "腰部"
    assert first["score"] == "71.25"
    assert (first["quote"], first["band_min"], first["band_max"]) == ("12000", "8000", "15000")
    assert (first["position"], first["cpe"], first["gifting"]) == ("within", "2.5", "false")
    assert first["rule:min_followers"] == "pass"
    assert first["rule:fake_fans"] == "not_applicable"
    assert first["rule:price_band"] == ""
    assert first["reasons"] == ""

    rejected = rows[3]
    assert rejected["verdict"] == "reject"
    # Worst severity first, joined with " | ".
    assert rejected["reasons"] == "too few followers | flagged words | above band | low engagement"
    assert rejected["rule:brand_safety"] == "fail"

    assert rows[2]["reasons"] == "报价高于区间 above the band | low engagement"

    error = rows[4]
    assert error["id"] == ""
    assert error["verdict"] == ""
    assert error["errors"] == "column '报价' '12k?': not a number | column 'id': missing"
    assert all(error[f"rule:{r}"] == "" for r in ("min_followers", "price_band"))

    gifting = rows[5]
    assert (gifting["quote"], gifting["position"], gifting["gifting"]) == ("", "", "true")


def test_csv_quotes_only_when_needed() -> None:
    d = decision("a,b", 1, "review", findings=(finding("r", "fail", "review", 'say "hi"\nbye'),))
    text = render(CSV, Report((d,), (), rows_read=1, ruleset=RULESET))
    assert '"a,b"' in text
    assert '"say ""hi""\nbye"' in text
    assert text.splitlines()[0].startswith("row,id,platform,status,")
    assert next(csv.DictReader(io.StringIO(text)))["reasons"] == 'say "hi"\nbye'


def test_csv_rowless_decisions_come_last() -> None:
    report = Report(
        (decision("solo", None), decision("two", 2)), (row_error(1, "one"),), 3, RULESET
    )
    rows = list(csv.DictReader(io.StringIO(render(CSV, report))))
    assert [(r["row"], r["id"]) for r in rows] == [("1", "one"), ("2", "two"), ("", "solo")]


# --------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------


def test_table(report: Report) -> None:
    text = render(TABLE, report)
    lines = text.splitlines()
    assert lines[-1] == "rows read 6 = accepted 2 + review 1 + rejected 1 + errors 2"
    assert "red-default 1.2" in lines[0]
    assert "kols.csv" in lines[0]
    assert "\x1b[" not in text  # no colour in a StringIO
    assert max(len(line) for line in lines) <= 100
    for expected in ("小红薯A", "腰部", "71.2", "12,000", "8,000–15,000", "within", "above"):
        assert expected in text, expected
    assert "gifting" in text
    # kol-3 has four failing reasons: every one is shown, worst first, none hidden.
    kol3 = text[text.index("kol-3") : text.index("kol-6")]
    said = ["too few followers", "flagged words", "above band", "low engagement"]
    assert [kol3.index(m) for m in said] == sorted(kol3.index(m) for m in said)
    assert "more)" not in text
    assert "to pass" not in kol3  # these findings say nothing of what it would take
    assert "low engagement" in text  # kol-2's second reason
    assert "rows not evaluated" in text
    assert "bad-2" in text
    assert "column '报价' '12k?': not a number" in text


def test_table_does_not_interpret_markup() -> None:
    d = decision(
        "[bold]x[/bold]", 1, "review", findings=(finding("r", "fail", "review", "[red]no"),)
    )
    text = render(TABLE, Report((d,), (), 1, RULESET))
    assert "[bold]x[/bold]" in text
    assert "[red]no" in text


def test_table_width_and_empty_report() -> None:
    stream = io.StringIO()
    render_table(Report((), (row_error(1, "x"),), 1, RULESET), stream, width=60)
    text = stream.getvalue()
    assert "no profiles were evaluated" in text
    assert max(len(line) for line in text.splitlines()) <= 60
    assert text.splitlines()[-1] == "rows read 1 = accepted 0 + review 0 + rejected 0 + errors 1"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_colours_verdicts_on_a_terminal(report: Report) -> None:
    stream = _Terminal()
    render_table(report, stream, width=120)
    assert "\x1b[" in stream.getvalue()


# --------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------


def test_reporters_are_registered() -> None:
    reporters = {r.name: r for r in kolrules_reporters_register()}
    assert list(reporters) == ["table", "json", "jsonl", "csv", "xlsx", "html"]
    assert reporters["json"].extension == ".json"
    assert reporters["csv"] is CSV
