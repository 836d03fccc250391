"""Normalise raw rows into canonical profile fields: the "normalise" step.

Raw rows come from a reader (text cells, Chinese headers, numbers as exports write them)
or from a caller (a mapping, a DataFrame). A :class:`Schema`, built from the platform and
the ruleset, says which fields exist, which header spellings mean them and how to read
numbers (``1.2万`` = 12000, ``10万+`` = 100001, ``¥8,000`` = 8000).

There are two implementations of the same rules: :func:`normalise_row` for one mapping and
:func:`normalise_frame` for a polars DataFrame, with no Python loop over rows (only over
the rows that have problems, to report them). Tests check that they agree.

What happens to a bad cell:

- ``id`` empty, a duplicate ``id``, a ``platform`` cell naming another platform, or an
  unreadable or negative ``followers``: the row is not evaluated; it becomes a
  :class:`~kolrules.types.RowError` with its row number and the reasons.
- any other unreadable cell (not a number, a negative count, an unknown ``origin``): the
  field is treated as missing and the problem is kept as a
  :class:`~kolrules.types.DataError` on the decision. In strict mode it is a row error.
- a cell of a field longer than :data:`MAX_CELL` characters: a row error, whatever the
  field (the value shown is cut short).

What is missing, in every field, number or text, on both paths alike: ``None``, a float
NaN given by a caller (pandas' empty cell), and a cell that is empty once the Unicode
white space around it (:data:`SPACE`) is stripped or that is one of the platform's
missing markers (``[numbers] missing``; no marker is added to the platform's list).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.errors import InputFileError
from kolrules.types import CANONICAL_FIELDS, COUNT_FIELDS, ORIGINS, DataError, FieldType, Platform

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "BAD",
    "MAX_CELL",
    "ROW",
    "SHOWN_CHARS",
    "SPACE",
    "Schema",
    "SeenIds",
    "claimed_twice",
    "match_columns",
    "normalise_frame",
    "normalise_row",
    "parse_number",
    "read_headers",
]

#: Name of the 1-based input row number column in normalised frames.
ROW = "__row"
#: Name of the "this row has data errors" column in normalised frames.
HAS_DATA_ERRORS = "__data_errors"
#: Name of the "this row cannot be evaluated" column in :attr:`NormalisedFrame.rows`.
BAD = "__bad"
#: The characters stripped from both ends of a cell, and dropped inside a number: Unicode's
#: White_Space, which is what polars' ``strip_chars()`` strips. Python's ``str.strip()``
#: also strips U+001C..U+001F, so the one-profile path strips exactly these instead
#: (tests/test_hostile_limits.py checks that the two sets are the same).
SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: The most characters a cell of a field may hold: Excel's limit for one cell, so that any
#: export a spreadsheet can hold is read. A longer cell makes its row a row error; it used
#: to be carried through evaluation and into every message that quotes it.
MAX_CELL = 32_767
_BIG = sys.float_info.max
#: How many characters of a too-long cell its row error shows.
SHOWN_CHARS = 40
# Both regex engines (Python's and polars') read \uXXXX in a character class.
_SPACE_CLASS = "".join(f"\\u{ord(c):04x}" for c in SPACE)
_CLEAN = rf"[,，¥￥{_SPACE_CLASS}]|(?i:rmb)|元"
# ASCII digits only: Python would read full-width digits (１２) but polars would not.
_PLAIN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
NEGATIVE = "negative, must be 0 or more"
NOT_TEXT = "an integer too long to write as text"
#: The reason of a too-long cell in the frame path until its length is put in.
_TOO_LONG = "too long"


def _header_key(text: str) -> str:
    return text.replace("\ufeff", "").strip().casefold()


@attrs.frozen
class Schema:
    """What normalisation needs to know: built by the engine from platform and ruleset."""

    platform: Platform
    fields: Mapping[str, FieldType]
    aliases: Mapping[str, tuple[str, ...]]
    strict: bool = False
    missing: frozenset[str] = attrs.field(init=False)
    units_re: str = attrs.field(init=False)
    origins: Mapping[str, str] = attrs.field(init=False)
    non_negative: frozenset[str] = attrs.field(init=False)
    #: Which key of a mapping holds each field, by the mapping's keys (filled as mappings
    #: with new sets of keys are normalised; see :func:`normalise_row`).
    _layouts: dict[tuple[Any, ...], tuple[tuple[str, Any], ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )
    _quick: dict[tuple[Any, ...], Any] = attrs.field(init=False, factory=dict, eq=False, repr=False)
    _exprs: dict[tuple[Any, ...], Any] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    @missing.default
    def _missing(self) -> frozenset[str]:
        return frozenset({""}) | frozenset(self.platform.missing)

    @units_re.default
    def _units_re(self) -> str:
        units = sorted(self.platform.units, key=len, reverse=True)
        alt = "|".join(re.escape(u) for u in units) if units else r"[^\s\S]"
        return rf"^([+-]?)([0-9]+)(?:\.([0-9]+))?({alt})?(\+)?$"

    @origins.default
    def _origins(self) -> Mapping[str, str]:
        table = {o.casefold(): o for o in ORIGINS}
        table.update({k.strip().casefold(): v for k, v in self.platform.origins.items()})
        return table

    @non_negative.default
    def _non_negative(self) -> frozenset[str]:
        return frozenset(COUNT_FIELDS) | frozenset(self.platform.non_negative)

    @classmethod
    def build(
        cls,
        platform: Platform,
        extra_fields: Mapping[str, FieldType] | None = None,
        extra_columns: Mapping[str, Sequence[str]] | None = None,
        *,
        strict: bool = False,
    ) -> Schema:
        """Fields: canonical, then the platform's, then the ruleset's ``[fields]``.
        Header spellings: the field's own name, the platform's, the ruleset's ``[columns]``."""
        fields: dict[str, FieldType] = dict(CANONICAL_FIELDS)
        fields.update(platform.fields)
        fields.update(extra_fields or {})
        aliases: dict[str, tuple[str, ...]] = {}
        for name in fields:
            extra = (extra_columns or {}).get(name, ())
            spellings = [name, *platform.columns.get(name, ()), *extra]
            aliases[name] = tuple(dict.fromkeys(spellings))
        return cls(platform, fields, aliases, strict)


