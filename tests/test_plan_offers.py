"""Offers (kolrules.planner.offers): the arithmetic of the offer and the walk-away price
with literal values, the reason in words, and the frame form agreeing with the one-KOL
form on random values."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kolrules.planner import Offer, Pricing, offer_columns, offer_for

FIVE = Pricing(target_cpe=5)


def test_the_issue_example_a_quote_above_the_worth_is_offered_the_worth() -> None:
    found = offer_for(15_000, 1_800, 8_000, 30_000, FIVE, "mid")
    assert found == Offer(
        9_000,
        9_000,
        9_000,
        "quote 15,000 RMB; at the target 5 RMB per engagement and 1,800 expected "
        "engagements the KOL is worth 9,000 RMB; offer 9,000 RMB (its worth); walk away "
        "above 9,000 RMB",
    )


def test_a_quote_below_the_worth_is_offered_the_quote() -> None:
    found = offer_for(2_500, 1_000, 500, 8_000, FIVE, "micro")
    assert (found.offer, found.walk_away, found.worth) == (2_500, 5_000, 5_000)
    assert "offer 2,500 RMB (the quote); walk away above 5,000 RMB" in found.reason


def test_the_offer_is_capped_at_the_top_of_the_band() -> None:
    found = offer_for(12_000, 2_000, 500, 8_000, FIVE, "micro")
    assert (found.offer, found.walk_away) == (8_000, 8_000)
    assert "offer 8,000 RMB (the top of the micro band)" in found.reason


def test_the_floor_is_the_bottom_of_the_band_and_then_the_kol_is_not_worth_booking() -> None:
    found = offer_for(12_000, 1_000, 8_000, 30_000, FIVE, "mid")
    assert (found.offer, found.walk_away, found.worth) == (8_000, 5_000, 5_000)
    assert found.reason.endswith(
        "offer 8,000 RMB (the floor, the bottom of the mid band); walk away above 5,000 RMB: "
        "not worth booking at a fair price"
    )


def test_a_quote_below_the_floor_is_offered_as_it_is() -> None:
    """The floor raises the worth, never the quote: a KOL is not offered more than it asks."""
    found = offer_for(300, 20, 500, 8_000, FIVE, "micro")
    assert (found.offer, found.walk_away) == (300, 100)


def test_walk_away_and_max_over_band() -> None:
    pricing = Pricing(target_cpe=5, max_over_band=0.25, walk_away=1.5)
    # worth 50,000 above the band: offer the band's top, walk away at 1.25 x 30,000
    assert offer_for(60_000, 10_000, 8_000, 30_000, pricing).walk_away == 37_500
    # worth 20,000 inside the band: walk away at 1.5 x the worth
    assert offer_for(60_000, 4_000, 8_000, 30_000, pricing).walk_away == 30_000
    # no band: 1.5 x the worth
    assert offer_for(60_000, 4_000, None, None, pricing) == Offer(
        20_000,
        30_000,
        20_000,
        "quote 60,000 RMB; at the target 5 RMB per engagement and 4,000 expected "
        "engagements the KOL is worth 20,000 RMB; offer 20,000 RMB (its worth); walk away "
        "above 30,000 RMB",
    )


def test_offers_are_whole_rmb_rounded_half_up() -> None:
    found = offer_for(10_000, 101, None, None, Pricing(target_cpe=2.5))
    assert (found.worth, found.offer, found.walk_away) == (252.5, 253, 253)


def test_no_offer_without_a_quote_an_engagement_or_a_target() -> None:
    assert offer_for(None, 100, 500, 8_000, FIVE) == Offer(
        None, None, None, "no quote: a gifting candidate, no offer (seeding)"
    )
    assert offer_for(3_000, None, 500, 8_000, FIVE) == Offer(
        None, None, None, "quote 3,000 RMB; no expected engagement: no offer"
    )
    assert offer_for(3_000, 100, 500, 8_000, Pricing()) == Offer(
        None, None, None, "no target cost per engagement or per read: no offer"
    )


def test_the_frame_form_without_a_target_has_no_offers() -> None:
    frame = pl.DataFrame(
        {"quote": [1.0], "engagement": [1.0], "band_min": [1.0], "band_max": [1.0]}
    )
    out = frame.select(offer_columns(Pricing()))
    assert out.to_dicts() == [{"offer": None, "walk_away": None}]


money = st.none() | st.floats(0, 500_000, allow_nan=False) | st.integers(0, 500_000)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(money, money, money, money), min_size=1, max_size=20),
    st.floats(0.01, 100) | st.integers(1, 50),
    st.floats(0, 2),
    st.floats(1, 3),
)
def test_both_forms_agree(
    rows: list[tuple[float | None, ...]], target: float, over: float, walk: float
) -> None:
    pricing = Pricing(target_cpe=float(target), max_over_band=over, walk_away=walk)
    columns = ("quote", "engagement", "band_min", "band_max")
    frame = pl.DataFrame(
        [
            dict(zip(columns, (None if v is None else float(v) for v in r), strict=True))
            for r in rows
        ],
        schema=dict.fromkeys(columns, pl.Float64),
    )
    out = frame.select(offer_columns(pricing)).to_dicts()
    for r, got in zip(rows, out, strict=True):
        one = offer_for(*(None if v is None else float(v) for v in r), pricing)
        assert (got["offer"], got["walk_away"]) == (one.offer, one.walk_away)


@pytest.mark.parametrize("quote", [0.0, 1.0])
def test_a_zero_engagement_is_worth_nothing_and_offered_the_floor_or_the_quote(
    quote: float,
) -> None:
    found = offer_for(quote, 0, 500, 8_000, FIVE)
    assert (found.offer, found.walk_away, found.worth) == (quote, 0, 0)


PER_READ = Pricing(target_cpr=1.5)


def test_a_wechat_kol_is_worth_its_reads_at_the_target_cost_per_read() -> None:
    """WeChat articles are bought per read: at 1.5 RMB a read, 30,000 average reads are
    worth 45,000 RMB (WeChat tiers have no band: nothing caps it)."""
    found = offer_for(120_000, 600, None, None, PER_READ, "mid", reads=30_000)
    assert (found.worth, found.offer, found.walk_away) == (45_000, 45_000, 45_000)
    assert found.reason == (
        "quote 120,000 RMB; at the target 1.5 RMB per read and 30,000 average reads the KOL "
        "is worth 45,000 RMB; offer 45,000 RMB (its worth); walk away above 45,000 RMB"
    )
    assert offer_for(40_000, 600, None, None, PER_READ, reads=30_000).offer == 40_000


def test_the_cost_per_read_comes_first_and_the_cost_per_engagement_stands_in() -> None:
    both = Pricing(target_cpe=5, target_cpr=1.5)
    assert offer_for(120_000, 600, None, None, both, reads=30_000).worth == 45_000
    assert offer_for(120_000, 600, None, None, both, reads=None).worth == 3_000
    alone = offer_for(120_000, 600, None, None, PER_READ, reads=None)
    assert alone == Offer(None, None, None, "quote 120,000 RMB; no read count: no offer")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(money, money, money, money, money), min_size=1, max_size=20),
    st.sampled_from([None, 5.0]),
)
def test_both_forms_agree_per_read(rows: list[tuple[float | None, ...]], cpe: float | None) -> None:
    pricing = Pricing(target_cpe=cpe, target_cpr=1.5, walk_away=1.2)
    columns = ("quote", "engagement", "band_min", "band_max", "reads")
    frame = pl.DataFrame(
        [
            dict(zip(columns, (None if v is None else float(v) for v in r), strict=True))
            for r in rows
        ],
        schema=dict.fromkeys(columns, pl.Float64),
    )
    out = frame.select(offer_columns(pricing)).to_dicts()
    for r, got in zip(rows, out, strict=True):
        q, e, lo, hi, reads = (None if v is None else float(v) for v in r)
        one = offer_for(q, e, lo, hi, pricing, reads=reads)
        assert (got["offer"], got["walk_away"]) == (one.offer, one.walk_away)
