"""Seeded generator of synthetic Xiaohongshu (RED) KOL profiles for the benchmarks.

    python benchmarks/generate.py --rows 1000000 --seed 42 red-1m.csv

Writes a CSV with the English header spellings the RED platform plugin knows, one chunk of
:data:`CHUNK_ROWS` rows at a time (10M rows never sit in memory). The same rows and seed
always give the same bytes: chunk ``i`` draws from ``numpy.random.default_rng([seed, i])``.

The mix, each drawn independently per row:

- followers log-normal between 1,000 and 20M (median 20k: most accounts micro, about a
  third mid, a few top and celebrity);
- about 15% fake accounts: total likes and collects below the follower count, few
  comments, low engagement;
- about 40% without views (an empty cell, sometimes ``-`` or ``暂无``), about 20% without a
  price, about 50% without Pugongying's median interactions, a few without origin or age;
- valid export spellings kolrules must read: ``1.2万``, ``12万+``, ``8,000``, ``¥8000``,
  origins in English or Chinese;
- about 1% dirty rows (:data:`DIRTY_KINDS`): negative, zero, missing or non-numeric
  followers, non-numeric or negative counts, an infinite number, an unknown origin, an
  empty or a duplicate id.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

#: Rows per generated chunk; part of the seed's meaning (changing it changes the data).
CHUNK_ROWS = 100_000
#: Bump when the generated data changes, so cached files are made again.
VERSION = 1
#: The columns, in file order (English spellings of the RED plugin's headers).
COLUMNS = (
    "id",
    "handle",
    "category",
    "origin",
    "followers",
    "posts",
    "total_likes",
    "avg_likes",
    "avg_collects",
    "avg_comments",
    "avg_views",
    "median_interactions",
    "price",
    "account_age_days",
)
FAKE_SHARE = 0.15
NO_VIEWS_SHARE = 0.40
NO_PRICE_SHARE = 0.20
NO_MEDIAN_SHARE = 0.50
DIRTY_SHARE = 0.01
#: Kinds of dirty row and their weights among the dirty rows.
DIRTY_KINDS: dict[str, float] = {
    "negative_followers": 0.14,  # row error
    "text_followers": 0.12,  # row error ("abc", "n.a.", "十万")
    "zero_followers": 0.12,  # evaluated: no tier
    "missing_followers": 0.06,  # evaluated: no tier
    "text_count": 0.16,  # data error in another count
    "negative_count": 0.14,  # data error
    "infinite_count": 0.04,  # data error ("1e400")
    "unknown_origin": 0.08,  # data error
    "empty_id": 0.07,  # row error
    "duplicate_id": 0.07,  # row error (the id of an earlier row)
}
CATEGORIES = ("美妆", "时尚", "美食", "旅行", "母婴", "家居", "健身", "数码", "宠物", "教育")
ORIGIN_SPELLINGS = (
    # (spelling, probability)
    ("homegrown", 0.45),
    ("本土", 0.18),
    ("organic", 0.05),
    ("cross_platform", 0.13),
    ("跨平台", 0.07),
    ("cross-platform", 0.02),
    ("celebrity", 0.02),
    ("明星", 0.01),
    (None, 0.07),
)
BAD_NUMBERS = ("abc", "n.a.", "十万", "1.2.3", "12 fans")
BAD_ORIGINS = ("martian", "外星", "unknown-origin")
COUNT_COLUMNS = ("posts", "total_likes", "avg_likes", "avg_comments", "avg_views", "price")


def _truncated_lognormal(
    rng: np.random.Generator, n: int, median: float, sigma: float, low: float, high: float
) -> np.ndarray:
    """Log-normal draws redrawn until all fall in [low, high]."""
    out = rng.lognormal(np.log(median), sigma, n)
    bad = (out < low) | (out > high)
    while bad.any():
        out[bad] = rng.lognormal(np.log(median), sigma, int(bad.sum()))
        bad = (out < low) | (out > high)
    return out


def _text(values: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    """Integer values as text; ``None`` (an empty cell) where ``present`` is False."""
    s = pl.Series(values.astype(np.int64)).cast(pl.String)
    if present is None:
        return s
    return pl.select(pl.when(pl.Series(present)).then(s)).to_series()


def _set(column: list[str | None] | pl.Series, at: np.ndarray, values: list[str | None]) -> None:
    for i, v in zip(at.tolist(), values, strict=True):
        column[i] = v


def generate_chunk(rows: int, seed: int, index: int, *, labels: bool = False) -> pl.DataFrame:
    """Chunk ``index`` (rows ``index * CHUNK_ROWS`` on) of the data for ``seed``.

    With ``labels``, two more columns say what each row was made as: ``_fake`` (bool) and
    ``_dirty`` (a kind from :data:`DIRTY_KINDS`, or null).
    """
    rng = np.random.default_rng([seed, index])
    n = rows
    start = index * CHUNK_ROWS
    number = np.arange(start, start + n)

    fake = rng.random(n) < FAKE_SHARE
    followers = np.rint(_truncated_lognormal(rng, n, 20_000, 1.8, 1_000, 20_000_000))
    posts = np.maximum(1, np.rint(rng.lognormal(np.log(45), 1.0, n)))
    # Real accounts: total likes and collects about 4.5x followers (some below 3x);
    # fake ones: below 1x.
    ratio = np.where(fake, rng.uniform(0.15, 0.98, n), rng.lognormal(np.log(4.5), 0.45, n))
    total_likes = np.rint(followers * ratio)
    like_rate = np.where(
        fake, rng.lognormal(np.log(0.004), 0.6, n), rng.lognormal(np.log(0.025), 0.7, n)
    )
    avg_likes = np.rint(followers * like_rate)
    avg_collects = np.rint(avg_likes * rng.uniform(0.2, 0.8, n))
    comment_rate = np.where(fake, rng.uniform(0.0, 0.01, n), rng.lognormal(np.log(0.06), 0.7, n))
    avg_comments = np.rint(avg_likes * comment_rate)
    likes_per_view = np.where(
        fake, rng.lognormal(np.log(0.005), 0.5, n), rng.lognormal(np.log(0.018), 0.45, n)
    )
    avg_views = np.rint(np.maximum(avg_likes, 1) / likes_per_view)
    median = np.rint((avg_likes + avg_collects + avg_comments) * rng.uniform(0.4, 1.0, n))
    price = np.maximum(100, np.rint(followers * rng.lognormal(np.log(0.15), 0.6, n) / 100) * 100)
    age = rng.integers(10, 3651, n)

    has_views = rng.random(n) >= NO_VIEWS_SHARE
    has_price = rng.random(n) >= NO_PRICE_SHARE
    has_median = rng.random(n) >= NO_MEDIAN_SHARE
    has_age = rng.random(n) >= 0.05
    spellings = [s for s, _ in ORIGIN_SPELLINGS]
    weights = np.array([p for _, p in ORIGIN_SPELLINGS])
    origin_pick = rng.choice(len(spellings), n, p=weights / weights.sum())

    ids = pl.Series(number).cast(pl.String).str.zfill(10)
    cols: dict[str, list[str | None]] = {
        "id": ("xhs" + ids).to_list(),
        "handle": ("博主_" + ids.str.slice(4)).to_list(),
        "category": [CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), n).tolist()],
        "origin": [spellings[i] for i in origin_pick.tolist()],
        "followers": _text(followers).to_list(),
        "posts": _text(posts).to_list(),
        "total_likes": _text(total_likes).to_list(),
        "avg_likes": _text(avg_likes).to_list(),
        "avg_collects": _text(avg_collects).to_list(),
        "avg_comments": _text(avg_comments).to_list(),
        "avg_views": _text(avg_views, has_views).to_list(),
        "median_interactions": _text(median, has_median).to_list(),
        "price": _text(price, has_price).to_list(),
        "account_age_days": _text(age, has_age).to_list(),
    }

    # Valid spellings of exports: 1.2万 and 12万+ followers, 8,000 and ¥8000 quotes,
    # "-" and 暂无 for a missing view count.
    big = np.flatnonzero((followers >= 10_000) & (rng.random(n) < 0.03))
    _set(cols["followers"], big, [f"{followers[i] / 10_000:.1f}万" for i in big])
    capped = np.flatnonzero((followers >= 100_000) & (rng.random(n) < 0.002))
    _set(cols["followers"], capped, [f"{int(followers[i] // 10_000)}万+" for i in capped])
    sep = np.flatnonzero(has_price & (price >= 1_000) & (rng.random(n) < 0.02))
    _set(cols["price"], sep, [f"{int(price[i]):,}" for i in sep])
    yen = np.flatnonzero(has_price & (rng.random(n) < 0.01))
    _set(cols["price"], yen, [f"¥{int(price[i])}" for i in yen])
    dash = np.flatnonzero(~has_views & (rng.random(n) < 0.1))
    _set(cols["avg_views"], dash, [("-", "暂无")[i % 2] for i in range(len(dash))])

    # Dirty rows, made last so nothing above overwrites them.
    kinds = list(DIRTY_KINDS)
    kind_weights = np.array(list(DIRTY_KINDS.values()))
    dirty_at = np.flatnonzero(rng.random(n) < DIRTY_SHARE)
    picks = rng.choice(len(kinds), len(dirty_at), p=kind_weights / kind_weights.sum())
    fields = rng.integers(0, len(COUNT_COLUMNS), len(dirty_at))
    bad = rng.integers(0, len(BAD_NUMBERS), len(dirty_at))
    dirty: list[str | None] = [None] * n
    for j, (i, k) in enumerate(zip(dirty_at.tolist(), picks.tolist(), strict=True)):
        kind = kinds[k]
        if kind == "duplicate_id" and i == 0:
            kind = "empty_id"  # nothing earlier to duplicate
        dirty[i] = kind
        if kind == "negative_followers":
            cols["followers"][i] = f"-{int(followers[i])}"
        elif kind == "text_followers":
            cols["followers"][i] = BAD_NUMBERS[bad[j] % 3]
        elif kind == "zero_followers":
            cols["followers"][i] = "0"
        elif kind == "missing_followers":
            cols["followers"][i] = ("", "暂无")[j % 2]
        elif kind == "text_count":
            cols[COUNT_COLUMNS[fields[j]]][i] = BAD_NUMBERS[bad[j]]
        elif kind == "negative_count":
            cols[COUNT_COLUMNS[fields[j]]][i] = f"-{1 + int(bad[j]) * 37}"
        elif kind == "infinite_count":
            cols[COUNT_COLUMNS[fields[j]]][i] = "1e400"
        elif kind == "unknown_origin":
            cols["origin"][i] = BAD_ORIGINS[bad[j] % len(BAD_ORIGINS)]
        elif kind == "empty_id":
            cols["id"][i] = ""
        else:  # duplicate_id: the id of an earlier row in this chunk
            cols["id"][i] = cols["id"][int(rng.integers(0, i))]

    frame = pl.DataFrame(cols, schema=dict.fromkeys(COLUMNS, pl.String))
    if labels:
        frame = frame.with_columns(
            pl.Series("_fake", fake), pl.Series("_dirty", dirty, dtype=pl.String)
        )
    return frame


def chunks(rows: int, seed: int, *, labels: bool = False) -> Iterator[pl.DataFrame]:
    """The data for ``rows`` and ``seed``, chunk by chunk."""
    for index, begin in enumerate(range(0, rows, CHUNK_ROWS)):
        yield generate_chunk(min(CHUNK_ROWS, rows - begin), seed, index, labels=labels)


def frame(rows: int, seed: int, *, labels: bool = False) -> pl.DataFrame:
    """All the data in memory (for tests and small files)."""
    return pl.concat(list(chunks(rows, seed, labels=labels)))


def write_csv(rows: int, seed: int, target: str | Path | BinaryIO) -> None:
    """Write ``rows`` profiles as CSV to ``target``, streaming chunk by chunk.

    A path is written through a temporary file and renamed at the end, so an interrupted
    run never leaves a short file behind.
    """
    if not isinstance(target, str | Path):
        for i, chunk in enumerate(chunks(rows, seed)):
            chunk.write_csv(target, include_header=i == 0)
        if rows == 0:
            pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(target)
        return
    path = Path(target)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        write_csv(rows, seed, fh)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of profiles (rows)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("output", type=Path, help="the CSV file to write")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be 0 or more")
    started = time.perf_counter()
    write_csv(args.rows, args.seed, args.output)
    took = time.perf_counter() - started
    size = args.output.stat().st_size / 2**20
    print(
        f"wrote {args.rows:,} rows ({size:,.1f} MiB) to {args.output} in {took:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
