"""What phase hooks cost: the kolrules-douyin example plugin on the columnar path.

Evaluates a generated Douyin export (Chinese headers, 万 numbers, a follower history per
row) with ``douyin-default`` in batches, and reports the time spent inside the plugin's
batch hooks (``kolrules_profiles_validate`` and ``kolrules_profiles_derive``), how often
they were called (once per batch, plus once with an empty frame when compiling) and the
one-profile path with the row forms. Needs the example installed::

    pip install ./plugins/examples/kolrules-douyin
    python benchmarks/phases.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import functools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADERS = ["达人ID", "昵称", "粉丝数", "获赞", "作品数", "平均播放", "平均点赞", "平均评论",
           "平均分享", "21-60秒视频报价", "粉丝趋势"]  # fmt: skip


def _history(fans: int, rng: random.Random) -> str:
    points = [max(1, int(fans / (1 + rng.uniform(0.0, 0.2)) ** k)) for k in range(5, 0, -1)]
    if rng.random() < 0.05:  # a bought spike
        points[-2] = points[-2] // 4
    return ";".join(f"{p / 10_000:.2f}万" if p >= 10_000 else str(p) for p in points)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADERS)
        for i in range(rows):
            fans = int(10 ** rng.uniform(3.5, 7))
            plays = int(fans * rng.uniform(0.05, 1.0))
            likes = int(plays * rng.uniform(0.01, 0.06))
            out.writerow([f"dy{i}", f"kol{i}", fans, fans * rng.randint(2, 12),
                          rng.randint(5, 500), plays, likes, likes // rng.randint(10, 40),
                          likes // rng.randint(20, 80), int(fans * rng.uniform(0.01, 0.08)),
                          _history(fans, rng)])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--profiles", type=int, default=2_000, help="for the one-profile path")
    args = parser.parse_args(argv)
    try:
        import kolrules_douyin
    except ImportError:
        print("install the example first: pip install ./plugins/examples/kolrules-douyin")
        return 2
    from kolrules import Engine

    spent: dict[str, list[float]] = {}

    def timed(name: str) -> Any:
        real = getattr(kolrules_douyin, name)

        @functools.wraps(real)  # the same arguments, for pluggy
        def call(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                spent.setdefault(name, []).append(time.perf_counter() - start)

        return call

    class Timed:  # the plugin's hooks, timed; registered instead of the module
        pass

    for name in kolrules_douyin.__all__:
        if name.startswith("kolrules_"):
            setattr(Timed, name, staticmethod(timed(name)))
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "douyin.csv", Path(tmp) / "out.csv"
        generate(source, args.rows)
        engine = Engine("douyin-default", plugins=["no:douyin", Timed()], load_entrypoints=True)
        start = time.perf_counter()
        summary = engine.evaluate_to_file(
            source, target, batch_rows=args.batch_rows, reasons="rules"
        )
        total = time.perf_counter() - start
        profiles = [dict(zip(HEADERS, r, strict=True)) for r in csv.reader(source.open())][
            1 : 1 + args.profiles
        ]
    batch = {k: v for k, v in spent.items() if k.startswith("kolrules_profiles_")}
    inside = sum(sum(v) for v in batch.values())
    print(f"rows {summary.rows_read:,} in batches of {args.batch_rows:,}: {total:.2f} s, "
          f"{summary.rows_read / total:,.0f} profiles/s; verdicts {summary.counts}")  # fmt: skip
    for name, times in sorted(batch.items()):
        print(f"  {name}: {len(times)} calls, {sum(times):.3f} s")
    print(f"  inside the plugin's batch hooks: {inside:.3f} s ({inside / total:.1%} of the run)")
    spent.clear()
    singles = []
    for p in profiles:
        start = time.perf_counter()
        engine.evaluate_one(p)
        singles.append(time.perf_counter() - start)
    print(f"one profile ({len(singles)}): median {statistics.median(singles) * 1e6:.1f} µs")
    for name, times in sorted(spent.items()):
        print(f"  {name}: {len(times)} calls, median {statistics.median(times) * 1e6:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
