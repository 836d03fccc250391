"""Literal expectations for kolrules.evaluate, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): the decisions of a file evaluated on the columnar path
(``decisions_from_columns`` and ``build_decision``), value by value."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from kolrules import Engine
from kolrules.report import Report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: (row, id, verdict, tier, score to 3 places, quote, band_min, band_max, position,
#: cpe to 4 places, gifting) of every decision of examples/candidates.csv on red-default.
DECISIONS = [
    (1, "red-001", "accept", "micro", 73.758, 2500.0, 500.0, 8000.0, "within", 5.618, False),
    (2, "red-002", "accept", "micro", 77.114, 800.0, 500.0, 8000.0, "within", 4.7904, False),
    (3, "red-003", "accept", "mid", 60.066, 8000.0, 8000.0, 30000.0, "within", 2.2989, False),
    (4, "red-004", "accept", "top", 50.816, 50000.0, 30000.0, 300000.0, "within", 2.7933, False),
    (5, "red-005", "accept", "top", 22.493, None, 30000.0, 300000.0, None, None, True),
    (6, "red-006", "accept", "micro", 73.75, None, 500.0, 8000.0, None, None, True),
    (7, "red-007", "accept", "mid", 68.426, None, 8000.0, 30000.0, None, None, True),
    (8, "red-008", "reject", "micro", 23.058, 3000.0, 500.0, 8000.0, "within", 15.1515, False),
    (9, "red-009", "reject", "mid", 23.586, 15000.0, 8000.0, 30000.0, "within", 12.1951, False),
    (10, "red-010", "accept", "micro", 78.15, 3000.0, 500.0, 8000.0, "within", 4.0541, False),
    (11, "red-011", "accept", "micro", 72.744, 2000.0, 500.0, 8000.0, "within", 4.1667, False),
    (12, "red-012", "accept", "micro", 92.761, 1500.0, 500.0, 8000.0, "within", 3.5377, False),
    (13, "red-013", "accept", "micro", 74.606, 4000.0, 500.0, 8000.0, "within", 3.6199, False),
    (14, "red-014", "review", "micro", 67.256, 3000.0, 500.0, 8000.0, "within", 4.2614, False),
    (15, "red-015", "review", "micro", 69.41, 9500.0, 500.0, 8000.0, "above", 10.5556, False),
    (16, "red-016", "review", "mid", 49.949, 35000.0, 8000.0, 30000.0, "above", 6.0345, False),
    (17, "red-017", "accept", "mid", 52.845, 15000.0, 8000.0, 30000.0, "within", 5.0847, False),
    (18, "red-018", "accept", "micro", 84.375, 300.0, 500.0, 8000.0, "below", 1.3333, False),
    (19, "red-019", "review", "top", 45.835, 200000.0, 30000.0, 300000.0, "within", 4.8193, False),
    (20, "red-020", "review", "celebrity", 35.044, 800000.0, None, None, None, 7.5472, False),
    (21, "red-021", "review", "mid", 55.703, 8000.0, 8000.0, 30000.0, "within", 4.7337, False),
    (22, "red-022", "accept", "micro", 74.881, 6000.0, 500.0, 8000.0, "within", 3.9216, False),
    (23, "red-023", "review", None, None, 500.0, None, None, None, None, False),
    (24, "red-024", "review", None, 100.0, None, None, None, None, None, True),
    (25, "red-025", "review", None, 88.799, 3000.0, None, None, None, 4.0541, False),
    (26, "red-026", "accept", "micro", 72.123, 3500.0, 500.0, 8000.0, "within", 5.9322, False),
    (27, "red-027", "accept", "micro", 87.753, 1500.0, 500.0, 8000.0, "within", 4.1667, False),
    (28, "red-028", "accept", "micro", 50.86, 4000.0, 500.0, 8000.0, "within", 5.4054, False),
    (29, "red-029", "accept", "micro", 90.733, 3000.0, 500.0, 8000.0, "within", 5.0, False),
    (30, "red-030", "accept", "micro", 68.154, 4500.0, 500.0, 8000.0, "within", 5.5901, False),
    (31, "red-031", "accept", "micro", 73.065, 8000.0, 500.0, 8000.0, "within", 6.0606, False),
    (32, "red-032", "review", "micro", 74.603, 2800.0, 500.0, 8000.0, "within", 5.3846, False),
    (33, "red-033", "review", "micro", None, 3500.0, 500.0, 8000.0, "within", None, False),
    (37, "red-037", "reject", "micro", 11.585, 12000.0, 500.0, 8000.0, "above", 116.5049, False),
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


@pytest.fixture(scope="module")
def report(engine: Engine) -> Report:
    return engine.evaluate_file(EXAMPLES / "candidates.csv")


def _values(d: Any) -> tuple[Any, ...]:
    p = d.price
    return (
        d.row,
        d.id,
        d.verdict,
        d.tier,
        None if d.score is None else round(d.score, 3),
        p.quote,
        p.band_min,
        p.band_max,
        p.position,
        None if p.cpe is None else round(p.cpe, 4),
        p.gifting,
    )


def test_every_decision_of_a_file_value_by_value(report: Report) -> None:
    assert [_values(d) for d in report.decisions] == DECISIONS
    assert report.rows_read == 37
    assert [(e.row, e.id) for e in report.errors] == [(34, "red-003"), (35, None), (36, "red-036")]
    assert {d.platform for d in report.decisions} == {"red"}
    assert {(d.ruleset.name, d.ruleset.version) for d in report.decisions} == {
        ("red-default", "1.0.0")
    }
    assert {d.ruleset for d in report.decisions} == {report.ruleset}


def test_the_failed_rules_and_those_superseded(report: Report) -> None:
    by_id = {d.id: d for d in report.decisions}
    assert [f.rule for f in by_id["red-008"].failed()] == [
        "likes-below-followers",
        "likes-per-follower-low",
        "engagement-rate-low",
    ]
    assert [(f.rule, f.superseded_by) for f in by_id["red-008"].findings if f.superseded_by] == [
        ("likes-per-follower-low", "likes-below-followers")
    ]
    assert [f.rule for f in by_id["red-005"].failed()] == ["gifting-candidate"]
    assert [f.rule for f in by_id["red-024"].failed()] == ["tier-known", "gifting-candidate"]
    assert list(by_id["red-001"].failed()) == []
    assert [f.outcome for f in by_id["red-002"].findings].count("not_applicable") == 2
    assert len(by_id["red-001"].findings) == 14


def test_what_it_would_take_is_solved_for_each_failed_rule(report: Report) -> None:
    d = next(d for d in report.decisions if d.id == "red-008")
    first = next(f for f in d.failed() if f.rule == "likes-below-followers")
    assert [(t.name, t.now, t.op, t.need, t.part) for t in first.to_pass] == [
        ("total_likes", 18000.0, ">=", 30000.0, 0),
        ("followers", 30000.0, "<=", 18000.0, 0),
    ]
    rate = next(f for f in d.failed() if f.rule == "engagement-rate-low")
    assert [(t.name, t.now, t.op, round(t.need, 6)) for t in rate.to_pass] == [
        ("followers", 30000.0, "<=", 6600.0),
        ("avg_comments", 8.0, ">=", 710.0),
        ("avg_likes", 150.0, ">=", 852.0),
        ("avg_collects", 40.0, ">=", 742.0),
    ]
    gifting = next(d for d in report.decisions if d.id == "red-005")
    (finding,) = gifting.failed()
    assert [(t.name, t.now, t.op, t.need, t.part) for t in finding.to_pass] == [
        ("price", None, "present", None, 0)
    ]
    # a rule that passed or does not apply says nothing of what it would take
    assert {f.to_pass for f in d.findings if f.outcome != "fail"} == {()}


def test_the_metrics_of_a_decision(report: Report) -> None:
    metrics = report.decisions[0].metrics
    assert list(metrics) == [
        "likes_per_follower",
        "engagement_per_post",
        "engagement_rate",
        "median_engagement_rate",
        "likes_per_view",
        "engagement_per_view",
        "comments_per_like",
        "following_per_follower",
        "cost_per_view",
        "expected_engagement",
        "engagement",
        "cpe",
    ]
    assert metrics["likes_per_follower"] == 4.0
    assert metrics["engagement_per_post"] == 445.0
    assert metrics["median_engagement_rate"] is None
    assert metrics["likes_per_view"] == pytest.approx(0.02)
    assert metrics["cpe"] == pytest.approx(5.617977528089888)


def test_data_errors_stay_with_their_row_and_make_it_a_review(report: Report) -> None:
    by_id = {d.id: d for d in report.decisions}
    assert [(e.column, e.value, e.reason) for e in by_id["red-032"].data_errors] == [
        ("avg_views", "abc", "not a number")
    ]
    assert [(e.column, e.value) for e in by_id["red-033"].data_errors] == [("avg_comments", "-12")]
    assert [d.id for d in report.decisions if d.data_errors] == ["red-032", "red-033"]
    assert by_id["red-032"].why.startswith("review: data errors")
    assert by_id["red-001"].why.startswith("accept:")
    assert by_id["red-008"].why.startswith("reject:")
    assert by_id["red-033"].score_missing is not None
    assert by_id["red-023"].score_missing is not None
    assert by_id["red-032"].score_missing is None


def test_the_columnar_and_the_one_profile_paths_give_equal_decisions(
    engine: Engine, report: Report
) -> None:
    with (EXAMPLES / "candidates.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    one_by_one = engine.evaluate(rows)
    assert one_by_one.decisions == report.decisions
    assert one_by_one.errors == report.errors


ONE_RULE = """\
[ruleset]
name = "one"
version = "1"
platform = "red"

