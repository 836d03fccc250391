"""The follower history (``fans_history``, 粉丝趋势) and the metric derived from it.

A history is one text cell: follower counts at successive dates, oldest first, such as
``"1.2万;1.3万;4.5万"``. How it is read:

- Points are separated by ``;`` (or the full-width ``；``); a ``,`` inside a point is then
  a thousands separator (``"12,000;13,000"``). A history with no ``;`` is separated by
  ``,`` (or ``，``) instead (``"12000,13000"``).
- Each point is trimmed. Empty points and the platform's missing markers (``-``, ``暂无``)
  are skipped: no reading that date.
- A point is a count written as kolrules reads a number cell: digits, an optional
  fraction, an optional unit of the platform (``万``, ``w``, ``k``, ``亿``...), an optional
  trailing ``+`` (which adds the platform's ``plus_adds``). Anything else is unreadable.

``fans_max_jump`` is the largest relative rise between two successive points,
``(next - prev) / prev``. It is missing (``None`` / null) when the cell is missing, any
point is unreadable (the whole history is then untrusted; the validate hooks report the
point), fewer than two points are left, or a point other than the last is 0.

Both forms are here and agree exactly: :func:`max_jump` and :func:`problem` for one
profile (pure Python), :func:`max_jump_column` and :func:`problem_column` for a polars
batch (column expressions over the exploded points, no Python loop). They do the same
float operations in the same order. polars is imported only by the batch functions, so
importing the plugin stays cheap.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from kolrules import Platform

__all__ = [
    "FIELD",
    "METRIC",
    "max_jump",
    "max_jump_column",
    "parse_history",
    "problem",
    "problem_column",
    "row_value",
]

#: The text field holding the history (declared in platform.toml).
FIELD = "fans_history"
#: The metric derived from it.
METRIC = "fans_max_jump"

# Characters trimmed from each point: an explicit set, so Python and polars trim the same.
_TRIM = " \t\r\n\u3000\xa0"
_SEMICOLONS = "[;；]"
_COMMAS = "[,，]"


@functools.cache
def _rules(
    units: tuple[tuple[str, float], ...], plus_adds: float, missing: tuple[str, ...]
) -> tuple[str, dict[str, float], float, list[str]]:
    """The point pattern, the unit table, what ``+`` adds and the texts to skip."""
    names = sorted((u for u, _ in units), key=len, reverse=True)
    unit = "|".join(re.escape(u) for u in names) if names else r"[^\s\S]"
    # ASCII digits only: Python would read full-width digits, polars would not.
    pattern = rf"^([0-9]+)(?:\.([0-9]+))?[ \u3000]*({unit})?(\+)?$"
    skip = sorted({"", *missing})
    return pattern, dict(units), plus_adds, skip


def _platform_rules(platform: Platform) -> tuple[str, dict[str, float], float, list[str]]:
    return _rules(
        tuple(sorted(platform.units.items())), float(platform.plus_adds), tuple(platform.missing)
    )


# -- one profile ---------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    separators = _SEMICOLONS if re.search(_SEMICOLONS, text) else _COMMAS
    return [p.strip(_TRIM) for p in re.split(separators, text)]


def _read_point(point: str, pattern: str, units: Mapping[str, float], adds: float) -> float | None:
    """The count a point means, or ``None`` when it is unreadable. The arithmetic is the
    same as the polars form's, and as kolrules' own number cells (``1.2万`` is
    ``12 * 10000 / 10``, exact)."""
    m = re.fullmatch(pattern, re.sub(_COMMAS, "", point))
    if m is None:
        return None
    whole, fraction, unit, plus = m.groups()
    fraction = fraction or ""
    mult = units[unit] if unit else 1.0
    digits = float(whole + fraction)
    scale = float("1" + "0" * len(fraction))
    scaled = digits * mult / scale if mult >= 1 else digits / (scale / mult)
    value = scaled + (adds if plus else 0.0)
    return value if math.isfinite(value) else None


def parse_history(text: str | None, platform: Platform) -> tuple[list[float], list[str]]:
    """The readable points of a history, in order, and the unreadable ones as written."""
    if text is None:
        return [], []
    pattern, units, adds, skip = _platform_rules(platform)
    values: list[float] = []
    bad: list[str] = []
    for point in _split(text):
        if point in skip:
            continue
        value = _read_point(point, pattern, units, adds)
        if value is None:
            bad.append(point)
        else:
            values.append(value)
    return values, bad


def max_jump(text: str | None, platform: Platform) -> float | None:
    """``fans_max_jump`` of one history (see the module's docstring)."""
    values, bad = parse_history(text, platform)
    if bad or len(values) < 2 or min(values[:-1]) <= 0:
        return None
    return max((nxt - prev) / prev for prev, nxt in itertools.pairwise(values))


# The problem the validate hooks report: _BEFORE + the point as written + _AFTER.
_BEFORE = f"{FIELD} has an unreadable point '"
_AFTER = "'; write follower counts such as 1.2万 or 12000, separated by ';'"
#: A longer point is cut to this many characters, with "…", in the message.
_SHOWN = 40


def _message(point: str) -> str:
    shown = point if len(point) <= _SHOWN else point[:_SHOWN] + "…"
    return f"{_BEFORE}{shown}{_AFTER}"


def problem(text: str | None, platform: Platform) -> str | None:
    """What is wrong with one history, or ``None``: its first unreadable point."""
    _, bad = parse_history(text, platform)
    return _message(bad[0]) if bad else None


# -- a batch -------------------------------------------------------------------------------


def _read_stages(pattern: str, units: Mapping[str, float], adds: float) -> list[list[pl.Expr]]:
    """:func:`_read_point` on the column ``p`` of points, into the column ``v``: lists of
    expressions to apply one after the other (each intermediate column computed once)."""
    import polars as pl

    groups = pl.col("p").str.replace_all(_COMMAS, "").str.extract_groups(pattern)
    whole, fraction, unit, plus = (groups.struct.field(str(i)) for i in range(1, 5))
    fraction = fraction.fill_null("")
    mult = (
        pl.when(unit.is_null() | (unit == ""))
        .then(pl.lit(1.0))
        .otherwise(unit.replace_strict(dict(units), default=1.0, return_dtype=pl.Float64))
        if units
        else pl.lit(1.0)
    )
    digits = pl.concat_str(whole, fraction).cast(pl.Float64)
    scale = pl.concat_str(pl.lit("1"), fraction.str.replace_all("[0-9]", "0")).cast(pl.Float64)
    added = pl.when(plus.is_null() | (plus == "")).then(pl.lit(0.0)).otherwise(pl.lit(adds))
    m, d, sc = pl.col("_m"), pl.col("_d"), pl.col("_s")
    scaled = pl.when(m >= 1).then(d * m / sc).otherwise(d / (sc / m))
    value = pl.col("_x")
    return [
        [groups.alias("_g")],
        [
            mult.alias("_m"),
            digits.alias("_d"),
            scale.alias("_s"),
            added.alias("_a"),
            whole.is_not_null().alias("_w"),
        ],
        [(scaled + pl.col("_a")).alias("_x")],
        [
            pl.when(pl.col("_w") & value.is_finite())
            .then(value)
            .otherwise(pl.lit(None, pl.Float64))
            .alias("v")
        ],
    ]


def _by_row(frame: pl.DataFrame, platform: Platform) -> pl.DataFrame:
    """One row per row of ``frame`` (in order): ``fans_max_jump`` and ``bad``, the first
    unreadable point as written (null if none).

    The histories are exploded into one long column of points, read with plain column
    expressions, and aggregated back per row: no per-row (or per-list) evaluation."""
    import polars as pl

    pattern, units, adds, skip = _platform_rules(platform)
    text = pl.col(FIELD).cast(pl.String) if FIELD in frame.columns else pl.lit(None, pl.String)
    unified = (
        pl.when(text.str.contains(_SEMICOLONS))
        .then(text.str.replace_all("；", ";", literal=True))
        .otherwise(text.str.replace_all(_COMMAS, ";"))
    )
    rows = frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("i"), unified.alias("h"))
    point = pl.col("p")
    value = pl.col("v")
    prev = value.shift(1)
    same_row = pl.col("i") == pl.col("i").shift(1)
    long = (
        rows.filter(pl.col("h").is_not_null())
        .select("i", pl.col("h").str.split(";").alias("p"))
        .explode("p")
        .with_columns(point.str.strip_chars(_TRIM))
        .filter(point.is_not_null() & point.is_in(skip).not_())
    )
    for stage in _read_stages(pattern, units, adds):
        long = long.with_columns(stage)
    long = long.with_columns(
        pl.when(same_row).then(prev).alias("prev"),
        pl.when(same_row).then((value - prev) / prev).alias("rise"),
    )
    per_row = long.group_by("i").agg(
        pl.len().alias("n"),
        value.is_null().any().alias("unreadable"),
        pl.col("prev").min().alias("lowest_prev"),
        pl.col("rise").max().alias("largest"),
        point.filter(value.is_null()).first().alias("bad"),
    )
    jump = (
        pl.when(pl.col("unreadable") | (pl.col("n") < 2) | (pl.col("lowest_prev") <= 0))
        .then(pl.lit(None, dtype=pl.Float64))
        .otherwise(pl.col("largest"))
        .cast(pl.Float64)
    )
    return (
        rows.select("i")
        .join(per_row, on="i", how="left", maintain_order="left")
        .select(jump.alias(METRIC), pl.col("bad").cast(pl.String))
    )


def max_jump_column(frame: pl.DataFrame, platform: Platform) -> pl.Series:
    """``fans_max_jump`` for every row of ``frame``: a Float64 Series as long as it."""
    return _by_row(frame, platform).get_column(METRIC)


def problem_column(frame: pl.DataFrame, platform: Platform) -> pl.Series:
    """:func:`problem` for every row of ``frame``: a String Series, null where fine."""
    import polars as pl

    bad = pl.col("bad")
    shown = (
        pl.when(bad.str.len_chars() <= _SHOWN)
        .then(bad)
        .otherwise(pl.concat_str(bad.str.slice(0, _SHOWN), pl.lit("…")))
    )
    message = pl.concat_str(pl.lit(_BEFORE), shown, pl.lit(_AFTER))
    return _by_row(frame, platform).select(message.cast(pl.String).alias(FIELD)).to_series()


def row_value(profile: Mapping[str, Any]) -> str | None:
    """The history of one normalised profile (a str or ``None``)."""
    value = profile.get(FIELD)
    return value if isinstance(value, str) else None