def claimed_twice(schema: Schema) -> list[tuple[str, str, str]]:
    """Header spellings that two fields claim (case and BOM aside), as (spelling, the
    field that claimed it first, the other field): a header belongs to one field only."""
    owner: dict[str, str] = {}
    found: list[tuple[str, str, str]] = []
    for field, spellings in schema.aliases.items():
        for spelling in spellings:
            first = owner.setdefault(_header_key(spelling), field)
            if first != field:
                found.append((spelling, first, field))
    return found


def match_columns(
    headers: Sequence[str], schema: Schema, *, required: bool = True
) -> dict[str, str]:
    """Map each field to the header that holds it. Raises :class:`InputFileError` when a
    required column is missing (naming the spellings tried; not when ``required`` is
    false) or two headers mean one field."""
    by_key: dict[str, list[str]] = {}
    for h in headers:  # all of them: 'Fans' and 'fans' are two headers meaning one field
        by_key.setdefault(_header_key(h), []).append(h)
    found: dict[str, str] = {}
    for field, spellings in schema.aliases.items():
        keys = dict.fromkeys(_header_key(s) for s in spellings)
        hits = [h for k in keys for h in by_key.get(k, ())]
        if len(hits) > 1:
            raise InputFileError(
                f"columns {' and '.join(repr(h) for h in hits)} both mean {field!r}; "
                "remove or rename all but one"
            )
        if hits:
            found[field] = hits[0]
    for field in schema.platform.required if required else ():
        if field not in found:
            tried = ", ".join(repr(s) for s in schema.aliases[field])
            raise InputFileError(
                f"no {field!r} column: tried {tried} (case does not matter); "
                f"the file has {', '.join(repr(h) for h in headers) or 'no columns'}. "
                f"Rename the column, or add its spelling to the ruleset's [columns] {field}"
            )
    return found


# -- one row ----------------------------------------------------------------------------


def parse_number(text: str, schema: Schema) -> float | None:
    """Read one cell as a number, or ``None`` when it means "no value".

    Raises ``ValueError`` with the reason when the text is not a number.
    """
    s = text.strip(SPACE)
    if s in schema.missing:
        return None
    s = re.sub(_CLEAN, "", s)
    if re.match(_PLAIN, s):
        value = float(s)
    else:
        m = re.match(schema.units_re, s)
        if m is None:
            raise ValueError(NOT_A_NUMBER)
        sign, ip, fp, unit, plus = m.groups()
        mult = schema.platform.units[unit] if unit else 1.0
        digits = float(ip + (fp or ""))  # 1.2万 = 12 * 10000 / 10: exact, unlike 0.2 * 10000
        scale = float("1" + "0" * len(fp or ""))
        scaled = digits * mult / scale if mult >= 1 else digits / (scale / mult)
        adds = schema.platform.plus_adds if plus else 0.0
        value = (-1.0 if sign == "-" else 1.0) * scaled + adds
    if not math.isfinite(value):
        raise ValueError(NOT_FINITE)
    return value


