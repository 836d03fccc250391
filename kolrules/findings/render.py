"""A message template as one polars expression: batch output renders failed rules'
messages with no Python call per row.

:func:`message_expr` compiles a template such as ``"quote {price:,.0f} RMB is above
{cap:,.0f} RMB"`` into one String expression over a frame whose columns are named like the
template's fields. Each row's text is, to the character, what
:func:`kolrules.evaluate.render` gives for that row's values: params are rendered once
into literals, nulls show as ``missing``, numbers follow ``format_value`` (Python's
``format`` under a spec, the readable default without one).

Exact numbers. Python rounds the exact binary value of a float, half to even. Here a float
scaled by a power of ten is held as ``p + e``, the rounded product and its exact error
(Dekker's two-product, in float arithmetic), and the rounding is decided on that exact
sum: no tie is misjudged (``2.675`` shows as ``2.67`` at two decimals, ``0.125`` as
``0.12``). The resulting integer fits Int64; its digits come from tables of three-digit
groups (``",000"`` to ``",999"``), one lookup a group. ``g`` needs the decimal exponent:
``floor(log10)``, corrected against a table of the smallest doubles at or above each
power of ten.

What polars renders: floats, and integers (which Python turns into floats for these types)
under ``f``, ``F``, ``%``, ``g``, ``G`` with an optional ``,`` or ``_`` and a precision up to
15, and under the default; integers as they are, or under ``d``, ``,`` or ``_``; booleans,
strings and categoricals as they are. The rare value beyond what is exact here (1e15 and
more once rounded; for ``g``, more than 22 decades from its last digit) is rendered by
Python, only that row, within the same expression. Any other spec (fill, align, sign,
width, ``#``, ``e``, ``x``, a spec on a string) or column type gives ``None``: the caller
renders in Python.

The values a field's text is computed from are fields of a struct, added stage by stage
(see :class:`_Stages`). Polars plans the expression again for every query: about 2 ms
for a field under ``f`` or ``%``, 5 to 15 ms under ``g`` or the default; for a few
failed rows, rendering them in Python is quicker.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MAX_DIGITS", "format_value", "message_expr"]

#: The most decimals (``f``, ``%``) or significant digits (``g``) rendered in polars.
MAX_DIGITS = 15
#: Integer parts below this are rendered in polars (five groups of three digits).
_INTEGERS_BELOW = 10**15
#: A product of floats below this is rounded exactly (its error is at most 1/8).
_EXACT_BELOW = 2.0**51
#: Veltkamp's splitter for doubles: 2**27 + 1.
_SPLITTER = 134217729.0
#: Powers of ten are exact doubles up to 10**22.
_MAX_POWER = 22
#: Decimal exponents of doubles lie in -324..308; the tables of exponents reach past both.
_EXPONENTS = 330
_FLOAT_KINDS = frozenset("fF%gG")
_SPEC = re.compile(r"(?P<group>[,_]?)(?:\.(?P<precision>\d+))?(?P<kind>[fF%gGd]?)")


class _Spec(NamedTuple):
    """A format spec rendered here: grouping, precision, type."""

    group: str
    precision: int | None
    kind: str


class _Text(NamedTuple):
    """A number's text for ``|x|`` in pieces: the integer part (Int64, grouped when it is
    written) and the pieces after it. All are null on the rows not shown this way."""

    integer: pl.Expr
    after: list[pl.Expr]


class _Number(NamedTuple):
    """A number's fields: ``|x|``, its sign, where Python renders it, and its text."""

    a: pl.Expr
    negative: pl.Expr
    hard: pl.Expr
    text: _Text


def format_value(value: Any, spec: str = "", missing: str = "missing") -> str:
    """How a value shows in a message: ``missing`` for None (the word of the language
    spoken, :attr:`kolrules.findings.words.Words.missing`), numbers readable (``12,000``,
    ``3.46``, ``0.0123``) unless the template gives a format spec. The one definition:
    :func:`message_expr` writes the same text in polars, and :mod:`kolrules.evaluate`
    renders with it on the one-profile path."""
    if value is None:
        return missing
    if isinstance(value, float):  # the common case first (a bool is not a float)
        if spec:
            return format(value, spec)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(value, spec) if spec else str(value)


