"""The integer program of a plan, solved with scipy's ``milp`` (HiGHS).

One binary ``x_i`` per bookable KOL: maximise ``sum(value_i x_i)`` subject to

- the budget: ``sum(cost_i x_i) <= budget``;
- each group's (tier's) spend within its bounds: ``low_g <= sum(cost_i x_i, i in g) <= high_g``;
- the count: ``least <= sum(x_i) <= most``;
- must-haves: ``x_i = 1``.

It is solved exactly: branch and bound stops only when the plan is proven within ``gap``
(relative) of the best possible, and the gap reached is reported. Large inputs are first
made small without losing the optimum, by reduced-cost fixing: the linear relaxation gives
dual prices ``y`` and, for any ``y >= 0``, the bound ``U = y.h + sum(max(d_i, 0))`` on every
plan's value (``d = value - A'y``, the reduced costs); a KOL whose ``|d_i|`` is more than
``U - z`` (``z`` the value of a plan already found) takes its relaxed value in every plan
better than that one, so only the others are left to the branch and bound. ``z`` comes from
a first integer program over the KOLs of smallest ``|d_i|`` in each group.

Not here: which KOLs may be booked, and why a request has no plan
(:mod:`kolrules.planner.screen`, :mod:`kolrules.planner.infeasible`).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import attrs

from kolrules.errors import KolrulesError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Bools = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = [
    "Problem",
    "Solution",
    "SolverMissingError",
    "extreme",
    "feasible",
    "require_solver",
    "solve",
    "violations",
]

#: Up to this many KOLs, one integer program over all of them.
WHOLE = 3_000
#: The KOLs of smallest reduced cost per group that the first integer program holds
#: (benchmarks/plan.py: 100 to 300 take about as long; more makes the first program slow).
CORE = 100
#: HiGHS' presolve looks for parallel columns, in time that grows faster than the number
#: of KOLs: above this many it costs more than it saves (benchmarks/plan.py: 30 s against
#: 11 s for the 34,000 KOLs left of 100,000).
PRESOLVE_UP_TO = 3_000
#: How far a row may be broken by float rounding, relative to its scale.
_SLACK = 1e-9


class SolverMissingError(KolrulesError):
    """scipy, the solver of the ``plan`` extra, is not installed."""


def require_solver() -> None:
    """Raise :class:`SolverMissingError`, saying what to install, when scipy is missing."""
    import importlib.util

    if importlib.util.find_spec("scipy") is None:
        raise SolverMissingError(
            "planning needs scipy (its HiGHS solver): pip install 'kolrules[plan]'"
        )


@attrs.frozen(eq=False)
class Problem:
    """A plan's integer program over ``n`` bookable KOLs.

    ``value``, ``cost``: arrays of ``n`` floats; ``group``: each KOL's group (its tier's
    index in ``groups``, or -1 for none); ``groups``: the least and most spend of each
    group; ``count``: the least and most KOLs (``None``: no most); ``fixed``: must-haves.
    """

    value: Floats
    cost: Floats
    group: Ints
    groups: tuple[tuple[float, float], ...]
    budget: float
    count: tuple[int, int | None]
    fixed: Bools

    @property
    def n(self) -> int:
        return int(self.value.shape[0])


@attrs.frozen(eq=False)
class Solution:
    """What the solver found. ``status``: ``optimal`` (within the gap asked for),
    ``stopped`` (the time limit, with a plan) or ``infeasible`` (no plan exists; ``chosen``
    is ``None``). ``bound``: no plan is worth more; ``gap``: (bound - value) / max(value, 1)."""

    status: Literal["optimal", "stopped", "infeasible"]
    chosen: Bools | None
    value: float
    bound: float
    gap: float


class _Rows:
    """The rows of a problem as ``low <= A x <= high`` (A sparse), and as ``G x <= h``
    for the linear relaxation."""

    def __init__(self, p: Problem) -> None:
        import numpy as np
        from scipy import sparse

        n = p.n
        rows: list[tuple[Any, float, float]] = [(np.arange(n), -math.inf, p.budget)]
        for g, (low, high) in enumerate(p.groups):
            rows.append((np.flatnonzero(p.group == g), low, high))
        least, most = p.count
        count_row = least > 0 or most is not None
        if count_row:
            rows.append((np.arange(n), float(least), math.inf if most is None else float(most)))
        data, ri, ci = [], [], []
        for r, (cols, _, _) in enumerate(rows):
            is_count = count_row and r == len(rows) - 1
            data.append(np.ones(len(cols)) if is_count else p.cost[cols])
            ri.append(np.full(len(cols), r))
            ci.append(cols)
        self.A = sparse.csr_array(
            (np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))), shape=(len(rows), n)
        )
        self.low = np.array([r[1] for r in rows])
        self.high = np.array([r[2] for r in rows])
        upper = np.flatnonzero(np.isfinite(self.high))
        lower = np.flatnonzero(self.low > 0)
        self.G = sparse.vstack([self.A[upper], -self.A[lower]]).tocsr()
        self.h = np.concatenate([self.high[upper], -self.low[lower]])


class _Clock:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.01)


def _milp(
    p: Problem,
    rows: _Rows,
    objective: Floats,
    free: Bools,
    base: Floats,
    gap: float,
    clock: _Clock,
) -> tuple[int, Floats | None, float]:
    """Maximise ``objective . x`` over the KOLs ``free``, the others held at ``base``:
    (scipy's status, ``x`` over all KOLs or ``None``, the bound on the objective)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    held = np.flatnonzero(~free)
    fixed_part = float(objective[held] @ base[held])
    activity = rows.A[:, held] @ base[held] if held.size else np.zeros(len(rows.low))
    cols = np.flatnonzero(free)
    if cols.size == 0:
        inside = np.all(activity >= rows.low - _scale(rows.low)) and np.all(
            activity <= rows.high + _scale(rows.high)
        )
        return (0, base.copy(), fixed_part) if inside else (2, None, -math.inf)
    with _quiet():
        result = milp(
            -objective[cols],
            integrality=np.ones(cols.size),
            bounds=Bounds(p.fixed[cols].astype(float), np.ones(cols.size)),
            constraints=[
                LinearConstraint(rows.A[:, cols], rows.low - activity, rows.high - activity)
            ],
            options={
                "mip_rel_gap": gap,
                "time_limit": clock.left(),
                "presolve": bool(cols.size <= PRESOLVE_UP_TO),
            },
        )
    if result.x is None:
        return int(result.status), None, -math.inf
    x = base.copy()
    x[cols] = np.round(result.x)
    dual = getattr(result, "mip_dual_bound", None)
    bound = math.inf if dual is None or not math.isfinite(dual) else -float(dual) + fixed_part
    return int(result.status), x, bound


@contextmanager
def _quiet() -> Iterator[None]:
    """File descriptor 1 sent to the null device while HiGHS runs: its MIP solver prints
    stray debug lines to the process's standard output (past Python's ``sys.stdout``),
    which would land in the middle of a plan written as JSON."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # pragma: no cover - no descriptor 1 to silence
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _scale(values: Floats) -> Floats:
    import numpy as np

    finite = np.where(np.isfinite(values), np.abs(values), 0.0)
    return _SLACK * np.maximum(finite, 1.0)


def solve(
    p: Problem, *, gap: float, time_limit: float, core: int = CORE, whole: int = WHOLE
) -> Solution:
    """The plan of greatest value (see the module's docstring), proven within ``gap``
    unless ``time_limit`` seconds run out first. Up to ``whole`` KOLs, one program over
    them all; above, the reduced one, whose first program holds ``core`` KOLs per group."""
    import numpy as np

    require_solver()
    clock = _Clock(time_limit)
    rows = _Rows(p)
    everyone = np.ones(p.n, dtype=bool)
    nothing = np.zeros(p.n)
    if p.n <= whole:
        return _finish(p, gap, *_milp(p, rows, p.value, everyone, nothing, gap, clock))
    relaxed = _relaxation(p, rows, clock)
    if relaxed is None:
        return _finish(p, gap, *_milp(p, rows, p.value, everyone, nothing, gap, clock))
    if relaxed == "infeasible":
        return Solution("infeasible", None, 0.0, -math.inf, math.inf)
    d, upper, fractional = relaxed
    side = ((d > 0) | p.fixed).astype(float)
    first = _smallest(p, np.abs(d), core) | fractional
    status, x, bound = _milp(p, rows, p.value, first, side, gap, clock)
    if x is None:  # the first program has no plan: solve the whole one
        return _finish(p, gap, *_milp(p, rows, p.value, everyone, nothing, gap, clock))
    found = float(p.value @ x)
    margin = upper - found
    eps = _SLACK * max(1.0, abs(upper))
    if margin <= gap * max(found, 1.0) + eps:  # the relaxation's bound proves it
        return _finish(p, gap, 0, x, upper)
    # Every plan better than x sets the others to their relaxed side: solve over the rest.
    left = (np.abs(d) <= margin + eps) | (x != side)
    # HiGHS' gap is relative to the value of the KOLs left: the same distance, as a share
    # of the whole plan (whose value is at most upper), is a larger share of theirs.
    held = float(p.value[~left] @ side[~left])
    gap_left = gap * upper / max(upper - held, 1.0) if upper > held else gap
    status, better, bound = _milp(p, rows, p.value, left, side, gap_left, clock)
    if better is not None and float(p.value @ better) >= found:
        x = better
    return _finish(p, gap, status, x, max(found, min(upper, bound)))


def _relaxation(
    p: Problem, rows: _Rows, clock: _Clock
) -> tuple[Floats, float, Bools] | Literal["infeasible"] | None:
    """The linear relaxation's reduced costs, the bound they give and its fractional
    KOLs; ``"infeasible"`` when not even the relaxation has a solution; ``None`` when it
    could not be solved."""
    import numpy as np
    from scipy.optimize import linprog

    bounds = np.column_stack([p.fixed.astype(float), np.ones(p.n)])
    with _quiet():
        lp = linprog(
            -p.value,
            A_ub=rows.G,
            b_ub=rows.h,
            bounds=bounds,
            method="highs",
            # HiGHS' presolve looks for parallel columns: slow on 100,000 KOLs, no help here
            options={"presolve": False, "time_limit": clock.left()},
        )
    if lp.status == 2:
        return "infeasible"
    if lp.status != 0:
        return None
    y = np.maximum(-np.asarray(lp.ineqlin.marginals, dtype=float), 0.0)
    d = p.value - rows.G.T @ y
    gains = np.where(p.fixed, d, np.maximum(d, 0.0))
    upper = float(y @ rows.h + gains.sum())
    x = np.asarray(lp.x, dtype=float)
    return d, upper, (x > 1e-9) & (x < 1 - 1e-9)


def _smallest(p: Problem, size: Floats, k: int) -> Bools:
    """The ``k`` KOLs of smallest ``size`` in each group (and among those of no group)."""
    import numpy as np

    chosen = np.zeros(p.n, dtype=bool)
    for g in np.unique(p.group):
        members = np.flatnonzero(p.group == g)
        if members.size <= k:
            chosen[members] = True
        else:
            chosen[members[np.argpartition(size[members], k)[:k]]] = True
    return chosen


def _finish(p: Problem, gap: float, status: int, x: Floats | None, bound: float) -> Solution:
    if x is None:
        if status == 2:
            return Solution("infeasible", None, 0.0, -math.inf, math.inf)
        raise KolrulesError(
            "the solver found no plan in the time it was given: allow it more (--time-limit), "
            "or loosen the constraints"
        )
    chosen = x > 0.5
    broken = violations(p, chosen)
    if broken:  # pragma: no cover - HiGHS keeps its rows
        raise KolrulesError(
            f"internal error: the solver's plan breaks {broken[0]}; please report it"
        )
    value = float(p.value[chosen].sum())
    if bound - value <= _SLACK * max(1.0, abs(value)):
        bound = value
    reached = max(bound - value, 0.0) / max(value, 1.0)
    done = reached <= gap + _SLACK
    return Solution("optimal" if done else "stopped", chosen, value, bound, reached)


def violations(p: Problem, chosen: Bools) -> list[str]:
    """The constraints ``chosen`` breaks, in words (none: a plan)."""
    import numpy as np

    broken = []
    spent = float(p.cost[chosen].sum())
    if spent > p.budget * (1 + _SLACK):
        broken.append(f"the budget ({spent:,.2f} of {p.budget:,.2f})")
    for g, (low, high) in enumerate(p.groups):
        part = float(p.cost[chosen & (p.group == g)].sum())
        if part < low * (1 - _SLACK) or part > high * (1 + _SLACK):
            broken.append(f"group {g}'s spend ({part:,.2f} not in {low:,.2f}-{high:,.2f})")
    n = int(chosen.sum())
    least, most = p.count
    if n < least or (most is not None and n > most):
        broken.append(f"the count ({n})")
    if bool(np.any(p.fixed & ~chosen)):
        broken.append("a must-have")
    return broken


def feasible(p: Problem, *, time_limit: float) -> bool | None:
    """Whether ``p`` has a plan at all (``None``: not known within ``time_limit``)."""
    import numpy as np

    require_solver()
    rows = _Rows(p)
    status, x, _ = _milp(
        p, rows, np.zeros(p.n), np.ones(p.n, bool), np.zeros(p.n), 0.0, _Clock(time_limit)
    )
    if x is not None:
        return True
    return False if status == 2 else None


def extreme(p: Problem, weights: Floats, *, most: bool, time_limit: float) -> float | None:
    """The most (or least) ``weights . x`` over the plans of ``p`` (``None``: no plan, or
    not known within ``time_limit``)."""
    import numpy as np

    require_solver()
    rows = _Rows(p)
    sign = 1.0 if most else -1.0
    status, x, _ = _milp(
        p, rows, sign * weights, np.ones(p.n, bool), np.zeros(p.n), 0.0, _Clock(time_limit)
    )
    return None if x is None or status != 0 else float(weights @ x)
