"""The plan's integer program (kolrules.planner.solve) against brute force: on random
instances small enough to enumerate every subset, the plan's value is the best value of
any subset that meets every constraint, the plan meets them all, and an instance no subset
meets is reported infeasible. Both ways of solving are checked: one integer program over
every KOL, and the reduced one (reduced-cost fixing) large inputs take.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolrules.planner.solve import Problem, Solution, extreme, feasible, solve, violations


def subsets(n: int) -> np.ndarray:
    """Every subset of ``n`` items, one per row (bools)."""
    codes = np.arange(2**n, dtype=np.int64)[:, None]
    return ((codes >> np.arange(n)) & 1).astype(bool)


def brute_force(p: Problem) -> float | None:
    """The best value of any subset meeting every constraint (``None``: none does)."""
    xs = subsets(p.n)
    ok = xs.astype(float) @ p.cost <= p.budget
    for g, (low, high) in enumerate(p.groups):
        spend = xs.astype(float) @ np.where(p.group == g, p.cost, 0.0)
        ok &= (spend >= low) & (spend <= high)
    count = xs.sum(axis=1)
    least, most = p.count
    ok &= count >= least
    if most is not None:
        ok &= count <= most
    ok &= (xs | ~p.fixed).all(axis=1)
    if not ok.any():
        return None
    return float((xs[ok].astype(float) @ p.value).max())


@st.composite
def problems(draw: Any) -> Problem:
    n = draw(st.integers(0, 15))
    ints = st.integers(0, 60)
    value = np.array(draw(st.lists(ints, min_size=n, max_size=n)), dtype=float)
    cost = np.array(draw(st.lists(st.integers(1, 60), min_size=n, max_size=n)), dtype=float)
    k = draw(st.integers(0, 3))
    group = np.array(draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    budget = float(draw(st.integers(0, 400)))
    groups = []
    for _ in range(k):
        low = float(draw(st.integers(0, 150)))
        groups.append((low, low + float(draw(st.integers(0, 200)))))
    least = draw(st.integers(0, 4))
    most = draw(st.none() | st.integers(max(least, 1), 15))
    fixed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    fixed &= np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))) == 0
    return Problem(value, cost, group, tuple(groups), budget, (least, most), fixed)


def check(p: Problem, found: Solution) -> None:
    best = brute_force(p)
    if best is None:
        assert found.status == "infeasible"
        assert found.chosen is None
        assert feasible(p, time_limit=10) is False
        return
    assert found.status == "optimal"
    assert found.chosen is not None
    assert violations(p, found.chosen) == []
    assert found.value == best
    assert found.value == float(p.value[found.chosen].sum())
    assert found.gap == 0.0
    assert found.bound == best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_one_program_finds_the_brute_force_optimum(p: Problem) -> None:
    check(p, solve(p, gap=0.0, time_limit=30))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 3))
def test_the_reduced_program_finds_the_brute_force_optimum(p: Problem, core: int) -> None:
    """As large inputs are solved: relaxation, a first program over a few KOLs per group,
    then the KOLs reduced-cost fixing leaves."""
    check(p, solve(p, gap=0.0, time_limit=30, core=core, whole=0))


@settings(max_examples=60, deadline=None)
@given(problems())
def test_a_gap_allowed_is_a_gap_kept(p: Problem) -> None:
    """With a gap allowed, the plan is within it of the best, and says how far it is."""
    found = solve(p, gap=0.05, time_limit=30)
    best = brute_force(p)
    if best is None:
        assert found.status == "infeasible"
        return
    assert found.chosen is not None
    assert violations(p, found.chosen) == []
    assert found.value >= best - 0.05 * max(best, 1.0) - 1e-9
    assert found.bound >= best - 1e-9
    assert found.gap == pytest.approx(max(found.bound - found.value, 0) / max(found.value, 1))


def test_extreme_spends_of_a_group() -> None:
    p = Problem(
        value=np.array([5.0, 4.0, 3.0, 9.0]),
        cost=np.array([10.0, 20.0, 30.0, 40.0]),
        group=np.array([0, 0, 0, 1]),
        groups=((0.0, math.inf), (0.0, 40.0)),
        budget=70.0,
        count=(2, None),
        fixed=np.array([False, False, False, True]),
    )
    weights = np.where(p.group == 0, p.cost, 0.0)
    assert extreme(p, weights, most=False, time_limit=10) == 10.0
    assert extreme(p, weights, most=True, time_limit=10) == 30.0
    assert feasible(p, time_limit=10) is True


def test_violations_name_each_broken_constraint() -> None:
    p = Problem(
        value=np.array([1.0, 1.0]),
        cost=np.array([60.0, 50.0]),
        group=np.array([0, -1]),
        groups=((70.0, 80.0),),
        budget=100.0,
        count=(0, 1),
        fixed=np.array([False, True]),
    )
    assert violations(p, np.array([True, True])) == [
        "the budget (110.00 of 100.00)",
        "group 0's spend (60.00 not in 70.00-80.00)",
        "the count (2)",
    ]
    assert violations(p, np.array([True, False])) == [
        "group 0's spend (60.00 not in 70.00-80.00)",
        "a must-have",
    ]
