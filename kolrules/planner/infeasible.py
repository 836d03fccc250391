"""Why no plan meets a request: the constraint that cannot hold, and what would let it.

First the causes that a sum shows (a must-have that cannot be booked, must-haves over the
budget or over their tier's share, a tier whose candidates cannot fill its share, too few
candidates), each with the number that would make it possible. Then, for a request that
passes those, the integer program is solved again with one constraint left out at a time
(the budget, each tier's share, the least and the most KOLs, the must-haves): those whose
absence leaves a plan are to blame, and the relaxed program says by how much (the spend a
tier can take, the KOLs that fit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from kolrules.errors import KolrulesError
from kolrules.planner.settings import PlanSettings
from kolrules.planner.solve import Problem, extreme, feasible

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["InfeasiblePlanError", "diagnose"]

#: Seconds each relaxed program may take while looking for the cause.
_PROBE_SECONDS = 10.0


class InfeasiblePlanError(KolrulesError):
    """No plan meets the request. ``constraint`` names the one that cannot hold
    (``must``, ``budget``, ``mix:<tier>``, ``min_kols``, ``max_kols``, or ``constraints``
    when no single one is to blame); ``hint`` says what would make a plan possible."""

    def __init__(self, constraint: str, message: str, hint: str) -> None:
        self.constraint = constraint
        self.detail = message
        self.hint = hint
        words = {
            "must": "must-haves",
            "budget": "budget",
            "min_kols": "least number of KOLs",
            "max_kols": "most number of KOLs",
            "constraints": "constraints together",
        }
        name = words.get(constraint, f"{constraint.removeprefix('mix:')} share of the mix")
        super().__init__(f"no plan meets the {name}: {message}; {hint}")


def _rmb(value: float) -> str:
    return f"{value:,.0f} RMB"


def diagnose(
    p: Problem,
    ids: Sequence[str],
    tiers: Sequence[str],
    s: PlanSettings,
    must_out: Mapping[str, str],
) -> InfeasiblePlanError:
    """The error for a request ``p`` that has no plan. ``ids``: the bookable KOLs' ids;
    ``tiers``: the tier of each group of ``p``; ``must_out``: must-haves that are not
    bookable, with why."""
    found = _by_sums(p, ids, tiers, s, must_out)
    return found if found is not None else _by_relaxing(p, tiers, s)


def _by_sums(
    p: Problem,
    ids: Sequence[str],
    tiers: Sequence[str],
    s: PlanSettings,
    must_out: Mapping[str, str],
) -> InfeasiblePlanError | None:
    import numpy as np

    must = s.option("must")
    if must_out:
        pid, why = next(iter(must_out.items()))
        return InfeasiblePlanError(
            "must", f"{pid} cannot be booked: {why}", f"take it out of {must}"
        )
    fixed_cost = float(p.cost[p.fixed].sum())
    if fixed_cost > p.budget:
        return InfeasiblePlanError(
            "must",
            f"they cost {_rmb(fixed_cost)} in all, more than the budget of {_rmb(p.budget)}",
            f"raise {s.option('budget')} to at least {_rmb(fixed_cost)}, or take one out of {must}",
        )
    n_fixed = int(p.fixed.sum())
    least, most = p.count
    if most is not None and n_fixed > most:
        return InfeasiblePlanError(
            "max_kols",
            f"there are {n_fixed} must-haves, more than {most}",
            f"raise {s.option('max_kols')} to {n_fixed}, or take one out of {must}",
        )
    for g, (low, high) in enumerate(p.groups):
        tier, members = tiers[g], p.group == g
        fixed_part = float(p.cost[members & p.fixed].sum())
        if fixed_part > high:
            return InfeasiblePlanError(
                f"mix:{tier}",
                f"the {tier} must-haves cost {_rmb(fixed_part)}, more than the "
                f"{_rmb(high)} the mix allows {tier}",
                f"raise {tier}'s share in {s.option('mix')}, or take one out of {must}",
            )
        total = float(p.cost[members].sum())
        if total < low:
            share, tol = s.mix[tier], s.mix_tolerance
            if not members.any():
                said = f"no {tier} KOL can be booked"
            else:
                said = (
                    f"the {int(members.sum())} {tier} KOLs that can be booked cost "
                    f"{_rmb(total)} in all"
                )
            return InfeasiblePlanError(
                f"mix:{tier}",
                f"{said}, and the mix needs at least {_rmb(low)} of {tier} ({share:g} of the "
                f"budget, give or take {tol:g})",
                f"give {tier} a share of at most {total / p.budget + tol:.2f} in "
                f"{s.option('mix')}, widen {s.option('mix_tolerance')}, or add {tier} "
                "candidates (the excluded list says why each is out)",
            )
    if least > p.n:
        return InfeasiblePlanError(
            "min_kols",
            f"only {p.n} KOLs can be booked, fewer than {least}",
            f"lower {s.option('min_kols')} to {p.n}, or include more (--include-review)",
        )
    if least > 0:
        cheapest = float(np.sort(p.cost)[:least].sum())
        if cheapest > p.budget:
            return InfeasiblePlanError(
                "min_kols",
                f"the {least} cheapest KOLs cost {_rmb(cheapest)} together, more than the "
                f"budget of {_rmb(p.budget)}",
                f"raise {s.option('budget')} to {_rmb(cheapest)}, or lower {s.option('min_kols')}",
            )
    return None


def _by_relaxing(p: Problem, tiers: Sequence[str], s: PlanSettings) -> InfeasiblePlanError:
    import numpy as np

    seconds = min(_PROBE_SECONDS, s.time_limit)
    found: list[InfeasiblePlanError] = []
    ones: npt.NDArray[np.float64] = np.ones(p.n)
    least, most = p.count

    without_budget = attrs.evolve(p, budget=float("inf"))
    if feasible(without_budget, time_limit=seconds):
        need = extreme(without_budget, p.cost, most=False, time_limit=seconds)
        said = "" if need is None else f"the other constraints need {_rmb(need)} at least"
        hint = f"raise {s.option('budget')}"
        if need is not None and not p.groups:
            hint += f" to {_rmb(need)}"
        elif p.groups:
            hint += " (the mix's shares grow with it)"
        found.append(InfeasiblePlanError("budget", said or "it is too small", hint))
    for g, (low, high) in enumerate(p.groups):
        tier = tiers[g]
        groups = list(p.groups)
        groups[g] = (0.0, float("inf"))
        relaxed = attrs.evolve(p, groups=tuple(groups))
        if not feasible(relaxed, time_limit=seconds):
            continue
        weights = np.where(p.group == g, p.cost, 0.0)
        a = extreme(relaxed, weights, most=False, time_limit=seconds)
        b = extreme(relaxed, weights, most=True, time_limit=seconds)
        window = f"{_rmb(low)} to {_rmb(high)}"
        if a is not None and b is not None and (b < low or a > high):
            said = (
                f"with the other constraints {tier} can take {_rmb(a)} to {_rmb(b)}, not the "
                f"{window} its share needs"
            )
        else:
            said = (
                f"no set of {tier} KOLs costs {window} (its share, give or take the "
                "tolerance) while meeting the other constraints"
            )
        found.append(
            InfeasiblePlanError(
                f"mix:{tier}",
                said,
                f"change {tier}'s share in {s.option('mix')} (the shares add up to 1), or "
                f"widen {s.option('mix_tolerance')}",
            )
        )
    if least > 0:
        relaxed = attrs.evolve(p, count=(0, most))
        if feasible(relaxed, time_limit=seconds):
            fit = extreme(relaxed, ones, most=True, time_limit=seconds)
            to = "" if fit is None else f" to {round(fit)}"
            found.append(
                InfeasiblePlanError(
                    "min_kols",
                    f"{'fewer' if fit is None else f'at most {round(fit)}'} KOLs fit the "
                    f"other constraints, not {least}",
                    f"lower {s.option('min_kols')}{to}",
                )
            )
    if most is not None:
        relaxed = attrs.evolve(p, count=(least, None))
        if feasible(relaxed, time_limit=seconds):
            need_n = extreme(relaxed, ones, most=False, time_limit=seconds)
            to = "" if need_n is None else f" to {round(need_n)}"
            found.append(
                InfeasiblePlanError(
                    "max_kols",
                    f"the other constraints need more than {most} KOLs",
                    f"raise {s.option('max_kols')}{to}",
                )
            )
    if p.fixed.any():
        relaxed = attrs.evolve(p, fixed=np.zeros(p.n, dtype=bool))
        if feasible(relaxed, time_limit=seconds):
            found.append(
                InfeasiblePlanError(
                    "must",
                    "they do not fit with the other constraints",
                    f"take one out of {s.option('must')}",
                )
            )
    if not found:
        return InfeasiblePlanError(
            "constraints",
            "no single one of the budget, the mix, the numbers of KOLs and the must-haves is "
            "to blame",
            "loosen several: a larger budget, a wider --mix-tolerance, fewer must-haves",
        )
    first = found[0]
    if len(found) == 1:
        return first
    others = "; or ".join(e.hint for e in found[1:])
    return InfeasiblePlanError(first.constraint, first.detail, f"{first.hint}; or {others}")
