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

``--platform`` makes the exports the other bundled rulesets read, for ``run.py``'s agreement
checks (:data:`FLAVOURS`): ``red-extra`` (the RED rows plus ``following``,
``active_fans_rate`` and ``video_price``, categories in English too: the client rulesets),
``weibo`` (转评赞, zombie fans, ``following``, 真粉率) and ``wechat`` (reads capped as
``10万+``, likes and Wows, bought reads, follower counts mostly not public), each from its
own random stream and with the same dirty rows. ``red``, the default, is unchanged by them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
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


def _make_dirty(
    rng: np.random.Generator,
    cols: dict[str, list[str | None]],
    followers: np.ndarray,
    count_columns: tuple[str, ...],
) -> list[str | None]:
    """Make about :data:`DIRTY_SHARE` of the rows dirty, in place; the kind of each row
    (or ``None``)."""
    n = len(followers)
    kinds = list(DIRTY_KINDS)
    kind_weights = np.array(list(DIRTY_KINDS.values()))
    dirty_at = np.flatnonzero(rng.random(n) < DIRTY_SHARE)
    picks = rng.choice(len(kinds), len(dirty_at), p=kind_weights / kind_weights.sum())
    fields = rng.integers(0, len(count_columns), len(dirty_at))
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
            cols[count_columns[fields[j]]][i] = BAD_NUMBERS[bad[j]]
        elif kind == "negative_count":
            cols[count_columns[fields[j]]][i] = f"-{1 + int(bad[j]) * 37}"
        elif kind == "infinite_count":
            cols[count_columns[fields[j]]][i] = "1e400"
        elif kind == "unknown_origin":
            cols["origin"][i] = BAD_ORIGINS[bad[j] % len(BAD_ORIGINS)]
        elif kind == "empty_id":
            cols["id"][i] = ""
        else:  # duplicate_id: the id of an earlier row in this chunk
            cols["id"][i] = cols["id"][int(rng.integers(0, i))]
    return dirty


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
    dirty = _make_dirty(rng, cols, followers, COUNT_COLUMNS)

    frame = pl.DataFrame(cols, schema=dict.fromkeys(COLUMNS, pl.String))
    if labels:
        frame = frame.with_columns(
            pl.Series("_fake", fake), pl.Series("_dirty", dirty, dtype=pl.String)
        )
    return frame


# -- the other platforms' exports, for the agreement checks of the other rulesets ---------

#: Extra columns of ``red-extra``: RED fields the client rulesets read ([pugongying]).
RED_EXTRA_COLUMNS = ("following", "active_fans_rate", "video_price")
#: Category spellings of ``red-extra``: luxury-brand's fit list has English and Chinese ones.
EXTRA_CATEGORIES = ("fashion", "luxury", "beauty", "food", "Fashion", "", "暂无")
WEIBO_COLUMNS = (
    "id",
    "handle",
    "category",
    "origin",
    "followers",
    "posts",
    "total_likes",
    "avg_likes",
    "avg_comments",
    "avg_shares",
    "avg_views",
    "median_interactions",
    "price",
    "account_age_days",
    "following",
    "repost_price",
    "real_fan_rate",
)
WEIBO_COUNT_COLUMNS = (
    "posts",
    "total_likes",
    "avg_likes",
    "avg_comments",
    "avg_shares",
    "avg_views",
    "price",
    "following",
)
WECHAT_COLUMNS = (
    "id",
    "handle",
    "category",
    "origin",
    "followers",
    "posts",
    "avg_views",
    "avg_likes",
    "avg_wows",
    "avg_comments",
    "avg_shares",
    "avg_headline_views",
    "price",
    "second_price",
    "real_read_rate",
    "account_age_days",
)
WECHAT_COUNT_COLUMNS = ("posts", "avg_views", "avg_likes", "avg_wows", "avg_comments", "price")


def _rate_text(rng: np.random.Generator, rate: np.ndarray, present: np.ndarray) -> list[str | None]:
    """Shares 0..1 as exports write them: ``85%`` (two thirds) or ``0.85``."""
    percent = rng.random(len(rate)) < 2 / 3
    return [
        None if not p else (f"{r * 100:.0f}%" if pc else f"{r:.2f}")
        for r, p, pc in zip(rate.tolist(), present.tolist(), percent.tolist(), strict=True)
    ]


def _origins(rng: np.random.Generator, n: int) -> list[str | None]:
    spellings = [s for s, _ in ORIGIN_SPELLINGS]
    weights = np.array([p for _, p in ORIGIN_SPELLINGS])
    return [spellings[i] for i in rng.choice(len(spellings), n, p=weights / weights.sum())]


