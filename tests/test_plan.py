"""Planning from candidates (kolrules.planner): the plan against brute force over every
subset of random candidates, with every rule of the request checked from its definition
(not from the screening code); why each KOL is in or out; the seeding list; infeasible
requests and their messages; settings from the ruleset's [planning] and [pricing]."""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kolrules
from kolrules.errors import RulesetError
from kolrules.planner import (
    CampaignPlan,
    InfeasiblePlanError,
    PlanRequestError,
    PlanSettings,
    Pricing,
    plan,
    plan_candidates,
)
from kolrules.planner.candidates import CANDIDATE_COLUMNS
from kolrules.planner.infeasible import diagnose
from kolrules.planner.solve import Problem

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "candidates.csv"
TIERS = ("micro", "mid", "top")

SCHEMA = {
    "row": pl.Int64,
    "id": pl.String,
    "status": pl.String,
    "verdict": pl.String,
    "tier": pl.String,
    "score": pl.Float64,
    "quote": pl.Float64,
    "band_min": pl.Float64,
    "band_max": pl.Float64,
    "gifting": pl.Boolean,
    "engagement": pl.Float64,
    "followers": pl.Float64,
    "reads": pl.Float64,
    "reason": pl.String,
    "error": pl.String,
    "offer": pl.Float64,
    "walk_away": pl.Float64,
}
assert tuple(SCHEMA) == CANDIDATE_COLUMNS


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A candidate frame: each row's keys over these defaults."""
    full = []
    for i, r in enumerate(rows, 1):
        base: dict[str, Any] = dict.fromkeys(CANDIDATE_COLUMNS)
        base.update(row=i, status="evaluated", verdict="accept", gifting=False)
        base.update(r)
        if base["quote"] is None and base["status"] == "evaluated":
            base["gifting"] = True
        full.append(base)
    return pl.DataFrame(full, schema=SCHEMA)


# -- against brute force -----------------------------------------------------------------


@st.composite
def requests(draw: Any) -> tuple[pl.DataFrame, PlanSettings]:
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(n):
        status = draw(st.sampled_from(["evaluated"] * 9 + ["error"]))
        rows.append(
            {
                "id": f"k{i}",
                "status": status,
                "verdict": None
                if status == "error"
                else draw(st.sampled_from(["accept", "accept", "accept", "review", "reject"])),
                "tier": draw(st.sampled_from([*TIERS, None])),
                "quote": draw(st.none() | st.integers(1, 60).map(float)),
                "engagement": draw(st.none() | st.integers(0, 80).map(float)),
                "followers": draw(st.none() | st.integers(0, 500).map(float)),
                "score": draw(st.none() | st.integers(0, 100).map(float)),
            }
        )
    ids = [r["id"] for r in rows]
    budget = float(draw(st.integers(1, 300)))
    mix: dict[str, float] = {}
    if draw(st.booleans()):
        weights = {
            t: draw(st.integers(0, 3)) for t in draw(st.sets(st.sampled_from(TIERS), min_size=1))
        }
        total = sum(weights.values()) or 1
        mix = {t: w / total for t, w in weights.items()} if sum(weights.values()) else {}
    least = draw(st.integers(0, 3))
    must = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)) if ids else []
    exclude = (
        [i for i in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)) if i not in must]
        if ids
        else []
    )
    request = PlanSettings(
        budget=budget,
        mix=mix,
        mix_tolerance=draw(st.sampled_from([0.0, 0.05, 0.2, 0.5])),
        objective=draw(st.sampled_from(["engagement", "reach", "score"])),
        include_review=draw(st.booleans()),
        min_kols=least,
        max_kols=draw(st.none() | st.integers(max(least, 1), 8)),
        max_share=draw(st.sampled_from([1.0, 0.5, 0.3])),
        must=tuple(must),
        exclude=tuple(exclude),
        gap=0.0,
    )
    return frame(rows), request


def value_of(c: dict[str, Any], objective: str) -> float | None:
    if objective == "engagement":
        return c["engagement"]  # type: ignore[no-any-return]
    if objective == "reach":
        return c["followers"]  # type: ignore[no-any-return]
    if c["engagement"] is None or c["score"] is None:
        return None
    return c["engagement"] * c["score"] / 100  # type: ignore[no-any-return]


