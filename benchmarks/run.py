"""Benchmark kolrules against hand-written and third-party peers on synthetic RED profiles.

    python benchmarks/run.py                      # 10k, 100k and 1M rows -> benchmarks/RESULTS.md
    python benchmarks/run.py --full               # ... and 10M rows streamed
    python benchmarks/run.py --small              # 10k rows, 0 mismatches or exit 1 (CI)
    python benchmarks/run.py --sizes 200000 --repeat 1 --out /tmp/results.md

For each size the data is generated once (``generate.py``, cached) and every measurement runs
in its own subprocess, so peak RSS (``ru_maxrss``) belongs to that measurement alone:

- kolrules batch: ``Engine("red-default").evaluate_to_file(csv, decisions_csv, reasons=...)``
  with reasons text (the default) and with ``--reasons none`` (reasons off: no message is
  rendered), timed in process (import and engine construction apart), and the CLI
  ``kolrules evaluate IN -o OUT.csv`` as a whole (wall time);
- hand-written polars (``peers/hand_polars.py``), the practical limit for batch, in the
  same two modes (:data:`BATCH_MODES`), each timed against kolrules in its mode: writing
  the same reason and to_pass texts (``run(reasons="text")``), and no reasons (``reasons="none"``);
  ``--reasons text`` or ``--reasons none`` runs one mode only;
- one profile at a time, warm, in process: kolrules ``engine.evaluate_one(profile)`` (with
  ``decision.findings``), hand-written Python (``peers/hand_python.py``), zen-engine
  (``peers/zen.py``) and rule-engine (``peers/rule_engine_peer.py``): median and p99 of
  ``perf_counter_ns`` around each call on a sample of profiles;
- every engine's output compared with kolrules' decision frame (``Engine.decision_frames``
  on the whole file, kept as Parquet so numbers compare bit for bit) on every column the
  engine computes (:data:`SPECS` says which, and why not the others), with an outer join on
  the row number: a row an engine drops, adds or repeats is a mismatch; any mismatch is
  printed (row, values, input) and the run exits 1;
- every other bundled ruleset (the peers implement red-default only): kolrules'
  ``evaluate_one`` on every row, ``evaluate_frame`` and ``evaluate_to_file`` compared with
  its decision frame on every column, on generated data of the ruleset's platform
  (``generate.py --platform``), ``--ruleset-rows`` rows (10,000).

The output ends with one line per ruleset and engine: rows compared, columns compared,
mismatches (all must be 0).

Targets (issues 3 and 11) are reported as met or missed, never asserted, except two checks:
zero mismatches, and (``--full``) 10M rows streamed in at most 1 GiB peak RSS. Missing peers
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
#: Targets of issues 3 and 11.
TARGET_BATCH_RATIO = 0.85
TARGET_ONE_US = 10.0
TARGET_RSS_RATIO = 1.2
TARGET_STREAM_RSS = GIB
TARGET_HELP_S = 0.25
TARGET_FIRST_S = 0.6
TARGET_ENGINE_S = 0.3


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

    reasons = args.peer_reasons or "text"
    started = time.perf_counter()
    hand_polars.run(args.input, args.output, reasons=reasons)
    seconds = time.perf_counter() - started
    counts = (
        pl.scan_csv(args.output, infer_schema=False).group_by("verdict").len().collect().iter_rows()
    )
    _emit(
        {
            "seconds": seconds,
            "counts": {("errors" if k is None else k): v for k, v in counts},
            "api": f"run(reasons={reasons!r})",
        }
    )


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


#: kolrules' decision columns (``kolrules.evaluate.DECISION_COLUMNS`` after ``row``, the
#: key); a ``rule:<id>`` column per rule follows them.
DECISION_COLUMNS = (
    "id",
    "platform",
    "status",
    "verdict",
    "tier",
    "score",
    "quote",
    "band_min",
    "band_max",
    "position",
    "cpe",
    "gifting",
    "reasons",
    "to_pass",
    "errors",
)
FLOAT_COLUMNS = frozenset({"score", "quote", "band_min", "band_max", "cpe"})
BOOL_COLUMNS = frozenset({"gifting", "has_errors"})
JOIN = " | "  # what joins several reasons or errors in one cell, as kolrules writes them


class _Results:
    """Per-row results of a one-profile engine, written as CSV: ``row``, ``columns`` (those
    of :data:`DECISION_COLUMNS` the engine gives), then one ``rule:<id>`` column per rule.
    Floats are written by ``repr``, so they read back bit for bit."""

    def __init__(self, path: str, columns: Sequence[str], rule_ids: Sequence[str]) -> None:
        self.fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.out = csv.writer(self.fh)
        self.columns = tuple(columns)
        self.out.writerow(["row", *self.columns, *(f"rule:{r}" for r in rule_ids)])
        self.blank = [""] * len(rule_ids)
        self.rows = 0

    def error(self, row: int, **values: Any) -> None:
        values["status"] = "error"
        self.out.writerow([row, *(values.get(c) for c in self.columns), *self.blank])
        self.rows += 1

    def decision(self, row: int, outcomes: Sequence[str], **values: Any) -> None:
        values["status"] = "evaluated"
        self.out.writerow([row, *(values.get(c) for c in self.columns), *outcomes])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def _joined(items: Iterable[Any]) -> str | None:
    return JOIN.join(str(i) for i in items) or None


def _kolrules_rows(engine: Any, results: _Results, rows: Iterable[Mapping[str, Any]]) -> None:
    """``engine.evaluate_one`` on every row, in order, with kolrules' rules for a file: a
    row that raises ``RowInputError`` is a row error, and so is a repeated id (after the
    row that took it first). Their ``errors`` are what ``Engine.evaluate`` reports: the
    exception's reasons (or the duplicate id), then the row's unreadable cells."""
    from kolrules.engine import RowInputError
    from kolrules.report import to_pass_text
    from kolrules.types import DataError

    rule_ids = [r.rule.id for r in engine.plan.rules]
    seen: dict[str, int] = {}
    headers: list[str] | None = None
    for n, raw in enumerate(rows, 1):
        if headers is None:  # the rows of one file: its rules for columns it lacks
            headers = list(raw)
        try:
            d = engine.evaluate_one(raw, headers=headers)
        except RowInputError as exc:
            norm = engine.normalise_row(raw, n)
            errors = _joined((*exc.error.errors, *norm.data_errors))
            results.error(n, id=exc.error.id, errors=errors)
            continue
        first = seen.get(d.id)
        if first is not None:
            norm = engine.normalise_row(raw, n)
            duplicate = DataError(norm.id_column, d.id, f"duplicate id, first seen at row {first}")
            results.error(n, id=d.id, errors=_joined((duplicate, *norm.data_errors)))
            continue
        seen[d.id] = n
        outcome = {f.rule: f.outcome for f in d.findings}
        price = d.price
        results.decision(
            n,
            [outcome[r] for r in rule_ids],
            id=d.id,
            platform=d.platform,
            verdict=d.verdict,
            tier=d.tier,
            score=d.score,
            quote=price.quote,
            band_min=price.band_min,
            band_max=price.band_max,
            position=price.position,
            cpe=price.cpe,
            gifting=price.gifting,
            reasons=_joined(d.reasons),
            to_pass=_joined(f"{f.rule}: {to_pass_text(f)}" for f in d.said()),
            errors=_joined(d.data_errors),
        )


#: What each one-profile engine writes for the comparison (besides ``row`` and the rules).
ONE_PROFILE_COLUMNS = {
    "kolrules-one": DECISION_COLUMNS,
    "hand-python": (
        "id",
        "status",
        "verdict",
        "tier",
        "score",
        "quote",
        "band_min",
        "band_max",
        "position",
        "cpe",
        "gifting",
        "errors",
    ),
    "zen": ("id", "status", "verdict", "tier", "band_min", "band_max", "cpe"),
    "rule-engine": ("id", "status", "verdict", "tier", "band_min", "band_max", "cpe"),
}


def worker_one_profile(args: argparse.Namespace) -> None:
    """Latency on the sample (red-default), then every row (up to ``--limit``) for the
    comparison."""
    kind = args.worker
    columns = ONE_PROFILE_COLUMNS[kind]
    result: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "kolrules-one":
        from kolrules import Engine

        engine = Engine(args.ruleset)
        if args.latency:
            from peers import hand_python

            raw_sample = _sample(args.sample_file)
            values = [hand_python.normalise(raw).values for raw in raw_sample]

            def one(profile: Mapping[str, Any]) -> Any:
                return engine.evaluate_one(profile).findings

            result["latency"] = _latency(one, values, args.latency_repeat)
            result["latency_text"] = _latency(one, raw_sample, args.latency_repeat)
            result["sample"] = len(values)
        results = _Results(args.output, columns, [r.rule.id for r in engine.plan.rules])
        t0 = time.perf_counter()
        _kolrules_rows(engine, results, _rows(args.input, args.limit))
        results.close()
        done = time.perf_counter()
        result.update(rows=results.rows, seconds=done - t0, setup_s=t0 - started)
        _emit(result)
        return

    from peers import _red as red
    from peers import hand_python

    raw_sample = _sample(args.sample_file)
    typed = [hand_python.normalise(raw) for raw in raw_sample]
    values = [t.values for t in typed]
    labels = red.OUTCOME_LABELS
    results = _Results(args.output, columns, red.RULE_IDS)
    if kind == "hand-python":
        if args.latency:
            result["latency"] = _latency(hand_python.decide, values, args.latency_repeat)
            result["latency_text"] = _latency(hand_python.decide, raw_sample, args.latency_repeat)
        t0 = time.perf_counter()
        for r in hand_python.evaluate_rows(_rows(args.input, args.limit)):
            d = r.decision
            if d is None:
                results.error(r.row, id=r.id, errors=r.errors)
                continue
            results.decision(
                r.row,
                [labels[o] for o in d.outcomes],
                id=r.id,
                verdict=d.verdict,
                tier=d.tier,
                score=d.score,
                quote=d.quote,
                band_min=d.band_min,
                band_max=d.band_max,
                position=d.position,
                cpe=d.cpe,
                gifting=d.quote is None,
                errors=r.errors,
            )
    else:
        contexts = [hand_python.context(t.values, t.data_errors) for t in typed]
        if kind == "zen":
            from peers import zen

            engine = zen.make_engine()

            def evaluate(ctx: Mapping[str, Any]) -> Any:
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
        t0 = time.perf_counter()
        for r in hand_python.read_rows(_rows(args.input, args.limit)):
            if r.values is None:
                results.error(r.row, id=r.id)
                continue
            got = evaluate(hand_python.context(*r.values))
            results.decision(
                r.row,
                [labels[c] for c in got.codes],
                id=r.id,
                verdict=got.verdict,
                tier=got.tier,
                band_min=got.band_min,
                band_max=got.band_max,
                cpe=got.cpe,
            )
    results.close()
    done = time.perf_counter()
    result.update(rows=results.rows, seconds=done - t0, setup_s=t0 - started, sample=len(values))
    _emit(result)


def _sample(path: str | None) -> list[dict[str, Any]]:
    if not path or not Path(path).exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def worker_kolrules_reference(args: argparse.Namespace) -> None:
    """kolrules' decision frame of a whole file, the reference every engine is compared
    with: ``Engine.decision_frames`` on the file read as one frame (``reasons="text"``),
    written as Parquet (numbers bit for bit). Also ``Engine.evaluate_frame`` on the same
    frame (``--frame-output``), ``Engine.evaluate_to_file`` (``--csv-output``) and
    ``Engine.evaluate_one`` on every row (``--one-output``, as the kolrules-one worker)."""
    import polars as pl

    from kolrules import Engine

    started = time.perf_counter()
    engine = Engine(args.ruleset)
    path = Path(args.input)
    df = engine.reader(path).read(path)
    reference = pl.concat(list(engine.decision_frames([df])))
    reference.write_parquet(args.output)
    if args.frame_output:
        framed = engine.evaluate_frame(df)
        reasons = pl.col("reasons")
        framed.select(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"),
            "status",
            pl.col("error").alias("errors"),
            "verdict",
            "tier",
            "score",
            "band_min",
            "band_max",
            pl.col("price_position").alias("position"),
            "cpe",
            "gifting",
            pl.when(reasons.list.len() > 0).then(reasons.list.join(JOIN)).alias("reasons"),
            pl.col("^rule:.*$"),
        ).write_parquet(args.frame_output)
    if args.csv_output:
        engine.evaluate_to_file(path, args.csv_output)
    if args.one_output:  # the one-profile path too, in the same process (nothing is timed)
        results = _Results(
            args.one_output, DECISION_COLUMNS, [r.rule.id for r in engine.plan.rules]
        )
        _kolrules_rows(engine, results, _rows(args.input, None))
        results.close()
    _emit(
        {
            "seconds": time.perf_counter() - started,
            "rows": reference.height,
            "platform": engine.ruleset.platform,
        }
    )


WORKERS: dict[str, Callable[[argparse.Namespace], None]] = {
    "kolrules-batch": worker_kolrules_batch,
    "kolrules-reference": worker_kolrules_reference,
    "hand-polars": worker_hand_polars,
    "hand-polars-none": worker_hand_polars,
    "kolrules-batch-none": worker_kolrules_batch,
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


def _run_process(
    cmd: Sequence[str], *, capture: bool = True, env: Mapping[str, str] | None = None
) -> tuple[int, str, str, float, int]:
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
            env=env,
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


def data_file(rows: int, seed: int, cache: Path, flavour: str = "red") -> Path:
    """The generated CSV for ``rows``, ``seed`` and ``flavour`` (``generate.FLAVOURS``),
    made once and kept in ``cache``."""
    sys.path.insert(0, str(HERE))
    import generate

    path = cache / f"{flavour}-{rows}-seed{seed}-v{generate.version(flavour)}.csv"
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
                "--platform",
                flavour,
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


@dataclass(frozen=True)
class Spec:
    """Which decision columns of a peer are compared with kolrules' decision frame, and how.

    ``exact``: equal values (numbers bit for bit, missing equal only to missing);
    ``present``: (kolrules' column, the peer's boolean column): whether kolrules' column has
    a value; ``tolerance``: (column, relative tolerance), only where the peer cannot compute
    the same float; ``rules``: every ``rule:<id>`` column; ``text``: both sides are CSV
    files compared as written. ``not_compared`` says why the other columns are not."""

    exact: tuple[str, ...]
    present: tuple[tuple[str, str], ...] = ()
    tolerance: tuple[tuple[str, float], ...] = ()
    rules: bool = True
    text: bool = False
    not_compared: tuple[tuple[str, str], ...] = ()
    what: str = ""

    def names(self) -> list[str]:
        return [*self.exact, *(c for c, _ in self.present), *(c for c, _ in self.tolerance)]


_READ_BY_PEERS = "read by hand_python.normalise for the engine, which gets typed values"
SPECS: dict[str, Spec] = {
    "kolrules-cli": Spec(
        DECISION_COLUMNS,
        text=True,
        what="`kolrules evaluate IN -o OUT.csv` against the reference frame written by "
        "kolrules' CSV writer, as written",
    ),
    "kolrules-batch": Spec(
        DECISION_COLUMNS,
        text=True,
        what="`Engine.evaluate_to_file(reasons='text')`'s CSV against the reference frame "
        "written by kolrules' CSV writer, as written (numbers as the file has them)",
    ),
    "kolrules-batch-none": Spec(
        tuple(c for c in DECISION_COLUMNS if c not in ("reasons", "to_pass")),
        text=True,
        not_compared=(("reasons, to_pass", "`--reasons none` writes none"),),
        what="`Engine.evaluate_to_file(reasons='none')`'s CSV against the reference frame "
        "written by kolrules' CSV writer, as written",
    ),
    "kolrules-frame": Spec(
        tuple(c for c in DECISION_COLUMNS if c not in ("id", "platform", "quote", "to_pass")),
        not_compared=(
            ("id, platform, quote", "`evaluate_frame` returns the input's columns instead"),
            ("to_pass", "not a column of `evaluate_frame`"),
        ),
        what="`Engine.evaluate_frame` on the file's frame",
    ),
    "kolrules-one": Spec(
        DECISION_COLUMNS, what="`Engine.evaluate_one` on every row, in order (one profile)"
    ),
    "hand-polars": Spec(
        tuple(c for c in DECISION_COLUMNS if c not in ("platform", "errors")),
        present=(("errors", "has_errors"),),
        not_compared=(
            ("platform", "not written: one platform"),
            ("errors text", "compared as present or not: the peer writes its own words"),
        ),
        what="`hand_polars.run(reasons='text')`: the same reason and to_pass texts as kolrules",
    ),
    "hand-polars-none": Spec(
        tuple(c for c in DECISION_COLUMNS if c not in ("platform", "reasons", "to_pass", "errors")),
        present=(("errors", "has_errors"),),
        not_compared=(
            ("platform", "not written: one platform"),
            ("reasons, to_pass", "not written: the peer of kolrules' `--reasons none`"),
            ("errors text", "compared as present or not: the peer writes its own words"),
        ),
        what="`hand_polars.run(reasons='none')`",
    ),
    "hand-python": Spec(
        tuple(c for c in DECISION_COLUMNS if c not in ("platform", "reasons", "to_pass")),
        not_compared=(
            ("platform", "not written: one platform"),
            ("reasons, to_pass", "its messages are in its own words"),
        ),
        what="`hand_python.evaluate_rows` (`decide` on every row)",
    ),
    "zen": Spec(
        ("id", "status", "verdict", "tier", "band_min", "band_max"),
        tolerance=(("cpe", 1e-15),),
        not_compared=(
            ("score", "no logarithm in ZEN expressions"),
            ("quote, position, gifting", "not computed by the graph"),
            ("reasons, to_pass, errors", "no message texts"),
            ("platform", "not written"),
        ),
        what=f"zen-engine (id, status and cells {_READ_BY_PEERS}; CPE within a relative "
        "1e-15: ZEN computes with decimals and its float of 1/3 is an ulp off)",
    ),
    "rule-engine": Spec(
        ("id", "status", "verdict", "tier", "band_min", "band_max", "cpe"),
        not_compared=(
            ("score", "no logarithm in rule-engine expressions"),
            ("quote, position, gifting", "not computed by the rules"),
            ("reasons, to_pass, errors", "no message texts"),
            ("platform", "not written"),
        ),
        what=f"rule-engine (id, status and cells {_READ_BY_PEERS}; its decimals give "
        "kolrules' CPE bit for bit on whole-number inputs)",
    ),
}
#: --full: 10M rows of every column would not fit the runner's memory.
FULL_SPEC = Spec(
    ("status", "verdict", "tier"),
    rules=False,
    text=True,
    not_compared=(("the other columns", "compared at the smaller sizes"),),
    what="hand polars against `evaluate_to_file`'s CSV at 10M rows",
)


@dataclass
class Comparison:
    engine: str
    ruleset: str = "red-default"
    rows: int = 0  # rows in either output (outer join on the row number)
    columns: int = 0
    mismatches: int = 0  # rows that differ, are missing, are extra or repeated
    reference_rows: int = 0
    peer_rows: int = 0
    missing_rows: int = 0
    extra_rows: int = 0
    repeated_rows: int = 0
    by_column: dict[str, int] = field(default_factory=dict)
    within_tolerance: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.reference_rows == self.peer_rows

    def line(self) -> str:
        return (
            f"{self.ruleset:16s} {self.engine:20s} rows {self.rows:>10,}  columns "
            f"{self.columns:>3}  mismatches {self.mismatches:,}"
        )


def _typed(frame: Any, spec: Spec) -> Any:
    """A peer's or kolrules' output with the compared columns typed as kolrules' decision
    frame has them (CSV text -> numbers and booleans), ``row`` as Int64 and an unknown rule
    outcome (a missing input) as ``not_applicable``, which is how kolrules shows it."""
    import polars as pl

    cast: list[pl.Expr] = [pl.col("row").cast(pl.Int64)]
    rules = [c for c in frame.columns if c.startswith("rule:")]
    if not spec.text:
        for name, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            if name in FLOAT_COLUMNS:
                cast.append(pl.col(name).cast(pl.Float64, strict=False))
            elif name in BOOL_COLUMNS:
                cast.append(
                    pl.col(name)
                    .str.to_lowercase()
                    .replace_strict({"true": True, "false": False}, default=None)
                    .cast(pl.Boolean)
                )
    cast += [pl.col(c).cast(pl.String).replace("unknown", "not_applicable") for c in rules]
    return frame.with_columns(cast)


def _bits_differ(a: Any, b: Any) -> Any:
    """Where two Float64 series differ bit for bit (missing differs from any number)."""
    import numpy as np

    an, bn = a.is_null().to_numpy(), b.is_null().to_numpy()
    av = a.fill_null(0.0).to_numpy().astype(np.float64).view(np.uint64)
    bv = b.fill_null(0.0).to_numpy().astype(np.float64).view(np.uint64)
    return (an != bn) | (~an & ~bn & (av != bv))


def compare_frames(
    engine: str,
    reference: Any,
    peer: Any,
    spec: Spec,
    *,
    ruleset: str = "red-default",
    data: Path | None = None,
    examples: int = 5,
) -> Comparison:
    """Compare ``peer``'s decisions with kolrules' ``reference`` (both frames with a
    ``row`` column) on the columns of ``spec``, with an outer join on the row number: a row
    only one side has, or a row the peer gives twice, is a mismatch, and so is a column the
    peer should give and does not. The first differing rows are kept in ``examples`` with
    their input row (from ``data``)."""
    import numpy as np
    import polars as pl

    ref = _typed(reference, spec)
    got = _typed(peer, spec)
    rules = sorted(c for c in ref.columns if c.startswith("rule:")) if spec.rules else []
    peer_rules = sorted(c for c in got.columns if c.startswith("rule:")) if spec.rules else []
    extra_rules = [c for c in peer_rules if c not in rules]
    ref_cols = [*spec.exact, *rules, *extra_rules, *(c for c, _ in spec.tolerance)]
    ref_cols += [c for c, _ in spec.present]
    peer_cols = [*spec.exact, *rules, *extra_rules, *(c for c, _ in spec.tolerance)]
    peer_cols += [c for _, c in spec.present]
    # A column one side lacks is all missing there: every row with a value differs.
    for name in dict.fromkeys(ref_cols):
        if name not in ref.columns:
            ref = ref.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    for name in dict.fromkeys(peer_cols):
        if name not in got.columns:
            got = got.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    result = Comparison(engine, ruleset, reference_rows=ref.height, peer_rows=got.height)
    result.columns = len(spec.exact) + len(rules) + len(spec.tolerance) + len(spec.present)
    result.note = spec.what
    repeated = got.filter(pl.col("row").is_duplicated()).get_column("row").unique()
    result.repeated_rows = int(got.height - got.get_column("row").n_unique())
    got = got.unique("row", keep="first", maintain_order=True)
    left = ref.select("row", *dict.fromkeys(ref_cols)).with_columns(pl.lit(True).alias("__ref"))
    right = got.select(
        "row", *(pl.col(c).alias(c + "__peer") for c in dict.fromkeys(peer_cols))
    ).with_columns(pl.lit(True).alias("__peer"))
    joined = left.join(right, on="row", how="full", coalesce=True).sort("row")
    in_ref = joined.get_column("__ref").is_not_null().to_numpy()
    in_peer = joined.get_column("__peer").is_not_null().to_numpy()
    both = in_ref & in_peer
    result.rows = joined.height
    result.missing_rows = int((in_ref & ~in_peer).sum())
    result.extra_rows = int((~in_ref & in_peer).sum())
    differs: dict[str, np.ndarray] = {}

    def pair(name: str, peer_name: str | None = None) -> tuple[pl.Series, pl.Series]:
        return joined.get_column(name), joined.get_column((peer_name or name) + "__peer")

    for name in [*spec.exact, *rules, *extra_rules]:
        a, b = pair(name)
        if a.dtype == pl.Float64 and b.dtype == pl.Float64:
            differs[name] = _bits_differ(a, b)
        else:
            if a.dtype != b.dtype:
                a, b = a.cast(pl.String), b.cast(pl.String)
            differs[name] = (~a.eq_missing(b)).to_numpy()
    for name, tolerance in spec.tolerance:
        a, b = (s.cast(pl.Float64, strict=False) for s in pair(name))
        gap = (a - b).abs() <= tolerance * pl.select(
            pl.max_horizontal(a.abs(), b.abs())
        ).to_series()
        close = (a.is_null() & b.is_null()) | gap.fill_null(False)
        differs[name] = (~close).to_numpy()
        result.within_tolerance[name] = int((_bits_differ(a, b) & close.to_numpy() & both).sum())
    for name, peer_name in spec.present:
        a, b = pair(name, peer_name)
        has = a.is_not_null().to_numpy()
        differs[name] = has != b.cast(pl.Boolean, strict=False).fill_null(False).to_numpy()
    any_diff = ~both
    for name, d in differs.items():
        d = d & both
        result.by_column[name] = int(d.sum())
        any_diff = any_diff | d
    result.mismatches = int(any_diff.sum()) + result.repeated_rows
    bad_rows = joined.get_column("row").to_numpy()[any_diff][:examples].tolist()
    bad_rows += [r for r in repeated.to_list() if r not in bad_rows][: examples - len(bad_rows)]
    if bad_rows:
        result.examples = _examples(
            engine, joined, differs, spec, bad_rows, repeated.to_list(), data
        )
    return result


def _examples(
    engine: str,
    joined: Any,
    differs: Mapping[str, Any],
    spec: Spec,
    rows: list[int],
    repeated: list[int],
    data: Path | None,
) -> list[str]:
    """The differing rows, each with kolrules' and the peer's values and the input row."""
    import polars as pl

    inputs: dict[int, dict[str, Any]] = {}
    if data is not None:
        found = (
            pl.scan_csv(data, infer_schema=False)
            .with_row_index("row", offset=1)
            .with_columns(pl.col("row").cast(pl.Int64))
            .filter(pl.col("row").is_in(rows))
            .collect()
        )
        inputs = {r["row"]: r for r in found.iter_rows(named=True)}
    peer_of = dict(spec.present)
    at = {r: i for i, r in enumerate(joined.get_column("row").to_list())}
    out = []
    for row in rows:
        i = at[row]
        rec = joined.row(i, named=True)
        if rec["__ref"] is None:
            what = "not in kolrules' output (the peer added it)"
        elif rec["__peer"] is None:
            what = "missing from the peer's output"
        else:
            diff = {
                name: f"{rec[name]!r} (kolrules) vs "
                f"{rec[peer_of.get(name, name) + '__peer']!r} ({engine})"
                for name, d in differs.items()
                if d[i]
            }
            what = str(diff) if diff else ""
        if row in repeated:
            what = (what + "; " if what else "") + "given more than once by the peer"
        raw = {k: v for k, v in inputs.get(row, {}).items() if k != "row"}
        out.append(f"row {row}: {what}\n      input: {raw}")
    return out


def load_decisions(path: Path, spec: Spec | None = None) -> Any:
    """A decisions file (Parquet, typed; or CSV, as text) as a frame with a ``row`` column;
    only the columns ``spec`` compares, when given."""
    import polars as pl

    if path.suffix == ".parquet":
        lf = pl.scan_parquet(path)
    else:
        lf = pl.scan_csv(path, infer_schema=False)
    names = lf.collect_schema().names()
    if spec is not None:
        wanted = {*spec.names(), *(peer for _, peer in spec.present)}
        lf = lf.select(
            c for c in names if c in wanted or c == "row" or (spec.rules and c.startswith("rule:"))
        )
    if "row" not in names:
        lf = lf.with_row_index("row", offset=1)
    return lf.collect()


def reference_csv(reference: Path, target: Path) -> Path:
    """The reference frame written as kolrules writes a decisions CSV."""
    import polars as pl

    from kolrules.report import write_csv

    with target.open("wb") as fh:
        write_csv(pl.read_parquet(reference), fh)
    return target


def compare(
    engine: str,
    reference: Path | Any,
    other: Path,
    data: Path | None,
    *,
    spec: Spec | None = None,
    ruleset: str = "red-default",
    limit: int | None = None,
) -> Comparison:
    """``other`` (a decisions file) against kolrules' ``reference`` (a file or a frame) on
    the columns of ``spec`` (``SPECS[engine]``); only its first ``limit`` rows, when the
    peer was run on those only."""
    import polars as pl

    spec = spec or SPECS[engine]
    ref = load_decisions(reference, spec) if isinstance(reference, Path) else reference
    if limit is not None:
        ref = ref.filter(pl.col("row").cast(pl.Int64) <= limit)
    got = load_decisions(other, spec)
    return compare_frames(engine, ref, got, spec, ruleset=ruleset, data=data)


def show(c: Comparison) -> None:
    status = "ok" if c.ok else "MISMATCH"
    extra = []
    if c.reference_rows != c.peer_rows:
        extra.append(f"row count {c.peer_rows:,}, kolrules {c.reference_rows:,}")
    for what, n in (
        ("missing", c.missing_rows),
        ("extra", c.extra_rows),
        ("repeated", c.repeated_rows),
    ):
        if n:
            extra.append(f"{n:,} rows {what}")
    bad = {k: v for k, v in c.by_column.items() if v}
    if bad:
        extra.append("differing: " + ", ".join(f"{k} {v:,}" for k, v in bad.items()))
    for name, n in c.within_tolerance.items():
        if n:
            extra.append(f"{name}: {n:,} rows not bit for bit, within the stated tolerance")
    shown = f" ({'; '.join(extra)})" if extra else ""
    print(
        f"  compare {c.engine:20s} {c.rows:,} rows x {c.columns} columns: "
        f"{c.mismatches:,} mismatches{shown} [{status}]",
        flush=True,
    )
    for example in c.examples:
        print("    " + example, flush=True)


# -- start-up -------------------------------------------------------------------------


def median_wall(
    cmd: Sequence[str], runs: int, extra_env: Mapping[str, str] | None = None
) -> tuple[float, int, float]:
    """Median wall time of ``cmd``, its exit code and its median CPU time (user + system:
    what a busy shared machine inflates less) over ``runs`` runs, after one run that is
    not timed, with Python's bytecode cache on: as a process starts once kolrules is
    installed (pip compiles the modules; an editable install or a first run writes
    them), whatever ``PYTHONDONTWRITEBYTECODE`` says in the benchmark's own environment.
    The untimed run also fills kolrules' own cache of ruleset files known valid, as any
    earlier run on the machine would."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra_env or {})
    _timed_process(cmd, env)
    walls, cpus = [], []
    code = 0
    for _ in range(runs):
        code, wall, cpu = _timed_process(cmd, env)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), code, statistics.median(cpus)


