"""wechat-default prices a WeChat article per read (quote / average reads) against the
published 0.5-2.5 RMB band, on both evaluation paths: the one-profile path
(``evaluate_one``) and the columnar path that writes files (``decision_frames``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kolrules import Engine, ToPass
from kolrules.evaluate import to_pass_words

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "wechat-candidates.csv"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("wechat-default", load_entrypoints=False)


def _profile(**values: Any) -> dict[str, Any]:
    base = {"id": "wx", "followers": 300_000, "avg_likes": 400, "avg_wows": 200}
    return {**base, **values}


def _frame_row(engine: Engine, profile: dict[str, Any]) -> dict[str, Any]:
    """The decision frame's row for ``profile``, given as a file's text would be."""
    text = {k: "" if v is None else str(v) for k, v in profile.items()}
    batch = pl.DataFrame({k: [v] for k, v in text.items()})
    (frame,) = engine.decision_frames([batch])
    return frame.row(0, named=True)


def _outcome(decision: Any, rule: str) -> str:
    return next(str(f.outcome) for f in decision.findings if f.rule == rule)


def test_a_quote_of_1_33_rmb_a_read_passes_on_both_paths(engine: Engine) -> None:
    profile = _profile(avg_views=30_000, price=40_000)
    decision = engine.evaluate_one(profile)
    assert _outcome(decision, "cost-per-read-high") == "pass"
    assert _outcome(decision, "cost-per-read-low") == "pass"
    assert decision.metrics["cost_per_read"] == pytest.approx(40_000 / 30_000)
    row = _frame_row(engine, profile)
    assert row["rule:cost-per-read-high"] == "pass"
    assert row["verdict"] == decision.verdict == "accept"


def test_four_rmb_a_read_is_overpriced_and_says_what_would_pass(engine: Engine) -> None:
    profile = _profile(avg_views=30_000, price=120_000)
    decision = engine.evaluate_one(profile)
    (found,) = [f for f in decision.findings if f.rule == "cost-per-read-high"]
    assert found.outcome == "fail"
    assert found.severity == "warn"
    assert found.message == (
        "quote 120,000 RMB for 30,000 reads is 4.00 RMB a read, above 2.50: overpriced"
    )
    assert found.to_pass == (
        ToPass("price", 120_000.0, "<=", 75_000.0, 0),
        ToPass("avg_views", 30_000.0, ">=", 48_000.0, 0),
    )
    words = "price at most 75,000 (now 120,000) or avg_views at least 48,000 (now 30,000)"
    assert to_pass_words(found.to_pass) == words
    row = _frame_row(engine, profile)
    assert row["rule:cost-per-read-high"] == "fail"
    assert found.message in row["reasons"]
    assert f"cost-per-read-high: {words}" in row["to_pass"]


def test_below_half_a_rmb_a_read_is_a_note_not_a_warning(engine: Engine) -> None:
    profile = _profile(avg_views=25_000, price=5_000)
    decision = engine.evaluate_one(profile)
    (found,) = [f for f in decision.findings if f.rule == "cost-per-read-low"]
    assert (found.outcome, found.severity) == ("fail", "info")
    assert "0.20 RMB a read" in found.message
    assert decision.verdict == "accept"
    assert _frame_row(engine, profile)["rule:cost-per-read-low"] == "fail"


@pytest.mark.parametrize(("price", "outcome"), [(400_000, "fail"), (200_000, "pass")])
def test_10wan_plus_reads_make_the_cost_per_read_an_upper_bound(
    engine: Engine, price: int, outcome: str
) -> None:
    """Reads shown as 10万+ are at least 100,001: the per-read rules that need the true
    count are not applied, and the bound is judged by its own rule, which names the reads
    that would make the quote fair."""
    profile = _profile(followers=1_500_000, avg_views="10万+", price=price)
    decision = engine.evaluate_one(profile)
    assert _outcome(decision, "cost-per-read-high") == "not_applicable"
    assert _outcome(decision, "cost-per-read-low") == "not_applicable"
    (found,) = [f for f in decision.findings if f.rule == "cost-per-read-capped"]
    assert found.outcome == outcome
    row = _frame_row(engine, profile)
    assert row["rule:cost-per-read-capped"] == outcome
    assert row["rule:cost-per-read-high"] == "not_applicable"
    if outcome == "fail":
        assert "at most 4.00 RMB a read (an upper bound)" in found.message
        assert "160,000 or more" in found.message
        assert found.message in row["reasons"]
        assert ToPass("avg_views", 100_001.0, ">=", 160_000.0, 0) in (found.to_pass or ())


def test_no_quote_is_not_judged_per_read(engine: Engine) -> None:
    decision = engine.evaluate_one(_profile(avg_views=30_000))
    assert _outcome(decision, "gifting-candidate") == "fail"
    assert _outcome(decision, "cost-per-read-high") == "not_applicable"
    assert decision.price.gifting


def test_the_follower_tiers_have_no_price_band(engine: Engine) -> None:
    """No published source prices WeChat by followers: the tier is for reporting."""
    decision = engine.evaluate_one(_profile(avg_views=30_000, price=40_000))
    assert decision.tier == "mid"
    assert (decision.price.band_min, decision.price.band_max) == (None, None)


def test_the_example_file_shows_each_case(engine: Engine) -> None:
    """examples/wechat-candidates.csv (Chinese headers, 万 and 10万+): one row per case,
    the same outcomes on the file path as one profile at a time."""
    report = engine.evaluate_file(EXAMPLE)
    assert report.rows_read == 9
    by_id = {d.id: d for d in report.decisions}
    expected = {
        "wx-001": {"cost-per-read-high": "pass", "cost-per-read-low": "pass"},
        "wx-002": {"cost-per-read-high": "fail"},
        "wx-003": {"cost-per-read-low": "fail"},
        "wx-004": {"cost-per-read-capped": "fail", "reads-capped": "fail"},
        "wx-005": {"cost-per-read-capped": "pass", "reads-capped": "fail"},
        "wx-006": {"like-rate-low": "fail", "fake-reads": "pass"},
        "wx-007": {"read-rate-high": "fail"},
        "wx-008": {"gifting-candidate": "fail"},
        "wx-009": {"fake-reads": "fail"},
    }
    for kol, outcomes in expected.items():
        for rule, outcome in outcomes.items():
            assert _outcome(by_id[kol], rule) == outcome, (kol, rule)
    assert by_id["wx-009"].verdict == "review"
    assert {d.verdict for k, d in by_id.items() if k != "wx-009"} == {"accept"}
    frames = pl.concat(
        list(engine.decision_frames(pl.read_csv(EXAMPLE, infer_schema=False).iter_slices(4)))
    )
    for row in frames.iter_rows(named=True):
        decision = by_id[row["id"]]
        assert row["verdict"] == decision.verdict
        for f in decision.findings:
            assert row[f"rule:{f.rule}"] == f.outcome, (row["id"], f.rule)


def test_the_planner_offers_a_wechat_kol_its_reads_at_the_target_cost_per_read(
    tmp_path: Path,
) -> None:
    """A client overlay of wechat-default with ``[pricing] target_cpr = 1.5``: each KOL
    is worth 1.5 RMB a read; the plan pays the offers (the lower of quote and worth)."""
    from kolrules import plan

    client = tmp_path / "wx-client.toml"
    client.write_text(
        '[ruleset]\nname = "wx-client"\nversion = "1.0.0"\nextends = "wechat-default"\n\n'
        "[pricing]\ntarget_cpr = 1.5\n",
        encoding="utf-8",
    )
    found = plan(EXAMPLE, budget=150_000, ruleset=client, pay="offer")
    booked = {b.id: b for b in found.selected}
    overpriced = booked["wx-002"]  # 120,000 RMB for 30,000 reads: worth 45,000
    assert (overpriced.quote, overpriced.offer, overpriced.pay) == (120_000, 45_000, 45_000)
    assert "1.5 RMB per read and 30,000 average reads" in overpriced.offer_reason
    assert booked["wx-001"].offer == 40_000  # the quote, below its worth of 45,000
    assert found.spent <= 150_000
    assert "wx-008" in {s.id for s in found.seeding}  # no quote: seeding, no offer
