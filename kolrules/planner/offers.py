"""Offers: what to pay a KOL, and the price above which to walk away.

With the client's target cost per engagement (``[pricing] target_cpe``) a KOL is *worth*
``target_cpe x expected engagement`` RMB a post; with a target cost per read
(``[pricing] target_cpr``, how WeChat articles are bought) it is worth ``target_cpr x
average reads`` (``avg_views``), which comes first where the KOL has a read count (a
read count shown as 10万+ is taken as 100,001 reads: a lower bound, so the worth is too).
Then:

- ``offer`` = the lower of the quote and the worth, the worth first brought into the
  tier's fair band: never above ``band_max``, and never below the **floor**,
  ``band_min`` (an offer under the tier's fair band is not taken seriously). The offer is
  never above the quote: a KOL is not offered more than it asks.
- ``walk_away`` = the lower of ``walk_away x worth`` and ``band_max x (1 +
  max_over_band)``: above it the KOL is not worth booking for this client. A KOL whose
  offer is above its walk-away price (worth less than the floor) is not worth booking at
  a fair price.
- Both are rounded to whole RMB, half up. A bound the tier does not have is not applied.
  A KOL without a quote (a gifting candidate), or without the measure its worth needs
  (expected engagement, average reads), gets neither.

Two forms, one answer: :func:`offer_for` for one KOL (with the reason in words) and
:func:`offer_columns` for a frame (polars expressions); ``tests/test_plan_offers.py``
checks that they agree.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

from kolrules.planner.settings import Pricing

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Offer", "offer_columns", "offer_for"]


@attrs.frozen
class Offer:
    """One KOL's offer and walk-away price (RMB, ``None`` when it gets none), what it is
    worth at the target CPE, and why, in words."""

    offer: float | None
    walk_away: float | None
    worth: float | None
    reason: str


def _whole(value: float) -> float:
    """Whole RMB, half up (as the polars form: ``(x + 0.5).floor()``)."""
    return float(math.floor(value + 0.5))


def _rmb(value: float) -> str:
    return f"{value:,.0f} RMB"


def offer_for(
    quote: float | None,
    engagement: float | None,
    band_min: float | None,
    band_max: float | None,
    pricing: Pricing,
    tier: str | None = None,
    reads: float | None = None,
) -> Offer:
    """The offer for one KOL (see the module's docstring for the rule)."""
    if pricing.target_cpe is None and pricing.target_cpr is None:
        return Offer(None, None, None, "no target cost per engagement or per read: no offer")
    if quote is None:
        return Offer(None, None, None, "no quote: a gifting candidate, no offer (seeding)")
    if pricing.target_cpr is not None and reads is not None:
        target, worth = pricing.target_cpr, pricing.target_cpr * reads
        basis = f"{target:,g} RMB per read and {reads:,.0f} average reads"
    elif pricing.target_cpe is not None and engagement is not None:
        target, worth = pricing.target_cpe, pricing.target_cpe * engagement
        basis = f"{target:,g} RMB per engagement and {engagement:,.0f} expected engagements"
    else:
        lacking = "no expected engagement" if pricing.target_cpr is None else "no read count"
        return Offer(None, None, None, f"quote {_rmb(quote)}; {lacking}: no offer")
    fair = worth if band_max is None else min(worth, band_max)
    fair = fair if band_min is None else max(fair, band_min)
    offer = _whole(min(quote, fair))
    top = worth * pricing.walk_away
    if band_max is not None:
        top = min(top, band_max * (1 + pricing.max_over_band))
    walk_away = _whole(top)
    band = f"the {tier} band" if tier else "the band"
    if quote <= fair:
        how = "the quote"
    elif band_max is not None and worth > band_max:
        how = f"the top of {band}"
    elif band_min is not None and worth < band_min:
        how = f"the floor, the bottom of {band}"
    else:
        how = "its worth"
    reason = (
        f"quote {_rmb(quote)}; at the target {basis} the KOL is worth {_rmb(worth)}; "
        f"offer {_rmb(offer)} ({how}); walk away above {_rmb(walk_away)}"
    )
    if offer > walk_away:
        reason += ": not worth booking at a fair price"
    return Offer(offer, walk_away, worth, reason)


def offer_columns(pricing: Pricing) -> list[pl.Expr]:
    """``offer`` and ``walk_away`` columns over a frame with ``quote``, ``engagement``,
    ``reads``, ``band_min`` and ``band_max`` (Float64; ``reads`` may be left out when the
    pricing has no ``target_cpr``), as :func:`offer_for` computes them."""
    import polars as pl

    none = pl.lit(None, dtype=pl.Float64)
    if pricing.target_cpe is None and pricing.target_cpr is None:
        return [none.alias("offer"), none.alias("walk_away")]
    quote, engagement = pl.col("quote"), pl.col("engagement")
    band_min, band_max = pl.col("band_min"), pl.col("band_max")
    by_engagement = none if pricing.target_cpe is None else pl.lit(pricing.target_cpe) * engagement
    if pricing.target_cpr is None:
        worth = by_engagement
    else:
        reads = pl.col("reads")
        by_reads = pl.lit(pricing.target_cpr) * reads
        worth = pl.when(reads.is_not_null()).then(by_reads).otherwise(by_engagement)
    fair = pl.when(band_max.is_null()).then(worth).otherwise(pl.min_horizontal(worth, band_max))
    fair = pl.when(band_min.is_null()).then(fair).otherwise(pl.max_horizontal(fair, band_min))
    top = worth * pl.lit(pricing.walk_away)
    capped = band_max * pl.lit(1 + pricing.max_over_band)
    top = pl.when(band_max.is_null()).then(top).otherwise(pl.min_horizontal(top, capped))
    known = quote.is_not_null() & worth.is_not_null()
    offer = (pl.min_horizontal(quote, fair) + 0.5).floor()
    return [
        pl.when(known).then(offer).cast(pl.Float64).alias("offer"),
        pl.when(known).then((top + 0.5).floor()).cast(pl.Float64).alias("walk_away"),
    ]
