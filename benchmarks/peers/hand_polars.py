"""red-default written by hand as one lazy polars query: the practical limit for batch.

    run("profiles.csv", "decisions.csv")                  # with the reasons' texts
    run("profiles.csv", "decisions.csv", reasons="none")  # without them

Reads the CSV as text, reads numbers as kolrules does (``1.2万``, ``8,000``, ``暂无``; a
bad cell is a data error, a bad id or follower count a row error, a repeated id a row
error), evaluates the 14 rules, the verdict and the score, and writes one decisions row
per input row in input order: ``row``, ``id``, ``status``, ``error`` (its own short
words), ``verdict``, ``tier``, ``score``, ``quote``, ``band_min``, ``band_max``,
``position``, ``cpe``, ``gifting``, ``reasons`` and ``to_pass`` (with ``reasons="text"``),
``has_errors``
(a row error or an unreadable cell: what makes kolrules fill its ``errors`` column) and one
``rule:<id>`` column per rule (pass / fail / not_applicable / unknown).

``reasons`` is what kolrules writes there: the row's unreadable cells (``data error: column
'price' 'abc': not a number``, in the platform's field order), then the message of every
failed rule, most severe first (ties in rule order), leaving out a rule superseded by
another failed rule (``_red.SUPERSEDES``), joined by `` | ``; none is missing. The message
templates (``_red.MESSAGES``) are filled with polars expressions: rounding, thousands
separators from groups of digits (lookup tables of ``,000``-``,999``), percentages,
``missing`` for a missing value; params and the tier table's bands are constants, formatted
once. Python is called only for the values polars cannot render exactly, on those rows only
(see :func:`_number_pieces`: a rounding that falls on a tie after the scaling, a huge or
non-finite number; a few hundred values in 100,000 rows), and for the ``repr`` of an odd
cell in a data error (a quote, a backslash, a control character).

``to_pass`` is what kolrules writes there: for each rule whose message is among the
reasons, in the same order, what it would take to pass (``price at most 8,000 (now
15,000)``; alternatives joined by "or", parts of an ``and`` by "and"), solved by hand from
red-default's ``require`` (:func:`_needs`), numbers in kolrules' default format
(:func:`_default_pieces`). It is written on the rows where each rule failed only: each
rule's rows are filtered, worded, and gathered back by row.

Written the way one would for speed:

- one query; a cell that is a plain, non-negative number as written is read with polars'
  own cast, and only the rows with another cell (``1.2万``, ``暂无``, ``abc``, ``-5``, an
  unknown origin: a few percent) go through the slow path (trimming, units, separators,
  the data errors' words), whose values are joined back by row;
- rule outcomes are small integer codes until the end, where labels come from an
  ``Enum`` by index rather than by string replacement;
- each value a message shows is rendered once, as a few temporary columns (pieces of
  text: the integer part, the groups of digits, the fraction) that the messages
  concatenate; a message is one ``concat_str`` where its rule failed, the reasons one
  more.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import polars as pl

from . import _red as red

F64 = pl.Float64
OUTCOMES = pl.Enum(list(red.OUTCOME_LABELS))
TIER_NAMES = tuple(name for name, *_ in red.TIERS)
VERDICTS = ("accept", "review", "reject")
Reasons = Literal["text", "none"]
REASONS: tuple[Reasons, ...] = ("text", "none")
# The score's divisions by constants, as multiplications by reciprocals (as kolrules does,
# so the last bit agrees).
_BY_ER = 1.0 / 0.04
_BY_CPL = 1.0 / 0.005
_LOG_CPL = 1.0 / math.log(0.1 / 0.005)
_BY_CPE = 1.0 / 30.0
_LOG_CPE = 1.0 / math.log(3.0 / 30.0)


def _labels(names: tuple[str, ...]) -> pl.Expr:
    return pl.lit(pl.Series(names, dtype=pl.Enum(list(names))))


def _safe(name: str) -> pl.Expr:
    """True where the cell is a number as written that polars' cast reads as kolrules does
    and that cannot be a data error: digits (at most 15 before the point, so finite), an
    optional point and decimals, no sign but ``+``, no exponent, no trimming, units or
    commas."""
    return pl.col(name).str.contains(_SAFE_RE).fill_null(False)


#: See :func:`_safe`.
_SAFE_RE = r"^\+?[0-9]{1,15}(?:\.[0-9]+)?$"


class _Stages:
    """Temporary columns, computed level by level: each level reads the columns of the
    ones before it by name, so an expression read several times is computed once (a
    polars expression tree copies a sub-expression into every place that uses it). With
    ``inline``, :meth:`put` gives back the expression itself: one tree, no columns."""

    def __init__(self, *, inline: bool = False) -> None:
        self.inline = inline
        self.levels: list[list[pl.Expr]] = []

    def put(self, level: int, name: str, expr: pl.Expr) -> pl.Expr:
        if self.inline:
            return expr
        while len(self.levels) <= level:
            self.levels.append([])
        self.levels[level].append(expr.alias(name))
        return pl.col(name)

    def add_to(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for level in self.levels:
            frame = frame.with_columns(level)
        return frame


# -- data errors: kolrules' words for an unreadable cell ----------------------------------

#: A cell whose ``repr`` is not simply the cell between single quotes: a quote, a
#: backslash, or a character Python does not print as itself (``str.isprintable``).
_ODD_CELL = r"['\\\p{C}\p{Zl}\p{Zp}]|[\p{Zs}--\x20]"


def _in_python(value: pl.Expr, render: Callable[[Any], str]) -> pl.Expr:
    """``render`` of each non-null ``value``, null elsewhere: the only place the peer calls
    Python on values, for the few that polars cannot render exactly (the caller masks
    ``value`` to those rows; a batch without any costs a null count)."""

    def batch(s: pl.Series) -> pl.Series:
        if s.null_count() == len(s):
            return pl.repeat(None, len(s), dtype=pl.String, eager=True)
        at = s.is_not_null().arg_true()
        said = pl.Series([render(v) for v in s.gather(at).to_list()], dtype=pl.String)
        return pl.repeat(None, len(s), dtype=pl.String, eager=True).scatter(at, said)

    return value.map_batches(batch, return_dtype=pl.String, is_elementwise=True)


def _quoted(cell: pl.Expr) -> pl.Expr:
    """``repr(cell)``: the cell between single quotes, or Python's ``repr`` for an odd one."""
    odd = cell.str.contains(_ODD_CELL).fill_null(False)
    return pl.coalesce(
        _in_python(pl.when(odd).then(cell), repr), pl.concat_str(pl.lit("'"), cell, pl.lit("'"))
    )