def _ids(prefix: str, index: int, n: int) -> pl.Series:
    start = index * CHUNK_ROWS
    return prefix + pl.Series(np.arange(start, start + n)).cast(pl.String).str.zfill(10)


def _red_extra_chunk(rows: int, seed: int, index: int, *, labels: bool = False) -> pl.DataFrame:
    """The RED chunk, plus the fields the client rulesets read: ``following`` (some
    accounts follow far more than follow them), ``active_fans_rate`` (``35%`` or ``0.35``),
    ``video_price``; categories in English too, some missing."""
    base = generate_chunk(rows, seed, index, labels=labels)
    rng = np.random.default_rng([seed, index, 1])
    n = rows
    followers = base["followers"].cast(pl.Float64, strict=False).fill_null(1_000.0).to_numpy()
    following = np.rint(rng.lognormal(np.log(300), 1.1, n))
    mass = rng.random(n) < 0.04
    following = np.where(mass, np.rint(np.abs(followers) * rng.uniform(2.1, 8.0, n)), following)
    active = rng.beta(4, 3, n)
    video = np.rint(np.abs(followers) * rng.lognormal(np.log(0.25), 0.6, n) / 100) * 100
    category = base["category"].to_list()
    other = np.flatnonzero(rng.random(n) < 0.2)
    picks = rng.integers(0, len(EXTRA_CATEGORIES), len(other))
    _set(category, other, [EXTRA_CATEGORIES[k] for k in picks.tolist()])
    extra = {
        "following": _text(following, rng.random(n) >= 0.1).to_list(),
        "active_fans_rate": _rate_text(rng, active, rng.random(n) >= 0.4),
        "video_price": _text(video, rng.random(n) >= 0.5).to_list(),
    }
    bad = np.flatnonzero(rng.random(n) < 0.003)
    _set(extra["following"], bad, [BAD_NUMBERS[k % len(BAD_NUMBERS)] for k in range(len(bad))])
    return base.with_columns(
        pl.Series("category", category, dtype=pl.String),
        *(pl.Series(name, extra[name], dtype=pl.String) for name in RED_EXTRA_COLUMNS),
    ).select(*COLUMNS, *RED_EXTRA_COLUMNS, *(["_fake", "_dirty"] if labels else []))


def _weibo_chunk(rows: int, seed: int, index: int, *, labels: bool = False) -> pl.DataFrame:
    """Weibo profiles: 转评赞 (reposts, comments, likes) per post, about 12% zombie-fan
    accounts (almost no engagement for their followers), ``following`` (some spammers
    follow more than twice their followers), Weiboyi's 真粉率 as ``85%`` or ``0.85``,
    followers from 200 (below weibo-default's lowest tier) to 50M."""
    rng = np.random.default_rng([seed, index, 2])
    n = rows
    zombie = rng.random(n) < 0.12
    followers = np.rint(_truncated_lognormal(rng, n, 30_000, 2.0, 200, 50_000_000))
    posts = np.maximum(1, np.rint(rng.lognormal(np.log(800), 1.0, n)))
    rate = np.where(
        zombie, rng.lognormal(np.log(0.00004), 0.6, n), rng.lognormal(np.log(0.003), 1.0, n)
    )
    per_post = followers * rate
    likes = np.rint(per_post * rng.uniform(0.5, 0.8, n))
    comment_rate = np.where(zombie, rng.uniform(0.0, 0.01, n), rng.lognormal(np.log(0.08), 0.7, n))
    comments = np.rint(likes * comment_rate)
    shares = np.rint(likes * rng.uniform(0.05, 0.5, n))
    total_likes = np.rint(likes * posts * rng.uniform(0.5, 1.5, n))
    views = np.rint(np.maximum(likes, 1) / rng.lognormal(np.log(0.01), 0.6, n))
    median = np.rint((likes + comments + shares) * rng.uniform(0.4, 1.0, n))
    price = np.maximum(100, np.rint(followers * rng.lognormal(np.log(0.3), 0.7, n) / 100) * 100)
    repost_price = np.rint(price * rng.uniform(0.3, 0.7, n) / 100) * 100
    following = np.rint(rng.lognormal(np.log(400), 1.2, n))
    spam = rng.random(n) < 0.04
    following = np.where(spam, np.rint(followers * rng.uniform(2.2, 10.0, n) + 1_000), following)
    age = rng.integers(10, 5000, n)
    has_price = rng.random(n) >= NO_PRICE_SHARE
    ids = _ids("wb", index, n)
    cols: dict[str, list[str | None]] = {
        "id": ids.to_list(),
        "handle": ("微博_" + ids.str.slice(5)).to_list(),
        "category": [CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), n).tolist()],
        "origin": _origins(rng, n),
        "followers": _text(followers).to_list(),
        "posts": _text(posts).to_list(),
        "total_likes": _text(total_likes).to_list(),
        "avg_likes": _text(likes).to_list(),
        "avg_comments": _text(comments).to_list(),
        "avg_shares": _text(shares).to_list(),
        "avg_views": _text(views, rng.random(n) >= NO_VIEWS_SHARE).to_list(),
        "median_interactions": _text(median, rng.random(n) >= NO_MEDIAN_SHARE).to_list(),
        "price": _text(price, has_price).to_list(),
        "account_age_days": _text(age, rng.random(n) >= 0.05).to_list(),
        "following": _text(following, rng.random(n) >= 0.1).to_list(),
        "repost_price": _text(repost_price, rng.random(n) >= 0.5).to_list(),
        "real_fan_rate": _rate_text(rng, rng.beta(6, 2, n), rng.random(n) >= 0.5),
    }
    # Export spellings: 1.2万 and 1.2亿 followers, 1.5w, 8,000 and ¥8000 quotes.
    wan = np.flatnonzero((followers >= 10_000) & (rng.random(n) < 0.05))
    _set(cols["followers"], wan, [f"{followers[i] / 10_000:.1f}万" for i in wan])
    yi = np.flatnonzero((followers >= 100_000_000) & (rng.random(n) < 0.5))
    _set(cols["followers"], yi, [f"{followers[i] / 1e8:.2f}亿" for i in yi])
    w = np.flatnonzero(has_price & (price >= 10_000) & (rng.random(n) < 0.05))
    _set(cols["price"], w, [f"{price[i] / 10_000:g}w" for i in w])
    sep = np.flatnonzero(has_price & (price >= 1_000) & (rng.random(n) < 0.03))
    _set(cols["price"], sep, [f"{int(price[i]):,}" for i in sep])
    yen = np.flatnonzero(has_price & (rng.random(n) < 0.01))
    _set(cols["price"], yen, [f"¥{int(price[i])}" for i in yen])
    dirty = _make_dirty(rng, cols, followers, WEIBO_COUNT_COLUMNS)
    frame = pl.DataFrame(cols, schema=dict.fromkeys(WEIBO_COLUMNS, pl.String))
    if labels:
        frame = frame.with_columns(
            pl.Series("_fake", zombie), pl.Series("_dirty", dirty, dtype=pl.String)
        )
    return frame


