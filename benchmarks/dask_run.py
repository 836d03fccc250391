"""kolrules on a Dask cluster against the local streamed path, on generated RED profiles.

    python benchmarks/dask_run.py                      # 1M rows, 2 worker processes
    python benchmarks/dask_run.py --rows 10000000      # 10M rows (several minutes per path)
    tox -e bench-dask -- --rows 10000000

Both paths write the csv format with reason texts (what ``kolrules evaluate FILE -o
out.csv`` writes), from the same generated file (``generate.py``, cached in
``--cache-dir``, default ``$KOLRULES_BENCH_CACHE`` or ``/tmp/kolrules-bench``):

- local: :meth:`kolrules.Engine.evaluate_to_file` in a subprocess of its own (its peak RSS
  is its own ``VmHWM``), polars with every core;
- dask: :func:`kolrules.dask.evaluate_to_dataset` on a ``distributed.LocalCluster`` of
  ``--workers`` processes of one thread (each with ``--polars-threads`` polars threads),
  started before the clock starts; the peak RSS of each worker process is sampled every
  0.1 s from outside it (psutil), and so is the load average.

The run checks that the two outputs agree byte for byte (the Dask parts joined, each
part's header but the first left out) and exits 1 if they do not. It prints a table of
rows/s, their ratio, peak memory and the load average; ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULT = "RESULT "


def _vm_hwm() -> int:
    """This process's peak RSS in bytes (``VmHWM``; see run.py's ``_peak_rss``)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def local_worker(source: str, target: str) -> None:
    """The local streamed path, in this (child) process; prints one RESULT line."""
    import kolrules

    engine = kolrules.Engine("red-default")
    started = time.perf_counter()
    summary = engine.evaluate_to_file(source, target)
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "rows": summary.rows_read, "peak_rss": _vm_hwm()}
    print(RESULT + json.dumps(out), flush=True)


def data_file(rows: int, seed: int, cache: Path) -> Path:
    sys.path.insert(0, str(HERE))
    import generate

    path = cache / f"red-{rows}-seed{seed}-v{generate.VERSION}.csv"
    if not path.exists():
        print(f"generating {rows:,} rows -> {path}", flush=True)
        partial = path.with_name(path.name + ".partial")
        options = ["--rows", str(rows), "--seed", str(seed)]
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), *options, str(partial)], check=True
        )
        partial.replace(path)
    return path


class Sampler:
    """Peak RSS of some processes and the highest 1-minute load average, every 0.1 s."""

    def __init__(self, pids: list[int]) -> None:
        import psutil

        self._procs = [psutil.Process(pid) for pid in pids]
        self.peaks = [0] * len(pids)
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, proc in enumerate(self._procs):
                # a worker restarted or gone: its peak so far stays
                with contextlib.suppress(Exception):
                    self.peaks[i] = max(self.peaks[i], proc.memory_info().rss)
            self.loads.append(os.getloadavg()[0])
            self._stop.wait(0.1)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_local(source: Path, work: Path) -> dict[str, Any]:
    target = work / "local.csv"
    loads = [os.getloadavg()[0]]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--local-worker", str(source)]
    proc = subprocess.Popen([*cmd, str(target)], stdout=subprocess.PIPE, text=True)
    while proc.poll() is None:
        loads.append(os.getloadavg()[0])
        time.sleep(0.5)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"the local run failed (exit {proc.returncode})")
    result = json.loads(next(x for x in out.splitlines() if x.startswith(RESULT))[len(RESULT) :])
    return {**result, "target": str(target), "load_max": max(loads)}


def run_dask(source: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    os.environ["POLARS_MAX_THREADS"] = str(args.polars_threads)  # the workers inherit it
    from distributed import Client, LocalCluster

    from kolrules.dask import evaluate_to_dataset, read_profiles

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.memory_limit,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        startup = time.perf_counter() - started
        pids = list(client.run(os.getpid).values())
        target = work / "dask"
        with Sampler(pids) as sampler:
            began = time.perf_counter()
            frame = read_profiles(source, blocksize=args.blocksize)
            run = evaluate_to_dataset(frame, target, output_format="csv")
            seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "rows": run.summary.rows_read,
        "cluster_start_s": startup,
        "partitions": len(run.parts),
        "shared_ids": run.shared_ids,
        "first_pass_s": run.first_pass_s,
        "second_pass_s": run.second_pass_s,
        "worker_peak_rss": sampler.peaks,
        "load_max": max(sampler.loads, default=0.0),
        "parts": list(run.parts),
        "counts": dict(run.summary.counts),
    }


def _digest_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _digest_parts(parts: list[str]) -> str:
    """The digest of the parts joined as one csv file (the first part's header only)."""
    h = hashlib.sha256()
    for i, part in enumerate(parts):
        with open(part, "rb") as fh:
            if i:
                fh.readline()
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--polars-threads", type=int, default=1)
    parser.add_argument("--memory-limit", default="4GiB", help="per worker")
    parser.add_argument("--blocksize", type=int, default=8_000_000, help="CSV bytes a partition")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument(
        "--work-dir", default=None, help="where the outputs go (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the outputs")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument(
        "--local-worker", nargs=2, metavar=("SOURCE", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.local_worker:
        local_worker(*args.local_worker)
        return 0

    cache = Path(args.cache_dir or os.environ.get("KOLRULES_BENCH_CACHE") or "/tmp/kolrules-bench")
    cache.mkdir(parents=True, exist_ok=True)
    source = data_file(args.rows, args.seed, cache)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="kolrules-dask-run-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"local streamed path on {args.rows:,} rows ...", flush=True)
        local = run_local(source, work)
        print(f"dask on {args.workers} workers ...", flush=True)
        dask = run_dask(source, work, args)
        same = _digest_file(local["target"]) == _digest_parts(dask["parts"])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    local_rate = local["rows"] / local["seconds"]
    dask_rate = dask["rows"] / dask["seconds"]
    figures = {
        "rows": args.rows,
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "polars_threads_per_worker": args.polars_threads,
        "local": {k: v for k, v in local.items() if k != "target"},
        "dask": {k: v for k, v in dask.items() if k != "parts"},
        "ratio_dask_to_local": dask_rate / local_rate,
        "agree": same,
    }
    print()
    print("| path | rows | seconds | rows/s | peak RSS | max load (1 min) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| local streamed (`evaluate_to_file`) | {local['rows']:,} | {local['seconds']:.1f} "
        f"| {local_rate:,.0f} | {_mib(local['peak_rss'])} | {local['load_max']:.1f} |"
    )
    peaks = ", ".join(_mib(p) for p in dask["worker_peak_rss"])
    print(
        f"| dask, {args.workers} workers x 1 thread ({dask['partitions']} partitions) "
        f"| {dask['rows']:,} | {dask['seconds']:.1f} | {dask_rate:,.0f} | {peaks} per worker "
        f"| {dask['load_max']:.1f} |"
    )
    print()
    print(
        f"dask / local: {figures['ratio_dask_to_local']:.2f}x; cluster start-up "
        f"{dask['cluster_start_s']:.1f} s (not timed); ids shared across partitions: "
        f"{dask['shared_ids']}; passes {dask['first_pass_s']:.1f} s (ids) + "
        f"{dask['second_pass_s']:.1f} s (decisions); outputs agree byte for byte: {same}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