def _note(name: str, cell: pl.Expr, why: pl.Expr) -> pl.Expr:
    """``data error: column 'price' 'abc': not a number`` where ``why`` is not null (and
    null elsewhere: ``concat_str`` keeps a null)."""
    quoted = _quoted(pl.when(why.is_not_null()).then(cell))
    return pl.concat_str(pl.lit(f"{red.DATA_ERROR}column {name!r} "), quoted, pl.lit(": "), why)


# -- reading cells ------------------------------------------------------------------------


def _slow_number_stages(name: str, *, count: bool, notes: bool) -> list[list[pl.Expr]]:
    """Read any numeric text column, in stages of temporary columns (each stage reads the
    columns of the ones before it, so no sub-expression is copied into several others).
    The regular expressions only see the cells that are not safe numbers (the others are
    null for them). The last stage replaces ``name`` with its value and adds
    ``<name>__bad`` (and ``<name>__why``, kolrules' words for the problem, with
    ``notes``)."""
    t = f"__{name}_"
    safe_cell = pl.col(t + "safe")
    odd = pl.when(safe_cell.not_()).then(pl.col(name)).str.strip_chars()
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
        pl.when(safe_cell)
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
    if notes:
        why = (
            pl.when(pl.col(name + "__bad").not_())
            .then(None)
            .when(value.is_null())
            .then(pl.lit(red.NOT_A_NUMBER))
            .when(value.is_finite().not_())
            .then(pl.lit(red.NOT_FINITE))
            .otherwise(pl.lit(red.NEGATIVE))
        )
        stage5.append(why.alias(name + "__why"))
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