def _wechat_chunk(rows: int, seed: int, index: int, *, labels: bool = False) -> pl.DataFrame:
    """WeChat official accounts: reads (阅读) per article shown capped as ``10万+`` from
    100,000, likes and Wows (在看), about 12% bought reads (almost no likes or Wows per
    read); follower counts known for only 30% (the others empty, ``未公开`` or ``-``)."""
    rng = np.random.default_rng([seed, index, 3])
    n = rows
    fake = rng.random(n) < 0.12
    followers = np.rint(_truncated_lognormal(rng, n, 60_000, 1.6, 500, 5_000_000))
    known = rng.random(n) < 0.3
    reads = np.rint(_truncated_lognormal(rng, n, 6_000, 1.5, 50, 2_000_000))
    per_read = np.where(
        fake, rng.lognormal(np.log(0.0005), 0.5, n), rng.lognormal(np.log(0.015), 0.6, n)
    )
    interactions = reads * per_read
    likes = np.rint(interactions * rng.uniform(0.5, 0.7, n))
    wows = np.rint(interactions) - likes
    wows = np.maximum(wows, 0)
    comments = np.rint(likes * rng.uniform(0.05, 0.3, n))
    shares = np.rint(reads * rng.uniform(0.005, 0.03, n))
    headline = np.rint(reads * rng.uniform(1.0, 1.3, n))
    price = np.maximum(500, np.rint(reads * rng.lognormal(np.log(1.2), 0.6, n) / 100) * 100)
    second = np.rint(price * rng.uniform(0.3, 0.6, n) / 100) * 100
    posts = np.maximum(1, np.rint(rng.lognormal(np.log(300), 1.0, n)))
    age = rng.integers(30, 4000, n)
    has_reads = rng.random(n) >= 0.05
    has_price = rng.random(n) >= 0.15
    ids = _ids("wx", index, n)
    cols: dict[str, list[str | None]] = {
        "id": ids.to_list(),
        "handle": ("公众号_" + ids.str.slice(5)).to_list(),
        "category": [CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), n).tolist()],
        "origin": _origins(rng, n),
        "followers": _text(followers).to_list(),
        "posts": _text(posts).to_list(),
        "avg_views": _text(reads, has_reads).to_list(),
        "avg_likes": _text(likes).to_list(),
        "avg_wows": _text(wows, rng.random(n) >= 0.1).to_list(),
        "avg_comments": _text(comments, rng.random(n) >= 0.5).to_list(),
        "avg_shares": _text(shares, rng.random(n) >= 0.6).to_list(),
        "avg_headline_views": _text(headline, rng.random(n) >= 0.6).to_list(),
        "price": _text(price, has_price).to_list(),
        "second_price": _text(second, rng.random(n) >= 0.6).to_list(),
        "real_read_rate": _rate_text(rng, rng.beta(5, 3, n), rng.random(n) >= 0.7),
        "account_age_days": _text(age, rng.random(n) >= 0.1).to_list(),
    }
    hidden = np.flatnonzero(~known)
    _set(cols["followers"], hidden, [("", "未公开", "-")[i % 3] for i in range(len(hidden))])
    # Reads as WeChat shows them: 10万+ from 100,000 (stored as 100001), 1.2万 below.
    capped = np.flatnonzero(has_reads & (reads >= 100_000))
    _set(cols["avg_views"], capped, ["10万+"] * len(capped))
    wan = np.flatnonzero(has_reads & (reads >= 10_000) & (reads < 100_000) & (rng.random(n) < 0.3))
    _set(cols["avg_views"], wan, [f"{reads[i] / 10_000:.1f}万" for i in wan])
    sep = np.flatnonzero(has_price & (price >= 1_000) & (rng.random(n) < 0.03))
    _set(cols["price"], sep, [f"{int(price[i]):,}" for i in sep])
    dirty = _make_dirty(rng, cols, followers, WECHAT_COUNT_COLUMNS)
    frame = pl.DataFrame(cols, schema=dict.fromkeys(WECHAT_COLUMNS, pl.String))
    if labels:
        frame = frame.with_columns(
            pl.Series("_fake", fake), pl.Series("_dirty", dirty, dtype=pl.String)
        )
    return frame