def message_expr(
    template: str,
    params: Mapping[str, Any],
    dtypes: Mapping[str, pl.DataType],
    missing: str = "missing",
) -> pl.Expr | None:
    """The text of ``template`` for every row, as one String expression.

    A field found in ``params`` is that constant (params shadow columns, as in batch
    rendering); any other field is the column of that name, of type ``dtypes[name]``,
    shown as ``missing`` where it is null. ``None`` when a field is neither, or when a
    spec or a column type cannot be rendered here: the caller then renders in Python.
    """
    import polars as pl

    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    parts: list[str | _Stages] = []
    for literal, field, spec, _ in parsed:
        parts.append(literal)
        if field is None:
            continue
        piece: str | _Stages | None
        if field in params:
            piece = _param_text(params[field], spec or "", missing)
        elif field in dtypes:
            piece = _column_text(field, dtypes[field], spec or "", missing)
        else:
            piece = None
        if piece is None:
            return None
        parts.append(piece)
    merged = _merged(parts)
    columns = [p for p in merged if isinstance(p, _Stages)]
    if not columns:
        return pl.lit("".join(p for p in merged if isinstance(p, str)), dtype=pl.String)
    if len(columns) == 1:  # the literal texts join the one column's pieces
        pieces = [p for m in merged for p in (m.pieces if isinstance(m, _Stages) else [m])]
        return columns[0].result(pieces)
    return pl.concat_str(
        [p.result(p.pieces) if isinstance(p, _Stages) else pl.lit(p) for p in merged],
        ignore_nulls=True,
    )


def _param_text(value: Any, spec: str, missing: str) -> str | None:
    """A param's text, rendered once (``None`` where Python cannot render it)."""
    try:
        return format_value(value, spec if value is not None else "", missing)
    except (ValueError, TypeError, OverflowError):
        return None


def _merged(parts: list[str | _Stages]) -> list[str | _Stages]:
    """Adjacent literal texts as one; empty ones dropped."""
    merged: list[str | _Stages] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += part
                continue
        merged.append(part)
    return merged


class _Stages:
    """One column's text: the values it is computed from, as fields of a struct added
    stage by stage (``struct.with_fields``) and read back by name (``pl.field``), and the
    pieces of the text (null pieces are left out). A polars expression is a tree: a value
    used in several places would otherwise be copied into each, level upon level, until the
    expression no longer fits in memory. Polars plans a struct of many fields slowly, so
    a stage's values take the names of fields no longer read."""

    def __init__(self, column: str) -> None:
        import polars as pl

        self.expr = pl.struct(pl.col(column).alias("value"))
        self.value = pl.field("value")
        self.pieces: list[pl.Expr] = []
        self._names: dict[int, str] = {}  # of the fields handed out, by id
        self._free: list[str] = []
        self._count = 0

    def add(self, *values: pl.Expr, done: tuple[pl.Expr, ...] = ()) -> tuple[pl.Expr, ...]:
        """Compute ``values`` as fields of a new stage; return the fields. ``done``: fields
        that neither this stage nor any later one reads again (this stage reads the old
        values even where its own take their names)."""
        import polars as pl

        self._free.extend(self._names.pop(id(field)) for field in done)
        names = [self._free.pop() if self._free else self._new() for _ in values]
        self.expr = self.expr.struct.with_fields(
            [v.alias(n) for v, n in zip(values, names, strict=True)]
        )
        fields = tuple(pl.field(n) for n in names)
        self._names.update((id(field), name) for field, name in zip(fields, names, strict=True))
        return fields

    def _new(self) -> str:
        self._count += 1
        return f"_{self._count}"

    def result(self, pieces: Sequence[pl.Expr | str]) -> pl.Expr:
        """``pieces`` (expressions of the fields, and texts) joined, nulls left out."""
        import polars as pl

        text = pl.concat_str(
            [pl.lit(p, dtype=pl.String) if isinstance(p, str) else p for p in pieces],
            ignore_nulls=True,
        )
        return self.expr.struct.with_fields(text.alias("text")).struct.field("text")