def read(profiles: pl.LazyFrame, *, notes: bool = False) -> pl.LazyFrame:
    """Typed columns (``row``, ``id``, the numbers, ``origin``), ``error`` for a row kolrules
    would not evaluate and ``data_errors`` for a row with an unreadable cell; with
    ``notes``, ``notes``: the row's unreadable cells in kolrules' words (``data error:
    column 'price' 'abc': not a number | ...``, in the platform's field order)."""
    numbers = red.NUMBER_FIELDS
    counts = red.COUNT_FIELDS
    origin_text = _text("origin")
    origin = origin_text.str.to_lowercase().replace_strict(
        {k.casefold(): v for k, v in red.ORIGINS.items()}, default=None, return_dtype=pl.String
    )
    # A row goes through the slow path if it has a cell that is not a safe number, or an
    # origin kolrules does not know: every unreadable cell is in the slow path.
    needs_slow = pl.any_horizontal(
        pl.col("__origin_unknown"),
        *(pl.col(f).is_not_null() & pl.col(f"__{f}_safe").not_() for f in numbers),
    )
    marked = (
        profiles.with_row_index("row", offset=1)
        .with_columns(
            *(_safe(f).alias(f"__{f}_safe") for f in numbers),
            origin.alias("__origin"),
            (origin_text.is_not_null() & origin.is_null()).alias("__origin_unknown"),
        )
        .with_columns(needs_slow.alias("__slow"))
        .cache()  # read the file once for both parts
    )
    # Every row through the fast path, polars' cast; the rows with another cell also
    # through the slow path, whose values are joined back by row number and replace the
    # fast ones.
    fast = marked.with_columns(pl.col(f).cast(F64, strict=False) for f in numbers)
    soft = [f for f in red.CELL_ORDER if f not in red.REQUIRED]
    slow = marked.filter(pl.col("__slow"))
    if notes:  # the cells as written, for the notes
        slow = slow.with_columns(pl.col(f).alias(f"__{f}_cell") for f in soft)
    stages: list[list[pl.Expr]] = [[] for _ in range(5)]
    for f in numbers:
        for level, exprs in enumerate(_slow_number_stages(f, count=f in counts, notes=notes)):
            stages[level].extend(exprs)
    for level in stages:
        slow = slow.with_columns(level)
    said = []
    if notes:  # the slow rows' unreadable cells, in kolrules' words
        why = {f: pl.col(f + "__why") for f in numbers}
        why["origin"] = pl.when(pl.col("__origin_unknown")).then(pl.lit(red.UNKNOWN_ORIGIN))
        cells = [_note(f, pl.col(f"__{f}_cell"), why[f]) for f in soft]
        joined = pl.concat_str(cells, separator=red.JOIN, ignore_nulls=True)
        said.append(pl.when(joined != "").then(joined).alias("notes"))
    slow = slow.select(
        "row",
        *(pl.col(f).alias(f + "__slow") for f in numbers),
        *(f + "__bad" for f in numbers),
        *said,
    )
    is_slow = pl.col("__slow")
    typed = fast.join(slow, on="row", how="left", maintain_order="left").select(
        "row",
        "id",
        pl.col("__origin").alias("origin"),
        pl.col("__origin_unknown").alias("origin__bad"),
        *(
            pl.when(is_slow).then(pl.col(f + "__slow")).otherwise(pl.col(f)).alias(f)
            for f in numbers
        ),
        # a fast row's cells are all safe
        *(pl.col(f + "__bad").fill_null(False) for f in numbers),
        *(["notes"] if notes else []),
    )

    pid = _text("id")
    followers_bad = pl.col("followers__bad")
    hard = pid.is_null() | followers_bad
    # An id is taken by the first row that is evaluated; a later row with it is an error.
    taken = pl.when(hard.not_()).then(pid)
    duplicate = taken.is_not_null() & taken.is_first_distinct().not_()
    data_errors = pl.any_horizontal(pl.col(f + "__bad") for f in soft)
    return typed.select(
        pl.col("row").cast(pl.Int64),
        pid.alias("id"),
        *numbers,
        "origin",
        pl.when(pid.is_null())
        .then(pl.lit("empty id"))
        .when(followers_bad)
        .then(pl.lit("followers: not a number, not finite or negative"))
        .when(duplicate)
        .then(pl.lit("duplicate id"))
        .alias("error"),
        data_errors.alias("data_errors"),
        *(["notes"] if notes else []),
    )


# -- message texts: Python's format specs as polars expressions ---------------------------

#: Below this, ``y - floor(y)`` is exact and ``y``'s neighbouring floats are less than 0.5
#: apart (it is below 2**52), and an integer part fits an Int64 with room to spare.
_EXACT = 1e15
#: Integer parts below this (three groups of digits) get their thousands separators in
#: polars; larger ones (a quote of a billion) are rendered by Python.
_GROUPED = 1e9


def _padded(prefix: str, width: int, suffix: str = "") -> pl.Expr:
    """A lookup table: ``prefix`` + ``k`` with ``width`` digits + ``suffix`` at index ``k``
    (``,008``; ``.05%``), read with ``gather``, much faster than padding text per row."""
    return pl.lit(pl.Series([f"{prefix}{k:0{width}d}{suffix}" for k in range(10**width)]))


