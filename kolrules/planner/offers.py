"""Offers: what to pay a KOL, and the price above which to walk away.

With the client's target cost per engagement (``[pricing] target_cpe``) a KOL is *worth*
``target_cpe x expected engagement`` RMB a post. Then:

- ``offer`` = the lower of the quote and the worth, the worth first brought into the
  tier's fair band: never above ``band_max``, and never below the **floor**,
  ``band_min`` (an offer under the tier's fair band is not taken seriously). The offer is
  never above the quote: a KOL is not offered more than it asks.
- ``walk_away`` = the lower of ``walk_away x worth`` and ``band_max x (1 +
  max_over_band)``: above it the KOL is not worth booking for this client. A KOL whose
  offer is above its walk-away price (worth less than the floor) is not worth booking at
  a fair price.
- Both are rounded to whole RMB, half up. A bound the tier does not have is not applied.
  A KOL without a quote (a gifting candidate) or without an expected engagement gets
  neither.

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
) -> Offer:
    """The offer for one KOL (see the module's docstring for the rule)."""
    target = pricing.target_cpe
    if target is None:
        return Offer(None, None, None, "no target cost per engagement: no offer")
    if quote is None:
        return Offer(None, None, None, "no quote: a gifting candidate, no offer (seeding)")
    if engagement is None:
        return Offer(None, None, None, f"quote {_rmb(quote)}; no expected engagement: no offer")
    worth = target * engagement
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
        f"quote {_rmb(quote)}; at the target {target:,g} RMB per engagement and "
        f"{engagement:,.0f} expected engagements the KOL is worth {_rmb(worth)}; "
        f"offer {_rmb(offer)} ({how}); walk away above {_rmb(walk_away)}"
    )
    if offer > walk_away:
        reason += ": not worth booking at a fair price"
    return Offer(offer, walk_away, worth, reason)


def offer_columns(pricing: Pricing) -> list[pl.Expr]:
    """``offer`` and ``walk_away`` columns over a frame with ``quote``, ``engagement``,
    ``band_min`` and ``band_max`` (Float64), as :func:`offer_for` computes them."""
    import polars as pl

    target = pricing.target_cpe
    if target is None:
        return [
            pl.lit(None, dtype=pl.Float64).alias("offer"),
            pl.lit(None, dtype=pl.Float64).alias("walk_away"),
        ]
    quote, engagement = pl.col("quote"), pl.col("engagement")
    band_min, band_max = pl.col("band_min"), pl.col("band_max")
    worth = pl.lit(target) * engagement
    fair = pl.when(band_max.is_null()).then(worth).otherwise(pl.min_horizontal(worth, band_max))
    fair = pl.when(band_min.is_null()).then(fair).otherwise(pl.max_horizontal(fair, band_min))
    top = worth * pl.lit(pricing.walk_away)
    capped = band_max * pl.lit(1 + pricing.max_over_band)
    top = pl.when(band_max.is_null()).then(top).otherwise(pl.min_horizontal(top, capped))
    known = quote.is_not_null() & engagement.is_not_null()
    offer = (pl.min_horizontal(quote, fair) + 0.5).floor()
    return [
        pl.when(known).then(offer).cast(pl.Float64).alias("offer"),
        pl.when(known).then((top + 0.5).floor()).cast(pl.Float64).alias("walk_away"),
    ]