def _parse(spec: str) -> _Spec | None:
    found = _SPEC.fullmatch(spec)
    if found is None:
        return None
    precision = found["precision"]
    return _Spec(found["group"], None if precision is None else int(precision), found["kind"])


def _column_text(name: str, dtype: pl.DataType, spec: str, missing: str) -> _Stages | None:
    """The pieces of a column's text, ``missing`` where it is null; ``None`` when this
    module does not render it."""
    stages = _Stages(name)
    pieces = _column_pieces(stages, dtype, spec, missing)
    if pieces is None:
        return None
    stages.pieces = pieces
    return stages


def _column_pieces(
    stages: _Stages, dtype: pl.DataType, spec: str, missing: str
) -> list[pl.Expr] | None:
    import polars as pl

    value = stages.value
    if dtype == pl.Null:
        return [pl.lit(missing, dtype=pl.String)]  # null throughout: the spec never applies
    if dtype == pl.Boolean:
        return [_lookup(("false", "true", missing), value.cast(pl.Int64).fill_null(2))]
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        return None if spec else [value.cast(pl.String).fill_null(missing)]
    parsed = _parse(spec) if spec else None
    if spec and parsed is None:
        return None
    if dtype.is_integer():
        if parsed is None or parsed.kind in ("", "d"):
            return _integer_pieces(stages, parsed, spec, missing)
    elif not dtype.is_float():
        return None
    if parsed is not None and not _float_spec_ok(parsed):
        return None
    return _float_pieces(stages, parsed, spec, missing)


def _float_spec_ok(spec: _Spec) -> bool:
    return spec.kind in _FLOAT_KINDS and (spec.precision or 0) <= MAX_DIGITS


def _integer_pieces(
    stages: _Stages, spec: _Spec | None, source: str, word: str
) -> list[pl.Expr] | None:
    """An integer as Python shows it: ``str`` without a spec, else grouped digits;
    ``word`` where it is null."""
    import polars as pl

    value = stages.value
    missing = pl.when(value.is_null()).then(pl.lit(word))
    if spec is not None and spec.precision is not None:
        return None  # Python refuses a precision for integers
    if spec is None or not spec.group:
        return [missing, value.cast(pl.String)]
    big = (value >= _INTEGERS_BELOW) | (value <= -_INTEGERS_BELOW)
    integer, negative, hard = stages.add(
        pl.when(big.not_()).then(value).cast(pl.Int64).abs(), value < 0, big
    )
    digits = _integer_text(stages, integer, negative, spec.group)
    return [missing, _python_rows(value, hard, source), *digits]


def _float_pieces(stages: _Stages, spec: _Spec | None, source: str, missing: str) -> list[pl.Expr]:
    """A number under a float spec (``None``: the default) in pieces: nan, inf and
    ``missing`` from a table, the rows polars leaves from Python, the others' digits."""
    import polars as pl

    value = stages.value
    percent = spec is not None and spec.kind == "%"
    x = value.cast(pl.Float64) * 100.0 if percent else value.cast(pl.Float64)
    # Under a spec the sign bit shows (-0.0 is "-0"); the default shows int(-0.0) as "0".
    negative = x < 0 if spec is None else x.reinterpret(dtype=pl.Int64) < 0
    suffix = "%" if percent else ""
    if spec is None:
        number = _default_number(stages, x, negative)
        group = ","
    elif spec.kind in "gG":
        digits = 6 if spec.precision is None else max(spec.precision, 1)
        letter = "E" if spec.kind == "G" else "e"
        number = _g_number(stages, x, negative, digits, letter)
        group = spec.group
    else:
        decimals = 6 if spec.precision is None else spec.precision
        number = _f_number(stages, x, negative, decimals, suffix)
        group = spec.group
    a, negative, hard, text = number
    nan, inf = ("NAN", "INF") if spec is not None and spec.kind in "FG" else ("nan", "inf")
    special = (
        pl.when(value.is_null())
        .then(0)
        .when(a.is_nan())
        .then(1)
        .when(a.is_infinite())
        .then(pl.when(negative).then(3).otherwise(2))
    )
    pieces = [
        _lookup((missing, nan + suffix, inf + suffix, f"-{inf}{suffix}"), special),
        _python_rows(value, hard, source),
        *_integer_text(stages, text.integer, negative, group),
        *text.after,
    ]
    if suffix and not text.after:
        pieces.append(pl.when(text.integer.is_not_null()).then(pl.lit(suffix)))
    return pieces


