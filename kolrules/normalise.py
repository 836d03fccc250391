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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.errors import InputFileError
from kolrules.types import CANONICAL_FIELDS, COUNT_FIELDS, ORIGINS, DataError, FieldType, Platform

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ROW",
    "Schema",
    "match_columns",
    "normalise_frame",
    "normalise_row",
    "parse_number",
]

#: Name of the 1-based input row number column in normalised frames.
ROW = "__row"
#: Name of the "this row has data errors" column in normalised frames.
HAS_DATA_ERRORS = "__data_errors"
#: Cell texts that mean "no value" on every platform (platforms add their own).
BASE_MISSING = ("", "-", "--", "—", "N/A", "n/a", "NA", "null", "NULL", "None", "none")

_CLEAN = r"[,，¥￥\s]|(?i:rmb)|元"
# ASCII digits only: Python would read full-width digits (１２) but polars would not.
_PLAIN = r"^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
NEGATIVE = "negative, must be 0 or more"


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

    @missing.default
    def _missing(self) -> frozenset[str]:
        return frozenset(BASE_MISSING) | frozenset(self.platform.missing)

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
        return frozenset(COUNT_FIELDS)

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


def match_columns(headers: Sequence[str], schema: Schema) -> dict[str, str]:
    """Map each field to the header that holds it. Raises :class:`InputFileError` when a
    required column is missing (naming the spellings tried) or two headers mean one field."""
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
    for field in schema.platform.required:
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
    s = text.strip()
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
    if raw is None:
        return None
    if schema.fields[field] == "number":
        if isinstance(raw, bool):
            raise ValueError(NOT_A_NUMBER)
        if isinstance(raw, int | float):
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError(NOT_FINITE)
            value: float | None = number
        else:
            value = parse_number(str(raw), schema)
        if value is not None and value < 0 and field in schema.non_negative:
            raise ValueError(NEGATIVE)
        return value
    text = str(raw).strip()
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


def normalise_row(raw: Mapping[str, Any], schema: Schema) -> NormalisedRow:
    """Normalise one mapping (keys are headers in any spelling the schema knows)."""
    keys = {_header_key(str(k)): k for k in raw}
    values: dict[str, Any] = {}
    data_errors: list[DataError] = []
    row_errors: list[DataError] = []
    id_header = "id"
    for field, spellings in schema.aliases.items():
        key = next((keys[k] for s in spellings if (k := _header_key(s)) in keys), None)
        cell = None if key is None else raw[key]
        if field == "id" and key is not None:
            id_header = str(key)
        try:
            value = _read_value(field, cell, schema)
        except ValueError as exc:
            err = DataError(str(key), None if cell is None else str(cell), str(exc))
            strict = schema.strict or field in schema.platform.required
            (row_errors if strict else data_errors).append(err)
            value = None
        # In field order, with the header and the cell as written, as normalise_frame does.
        if field == "platform" and not _platform_ok(value, schema):
            row_errors.append(_platform_error(str(key), cell, schema))
        values[field] = value
    if values["id"] is None:
        row_errors.insert(0, DataError(id_header, None, "empty id"))
    values["platform"] = schema.platform.name
    return NormalisedRow(values, tuple(data_errors), tuple(row_errors), id_header)


# -- a whole frame ----------------------------------------------------------------------


@attrs.frozen
class NormalisedFrame:
    """The rows that can be evaluated, with canonical typed columns (plus :data:`ROW` and
    :data:`HAS_DATA_ERRORS`), the rows that cannot, and the data errors by row number."""

    frame: pl.DataFrame
    row_errors: dict[int, tuple[str | None, tuple[DataError, ...]]]
    data_errors: dict[int, tuple[DataError, ...]]
    rows_read: int
    extra_columns: tuple[str, ...] = ()


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
    s = st.put(0, t + "s", src.str.strip_chars())
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
    s = st.put(0, t + "s", src.str.strip_chars())
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