def may_book(c: dict[str, Any], s: PlanSettings) -> bool:
    """The request's rules for one KOL, from their definition (docs/plan.md)."""
    return (
        c["status"] == "evaluated"
        and (c["verdict"] == "accept" or (c["verdict"] == "review" and s.include_review))
        and c["quote"] is not None
        and c["id"] not in s.exclude
        and (not s.mix or c["tier"] in s.mix)
        and value_of(c, s.objective) is not None
        and c["quote"] <= s.budget
        and c["quote"] <= s.max_share * s.budget
    )


def meets(chosen: list[dict[str, Any]], s: PlanSettings) -> bool:
    """The request's rules for a set of KOLs."""
    if sum(c["quote"] for c in chosen) > s.budget:
        return False
    for tier in s.mix:
        low, high = s.tier_bounds(tier)
        spend = sum(c["quote"] for c in chosen if c["tier"] == tier)
        if not low <= spend <= high:
            return False
    if len(chosen) < s.min_kols or (s.max_kols is not None and len(chosen) > s.max_kols):
        return False
    return set(s.must) <= {c["id"] for c in chosen}


def brute_force(candidates: pl.DataFrame, s: PlanSettings) -> float | None:
    rows = candidates.to_dicts()
    must = [c for c in rows if c["id"] in s.must]
    if not all(may_book(c, s) for c in must):
        return None
    bookable = [c for c in rows if may_book(c, s) and c["id"] not in s.must]
    best = None
    for k in range(len(bookable) + 1):
        for extra in itertools.combinations(bookable, k):
            chosen = [*must, *extra]
            if meets(chosen, s):
                value = sum(value_of(c, s.objective) or 0.0 for c in chosen)
                best = value if best is None else max(best, value)
    return best


def check_plan(found: CampaignPlan, candidates: pl.DataFrame, s: PlanSettings) -> None:
    rows = {c["id"]: c for c in candidates.to_dicts()}
    chosen = [rows[b.id] for b in found.selected]
    assert all(may_book(c, s) for c in chosen)
    assert meets(chosen, s)
    assert found.spent == sum(c["quote"] for c in chosen) <= s.budget
    seeds = {
        c["id"]
        for c in rows.values()
        if c["status"] == "evaluated"
        and c["quote"] is None
        and c["id"] not in s.exclude
        and (c["verdict"] == "accept" or (c["verdict"] == "review" and s.include_review))
    }
    assert {e.id for e in found.seeding} == seeds
    listed = [b.id for b in found.selected] + [e.id for e in found.seeding]
    listed += [e.id for e in found.excluded]
    assert sorted(listed) == sorted(rows)
    assert all(e.why for e in found.excluded)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_the_plan_is_the_brute_force_optimum(request: tuple[pl.DataFrame, PlanSettings]) -> None:
    candidates, s = request
    best = brute_force(candidates, s)
    if best is None:
        with pytest.raises(InfeasiblePlanError):
            plan_candidates(candidates, s, Pricing())
        return
    found = plan_candidates(candidates, s, Pricing())
    assert found.value == pytest.approx(best, rel=1e-12, abs=1e-9)
    assert found.optimal
    assert found.gap == 0.0
    check_plan(found, candidates, s)


# -- the example file ---------------------------------------------------------------------


def example_brute_force(budget: float) -> tuple[float, list[str]]:
    """The best expected engagement of accepted, quoted KOLs of examples/candidates.csv
    within ``budget``, by enumeration (red-default's verdicts, as `kolrules evaluate` says)."""
    engine = kolrules.Engine()
    report = engine.evaluate_file(EXAMPLE)
    items = [
        (d.id, d.price.quote, d.metrics["expected_engagement"])
        for d in report.decisions
        if d.verdict == "accept" and d.price.quote is not None
    ]
    best, ids = -1.0, []
    for k in range(len(items) + 1):
        for combo in itertools.combinations(items, k):
            if sum(q for _, q, _ in combo) <= budget:
                value = sum(e for _, _, e in combo)
                if value > best:
                    best, ids = value, sorted(i for i, _, _ in combo)
    return best, ids


def test_the_example_plan_is_the_best_by_enumeration() -> None:
    found = plan(EXAMPLE, budget=12_000)
    best, _ = example_brute_force(12_000)
    assert found.value == best
    assert found.optimal and found.gap == 0.0
    assert found.spent <= 12_000