#: The kinds of data: name -> (columns, chunk function, version). ``red`` is the
#: benchmark's data; the others feed the agreement checks of the other rulesets.
FLAVOURS: dict[str, tuple[tuple[str, ...], Callable[..., pl.DataFrame], int]] = {
    "red": (COLUMNS, generate_chunk, VERSION),
    "red-extra": ((*COLUMNS, *RED_EXTRA_COLUMNS), _red_extra_chunk, 1),
    "weibo": (WEIBO_COLUMNS, _weibo_chunk, 1),
    "wechat": (WECHAT_COLUMNS, _wechat_chunk, 1),
}


def version(flavour: str = "red") -> int:
    """The version of ``flavour``'s data (part of a cached file's name)."""
    return FLAVOURS[flavour][2]


def chunks(
    rows: int, seed: int, *, labels: bool = False, flavour: str = "red"
) -> Iterator[pl.DataFrame]:
    """The data for ``rows`` and ``seed``, chunk by chunk."""
    make = FLAVOURS[flavour][1]
    for index, begin in enumerate(range(0, rows, CHUNK_ROWS)):
        yield make(min(CHUNK_ROWS, rows - begin), seed, index, labels=labels)


def frame(rows: int, seed: int, *, labels: bool = False, flavour: str = "red") -> pl.DataFrame:
    """All the data in memory (for tests and small files)."""
    return pl.concat(list(chunks(rows, seed, labels=labels, flavour=flavour)))


def write_csv(rows: int, seed: int, target: str | Path | BinaryIO, *, flavour: str = "red") -> None:
    """Write ``rows`` profiles as CSV to ``target``, streaming chunk by chunk.

    A path is written through a temporary file and renamed at the end, so an interrupted
    run never leaves a short file behind.
    """
    if not isinstance(target, str | Path):
        for i, chunk in enumerate(chunks(rows, seed, flavour=flavour)):
            chunk.write_csv(target, include_header=i == 0)
        if rows == 0:
            columns = FLAVOURS[flavour][0]
            pl.DataFrame(schema=dict.fromkeys(columns, pl.String)).write_csv(target)
        return
    path = Path(target)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        write_csv(rows, seed, fh, flavour=flavour)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of profiles (rows)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--platform",
        choices=sorted(FLAVOURS),
        default="red",
        help="which export: red (the benchmark's, default), red-extra (with the fields the "
        "client rulesets read), weibo or wechat",
    )
    parser.add_argument("output", type=Path, help="the CSV file to write")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be 0 or more")
    started = time.perf_counter()
    write_csv(args.rows, args.seed, args.output, flavour=args.platform)
    took = time.perf_counter() - started
    size = args.output.stat().st_size / 2**20
    print(
        f"wrote {args.rows:,} rows ({size:,.1f} MiB) to {args.output} in {took:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