def _parse_spec(spec: str) -> tuple[bool, int, bool]:
    """(thousands separators, decimals, percent) of ``[,].Nf`` or ``.N%``."""
    grouped = spec.startswith(",")
    body = spec.removeprefix(",")
    if not (body.startswith(".") and body[-1:] in ("f", "%") and body[1:-1].isdigit()):
        raise ValueError(f"format spec {spec!r} is not one the peer renders")
    return grouped, int(body[1:-1]), body.endswith("%")


def _number_pieces(value: pl.Expr, spec: str, st: _Stages, key: str) -> list[pl.Expr]:
    """``format(value, spec)`` (a Float64, ``[,].Nf`` or ``.N%``) as pieces of text to
    concatenate, ignoring nulls: the text ``missing`` or Python's (else null), the signed
    integer part in groups (``-8``, ``,500``), the fraction (``.05%``).

    Rounding: Python rounds the exact binary value. For ``.2f`` the peer rounds ``y =
    |v| * 100``, a float, half to even. Below 2**52 the floats next to ``y`` are at most
    0.5 apart and the rounding error of the product is at most half their distance, so
    unless ``y`` falls exactly on a half the exact product rounds to the same integer.
    ``2.675 * 100`` does (267.5, whereas 2.675 is 2.67499999...): those ties, values of
    1e15 and more, non-finite ones, (with separators) integer parts of a billion or more
    and negative values whose integer part is 0 (``-0.00``: an integer has no sign) are
    rendered by Python's ``format``, on those rows only. With no decimals ``y`` is exact
    and a tie is a tie: half to even, as Python. A percentage is ``v * 100`` formatted
    with ``f``, as Python computes it."""
    grouped, decimals, percent = _parse_spec(spec)
    scale = 10**decimals
    v = st.put(0, key + "v", value * 100.0 if percent else value)
    y = st.put(1, key + "y", v.abs() * float(scale) if decimals else v.abs())
    rounded = y.round(0, mode="half_to_even")
    negative = v.reinterpret(dtype=pl.Int64) < 0  # the sign bit (of -0.0 too)
    unsure = (y >= _EXACT) | v.is_finite().not_() | (negative & (rounded < scale))
    if decimals:
        unsure = unsure | (y - y.floor() == 0.5)
    if grouped:  # 999999999.5 rounds to a billion: look at the rounded value
        unsure = unsure | (rounded >= _GROUPED * scale)
    u = st.put(2, key + "u", unsure.fill_null(False))
    # n: |v| * 10**decimals, rounded; null where the value is missing or left to Python
    n = st.put(2, key + "n", pl.when(unsure.not_()).then(rounded.cast(pl.Int64, strict=False)))
    whole = n // scale if decimals else n
    python = _in_python(pl.when(u).then(value), lambda x: format(x, spec))
    missing = pl.when(value.is_null()).then(pl.lit("missing"))
    pieces = [st.put(3, key + "alt", pl.coalesce(python, missing))]
    if grouped:  # 8,500: "8" and ",500"; 1,234,567: "1", ",234" and ",567"
        millions, thousands = whole // 1_000_000, whole // 1000
        top = pl.when(millions > 0).then(millions).when(thousands > 0).then(thousands)
        top = top.otherwise(whole)
        groups = _padded(",", 3)
        mid = groups.gather(pl.when(millions > 0).then(thousands % 1000))
        low = groups.gather(pl.when(thousands > 0).then(whole % 1000))
    else:
        top, mid, low = whole, None, None
    signed = pl.when(negative).then(-top).otherwise(top)
    pieces.append(st.put(3, key + "top", signed.cast(pl.String)))
    if mid is not None and low is not None:
        pieces += [st.put(3, key + "mid", mid), st.put(3, key + "low", low)]
    suffix = "%" if percent else ""
    if 0 < decimals <= 3:
        fraction = _padded(".", decimals, suffix).gather(n % scale)
    elif decimals:  # 10**d + the fraction, less its leading 1: the digits with their zeros
        digits = (n % scale + scale).cast(pl.String).str.slice(1)
        fraction = pl.concat_str(pl.lit("."), digits, pl.lit(suffix))
    else:
        fraction = pl.when(n.is_not_null()).then(pl.lit(suffix)) if percent else None
    if fraction is not None:
        pieces.append(st.put(3, key + "frac", fraction))
    return pieces


def _number(value: pl.Expr, spec: str) -> pl.Expr:
    """``format(value, spec)`` as one expression (see :func:`_number_pieces`); null where
    ``value`` is null."""
    pieces = _number_pieces(value, spec, _Stages(inline=True), "")
    return pl.when(value.is_not_null()).then(pl.concat_str(pieces, ignore_nulls=True))