def test_the_example_plan_explains_each_kol() -> None:
    found = plan(EXAMPLE, budget=30_000, mix={"micro": 0.7, "mid": 0.3}, max_share=0.3)
    assert [b.id for b in found.selected] == [
        "red-001", "red-002", "red-003", "red-010", "red-011", "red-012", "red-013",
        "red-018", "red-022", "red-027",
    ]  # fmt: skip
    assert (found.value, found.spent, found.left) == (8_956, 29_600, 400)
    why = {e.id: e.why for e in found.excluded if e.id}
    assert why["red-004"] == "outside the mix: its tier, top, is not in it (micro=0.7,mid=0.3)"
    assert why["red-008"] == (
        "rejected: total likes and collects are 0.60x followers, below 1x: likely fake followers"
    )
    assert why["red-017"] == (
        "over its budget share: 15,000 RMB is 50% of the budget, more than --max-share 30% "
        "(9,000 RMB)"
    )
    assert why["red-026"] == (
        "another in the same tier gives more per RMB: red-001 costs 5.62 RMB per expected "
        "engagement, this one 5.93"
    )
    assert (
        why["red-028"] == "it does not fit: it costs 4,000 RMB and 400 RMB of the budget are left"
    )
    assert why["red-014"] == (
        "in review: total likes and collects are 2.50x followers, below the usual 3x; "
        "--include-review books KOLs in review"
    )
    assert (
        why["red-036"] == "row 36 could not be evaluated: column 'followers' 'lots': not a number"
    )
    booked = {b.id: b.why for b in found.selected}
    assert (
        booked["red-018"]
        == "225 expected engagements for 300 RMB (1.33 RMB per expected engagement)"
    )
    micro, mid = found.by_tier["micro"], found.by_tier["mid"]
    assert (micro.kols, micro.spent, micro.target, micro.expected_engagement) == (
        9,
        21_600,
        0.7,
        5_476,
    )
    assert (mid.kols, mid.spent, mid.target, mid.expected_engagement) == (1, 8_000, 0.3, 3_480)
    assert [(s.id, s.products) for s in found.seeding] == [
        ("red-005", 1),
        ("red-007", 1),
        ("red-006", 1),
    ]


def test_must_haves_are_booked_and_marked() -> None:
    found = plan(EXAMPLE, budget=20_000, must=["red-017"])
    booked = {b.id: b.why for b in found.selected}
    assert booked["red-017"].startswith("a must-have; 2,950 expected engagements for 15,000 RMB")


def test_a_must_have_over_the_budget_share_explains_itself() -> None:
    with pytest.raises(InfeasiblePlanError) as caught:
        plan(EXAMPLE, budget=30_000, must="red-017", max_share=0.3)
    assert caught.value.constraint == "must"
    assert str(caught.value) == (
        "no plan meets the must-haves: red-017 cannot be booked: over its budget share: "
        "15,000 RMB is 50% of the budget, more than --max-share 30% (9,000 RMB); take it out "
        "of --must"
    )


# -- infeasible requests ------------------------------------------------------------------


def small() -> pl.DataFrame:
    return frame(
        [
            {"id": "a", "tier": "micro", "quote": 3_000.0, "engagement": 500.0},
            {"id": "b", "tier": "micro", "quote": 3_000.0, "engagement": 400.0},
            {"id": "c", "tier": "mid", "quote": 5_000.0, "engagement": 900.0},
            {"id": "g", "tier": "mid", "engagement": 100.0},  # gifting
        ]
    )


def test_must_haves_over_the_budget() -> None:
    s = PlanSettings(budget=7_000, must=("a", "c"))
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert str(caught.value) == (
        "no plan meets the must-haves: they cost 8,000 RMB in all, more than the budget of "
        "7,000 RMB; raise --budget to at least 8,000 RMB, or take one out of --must"
    )


def test_a_gifting_must_have() -> None:
    with pytest.raises(InfeasiblePlanError, match=r"g cannot be booked: it has no quote"):
        plan_candidates(small(), PlanSettings(budget=9_000, must=("g",)), Pricing())


