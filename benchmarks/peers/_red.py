"""red-default and the RED platform, written out by hand for the peers.

Everything a peer needs to reproduce kolrules' decisions on the benchmark data: the params,
tiers and rules of ``rulesets/red-default.toml``, and the number-reading rules of the RED
platform (``plugins/kolrules_red/platform.toml`` plus the core's: missing-value words, units,
what a thousands separator or a currency sign looks like). :func:`differences` compares
them with the plan kolrules compiles, so a change to the ruleset cannot silently make the
peers measure something else.
"""

from __future__ import annotations

from typing import Any, NamedTuple

#: The numeric input columns of the benchmark data, as the generator writes them.
NUMBER_FIELDS = (
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
#: Numeric fields that may not be negative: kolrules' canonical counts, and the RED-only
#: ``median_interactions`` (in RED's ``[numbers] non_negative``).
COUNT_FIELDS = frozenset(NUMBER_FIELDS)
#: Text columns the rules read (``handle`` and ``category`` are carried, never judged).
TEXT_FIELDS = ("id", "handle", "category", "origin")
#: Fields whose bad cell stops the row (a row error) rather than making it a data error.
REQUIRED = ("id", "followers")
#: The order in which kolrules lists a row's problems: the platform's field order.
CELL_ORDER = (
    "id",
    "followers",
    "posts",
    "total_likes",
    "avg_likes",
    "avg_comments",
    "avg_collects",
    "avg_views",
    "price",
    "account_age_days",
    "origin",
    "median_interactions",
)
#: kolrules' words for a cell's problem (``column 'price' 'abc': not a number``).
EMPTY_ID = "empty id"
NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
NEGATIVE = "negative, must be 0 or more"
UNKNOWN_ORIGIN = "unknown origin; expected one of homegrown, cross_platform, celebrity"

# -- params (red-default [params]) ------------------------------------------------------
MIN_LIKES_PER_FOLLOWER = 3.0
FAKE_LIKES_PER_FOLLOWER = 1.0
MIN_LIKES_PER_VIEW = 0.01
MAX_LIKES_PER_VIEW = 0.03
MIN_COMMENTS_PER_LIKE = 0.02
COMMENT_CHECK_MIN_LIKES = 100.0
MIN_ENGAGEMENT_RATE = 0.03
MIN_POSTS = 10.0
MIN_CROSS_PLATFORM_AGE_DAYS = 365.0
PAID_PRICE_MIN = 500.0
PAID_PRICE_MAX = 8_000.0
ROI_PRICE_LIMIT = 10_000.0

PARAMS: dict[str, float] = {
    "min_likes_per_follower": MIN_LIKES_PER_FOLLOWER,
    "fake_likes_per_follower": FAKE_LIKES_PER_FOLLOWER,
    "min_likes_per_view": MIN_LIKES_PER_VIEW,
    "max_likes_per_view": MAX_LIKES_PER_VIEW,
    "min_comments_per_like": MIN_COMMENTS_PER_LIKE,
    "comment_check_min_likes": COMMENT_CHECK_MIN_LIKES,
    "min_engagement_rate": MIN_ENGAGEMENT_RATE,
    "min_posts": MIN_POSTS,
    "min_cross_platform_age_days": MIN_CROSS_PLATFORM_AGE_DAYS,
    "paid_price_min": PAID_PRICE_MIN,
    "paid_price_max": PAID_PRICE_MAX,
    "roi_price_limit": ROI_PRICE_LIMIT,
}

#: (name, min followers inclusive, max followers exclusive, price band min, max)
TIERS: tuple[tuple[str, float, float | None, float | None, float | None], ...] = (
    ("micro", 1_000.0, 50_000.0, 500.0, 8_000.0),
    ("mid", 50_000.0, 1_000_000.0, 8_000.0, 30_000.0),
    ("top", 1_000_000.0, 10_000_000.0, 30_000.0, 300_000.0),
    ("celebrity", 10_000_000.0, None, None, None),
)

#: The rules in ruleset order, with their severity.
RULES: tuple[tuple[str, str], ...] = (
    ("tier-known", "review"),
    ("likes-below-followers", "reject"),
    ("likes-per-follower-low", "warn"),
    ("likes-per-view-band", "warn"),
    ("few-comments", "warn"),
    ("engagement-rate-low", "warn"),
    ("few-posts", "warn"),
    ("cross-platform-young", "review"),
    ("celebrity-endorsement", "review"),
    ("gifting-candidate", "info"),
    ("price-outside-usual-range", "warn"),
    ("price-above-roi-limit", "warn"),
    ("price-above-tier-band", "warn"),
    ("price-below-tier-band", "info"),
)
RULE_IDS = tuple(rule_id for rule_id, _ in RULES)
#: Each rule's message template (``message = ...``): ``{name}`` or ``{name:spec}`` with a
#: Python format spec; a name is a param, a field, a metric, ``tier``, ``band_min`` or
#: ``band_max``.
MESSAGES: dict[str, str] = {
    "tier-known": "no tier for {followers:,.0f} followers (missing, or below the lowest tier): "
    "check the follower count",
    "likes-below-followers": "total likes and collects are {likes_per_follower:.2f}x followers, "
    "below {fake_likes_per_follower:g}x: likely fake followers",
    "likes-per-follower-low": "total likes and collects are {likes_per_follower:.2f}x followers, "
    "below the usual {min_likes_per_follower:g}x",
    "likes-per-view-band": "likes are {likes_per_view:.2%} of views, outside "
    "{min_likes_per_view:.0%}-{max_likes_per_view:.0%}",
    "few-comments": "{avg_comments:.0f} comments per {avg_likes:.0f} likes "
    "({comments_per_like:.1%}), below {min_comments_per_like:.0%}",
    "engagement-rate-low": "engagement per post is {engagement_rate:.2%} of followers, "
    "below {min_engagement_rate:.0%}",
    "few-posts": "only {posts:.0f} notes (fewer than {min_posts:.0f})",
    "cross-platform-young": "cross-platform account only {account_age_days:.0f} days on RED "
    "(less than {min_cross_platform_age_days:.0f})",
    "celebrity-endorsement": "celebrity (origin {origin}, tier {tier}): endorsement pricing, "
    "negotiate separately",
    "gifting-candidate": "no quote: gifting (product seeding) candidate",
    "price-outside-usual-range": "quote {price:,.0f} RMB is outside the usual "
    "{paid_price_min:,.0f}-{paid_price_max:,.0f} RMB per post",
    "price-above-roi-limit": "quote {price:,.0f} RMB is above {roi_price_limit:,.0f} RMB: "
    "check the ROI and the other value it brings",
    "price-above-tier-band": "quote {price:,.0f} RMB is above the {tier} band "
    "({band_min:,.0f}-{band_max:,.0f} RMB)",
    "price-below-tier-band": "quote {price:,.0f} RMB is below the {tier} band "
    "({band_min:,.0f}-{band_max:,.0f} RMB)",
}
#: ``supersedes``: when a rule and one it supersedes both fail, only the first one's
#: message is among the reasons (the outcomes and the verdict are not changed).
SUPERSEDES: dict[str, tuple[str, ...]] = {"likes-below-followers": ("likes-per-follower-low",)}
#: The order of the messages in ``reasons``: most severe first, ties in rule order.
SEVERITY_ORDER = ("reject", "review", "warn", "info")
#: How a row's unreadable cells open its reasons (``data error: column 'price' 'abc': not
#: a number``), and what joins the reasons in one cell.
DATA_ERROR = "data error: "
JOIN = " | "
#: What each rule says (``when``, ``require``), as the peers implement it.
RULE_SOURCES: dict[str, tuple[str | None, str]] = {
    "tier-known": (None, "present(tier)"),
    "likes-below-followers": (None, "likes_per_follower >= fake_likes_per_follower"),
    "likes-per-follower-low": (None, "likes_per_follower >= min_likes_per_follower"),
    "likes-per-view-band": (
        "present(avg_views)",
        "min_likes_per_view <= likes_per_view <= max_likes_per_view",
    ),
    "few-comments": (
        "avg_likes >= comment_check_min_likes",
        "comments_per_like >= min_comments_per_like",
    ),
    "engagement-rate-low": ("tier == 'micro'", "engagement_rate >= min_engagement_rate"),
    "few-posts": (None, "posts >= min_posts"),
    "cross-platform-young": (
        "origin == 'cross_platform'",
        "account_age_days >= min_cross_platform_age_days",
    ),
    "celebrity-endorsement": (None, "origin != 'celebrity' and tier != 'celebrity'"),
    "gifting-candidate": (None, "present(price)"),
    "price-outside-usual-range": (
        "price <= roi_price_limit",
        "paid_price_min <= price <= paid_price_max",
    ),
    "price-above-roi-limit": (None, "price <= roi_price_limit"),
    "price-above-tier-band": (None, "price <= band_max"),
    "price-below-tier-band": (None, "price >= band_min"),
}
#: The metrics the rules and the score read, as the peers implement them.
METRIC_SOURCES: dict[str, str] = {
    "likes_per_follower": "total_likes / followers",
    "engagement_per_post": "avg_likes + avg_collects + avg_comments",
    "engagement_rate": "engagement_per_post / followers",
    "likes_per_view": "avg_likes / avg_views",
    "comments_per_like": "avg_comments / avg_likes",
    "expected_engagement": "coalesce(median_interactions, engagement_per_post)",
    "engagement": "expected_engagement",
    "cpe": "price / engagement",
}
#: [[verdict.escalate]]: this many failed rules of this severity make this verdict.
ESCALATE = (("warn", 2, "review"),)
#: [verdict] data_errors: the least verdict of a row with an unreadable cell.
DATA_ERRORS_VERDICT = "review"

#: Rule outcome codes and their labels in a decisions file. kolrules writes an unknown
#: outcome (an input was missing) as ``unknown`` or folds it into ``not_applicable``;
#: comparisons treat the two alike.
PASS, FAIL, NOT_APPLICABLE, UNKNOWN = 0, 1, 2, 3
OUTCOME_LABELS = ("pass", "fail", "not_applicable", "unknown")


class PeerResult(NamedTuple):
    """What the rules engines (zen-engine, rule-engine) compute for one profile."""

    verdict: str
    tier: str | None
    codes: tuple[int, ...]  # one outcome code per rule, in ruleset order
    band_min: float | None
    band_max: float | None
    cpe: float | None


#: [scoring] strategy "weighted": (metric, weight, low, high, scale)
SCORING = (
    ("engagement_rate", 3.0, 0.01, 0.05, "linear"),
    ("comments_per_like", 1.0, 0.005, 0.1, "log"),
    ("cpe", 2.0, 30.0, 3.0, "log"),
)

# -- reading cells ------------------------------------------------------------------------
#: Cell texts meaning "no value" (kolrules' own and RED's), compared after trimming.
MISSING = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "——",
        "/",
        "N/A",
        "n/a",
        "NA",
        "null",
        "NULL",
        "None",
        "none",
        "NaN",
        "暂无",
        "暂无数据",
        "无",
        "未知",
        "未公开",
    }
)
#: Removed before a number is read: thousands separators, currency signs, whitespace.
CLEAN_RE = r"[,，¥￥\s]|(?i:rmb)|元"
#: A plain decimal number (ASCII digits only).
PLAIN_RE = r"^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"
#: Number suffixes of RED exports and what they multiply by.
UNITS: dict[str, float] = {
    "亿": 100_000_000.0,
    "万": 10_000.0,
    "w": 10_000.0,
    "W": 10_000.0,
    "k": 1_000.0,
    "K": 1_000.0,
    "M": 1_000_000.0,
    "%": 0.01,
    "％": 0.01,
}
#: What a trailing ``+`` adds (``10万+`` is 100001).
PLUS_ADDS = 1.0
#: sign, integer digits, fraction digits, unit, plus
UNITS_RE = (
    r"^([+-]?)([0-9]+)(?:\.([0-9]+))?("
    + "|".join(sorted(UNITS, key=len, reverse=True))
    + r")?(\+)?$"
)
#: Export wording for the account's origin (matched case-insensitively).
ORIGINS: dict[str, str] = {
    "homegrown": "homegrown",
    "home-grown": "homegrown",
    "organic": "homegrown",
    "native": "homegrown",
    "本土": "homegrown",
    "原生": "homegrown",
    "站内": "homegrown",
    "平台原生": "homegrown",
    "cross_platform": "cross_platform",
    "cross-platform": "cross_platform",
    "cross platform": "cross_platform",
    "跨平台": "cross_platform",
    "外站": "cross_platform",
    "站外": "cross_platform",
    "celebrity": "celebrity",
    "celeb": "celebrity",
    "明星": "celebrity",
    "艺人": "celebrity",
    "名人": "celebrity",
}