def _python_default(v: float) -> str:
    """How kolrules shows a number in a message without a format spec."""
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _default_pieces(
    value: pl.Expr, st: _Stages, key: str, *, staged: bool = False
) -> list[pl.Expr]:
    """:func:`_python_default` of ``value`` (a Float64) as pieces of text, staged like
    :func:`_number_pieces` (so that the query stays quick to plan however many values are
    shown): ``missing`` or Python's text, the sign, the integer part in groups, the
    fraction less its trailing zeros. One shape for all four cases: ``d`` decimals (none
    for a whole number or from 100 up, two from 1 up, three significant digits below 1:
    ``.3g`` in fixed notation, from 1e-4 up), ``|v| * 10**d`` rounded half to even, ties
    of that product (see :func:`_number_pieces`), values from 1e15 or below 1e-4, integer
    parts of a billion or more and non-finite values left to Python. ``staged``: ``value``
    is a temporary column of the first stage already."""
    v = value if staged else st.put(0, key + "v", value)
    a = v.abs()
    whole = ((a == a.floor()) & (a < 1e15)) | (a >= 100)
    decimals = (
        pl.when(whole)
        .then(0)
        .when(a >= 1)
        .then(2)
        .when(a >= 0.1)
        .then(3)
        .when(a >= 0.01)
        .then(4)
        .when(a >= 0.001)
        .then(5)
        .otherwise(6)
    )
    d = st.put(1, key + "d", decimals.cast(pl.Int64))
    scale = pl.lit(pl.Series([10**k for k in range(7)], dtype=pl.Int64)).gather(d)
    s = st.put(2, key + "s", scale)
    y = st.put(2, key + "y", a * scale.cast(F64))
    rounded = y.round(0, mode="half_to_even")
    unsure = (
        v.is_finite().not_()
        | (a >= 1e15)
        | ((a > 0) & (a < 1e-4))
        | ((d > 0) & (y - y.floor() == 0.5))
        | (rounded >= _GROUPED * s.cast(F64))
    ).fill_null(False)
    u = st.put(3, key + "u", unsure)
    n = st.put(3, key + "n", pl.when(unsure.not_()).then(rounded.cast(pl.Int64, strict=False)))
    whole_part = n // s
    millions, thousands = whole_part // 1_000_000, whole_part // 1000
    top = pl.when(millions > 0).then(millions).when(thousands > 0).then(thousands)
    top = top.otherwise(whole_part)
    groups = _padded(",", 3)
    digits = (n % s + s).cast(pl.String).str.slice(1)
    fraction = pl.concat_str(pl.lit("."), digits).str.strip_chars_end("0").str.strip_chars_end(".")
    python = _in_python(pl.when(u).then(v), _python_default)
    return [
        st.put(4, key + "alt", pl.coalesce(python, pl.when(v.is_null()).then(pl.lit("missing")))),
        st.put(4, key + "sign", pl.when((v < 0) & n.is_not_null()).then(pl.lit("-"))),
        st.put(4, key + "top", top.cast(pl.String)),
        st.put(4, key + "mid", groups.gather(pl.when(millions > 0).then(thousands % 1000))),
        st.put(4, key + "low", groups.gather(pl.when(thousands > 0).then(whole_part % 1000))),
        st.put(4, key + "frac", fraction),
    ]


def _constant_text(value: float | None, spec: str) -> str:
    """A param's or a band's text, formatted once (``missing`` for none)."""
    if value is None:
        return "missing"
    return format(value, spec) if spec else _python_default(float(value))


def _said(rule_id: str) -> pl.Expr:
    """Whether a rule's message is among the reasons: it failed, and no rule that
    supersedes it failed."""
    failed = pl.col(rule_id) == red.FAIL
    over = [r for r, below in red.SUPERSEDES.items() if rule_id in below]
    if over:
        failed = failed & pl.any_horizontal(pl.col(r) == red.FAIL for r in over).not_()
    return failed


