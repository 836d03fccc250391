"""Why each bookable KOL is in or out of the plan the solver chose, and the totals of
each tier.

A KOL left out although it could be booked is explained by the first of:

- it adds nothing to the objective;
- another in the same tier gives more per RMB: every KOL booked in its tier costs less per
  unit of the objective (the one costing the most is named, with both costs);
- it does not fit: its pay is more than the budget left, or than what is left of its
  tier's share, or the plan already has the most KOLs allowed (said after "as good per RMB
  as ..." when it costs as much per unit as the dearest KOL booked in its tier);
- else it was left out within the optimality gap the solver was allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kolrules.planner.offers import offer_for
from kolrules.planner.result import Booked, Left, TierTotal
from kolrules.planner.screen import value_words
from kolrules.planner.settings import PlanSettings, Pricing

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

__all__ = ["NO_TIER", "booked_and_left", "by_tier"]

#: The key of :func:`by_tier` for KOLs without a tier (booked when there is no mix).
NO_TIER = "(no tier)"

_UNIT = {
    "engagement": "expected engagement",
    "reach": "follower",
    "score": "score-weighted engagement",
}


#: Costs per unit this close (relatively) are equal: neither gives more per RMB.
_TIE = 1e-9


def _rmb(value: float) -> str:
    return f"{value:,.0f} RMB"


def _cpe(pay: float, value: float) -> float:
    return pay / value if value > 0 else float("inf")


def booked_and_left(
    bookable: pl.DataFrame,
    chosen: npt.NDArray[np.bool_],
    s: PlanSettings,
    pricing: Pricing,
    gap: float,
) -> tuple[list[Booked], list[Left]]:
    """The booked KOLs (each with the reason of its offer) and the bookable ones left
    out, each with why, in input order."""
    rows = list(bookable.iter_rows(named=True))
    unit, units = _UNIT[s.objective], value_words(s.objective)
    spent = 0.0
    spent_in: dict[Any, float] = {}
    worst: dict[Any, tuple[float, str]] = {}  # tier -> (highest cost per unit, id)
    for c, on in zip(rows, chosen, strict=True):
        if not on:
            continue
        spent += c["pay"]
        spent_in[c["tier"]] = spent_in.get(c["tier"], 0.0) + c["pay"]
        cost = _cpe(c["pay"], c["value"])
        if c["tier"] not in worst or cost > worst[c["tier"]][0]:
            worst[c["tier"]] = (cost, c["id"])
    count = int(chosen.sum())
    booked: list[Booked] = []
    left: list[Left] = []
    for c, on in zip(rows, chosen, strict=True):
        pay, value, tier = c["pay"], c["value"], c["tier"]
        if on:
            why = f"{value:,.0f} {units} for {_rmb(pay)}"
            if value > 0:
                why += f" ({_cpe(pay, value):,.2f} RMB per {unit})"
            if c["must"]:
                why = f"a must-have; {why}"
            booked.append(
                Booked(
                    c["id"],
                    tier,
                    pay,
                    c["quote"],
                    c["offer"],
                    c["walk_away"],
                    c["engagement"],
                    c["followers"],
                    c["score"],
                    why,
                    offer_for(
                        c["quote"],
                        c["engagement"],
                        c["band_min"],
                        c["band_max"],
                        pricing,
                        tier,
                        c["reads"],
                    ).reason
                    if pricing.targets
                    else "",
                    c["row"],
                )
            )
            continue
        why = _why_not(c, s, unit, units, spent, spent_in, worst, count, gap)
        left.append(Left(c["id"], why, c["row"], tier))
    return booked, left


def _why_not(
    c: dict[str, Any],
    s: PlanSettings,
    unit: str,
    units: str,
    spent: float,
    spent_in: dict[Any, float],
    worst: dict[Any, tuple[float, str]],
    count: int,
    gap: float,
) -> str:
    pay, value, tier = c["pay"], c["value"], c["tier"]
    if value <= 0:
        return f"adds no {units}"
    cost = _cpe(pay, value)
    said = ""
    if tier in worst:
        theirs, other = worst[tier]
        if cost > theirs * (1 + _TIE):
            return (
                f"another in the same tier gives more per RMB: {other} costs {theirs:,.2f} RMB "
                f"per {unit}, this one {cost:,.2f}"
            )
        if cost >= theirs * (1 - _TIE):
            said = f"as good per RMB as {other} ({cost:,.2f} RMB per {unit}), but "
    if pay > s.budget - spent:
        left = _rmb(s.budget - spent)
        return f"{said}it does not fit: it costs {_rmb(pay)} and {left} of the budget are left"
    if s.mix and tier in s.mix:
        _, most = s.tier_bounds(tier)
        room = most - spent_in.get(tier, 0.0)
        if pay > room:
            return (
                f"{said}it does not fit in the {tier} share: it costs {_rmb(pay)} and "
                f"{_rmb(max(room, 0.0))} of the {_rmb(most)} the mix allows {tier} are left"
            )
    if s.max_kols is not None and count >= s.max_kols:
        return f"{said}the plan has the most KOLs allowed ({s.option('max_kols')} {s.max_kols})"
    return (
        f"{said}left out within the optimality gap ({gap:.4%}): booking it would add "
        f"{value:,.0f} {units}"
    )


def by_tier(
    booked: Sequence[Booked], s: PlanSettings, order: Sequence[str]
) -> dict[str, TierTotal]:
    """The totals of each tier booked, and of each tier of the mix, in ``order`` (the
    ruleset's tier table)."""
    names = [t for t in order if t in s.mix or any(b.tier == t for b in booked)]
    if any(b.tier is None for b in booked):
        names.append(NO_TIER)
    totals = {}
    for name in names:
        mine = [b for b in booked if (b.tier or NO_TIER) == name]
        spent = sum(b.pay for b in mine)
        engagement = sum(b.expected_engagement or 0.0 for b in mine)
        totals[name] = TierTotal(
            name,
            len(mine),
            spent,
            spent / s.budget,
            s.mix.get(name),
            engagement,
            sum(b.followers or 0.0 for b in mine),
            spent / engagement if engagement > 0 else None,
        )
    return totals
