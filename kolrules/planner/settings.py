"""What a campaign plan is asked for, checked: the budget and its constraints
(:class:`PlanSettings`), from a ruleset's ``[planning]`` table overridden value by value by
the caller, and the client's pricing (:class:`Pricing`) from its ``[pricing]`` table.

Nothing here reads a file of KOLs or solves anything. A value that cannot be used is a
:class:`PlanRequestError` naming the option and what to give instead (a value from the
ruleset: a :class:`~kolrules.errors.RulesetError` at its file and line).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal, cast

import attrs

from kolrules.errors import KolrulesError, RulesetError
from kolrules.expression import suggest
from kolrules.ruleset import Ruleset

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_MIX_TOLERANCE",
    "DEFAULT_TIME_LIMIT",
    "OBJECTIVES",
    "PAYS",
    "Objective",
    "Pay",
    "PlanRequestError",
    "PlanSettings",
    "Pricing",
    "parse_ids",
    "parse_mix",
    "pricing_of",
    "settings_for",
]

Objective = Literal["engagement", "reach", "score"]
Pay = Literal["quote", "offer"]
OBJECTIVES: tuple[Objective, ...] = ("engagement", "reach", "score")
PAYS: tuple[Pay, ...] = ("quote", "offer")

#: How far a tier's spend may be from its share of the budget, as a fraction of the
#: budget: micro=0.6 of 200,000 RMB with 0.05 is 110,000 to 130,000 RMB of micro KOLs.
DEFAULT_MIX_TOLERANCE = 0.05
#: The relative optimality gap at which the solver may stop (HiGHS' own default): the
#: plan is then proven to be within 0.01 % of the best possible.
DEFAULT_GAP = 1e-4
#: Seconds the solver may take in all; past them the best plan found is given, with its gap.
DEFAULT_TIME_LIMIT = 120.0
#: How far the mix shares may add up to something other than 1 (float rounding).
_SUM_SLACK = 1e-9


class PlanRequestError(KolrulesError):
    """A plan was asked for with a value that cannot be used. ``option`` is the name of
    the setting (``max_share``; on the command line ``--max-share``)."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


@attrs.frozen
class Pricing:
    """The client's pricing, from the ruleset's ``[pricing]`` table.

    - ``target_cpe``: RMB the client pays per expected engagement;
    - ``target_cpr``: RMB the client pays per read (WeChat articles are bought per read);
      where a KOL has a read count it comes before ``target_cpe``. Neither: no offers.
    - ``max_over_band``: how far above the top of the tier's fair band the client would
      go, as a fraction of it (0.2: up to 1.2 x ``band_max``); it bounds the walk-away price.
    - ``walk_away``: the walk-away price as a multiple of what the KOL is worth at the
      target CPE (at least 1: the offer, at most the worth, is never above it).
    """

    target_cpe: float | None = None
    max_over_band: float = 0.0
    walk_away: float = 1.0
    target_cpr: float | None = None

    @property
    def targets(self) -> bool:
        """Whether the client gives a target, so that KOLs get offers."""
        return self.target_cpe is not None or self.target_cpr is not None


def pricing_of(ruleset: Ruleset) -> Pricing:
    """The pricing a ruleset sets (defaults where it sets none)."""
    return Pricing(
        target_cpe=ruleset.target_cpe,
        target_cpr=ruleset.target_cpr,
        max_over_band=0.0 if ruleset.max_over_band is None else ruleset.max_over_band,
        walk_away=1.0 if ruleset.walk_away is None else ruleset.walk_away,
    )


#: Where a setting's value came from.
Origin = Literal["given", "ruleset", "default"]