def _timed_process(cmd: Sequence[str], env: Mapping[str, str]) -> tuple[int, float, float]:
    """Run ``cmd`` (output discarded); its exit code, wall seconds and CPU seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime


def _third_party_plugins() -> list[str]:
    """The ``kolrules`` entry points installed: issue 11's ``--help`` target is measured
    with one installed (``pip install ./plugins/examples/kolrules-douyin``)."""
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group="kolrules"))


#: The file of issue 11's first-decision target: 37 rows, a table on stdout.
FIRST_FILE = "examples/candidates.csv"


#: What makes a kolrules process load no third-party plugin.
NO_AUTOLOAD = {"KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}


def startup(work: Path, runs: int) -> dict[str, Any]:
    """Fresh processes, each timed ``runs`` times: Python alone, ``import kolrules``, an
    engine for the default ruleset, ``kolrules --help``, and the first decision on
    :data:`FIRST_FILE` as a table and as a CSV file; with third-party plugins installed,
    the engine and the first decision again without them (``_own``: kolrules' own cost)."""
    k = kolrules_command()
    python = [sys.executable, "-c"]
    engine = [*python, "from kolrules import Engine; Engine('red-default')"]
    commands: dict[str, tuple[list[str], Mapping[str, str]]] = {
        "python": ([*python, "pass"], {}),
        "import": ([*python, "import kolrules"], {}),
        "import_engine": (engine, {}),
        "help": ([*k, "--help"], {}),
        "first": ([*k, "evaluate", FIRST_FILE], {}),
        "first_csv": ([*k, "evaluate", FIRST_FILE, "-o", str(work / "f.csv")], {}),
    }
    out: dict[str, Any] = {"runs": runs, "third_party": _third_party_plugins()}
    if out["third_party"]:
        commands["import_engine_own"] = (engine, NO_AUTOLOAD)
        commands["first_own"] = ([*k, "evaluate", FIRST_FILE], NO_AUTOLOAD)
    out["load_start"] = machine()["load"]
    out["when"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name, (cmd, env) in commands.items():
        out[f"{name}_s"], out[f"{name}_exit"], out[f"{name}_cpu"] = median_wall(cmd, runs, env)
    out["load_end"] = machine()["load"]
    return out


def startup_section(start: dict[str, Any], command: str | None = None) -> list[str]:
    """The start-up table of ``RESULTS.md``, saying when and under what load it was
    measured, and by what ``command`` when it comes from a run of its own
    (``run.py --startup``)."""
    rows = [
        ("`python -c pass`", "python"),
        ("`python -c 'import kolrules'`", "import"),
        ("`python -c 'from kolrules import Engine; Engine(\"red-default\")'`", "import_engine"),
        ("`kolrules --help`", "help"),
        (f"`kolrules evaluate {FIRST_FILE}` (first decision, a table on stdout)", "first"),
        (f"`kolrules evaluate {FIRST_FILE} -o f.csv`", "first_csv"),
    ]
    if start["third_party"]:
        own = "with `KOLRULES_DISABLE_PLUGIN_AUTOLOAD=1` (no third-party plugin)"
        rows.insert(3, (f"{rows[2][0]}, {own}", "import_engine_own"))
        rows.insert(6, (f"{rows[5][0]}, {own}", "first_own"))
    failed = [label for label, key in rows if start.get(f"{key}_exit")]
    return [
        "## Start-up",
        "",
        (f"Measured by `{command}`. " if command else "")
        + f"Median of {start['runs']} fresh processes each (after one untimed run), "
        f"{start['when']}; load average (1, 5, 15 min) {start['load_start']} at the start, "
        f"{start['load_end']} at the end. CPU: user + system time. Third-party plugins "
        f"installed: {', '.join(start['third_party']) or 'none'}.",
        "",
        *_header("command", "seconds", "CPU seconds"),
        *(
            _row(label, f"{start[key + '_s']:.3f}", f"{start[key + '_cpu']:.3f}")
            for label, key in rows
        ),
        "",
        *([f"FAILED (non-zero exit): {', '.join(failed)}", ""] if failed else []),
    ]


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


@dataclass(frozen=True)
class BatchMode:
    """kolrules' batch with one ``--reasons`` and the peer that writes what it writes, timed
    against each other (issue 11)."""

    reasons: str  # kolrules' --reasons
    kolrules: str  # the names of the two measurements (and their SPECS)
    peer: str
    peer_reasons: str  # hand_polars.run(reasons=...)
    title: str  # "batch with reasons text"
    peer_title: str  # "the peer with the same reason and to_pass texts"


BATCH_MODES = (
    BatchMode(
        "text",
        "kolrules-batch",
        "hand-polars",
        "text",
        "batch with reasons text",
        "the peer with the same reason and to_pass texts",
    ),
    BatchMode(
        "none",
        "kolrules-batch-none",
        "hand-polars-none",
        "none",
        "batch with reasons off (`--reasons none`)",
        "the peer without reasons",
    ),
)


def batch_modes(args: argparse.Namespace) -> list[BatchMode]:
    """Both modes, or the one ``--reasons`` names."""
    return [m for m in BATCH_MODES if args.reasons in (None, m.reasons)]


def measure_size(
    rows: int, args: argparse.Namespace, cache: Path, work: Path, *, latency: bool
) -> SizeResult:
    print(f"\n== {rows:,} rows", flush=True)
    data = data_file(rows, args.seed, cache)
    res = SizeResult(rows)
    modes = batch_modes(args)
    batch_out = {name: work / f"{name}-{rows}.csv" for m in modes for name in (m.kolrules, m.peer)}
    # kolrules and its peer in each mode, interleaved
    jobs: list[tuple[str, dict[str, str]]] = []
    for m in modes:
        jobs += [(m.kolrules, {"reasons": m.reasons}), (m.peer, {"peer_reasons": m.peer_reasons})]
    for i in range(args.repeat):
        for name, options in jobs:
            if res.batch.get(name) and not res.batch[name][-1].ok:
                continue
            run = run_worker(name, input=data, output=batch_out[name], **options)
            res.batch.setdefault(name, []).append(run)
            shown = f"{run.result['seconds']:.3f} s" if run.ok else run.note
            print(f"  {name:20s} run {i + 1}: {shown}", flush=True)
    for m in modes:
        if not all(r.ok for r in res.batch[m.kolrules]):
            raise SystemExit(f"{m.kolrules} failed:\n" + res.batch[m.kolrules][-1].note)
    k_out = batch_out[modes[0].kolrules]

    cli_out = work / f"kolrules-cli-{rows}.csv"
    code, _, err, wall, rss = _run_process(
        [*kolrules_command(), "evaluate", str(data), "-o", str(cli_out)]
    )
    # The CLI cannot report its own high-water mark, and wait4's includes this runner's
    # memory (see _peak_rss): its RSS column is only shown, never compared with a target.
    res.cli = Run("kolrules-cli", code == 0, {"seconds": wall}, wall, rss, err.strip()[-300:])
    print(f"  kolrules CLI     {wall:.3f} s (exit {code})", flush=True)

    ref_out = work / f"reference-{rows}.parquet"
    frame_out = work / f"kolrules-frame-{rows}.parquet"
    ref = run_worker(
        "kolrules-reference",
        ruleset="red-default",
        input=data,
        output=ref_out,
        frame_output=frame_out,
    )
    if not ref.ok:
        raise SystemExit("kolrules reference (decision_frames) failed:\n" + ref.note)
    print(f"  {'reference':15s} decision frames in {ref.result['seconds']:.3f} s", flush=True)

    sample = work / "sample.json"
    if latency:
        write_sample(data, k_out, sample, args.sample, args.seed)
    outputs: dict[str, Path] = {}
    for name in PEERS_PER_PROFILE:
        if name in args.skip:
            res.one[name] = Run(name, False, note="skipped (--skip)")
            continue
        out = work / f"{name}-{rows}.csv"
        run = run_worker(
            name,
            ruleset="red-default",
            input=data,
            output=out,
            sample_file=sample,
            latency=latency,
            latency_repeat=args.latency_repeat,
            limit=args.peer_rows,
        )
        res.one[name] = run
        if run.ok:
            outputs[name] = out
            lat = run.result.get("latency")
            shown = f" median {lat['median_us']:.1f} us" if lat else ""
            rate = run.result["rows"] / run.result["seconds"]
            print(f"  {name:15s} {run.result['rows']:,} rows at {rate:,.0f}/s{shown}", flush=True)
        else:
            print(f"  {name:15s} {run.note}", flush=True)

    reference = load_decisions(ref_out)
    ref_csv = reference_csv(ref_out, work / f"reference-{rows}.csv")
    if res.cli.ok:
        res.comparisons.append(compare("kolrules-cli", ref_csv, cli_out, data))
    for m in modes:
        res.comparisons.append(compare(m.kolrules, ref_csv, batch_out[m.kolrules], data))
    res.comparisons.append(compare("kolrules-frame", reference, frame_out, data))
    if "kolrules-one" in outputs:
        res.comparisons.append(
            compare("kolrules-one", reference, outputs["kolrules-one"], data, limit=args.peer_rows)
        )
    for m in modes:
        if all(r.ok for r in res.batch[m.peer]):
            res.comparisons.append(compare(m.peer, reference, batch_out[m.peer], data))
    for name in PEERS_PER_PROFILE[1:]:
        if name in outputs:
            res.comparisons.append(
                compare(name, reference, outputs[name], data, limit=args.peer_rows)
            )
    for c in res.comparisons:
        show(c)
    return res


@dataclass
class RulesetResult:
    """The agreement checks of one more bundled ruleset: kolrules' own paths."""

    name: str
    platform: str
    flavour: str | None = None
    rows: int = 0
    comparisons: list[Comparison] = field(default_factory=list)
    note: str = ""


#: The generated data for a platform's rulesets (red-default itself gets the benchmark's).
FLAVOUR_OF_PLATFORM = {"red": "red-extra", "weibo": "weibo", "wechat": "wechat"}


def measure_rulesets(args: argparse.Namespace, cache: Path, work: Path) -> list[RulesetResult]:
    """Every bundled ruleset but red-default (which the sizes check against every peer):
    ``evaluate_one`` on every row, ``evaluate_frame`` and ``evaluate_to_file`` against the
    decision frame, every column, on generated data of the ruleset's platform."""
    from concurrent.futures import ThreadPoolExecutor

    from kolrules import Engine

    engine = Engine()
    rows = args.ruleset_rows
    out: list[RulesetResult] = []
    for name in sorted(engine.named_rulesets()):
        if name == "red-default":
            continue
        platform = engine.load_ruleset(name).platform
        out.append(RulesetResult(name, platform, FLAVOUR_OF_PLATFORM.get(platform), rows))
    print(f"\n== every other bundled ruleset, {rows:,} rows", flush=True)
    # Nothing is timed here: one worker per ruleset (all of kolrules' paths), two at once.
    jobs = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for res in out:
            if res.flavour is None:
                res.note = f"skipped: no generator for platform {res.platform!r}"
                continue
            data = data_file(rows, args.seed, cache, res.flavour)
            files = {
                "data": data,
                "reference": work / f"reference-{res.name}.parquet",
                "frame": work / f"kolrules-frame-{res.name}.parquet",
                "batch": work / f"kolrules-batch-{res.name}.csv",
                "one": work / f"kolrules-one-{res.name}.csv",
            }
            paths = pool.submit(
                run_worker,
                "kolrules-reference",
                ruleset=res.name,
                input=data,
                output=files["reference"],
                frame_output=files["frame"],
                csv_output=files["batch"],
                one_output=files["one"],
            )
            jobs[res.name] = (files, paths)
    for res in out:
        print(f"  {res.name} ({res.platform}, data {res.flavour})", flush=True)
        if res.name not in jobs:
            print(f"    {res.note}", flush=True)
            continue
        files, *futures = jobs[res.name]
        runs = [f.result() for f in futures]
        failed = [f"{r.name} failed: {r.note}" for r in runs if not r.ok]
        if failed:
            res.note = "; ".join(failed)
            print(f"    {res.note}", flush=True)
            continue
        data = files["data"]
        reference = load_decisions(files["reference"])
        ref_csv = reference_csv(files["reference"], work / f"reference-{res.name}.csv")
        res.comparisons = [
            compare("kolrules-batch", ref_csv, files["batch"], data, ruleset=res.name),
            compare("kolrules-frame", reference, files["frame"], data, ruleset=res.name),
            compare("kolrules-one", reference, files["one"], data, ruleset=res.name),
        ]
        for c in res.comparisons:
            show(c)
    return out


def measure_full(args: argparse.Namespace, cache: Path, work: Path) -> dict[str, Any]:
    rows = args.full_rows
    print(f"\n== {rows:,} rows, streamed", flush=True)
    data = data_file(rows, args.seed, cache)
    mode = batch_modes(args)[0]  # the reason texts unless --reasons none
    k_out = work / f"kolrules-{rows}.csv"
    h_out = work / f"hand-polars-{rows}.csv"
    k = run_worker(mode.kolrules, input=data, output=k_out, reasons=mode.reasons)
    h = run_worker(mode.peer, input=data, output=h_out, peer_reasons=mode.peer_reasons)
    for name, run in ((mode.kolrules, k), (mode.peer, h)):
        seconds = run.result.get("seconds", 0)
        shown = f"{seconds:.1f} s, peak RSS {_mib(run.peak_rss)} MiB" if run.ok else run.note
        print(f"  {name:15s} {shown}", flush=True)
    out: dict[str, Any] = {"rows": rows, "kolrules": k, "hand": h, "mode": mode}
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
        out["comparison"] = compare(mode.peer, k_out, h_out, data, spec=FULL_SPEC)
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
    rulesets: Sequence[RulesetResult] = (),
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
        "interleaved, each run in a fresh process; each kolrules mode against the peer writing "
        "what it writes (reasons text: the same reason and to_pass texts; `--reasons none`: "
        "no reasons)",
        "",
    ]
    headline = _headline(sizes, start, full)
    if headline:
        lines += [
            "## Targets (issues 3 and 11)",
            "",
            *_header("target", "measured", ""),
            *headline,
            "",
        ]
    for s in sizes:
        lines += _size_table(s)
    if full:
        lines += _full_section(full)
    if rulesets:
        lines += _rulesets_section(rulesets)
    if start:
        lines += startup_section(start)
    return "\n".join(lines) + "\n"


def startup_targets(start: dict[str, Any]) -> list[str]:
    """The start-up rows of the targets table (issue 11)."""
    help_ms = start["help_s"] * 1000
    plugins = start.get("third_party") or []
    installed = (
        f" (third-party plugins installed: {', '.join(plugins)})"
        if plugins
        else " (no third-party plugin installed: the target is for one installed)"
    )

    def measured(key: str) -> str:
        shown = f"{start[key + '_s']:.2f} s (CPU {start[key + '_cpu']:.2f} s)"
        if key + "_own_s" in start:
            shown += f"; without third-party plugins {start[key + '_own_s']:.2f} s"
        return shown

    return [
        _row(
            f"`kolrules --help` ≤ {TARGET_HELP_S * 1000:.0f} ms",
            f"{help_ms:.0f} ms{installed}",
            _met(start["help_s"] <= TARGET_HELP_S) if plugins else "not measured as asked",
        ),
        _row(
            f"first decision on `{FIRST_FILE}` (a table on stdout) ≤ {TARGET_FIRST_S} s",
            measured("first"),
            _met(start["first_s"] <= TARGET_FIRST_S),
        ),
        _row(
            f'`Engine("red-default")` in a fresh process ≤ {TARGET_ENGINE_S} s '
            "(Python's start and the import included)",
            measured("import_engine"),
            _met(start["import_engine_s"] <= TARGET_ENGINE_S),
        ),
    ]


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
        rss: list[tuple[BatchMode, int, int]] = []
        for m in BATCH_MODES:
            k, h = big.median(m.kolrules), big.median(m.peer)
            if k and h:
                out.append(
                    _row(
                        f"{m.title} ≥ {TARGET_BATCH_RATIO}× the throughput of {m.peer_title} "
                        f"(CSV in to CSV out, {n:,} rows)",
                        f"{h / k:.2f}× ({_rate(n, k)} vs {_rate(n, h)} profiles/s)",
                        _met(h / k >= TARGET_BATCH_RATIO),
                    )
                )
            kr, hr = big.rss(m.kolrules), big.rss(m.peer)
            if kr and hr:
                rss.append((m, kr, hr))
        if rss:
            out.append(
                _row(
                    f"peak RSS at {n:,} rows ≤ {TARGET_RSS_RATIO}× the peer's",
                    "; ".join(
                        f"{m.reasons}: {kr / hr:.2f}× ({_mib(kr)} vs {_mib(hr)} MiB)"
                        for m, kr, hr in rss
                    ),
                    _met(all(kr / hr <= TARGET_RSS_RATIO for _, kr, hr in rss)),
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
        out += startup_targets(start)
    rates = []
    scaled = next((m for m in BATCH_MODES if any(s.median(m.kolrules) for s in sizes)), None)
    for s in sorted(sizes, key=lambda s: s.rows):
        k = s.median(scaled.kolrules) if scaled else None
        if k:
            rates.append((s.rows, s.rows / k))
    if full and full["kolrules"].ok:
        rates.append((full["rows"], full["rows"] / full["kolrules"].result["seconds"]))
    if len(rates) > 1:
        shown = ", ".join(f"{n:,}: {r:,.0f}/s" for n, r in rates)
        flat = all(b >= 0.8 * a for (_, a), (_, b) in itertools.pairwise(rates))
        what = f"scaling: throughput flat or rising with size ({scaled.title if scaled else ''})"
        out.append(_row(what, shown, _met(flat)))
    return out


def _size_table(s: SizeResult) -> list[str]:
    """Each batch mode, kolrules against its peer (hand polars writing what it writes), and
    the CLI (reasons text) against the peer with reason texts."""
    n = s.rows
    lines = [
        f"## {n:,} rows",
        "",
        *_header(
            "engine",
            "what is timed",
            "seconds",
            "profiles/s",
            "throughput vs its peer",
            "peak RSS MiB",
            "RSS vs its peer",
        ),
    ]
    for m in BATCH_MODES:
        k, kr = s.median(m.kolrules), s.rss(m.kolrules)
        h, hr = s.median(m.peer), s.rss(m.peer)
        for name, what, secs, rss, vs, rss_vs in (
            (m.kolrules, f"kolrules {m.title}", k, kr, _times(h, k), _times(kr, hr)),
            (m.peer, f"hand polars, {m.peer_title}", h, hr, "1.00×", "1.00×"),
        ):
            if not secs:
                continue
            api = s.batch[name][0].result.get("api", "")
            lines.append(
                _row(
                    what,
                    f"`{api}` in process",
                    f"{secs:.3f}",
                    _rate(n, secs),
                    vs,
                    _mib(rss),
                    rss_vs,
                )
            )
    if s.cli:
        c = s.cli
        h = s.median(BATCH_MODES[0].peer)
        lines.append(
            _row(
                "kolrules CLI, reasons text",
                "`kolrules evaluate IN -o OUT.csv`, whole process",
                f"{c.wall_s:.3f}",
                _rate(n, c.wall_s),
                _times(h, c.wall_s),
                "–",  # not measurable from outside (see _peak_rss)
                "–",
            )
        )
    lines += _one_profile_table(s)
    lines += ["", *_agreement_table(s.comparisons)]
    return [*lines, ""]


def _agreement_table(comparisons: Sequence[Comparison]) -> list[str]:
    lines = [
        "Agreement with kolrules' decision frame (`Engine.decision_frames` on the whole file):",
        "an outer join on the row number, so a row missing, added or repeated is a mismatch;",
        "every column listed compared on every row (numbers bit for bit unless a tolerance is",
        "stated; an unknown rule outcome counts as `not_applicable`, as kolrules shows it).",
        "",
        *_header("engine", "rows", "columns compared", "mismatches", "not compared"),
    ]
    for c in comparisons:
        spec = SPECS.get(c.engine)
        missing = "; ".join(f"{k} ({v})" for k, v in spec.not_compared) if spec else ""
        lines.append(_row(c.engine, f"{c.rows:,}", c.columns, f"{c.mismatches:,}", missing))
    return lines


def _rulesets_section(rulesets: Sequence[RulesetResult]) -> list[str]:
    lines = [
        "## Every bundled ruleset",
        "",
        "The peers implement red-default only; for the other bundled rulesets kolrules'",
        "paths are compared with its decision frame on generated data of the ruleset's",
        "platform (`generate.py --platform`): `evaluate_to_file`, `evaluate_frame` and",
        "`evaluate_one` on every row.",
        "",
        *_header("ruleset", "data", "engine", "rows", "columns compared", "mismatches"),
    ]
    for r in rulesets:
        if not r.comparisons:
            lines.append(_row(r.name, r.flavour or "–", "–", "–", "–", r.note))
        for c in r.comparisons:
            lines.append(
                _row(r.name, r.flavour, c.engine, f"{c.rows:,}", c.columns, f"{c.mismatches:,}")
            )
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
            f"- hand polars (`hand_polars.{h.result.get('api', 'run')}`, `sink_csv`): "
            f"{seconds:.1f} s "
            f"({_rate(n, seconds)} profiles/s), peak RSS {_mib(h.peak_rss)} MiB"
        )
    if "counts_equal" in full:
        lines.append(
            f"- verdict counts {'equal' if full['counts_equal'] else 'differ'}: kolrules "
            f"{full['k_counts']}, hand polars {full['h_counts']}"
        )
        c = full["comparison"]
        lines.append(
            f"- per row (status, verdict and tier): {c.mismatches} mismatches in {c.rows:,} rows"
        )
    return [*lines, ""]


# -- main -----------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", help="comma-separated row counts (default 10000,100000,1000000)")
    p.add_argument("--full", action="store_true", help="add 10M rows evaluated streaming")
    p.add_argument("--full-rows", type=int, default=FULL_ROWS, help="rows of --full (10M)")
    p.add_argument("--small", action="store_true", help="10k rows, one run, 0 mismatches (CI)")
    p.add_argument(
        "--startup",
        action="store_true",
        help="time start-up only and print its rows of RESULTS.md (nothing else is run)",
    )
    p.add_argument(
        "--startup-runs",
        type=int,
        help="timed runs of each start-up command (default 15 with --startup, else 7; 3 "
        "with --small)",
    )
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
    p.add_argument(
        "--reasons",
        choices=("text", "none"),
        help="time and check only this mode of evaluate_to_file (against hand polars writing "
        "the same reason and to_pass texts, or no reasons); default: both",
    )
    p.add_argument(
        "--cache-dir", help="where generated data is kept (default ~/.cache/kolrules-bench)"
    )
    p.add_argument("--keep", action="store_true", help="keep the decisions files")
    p.add_argument(
        "--ruleset-rows",
        type=int,
        default=SMALL_ROWS,
        help="rows of the agreement check of every other bundled ruleset (default 10000; 0: none)",
    )
    # worker mode (internal)
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--output", help=argparse.SUPPRESS)
    p.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--sample-file", help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    p.add_argument("--ruleset", default="red-default", help=argparse.SUPPRESS)
    p.add_argument("--frame-output", help=argparse.SUPPRESS)
    p.add_argument("--csv-output", help=argparse.SUPPRESS)
    p.add_argument("--one-output", help=argparse.SUPPRESS)
    p.add_argument("--peer-reasons", choices=("text", "none"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        WORKERS[args.worker](args)
        return 0
    if args.startup:
        return startup_only(args)
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
    rulesets: list[RulesetResult] = []
    start = None
    full = None
    try:
        print("== start-up", flush=True)
        start = startup(work, args.startup_runs or (3 if args.small else 7))
        print(
            f"  kolrules --help {start['help_s']:.3f} s, first decision {start['first_s']:.3f} s",
            flush=True,
        )
        failures += [
            f"start-up: {key.removesuffix('_exit')} exited {code}"
            for key, code in start.items()
            if key.endswith("_exit") and code
        ]
        for i, rows in enumerate(sorted(sizes)):
            res = measure_size(rows, args, cache, work, latency=i == 0)
            results.append(res)
            failures += [
                f"red-default, {rows:,} rows: {c.engine} disagrees with kolrules"
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
                for path in work.glob(f"*-{rows}.*"):
                    path.unlink()
        if args.ruleset_rows > 0:
            rulesets = measure_rulesets(args, cache, work)
            for r in rulesets:
                if r.note and not r.note.startswith("skipped"):
                    failures.append(f"{r.name}: {r.note}")
                failures += [
                    f"{r.name}, {r.rows:,} rows: {c.engine} disagrees with kolrules' decision frame"
                    for c in r.comparisons
                    if not c.ok
                ]
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

    text = report(results, start, full, args, begun, rulesets)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"\nwrote {args.out}")
    else:
        print("\n" + text)
    summary(results, rulesets, full, failures)
    return 1 if failures else 0


def startup_only(args: argparse.Namespace) -> int:
    """``--startup``: the start-up timings alone, printed as the rows of ``RESULTS.md``
    they replace (the targets table's start-up rows, the start-up section)."""
    work = Path(tempfile.mkdtemp(prefix="kolrules-bench-"))
    try:
        start = startup(work, args.startup_runs or 15)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = " ".join(["python", "benchmarks/run.py", *args.argv])
    vers = versions()
    print(f"`{command}`: kolrules {vers['kolrules']}, commit {vers.get('commit', '?')}")
    print("\nTargets (issue 11), start-up rows:\n")
    print("\n".join(startup_targets(start)))
    print()
    print("\n".join(startup_section(start, command)))
    failed = [key for key, code in start.items() if key.endswith("_exit") and code]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def summary(
    sizes: Sequence[SizeResult],
    rulesets: Sequence[RulesetResult],
    full: dict[str, Any] | None,
    failures: Sequence[str],
) -> None:
    """What was compared with what, then one line per ruleset and engine (the last lines of
    the run's output)."""
    shown = [c.engine for s in sizes for c in s.comparisons]
    shown += [c.engine for r in rulesets for c in r.comparisons]
    print("\nColumns compared with kolrules' decision frame, per engine:")
    for name in dict.fromkeys(shown):
        spec = SPECS[name]
        compared = [*spec.exact, *(f"{c} (present or not)" for c, _ in spec.present)]
        compared += [f"{c} (relative {t:g})" for c, t in spec.tolerance]
        if spec.rules:
            compared.append("every rule:<id>")
        print(f"  {name}: {spec.what}")
        print(f"    compared: {', '.join(compared)}")
        if spec.not_compared:
            why = "; ".join(f"{k} ({v})" for k, v in spec.not_compared)
            print(f"    not compared: {why}")
    if failures:
        print("\nFAILED:", file=sys.stderr, flush=True)
        for f in failures:
            print("  " + f, file=sys.stderr, flush=True)
    total = sum(c.mismatches for s in sizes for c in s.comparisons)
    total += sum(c.mismatches for r in rulesets for c in r.comparisons)
    print(
        f"\nAgreement with kolrules ({total:,} mismatches; every line must say 0): ruleset, "
        "engine, rows compared (outer join on the row number), columns compared, mismatches"
    )
    for s in sizes:
        for c in s.comparisons:
            print("  " + c.line())
        for name, run in s.one.items():
            if not run.ok and run.note.startswith("skipped"):
                print(f"  {'red-default':16s} {name:20s} {run.note.splitlines()[0]}")
    if full and "comparison" in full:
        print("  " + full["comparison"].line() + " (status, verdict, tier)")
    for r in rulesets:
        for c in r.comparisons:
            print("  " + c.line())
        if not r.comparisons:
            print(f"  {r.name:16s} {'-':20s} {r.note}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