def test_a_share_its_candidates_cannot_fill() -> None:
    s = PlanSettings(budget=20_000, mix={"micro": 0.5, "mid": 0.5}, mix_tolerance=0.05)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert caught.value.constraint == "mix:micro"
    assert str(caught.value) == (
        "no plan meets the micro share of the mix: the 2 micro KOLs that can be booked cost "
        "6,000 RMB in all, and the mix needs at least 9,000 RMB of micro (0.5 of the budget, "
        "give or take 0.05); give micro a share of at most 0.35 in --mix, widen "
        "--mix-tolerance, or add micro candidates (the excluded list says why each is out)"
    )


def test_a_share_the_other_constraints_leave_no_room_for() -> None:
    """Micro must be exactly 5,000 RMB; mid takes 5,000 of the 10,000, and one micro KOL
    (3,000) is all the 5,000 left can pay."""
    s = PlanSettings(budget=10_000, mix={"micro": 0.5, "mid": 0.5}, mix_tolerance=0.0)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert caught.value.constraint == "mix:micro"
    assert str(caught.value) == (
        "no plan meets the micro share of the mix: with the other constraints micro can take "
        "0 RMB to 3,000 RMB, not the 5,000 RMB to 5,000 RMB its share needs; change micro's "
        "share in --mix (the shares add up to 1), or widen --mix-tolerance"
    )


def test_a_share_no_set_of_candidates_lands_in() -> None:
    """Without a budget to bind it, micro can spend 0 to 6,000 RMB, but only in steps of
    3,000: never the 5,000 its share needs."""
    p = Problem(
        value=np.array([5.0, 4.0]),
        cost=np.array([3_000.0, 3_000.0]),
        group=np.array([0, 0]),
        groups=((5_000.0, 5_000.0),),
        budget=math.inf,
        count=(0, None),
        fixed=np.array([False, False]),
    )
    s = PlanSettings(budget=10_000, mix={"micro": 0.5, "mid": 0.5}, mix_tolerance=0.0)
    found = diagnose(p, ["a", "b"], ["micro"], s, {})
    assert str(found) == (
        "no plan meets the micro share of the mix: no set of micro KOLs costs 5,000 RMB to "
        "5,000 RMB (its share, give or take the tolerance) while meeting the other "
        "constraints; change micro's share in --mix (the shares add up to 1), or widen "
        "--mix-tolerance"
    )


def test_too_many_kols_asked_for() -> None:
    s = PlanSettings(budget=100_000, min_kols=4)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert str(caught.value) == (
        "no plan meets the least number of KOLs: only 3 KOLs can be booked, fewer than 4; "
        "lower --min-kols to 3, or include more (--include-review)"
    )


def test_the_count_and_the_budget_conflict() -> None:
    """Two KOLs fit the budget; three are asked for: relaxing finds both culprits."""
    s = PlanSettings(budget=8_500, min_kols=3)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert caught.value.constraint == "min_kols"
    assert str(caught.value) == (
        "no plan meets the least number of KOLs: the 3 cheapest KOLs cost 11,000 RMB together, "
        "more than the budget of 8,500 RMB; raise --budget to 11,000 RMB, or lower --min-kols"
    )


def test_relaxing_names_every_way_out() -> None:
    """One micro and one mid KOL are needed (3,000 to 7,000 RMB of each), one is allowed:
    leaving out either share, or the most KOLs, makes a plan."""
    s = PlanSettings(budget=10_000, max_kols=1, mix={"micro": 0.5, "mid": 0.5}, mix_tolerance=0.2)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_candidates(small(), s, Pricing())
    assert caught.value.constraint == "mix:micro"
    assert str(caught.value) == (
        "no plan meets the micro share of the mix: with the other constraints micro can take "
        "0 RMB to 0 RMB, not the 3,000 RMB to 7,000 RMB its share needs; change micro's share "
        "in --mix (the shares add up to 1), or widen --mix-tolerance; or change mid's share "
        "in --mix (the shares add up to 1), or widen --mix-tolerance; or raise --max-kols to 2"
    )


# -- the seeding list, offers, pay ----------------------------------------------------------


def test_seeding_products_and_order() -> None:
    candidates = frame(
        [
            {"id": "x", "tier": "micro", "engagement": 50.0},
            {"id": "y", "tier": "mid", "engagement": 900.0},
            {"id": "z", "tier": "mid", "engagement": 900.0, "verdict": "reject"},
            {"id": "w", "tier": "top"},
        ]
    )
    found = plan_candidates(candidates, PlanSettings(budget=1_000, seeding_products=2), Pricing())
    assert [(s.id, s.products) for s in found.seeding] == [("y", 2), ("x", 2), ("w", 2)]
    assert found.products == 6
    assert found.selected == ()


