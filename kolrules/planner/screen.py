"""Who may be booked: the candidates (:mod:`kolrules.planner.candidates`) split into the
bookable ones, the seeding list and the rest, each of the rest with why it is out.

A candidate is out, for the first of these that holds:

1. its row could not be evaluated (a row error);
2. it is rejected;
3. it is excluded (``exclude``);
4. it is in review and review KOLs are not included (``include_review``);
then a candidate without a quote goes to the **seeding list** (gifting: no fee, so not paid
from the budget; ``seeding_products`` products each, most expected engagement first; the
mix does not apply to it). A paid candidate is then out when:
5. the mix has no share for its tier;
6. the objective has no value for it (no expected engagement, no followers, no score);
7. it has no pay (``pay = offer`` and no offer);
8. its pay is above its walk-away price (with a target CPE);
9. its pay is above the budget, above ``max_share`` of it, or above the most its tier's
   share allows.

What remains can be booked; the integer program chooses among them
(:mod:`kolrules.planner.solve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.planner.result import Left, Seed
from kolrules.planner.settings import PlanSettings

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BOOKABLE_COLUMNS", "Screened", "mix_text", "screen", "value_words"]

#: The columns of :attr:`Screened.bookable`.
BOOKABLE_COLUMNS = (
    "row",
    "id",
    "tier",
    "pay",
    "value",
    "quote",
    "offer",
    "walk_away",
    "band_min",
    "band_max",
    "engagement",
    "followers",
    "reads",
    "score",
    "must",
)


@attrs.frozen
class Screened:
    """The bookable candidates (a frame of :data:`BOOKABLE_COLUMNS`, in input order),
    the seeding list, the others with why, and each must-have that cannot be booked with
    why."""

    bookable: pl.DataFrame
    seeding: tuple[Seed, ...]
    left: tuple[Left, ...]
    must_out: Mapping[str, str]


def value_words(objective: str) -> str:
    """What the objective counts, in words (plural)."""
    return {
        "engagement": "expected engagements",
        "reach": "followers",
        "score": "score-weighted engagements",
    }[objective]


def mix_text(mix: Mapping[str, float]) -> str:
    return ",".join(f"{t}={s:g}" for t, s in mix.items())


def _rmb(value: float) -> str:
    return f"{value:,.0f} RMB"


def _value(c: Mapping[str, Any], objective: str) -> float | None:
    if objective == "engagement":
        return c["engagement"]  # type: ignore[no-any-return]
    if objective == "reach":
        return c["followers"]  # type: ignore[no-any-return]
    if c["engagement"] is None or c["score"] is None:
        return None
    return float(c["engagement"] * c["score"] / 100)


_NO_VALUE = {
    "engagement": "no expected engagement to plan with",
    "reach": "no follower count to plan with",
    "score": "no score or no expected engagement to plan with",
}


def _why_out(c: Mapping[str, Any], s: PlanSettings, value: float | None) -> str | None:
    """Why a paid candidate cannot be booked (rules 5 to 9), or ``None``."""
    tier = c["tier"]
    if s.mix and tier not in s.mix:
        what = "it has no tier" if tier is None else f"its tier, {tier}, is not in it"
        return f"outside the mix: {what} ({mix_text(s.mix)})"
    if value is None:
        return _NO_VALUE[s.objective]
    pay = c["quote"] if s.pay == "quote" else c["offer"]
    if pay is None:
        return "no offer: no expected engagement to price it"
    walk_away = c["walk_away"]
    if walk_away is not None and pay > walk_away:
        why = f"not worth booking: {_rmb(pay)} is above its walk-away price of {_rmb(walk_away)}"
        offer = c["offer"]
        if s.pay == "quote" and offer is not None and offer <= walk_away:
            why += f" (its offer is {_rmb(offer)}: --pay offer)"
        return why
    if pay > s.budget:
        return f"over the budget: {_rmb(pay)} against a budget of {_rmb(s.budget)}"
    if pay > s.max_share * s.budget:
        return (
            f"over its budget share: {_rmb(pay)} is {pay / s.budget:.0%} of the budget, more "
            f"than {s.option('max_share')} {s.max_share:.0%} ({_rmb(s.max_share * s.budget)})"
        )
    if s.mix:
        _, most = s.tier_bounds(tier)
        if pay > most:
            return (
                f"over the {tier} share: {_rmb(pay)}, more than the {_rmb(most)} the mix "
                f"allows {tier} ({s.mix[tier]:g} of the budget, give or take "
                f"{s.mix_tolerance:g})"
            )
    return None


def screen(candidates: pl.DataFrame, s: PlanSettings) -> Screened:
    """Split ``candidates`` (a candidate frame) as the module's docstring says."""
    import polars as pl

    must, exclude = set(s.must), set(s.exclude)
    left: list[Left] = []
    seeds: list[tuple[float, int, Seed]] = []
    must_out: dict[str, str] = {}
    keep: dict[str, list[Any]] = {name: [] for name in BOOKABLE_COLUMNS}
    for c in candidates.iter_rows(named=True):
        pid, row, tier = c["id"], c["row"], c["tier"]
        why: str | None = None
        if c["status"] == "error":
            why = f"row {row} could not be evaluated: {c['error']}"
        elif c["verdict"] == "reject":
            why = f"rejected: {c['reason']}"
        elif pid in exclude:
            why = f"excluded ({s.option('exclude')})"
        elif c["verdict"] == "review" and not s.include_review:
            said = f": {c['reason']}" if c["reason"] else ""
            why = f"in review{said}; --include-review books KOLs in review"
        elif c["gifting"] or c["quote"] is None:
            if pid in must:
                must_out.setdefault(
                    pid, "it has no quote (a gifting candidate, on the seeding list)"
                )
            seed = Seed(
                pid,
                tier,
                s.seeding_products,
                c["engagement"],
                c["followers"],
                "no quote: a gifting candidate (product seeding)",
                row,
            )
            seeds.append((-(c["engagement"] or 0.0), row, seed))
            continue
        else:
            value = _value(c, s.objective)
            why = _why_out(c, s, value)
            if why is None:
                for name in BOOKABLE_COLUMNS:
                    keep[name].append(c.get(name))
                keep["pay"][-1] = c["quote"] if s.pay == "quote" else c["offer"]
                keep["value"][-1] = value
                keep["must"][-1] = pid in must
                continue
        if pid in must:  # its first row says (a later one is a duplicate)
            must_out.setdefault(pid, why)
        left.append(Left(pid, why, row, tier))
    schema = {
        "row": pl.Int64,
        "id": pl.String,
        "tier": pl.String,
        "must": pl.Boolean,
        **{n: pl.Float64 for n in BOOKABLE_COLUMNS if n not in {"row", "id", "tier", "must"}},
    }
    bookable = pl.DataFrame(keep, schema=schema)
    for pid in keep["id"]:  # bookable, whatever a duplicate row of its id says
        must_out.pop(pid, None)
    seeding = tuple(seed for _, _, seed in sorted(seeds, key=lambda e: (e[0], e[1])))
    return Screened(bookable, seeding, tuple(left), must_out)
