"""Run the one-profile path in a loop, for a profiler to look at.

    python benchmarks/profile_one.py DATA.csv                       # kolrules evaluate_one
    pyinstrument benchmarks/profile_one.py DATA.csv
    py-spy record -o one.svg -- python benchmarks/profile_one.py DATA.csv --passes 20

Reads up to ``--rows`` profiles of a benchmark CSV (``generate.py``), keeps the ones kolrules
evaluates, and calls ``Engine("red-default").evaluate_one(profile)`` on each (reading
``decision.findings``) ``--passes`` times: as typed values by default, as the CSV's text
with ``--text``. ``--engine hand-python`` runs the hand-written function instead.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import hand_python


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data", type=Path, help="a CSV written by benchmarks/generate.py")
    p.add_argument("--rows", type=int, default=5_000, help="profiles to read (default 5000)")
    p.add_argument("--passes", type=int, default=10, help="passes over them (default 10)")
    p.add_argument("--text", action="store_true", help="pass the CSV's text, not typed values")
    p.add_argument("--engine", choices=("kolrules", "hand-python"), default="kolrules")
    args = p.parse_args(argv)

    profiles: list[Any] = []
    with args.data.open(newline="", encoding="utf-8") as fh:
        for n, raw in enumerate(csv.DictReader(fh)):
            if n >= args.rows:
                break
            try:
                typed = hand_python.normalise(raw)
            except hand_python.RowInputError:
                continue
            profiles.append(raw if args.text else typed.values)

    call: Callable[[Any], Any]
    if args.engine == "kolrules":
        from kolrules import Engine

        engine = Engine("red-default")

        def call(profile: Any) -> Any:
            return engine.evaluate_one(profile).findings

    else:
        call = hand_python.decide
    started = time.perf_counter()
    for _ in range(args.passes):
        for profile in profiles:
            call(profile)
    took = time.perf_counter() - started
    calls = args.passes * len(profiles)
    print(f"{calls:,} calls in {took:.2f} s: {took / calls * 1e6:.1f} µs per profile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