def test_paying_the_offer_and_walking_away() -> None:
    pricing = Pricing(target_cpe=5)
    rows = [
        {"id": "cheap", "tier": "micro", "quote": 1_000.0, "engagement": 400.0},
        {"id": "dear", "tier": "micro", "quote": 6_000.0, "engagement": 800.0},
        {"id": "thin", "tier": "mid", "quote": 9_000.0, "engagement": 1_000.0},
    ]
    candidates = frame(rows).with_columns(
        pl.Series("band_min", [500.0, 500.0, 8_000.0]),
        pl.Series("band_max", [8_000.0, 8_000.0, 30_000.0]),
    )
    from kolrules.planner import offer_columns

    candidates = candidates.with_columns(offer_columns(pricing))
    by_quote = plan_candidates(candidates, PlanSettings(budget=20_000), pricing)
    why = {e.id: e.why for e in by_quote.excluded}
    assert [b.id for b in by_quote.selected] == ["cheap"]
    assert why["dear"] == (
        "not worth booking: 6,000 RMB is above its walk-away price of 4,000 RMB (its offer "
        "is 4,000 RMB: --pay offer)"
    )
    assert why["thin"] == ("not worth booking: 9,000 RMB is above its walk-away price of 5,000 RMB")
    by_offer = plan_candidates(candidates, PlanSettings(budget=20_000, pay="offer"), pricing)
    assert [(b.id, b.pay, b.quote) for b in by_offer.selected] == [
        ("cheap", 1_000, 1_000),
        ("dear", 4_000, 6_000),
    ]
    assert by_offer.selected[1].offer_reason.startswith(
        "quote 6,000 RMB; at the target 5 RMB per engagement and 800 expected engagements"
    )


# -- settings -----------------------------------------------------------------------------


