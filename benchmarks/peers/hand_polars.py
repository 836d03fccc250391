"""red-default written by hand as one lazy polars query: the practical limit for batch.

    run("profiles.csv", "decisions.csv")

Reads the CSV as text, reads numbers as kolrules does (``1.2万``, ``8,000``, ``暂无``; a
bad cell is a data error, a bad id or follower count a row error, a repeated id a row
error), evaluates the 14 rules, the verdict and the score, and writes one decisions row
per input row in input order: ``row``, ``id``, ``status``, ``error`` (its own short
words), ``verdict``, ``tier``, ``score``, ``quote``, ``band_min``, ``band_max``,
``position``, ``cpe``, ``gifting``, ``has_errors`` (a row error or an unreadable cell: what
makes kolrules fill its ``errors`` column) and one ``rule:<id>`` column per rule (pass /
fail / not_applicable / unknown). No message texts.

Written the way one would for speed:

- one query; a cell that is a plain number as written is read with polars' own cast, and
  only the rows with another cell (``1.2万``, ``暂无``, ``abc``: a few percent) go through
  the slow path (trimming, units, separators), whose values are joined back by row;
- rule outcomes are small integer codes until the end, where labels come from an
  ``Enum`` by index rather than by string replacement.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

from . import _red as red

F64 = pl.Float64
OUTCOMES = pl.Enum(list(red.OUTCOME_LABELS))
TIER_NAMES = tuple(name for name, *_ in red.TIERS)
VERDICTS = ("accept", "review", "reject")
# The score's divisions by constants, as multiplications by reciprocals (as kolrules does,
# so the last bit agrees).
_BY_ER = 1.0 / 0.04
_BY_CPL = 1.0 / 0.005
_LOG_CPL = 1.0 / math.log(0.1 / 0.005)
_BY_CPE = 1.0 / 30.0
_LOG_CPE = 1.0 / math.log(3.0 / 30.0)


def _labels(names: tuple[str, ...]) -> pl.Expr:
    return pl.lit(pl.Series(names, dtype=pl.Enum(list(names))))


def _plain(name: str) -> pl.Expr:
    """True where the cell is a plain number as written (no trimming, units or commas)."""
    return pl.col(name).str.contains(red.PLAIN_RE).fill_null(False)


def _fast_number(name: str, *, count: bool) -> list[pl.Expr]:
    """Value and ``<name>__bad`` of a column whose cells are all empty or plain numbers."""
    value = pl.col(name).cast(F64, strict=False)
    bad = value.is_finite().not_()  # 1e400
    if count:
        bad = bad | (value < 0)
    bad = bad.fill_null(False)
    return [pl.when(bad.not_()).then(value).alias(name), bad.alias(name + "__bad")]


def _slow_number_stages(name: str, *, count: bool) -> list[list[pl.Expr]]:
    """Read any numeric text column, in stages of temporary columns (each stage reads the
    columns of the ones before it, so no sub-expression is copied into several others).
    The regular expressions only see the cells that are not plain numbers (the others are
    null for them). The last stage replaces ``name`` with its value and adds
    ``<name>__bad``."""
    t = f"__{name}_"
    plain_cell = pl.col(t + "plain")
    odd = pl.when(plain_cell.not_()).then(pl.col(name)).str.strip_chars()
    stage1 = [
        (pl.col(name).is_null() | odd.is_in(sorted(red.MISSING)).fill_null(False)).alias(
            t + "missing"
        ),
        odd.str.replace_all(red.CLEAN_RE, "").alias(t + "clean"),
    ]
    clean = pl.col(t + "clean")
    stage2 = [clean.str.extract_groups(red.UNITS_RE).alias(t + "groups")]
    groups = pl.col(t + "groups")
    sign, whole, fraction, unit, plus = (groups.struct.field(str(i)) for i in range(1, 6))
    fraction = fraction.fill_null("")
    digits = pl.concat_str(whole, fraction).cast(F64)
    scale = pl.lit(10.0) ** fraction.str.len_chars().cast(F64)
    factor = unit.replace_strict(red.UNITS, default=1.0, return_dtype=F64).fill_null(1.0)
    scaled = pl.when(factor >= 1).then(digits * factor / scale).otherwise(digits / (scale / factor))
    signed = pl.when(sign == "-").then(-scaled).otherwise(scaled)
    with_units = signed + pl.when(plus.is_not_null()).then(red.PLUS_ADDS).otherwise(0.0)
    missing = pl.col(t + "missing")
    stage3 = [
        pl.when(plain_cell)
        .then(pl.col(name).cast(F64, strict=False))
        .when(missing)
        .then(None)
        .when(clean.str.contains(red.PLAIN_RE))
        .then(clean.cast(F64, strict=False))
        .otherwise(with_units)
        .alias(t + "v")
    ]
    value = pl.col(t + "v")
    bad = missing.not_() & value.is_finite().not_().fill_null(True)
    if count:
        bad = bad | (value < 0).fill_null(False)
    stage4 = [bad.alias(name + "__bad")]
    stage5 = [pl.when(pl.col(name + "__bad").not_()).then(value).alias(name)]
    return [stage1, stage2, stage3, stage4, stage5]


def _text(name: str) -> pl.Expr:
    s = pl.col(name).str.strip_chars()
    return pl.when(s.is_in(sorted(red.MISSING)).not_()).then(s)


def _div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """a / b; missing for a missing input, a zero divisor or a non-finite result."""
    q = a / b
    return pl.when((b != 0) & q.is_finite()).then(q)


def _outcome(require: pl.Expr, when: pl.Expr | None = None) -> pl.Expr:
    """Rule outcome code: pass, fail, unknown when require is missing, not applicable
    when ``when`` is not true."""
    code = (
        pl.when(require).then(red.PASS).when(require.not_()).then(red.FAIL).otherwise(red.UNKNOWN)
    )
    if when is None:
        return code
    return pl.when(when.fill_null(False)).then(code).otherwise(red.NOT_APPLICABLE)


def _clamp(x: pl.Expr, low: float, high: float) -> pl.Expr:
    return pl.when(x < low).then(low).when(x > high).then(high).otherwise(x)


def read(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """Typed columns (``row``, ``id``, the numbers, ``origin``), ``error`` for a row kolrules
    would not evaluate and ``data_errors`` for a row with an unreadable cell."""
    numbers = red.NUMBER_FIELDS
    counts = red.COUNT_FIELDS
    plain = [_plain(f).alias(f"__{f}_plain") for f in numbers]
    needs_slow = pl.any_horizontal(
        pl.col(f).is_not_null() & pl.col(f"__{f}_plain").not_() for f in numbers
    )
    marked = (
        profiles.with_row_index("row", offset=1)
        .with_columns(plain)
        .with_columns(needs_slow.alias("__slow"))
        .cache()  # read the file once for both parts
    )
    # Every row through the fast path; the rows with an odd cell also through the slow path,
    # whose values are joined back by row number and replace the fast ones.
    fast = marked.with_columns(e for f in numbers for e in _fast_number(f, count=f in counts))
    slow = marked.filter(pl.col("__slow"))
    stages: list[list[pl.Expr]] = [[] for _ in range(5)]
    for f in numbers:
        for level, exprs in enumerate(_slow_number_stages(f, count=f in counts)):
            stages[level].extend(exprs)
    for level in stages:
        slow = slow.with_columns(level)
    slow = slow.select(
        "row",
        *(pl.col(f).alias(f + "__slow") for f in numbers),
        *(pl.col(f + "__bad").alias(f + "__bad_slow") for f in numbers),
    )
    is_slow = pl.col("__slow")
    typed = fast.join(slow, on="row", how="left", maintain_order="left").select(
        "row",
        "id",
        "origin",
        *(
            pl.when(is_slow).then(pl.col(f + "__slow")).otherwise(pl.col(f)).alias(f)
            for f in numbers
        ),
        *(
            pl.when(is_slow)
            .then(pl.col(f + "__bad_slow"))
            .otherwise(pl.col(f + "__bad"))
            .alias(f + "__bad")
            for f in numbers
        ),
    )

    origin_text = _text("origin")
    origin = origin_text.str.to_lowercase().replace_strict(
        {k.casefold(): v for k, v in red.ORIGINS.items()}, default=None, return_dtype=pl.String
    )
    pid = _text("id")
    followers_bad = pl.col("followers__bad")
    hard = pid.is_null() | followers_bad
    # An id is taken by the first row that is evaluated; a later row with it is an error.
    taken = pl.when(hard.not_()).then(pid)
    duplicate = taken.is_not_null() & taken.is_first_distinct().not_()
    soft_bad = [pl.col(f + "__bad") for f in numbers if f != "followers"]
    soft_bad.append(origin_text.is_not_null() & origin.is_null())
    return typed.select(
        pl.col("row").cast(pl.Int64),
        pid.alias("id"),
        *numbers,
        origin.alias("origin"),
        pl.when(pid.is_null())
        .then(pl.lit("empty id"))
        .when(followers_bad)
        .then(pl.lit("followers: not a number, not finite or negative"))
        .when(duplicate)
        .then(pl.lit("duplicate id"))
        .alias("error"),
        pl.any_horizontal(soft_bad).alias("data_errors"),
    )


def decisions(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """The decisions of a frame of text columns (the benchmark's CSV, read as text)."""
    f = pl.col("followers")
    tier = pl.when(f.is_null()).then(None)
    band_min = pl.when(f.is_null()).then(None)
    band_max = band_min
    for code, (_, low, high, pmin, pmax) in enumerate(red.TIERS):
        inside = (f >= low) & (f < high) if high is not None else f >= low
        tier = tier.when(inside).then(pl.lit(code, dtype=pl.UInt8))
        band_min = band_min.when(inside).then(pl.lit(pmin, dtype=F64))
        band_max = band_max.when(inside).then(pl.lit(pmax, dtype=F64))
    likes, collects, comments = pl.col("avg_likes"), pl.col("avg_collects"), pl.col("avg_comments")
    epp = likes + collects + comments
    metrics = (
        read(profiles)
        .with_columns(
            tier.alias("tier_code"),
            band_min.alias("band_min"),
            band_max.alias("band_max"),
            _div(pl.col("total_likes"), f).alias("lpf"),
            pl.when(epp.is_finite()).then(epp).alias("epp"),
            _div(likes, pl.col("avg_views")).alias("lpv"),
            _div(comments, likes).alias("cpl"),
        )
        .with_columns(
            _div(pl.col("epp"), f).alias("er"),
            _div(pl.col("price"), pl.coalesce("median_interactions", "epp")).alias("cpe"),
        )
    )

    lpf, lpv, price = pl.col("lpf"), pl.col("lpv"), pl.col("price")
    tier_c, origin = pl.col("tier_code"), pl.col("origin")
    micro, celebrity = TIER_NAMES.index("micro"), TIER_NAMES.index("celebrity")
    rules = {
        "tier-known": pl.when(tier_c.is_not_null()).then(red.PASS).otherwise(red.FAIL),
        "likes-below-followers": _outcome(lpf >= red.FAKE_LIKES_PER_FOLLOWER),
        "likes-per-follower-low": _outcome(lpf >= red.MIN_LIKES_PER_FOLLOWER),
        "likes-per-view-band": _outcome(
            (lpv >= red.MIN_LIKES_PER_VIEW) & (lpv <= red.MAX_LIKES_PER_VIEW),
            pl.col("avg_views").is_not_null(),
        ),
        "few-comments": _outcome(
            pl.col("cpl") >= red.MIN_COMMENTS_PER_LIKE, likes >= red.COMMENT_CHECK_MIN_LIKES
        ),
        "engagement-rate-low": _outcome(pl.col("er") >= red.MIN_ENGAGEMENT_RATE, tier_c == micro),
        "few-posts": _outcome(pl.col("posts") >= red.MIN_POSTS),
        "cross-platform-young": _outcome(
            pl.col("account_age_days") >= red.MIN_CROSS_PLATFORM_AGE_DAYS,
            origin == "cross_platform",
        ),
        # missing = pass: only a known celebrity fails
        "celebrity-endorsement": pl.when((origin == "celebrity") | (tier_c == celebrity))
        .then(red.FAIL)
        .otherwise(red.PASS),
        "gifting-candidate": pl.when(price.is_not_null()).then(red.PASS).otherwise(red.FAIL),
        "price-outside-usual-range": _outcome(
            (price >= red.PAID_PRICE_MIN) & (price <= red.PAID_PRICE_MAX),
            price <= red.ROI_PRICE_LIMIT,
        ),
        "price-above-roi-limit": _outcome(price <= red.ROI_PRICE_LIMIT),
        "price-above-tier-band": _outcome(price <= pl.col("band_max")),
        "price-below-tier-band": _outcome(price >= pl.col("band_min")),
    }
    coded = metrics.with_columns(
        *(code.cast(pl.UInt8).alias(rule_id) for rule_id, code in rules.items())
    )

    def failed(severity: str) -> pl.Expr:
        return pl.sum_horizontal(
            [
                (pl.col(rule_id) == red.FAIL).cast(pl.UInt8)
                for rule_id, sev in red.RULES
                if sev == severity
            ]
        )

    verdict = (
        pl.when(failed("reject") > 0)
        .then(2)
        .when((failed("review") > 0) | (failed("warn") >= 2) | pl.col("data_errors"))
        .then(1)
        .otherwise(0)
    )
    er, cpl, cpe = pl.col("er"), pl.col("cpl"), pl.col("cpe")
    a = pl.when(er.is_not_null()).then(3.0 * (_clamp(er, 0.01, 0.05) - 0.01) * _BY_ER)
    b = pl.when(cpl.is_not_null()).then(1.0 * (_clamp(cpl, 0.005, 0.1) * _BY_CPL).log() * _LOG_CPL)
    c = pl.when(cpe.is_not_null()).then(2.0 * (_clamp(cpe, 3.0, 30.0) * _BY_CPE).log() * _LOG_CPE)
    weight = pl.when(er.is_not_null()).then(3.0).otherwise(0.0) + (
        pl.when(cpl.is_not_null()).then(1.0).otherwise(0.0)
        + pl.when(cpe.is_not_null()).then(2.0).otherwise(0.0)
    )
    total = a.fill_null(0.0) + (b.fill_null(0.0) + c.fill_null(0.0))
    score = pl.when(weight != 0).then(100.0 * total / weight)
    bmin, bmax = pl.col("band_min"), pl.col("band_max")
    position = (
        pl.when(price.is_null() | (bmin.is_null() & bmax.is_null()))
        .then(None)
        .when(price < bmin)
        .then(pl.lit("below"))
        .when(price > bmax)
        .then(pl.lit("above"))
        .otherwise(pl.lit("within"))
    )
    outcome_labels = _labels(red.OUTCOME_LABELS)
    ok = pl.col("error").is_null()
    return coded.select(
        "row",
        "id",
        pl.when(ok).then(pl.lit("evaluated")).otherwise(pl.lit("error")).alias("status"),
        "error",
        _labels(VERDICTS).gather(pl.when(ok).then(verdict)).alias("verdict"),
        _labels(TIER_NAMES).gather(pl.when(ok).then(tier_c)).alias("tier"),
        pl.when(ok).then(_clamp(score, 0.0, 100.0)).alias("score"),
        pl.when(ok).then(price).alias("quote"),
        pl.when(ok).then(bmin).alias("band_min"),
        pl.when(ok).then(bmax).alias("band_max"),
        pl.when(ok).then(position).alias("position"),
        pl.when(ok).then(cpe).alias("cpe"),
        pl.when(ok).then(price.is_null()).alias("gifting"),
        (ok.not_() | pl.col("data_errors")).alias("has_errors"),
        *(
            outcome_labels.gather(pl.when(ok).then(pl.col(rule_id))).alias(f"rule:{rule_id}")
            for rule_id in red.RULE_IDS
        ),
    )


def scan(source: str | Path) -> pl.LazyFrame:
    """The benchmark CSV as text columns."""
    return pl.scan_csv(source, infer_schema=False)


def run(source: str | Path, target: str | Path) -> None:
    """Read ``source``, evaluate, write the decisions CSV ``target``: ``sink_csv``, which
    writes while it evaluates (the fastest way measured, at every size)."""
    decisions(scan(source)).sink_csv(target)


def run_in_memory(source: str | Path, target: str | Path) -> None:
    """As :func:`run`, collecting the decisions before writing them."""
    decisions(scan(source)).collect().write_csv(target)