def _read_value(field: str, raw: Any, schema: Schema) -> Any:
    """The normalised value of one cell; raises ``ValueError`` with the reason."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None  # a NaN object is pandas' empty cell; the text "nan" is not this
    if schema.fields[field] == "number":
        if isinstance(raw, bool):
            raise ValueError(NOT_A_NUMBER)
        if isinstance(raw, int | float):
            try:
                number = float(raw)
            except OverflowError:  # an int beyond the largest float
                raise ValueError(NOT_FINITE) from None
            if not math.isfinite(number):
                raise ValueError(NOT_FINITE)
            value: float | None = number
        else:
            value = parse_number(str(raw), schema)
        if value is not None and value < 0 and field in schema.non_negative:
            raise ValueError(NEGATIVE)
        return value
    text = _text(raw).strip(SPACE)
    if text in schema.missing:
        return None
    if field == "origin":
        origin = schema.origins.get(text.casefold())
        if origin is None:
            raise ValueError(f"unknown origin; expected one of {', '.join(ORIGINS)}")
        return origin
    if field == "platform":
        return text.casefold()
    return text


def _text(raw: Any) -> str:
    """``raw`` as text; ``ValueError`` for an integer too long to write (Python refuses
    more than 4,300 digits)."""
    try:
        return str(raw)
    except ValueError:
        raise ValueError(NOT_TEXT) from None


def too_long_reason(length: int) -> str:
    """The reason of a cell of ``length`` characters, over :data:`MAX_CELL`."""
    return (
        f"{length:,} characters long, over the limit of {MAX_CELL:,} for one cell; shorten "
        "it, or rename its column if kolrules should not read it"
    )


def shown(cell: Any) -> str:
    """A cell as a data error shows it: as written, cut to :data:`SHOWN_CHARS` characters
    and ``…`` when longer than :data:`MAX_CELL`."""
    try:
        text = str(cell)
    except ValueError:  # an integer too long to write
        return f"<an integer of {cell.bit_length()} bits>"
    return text if len(text) <= MAX_CELL else text[:SHOWN_CHARS] + "…"


@attrs.frozen
class NormalisedRow:
    """One row's canonical values, or the row error that stops it."""

    values: dict[str, Any]
    data_errors: tuple[DataError, ...]
    row_errors: tuple[DataError, ...]
    id_column: str = "id"


def _platform_ok(value: Any, schema: Schema) -> bool:
    return value is None or value in {n.casefold() for n in schema.platform.names()}


def _platform_error(header: str, raw: Any, schema: Schema) -> DataError:
    p = schema.platform
    return DataError(header, str(raw), f"not platform {p.name!r}; use a ruleset for that platform")


def _layout(raw: Mapping[str, Any], schema: Schema) -> tuple[tuple[str, Any], ...]:
    """``(field, key)`` for every field of the schema, in field order: the key of ``raw``
    that holds the field (any spelling the schema knows), or ``None``. Cached by the tuple
    of ``raw``'s keys, so a caller sending profiles of one shape matches headers once."""
    shape = tuple(raw)
    found = schema._layouts.get(shape)
    if found is None:
        keys = {_header_key(str(k)): k for k in raw}
        found = tuple(
            (field, next((keys[k] for s in spellings if (k := _header_key(s)) in keys), None))
            for field, spellings in schema.aliases.items()
        )
        if len(schema._layouts) < 64:
            schema._layouts[shape] = found
    return found


def _quick_reader(
    layout: tuple[tuple[str, Any], ...], schema: Schema
) -> Callable[[Mapping[str, Any]], dict[str, Any] | None]:
    """A function generated for one layout that normalises a mapping whose cells need no
    reading (numbers given as numbers, text given as text) and returns ``None`` for any
    other, which :func:`normalise_row` then reads in full. Generated once per layout, the
    way attrs generates methods, because this is the path of one-profile-at-a-time calls."""
    lines = [
        "def quick(raw, _missing=_missing, _big=_big, _origins=_origins, _names=_names,"
        " _space=_space, _max=_max, type=type, float=float, str=str, int=int, len=len):"
    ]
    names: list[str] = []
    for i, (field, key) in enumerate(layout):
        v = f"v{i}"
        names.append(v)
        if field == "platform":
            names[-1] = repr(schema.platform.name)
        if key is None:
            if field != "platform":
                lines.append(f"    {v} = None")
            continue
        lines.append(f"    c = raw[{key!r}]")
        if field == "id":
            lines += [
                "    if type(c) is not str or len(c) > _max or (t := c.strip(_space)) in _missing:",
                "        return None",
                f"    {v} = t",
            ]
            continue
        lines.append(f"    if c is None:\n        {v} = None")
        if schema.fields[field] == "number":
            sign = " and c >= 0" if field in schema.non_negative else ""
            lines += [
                f"    elif (type(c) is float or type(c) is int) and -_big <= c <= _big{sign}:",
                f"        {v} = float(c)",
            ]
        elif field == "origin":
            lines += [
                "    elif type(c) is str and len(c) <= _max:",
                "        t = c.strip(_space)",
                f"        {v} = None if t in _missing else _origins.get(t.casefold())",
                f"        if {v} is None and t not in _missing:",
                "            return None",
            ]
        elif field == "platform":
            lines += [
                "    elif type(c) is str and len(c) <= _max:",
                "        t = c.strip(_space)",
                "        if t not in _missing and t.casefold() not in _names:",
                "            return None",
            ]
        else:
            lines += [
                "    elif type(c) is str and len(c) <= _max:",
                f"        {v} = None if (t := c.strip(_space)) in _missing else t",
            ]
        lines.append("    else:\n        return None")
    pairs = ", ".join(f"{f!r}: {n}" for (f, _), n in zip(layout, names, strict=True))
    lines.append(f"    return {{{pairs}}}")
    scope: dict[str, Any] = {
        "_missing": schema.missing,
        "_big": _BIG,
        "_space": SPACE,
        "_max": MAX_CELL,
        "_origins": schema.origins,
        "_names": frozenset(n.casefold() for n in schema.platform.names()),
    }
    exec(compile("\n".join(lines), "<kolrules quick reader>", "exec"), scope)
    return scope["quick"]  # type: ignore[no-any-return]