@attrs.frozen
class PlanSettings:
    """A checked plan request.

    - ``budget``: RMB to spend at most on paid posts (gifting is not paid from it).
    - ``mix``: tier name -> share of the budget (adding up to 1); empty: no mix. Each
      tier's spend is within ``mix_tolerance`` (a fraction of the budget) of its share;
      KOLs of a tier not in the mix are not booked.
    - ``objective``: what the plan maximises: ``engagement`` (expected engagement),
      ``reach`` (followers) or ``score`` (expected engagement x score / 100).
    - ``pay``: what a booked KOL is paid: the ``quote``, or the ``offer`` (needs
      ``[pricing] target_cpe``).
    - ``include_review``: KOLs whose verdict is review may be booked (rejected never are).
    - ``min_kols``, ``max_kols``: how many KOLs the plan books (``None``: no most).
    - ``max_share``: the most one KOL may take of the budget.
    - ``must``, ``exclude``: ids booked in any case, and ids never booked.
    - ``seeding_products``: products sent to each gifting candidate on the seeding list.
    - ``gap``, ``time_limit``: when the solver may stop (relative optimality gap, seconds).
    - ``origins``: where each value came from (``given``, ``ruleset``, ``default``).
    """

    budget: float
    mix: Mapping[str, float] = attrs.field(factory=dict)
    mix_tolerance: float = DEFAULT_MIX_TOLERANCE
    objective: Objective = "engagement"
    pay: Pay = "quote"
    include_review: bool = False
    min_kols: int = 0
    max_kols: int | None = None
    max_share: float = 1.0
    must: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    seeding_products: int = 1
    gap: float = DEFAULT_GAP
    time_limit: float = DEFAULT_TIME_LIMIT
    origins: Mapping[str, Origin] = attrs.field(factory=dict, eq=False, repr=False)

    def tier_bounds(self, tier: str) -> tuple[float, float]:
        """The least and the most RMB the plan may spend on ``tier`` (a tier of the mix)."""
        share = self.mix[tier]
        low = max(0.0, share - self.mix_tolerance) * self.budget
        return low, min(1.0, share + self.mix_tolerance) * self.budget

    def option(self, key: str) -> str:
        """How to change setting ``key``: the option, or the ruleset's key when the value
        came from the ruleset."""
        flag = "--" + key.replace("_", "-")
        if self.origins.get(key) == "ruleset":
            return f"{flag} (now {key} in the ruleset's planning table)"
        return flag


def parse_mix(text: str) -> dict[str, float]:
    """``micro=0.6,mid=0.3,top=0.1`` as ``{tier: share}``."""
    mix: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            share = float(value)
        except ValueError:
            share = math.nan
        if not sep or not name or not math.isfinite(share):
            raise PlanRequestError(
                "mix", f"{part!r} is not TIER=SHARE; write for example micro=0.6,mid=0.4"
            )
        if name in mix:
            raise PlanRequestError("mix", f"tier {name!r} is given twice")
        mix[name] = share
    return mix


def parse_ids(text: str) -> tuple[str, ...]:
    """``a,b,c`` as ids, in order, without blanks or repeats."""
    return tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


_DEFAULTS: dict[str, Any] = {
    "budget": None,
    "mix": {},
    "mix_tolerance": DEFAULT_MIX_TOLERANCE,
    "objective": "engagement",
    "pay": "quote",
    "include_review": False,
    "min_kols": 0,
    "max_kols": None,
    "max_share": 1.0,
    "must": (),
    "exclude": (),
    "seeding_products": 1,
    "gap": DEFAULT_GAP,
    "time_limit": DEFAULT_TIME_LIMIT,
}


def settings_for(
    ruleset: Ruleset, tiers: Collection[str], pricing: Pricing, **given: Any
) -> PlanSettings:
    """The settings of a plan: each value ``given`` (not ``None``), else the ruleset's
    ``[planning]`` value, else the default; checked. ``tiers``: the tier names a mix
    may use (the compiled tier table's)."""
    unknown = sorted(set(given) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"unknown plan settings: {', '.join(unknown)}")
    table = ruleset.planning
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for key, default in _DEFAULTS.items():
        if given.get(key) is not None:
            values[key], origins[key] = given[key], "given"
        elif key in table:
            values[key], origins[key] = table[key], "ruleset"
        else:
            values[key], origins[key] = default, "default"
    try:
        return _checked(values, origins, tiers, pricing)
    except PlanRequestError as exc:
        if origins.get(exc.option) != "ruleset":
            raise
        issue = ruleset.issue(("planning", exc.option), exc.message, f"or give --{_flag(exc)}")
        raise RulesetError([issue]) from None