def overlay(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "client.toml"
    path.write_text(
        '[ruleset]\nname = "client"\nversion = "1"\nextends = "red-default"\n' + text,
        encoding="utf-8",
    )
    return path


def test_the_ruleset_gives_defaults_and_arguments_override_them(tmp_path: Path) -> None:
    path = overlay(
        tmp_path,
        "[pricing]\ntarget_cpe = 6\n\n[planning]\nbudget = 12000\nmax_kols = 5\n"
        "mix = { micro = 0.5, mid = 0.5 }\nmix_tolerance = 0.2\n",
    )
    found = plan(EXAMPLE, ruleset=path)
    assert found.settings.budget == 12_000
    assert found.settings.max_kols == 5 and len(found.selected) <= 5
    assert found.settings.origins["budget"] == "ruleset"
    assert found.selected[0].offer is not None
    again = plan(EXAMPLE, ruleset=path, budget=20_000, mix="micro=1", max_kols=None)
    assert again.settings.budget == 20_000
    assert dict(again.settings.mix) == {"micro": 1.0}
    assert again.settings.max_kols == 5  # None: the ruleset's


def test_an_overlay_mix_replaces_the_parents_mix(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text(
        '[ruleset]\nname = "base"\nversion = "1"\nextends = "red-default"\n'
        "[planning]\nbudget = 9000\nmix = { micro = 0.6, mid = 0.4 }\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.toml"
    child.write_text(
        '[ruleset]\nname = "child"\nversion = "1"\nextends = "base.toml"\n'
        "[planning]\nmix = { micro = 1.0 }\n",
        encoding="utf-8",
    )
    loaded = kolrules.load_ruleset(child)
    assert loaded.planning == {"budget": 9000, "mix": {"micro": 1.0}}


def test_a_bad_planning_value_in_the_ruleset_is_located(tmp_path: Path) -> None:
    path = overlay(tmp_path, "[planning]\nbudget = 9000\nmix = { micro = 0.5 }\n")
    with pytest.raises(RulesetError) as caught:
        plan(EXAMPLE, ruleset=path)
    assert str(caught.value).endswith(
        "client.toml:7 [planning.mix]: the shares add up to 0.5; they are shares of the "
        "budget and must add up to 1 (for example micro=0.6,mid=0.4)\n    hint: or give --mix"
    )


def test_a_schema_error_in_planning_is_reported(tmp_path: Path) -> None:
    path = overlay(tmp_path, "[planning]\nbudget = -5\nobjective = 'likes'\n")
    with pytest.raises(RulesetError) as caught:
        kolrules.load_ruleset(path)
    text = str(caught.value)
    assert "[planning.budget]" in text and "[planning.objective]" in text


BAD_REQUESTS = [
    ({}, "budget: no budget: give --budget (RMB), or budget in the ruleset's planning table"),
    ({"budget": 0}, "budget: 0 is out of range: give a number more than 0"),
    (
        {"budget": 1000, "mix": "micro0.6"},
        "mix: 'micro0.6' is not TIER=SHARE; write for example micro=0.6,mid=0.4",
    ),
    (
        {"budget": 1000, "mix": "micro=0.6,mid=0.3"},
        "mix: the shares add up to 0.9; they are shares of the budget and must add up to 1 "
        "(for example micro=0.6,mid=0.4)",
    ),
    (
        {"budget": 1000, "pay": "offer"},
        "pay: paying the offer needs a target cost per engagement: set target_cpe (RMB per "
        "expected engagement) or target_cpr (RMB per read) in the ruleset's pricing table, "
        "or pay the quote",
    ),
    (
        {"budget": 1000, "min_kols": 3, "max_kols": 2},
        "min_kols: 3 is more than max_kols (2): lower it or raise max_kols",
    ),
    (
        {"budget": 1000, "max_share": 1.5},
        "max_share: 1.5 is out of range: give a number more than 0 and at most 1",
    ),
    (
        {"budget": 1000, "must": "red-001", "exclude": ["red-001"]},
        "must: red-001 also excluded: an id is a must-have or excluded, not both",
    ),
    (
        {"budget": 1000, "must": "red-0011"},
        "must: no candidate 'red-0011' in the input (did you mean 'red-011'?)",
    ),
    ({"budget": 1000, "exclude": "nobody"}, "exclude: no candidate 'nobody' in the input"),
]


@pytest.mark.parametrize(("given", "message"), BAD_REQUESTS)
def test_bad_requests_say_what_to_give(given: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanRequestError) as caught:
        plan(EXAMPLE, **given)
    assert str(caught.value) == message


def test_the_package_hands_plan_on() -> None:
    assert kolrules.plan is plan
    assert "plan" in kolrules.__all__


def test_nothing_bookable_is_an_empty_plan() -> None:
    found = plan_candidates(frame([]), PlanSettings(budget=100), Pricing())
    assert (found.value, found.spent, found.selected, found.by_tier) == (0, 0, (), {})
    assert found.cpe is None and math.isclose(found.left, 100)


def test_as_good_per_rmb_but_it_does_not_fit() -> None:
    """Paying offers at the target CPE makes KOLs cost the same per engagement: the one
    left out is not said to give less per RMB."""
    candidates = frame(
        [
            {"id": "p", "tier": "micro", "quote": 4_000.0, "engagement": 600.0},
            {"id": "q", "tier": "micro", "quote": 4_000.0, "engagement": 500.0},
        ]
    ).with_columns(pl.lit(500.0).alias("band_min"), pl.lit(8_000.0).alias("band_max"))
    pricing = Pricing(target_cpe=5)
    from kolrules.planner import offer_columns

    candidates = candidates.with_columns(offer_columns(pricing))
    found = plan_candidates(candidates, PlanSettings(budget=3_500, pay="offer"), pricing)
    assert [(b.id, b.pay) for b in found.selected] == [("p", 3_000)]
    assert found.excluded[0].why == (
        "as good per RMB as p (5.00 RMB per expected engagement), but it does not fit: it "
        "costs 2,500 RMB and 500 RMB of the budget are left"
    )


def test_csv_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    from kolrules.planner.display import render_csv

    candidates = frame([{"id": "=HYPERLINK(1)", "tier": "micro", "quote": 10.0, "engagement": 5.0}])
    found = plan_candidates(candidates, PlanSettings(budget=100), Pricing())
    out = io.StringIO()
    render_csv(found, out)
    assert out.getvalue().splitlines()[1].startswith("1,'=HYPERLINK(1),booked,micro,10,10,,,5,")