def normalise_row(raw: Mapping[str, Any], schema: Schema) -> NormalisedRow:
    """Normalise one mapping (keys are headers in any spelling the schema knows)."""
    known = schema._quick.get(tuple(raw))
    if known is None:
        layout = _layout(raw, schema)
        quick = None
        id_key = dict(layout)["id"]
        if id_key is not None and all(isinstance(k, str) for _, k in layout if k is not None):
            quick = _quick_reader(layout, schema)
        known = (layout, quick, "id" if id_key is None else str(id_key))
        if len(schema._quick) < 64:
            schema._quick[tuple(raw)] = known
    layout, quick, id_header = known
    if quick is not None and (done := quick(raw)) is not None:
        return NormalisedRow(done, (), (), id_header)
    return _read_row(raw, layout, schema)


def _read_row(
    raw: Mapping[str, Any], layout: tuple[tuple[str, Any], ...], schema: Schema
) -> NormalisedRow:
    """Normalise one mapping in full, cell by cell (see :func:`normalise_row`)."""
    values: dict[str, Any] = {}
    data_errors: list[DataError] = []
    row_errors: list[DataError] = []
    numbers = schema.non_negative
    for field, key in layout:
        cell = None if key is None else raw[key]
        kind = type(cell)
        if cell is None:
            values[field] = None
            continue
        # A number as a number: the common case of callers in Python, kept short (NaN,
        # infinities and ints beyond the largest float are read in full).
        if (
            (kind is int or kind is float)
            and schema.fields[field] == "number"
            and -_BIG <= cell <= _BIG
            and (cell >= 0 or field not in numbers)
        ):
            values[field] = float(cell)
            continue
        if field == "id":
            id_header = str(key)
        if isinstance(cell, str) and len(cell) > MAX_CELL:  # a row error, whatever the field
            row_errors.append(DataError(str(key), shown(cell), too_long_reason(len(cell))))
            values[field] = None
            continue
        try:
            value = _read_value(field, cell, schema)
        except ValueError as exc:
            err = DataError(str(key), shown(cell), str(exc))
            strict = schema.strict or field in schema.platform.required
            (row_errors if strict else data_errors).append(err)
            value = None
        # In field order, with the header and the cell as written, as normalise_frame does.
        if field == "platform" and not _platform_ok(value, schema):
            row_errors.append(_platform_error(str(key), cell, schema))
        values[field] = value
    id_key = dict(layout)["id"]
    id_header = "id" if id_key is None else str(id_key)
    if values["id"] is None and not any(e.column == id_header for e in row_errors):
        row_errors.insert(0, DataError(id_header, None, "empty id"))
    values["platform"] = schema.platform.name
    return NormalisedRow(values, tuple(data_errors), tuple(row_errors), id_header)


# -- a whole frame ----------------------------------------------------------------------


@attrs.frozen
class NormalisedFrame:
    """Every input row with canonical typed columns (plus :data:`ROW`,
    :data:`HAS_DATA_ERRORS` and :data:`BAD`, true on rows that cannot be evaluated), the
    reasons of the rows that cannot be evaluated and the data errors, by row number."""

    rows: pl.DataFrame
    row_errors: dict[int, tuple[str | None, tuple[DataError, ...]]]
    data_errors: dict[int, tuple[DataError, ...]]
    rows_read: int
    extra_columns: tuple[str, ...] = ()

    @property
    def frame(self) -> pl.DataFrame:
        """The rows that can be evaluated, without :data:`BAD`."""
        import polars as pl

        if not self.row_errors:
            return self.rows.drop(BAD)
        return self.rows.filter(pl.col(BAD).not_()).drop(BAD)


class _Stages:
    """Intermediate columns, computed level by level, so each is read by name and no
    expression is copied into several others (polars trees grow fast otherwise)."""

    def __init__(self) -> None:
        self.levels: list[list[pl.Expr]] = []

    def put(self, level: int, name: str, expr: pl.Expr) -> pl.Expr:
        import polars as pl

        while len(self.levels) <= level:
            self.levels.append([])
        self.levels[level].append(expr.alias(name))
        return pl.col(name)