class _Shown:
    """Each value a text shows, rendered once (as temporary columns of ``st``) however many
    texts show it: ``names`` gives the expression of each name and whether it is a number
    or text; the bands are constants, one text per tier."""

    def __init__(self, names: dict[str, tuple[pl.Expr, str]], tier: pl.Expr, st: _Stages) -> None:
        self.names, self.tier, self.st = names, tier, st
        self.shown: dict[tuple[str, str], list[pl.Expr]] = {}

    def pieces(self, name: str, spec: str) -> list[pl.Expr]:
        """``{name:spec}`` as pieces of text to concatenate (``missing`` for none)."""
        if (name, spec) in self.shown:
            return self.shown[name, spec]
        key = f"__m{len(self.shown)}_"
        st = self.st
        if name in ("band_min", "band_max"):
            at = 3 if name == "band_min" else 4
            texts = pl.Series([_constant_text(t[at], spec) for t in red.TIERS])
            by_tier = pl.lit(texts).gather(self.tier).fill_null(pl.lit("missing"))
            said = [st.put(3, key + "band", by_tier)]
        elif self.names[name][1] == "text":
            if spec:
                raise ValueError(f"format spec {spec!r} on a text value")
            text = self.names[name][0].fill_null(pl.lit("missing"))
            said = [st.put(3, key + "text", text)]
        else:
            value = self.names[name][0]
            number = _number_pieces(value, spec, st, key) if spec else None
            said = number if number is not None else _default_pieces(value, st, key)
        self.shown[name, spec] = said
        return said


def _messages(shown: _Shown) -> dict[str, pl.Expr]:
    """Each rule's message where it is said (:func:`_said`; null elsewhere), from the
    templates of ``red.MESSAGES``: one ``concat_str`` of literal text and the pieces of
    ``shown``; params are constants."""
    out = {}
    for rule_id, template in red.MESSAGES.items():
        parts: list[pl.Expr] = []
        for literal, name, spec, _ in string.Formatter().parse(template):
            if literal:
                parts.append(pl.lit(literal))
            if name is None:
                continue
            if name in red.PARAMS:
                parts.append(pl.lit(_constant_text(red.PARAMS[name], spec or "")))
            else:
                parts += shown.pieces(name, spec or "")
        out[rule_id] = pl.when(_said(rule_id)).then(pl.concat_str(parts, ignore_nulls=True))
    return out


# -- what it would take to pass -----------------------------------------------------------

#: A need: input ``name`` ``op`` a value (``None`` for ``present``: given at all).
_Need = tuple[str, str, "pl.Expr | None"]
_OP_WORDS = {"<=": "at most", ">=": "at least", "!=": "other than"}
_UNSOLVED = "cannot be solved from the inputs"


def _needs() -> dict[str, list[list[_Need]]]:
    """What each rule of red-default would need to pass, solved by hand from its
    ``require``: the parts of an ``and`` (each that does not hold is needed), each a list
    of alternatives (any one is enough), the others held; a value is null where it cannot
    be computed for the row (a division by a value that is not above zero)."""
    f, total = pl.col("followers"), pl.col("total_likes")
    likes, collects = pl.col("avg_likes"), pl.col("avg_collects")
    comments, views = pl.col("avg_comments"), pl.col("avg_views")
    er = red.MIN_ENGAGEMENT_RATE

    def over(guard: pl.Expr, value: pl.Expr) -> pl.Expr:
        return pl.when(guard).then(value)

    def per_follower(ratio: float) -> list[list[_Need]]:
        return [
            [
                ("total_likes", ">=", over(f > 0, ratio * f)),
                ("followers", "<=", over(total > 0, total / ratio)),
            ]
        ]

    def const(value: float) -> pl.Expr:
        return pl.lit(value, dtype=F64)

    return {
        "tier-known": [],  # the tier is not an input
        "likes-below-followers": per_follower(red.FAKE_LIKES_PER_FOLLOWER),
        "likes-per-follower-low": per_follower(red.MIN_LIKES_PER_FOLLOWER),
        "likes-per-view-band": [
            [
                ("avg_likes", ">=", over(views > 0, red.MIN_LIKES_PER_VIEW * views)),
                ("avg_views", "<=", over(likes > 0, likes / red.MIN_LIKES_PER_VIEW)),
            ],
            [
                ("avg_likes", "<=", over(views > 0, red.MAX_LIKES_PER_VIEW * views)),
                ("avg_views", ">=", over(likes > 0, likes / red.MAX_LIKES_PER_VIEW)),
            ],
        ],
        "few-comments": [
            [
                ("avg_comments", ">=", over(likes > 0, red.MIN_COMMENTS_PER_LIKE * likes)),
                ("avg_likes", "<=", over(comments > 0, comments / red.MIN_COMMENTS_PER_LIKE)),
            ]
        ],
        "engagement-rate-low": [
            [
                (
                    "followers",
                    "<=",
                    over(likes + collects + comments > 0, (likes + collects + comments) / er),
                ),
                ("avg_comments", ">=", over(f > 0, er * f - (likes + collects))),
                ("avg_likes", ">=", over(f > 0, er * f - comments - collects)),
                ("avg_collects", ">=", over(f > 0, er * f - comments - likes)),
            ]
        ],
        "few-posts": [[("posts", ">=", const(red.MIN_POSTS))]],
        "cross-platform-young": [
            [("account_age_days", ">=", const(red.MIN_CROSS_PLATFORM_AGE_DAYS))]
        ],
        "celebrity-endorsement": [[("origin", "!=", pl.lit("celebrity"))]],
        "gifting-candidate": [[("price", "present", None)]],
        "price-outside-usual-range": [
            [("price", ">=", const(red.PAID_PRICE_MIN))],
            [("price", "<=", const(red.PAID_PRICE_MAX))],
        ],
        "price-above-roi-limit": [[("price", "<=", const(red.ROI_PRICE_LIMIT))]],
        "price-above-tier-band": [[("price", "<=", pl.col("band_max"))]],
        "price-below-tier-band": [[("price", ">=", pl.col("band_min"))]],
    }


