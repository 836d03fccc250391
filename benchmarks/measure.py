"""How fast ``kolrules measure`` is on an agency's history (issue 16's targets):

- 1M labelled rows measured (every rule and the verdict, with their bootstrap intervals,
  the redundant pairs and the verdict without each rule) in at most 2x the time of
  evaluating them (``Engine.evaluate_to_file``, CSV in to CSV out);
- ``--suggest`` on 1M rows with 10 numeric rules (thresholds fitted, 5-fold
  cross-validated) in at most 30 s.

    python benchmarks/measure.py [--rows 1000000] [--repeat 1] [--seed 42]

The data is ``generate.py``'s synthetic RED profiles (cached as ``run.py`` caches them, in
``$KOLRULES_BENCH_CACHE`` or ``~/.cache/kolrules-bench``) with an ``outcome`` column
added here: ``fake`` for the rows generated as fake accounts, ``genuine`` for the others,
5 % of them the wrong way round and 3 % empty (a seeded draw). The 10 numeric rules are
red-default's 7 comparisons of a metric or field with a param, and 3 more an overlay adds
(written to a temporary folder).

Each timing runs in a fresh process (this script with ``--worker``), the engine built
before the clock starts; with ``--repeat N`` the median of N is kept, and the runs of the
three kinds are interleaved. Evaluating is timed twice: with ``--reasons none`` (no
message written: the fastest evaluation, the one the ratio is judged against) and with
the messages (the CLI's default). The targets are reported as met or missed, never
asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The overlay that brings red-default's 7 fitted rules to 10.
OVERLAY = """\
[ruleset]
name = "red-measure-bench"
version = "1.0.0"
extends = "red-default"

[params]
min_avg_collects = 50
min_followers_bench = 2000
max_likes_per_view_bench = 0.05

[[rules]]
id = "few-collects"
require = "avg_collects >= min_avg_collects"
severity = "warn"

[[rules]]
id = "few-followers"
require = "followers >= min_followers_bench"
severity = "info"

[[rules]]
id = "views-too-liked"
require = "likes_per_view <= max_likes_per_view_bench"
severity = "info"
"""
WRONG_LABELS = 0.05
EMPTY_LABELS = 0.03
MEASURE_RATIO = 2.0
SUGGEST_SECONDS = 30.0


def cache_dir() -> Path:
    base = os.environ.get("KOLRULES_BENCH_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kolrules-bench"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def labelled_file(rows: int, seed: int) -> Path:
    """``generate.py``'s rows with an ``outcome`` column, made once and cached."""
    sys.path.insert(0, str(HERE))
    import generate
    import numpy as np
    import polars as pl

    path = cache_dir() / f"red-labelled-{rows}-seed{seed}-v{generate.version()}.csv"
    if path.exists():
        return path
    started = time.perf_counter()
    part = path.with_name(path.name + ".part")
    with part.open("wb") as fh:
        for i, chunk in enumerate(generate.chunks(rows, seed, labels=True)):
            rng = np.random.default_rng([seed, i, 16])
            draw = rng.random(chunk.height)
            fake = chunk.get_column("_fake").to_numpy() ^ (draw < WRONG_LABELS)
            outcome = np.where(fake, "fake", "genuine").astype(object)
            outcome[(draw >= WRONG_LABELS) & (draw < WRONG_LABELS + EMPTY_LABELS)] = None
            labelled = chunk.drop("_fake", "_dirty").with_columns(
                pl.Series("outcome", outcome, dtype=pl.String)
            )
            labelled.write_csv(fh, include_header=i == 0)
    part.replace(path)
    took = time.perf_counter() - started
    print(f"  made {rows:,} labelled rows -> {path} in {took:.1f} s", flush=True)
    return path


# -- the timed work, each in its own process ----------------------------------------------


def worker(kind: str, data: Path, ruleset: str, work: Path) -> dict[str, object]:
    from kolrules import Engine

    engine = Engine(ruleset)
    if kind.startswith("evaluate"):
        reasons = "none" if kind == "evaluate-none" else "text"
        started = time.perf_counter()
        summary = engine.evaluate_to_file(data, work / f"{kind}.csv", reasons=reasons)  # type: ignore[arg-type]
        return {"seconds": time.perf_counter() - started, "rows": summary.rows_read}
    from kolrules.measure import measure
    from kolrules.measure.fit import candidates

    fitted = len(candidates(engine.plan)[0])
    started = time.perf_counter()
    m = measure(
        engine,
        data,
        label="outcome",
        positive=["fake"],
        suggest="mcc" if kind == "suggest" else None,
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": m.rows,
        "labelled": m.labelled,
        "positives": m.positives,
        "rules": len(m.rules),
        "fitted_rules": fitted,
        "suggested": sum(1 for s in m.suggestions if s.status in ("suggested", "unchanged")),
        "verdict_mcc": m.verdict.scores["mcc"],
    }


def timed(kind: str, data: Path, ruleset: str, work: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--worker", kind, "--data", str(data)]
    cmd += ["--ruleset", ruleset, "--work", str(work)]
    env = {**os.environ, "KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind (median kept)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ruleset", default="red-default", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.ruleset, args.work)))
        return 0
    data = labelled_file(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="kolrules-measure-bench-") as folder:
        work = Path(folder)
        overlay = work / "red-measure-bench.toml"
        overlay.write_text(OVERLAY, encoding="utf-8")
        kinds = {
            "evaluate-none": "red-default",
            "evaluate-text": "red-default",
            "measure": "red-default",
            "suggest": str(overlay),
        }
        runs: dict[str, list[dict[str, object]]] = {kind: [] for kind in kinds}
        for n in range(args.repeat):
            for kind, ruleset in kinds.items():
                result = timed(kind, data, ruleset, work)
                runs[kind].append(result)
                print(f"  run {n + 1}: {kind:<14} {result['seconds']:8.2f} s", flush=True)
    seconds = {
        kind: statistics.median(float(r["seconds"]) for r in rs) for kind, rs in runs.items()
    }  # type: ignore[arg-type]
    last = {kind: rs[-1] for kind, rs in runs.items()}
    rows = int(last["measure"]["rows"])  # type: ignore[call-overload]
    ratio = seconds["measure"] / seconds["evaluate-none"]
    ratio_text = seconds["measure"] / seconds["evaluate-text"]
    fitted = last["suggest"]["fitted_rules"]
    print()
    print(
        f"data: {rows:,} rows, {last['measure']['labelled']:,} labelled, "
        f"{last['measure']['positives']:,} positive; median of {args.repeat} run(s) each"
    )
    print(f"evaluate, --reasons none: {seconds['evaluate-none']:.2f} s")
    print(f"evaluate, reasons text:   {seconds['evaluate-text']:.2f} s")
    print(f"measure ({last['measure']['rules']} rules): {seconds['measure']:.2f} s")
    print(f"measure --suggest ({fitted} numeric rules fitted): {seconds['suggest']:.2f} s")
    met = "met" if ratio <= MEASURE_RATIO else "MISSED"
    print(
        f"target: measure <= {MEASURE_RATIO:g}x evaluating: {ratio:.2f}x evaluate --reasons none "
        f"({ratio_text:.2f}x with reason texts): {met}"
    )
    met = "met" if seconds["suggest"] <= SUGGEST_SECONDS and fitted == 10 else "MISSED"
    print(
        f"target: --suggest with 10 numeric rules <= {SUGGEST_SECONDS:g} s: "
        f"{seconds['suggest']:.2f} s ({fitted} rules): {met}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