def _number_exprs(src: pl.Expr, field: str, schema: Schema, st: _Stages) -> tuple[pl.Expr, pl.Expr]:
    """(value, reason) for a numeric text column; reason is null when the cell is fine."""
    import polars as pl

    p = schema.platform
    t = f"__n_{field}_"
    s = st.put(0, t + "s", src.str.strip_chars())  # SPACE, twice as fast as naming it
    is_missing = st.put(1, t + "m", s.is_null() | s.is_in(sorted(schema.missing)))
    c = st.put(1, t + "c", s.str.replace_all(_CLEAN, ""))
    plain = st.put(2, t + "p", c.str.contains(_PLAIN))
    g = st.put(2, t + "g", c.str.extract_groups(schema.units_re))
    sign, ip, fp, unit, plus = (g.struct.field(str(i)) for i in range(1, 6))
    mult = st.put(
        3,
        t + "u",
        pl.when(unit.is_null())
        .then(1.0)
        .otherwise(unit.replace_strict(dict(p.units), default=1.0, return_dtype=pl.Float64))
        if p.units
        else pl.lit(1.0),
    )
    # Same arithmetic as parse_number: digits * unit / 10^(fraction digits).
    frac = fp.fill_null("")
    digits = st.put(3, t + "d", pl.concat_str(ip, frac).cast(pl.Float64))
    scale = st.put(
        3, t + "e", pl.concat_str(pl.lit("1"), frac.str.replace_all("[0-9]", "0")).cast(pl.Float64)
    )
    scaled = pl.when(mult >= 1).then(digits * mult / scale).otherwise(digits / (scale / mult))
    adds = pl.when(plus.is_null()).then(0.0).otherwise(p.plus_adds)
    signed = pl.when(sign == "-").then(-1.0).otherwise(1.0)
    with_units = signed * scaled + adds
    value = st.put(
        4,
        t + "v",
        pl.when(plain)
        .then(c.cast(pl.Float64, strict=False))
        .when(ip.is_not_null())
        .then(with_units),
    )
    reason = (
        pl.when(is_missing)
        .then(None)
        .when(value.is_null())
        .then(pl.lit(NOT_A_NUMBER))
        .when(value.is_finite().not_())
        .then(pl.lit(NOT_FINITE))
    )
    if field in schema.non_negative:
        reason = reason.when(value < 0).then(pl.lit(NEGATIVE))
    why = st.put(5, f"__why_{field}", reason.otherwise(None))
    return pl.when(why.is_null() & is_missing.not_()).then(value), why


def _text_exprs(src: pl.Expr, field: str, schema: Schema, st: _Stages) -> tuple[pl.Expr, pl.Expr]:
    import polars as pl

    t = f"__n_{field}_"
    s = st.put(0, t + "s", src.str.strip_chars())  # SPACE, twice as fast as naming it
    value = st.put(
        1, t + "v", pl.when((s.is_null() | s.is_in(sorted(schema.missing))).not_()).then(s)
    )
    none = pl.lit(None, dtype=pl.String)
    if field == "origin":
        origin = st.put(
            2,
            t + "o",
            value.str.to_lowercase().replace_strict(
                dict(schema.origins), default=None, return_dtype=pl.String
            ),
        )
        reason = (
            pl.when(value.is_not_null() & origin.is_null())
            .then(pl.lit(f"unknown origin; expected one of {', '.join(ORIGINS)}"))
            .otherwise(none)
        )
        return origin, st.put(5, f"__why_{field}", reason)
    if field == "platform":
        names = sorted({n.casefold() for n in schema.platform.names()})
        folded = value.str.to_lowercase()
        p = schema.platform.name
        reason = (
            pl.when(folded.is_not_null() & folded.is_in(names).not_())
            .then(pl.lit(f"not platform {p!r}; use a ruleset for that platform"))
            .otherwise(none)
        )
        return pl.lit(p, dtype=pl.String), st.put(5, f"__why_{field}", reason)
    return value, st.put(5, f"__why_{field}", none)


def _field_exprs(
    dtypes: Mapping[str, pl.DataType], mapping: Mapping[str, str], schema: Schema, *, fast: bool
) -> tuple[_Stages, list[pl.Expr], list[tuple[str, str, pl.Expr]]]:
    """The expressions that normalise each field: (stages, values, (field, header, reason)).

    With ``fast``, numeric text columns are read from the ``__f_<field>`` columns that
    :func:`normalise_frame` made with a plain cast, on rows where that cast was enough.
    Built once per set of columns and kept on the schema: a file read in batches builds
    them once, not once per batch.
    """
    key = (tuple(dtypes.items()), tuple(mapping.items()), fast)
    found = schema._exprs.get(key)
    if found is None:
        found = _build_field_exprs(dtypes, mapping, schema, fast=fast)
        if len(schema._exprs) < 16:
            schema._exprs[key] = found
    return found


def _build_field_exprs(
    dtypes: Mapping[str, pl.DataType], mapping: Mapping[str, str], schema: Schema, *, fast: bool
) -> tuple[_Stages, list[pl.Expr], list[tuple[str, str, pl.Expr]]]:
    import polars as pl

    values: list[pl.Expr] = []
    reasons: list[tuple[str, str, pl.Expr]] = []  # (field, header, reason)
    stages = _Stages()
    for field, ftype in schema.fields.items():
        header = mapping.get(field)
        if field == "platform" and header is None:
            values.append(pl.lit(schema.platform.name, dtype=pl.String).alias(field))
            continue
        if header is None:
            dtype = pl.Float64 if ftype == "number" else pl.String
            values.append(pl.lit(None, dtype=dtype).alias(field))
            continue
        dt = dtypes[header]
        src = pl.col(header)
        if ftype == "number" and dt.is_numeric():
            num = src.cast(pl.Float64).fill_nan(None)  # NaN is missing, as in a mapping
            bad = pl.when(num.is_finite().not_()).then(pl.lit(NOT_FINITE))
            if field in schema.non_negative:
                reason = bad.when(num < 0).then(pl.lit(NEGATIVE)).otherwise(None)
            else:
                reason = bad.otherwise(None)
            value: pl.Expr = pl.when(reason.is_null()).then(num)
            reason = stages.put(5, f"__why_{field}", reason)
        elif ftype == "number" and fast:
            value = pl.col(f"__f_{field}")
            reason = stages.put(5, f"__why_{field}", pl.lit(None, dtype=pl.String))
        else:
            src = src if dt == pl.String else src.cast(pl.String)
            maker = _number_exprs if ftype == "number" else _text_exprs
            value, reason = maker(src, field, schema, stages)
        values.append(value.alias(field))
        reasons.append((field, header, reason))
    return stages, values, reasons