[[rules]]
id = "big-enough"
require = "followers >= 1000"
severity = "reject"
message = "only {followers:,.0f} followers ({tier}, band {band_min}-{band_max})"
"""


def test_a_ruleset_of_one_rule_whose_message_names_the_tier_and_band(tmp_path: Path) -> None:
    ruleset = tmp_path / "one.toml"
    ruleset.write_text(ONE_RULE, encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text("id,followers,price\na,500,100\nb,5000,\nc,2000000,90000\n", encoding="utf-8")
    engine = Engine(ruleset, load_entrypoints=False)
    report = engine.evaluate_file(source)
    assert [
        (d.id, d.verdict, d.tier, d.price.band_min, d.price.band_max, d.price.gifting)
        for d in report.decisions
    ] == [
        ("a", "reject", "koc", 50.0, 1000.0, False),
        ("b", "accept", "micro", 500.0, 8000.0, True),
        ("c", "accept", "top", 30000.0, 300000.0, False),
    ]
    (failed,) = report.decisions[0].findings
    assert (failed.outcome, failed.message) == (
        "fail",
        "only 500 followers (koc, band 50-1,000)",
    )
    assert [(t.name, t.now, t.op, t.need) for t in failed.to_pass] == [
        ("followers", 500.0, ">=", 1000.0)
    ]
    assert [f.message for f in report.decisions[1].findings] == ["passed: followers >= 1000"]
    one = engine.evaluate([{"id": "a", "followers": "500", "price": "100"}])
    assert one.decisions[0] == report.decisions[0]
    missing = engine.evaluate_one({"id": "z", "followers": None})
    assert [(f.outcome, f.message) for f in missing.findings] == [
        ("not_applicable", "not applicable: missing followers")
    ]
