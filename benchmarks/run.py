"""Benchmark kolrules against hand-written and third-party peers on synthetic RED profiles.

    python benchmarks/run.py                      # 10k, 100k and 1M rows -> benchmarks/RESULTS.md
    python benchmarks/run.py --full               # ... and 10M rows streamed
    python benchmarks/run.py --small              # 10k rows, 0 mismatches or exit 1 (CI)
    python benchmarks/run.py --sizes 200000 --repeat 1 --out /tmp/results.md

For each size the data is generated once (``generate.py``, cached) and every measurement runs
in its own subprocess, so peak RSS (``ru_maxrss``) belongs to that measurement alone:

- kolrules batch: ``Engine("red-default").evaluate_to_file(csv, decisions_csv)``, timed in
  process (import and engine construction apart), and the CLI ``kolrules evaluate IN -o
  OUT.csv`` as a whole (wall time);
- hand-written polars (``peers/hand_polars.py``), the practical limit for batch;
- one profile at a time, warm, in process: kolrules ``engine.evaluate_one(profile)`` (with
  ``decision.findings``), hand-written Python (``peers/hand_python.py``), zen-engine
  (``peers/zen.py``) and rule-engine (``peers/rule_engine_peer.py``): median and p99 of
  ``perf_counter_ns`` around each call on a sample of profiles;
- every engine's verdict, tier and rule outcomes compared with kolrules' batch output on
  every row: any mismatch is printed (row, values, input) and the run exits 1.

Targets (issue 3) are reported as met or missed, never asserted, except two checks: zero
mismatches, and (``--full``) 10M rows streamed in at most 1 GiB peak RSS. Missing peers
(zen-engine, rule-engine: ``pip install --group bench``) are reported as skipped.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
FULL_ROWS = 10_000_000
SMALL_ROWS = 10_000
GIB = 2**30
RESULT_PREFIX = "RESULT "
PEERS_PER_PROFILE = ("kolrules-one", "hand-python", "zen", "rule-engine")
#: Targets of issue 3.
TARGET_BATCH_RATIO = 0.85
TARGET_ONE_US = 10.0
TARGET_RSS_RATIO = 1.2
TARGET_STREAM_RSS = GIB
TARGET_HELP_S = 0.25
TARGET_FIRST_S = 0.6


# ======================================================================================
# Workers: each runs in its own process and prints one RESULT line of JSON.
# ======================================================================================


def _peak_rss() -> int:
    """Peak resident set size of this process, in bytes.

    On Linux this is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` also counts the
    memory of the parent at the moment it forked this worker (Linux keeps the high-water
    mark of the forked image across ``exec``), which made a worker started by a runner
    holding 1.9 GiB of comparison data report 1.9 GiB itself."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _emit(result: Mapping[str, Any]) -> None:
    print(RESULT_PREFIX + json.dumps({**result, "peak_rss": _peak_rss()}), flush=True)


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def worker_kolrules_batch(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    from kolrules import Engine

    imported = time.perf_counter()
    engine = Engine("red-default")
    built = time.perf_counter()
    if hasattr(engine, "evaluate_to_file"):
        options = {"reasons": args.reasons} if args.reasons else {}
        summary = engine.evaluate_to_file(args.input, args.output, **options)
        api = "evaluate_to_file" + (f"(reasons={args.reasons!r})" if args.reasons else "")
        counts = dict(summary.counts)
        rows = summary.rows_read
    else:  # before evaluate_to_file existed: read, frame_result, write
        import polars as pl

        from kolrules.read import reader_for

        reader = reader_for(Path(args.input), engine.registry.readers, None)
        out = engine.frame_result(reader.read(Path(args.input)))
        out.with_row_index("row", offset=1).with_columns(
            pl.col("reasons").list.join(" | ")
        ).write_csv(args.output)
        api = "frame_result + write_csv"
        counts = {str(k): v for k, v in out["verdict"].value_counts().iter_rows()}
        rows = out.height
    done = time.perf_counter()
    _emit(
        {
            "import_s": imported - started,
            "engine_s": built - imported,
            "seconds": done - built,
            "rows": rows,
            "counts": counts,
            "api": api,
        }
    )


def worker_hand_polars(args: argparse.Namespace) -> None:
    import polars as pl
    from peers import hand_polars

    started = time.perf_counter()
    hand_polars.run(args.input, args.output)
    seconds = time.perf_counter() - started
    counts = (
        pl.scan_csv(args.output, infer_schema=False).group_by("verdict").len().collect().iter_rows()
    )
    _emit({"seconds": seconds, "counts": {("errors" if k is None else k): v for k, v in counts}})


def _latency(call: Callable[[Any], Any], items: Sequence[Any], repeat: int) -> dict[str, float]:
    """Median and p99 of one call, in microseconds, after two warm-up passes."""
    clock = time.perf_counter_ns
    for _ in range(2):
        for item in items:
            call(item)
    samples: list[int] = []
    for _ in range(repeat):
        for item in items:
            t0 = clock()
            call(item)
            samples.append(clock() - t0)
    samples.sort()
    return {
        "median_us": samples[len(samples) // 2] / 1000,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000,
        "mean_us": sum(samples) / len(samples) / 1000,
        "calls": len(samples),
    }


def _rows(path: str, limit: int | None) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), 1):
            if limit is not None and n > limit:
                return
            yield row


class _Results:
    """Per-row results of a one-profile engine, written as CSV."""

    def __init__(self, path: str, rule_ids: Sequence[str]) -> None:
        self.fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.out = csv.writer(self.fh)
        self.out.writerow(["row", "status", "verdict", "tier", *(f"rule:{r}" for r in rule_ids)])
        self.blank = [""] * len(rule_ids)
        self.rows = 0

    def error(self, row: int) -> None:
        self.out.writerow([row, "error", "", "", *self.blank])
        self.rows += 1

    def decision(self, row: int, verdict: str, tier: str | None, outcomes: Sequence[str]) -> None:
        self.out.writerow([row, "evaluated", verdict, tier or "", *outcomes])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def worker_one_profile(args: argparse.Namespace) -> None:
    """Latency on the sample, then every row (up to ``--limit``) for the comparison."""
    from peers import _red as red
    from peers import hand_python

    kind = args.worker
    with open(args.sample_file, encoding="utf-8") as fh:
        raw_sample: list[dict[str, Any]] = json.load(fh)
    typed = [hand_python.normalise(raw) for raw in raw_sample]
    values = [t.values for t in typed]
    labels = red.OUTCOME_LABELS
    result: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "kolrules-one":
        from kolrules import Engine
        from kolrules.engine import RowInputError

        engine = Engine("red-default")

        def one(profile: Mapping[str, Any]) -> Any:
            return engine.evaluate_one(profile).findings

        if args.latency:
            result["latency"] = _latency(one, values, args.latency_repeat)
            result["latency_text"] = _latency(one, raw_sample, args.latency_repeat)
        results = _Results(args.output, red.RULE_IDS)
        seen: set[str] = set()
        t0 = time.perf_counter()
        for n, raw in enumerate(_rows(args.input, args.limit), 1):
            try:
                d = engine.evaluate_one(raw)
            except RowInputError:
                results.error(n)
                continue
            if d.id in seen:
                results.error(n)
                continue
            seen.add(d.id)
            outcome = {f.rule: f.outcome for f in d.findings}
            results.decision(n, d.verdict, d.tier, [outcome[r] for r in red.RULE_IDS])
    elif kind == "hand-python":
        if args.latency:
            result["latency"] = _latency(hand_python.decide, values, args.latency_repeat)
            result["latency_text"] = _latency(hand_python.decide, raw_sample, args.latency_repeat)
        results = _Results(args.output, red.RULE_IDS)
        t0 = time.perf_counter()
        for r in hand_python.evaluate_rows(_rows(args.input, args.limit)):
            if r.status == "error" or r.outcomes is None:
                results.error(r.row)
            else:
                results.decision(r.row, str(r.verdict), r.tier, [labels[o] for o in r.outcomes])
    else:
        contexts = [hand_python.context(t.values, t.data_errors) for t in typed]
        if kind == "zen":
            from peers import zen

            engine = zen.make_engine()

            def evaluate(ctx: Mapping[str, Any]) -> tuple[str, str | None, tuple[int, ...]]:
                return zen.evaluate(engine, ctx)

            if args.latency:
                result["latency"] = _latency(evaluate, contexts, args.latency_repeat)
                slow = zen.make_engine(callback=True)
                result["latency_callback_loader"] = _latency(
                    lambda ctx: zen.evaluate(slow, ctx), contexts[:300], 1
                )
                t_batch = time.perf_counter()
                list(zen.evaluate_batch(engine, contexts))
                result["batch_us"] = (time.perf_counter() - t_batch) / len(contexts) * 1e6
        else:
            from peers import rule_engine_peer

            peer = rule_engine_peer.Peer()
            evaluate = peer.evaluate
            if args.latency:
                result["latency"] = _latency(evaluate, contexts, max(1, args.latency_repeat // 3))
        results = _Results(args.output, red.RULE_IDS)
        seen = set()
        t0 = time.perf_counter()
        for n, raw in enumerate(_rows(args.input, args.limit), 1):
            try:
                v = hand_python.normalise(raw)
            except hand_python.RowInputError:
                results.error(n)
                continue
            if v.values["id"] in seen:
                results.error(n)
                continue
            seen.add(v.values["id"])
            verdict, tier, codes = evaluate(hand_python.context(v.values, v.data_errors))
            results.decision(n, verdict, tier, [labels[c] for c in codes])
    results.close()
    done = time.perf_counter()
    result.update(rows=results.rows, seconds=done - t0, setup_s=t0 - started, sample=len(values))
    _emit(result)


WORKERS: dict[str, Callable[[argparse.Namespace], None]] = {
    "kolrules-batch": worker_kolrules_batch,
    "hand-polars": worker_hand_polars,
    **dict.fromkeys(PEERS_PER_PROFILE, worker_one_profile),
}
REQUIRES = {"zen": "zen", "rule-engine": "rule_engine"}


# ======================================================================================
# The parent: data, subprocesses, comparisons, report.
# ======================================================================================


@dataclass
class Run:
    """One subprocess measurement."""

    name: str
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    peak_rss: int = 0
    note: str = ""


def _run_process(cmd: Sequence[str], *, capture: bool = True) -> tuple[int, str, str, float, int]:
    """Run ``cmd``; returns (exit code, stdout, stderr, wall seconds, child's peak RSS)."""
    started = time.perf_counter()
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as out,
        tempfile.TemporaryFile("w+", encoding="utf-8") as err,
    ):
        proc = subprocess.Popen(
            cmd,
            stdout=out if capture else subprocess.DEVNULL,
            stderr=err,
            cwd=REPO,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return proc.returncode, out.read(), err.read(), wall, rss


def run_worker(kind: str, **options: Any) -> Run:
    module = REQUIRES.get(kind)
    if module and _missing(module):
        return Run(
            kind, False, note=f"skipped: {module} is not installed (pip install --group bench)"
        )
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        cmd += [flag] if value is True else [flag, str(value)]
    code, out, err, wall, rss = _run_process(cmd)
    lines = [line for line in out.splitlines() if line.startswith(RESULT_PREFIX)]
    if code != 0 or not lines:
        tail = "\n".join(err.strip().splitlines()[-15:])
        return Run(kind, False, wall_s=wall, peak_rss=rss, note=f"failed (exit {code}):\n{tail}")
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    # The worker's own high-water mark; the rusage of wait4 can include the runner's
    # memory at fork time (see _peak_rss).
    return Run(kind, True, result, wall, int(result.get("peak_rss", 0)) or rss)


def kolrules_command() -> list[str]:
    script = Path(sys.executable).with_name("kolrules")
    if script.exists():
        return [str(script)]
    found = shutil.which("kolrules")
    return [found] if found else [sys.executable, "-m", "kolrules.cli"]


def cache_dir(option: str | None) -> Path:
    if option:
        path = Path(option)
    elif os.environ.get("KOLRULES_BENCH_CACHE"):
        path = Path(os.environ["KOLRULES_BENCH_CACHE"])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "kolrules-bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_file(rows: int, seed: int, cache: Path) -> Path:
    """The generated CSV for ``rows`` and ``seed``, made once and kept in ``cache``."""
    sys.path.insert(0, str(HERE))
    import generate

    path = cache / f"red-{rows}-seed{seed}-v{generate.VERSION}.csv"
    if not path.exists():
        print(f"  generating {rows:,} rows -> {path}", flush=True)
        code, _, err, wall, _ = _run_process(
            [
                sys.executable,
                str(HERE / "generate.py"),
                "--rows",
                str(rows),
                "--seed",
                str(seed),
                str(path),
            ]
        )
        if code != 0:
            raise SystemExit(f"generate.py failed:\n{err}")
        print(f"  generated in {wall:.1f} s", flush=True)
    return path


def write_sample(data: Path, reference: Path, target: Path, n: int, seed: int) -> None:
    """``n`` raw rows (as the CSV has them) that kolrules evaluated, chosen at random."""
    import polars as pl

    evaluated = (
        pl.scan_csv(reference, infer_schema=False)
        .select(pl.col("row").cast(pl.Int64), "status")
        .filter(pl.col("status") == "evaluated")
        .select("row")
        .collect()
    )
    rows = evaluated.sample(min(n, evaluated.height), seed=seed, shuffle=True)["row"]
    raw = (
        pl.scan_csv(data, infer_schema=False)
        .with_row_index("row", offset=1)
        .join(pl.LazyFrame({"row": rows.cast(pl.UInt32)}), on="row", how="semi")
        .drop("row")
        .collect()
    )
    target.write_text(json.dumps(raw.to_dicts(), ensure_ascii=False), encoding="utf-8")


# -- comparison -----------------------------------------------------------------------


@dataclass
class Comparison:
    engine: str
    rows: int = 0
    mismatches: int = 0
    rule_mismatches: int = 0
    score_differences: int = 0
    has_score: bool = False
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.rule_mismatches == 0


def _decisions(path: Path, *, rules: bool, score: bool) -> Any:
    """row, status, verdict, tier (+ rule columns, score) of a decisions CSV, as text."""
    import polars as pl

    lf = pl.scan_csv(path, infer_schema=False)
    names = lf.collect_schema().names()
    if "row" not in names:
        lf = lf.with_row_index("row", offset=1)
    cols = [pl.col("row").cast(pl.Int64), "status", "verdict", "tier"]
    if rules:
        cols += [
            pl.col(c).replace("unknown", "not_applicable") for c in names if c.startswith("rule:")
        ]
    if score and "score" in names:
        cols.append(pl.col("score").cast(pl.Float64))
    out = lf.select(cols)
    return out.with_columns(
        pl.when(pl.col("status") == "error")
        .then(pl.lit("error"))
        .otherwise("verdict")
        .alias("verdict"),
        pl.col("tier").fill_null(""),
    )


def compare(
    name: str, reference: Path, other: Path, data: Path, *, rules: bool = True
) -> Comparison:
    """Verdict and tier (and rule outcomes) of ``other`` against kolrules' ``reference``."""
    import polars as pl

    ref = _decisions(reference, rules=rules, score=True).collect()
    got = _decisions(other, rules=rules, score=True).collect()
    result = Comparison(name, rows=got.height)
    rule_cols = [c for c in got.columns if c.startswith("rule:") and c in ref.columns]
    joined = got.join(ref, on="row", how="left", suffix="__k")
    differs = (
        pl.col("status").ne_missing(pl.col("status__k"))
        | pl.col("verdict").ne_missing(pl.col("verdict__k"))
        | pl.col("tier").ne_missing(pl.col("tier__k"))
    )
    rule_differs = pl.lit(False)
    for c in rule_cols:
        rule_differs = rule_differs | (
            (pl.col("status") == "evaluated") & pl.col(c).ne_missing(pl.col(c + "__k"))
        )
    flagged = joined.with_columns(differs.alias("__d"), rule_differs.alias("__r"))
    result.mismatches = int(flagged["__d"].sum())
    result.rule_mismatches = int((flagged["__r"] & ~flagged["__d"]).sum())
    if "score" in got.columns and "score__k" in joined.columns:
        # kolrules writes scores rounded to 6 decimals
        far = (pl.col("score") - pl.col("score__k")).abs() > 1e-6 + 1e-12
        gap = pl.col("score").is_null() != pl.col("score__k").is_null()
        result.has_score = True
        result.score_differences = int(flagged.select((far.fill_null(False) | gap).sum()).item())
    bad = flagged.filter(pl.col("__d") | pl.col("__r")).head(5)
    if bad.height:
        inputs = (
            pl.scan_csv(data, infer_schema=False)
            .with_row_index("row", offset=1)
            .with_columns(pl.col("row").cast(pl.Int64))
            .join(bad.lazy().select("row"), on="row", how="semi")
            .collect()
        )
        by_row = {r["row"]: r for r in inputs.iter_rows(named=True)}
        for r in bad.iter_rows(named=True):
            fields = ["status", "verdict", "tier", *rule_cols]
            diff = {
                c: f"{r[c + '__k']!r} (kolrules) vs {r[c]!r} ({name})"
                for c in fields
                if r[c] != r[c + "__k"]
            }
            raw = {k: v for k, v in by_row.get(r["row"], {}).items() if k != "row"}
            result.examples.append(f"row {r['row']}: {diff}\n      input: {raw}")
    return result


# -- start-up -------------------------------------------------------------------------


def median_wall(cmd: Sequence[str], runs: int) -> tuple[float, int]:
    """Median wall time of ``cmd`` (and its exit code) over ``runs`` runs."""
    times = []
    code = 0
    for _ in range(runs):
        code, _, _, wall, _ = _run_process(cmd, capture=False)
        times.append(wall)
    return statistics.median(times), code


def startup(work: Path, seed: int, runs: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import generate

    tiny = work / "first-100.csv"
    generate.write_csv(100, seed, tiny)
    k = kolrules_command()
    python = [sys.executable, "-c"]
    out = {
        "python_s": median_wall([*python, "pass"], runs)[0],
        "import_s": median_wall([*python, "import kolrules"], runs)[0],
        "import_engine_s": median_wall(
            [*python, "from kolrules import Engine; Engine('red-default')"], runs
        )[0],
    }
    out["help_s"], out["help_exit"] = median_wall([*k, "--help"], runs)
    out["first_s"], out["first_exit"] = median_wall([*k, "evaluate", str(tiny)], runs)
    out["first_csv_s"], _ = median_wall(
        [*k, "evaluate", str(tiny), "-o", str(work / "f.csv")], runs
    )
    return out


# -- the run --------------------------------------------------------------------------


@dataclass
class SizeResult:
    rows: int
    batch: dict[str, list[Run]] = field(default_factory=dict)
    cli: Run | None = None
    one: dict[str, Run] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)

    def median(self, name: str, key: str = "seconds") -> float | None:
        runs = [r for r in self.batch.get(name, []) if r.ok]
        return statistics.median(r.result[key] for r in runs) if runs else None

    def rss(self, name: str) -> int | None:
        runs = [r for r in self.batch.get(name, []) if r.ok]
        return int(statistics.median(r.peak_rss for r in runs)) if runs else None


def measure_size(
    rows: int, args: argparse.Namespace, cache: Path, work: Path, *, latency: bool
) -> SizeResult:
    print(f"\n== {rows:,} rows", flush=True)
    data = data_file(rows, args.seed, cache)
    res = SizeResult(rows)
    k_out = work / f"kolrules-{rows}.csv"
    h_out = work / f"hand-polars-{rows}.csv"
    for i in range(args.repeat):
        for name, out, options in (
            ("kolrules-batch", k_out, {"reasons": args.reasons}),
            ("hand-polars", h_out, {}),
        ):
            run = run_worker(name, input=data, output=out, **options)
            res.batch.setdefault(name, []).append(run)
            shown = f"{run.result['seconds']:.3f} s" if run.ok else run.note
            print(f"  {name:15s} run {i + 1}: {shown}", flush=True)
            if not run.ok:
                break
    if not all(r.ok for r in res.batch["kolrules-batch"]):
        raise SystemExit("kolrules batch failed:\n" + res.batch["kolrules-batch"][-1].note)

    cli_out = work / f"kolrules-cli-{rows}.csv"
    code, _, err, wall, rss = _run_process(
        [*kolrules_command(), "evaluate", str(data), "-o", str(cli_out)]
    )
    # The CLI cannot report its own high-water mark, and wait4's includes this runner's
    # memory (see _peak_rss): its RSS column is only shown, never compared with a target.
    res.cli = Run("kolrules-cli", code == 0, {"seconds": wall}, wall, rss, err.strip()[-300:])
    print(f"  kolrules CLI     {wall:.3f} s (exit {code})", flush=True)

    sample = work / "sample.json"
    if latency:
        write_sample(data, k_out, sample, args.sample, args.seed)
    for name in PEERS_PER_PROFILE:
        if name in args.skip:
            res.one[name] = Run(name, False, note="skipped (--skip)")
            continue
        out = work / f"{name}-{rows}.csv"
        run = run_worker(
            name,
            input=data,
            output=out,
            sample_file=sample,
            latency=latency,
            latency_repeat=args.latency_repeat,
            limit=args.peer_rows,
        )
        res.one[name] = run
        if run.ok:
            lat = run.result.get("latency")
            shown = f" median {lat['median_us']:.1f} us" if lat else ""
            rate = run.result["rows"] / run.result["seconds"]
            print(f"  {name:15s} {run.result['rows']:,} rows at {rate:,.0f}/s{shown}", flush=True)
            res.comparisons.append(compare(name, k_out, out, data))
        else:
            print(f"  {name:15s} {run.note}", flush=True)
    if all(r.ok for r in res.batch["hand-polars"]):
        res.comparisons.insert(0, compare("hand-polars", k_out, h_out, data))
    if res.cli.ok:
        res.comparisons.insert(0, compare("kolrules-cli", k_out, cli_out, data))
    for c in res.comparisons:
        status = "ok" if c.ok else "MISMATCH"
        extra = f", {c.score_differences} score differences" if c.score_differences else ""
        print(
            f"  compare {c.engine:13s} {c.rows:,} rows: {c.mismatches} verdict/tier, "
            f"{c.rule_mismatches} rule outcome mismatches{extra} [{status}]",
            flush=True,
        )
        for example in c.examples:
            print("    " + example, flush=True)
    return res


def measure_full(args: argparse.Namespace, cache: Path, work: Path) -> dict[str, Any]:
    rows = args.full_rows
    print(f"\n== {rows:,} rows, streamed", flush=True)
    data = data_file(rows, args.seed, cache)
    k_out = work / f"kolrules-{rows}.csv"
    h_out = work / f"hand-polars-{rows}.csv"
    k = run_worker("kolrules-batch", input=data, output=k_out, reasons=args.reasons)
    h = run_worker("hand-polars", input=data, output=h_out)
    for name, run in (("kolrules-batch", k), ("hand-polars", h)):
        seconds = run.result.get("seconds", 0)
        shown = f"{seconds:.1f} s, peak RSS {_mib(run.peak_rss)} MiB" if run.ok else run.note
        print(f"  {name:15s} {shown}", flush=True)
    out: dict[str, Any] = {"rows": rows, "kolrules": k, "hand": h}
    if k.ok and h.ok:
        verdicts = {
            "accepted": "accept",
            "review": "review",
            "rejected": "reject",
        }
        k_counts = {verdicts.get(key, key): v for key, v in k.result["counts"].items()}
        h_counts = dict(h.result["counts"])
        out["counts_equal"] = k_counts == h_counts
        out["k_counts"], out["h_counts"] = k_counts, h_counts
        out["comparison"] = compare("hand-polars", k_out, h_out, data, rules=False)
        print(
            f"  verdict counts {'equal' if out['counts_equal'] else 'DIFFER'}: {k_counts} vs "
            f"{h_counts}; per row: {out['comparison'].mismatches} mismatches",
            flush=True,
        )
    for path in (k_out, h_out):
        path.unlink(missing_ok=True)
    return out


# -- the report -----------------------------------------------------------------------


def machine() -> dict[str, str]:
    info = {"cpu": platform.processor() or platform.machine(), "cores": str(os.cpu_count())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram"] = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    info["os"] = f"{platform.system()} {platform.release()}"
    info["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("kolrules", "polars", "numpy", "zen-engine", "rule-engine"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        out["commit"] = commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        out["commit"] = "unknown"
    return out


def _mib(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:,.0f}"


def _rate(rows: int, seconds: float | None) -> str:
    return "–" if not seconds else f"{rows / seconds:,.0f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _times(a: float | None, b: float | None) -> str:
    """``a / b`` as a ratio, or a dash."""
    return f"{a / b:.2f}×" if a and b else "–"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _header(*cells: str) -> list[str]:
    return [_row(*cells), _row(*("---" for _ in cells))]


def report(
    sizes: list[SizeResult],
    start: dict[str, Any] | None,
    full: dict[str, Any] | None,
    args: argparse.Namespace,
    begun: dict[str, str],
) -> str:
    vers = versions()
    m = machine()
    command = " ".join(["python", "benchmarks/run.py", *args.argv])
    lines = [
        "# kolrules benchmark results",
        "",
        "Written by `benchmarks/run.py`; `benchmarks/README.md` says what each engine is and how",
        "to profile. The machine is shared and noisy: quote the ratios (measured in the same",
        "run, measurements interleaved), not the absolute times.",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m.get('ram', '?')} RAM, {m['os']}",
        f"- load average (1, 5, 15 min) at the start: {begun['load']}; at the end: {m['load']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        f"- data: `benchmarks/generate.py --seed {args.seed}` (synthetic RED profiles)",
        f"- batch timings: median of {args.repeat} run(s) per engine, kolrules and hand polars "
        "interleaved, each run in a fresh process",
        "",
    ]
    headline = _headline(sizes, start, full)
    if headline:
        lines += ["## Targets (issue 3)", "", *_header("target", "measured", ""), *headline, ""]
    for s in sizes:
        lines += _size_table(s)
    if full:
        lines += _full_section(full)
    if start:
        lines += [
            "## Start-up",
            "",
            "Median wall time of a fresh process over several runs.",
            "",
            *_header("command", "seconds"),
            _row("`python -c pass`", f"{start['python_s']:.3f}"),
            _row("`python -c 'import kolrules'`", f"{start['import_s']:.3f}"),
            _row(
                "`python -c 'from kolrules import Engine; Engine(\"red-default\")'`",
                f"{start['import_engine_s']:.3f}",
            ),
            _row("`kolrules --help`", f"{start['help_s']:.3f}"),
            _row(
                "`kolrules evaluate first-100.csv` (first decision, a table on stdout)",
                f"{start['first_s']:.3f}",
            ),
            _row("`kolrules evaluate first-100.csv -o f.csv`", f"{start['first_csv_s']:.3f}"),
            "",
        ]
    return "\n".join(lines) + "\n"


def _one_latency(s: SizeResult, name: str, key: str = "latency") -> dict[str, float] | None:
    run = s.one.get(name)
    return run.result.get(key) if run and run.ok else None


def _headline(
    sizes: list[SizeResult], start: dict[str, Any] | None, full: dict[str, Any] | None
) -> list[str]:
    out = []
    big = max(sizes, key=lambda s: s.rows) if sizes else None
    if big:
        n = big.rows
        k, h = big.median("kolrules-batch"), big.median("hand-polars")
        if k and h:
            out.append(
                _row(
                    f"batch, CSV to decisions CSV, {n:,} rows: ≥ {TARGET_BATCH_RATIO}× the "
                    "throughput of hand polars",
                    f"{h / k:.2f}× ({_rate(n, k)} vs {_rate(n, h)} profiles/s)",
                    _met(h / k >= TARGET_BATCH_RATIO),
                )
            )
        kr, hr = big.rss("kolrules-batch"), big.rss("hand-polars")
        if kr and hr:
            out.append(
                _row(
                    f"peak RSS at {n:,} rows: ≤ {TARGET_RSS_RATIO}× hand polars",
                    f"{kr / hr:.2f}× ({_mib(kr)} vs {_mib(hr)} MiB)",
                    _met(kr / hr <= TARGET_RSS_RATIO),
                )
            )
    lat_size = next((s for s in sizes if _one_latency(s, "kolrules-one")), None)
    if lat_size:
        k1 = _one_latency(lat_size, "kolrules-one") or {}
        h1 = _one_latency(lat_size, "hand-python")
        vs = f", {k1['median_us'] / h1['median_us']:.1f}× hand Python" if h1 else ""
        out.append(
            _row(
                f"one profile in process, all findings: ≤ {TARGET_ONE_US:g} µs median",
                f"{k1['median_us']:.1f} µs (p99 {k1['p99_us']:.1f} µs{vs})",
                _met(k1["median_us"] <= TARGET_ONE_US),
            )
        )
    if full and full["kolrules"].ok:
        rss = full["kolrules"].peak_rss
        same = bool(full.get("counts_equal")) and full["comparison"].ok
        out.append(
            _row(
                f"{full['rows']:,} rows streamed: ≤ 1 GiB peak RSS, same results",
                f"{_mib(rss)} MiB, {'same' if same else 'DIFFERENT'} verdicts",
                _met(rss <= TARGET_STREAM_RSS and same),
            )
        )
    if start:
        help_ms = start["help_s"] * 1000
        out.append(
            _row(
                f"`kolrules --help` ≤ {TARGET_HELP_S * 1000:.0f} ms",
                f"{help_ms:.0f} ms",
                _met(start["help_s"] <= TARGET_HELP_S),
            )
        )
        out.append(
            _row(
                f"first decision on a 100-row file ≤ {TARGET_FIRST_S} s",
                f"{start['first_s']:.2f} s",
                _met(start["first_s"] <= TARGET_FIRST_S),
            )
        )
    rates = []
    for s in sorted(sizes, key=lambda s: s.rows):
        k = s.median("kolrules-batch")
        if k:
            rates.append((s.rows, s.rows / k))
    if full and full["kolrules"].ok:
        rates.append((full["rows"], full["rows"] / full["kolrules"].result["seconds"]))
    if len(rates) > 1:
        shown = ", ".join(f"{n:,}: {r:,.0f}/s" for n, r in rates)
        flat = all(b >= 0.8 * a for (_, a), (_, b) in itertools.pairwise(rates))
        out.append(_row("scaling: throughput flat or rising with size", shown, _met(flat)))
    return out


def _size_table(s: SizeResult) -> list[str]:
    n = s.rows
    h, hr = s.median("hand-polars"), s.rss("hand-polars")
    k, kr = s.median("kolrules-batch"), s.rss("kolrules-batch")
    lines = [
        f"## {n:,} rows",
        "",
        *_header(
            "engine",
            "what is timed",
            "seconds",
            "profiles/s",
            "throughput vs hand polars",
            "peak RSS MiB",
            "RSS vs hand polars",
        ),
    ]
    if k:
        api = s.batch["kolrules-batch"][0].result.get("api", "")
        lines.append(
            _row(
                "kolrules batch",
                f"`{api}` in process",
                f"{k:.3f}",
                _rate(n, k),
                _times(h, k),
                _mib(kr),
                _times(kr, hr),
            )
        )
    if s.cli:
        c = s.cli
        lines.append(
            _row(
                "kolrules CLI",
                "`kolrules evaluate IN -o OUT.csv`, whole process",
                f"{c.wall_s:.3f}",
                _rate(n, c.wall_s),
                _times(h, c.wall_s),
                "–",  # not measurable from outside (see _peak_rss)
                "–",
            )
        )
    if h:
        lines.append(
            _row(
                "hand polars",
                "`hand_polars.run` in process",
                f"{h:.3f}",
                _rate(n, h),
                "1.00×",
                _mib(hr),
                "1.00×",
            )
        )
    lines += _one_profile_table(s)
    lines += [
        "",
        "Agreement with kolrules' batch output: verdict and tier on every row compared, rule",
        "outcomes on evaluated rows:",
        "",
        *_header(
            "engine",
            "rows compared",
            "verdict/tier mismatches",
            "rule outcome mismatches",
            "score differences > 1e-6",
        ),
    ]
    for c in s.comparisons:
        score = c.score_differences if c.has_score else "–"
        lines.append(_row(c.engine, f"{c.rows:,}", c.mismatches, c.rule_mismatches, score))
    return [*lines, ""]


def _one_profile_table(s: SizeResult) -> list[str]:
    """One-profile engines: latency (measured on the first size only) and the pass over
    every row."""
    timed = any(_one_latency(s, name) for name in PEERS_PER_PROFILE)
    if timed:
        lines = [
            "",
            "One profile at a time, in process. Latency: a sample of evaluated profiles as",
            "typed values (what an application passes); the pass over every row reads the CSV",
            "with the `csv` module and writes each result, for the comparison below.",
            "",
            *_header(
                "engine",
                "median µs",
                "p99 µs",
                "vs hand Python (median)",
                "pass over every row, profiles/s",
                "notes",
            ),
        ]
    else:
        lines = [
            "",
            "One profile at a time, in process: the pass over every row (reading the CSV with",
            "the `csv` module, writing each result); latency is measured on the first size.",
            "",
            *_header("engine", "profiles/s", "notes"),
        ]
    hp = _one_latency(s, "hand-python")
    for name in PEERS_PER_PROFILE:
        run = s.one.get(name)
        if run is None:
            continue
        note = run.note.splitlines()[0] if run.note else ""
        if not run.ok:
            lines.append(_row(name, "–", "–", "–", "–", note) if timed else _row(name, "–", note))
            continue
        rate = f"{run.result['rows'] / run.result['seconds']:,.0f}"
        if not timed:
            lines.append(_row(name, rate, ""))
            continue
        notes = []
        text = run.result.get("latency_text")
        if text:
            notes.append(f"export text in: median {text['median_us']:.1f} µs")
        if "batch_us" in run.result:
            notes.append(f"`evaluate_batch`: {run.result['batch_us']:.1f} µs per profile")
        slow = run.result.get("latency_callback_loader")
        if slow:
            notes.append(f"Python loader callback: median {slow['median_us']:.0f} µs")
        lat = run.result.get("latency") or {}
        vs = _times(lat.get("median_us"), hp["median_us"] if hp else None)
        median = f"{lat['median_us']:.1f}" if lat else "–"
        p99 = f"{lat['p99_us']:.1f}" if lat else "–"
        lines.append(_row(name, median, p99, vs, rate, "; ".join(notes)))
    return lines


def _full_section(full: dict[str, Any]) -> list[str]:
    k, h = full["kolrules"], full["hand"]
    n = full["rows"]
    lines = [f"## {n:,} rows, streamed", ""]
    if k.ok:
        seconds = k.result["seconds"]
        lines.append(
            f"- kolrules `{k.result.get('api', '')}`: {seconds:.1f} s ({_rate(n, seconds)} "
            f"profiles/s), peak RSS {_mib(k.peak_rss)} MiB"
        )
    else:
        lines.append(f"- kolrules: {k.note}")
    if h.ok:
        seconds = h.result["seconds"]
        lines.append(
            f"- hand polars (`hand_polars.run`, `sink_csv`): {seconds:.1f} s "
            f"({_rate(n, seconds)} profiles/s), peak RSS {_mib(h.peak_rss)} MiB"
        )
    if "counts_equal" in full:
        lines.append(
            f"- verdict counts {'equal' if full['counts_equal'] else 'differ'}: kolrules "
            f"{full['k_counts']}, hand polars {full['h_counts']}"
        )
        c = full["comparison"]
        lines.append(f"- per row (verdict and tier): {c.mismatches} mismatches in {c.rows:,} rows")
    return [*lines, ""]


# -- main -----------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", help="comma-separated row counts (default 10000,100000,1000000)")
    p.add_argument("--full", action="store_true", help="add 10M rows evaluated streaming")
    p.add_argument("--full-rows", type=int, default=FULL_ROWS, help="rows of --full (10M)")
    p.add_argument("--small", action="store_true", help="10k rows, one run, 0 mismatches (CI)")
    p.add_argument(
        "--out", type=Path, help="results file (default benchmarks/RESULTS.md; none with --small)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, help="batch runs per engine and size (default 3)")
    p.add_argument("--sample", type=int, default=3000, help="profiles in the latency sample")
    p.add_argument("--latency-repeat", type=int, default=3, help="timed passes over the sample")
    p.add_argument(
        "--peer-rows", type=int, help="compare one-profile engines on the first N rows only"
    )
    p.add_argument("--skip", default="", help="comma-separated one-profile engines to leave out")
    p.add_argument("--reasons", choices=("text", "rules"), help="passed to evaluate_to_file")
    p.add_argument(
        "--cache-dir", help="where generated data is kept (default ~/.cache/kolrules-bench)"
    )
    p.add_argument("--keep", action="store_true", help="keep the decisions files")
    # worker mode (internal)
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--output", help=argparse.SUPPRESS)
    p.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--sample-file", help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        WORKERS[args.worker](args)
        return 0
    begun = machine()
    if args.small:
        sizes = [SMALL_ROWS]
        args.repeat = args.repeat or 1
    else:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SIZES)
        args.repeat = args.repeat or 3
        if args.out is None:
            args.out = HERE / "RESULTS.md"
    cache = cache_dir(args.cache_dir)
    failures: list[str] = []

    sys.path.insert(0, str(HERE))
    from peers import _red

    from kolrules import Engine

    drift = _red.differences(Engine("red-default"))
    if drift:
        print("the peers no longer implement red-default as kolrules loads it:", file=sys.stderr)
        for d in drift:
            print("  " + d, file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="kolrules-bench-"))
    results: list[SizeResult] = []
    start = None
    full = None
    try:
        print("== start-up", flush=True)
        start = startup(work, args.seed, 3 if args.small else 7)
        print(
            f"  kolrules --help {start['help_s']:.3f} s, first decision {start['first_s']:.3f} s",
            flush=True,
        )
        for i, rows in enumerate(sorted(sizes)):
            res = measure_size(rows, args, cache, work, latency=i == 0)
            results.append(res)
            failures += [
                f"{rows:,} rows: {c.engine} disagrees with kolrules"
                for c in res.comparisons
                if not c.ok
            ]
            for run in res.one.values():
                if not run.ok and not run.note.startswith("skipped"):
                    failures.append(f"{rows:,} rows: {run.name} {run.note}")
            for runs in res.batch.values():
                failures += [f"{rows:,} rows: {r.name} {r.note}" for r in runs if not r.ok]
            if res.cli and not res.cli.ok:
                failures.append(f"{rows:,} rows: kolrules CLI failed: {res.cli.note}")
            if not args.keep and all(c.ok for c in res.comparisons):
                for path in work.glob(f"*-{rows}.csv"):
                    path.unlink()
        if args.full:
            full = measure_full(args, cache, work)
            k = full["kolrules"]
            if not k.ok:
                failures.append(f"{args.full_rows:,} rows: kolrules failed: {k.note}")
            elif k.peak_rss > TARGET_STREAM_RSS:
                failures.append(
                    f"{args.full_rows:,} rows: peak RSS {_mib(k.peak_rss)} MiB is above 1 GiB"
                )
            if not full.get("counts_equal", False) or not full["comparison"].ok:
                failures.append(f"{args.full_rows:,} rows: kolrules and hand polars disagree")
    finally:
        if not args.keep and not failures:
            shutil.rmtree(work, ignore_errors=True)
        elif failures:
            print(f"\ndecisions kept in {work}", flush=True)

    text = report(results, start, full, args, begun)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"\nwrote {args.out}")
    else:
        print("\n" + text)
    if failures:
        print("\nFAILED:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("0 mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