def _run(
    lf: pl.LazyFrame,
    stages: _Stages,
    values: list[pl.Expr],
    reasons: list[tuple[str, str, pl.Expr]],
    extra: Sequence[str],
) -> pl.LazyFrame:
    import polars as pl

    for level in stages.levels:
        if level:
            lf = lf.with_columns(level)
    return lf.select(pl.col(ROW), *values, *(r for _, _, r in reasons), *(pl.col(c) for c in extra))


def _fast_cast(df: pl.DataFrame, mapping: Mapping[str, str], schema: Schema) -> list[str]:
    """The number fields held as text: those a plain cast may read."""
    import polars as pl

    return [
        f
        for f, ftype in schema.fields.items()
        if ftype == "number" and f in mapping and df.schema[mapping[f]] == pl.String
    ]


def _read_uncast(
    base: pl.DataFrame,
    rows: pl.DataFrame,
    casts: Sequence[str],
    mapping: Mapping[str, str],
    schema: Schema,
) -> pl.DataFrame:
    """Read in full the number cells that a cast could not read (``1.2万``, ``暂无``,
    ``abc``), or read as negative or not finite, and put them in place in ``rows``.

    They are few: stacked into one column, they go through the full reading once.
    """
    import polars as pl

    def needs(field: str) -> pl.Expr:
        num = pl.col(f"__f_{field}")
        ok = num.is_finite() & (num >= 0) if field in schema.non_negative else num.is_finite()
        return (pl.col(mapping[field]).is_not_null() & ok.fill_null(False).not_()).alias(field)

    flags = base.select(needs(f) for f in casts)
    parts = []
    for k, field in enumerate(casts):
        at = flags.get_column(field).arg_true()
        if at.len():
            cells = base.get_column(mapping[field]).gather(at)
            parts.append(
                pl.DataFrame({"at": at, "k": pl.repeat(k, at.len(), eager=True), "c": cells})
            )
    if not parts:
        return rows
    stacked = pl.concat(parts, how="vertical_relaxed")
    stages = _Stages()
    value, reason = _number_exprs(pl.col("c").cast(pl.String), "__cell", schema, stages)
    counts = [k for k, f in enumerate(casts) if f in schema.non_negative]
    negative = pl.col("k").is_in(counts) & (pl.col("__v") < 0)
    lf = stacked.lazy()
    for level in stages.levels:
        lf = lf.with_columns(level)
    lf = lf.with_columns(value.alias("__v"), reason.alias("__r"))
    lf = lf.with_columns(
        pl.when(pl.col("__r").is_null() & negative)
        .then(pl.lit(NEGATIVE))
        .otherwise("__r")
        .alias("__r")
    )
    read = lf.select(
        "at", "k", pl.when(pl.col("__r").is_null()).then("__v").alias("v"), "__r"
    ).collect()
    out = []
    for k, field in enumerate(casts):
        mine = read.filter(pl.col("k") == k)
        if not mine.height:
            continue
        at = mine.get_column("at")
        out.append(rows.get_column(field).scatter(at, mine.get_column("v")))
        why = rows.get_column(f"__why_{field}").cast(pl.String)
        out.append(why.scatter(at, mine.get_column("__r")))
    return rows.with_columns(out)


def normalise_frame(
    df: pl.DataFrame, schema: Schema, *, offset: int = 0, seen: SeenIds | None = None
) -> NormalisedFrame:
    """Normalise a DataFrame (columns in any spelling the schema knows; String or numeric).

    Most number cells in exports are plain (``12000``) and a cast reads them. Only the rows
    with a cell that the cast cannot read, or reads as negative or not finite, go through
    the full reading of export formats (``1.2万``, ``¥8,000``, missing markers) that
    :func:`parse_number` does; both read a number the same way.

    A file read in batches is normalised batch by batch: ``offset`` is the number of rows
    before this batch (rows are numbered from ``offset + 1``) and ``seen`` remembers the
    ids of the rows evaluated in earlier batches, to find duplicates across batches.
    """
    import polars as pl

    mapping = match_columns(df.columns, schema)
    used = set(mapping.values())
    extra = tuple(c for c in df.columns if c not in used and c not in {ROW, HAS_DATA_ERRORS, BAD})
    n = df.height
    casts = _fast_cast(df, mapping, schema)
    base = df.with_columns(pl.int_range(offset + 1, offset + n + 1, dtype=pl.Int64).alias(ROW))
    if casts:
        base = base.with_columns(
            pl.col(mapping[f]).cast(pl.Float64, strict=False).alias(f"__f_{f}") for f in casts
        )
    work = _run(base.lazy(), *_field_exprs(base.schema, mapping, schema, fast=bool(casts)), extra)
    rows = work.collect()
    if casts:
        rows = _read_uncast(base, rows, casts, mapping, schema)
    # The fields read from a column: each has a __why_<field> column (see _field_exprs).
    checked = [(f, mapping[f]) for f in schema.fields if f in mapping]
    rows, long = _too_long(df, rows, checked)

    always_hard = (*schema.platform.required, "platform")
    hard = [f for f, _ in checked if schema.strict or f in always_hard]
    soft = [f for f, _ in checked if f not in hard]
    rows = rows.with_columns(
        pl.any_horizontal(
            pl.lit(False),
            *(pl.col(f"__why_{f}").is_not_null() for f in hard),
            *(pl.col(f"__why_{f}").eq_missing(_TOO_LONG) for f in long if f not in hard),
        ).alias("__hard"),
        pl.any_horizontal(pl.lit(False), *(pl.col(f"__why_{f}").is_not_null() for f in soft)).alias(
            HAS_DATA_ERRORS
        ),
        (pl.col("id").is_not_null() & pl.col("id").is_duplicated()).alias("__dup"),
    )
    first = _first_rows(rows, seen)
    first_row = pl.col(ROW).replace_strict(first, default=None, return_dtype=pl.Int64)
    bad = pl.col("__hard") | pl.col("id").is_null()
    rows = rows.with_columns(((bad | first_row.is_not_null()) if first else bad).alias(BAD))
    row_errors, data_errors = _problems(df, rows, first, mapping, checked, hard)
    rows = rows.select(ROW, *schema.fields, HAS_DATA_ERRORS, BAD, *extra)
    return NormalisedFrame(rows, row_errors, data_errors, n, extra)