def _shown(
    stages: _Stages, a: pl.Expr, hard: pl.Expr, *values: pl.Expr, done: tuple[pl.Expr, ...] = ()
) -> tuple[pl.Expr, ...]:
    """A stage: where a finite ``a`` is ``hard`` (rendered by Python), and ``values`` where
    ``a`` is rendered here (null elsewhere, so that all text made from them is left out)."""
    import polars as pl

    hard = hard & a.is_finite()
    shown = a.is_finite() & hard.not_()
    return stages.add(hard, *(pl.when(shown).then(v) for v in values), done=done)


def _python_rows(value: pl.Expr, hard: pl.Expr, spec: str) -> pl.Expr:
    """The text Python gives on the rows where ``hard`` holds (null elsewhere): one call
    per such row, none for the others."""
    import polars as pl

    def run(batch: pl.Series) -> pl.Series:
        out = pl.repeat(None, batch.len(), dtype=pl.String, eager=True)
        at = batch.struct.field("hard").arg_true()
        if at.len():
            values = batch.struct.field("value").gather(at).to_list()
            out = out.scatter(at, [format_value(v, spec) for v in values])
        return out

    both = pl.struct(value.alias("value"), hard.fill_null(False).alias("hard"))
    return both.map_batches(run, return_dtype=pl.String, is_elementwise=True)