def _flag(exc: PlanRequestError) -> str:
    return exc.option.replace("_", "-")


def _number(key: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PlanRequestError(key, f"{value!r} is not a number")
    if value < low or value > high or (open_low and value == low):
        edge = f"more than {low:g}" if open_low else f"at least {low:g}"
        top = "" if math.isinf(high) else f" and at most {high:g}"
        raise PlanRequestError(key, f"{value:g} is out of range: give a number {edge}{top}")
    return float(value)


def _count(key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PlanRequestError(key, f"{value!r} is not a whole number of at least {low}")
    return value


def _ids(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return parse_ids(value)
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise PlanRequestError(key, f"{value!r} is not a list of ids")
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def _checked(
    values: dict[str, Any], origins: dict[str, Origin], tiers: Collection[str], pricing: Pricing
) -> PlanSettings:
    if values["budget"] is None:
        raise PlanRequestError(
            "budget", "no budget: give --budget (RMB), or budget in the ruleset's planning table"
        )
    budget = _number("budget", values["budget"], 0, math.inf, open_low=True)
    if math.isinf(budget):
        raise PlanRequestError("budget", "the budget must be a finite number of RMB")
    mix = values["mix"]
    mix = parse_mix(mix) if isinstance(mix, str) else dict(mix)
    _check_mix(mix, tiers)
    objective = values["objective"]
    if objective not in OBJECTIVES:
        raise PlanRequestError("objective", f"{objective!r}: give one of {', '.join(OBJECTIVES)}")
    pay = values["pay"]
    if pay not in PAYS:
        raise PlanRequestError("pay", f"{pay!r}: give one of {', '.join(PAYS)}")
    if pay == "offer" and not pricing.targets:
        raise PlanRequestError(
            "pay",
            "paying the offer needs a target cost per engagement: set target_cpe (RMB per "
            "expected engagement) or target_cpr (RMB per read) in the ruleset's pricing "
            "table, or pay the quote",
        )
    if not isinstance(values["include_review"], bool):
        raise PlanRequestError("include_review", f"{values['include_review']!r} is not true/false")
    min_kols = _count("min_kols", values["min_kols"], 0)
    max_kols = None if values["max_kols"] is None else _count("max_kols", values["max_kols"], 1)
    if max_kols is not None and min_kols > max_kols:
        raise PlanRequestError(
            "min_kols", f"{min_kols} is more than max_kols ({max_kols}): lower it or raise max_kols"
        )
    must, exclude = _ids("must", values["must"]), _ids("exclude", values["exclude"])
    both = [i for i in must if i in exclude]
    if both:
        raise PlanRequestError(
            "must", f"{', '.join(both)} also excluded: an id is a must-have or excluded, not both"
        )
    return PlanSettings(
        budget=budget,
        mix=mix,
        mix_tolerance=_number("mix_tolerance", values["mix_tolerance"], 0, 1),
        objective=cast(Objective, objective),
        pay=cast(Pay, pay),
        include_review=values["include_review"],
        min_kols=min_kols,
        max_kols=max_kols,
        max_share=_number("max_share", values["max_share"], 0, 1, open_low=True),
        must=must,
        exclude=exclude,
        seeding_products=_count("seeding_products", values["seeding_products"], 1),
        gap=_number("gap", values["gap"], 0, 1),
        time_limit=_number("time_limit", values["time_limit"], 0, math.inf, open_low=True),
        origins=origins,
    )


def _check_mix(mix: Mapping[str, Any], tiers: Collection[str]) -> None:
    for name, share in mix.items():
        if name not in tiers:
            close = suggest(name, list(tiers))
            hint = f" (did you mean {close!r}?)" if close else ""
            raise PlanRequestError(
                "mix",
                f"no tier {name!r} in the ruleset{hint}; its tiers are {', '.join(tiers)}",
            )
        _number("mix", share, 0, 1)
    total = sum(mix.values())
    if mix and abs(total - 1) > _SUM_SLACK:
        raise PlanRequestError(
            "mix",
            f"the shares add up to {total:g}; they are shares of the budget and must add up to "
            "1 (for example micro=0.6,mid=0.4)",
        )