def differences(engine: Any) -> list[str]:
    """What this module says that the engine's compiled plan does not (empty: none)."""
    plan = engine.plan
    ruleset = engine.ruleset
    schema = plan.schema
    found: list[str] = []

    def differ(what: str, ours: object, theirs: object) -> None:
        if ours != theirs:
            found.append(f"{what}: peers use {ours!r}, kolrules {theirs!r}")

    differ("ruleset", "red-default", ruleset.name)
    differ("params", PARAMS, {k: float(v) for k, v in plan.params.items()})
    differ(
        "tiers",
        TIERS,
        tuple(
            (t.name, float(t.min_followers), *(None if v is None else float(v) for v in vals))
            for t in plan.tiers
            for vals in [(t.max_followers, t.price_min, t.price_max)]
        ),
    )
    differ("rules", RULES, tuple((r.rule.id, r.rule.severity) for r in plan.rules))
    differ(
        "rule expressions",
        RULE_SOURCES,
        {r.rule.id: (r.when.source if r.when else None, r.require.source) for r in plan.rules},
    )
    differ("messages", MESSAGES, {r.rule.id: r.rule.message for r in plan.rules})
    differ(
        "supersedes",
        SUPERSEDES,
        {r.rule.id: tuple(s) for r in plan.rules if (s := getattr(r.rule, "supersedes", ()))},
    )
    metrics = {name: expr.source for name, expr in plan.metrics if expr is not None}
    differ("metrics", METRIC_SOURCES, {m: metrics.get(m) for m in METRIC_SOURCES})
    differ(
        "rules with missing = pass",
        ("celebrity-endorsement",),
        tuple(r.rule.id for r in plan.rules if r.rule.missing == "pass"),
    )
    differ("escalate", ESCALATE, tuple((e.severity, e.count, e.to) for e in ruleset.escalate))
    differ("data_errors", DATA_ERRORS_VERDICT, ruleset.data_errors)
    differ("missing words", MISSING, frozenset(schema.missing))
    differ("units", UNITS, {k: float(v) for k, v in schema.platform.units.items()})
    differ("plus_adds", PLUS_ADDS, float(schema.platform.plus_adds))
    differ("units pattern", UNITS_RE, schema.units_re)
    differ("origins", {k.casefold(): v for k, v in ORIGINS.items()}, dict(schema.origins))
    differ("count fields", COUNT_FIELDS, frozenset(NUMBER_FIELDS) & schema.non_negative)
    differ("required", REQUIRED, tuple(schema.platform.required))
    cells = {"id", "origin", *NUMBER_FIELDS}
    differ("cell order", CELL_ORDER, tuple(f for f in schema.fields if f in cells))
    from kolrules import evaluate, normalise

    differ("what joins the reasons", JOIN, evaluate.JOIN)

    differ(
        "problem words",
        (NOT_A_NUMBER, NOT_FINITE, NEGATIVE),
        (normalise.NOT_A_NUMBER, normalise.NOT_FINITE, normalise.NEGATIVE),
    )
    differ(
        "unknown origin",
        UNKNOWN_ORIGIN,
        f"unknown origin; expected one of {', '.join(normalise.ORIGINS)}",
    )
    numbers = {f for f, t in schema.fields.items() if t == "number"}
    differ("number fields", set(NUMBER_FIELDS) - numbers, set())
    differ(
        "scoring",
        {m: (float(w), float(lo), float(hi), s) for m, w, lo, hi, s in SCORING},
        {
            m: (float(e["weight"]), float(e["low"]), float(e["high"]), e.get("scale", "linear"))
            for m, e in ruleset.scoring_params["metrics"].items()
        },
    )
    return found
