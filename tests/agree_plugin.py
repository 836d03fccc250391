"""A small plugin for the agreement tests (tests/test_paths_agree.py): a platform of its
own, a rule kind, and phase hooks (validate and derive) in their batch and row forms.

- The module itself registers the platform ``agreetest`` (its own headers, Chinese and
  English, its own number units, missing markers, origins and default tiers: one with no
  price band, one with only a floor price, one with no upper bound and only a ceiling
  price, and a gap between two tiers) and the rule kind ``agree_between``.
- :class:`RowAndBatch` validates and derives with both forms: the columnar path calls the
  batch form, the one-profile path the row form, which must agree with it.
- :class:`BatchOnly` validates and derives with the batch form only: the one-profile path
  calls it with a one-row frame.

The engine is given the module and one instance of each class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from kolrules import Platform, RuleKind, RuleParts, hookimpl
from kolrules.errors import RuleParamError

PLATFORM_DATA: Mapping[str, Any] = {
    "platform": {
        "name": "agreetest",
        "label": "Agreement test platform",
        "aliases": ["agree-test", "测试平台"],
        "required": ["id", "followers"],
    },
    "columns": {
        "id": ["id", "account", "账号", "达人ID"],
        "handle": ["handle", "nickname", "昵称"],
        "followers": ["followers", "fans", "粉丝数", "粉丝"],
        "posts": ["posts", "works", "作品数"],
        "total_likes": ["total_likes", "likes_total", "获赞总数"],
        "avg_likes": ["avg_likes", "平均点赞"],
        "avg_comments": ["avg_comments", "平均评论"],
        "avg_collects": ["avg_collects", "平均收藏"],
        "avg_shares": ["avg_shares", "平均分享", "平均转发"],
        "avg_views": ["avg_views", "plays", "平均播放", "播放中位数"],
        "price": ["price", "quote", "报价", "视频报价"],
        "account_age_days": ["account_age_days", "账号天数"],
        "origin": ["origin", "来源"],
        "category": ["category", "类目"],
        "platform": ["platform", "平台"],
        "completion_rate": ["completion_rate", "完播率"],
        "live_price": ["live_price", "直播报价"],
        "region": ["region", "地区"],
    },
    # completion_rate may be negative (a field that is not a count); live_price may not.
    "fields": {"completion_rate": "number", "live_price": "number", "region": "text"},
    "metrics": {
        "likes_per_view": "avg_likes / avg_views",
        "engagement_per_post": "avg_likes + avg_comments + avg_shares",
    },
    "numbers": {
        "plus_adds": 1,
        "non_negative": ["live_price"],
        "missing": ["暂无", "未知", "NaN", "-"],
        "units": {
            "亿": 100_000_000,
            "万": 10_000,
            "千": 1_000,
            "w": 10_000,
            "k": 1_000,
            "%": 0.01,
        },
    },
    "origins": {"本土": "homegrown", "跨平台": "cross_platform", "明星": "celebrity"},
    "tiers": [
        {"name": "nano", "min_followers": 0, "max_followers": 1_000},
        {
            "name": "micro",
            "min_followers": 1_000,
            "max_followers": 20_000,
            "price_min": 100,
            "price_max": 5_000,
        },
        {"name": "mid", "min_followers": 20_000, "max_followers": 400_000, "price_min": 5_000},
        # 400,000 to 500,000: no tier (a gap). No upper bound: not written as
        # math.inf, which the one-profile path cannot compile (see
        # test_a_platform_tier_bounded_by_infinity in test_paths_agree.py).
        {"name": "top", "min_followers": 500_000, "price_max": 200_000},
    ],
}

PLATFORM = Platform.from_mapping(PLATFORM_DATA)


def _between(params: Mapping[str, Any]) -> RuleParts:
    """``agree_between``: ``low <= value <= high`` for a named field or metric; with
    ``only_present`` the rule applies only where the value is present; ``message`` true
    gives the kind's own message, else the ruleset's default one."""
    value = params.get("value")
    if not isinstance(value, str) or not value.isidentifier():
        raise RuleParamError("value", f"must name a field or metric, got {value!r}")
    low, high = params.get("low"), params.get("high")
    for key, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise RuleParamError(key, f"must be a number, got {bound!r}")
    when = f"present({value})" if params.get("only_present", False) else None
    message = (
        f"{value} {{{value}}} outside {low!r}-{high!r} ({{tier}})"
        if params.get("message", False)
        else None
    )
    return RuleParts(require=f"{low!r} <= {value} <= {high!r}", when=when, message=message)


@hookimpl
def kolrules_platforms_register() -> Iterable[Platform]:
    return [PLATFORM]


@hookimpl
def kolrules_rule_kinds_register() -> Iterable[RuleKind]:
    return [RuleKind("agree_between", _between, "low <= value <= high")]


#: The metrics the phase hooks derive, with their types.
DERIVED = {
    "agree_reach": "number",
    "agree_band": "text",
    "agree_flag": "bool",
    "agree_handle_len": "number",
}


def _rate_field(fields: Iterable[str]) -> str:
    return "completion_rate" if "completion_rate" in fields else "avg_likes"


class RowAndBatch:
    """Validates and derives with both forms.

    - problem: a quote above 1,000,000 with fewer than 100 posts (or none);
    - ``agree_reach`` (number): followers times the completion rate (on platforms without
      one, times the average likes), missing where that overflows to infinity (the
      paths disagree on ``log`` of infinity: see test_log_of_an_infinite_metric in
      test_paths_agree.py);
    - ``agree_band`` (text): ``big`` from 1,000,000 followers, else ``small``;
    - ``agree_flag`` (bool): whether the category is 美妆 (missing without one).
    """

    @hookimpl
    def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series:
        posts = pl.col("posts")
        odd = (pl.col("price") > 1_000_000) & (posts.is_null() | (posts < 100))
        return frame.select(
            pl.when(odd).then(pl.lit("a quote above 1,000,000 with few posts")).alias("p")
        ).to_series()

    @hookimpl
    def kolrules_profile_validate(self, profile: Mapping[str, Any]) -> list[str]:
        price, posts = profile["price"], profile["posts"]
        if price is not None and price > 1_000_000 and (posts is None or posts < 100):
            return ["a quote above 1,000,000 with few posts"]
        return []

    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame) -> pl.DataFrame:
        followers = pl.col("followers")
        reach = followers * pl.col(_rate_field(frame.columns))
        return frame.select(
            pl.when(reach.is_finite()).then(reach).alias("agree_reach"),
            pl.when(followers >= 1_000_000)
            .then(pl.lit("big"))
            .when(followers.is_not_null())
            .then(pl.lit("small"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("agree_band"),
            (pl.col("category") == "美妆").alias("agree_flag"),
        )

    @hookimpl
    def kolrules_profile_derive(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        followers, rate = profile["followers"], profile[_rate_field(profile)]
        category = profile["category"]
        reach = None if followers is None or rate is None else followers * rate
        return {
            "agree_reach": reach if reach is not None and math.isfinite(reach) else None,
            "agree_band": None
            if followers is None
            else ("big" if followers >= 1_000_000 else "small"),
            "agree_flag": None if category is None else category == "美妆",
        }


class BatchOnly:
    """Validates and derives with the batch form only.

    - problem: a handle longer than 12 characters;
    - ``agree_handle_len`` (number): the handle's length in characters.
    """

    @hookimpl
    def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series:
        long = pl.col("handle").str.len_chars() > 12
        return frame.select(pl.when(long).then(pl.lit("handle too long")).alias("p")).to_series()

    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame) -> pl.DataFrame:
        length = pl.col("handle").str.len_chars().cast(pl.Float64)
        return frame.select(length.alias("agree_handle_len"))


def plugins() -> list[object]:
    """What an engine of the agreement tests is given: this module and the two hook
    classes."""
    import agree_plugin

    return [agree_plugin, RowAndBatch(), BatchOnly()]