def _integer_text(
    stages: _Stages, integer: pl.Expr, negative: pl.Expr, group: str
) -> list[pl.Expr]:
    """The sign and digits of ``integer`` (not negative, below 1e15; null shows nothing),
    ``group`` between groups of three digits, if given."""
    import polars as pl

    if not group:
        return [
            pl.when(negative & integer.is_not_null()).then(pl.lit("-")),
            integer.cast(pl.String),
        ]
    # Group k of the digits, as an index into the table: the leading group unpadded (with
    # the sign, if any), the others ",ddd"; null above the leading group.
    at = []
    for k in range(4, -1, -1):
        low, high = 10 ** (3 * k), 10 ** (3 * k + 3)
        kind = pl.when(integer >= high).then(1000).when(negative).then(2000).otherwise(0)
        index = (integer // low) % 1000 + kind
        at.append(pl.when(integer >= low).then(index) if k else index)
    return [_lookup(_group_table(group), index) for index in stages.add(*at)]


def _decimal_digits(
    fraction: pl.Expr, decimals: int, *, strip: bool = False, suffix: str = ""
) -> pl.Expr:
    """``"." + fraction`` zero-padded to ``decimals`` digits, three digits a lookup, then
    ``suffix``; with ``strip``, less trailing zeros and the point if nothing is left."""
    import polars as pl

    chunks: list[pl.Expr] = []
    for start in range(0, decimals, 3):
        width = min(3, decimals - start)
        chunk = (fraction // 10 ** (decimals - start - width)) % 10**width
        end = suffix if start + width == decimals else ""
        table = _digit_table(width, point=start == 0, strip=strip, suffix=end)
        chunks.append(_lookup(table, chunk))
    return chunks[0] if len(chunks) == 1 else pl.concat_str(chunks)


# -- numbers -------------------------------------------------------------------------------


def _f_number(
    stages: _Stages, x: pl.Expr, negative: pl.Expr, decimals: int, suffix: str
) -> _Number:
    """``x`` as ``format(x, f".{decimals}f")`` (``suffix`` after any decimals); Python
    renders it where the rounded value is 1e15 or more, or too large to round exactly."""
    scale = 10**decimals
    a, negative = stages.add(x.abs(), negative)
    product = stages.add(*_scaled(a, decimals)) if decimals else ()
    limit = _EXACT_BELOW if decimals else _INTEGERS_BELOW - 0.5
    hard = (a * float(scale) < limit).not_()
    hard, rounded = _shown(stages, a, hard, _rounded_scaled(a, *product))
    after = [_decimal_digits(rounded % scale, decimals, suffix=suffix)] if decimals else []
    return _Number(a, negative, hard, _Text(rounded // scale, after))


def _g_number(stages: _Stages, x: pl.Expr, negative: pl.Expr, digits: int, letter: str) -> _Number:
    """``x`` as Python's ``g`` to ``digits`` significant digits; Python renders it where
    that is more than 22 decades from its last digit."""
    a, negative, safe, guess = stages.add(x.abs(), negative, *_g_start(x.abs()))
    exponent, power = stages.add(*_g_scale(safe, guess, digits), done=(guess,))
    up, exact = _g_shift(exponent, digits)
    rounded, used = _round_shifted(stages, safe, power, up)
    hard, rounded, exponent = _shown(
        stages,
        a,
        (a > 0) & exact.not_(),
        *_g_carry(a, rounded, exponent, digits),
        done=(rounded, exponent, safe, power, *used),
    )
    return _Number(a, negative, hard, _g_pieces(stages, rounded, exponent, digits, letter))


def _default_number(stages: _Stages, x: pl.Expr, negative: pl.Expr) -> _Number:
    """``x`` as ``format_value``'s default: whole numbers below 1e15 and anything from 100
    as ``,.0f``; from 1 as ``,.2f`` less trailing zeros; below 1 as ``.3g``."""
    import polars as pl

    whole = ((x.abs() == x.abs().floor()) & (x.abs() < 1e15)) | (x.abs() >= 100)
    a, negative, whole, units, safe, guess = stages.add(
        x.abs(), negative, whole, x.abs() >= 1, *_g_start(x.abs())
    )
    exponent, power, *product = stages.add(*_g_scale(safe, guess, 3), *_scaled(a, 2), done=(guess,))
    up, exact = _g_shift(exponent, 3)
    rounded, used = _round_shifted(stages, safe, power, up)
    small, small_exponent = _g_carry(a, rounded, exponent, 3)
    hard = (
        pl.when(whole)
        .then((a < _INTEGERS_BELOW - 0.5).not_())
        .when(units)
        .then(False)
        .otherwise((a > 0) & exact.not_())
    )
    below_one = units.not_()
    hard, ones, hundredths, small, exponent = _shown(
        stages,
        a,
        hard,
        pl.when(whole).then(_rounded_scaled(a)),
        pl.when(whole.not_() & units).then(_rounded_scaled(a, *product)),
        pl.when(below_one).then(small),
        pl.when(below_one).then(small_exponent),
        done=(rounded, exponent, whole, units, safe, power, *used, *product),
    )
    other = pl.coalesce(ones, hundredths // 100)
    small_text = _g_pieces(stages, small, exponent, 3, "e", other=other, done=(ones,))
    hundredths_text = _decimal_digits(hundredths % 100, 2, strip=True)
    return _Number(
        a, negative, hard, _Text(small_text.integer, [hundredths_text, *small_text.after])
    )


def _g_start(a: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``a`` where it is positive and finite (else 1), and ``floor(log10)`` of that."""
    import polars as pl

    safe = pl.when((a > 0) & a.is_finite()).then(a).otherwise(pl.lit(1.0))
    return safe, safe.log10().floor().cast(pl.Int64)


def _g_scale(a: pl.Expr, guess: pl.Expr, digits: int) -> tuple[pl.Expr, pl.Expr]:
    """For ``a`` (positive, finite) and ``guess``, its ``floor(log10)``: the exact decimal
    exponent (``guess`` corrected where ``log10`` rounds across a power of ten), and the
    power of ten that scales ``a`` to ``digits`` digits before the point (multiplying or
    dividing, see :func:`_g_shift`; any power where that is not exact)."""
    import polars as pl

    at_least = _lookup(_power_floors(), guess + _EXPONENTS)
    above = _lookup(_power_floors(), guess + (_EXPONENTS + 1))
    exponent = guess - (a < at_least).cast(pl.Int64) + (a >= above).cast(pl.Int64)
    shift = (digits - 1 - exponent).abs().clip(0, _MAX_POWER)
    return exponent, _lookup(_float_powers(), shift)


def _g_shift(exponent: pl.Expr, digits: int) -> tuple[pl.Expr, pl.Expr]:
    """Whether the power of :func:`_g_scale` multiplies (else it divides), and whether it
    is exact (at most 10**22)."""
    shift = digits - 1 - exponent
    return shift >= 0, shift.is_between(-_MAX_POWER, _MAX_POWER)


def _g_carry(
    a: pl.Expr, rounded: pl.Expr, exponent: pl.Expr, digits: int
) -> tuple[pl.Expr, pl.Expr]:
    """The digits and exponent after a carry (9.9996 to four digits is 10.00: ``1000``,
    one decade up); ``0`` and ``0`` for zero."""
    import polars as pl

    carry = rounded == 10**digits
    return (
        pl.when(a == 0).then(0).when(carry).then(10 ** (digits - 1)).otherwise(rounded),
        pl.when(a == 0).then(0).otherwise(exponent + carry.cast(pl.Int64)),
    )


def _g_pieces(
    stages: _Stages,
    rounded: pl.Expr,
    exponent: pl.Expr,
    digits: int,
    letter: str,
    *,
    other: pl.Expr | None = None,
    done: tuple[pl.Expr, ...] = (),
) -> _Text:
    """The text of ``rounded`` (``digits`` digits) times 10**(exponent - digits + 1) as
    ``g`` writes it: fixed notation when -4 <= exponent < digits (``0.000123``,
    ``123.45``), else scientific (``1.2345e+06``); trailing zeros dropped. The integer
    part is ``other`` where that is not null."""
    import polars as pl

    fixed = exponent.is_between(-4, digits - 1)
    decimals = pl.when(fixed).then(digits - 1 - exponent).otherwise(digits - 1)
    integer = rounded // _lookup(_int_powers(), decimals)
    integer, start, zeros, power, significant = stages.add(
        integer if other is None else pl.coalesce(other, integer),
        pl.when(fixed & (exponent >= 0)).then(exponent + 1).when(fixed).then(0).otherwise(1),
        pl.when(fixed & (exponent < 0)).then(-1 - exponent).otherwise(0),
        pl.when(fixed.not_() & rounded.is_not_null()).then(exponent + _EXPONENTS),
        rounded.cast(pl.String).str.strip_chars_end("0"),
        done=(rounded, exponent, *done),
    )
    # After the point: the significant digits past the integer part, if any.
    point = pl.when(significant.str.len_bytes() > start).then(zeros)
    return _Text(
        integer,
        [
            _lookup((".", ".0", ".00", ".000"), point),
            significant.str.slice(start),
            _lookup(_exponent_table(letter), power),
        ],
    )


# -- exact rounding ----------------------------------------------------------------------


def _split(a: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Veltkamp's split: ``a == high + low``, each with at most 26 significant bits."""
    c = a * _SPLITTER
    high = c - (c - a)
    return high, a - high


def _split_float(b: float) -> tuple[float, float]:
    c = b * _SPLITTER
    high = c - (c - b)
    return high, b - high


def _product_error(a: pl.Expr, b: float, b_high: float, b_low: float) -> tuple[pl.Expr, pl.Expr]:
    """Dekker's two-product: ``(p, e)``, ``p`` the rounded ``a * b`` and ``a * b == p + e``
    exactly (barring overflow and underflow)."""
    p = a * b
    return p, _product_tail(p, *_split(a), b_high, b_low)


def _product_tail(
    p: pl.Expr, a_high: pl.Expr, a_low: pl.Expr, b_high: pl.Expr | float, b_low: pl.Expr | float
) -> pl.Expr:
    """The exact error of ``p``, the rounded product of ``a`` and ``b`` (given split)."""
    err = (p - a_high * b_high) - a_low * b_high
    if isinstance(b_low, float) and b_low == 0:  # b has at most 26 bits: no low half
        return -err
    return a_low * b_low - (err - a_high * b_low)


def _rounded(floor: pl.Expr, above_half: pl.Expr) -> pl.Expr:
    """``floor`` plus one where the exact value is above ``floor + 0.5`` (``above_half``
    positive), or on it and ``floor`` is odd: half to even."""
    import polars as pl

    base = floor.cast(pl.Int64, strict=False)
    up = above_half.sign() + (base % 2).cast(pl.Float64) > 0
    return base + up.cast(pl.Int64)


def _scaled(a: pl.Expr, decimals: int) -> tuple[pl.Expr, ...]:
    """``a * 10**decimals`` and its exact error, to be a stage (nothing for no decimals)."""
    if decimals == 0:
        return ()
    scale = 10.0**decimals
    return _product_error(a, scale, *_split_float(scale))


def _rounded_scaled(a: pl.Expr, *product: pl.Expr) -> pl.Expr:
    """``a`` rounded half to even (Int64), or the product of :func:`_scaled` if given;
    exact where the product is below 2**51."""
    if not product:
        return _rounded(a.floor(), a - (a.floor() + 0.5))
    p, e = product
    return _rounded(p.floor(), (p - (p.floor() + 0.5)) + e)


def _round_shifted(
    stages: _Stages, a: pl.Expr, power: pl.Expr, up: pl.Expr
) -> tuple[pl.Expr, tuple[pl.Expr, ...]]:
    """A stage: ``a * power`` (``up``) or ``a / power`` rounded half to even (Int64),
    ``power`` an exact power of ten; exact where the result is below 2**51. A quotient's
    floor is checked by multiplying back: ``a`` against ``(floor + 0.5) * power``. Also
    the fields only this stage reads."""
    import polars as pl

    floor, power_high, power_low = stages.add(
        pl.when(up).then(a * power).otherwise(a / power).floor(), *_split(power)
    )
    half = floor + 0.5
    factor = pl.when(up).then(a).otherwise(half)
    p, high, low = stages.add(factor * power, *_split(factor))
    e = _product_tail(p, high, low, power_high, power_low)  # factor * power == p + e
    target = pl.when(up).then(half).otherwise(a)
    above_half = ((p - target) + e) * pl.when(up).then(1.0).otherwise(-1.0)
    (rounded,) = stages.add(_rounded(floor, above_half))
    return rounded, (floor, power_high, power_low, p, high, low)


# -- tables ------------------------------------------------------------------------------


def _lookup(table: tuple[float, ...] | tuple[int, ...] | tuple[str, ...], at: pl.Expr) -> pl.Expr:
    """``table[at]`` per row (null where ``at`` is null)."""
    import polars as pl

    return pl.lit(pl.Series(values=table)).gather(at)


@cache
def _group_table(group: str) -> tuple[str, ...]:
    """At ``k``: ``k``; at ``1000 + k``: ``group`` and ``k`` in three digits; at ``2000 +
    k``: ``-k``."""
    return (
        *(str(k) for k in range(1000)),
        *(f"{group}{k:03d}" for k in range(1000)),
        *(f"-{k}" for k in range(1000)),
    )


@cache
def _digit_table(width: int, *, point: bool, strip: bool, suffix: str) -> tuple[str, ...]:
    """At ``k``: ``k`` in ``width`` digits, after a point if ``point``, less trailing zeros
    (and a bare point) if ``strip``, then ``suffix``."""
    texts = [("." if point else "") + str(k).zfill(width) for k in range(10**width)]
    if strip:
        texts = [t.rstrip("0").rstrip(".") for t in texts]
    return tuple(t + suffix for t in texts)


@cache
def _exponent_table(letter: str) -> tuple[str, ...]:
    """At ``k + 330``: the exponent ``k`` as ``g`` writes it (``e+06``, ``e-324``)."""
    return tuple(f"{letter}{k:+03d}" for k in range(-_EXPONENTS, _EXPONENTS + 1))


@cache
def _float_powers() -> tuple[float, ...]:
    return tuple(10.0**k for k in range(_MAX_POWER + 1))


@cache
def _int_powers() -> tuple[int, ...]:
    return tuple(10**k for k in range(19))


@cache
def _power_floors() -> tuple[float, ...]:
    """At ``k + 330``: the smallest double at or above 10**k, so that ``a >= 10**k``
    exactly when ``a`` is at least that double."""
    return tuple(_at_or_above(Fraction(10) ** k) for k in range(-_EXPONENTS, _EXPONENTS + 1))


def _at_or_above(exact: Fraction) -> float:
    try:
        nearest = float(exact)
    except OverflowError:
        return math.inf
    return nearest if Fraction(nearest) >= exact else math.nextafter(nearest, math.inf)