def _to_pass(base: pl.LazyFrame, ok: pl.Expr) -> pl.LazyFrame:
    """kolrules' ``to_pass`` (``row`` and ``to_pass``, only the rows with some): for each
    rule whose message is said, in the order of the reasons, ``<rule>: <what it would
    take>`` (``followers at most 1,333 (now 1,907) or avg_comments at least 18.21 (now
    1)``; parts joined by "and"; "cannot be solved from the inputs" when nothing can be
    said).

    Written long: one row per need of a failed rule (each rule's failed rows filtered, its
    needs stacked), the needs that are not met worded in one pass (every number by the
    same few expressions, so the query stays quick to plan), then gathered: the
    alternatives of a part, the parts of a rule, the rules of a row. Rendering every need
    on every row instead costs ten times as much."""
    severity = dict(red.RULES)
    ordered = sorted(red.RULE_IDS, key=lambda r: red.SEVERITY_ORDER.index(severity[r]))
    needs = _needs()
    failed, stacked = [], []
    for rank, rule_id in enumerate(ordered):
        rows = base.filter(ok & _said(rule_id))
        failed.append(rows.select("row", pl.lit(rank, dtype=pl.UInt8).alias("rank")))
        for p, part in enumerate(needs[rule_id]):
            for name, op, need_value in part:
                now = pl.col(name)
                text = name == "origin"
                if need_value is None:  # present
                    unmet = now.is_null()
                else:
                    met = getattr(now, {"<=": "__le__", ">=": "__ge__", "!=": "__ne__"}[op])
                    unmet = need_value.is_not_null() & met(need_value).fill_null(False).not_()
                head = f"{name} given" if need_value is None else f"{name} {_OP_WORDS[op]} "
                stacked.append(
                    rows.filter(unmet).select(
                        "row",
                        pl.lit(rank, dtype=pl.UInt8).alias("rank"),
                        pl.lit(p, dtype=pl.UInt8).alias("part"),
                        pl.lit(head).alias("head"),
                        pl.lit(need_value is not None).alias("valued"),
                        (need_value if need_value is not None and not text else pl.lit(None))
                        .cast(F64)
                        .alias("need"),
                        (now if not text else pl.lit(None)).cast(F64).alias("now"),
                        (need_value if text else pl.lit(None)).cast(pl.String).alias("need_text"),
                        (now if text else pl.lit(None)).cast(pl.String).alias("now_text"),
                    )
                )
    st = _Stages()
    shown = {
        key: pl.coalesce(
            pl.col(f"{key}_text"),
            pl.concat_str(_default_pieces(pl.col(key), st, f"__{key}_"), ignore_nulls=True),
        )
        for key in ("need", "now")
    }
    worded = st.add_to(pl.concat(stacked)).select(
        "row",
        "rank",
        "part",
        pl.when(pl.col("valued"))
        .then(
            pl.concat_str(
                pl.col("head"), shown["need"], pl.lit(" (now "), shown["now"], pl.lit(")")
            )
        )
        .otherwise(pl.col("head"))
        .alias("said"),
    )
    parts = worded.group_by("row", "rank", "part", maintain_order=True).agg(
        pl.col("said").str.join(" or ")
    )
    rules = parts.group_by("row", "rank", maintain_order=True).agg(
        pl.col("said").sort_by("part").str.join(" and ")
    )
    names = pl.lit(pl.Series([f"{r}: " for r in ordered]))
    every = (
        pl.concat(failed)
        .join(rules, on=["row", "rank"], how="left")
        .select(
            "row",
            "rank",
            pl.concat_str(names.gather(pl.col("rank")), pl.col("said").fill_null(_UNSOLVED)).alias(
                "to_pass"
            ),
        )
    )
    return every.group_by("row").agg(pl.col("to_pass").sort_by("rank").str.join(red.JOIN))


