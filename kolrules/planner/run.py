"""Planning, wired: evaluate the candidates, screen them, solve the integer program, explain
the result (:func:`plan`, and :func:`plan_candidates` for candidates already evaluated).

Each step is in its own module of the wing: :mod:`~kolrules.planner.candidates`,
:mod:`~kolrules.planner.screen`, :mod:`~kolrules.planner.solve` (and, when there is no
plan, :mod:`~kolrules.planner.infeasible`), :mod:`~kolrules.planner.explain`.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kolrules.engine import DEFAULT_RULESET, Engine
from kolrules.planner.candidates import candidate_frame, read_candidates
from kolrules.planner.explain import booked_and_left, by_tier
from kolrules.planner.infeasible import diagnose
from kolrules.planner.result import CampaignPlan
from kolrules.planner.screen import screen
from kolrules.planner.settings import (
    PlanRequestError,
    PlanSettings,
    Pricing,
    pricing_of,
    settings_for,
)
from kolrules.planner.solve import Problem, require_solver, solve
from kolrules.ruleset import Ruleset

if TYPE_CHECKING:
    import polars as pl

__all__ = ["plan", "plan_candidates"]


def plan(
    source: str | Path | pl.DataFrame,
    *,
    budget: float | None = None,
    ruleset: Ruleset | str | Path | None = None,
    engine: Engine | None = None,
    mix: Mapping[str, float] | str | None = None,
    mix_tolerance: float | None = None,
    objective: str | None = None,
    pay: str | None = None,
    include_review: bool | None = None,
    min_kols: int | None = None,
    max_kols: int | None = None,
    max_share: float | None = None,
    must: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    seeding_products: int | None = None,
    gap: float | None = None,
    time_limit: float | None = None,
    input_format: str | None = None,
    sheet: str | int | None = None,
) -> CampaignPlan:
    """The best set of KOLs to book from ``source`` (a file of candidates, or a polars
    DataFrame of its rows) within ``budget`` RMB, with the seeding list and why each
    other candidate is out (docs/plan.md).

    ``ruleset`` (default red-default) or ``engine`` (an :class:`~kolrules.Engine` to reuse)
    evaluates the candidates; its ``[planning]`` table gives every setting left ``None``
    here, and its ``[pricing]`` the offers. The settings are those of ``kolrules plan``
    (:class:`~kolrules.planner.PlanSettings`); ``mix`` is ``{"micro": 0.6, ...}`` or the
    text ``"micro=0.6,..."``, ``must`` and ``exclude`` ids or ``"a,b"``.

    Raises :class:`~kolrules.planner.PlanRequestError` for a setting that cannot be used,
    :class:`~kolrules.planner.InfeasiblePlanError` when no plan meets the request (naming
    the constraint, and what would make one possible), and kolrules' errors for a bad
    ruleset or input file.
    """
    import polars as pl

    require_solver()
    started = time.perf_counter()
    if engine is None:
        engine = Engine(DEFAULT_RULESET if ruleset is None else ruleset)
    elif ruleset is not None:
        raise TypeError("give plan() a ruleset or an engine, not both")
    pricing = pricing_of(engine.ruleset)
    tiers = [t.name for t in engine.plan.tiers]
    settings = settings_for(
        engine.ruleset,
        tiers,
        pricing,
        budget=budget,
        mix=mix,
        mix_tolerance=mix_tolerance,
        objective=objective,
        pay=pay,
        include_review=include_review,
        min_kols=min_kols,
        max_kols=max_kols,
        max_share=max_share,
        must=must,
        exclude=exclude,
        seeding_products=seeding_products,
        gap=gap,
        time_limit=time_limit,
    )
    if isinstance(source, pl.DataFrame):
        candidates, name = candidate_frame(engine, source, pricing), None
    else:
        candidates = read_candidates(
            engine, source, pricing, input_format=input_format, sheet=sheet
        )
        name = str(source)
    found = plan_candidates(
        candidates,
        settings,
        pricing,
        tier_order=tiers,
        ruleset=f"{engine.ruleset.name} {engine.ruleset.version}",
        source=name,
    )
    return attrs.evolve(found, seconds=time.perf_counter() - started)


def plan_candidates(
    candidates: pl.DataFrame,
    settings: PlanSettings,
    pricing: Pricing,
    *,
    tier_order: Sequence[str] = (),
    ruleset: str = "",
    source: str | None = None,
) -> CampaignPlan:
    """The plan for a candidate frame (:mod:`kolrules.planner.candidates`)."""
    import numpy as np

    _check_ids(candidates, settings)
    screened = screen(candidates, settings)
    bookable = screened.bookable
    groups = list(settings.mix)
    index = {t: g for g, t in enumerate(groups)}
    problem = Problem(
        value=bookable.get_column("value").to_numpy().astype(np.float64),
        cost=bookable.get_column("pay").to_numpy().astype(np.float64),
        group=np.array([index.get(t, -1) for t in bookable.get_column("tier")], dtype=np.int64),
        groups=tuple(settings.tier_bounds(t) for t in groups),
        budget=settings.budget,
        count=(settings.min_kols, settings.max_kols),
        fixed=bookable.get_column("must").to_numpy().astype(bool),
    )
    ids = bookable.get_column("id").to_list()
    if screened.must_out:
        raise diagnose(problem, ids, groups, settings, screened.must_out)
    solution = solve(problem, gap=settings.gap, time_limit=settings.time_limit)
    if solution.chosen is None:
        raise diagnose(problem, ids, groups, settings, screened.must_out)
    booked, unchosen = booked_and_left(bookable, solution.chosen, settings, pricing, solution.gap)
    excluded = sorted([*screened.left, *unchosen], key=lambda e: e.row)
    return CampaignPlan(
        budget=settings.budget,
        spent=sum(b.pay for b in booked),
        objective=settings.objective,
        value=solution.value,
        optimal=solution.status == "optimal",
        gap=solution.gap,
        selected=tuple(booked),
        seeding=screened.seeding,
        excluded=tuple(excluded),
        by_tier=by_tier(booked, settings, tier_order),
        settings=settings,
        ruleset=ruleset,
        source=source,
    )


def _check_ids(candidates: pl.DataFrame, s: PlanSettings) -> None:
    """Must-haves, and ids excluded by the caller, must be candidates: an id that is not
    is a typo (ids the ruleset excludes need not be in every input)."""
    known = set(candidates.get_column("id").drop_nulls().to_list())
    checks: list[tuple[str, Sequence[str]]] = [("must", s.must)]
    if s.origins.get("exclude") == "given":
        checks.append(("exclude", s.exclude))
    for option, ids in checks:
        for pid in ids:
            if pid not in known:
                close = difflib.get_close_matches(pid, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PlanRequestError(option, f"no candidate {pid!r} in the input{hint}")