class SeenIds:
    """The ids of the rows evaluated so far, with the row of each, for a file read in
    batches.

    Each id is kept as two independent 64-bit hashes (16 bytes, whatever the id's length)
    with its row (4 bytes): 20 bytes per evaluated row, about 200 MB for 10 million. Two different
    ids would have to agree on all 128 bits to be taken for one (a chance of about 1 in
    10^25 for a file of 10 million ids). Entries are kept in sorted runs, merged as they
    grow up to :attr:`RUN` entries, so a lookup is a binary search per run and a merge
    never copies more than one run.
    """

    #: The largest run a merge makes.
    RUN = 1_000_000

    def __init__(self) -> None:
        self._runs: list[pl.DataFrame] = []

    def __len__(self) -> int:
        return sum(run.height for run in self._runs)

    @staticmethod
    def _keys(ids: pl.Series) -> tuple[pl.Series, pl.Series]:
        return ids.hash(seed=0x6B6F6C), ids.hash(seed=0x72756C)

    def add(self, ids: pl.Series, rows: pl.Series) -> None:
        """Remember ``ids`` (distinct, not seen before) as first evaluated at ``rows``."""
        import polars as pl

        if not ids.len():
            return
        a, b = self._keys(ids)
        run = pl.DataFrame({"a": a, "b": b, "row": rows.cast(pl.UInt32)}).sort("a")
        self._runs.append(run)
        while (
            len(self._runs) > 1
            and self._runs[-2].height <= 2 * self._runs[-1].height
            and self._runs[-2].height + self._runs[-1].height <= self.RUN
        ):
            last = self._runs.pop()
            self._runs[-1] = pl.concat([self._runs[-1], last]).sort("a")

    def first_rows(self, ids: pl.Series) -> pl.Series:
        """For each id, the row it was first evaluated at, or null."""
        import polars as pl

        found = pl.Series("row", [None] * ids.len(), dtype=pl.Int64)
        if not self._runs:
            return found
        a, b = self._keys(ids)
        for run in self._runs:
            at = run.get_column("a").search_sorted(a, side="left")
            hit = run[at.clip(upper_bound=max(run.height - 1, 0))]
            same = (hit.get_column("a") == a) & (hit.get_column("b") == b)
            found = pl.select(
                pl.when(same.fill_null(False))
                .then(hit.get_column("row").cast(pl.Int64))
                .otherwise(found)
            ).to_series()
        return found


def _first_rows(rows: pl.DataFrame, seen: SeenIds | None) -> dict[int, int]:
    """``{row: first row}`` for the rows whose id was evaluated at an earlier row.

    An id is "seen" at the first row that is evaluated, as in Engine.evaluate: a row
    rejected for another reason does not make a later row with its id a duplicate (it is
    one itself if its id was seen before). Only the rows whose id occurs twice in the
    batch are looked at one by one.
    """
    import polars as pl

    first: dict[int, int] = {}
    earlier: dict[str, int] = {}
    if seen:
        named = rows.select(ROW, "id").filter(pl.col("id").is_not_null())
        before = seen.first_rows(named.get_column("id"))
        hits = named.select(ROW, "id").with_columns(before.alias("f"))
        hits = hits.filter(pl.col("f").is_not_null())
        for row, pid, f in hits.iter_rows():
            first[row] = f
            earlier[pid] = f
    twice = rows.select(ROW, "id", "__hard", "__dup").filter(pl.col("__dup")).drop("__dup")
    for row, pid, hard in twice.iter_rows():
        if pid in earlier:
            first[row] = earlier[pid]
        elif not hard:
            earlier[pid] = row
    if seen is not None:
        new = rows.select(ROW, "id", "__hard").filter(
            pl.col("__hard").not_() & pl.col("id").is_not_null()
        )
        if first:
            new = new.filter(pl.col(ROW).is_in(list(first)).not_())
        seen.add(new.get_column("id"), new.get_column(ROW))
    return first


