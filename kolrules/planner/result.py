"""A campaign plan as value objects: :class:`CampaignPlan`, the KOLs it books
(:class:`Booked`), the gifting candidates it seeds (:class:`Seed`), every other candidate
with why it is out (:class:`Left`), and the totals of each tier (:class:`TierTotal`).

Frozen, and holding no logic beyond sums: the planner (:mod:`kolrules.planner.run`) makes
them, the display (:mod:`kolrules.planner.display`) shows them.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from kolrules.planner.settings import PlanSettings

__all__ = ["Booked", "CampaignPlan", "Left", "Seed", "TierTotal"]


@attrs.frozen
class Booked:
    """A KOL the plan books: what it is paid (``pay``: its quote or offer, as asked), its
    quote, offer and walk-away price, what it brings, and why it is in."""

    id: str
    tier: str | None
    pay: float
    quote: float
    offer: float | None
    walk_away: float | None
    expected_engagement: float | None
    followers: float | None
    score: float | None
    why: str
    offer_reason: str = ""
    row: int = 0


@attrs.frozen
class Seed:
    """A gifting candidate (no quote) on the seeding list: the products to send it."""

    id: str
    tier: str | None
    products: int
    expected_engagement: float | None
    followers: float | None
    why: str
    row: int = 0


@attrs.frozen
class Left:
    """A candidate the plan does not book, and why. ``id`` is ``None`` for an input row
    without one (``row`` says which)."""

    id: str | None
    why: str
    row: int
    tier: str | None = None


@attrs.frozen
class TierTotal:
    """What the plan spends on one tier and what it gets: KOLs booked, RMB spent, its
    share of the budget and the mix's target share (``None`` without a mix), expected
    engagement, followers and cost per engagement (``None`` without engagement)."""

    tier: str
    kols: int
    spent: float
    share: float
    target: float | None
    expected_engagement: float
    followers: float
    cpe: float | None


@attrs.frozen
class CampaignPlan:
    """The plan: the KOLs to book within ``budget``, maximising ``objective`` (its total
    is ``value``), the seeding list, every other candidate with why, and the totals.

    ``optimal``: the solver proved that no plan is better by more than the gap asked for
    (``settings.gap``); ``gap``: the proven relative distance from ``value`` to the best
    possible, (bound - value) / max(value, 1); 0 means no better plan exists.
    """

    budget: float
    spent: float
    objective: str
    value: float
    optimal: bool
    gap: float
    selected: tuple[Booked, ...]
    seeding: tuple[Seed, ...]
    excluded: tuple[Left, ...]
    by_tier: Mapping[str, TierTotal]
    settings: PlanSettings = attrs.field(eq=False, repr=False)
    ruleset: str = ""
    source: str | None = None
    seconds: float = attrs.field(default=0.0, eq=False)

    @property
    def left(self) -> float:
        """The budget not spent."""
        return self.budget - self.spent

    @property
    def expected_engagement(self) -> float:
        """The expected engagement of the KOLs booked."""
        return sum(b.expected_engagement or 0.0 for b in self.selected)

    @property
    def followers(self) -> float:
        """The followers of the KOLs booked (reach, counting an audience twice if it
        follows two of them)."""
        return sum(b.followers or 0.0 for b in self.selected)

    @property
    def cpe(self) -> float | None:
        """RMB spent per expected engagement (``None`` without engagement)."""
        engagement = self.expected_engagement
        return self.spent / engagement if engagement > 0 else None

    @property
    def products(self) -> int:
        """Products to send to the seeding list."""
        return sum(s.products for s in self.seeding)