def normalise_frame(df: pl.DataFrame, schema: Schema) -> NormalisedFrame:
    """Normalise a DataFrame (columns in any spelling the schema knows; String or numeric)."""
    import polars as pl

    mapping = match_columns(df.columns, schema)
    used = set(mapping.values())
    extra = tuple(c for c in df.columns if c not in used and c not in {ROW, HAS_DATA_ERRORS})
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
        dt = df.schema[header]
        src = pl.col(header)
        if ftype == "number" and dt.is_numeric():
            num = src.cast(pl.Float64)
            bad = pl.when(num.is_finite().not_()).then(pl.lit(NOT_FINITE))
            if field in schema.non_negative:
                reason = bad.when(num < 0).then(pl.lit(NEGATIVE)).otherwise(None)
            else:
                reason = bad.otherwise(None)
            value: pl.Expr = pl.when(reason.is_null()).then(num)
            reason = stages.put(5, f"__why_{field}", reason)
        else:
            src = src if dt == pl.String else src.cast(pl.String)
            maker = _number_exprs if ftype == "number" else _text_exprs
            value, reason = maker(src, field, schema, stages)
        values.append(value.alias(field))
        reasons.append((field, header, reason))

    n = df.height
    lf = df.lazy().with_columns(pl.int_range(1, n + 1, dtype=pl.Int64).alias(ROW))
    for level in stages.levels:
        if level:
            lf = lf.with_columns(level)
    work = lf.select(
        pl.col(ROW), *values, *(r for _, _, r in reasons), *(pl.col(c) for c in extra)
    ).collect()
    always_hard = (*schema.platform.required, "platform")
    hard = [f for f, _, _ in reasons if schema.strict or f in always_hard]
    soft = [f for f, _, _ in reasons if f not in hard]
    any_hard = pl.lit(False)
    for name in hard:
        any_hard = any_hard | pl.col(f"__why_{name}").is_not_null()
    any_soft = pl.lit(False)
    for name in soft:
        any_soft = any_soft | pl.col(f"__why_{name}").is_not_null()
    # An id is "seen" at the first row that is evaluated, as in Engine.evaluate: a row
    # rejected for another reason does not make a later row with its id a duplicate.
    first_row = pl.when(any_hard.not_()).then(pl.col(ROW)).min().over("id")
    dup = pl.col("id").is_not_null() & (first_row < pl.col(ROW)).fill_null(False)
    work = work.with_columns(
        (any_hard | pl.col("id").is_null() | dup).alias("__bad"),
        any_soft.alias(HAS_DATA_ERRORS),
        first_row.alias("__first"),
    )

    row_errors: dict[int, tuple[str | None, tuple[DataError, ...]]] = {}
    data_errors: dict[int, tuple[DataError, ...]] = {}
    problems = work.filter(pl.col("__bad") | pl.col(HAS_DATA_ERRORS))
    if problems.height:
        raw_cols = [mapping[f] for f, _, _ in reasons]
        raw = df.select(pl.int_range(1, n + 1, dtype=pl.Int64).alias(ROW), *map(pl.col, raw_cols))
        raw = raw.join(problems.select(ROW), on=ROW, how="semi")
        raw_by_row = {r[ROW]: r for r in raw.iter_rows(named=True)}
        for rec in problems.iter_rows(named=True):
            row = rec[ROW]
            found: list[tuple[str, DataError]] = []
            for name, header, _ in reasons:
                why = rec[f"__why_{name}"]
                if why is not None:
                    cell = raw_by_row[row][header]
                    shown = None if cell is None else str(cell)
                    found.append((name, DataError(header, shown, why)))
            if rec["__bad"]:
                errs = [e for f, e in found if f in hard]
                if rec["id"] is None and not any(f == "id" for f, _ in found):
                    errs.insert(0, DataError(mapping["id"], None, "empty id"))
                first = rec["__first"]
                if rec["id"] is not None and first is not None and first < row:
                    why = f"duplicate id, first seen at row {first}"
                    errs.append(DataError(mapping["id"], rec["id"], why))
                errs.extend(e for f, e in found if f in soft)
                row_errors[row] = (rec["id"], tuple(errs))
            else:
                data_errors[row] = tuple(e for f, e in found if f in soft)
    frame = work.filter(pl.col("__bad").not_()).select(ROW, *schema.fields, HAS_DATA_ERRORS, *extra)
    return NormalisedFrame(frame, row_errors, data_errors, n, extra)


def rows_to_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a frame of text cells from mappings (the union of their keys, first-seen order)."""
    import polars as pl

    data = list(rows)
    keys: dict[str, None] = {}
    for r in data:
        keys.update(dict.fromkeys(str(k) for k in r))
    cols = {k: [None if (v := r.get(k)) is None else str(v) for r in data] for k in keys}
    return pl.DataFrame(cols, schema=dict.fromkeys(keys, pl.String))