def _too_long(
    df: pl.DataFrame, rows: pl.DataFrame, checked: Sequence[tuple[str, str]]
) -> tuple[pl.DataFrame, list[str]]:
    """``rows`` with every cell of a field longer than :data:`MAX_CELL` characters read as
    missing and its reason set to ``_TOO_LONG`` (the row is then a row error), and the
    fields that have such a cell. Only a column whose longest cell in bytes is over the
    limit is measured in characters."""
    import polars as pl

    texts = [(f, h) for f, h in checked if df.schema[h] == pl.String]
    if not texts:
        return rows, []
    longest = df.select(pl.col(h).str.len_bytes().max().alias(f) for f, h in texts).row(0)
    over = [(f, h) for (f, h), n in zip(texts, longest, strict=True) if (n or 0) > MAX_CELL]
    if not over:
        return rows, []
    flags = df.select((pl.col(h).str.len_chars() > MAX_CELL).alias(f) for f, h in over)
    out = []
    for f, _ in over:
        flag = flags.get_column(f)
        if f != "platform":  # its value is the platform's name
            out.append(pl.when(flag).then(None).otherwise(rows.get_column(f)).alias(f))
        why = rows.get_column(f"__why_{f}").cast(pl.String)
        out.append(pl.when(flag).then(pl.lit(_TOO_LONG)).otherwise(why).alias(f"__why_{f}"))
    return rows.with_columns(out), [f for f, _ in over]


def _problems(
    df: pl.DataFrame,
    rows: pl.DataFrame,
    first: Mapping[int, int],
    mapping: Mapping[str, str],
    checked: Sequence[tuple[str, str]],
    hard: Sequence[str],
) -> tuple[dict[int, tuple[str | None, tuple[DataError, ...]]], dict[int, tuple[DataError, ...]]]:
    """Row errors and data errors of the rows that have them (a loop over those rows only)."""
    import polars as pl

    row_errors: dict[int, tuple[str | None, tuple[DataError, ...]]] = {}
    data_errors: dict[int, tuple[DataError, ...]] = {}
    mask = pl.col(BAD) | pl.col(HAS_DATA_ERRORS)
    at = rows.select(mask.arg_true()).to_series()
    if not at.len():
        return row_errors, data_errors
    names = [f for f, _ in checked]
    headers = [h for _, h in checked]
    problems = rows.select(ROW, "id", BAD, *(f"__why_{f}" for f in names))[at]
    raw = df.select(headers)[at]
    # Column by column: a problem row usually has one bad cell among many fields.
    found: list[list[tuple[str, DataError]]] = [[] for _ in range(problems.height)]
    hard_at: list[set[str]] = [set() for _ in range(problems.height)]  # too-long cells
    for name, header in zip(names, headers, strict=True):
        why = problems.get_column(f"__why_{name}")
        hits = why.is_not_null().arg_true()
        if not hits.len():
            continue
        cells = raw.get_column(header).gather(hits).to_list()
        for i, cell, reason in zip(hits.to_list(), cells, why.gather(hits).to_list(), strict=True):
            if reason == _TOO_LONG:
                reason = too_long_reason(len(cell))
                hard_at[i].add(name)
            found[i].append(
                (name, DataError(header, None if cell is None else shown(cell), reason))
            )
    hard_set = set(hard)
    id_header = mapping["id"]
    for (row, pid, is_bad), cell_errors, long in zip(
        problems.select(ROW, "id", BAD).iter_rows(), found, hard_at, strict=True
    ):
        if is_bad:
            errs = [e for f, e in cell_errors if f in hard_set or f in long]
            if pid is None and not any(f == "id" for f, _ in cell_errors):
                errs.insert(0, DataError(id_header, None, "empty id"))
            if row in first:
                errs.append(
                    DataError(id_header, pid, f"duplicate id, first seen at row {first[row]}")
                )
            errs.extend(e for f, e in cell_errors if f not in hard_set and f not in long)
            row_errors[row] = (pid, tuple(errs))
        else:
            data_errors[row] = tuple(e for f, e in cell_errors if f not in hard_set)
    return row_errors, data_errors


def rows_to_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a frame of text cells from mappings (the union of their keys, first-seen order)."""
    import polars as pl

    data = list(rows)
    keys: dict[str, None] = {}
    for r in data:
        keys.update(dict.fromkeys(str(k) for k in r))
    cols = {k: [None if (v := r.get(k)) is None else str(v) for r in data] for k in keys}
    return pl.DataFrame(cols, schema=dict.fromkeys(keys, pl.String))


# -- what was read ----------------------------------------------------------------------


def read_headers(headers: Sequence[str], schema: Schema) -> tuple[dict[str, str], tuple[str, ...]]:
    """How ``headers`` are read: each field found and its header (in the schema's field
    order, as :func:`match_columns` maps them, required ones or not), and the headers no
    field reads, in file order."""
    found = match_columns(headers, schema, required=False)
    read = {f: found[f] for f in schema.fields if f in found}
    used = set(read.values())
    return read, tuple(h for h in headers if h not in used)
