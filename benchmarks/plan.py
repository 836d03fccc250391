"""How fast ``kolrules plan`` is: 10,000 and 100,000 candidates with a five-tier mix.

    python benchmarks/plan.py                  # 10,000 and 100,000 candidates
    python benchmarks/plan.py --rows 10000     # one size

Targets (issue 15), on 2 cores: 10,000 candidates planned in at most 5 s, 100,000 in at
most 60 s. Each size is timed end to end, as ``kolrules.plan()`` runs it on a CSV file
(read, evaluate with the ruleset, screen, solve, explain), and its parts are printed: the
evaluation (:func:`kolrules.planner.candidates.read_candidates`) and the plan of the
evaluated candidates (:func:`kolrules.planner.plan_candidates`). The figures depend on the
machine's load: the load average is printed with them.

The candidates are benchmarks/generate.py's synthetic RED profiles (seeded); the ruleset is
red-default with a five-tier table (nano, micro, mid, macro, top), written next to the data.
The budget is 200 RMB per candidate, the mix nano 0.2, micro 0.35, mid 0.25, macro 0.1,
top 0.1 (the default tolerance, 0.05), at most 30 % of the budget per KOL, the default gap.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

import kolrules
from kolrules.planner import plan_candidates
from kolrules.planner.candidates import read_candidates
from kolrules.planner.settings import pricing_of, settings_for

TARGETS = {10_000: 5.0, 100_000: 60.0}
MIX = {"nano": 0.2, "micro": 0.35, "mid": 0.25, "macro": 0.1, "top": 0.1}
BUDGET_PER_CANDIDATE = 200.0

FIVE_TIERS = """\
[ruleset]
name = "red-five-tiers"
version = "1"
extends = "red-default"

[[tiers]]
name = "nano"
min_followers = 1_000
max_followers = 10_000
price_min = 200
price_max = 2_000

[[tiers]]
name = "micro"
min_followers = 10_000
max_followers = 50_000
price_min = 500
price_max = 8_000

[[tiers]]
name = "mid"
min_followers = 50_000
max_followers = 500_000
price_min = 8_000
price_max = 30_000

[[tiers]]
name = "macro"
min_followers = 500_000
max_followers = 2_000_000
price_min = 30_000
price_max = 100_000

[[tiers]]
name = "top"
min_followers = 2_000_000
price_min = 100_000
price_max = 300_000
"""


def one(rows: int, folder: Path) -> bool:
    data = folder / f"red-{rows}.csv"
    generate.write_csv(rows, 42, data)
    ruleset = folder / "five-tiers.toml"
    ruleset.write_text(FIVE_TIERS, encoding="utf-8")
    engine = kolrules.Engine(ruleset)
    budget = BUDGET_PER_CANDIDATE * rows
    started = time.perf_counter()
    found = kolrules.plan(data, engine=engine, budget=budget, mix=MIX, max_share=0.3)
    whole = time.perf_counter() - started
    # the parts, timed again on their own
    pricing = pricing_of(engine.ruleset)
    tiers = [t.name for t in engine.plan.tiers]
    settings = settings_for(engine.ruleset, tiers, pricing, budget=budget, mix=MIX, max_share=0.3)
    t0 = time.perf_counter()
    candidates = read_candidates(engine, data, pricing)
    t1 = time.perf_counter()
    plan_candidates(candidates, settings, pricing, tier_order=tiers)
    t2 = time.perf_counter()
    target = TARGETS.get(rows)
    met = "" if target is None else ("met" if whole <= target else "MISSED")
    print(
        f"{rows:>9,} candidates: {whole:6.2f} s end to end "
        f"(evaluate {t1 - t0:.2f} s, plan {t2 - t1:.2f} s); "
        f"target {'-' if target is None else f'{target:g} s'} {met}"
    )
    print(
        f"           {len(found.selected):,} booked, {found.spent:,.0f} of {budget:,.0f} RMB, "
        f"{found.value:,.0f} expected engagements, gap {found.gap:.6%} "
        f"({'optimal' if found.optimal else 'not proven optimal'}), "
        f"{len(found.seeding):,} on the seeding list"
    )
    return met != "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="candidates (repeatable)")
    args = parser.parse_args(argv)
    sizes = args.rows or sorted(TARGETS)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} cores")
    ok = True
    with tempfile.TemporaryDirectory(prefix="kolrules-plan-bench-") as folder:
        for rows in sizes:
            ok = one(rows, Path(folder)) and ok
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average after: {load}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