def _reasons(shown: _Shown, ok: pl.Expr) -> pl.Expr:
    """kolrules' ``reasons`` where ``ok`` (an evaluated row): the data errors, then the
    failed rules' messages, most severe first (ties in rule order) and without those
    another failed rule supersedes; missing when there is none."""
    messages = _messages(shown)
    severity = dict(red.RULES)
    ordered = sorted(red.RULE_IDS, key=lambda r: red.SEVERITY_ORDER.index(severity[r]))
    notes = pl.col("notes")
    text = pl.concat_str(
        [notes, *(messages[r] for r in ordered)], separator=red.JOIN, ignore_nulls=True
    )
    some = pl.any_horizontal(notes.is_not_null(), *(_said(r) for r in red.RULE_IDS))
    return pl.when(ok & some).then(text)


def decisions(profiles: pl.LazyFrame, *, reasons: Reasons = "text") -> pl.LazyFrame:
    """The decisions of a frame of text columns (the benchmark's CSV, read as text)."""
    if reasons not in REASONS:
        raise ValueError(f"reasons must be one of {', '.join(REASONS)}, not {reasons!r}")
    texts = reasons == "text"
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
        read(profiles, notes=texts)
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
            pl.coalesce("median_interactions", "epp").alias("expected"),
        )
        .with_columns(_div(pl.col("price"), pl.col("expected")).alias("cpe"))
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
    tier_label = _labels(TIER_NAMES).gather(tier_c)
    ok = pl.col("error").is_null()
    said = []
    if texts:
        # What a message can read: the fields, the metrics, tier (and the params and bands,
        # constants, in _messages).
        names: dict[str, tuple[pl.Expr, str]] = {
            f: (pl.col(f), "number") for f in red.NUMBER_FIELDS
        }
        names.update(
            likes_per_follower=(lpf, "number"),
            engagement_per_post=(pl.col("epp"), "number"),
            engagement_rate=(er, "number"),
            likes_per_view=(lpv, "number"),
            comments_per_like=(cpl, "number"),
            expected_engagement=(pl.col("expected"), "number"),
            engagement=(pl.col("expected"), "number"),
            cpe=(cpe, "number"),
            origin=(origin, "text"),
            tier=(tier_label.cast(pl.String), "text"),
        )
        st = _Stages()
        said.append(_spreadsheet_safe(_reasons(_Shown(names, tier_c, st), ok)).alias("reasons"))
        said.append(_spreadsheet_safe(pl.col("to_pass")).alias("to_pass"))
        coded = coded.cache()  # read and evaluated once, for the rows and for to_pass
        solved = _to_pass(coded, ok)
        coded = st.add_to(coded).join(solved, on="row", how="left", maintain_order="left")
    return coded.select(
        "row",
        _spreadsheet_safe(pl.col("id")).alias("id"),
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
        *said,
        (ok.not_() | pl.col("data_errors")).alias("has_errors"),
        *(
            outcome_labels.gather(pl.when(ok).then(pl.col(rule_id))).alias(f"rule:{rule_id}")
            for rule_id in red.RULE_IDS
        ),
    )


def _spreadsheet_safe(text: pl.Expr) -> pl.Expr:
    """As kolrules' csv writes a text cell that may hold input: behind a ``'`` when a
    spreadsheet would run it as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or
    carriage return)."""
    risky = text.str.contains(r"^[=+\-@\t\r]").fill_null(False)
    return pl.when(risky).then(pl.concat_str(pl.lit("'"), text)).otherwise(text)


def scan(source: str | Path) -> pl.LazyFrame:
    """The benchmark CSV as text columns."""
    return pl.scan_csv(source, infer_schema=False)


def run(source: str | Path, target: str | Path, *, reasons: Reasons = "text") -> None:
    """Read ``source``, evaluate, write the decisions CSV ``target`` (with the reasons'
    texts, or with ``reasons="none"`` without them): ``sink_csv``, which writes while it
    evaluates (the fastest way measured, at every size)."""
    decisions(scan(source), reasons=reasons).sink_csv(target)


def run_in_memory(source: str | Path, target: str | Path, *, reasons: Reasons = "text") -> None:
    """As :func:`run`, collecting the decisions before writing them."""
    decisions(scan(source), reasons=reasons).collect().write_csv(target)
