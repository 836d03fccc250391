"""Decisions as JSON text, built with polars from the columnar evaluation of a batch: per
row, the text that ``dumps({"kind": "decision", **decision.to_dict()})`` gives for the
:class:`~kolrules.types.Decision` that :func:`kolrules.evaluate.decisions_from_columns`
makes, with no Decision object and no Python call per row.

How the text is made:

- the text around the values comes from Python: a Decision (a Finding, a ToPass) made
  with a *hole* in each field whose value differs by row, turned into JSON and cut at the
  holes (:func:`_fill`). The keys and their order are those of ``to_dict`` by
  construction;
- the values are columns turned into JSON by polars (:func:`_json`): numbers as Python
  writes them (NaN and infinity as ``null``, as :func:`~kolrules.formats.jsonable` does),
  strings escaped;
- what depends on a few patterns (which rules failed: the verdict and ``why``; which names
  are missing: a not-applicable finding, ``score_missing``) is worked out in Python once
  per distinct pattern, by the functions the Decision path uses, and mapped back
  (:func:`_patterns`, :func:`_texts`);
- a passed finding is the same on every row; a failed one takes its message from
  :func:`~kolrules.evaluate.failed_messages`, ``to_pass`` from the need columns compared
  with the current values as :func:`~kolrules.evaluate.to_pass` compares them (Python's
  comparisons, NaN included), and ``superseded_by`` from the other rules' outcomes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.compile import (
    FAIL,
    NOT_APPLICABLE,
    OUTCOMES,
    PASS,
    UNKNOWN,
    CompiledRule,
    Plan,
    need_column,
    rule_column,
    verdict_of,
    vetting,
)
from kolrules.evaluate import (
    _finding,
    _made,
    _score_missing,
    _why,
    applied_frame,
    failed_messages,
    looked_at,
    need_unmet,
    superseded_by,
)
from kolrules.formats.json_text import dumps, error_to_dict, with_kept
from kolrules.normalise import BAD, ROW
from kolrules.types import DataError, Decision, Finding, PriceAssessment, RowError, ToPass

if TYPE_CHECKING:
    import polars as pl

__all__ = ["LINE_ROWS", "decision_lines"]

#: How many rows are turned into text at a time: a line holds a few kB, so the text of a
#: batch is made (and written) in slices of this many rows.
LINE_ROWS = 10_000
#: Prefix of the working columns added to the evaluated frame.
_TEMP = "__kj_"
#: Flags packed in one Int64 word by :func:`_patterns`.
_WORD_BITS = 62
_BAND_NAMES = ("tier", "band_min", "band_max")


def decision_lines(
    plan: Plan,
    out: pl.DataFrame,
    row_errors: Mapping[int, RowError | tuple[str | None, tuple[DataError, ...]]],
    data_errors: Mapping[int, tuple[DataError, ...]],
    *,
    kind: bool = True,
    kept: pl.DataFrame | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of ``out`` as JSON text, in its order, in frames of at most
    :data:`LINE_ROWS` rows with the columns ``kind`` (``decision`` or ``error``),
    ``verdict`` (null for an error) and ``line``.

    ``out`` is :func:`~kolrules.evaluate.evaluate_columns` run over *every* normalised row
    (with the :data:`~kolrules.normalise.BAD` column), as for
    :func:`~kolrules.evaluate.decision_frame`. A row marked bad is the row error of
    ``row_errors`` (:func:`~kolrules.formats.error_to_dict`); the others are decisions,
    with the data errors of ``data_errors``. With ``kind`` (the ``jsonl`` format) each
    object starts with ``"kind": "decision"`` or ``"kind": "error"``; without (the
    ``json`` format's lists) it does not. ``kept``: input columns of the same rows, in
    order, as text, written in each object as ``"kept": {column name: text}`` right
    after ``"id"`` (:func:`~kolrules.formats.json_text.with_kept`).
    """
    import polars as pl

    prepared, line, verdict = _prepare(plan, out, row_errors, data_errors, kind, kept)
    bad = pl.col(BAD)
    columns = (
        pl.when(bad).then(pl.lit("error")).otherwise(pl.lit("decision")).alias("kind"),
        pl.when(bad).then(None).otherwise(verdict).alias("verdict"),
        line.alias("line"),
    )
    for at in range(0, prepared.height, LINE_ROWS):
        lines = prepared.slice(at, LINE_ROWS).select(columns)
        if lines.get_column("line").null_count():
            raise AssertionError(  # pragma: no cover - normalise gives every bad row its reasons
                "a row marked bad has no row error: kolrules.normalise and "
                "kolrules.formats.decision_json disagree; please report this bug"
            )
        yield lines


# -- the batch, prepared ---------------------------------------------------------------------


class _Batch:
    """An evaluated batch with the need columns and failed messages added (``frame``),
    and the columns worked out for its text (codes of patterns), added at the end."""

    def __init__(self, plan: Plan, out: pl.DataFrame) -> None:
        lf = out.lazy()
        for expr in plan.need_columns():  # what it would take, where a rule failed
            lf = lf.with_columns(expr)
        frame = lf.collect()
        self.plan = plan
        self.frame = frame.with_columns(
            failed_messages(plan, frame, r).alias(_message_column(i))
            for i, r in enumerate(plan.rules)
        )
        self._added: list[pl.Series] = []

    def column(self, values: pl.Series) -> pl.Expr:
        """``values`` (a value per row) as a column of the prepared frame."""
        import polars as pl

        name = f"{_TEMP}{len(self._added)}"
        self._added.append(values.alias(name))
        return pl.col(name)

    def only_where(self, rows: pl.Expr, values: pl.Expr) -> pl.Expr:
        """``values`` (text) worked out only on the rows where ``rows`` holds (null
        elsewhere), as a column of the prepared frame."""
        import polars as pl

        at = self.frame.select(rows.fill_null(False).arg_true()).to_series()
        found = pl.repeat(None, self.frame.height, dtype=pl.String, eager=True)
        if at.len():
            picked = self.frame.lazy().filter(rows).select(values).collect().to_series()
            found = found.scatter(at, picked)
        return self.column(found)

    def prepared(self) -> pl.DataFrame:
        return self.frame.with_columns(self._added)


def _message_column(i: int) -> str:
    return f"{_TEMP}message{i}"


def _prepare(
    plan: Plan,
    out: pl.DataFrame,
    row_errors: Mapping[int, RowError | tuple[str | None, tuple[DataError, ...]]],
    data_errors: Mapping[int, tuple[DataError, ...]],
    kind: bool,
    kept: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.Expr, pl.Expr]:
    """``out`` with what the text needs beside its columns (need values, failed messages,
    codes of patterns, kept columns), the expression of a row's line, and that of its
    verdict."""
    import polars as pl

    batch = _Batch(plan, out)
    kept_text = None if kept is None or not kept.width else _kept(batch, kept)
    noted = pl.Series([row for row, errs in data_errors.items() if errs], dtype=pl.Int64)
    verdict, why = _verdict_and_why(batch, pl.col(ROW).is_in(noted.implode()))
    holes = {
        "id": _json(pl.col("id").cast(pl.String)),
        "row": _json(pl.col(ROW)),
        "verdict": _json(verdict),
        "tier": _json(pl.col("tier")),
        "score": _json(pl.col("score")),
        "price": _json(_price(plan)),
        "findings": _findings(batch),
        "data_errors": _by_row(
            {r: _data_errors_text(e) for r, e in data_errors.items() if e}, "[]"
        ),
        "metrics": _metrics(plan),
        "why": _json(why),
        "score_missing": _json(_missing_score(batch)),
        "applied": _applied(batch),
    }
    head: dict[str, Any] = {"kind": "decision"} if kind else {}
    shown = {**head, **_template(plan, holes).to_dict()}
    if kept_text is not None:
        shown, holes = with_kept(shown, _hole("kept")), {**holes, "kept": kept_text}
    decision = _fill(dumps(shown), holes)
    errors = _error_lines(row_errors, kind, kept_text)
    return batch.prepared(), pl.when(pl.col(BAD)).then(errors).otherwise(decision), verdict


def _kept(batch: _Batch, kept: pl.DataFrame) -> pl.Expr:
    """The ``kept`` columns (text, one row per row of the batch) as a JSON object per
    row, keys in column order."""
    import polars as pl

    pieces: list[pl.Expr] = [pl.lit("{")]
    for i, name in enumerate(kept.columns):
        pieces += [pl.lit(("," if i else "") + dumps(name) + ":"), _json(batch.column(kept[name]))]
    pieces.append(pl.lit("}"))
    return pl.concat_str(pieces)


def _error_lines(
    row_errors: Mapping[int, RowError | tuple[str | None, tuple[DataError, ...]]],
    kind: bool,
    kept: pl.Expr | None,
) -> pl.Expr:
    """Each row error's JSON text (a few rows: made in Python) on its row, with the row's
    ``kept`` object (a column) right after ``"id"``; null on the other rows."""
    import polars as pl

    before: dict[int, str] = {}
    after: dict[int, str] = {}
    for row, entry in row_errors.items():
        error = entry if isinstance(entry, RowError) else RowError(row, entry[0], entry[1])
        said = error_to_dict(error)
        said = {"kind": "error", **said} if kind else said
        if kept is None:
            before[row] = dumps(said)
            continue
        keys = list(said)
        at = keys.index("id") + 1  # as with_kept puts it, the text cut around it
        before[row] = dumps({k: said[k] for k in keys[:at]})[:-1] + ',"kept":'
        after[row] = "," + dumps({k: said[k] for k in keys[at:]})[1:]
    if kept is None:
        return _by_row(before, None)
    return pl.concat_str([_by_row(before, None), kept, _by_row(after, None)])


def _template(plan: Plan, holes: Mapping[str, pl.Expr]) -> Decision:
    """A decision whose fields that differ by row are holes."""
    fixed = {"platform": plan.platform.name, "ruleset": plan.ruleset.ref}
    values: dict[str, Any] = {}
    for field in attrs.fields(Decision):
        if field.name in fixed:
            values[field.name] = fixed[field.name]
        elif field.name in holes:
            values[field.name] = _hole(field.name)
        else:
            raise AssertionError(
                f"Decision.{field.name} is not written by kolrules.formats.decision_json: "
                "add its column to _prepare's holes (the json tests will check it)"
            )
    return Decision(**values)


# -- JSON text from holes and columns ----------------------------------------------------


def _hole(name: str) -> str:
    """The text standing for the field ``name`` in a template (no real value has it)."""
    return f"\x00{name}\x00"


def _fill(text: str, holes: Mapping[str, pl.Expr]) -> pl.Expr:
    """``text`` (JSON with one hole string per name of ``holes``, anywhere) with each hole
    replaced by its expression's text, row by row."""
    import polars as pl

    at: list[tuple[int, str]] = []
    for name in holes:
        mark = json.dumps(_hole(name))
        if text.count(mark) != 1:
            raise AssertionError(f"{name!r} is {text.count(mark)} times in {text!r}")
        at.append((text.index(mark), name))
    pieces: list[pl.Expr] = []
    start = 0
    for pos, name in sorted(at):
        pieces += [pl.lit(text[start:pos]), holes[name]]
        start = pos + len(json.dumps(_hole(name)))
    pieces.append(pl.lit(text[start:]))
    return pl.concat_str(pieces)


def _json(expr: pl.Expr) -> pl.Expr:
    """A column's values as JSON text (``null`` for a null, NaN or infinity)."""
    import polars as pl

    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    return encoded.str.strip_prefix('{"v":').str.strip_suffix("}")


def _object(values: Mapping[str, pl.Expr]) -> pl.Expr:
    """A JSON object of the named values, keys in order (``{}`` for none)."""
    import polars as pl

    if not values:
        return pl.lit("{}")
    return pl.struct([v.alias(k) for k, v in values.items()]).struct.json_encode()


def _by_row(texts: Mapping[int, str], default: str | None) -> pl.Expr:
    """The text of each row number in ``texts`` (a few rows), ``default`` elsewhere."""
    import polars as pl

    if not texts:
        return pl.lit(default, dtype=pl.String)
    return pl.col(ROW).replace_strict(
        dict(texts), default=pl.lit(default, dtype=pl.String), return_dtype=pl.String
    )


def _data_errors_text(errors: Sequence[DataError]) -> str:
    return dumps([attrs.asdict(e) for e in errors])


# -- patterns: worked out once each, in Python -------------------------------------------


def _patterns(
    frame: pl.DataFrame, flags: Sequence[pl.Expr], where: pl.Expr | None = None
) -> tuple[pl.Series, dict[int, tuple[bool, ...]]]:
    """A code per row of ``frame`` for its pattern of ``flags`` (null where ``where`` is
    false), and the pattern (a bool per flag) of each code that occurs."""
    import polars as pl

    words = [
        pl.sum_horizontal(
            f.fill_null(False).cast(pl.Int64) * (1 << k)
            for k, f in enumerate(flags[at : at + _WORD_BITS])
        ).alias(f"w{n}")
        for n, at in enumerate(range(0, len(flags), _WORD_BITS))
    ] or [pl.lit(0, dtype=pl.Int64).alias("w0")]
    keyed = frame.select(*words, (pl.lit(True) if where is None else where).alias("where"))
    if len(words) == 1:
        code = pl.col("w0")
    else:  # more flags than a word holds: a dense rank of the words
        code = pl.struct(pl.col(f"w{n}") for n in range(len(words))).rank("dense").cast(pl.Int64)
    keyed = keyed.with_columns(pl.when(pl.col("where")).then(code).alias("code"))
    seen = keyed.filter(pl.col("code").is_not_null()).unique(subset="code")
    patterns = {
        rec[0]: _unpacked(rec[1:], len(flags))
        for rec in seen.select("code", *(f"w{n}" for n in range(len(words)))).iter_rows()
    }
    return keyed.get_column("code"), patterns


def _unpacked(words: Sequence[int], n: int) -> tuple[bool, ...]:
    """The first ``n`` flags packed in ``words``."""
    bits = [bool(w >> k & 1) for w in words for k in range(_WORD_BITS)]
    return tuple(bits[:n])


def _texts(
    plan: Plan,
    key: Hashable,
    patterns: Mapping[int, tuple[bool, ...]],
    text_of: Callable[[tuple[bool, ...]], str | None],
) -> dict[int, str | None]:
    """The text of each code's pattern, remembered per plan and ``key`` across batches."""
    memo: dict[Hashable, dict[tuple[bool, ...], str | None]] = plan.memo(
        "formats.decision_json.texts", dict
    )
    known = memo.setdefault(key, {})
    texts: dict[int, str | None] = {}
    for code, pattern in patterns.items():
        if pattern not in known:
            known[pattern] = text_of(pattern)
        texts[code] = known[pattern]
    return texts


def _mapped(batch: _Batch, code: pl.Series, texts: Mapping[int, str | None]) -> pl.Expr:
    """Each row's text, by its code (added to the batch)."""
    return _by_code(batch.column(code), texts)


def _by_code(code: pl.Expr, texts: Mapping[int, str | None]) -> pl.Expr:
    import polars as pl

    if not texts:
        return pl.lit(None, dtype=pl.String)
    return code.replace_strict(dict(texts), default=None, return_dtype=pl.String)


def _verdict_and_why(batch: _Batch, has_errors: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The verdict and ``why`` of each row: they depend only on which rules failed and on
    whether the row has data errors."""
    import polars as pl

    plan = batch.plan
    flags = [pl.col(rule_column(r.rule.id)) == FAIL for r in plan.rules]
    found = applied_frame(plan)
    thin = pl.lit(False) if found is None else found["enough"].not_()
    code, patterns = _patterns(batch.frame, [*flags, has_errors, thin])

    def outcomes(pattern: tuple[bool, ...]) -> tuple[int, ...]:
        return tuple(FAIL if failed else PASS for failed in pattern[:-2])

    verdicts = _texts(
        plan, "verdict", patterns, lambda p: verdict_of(plan, outcomes(p), p[-2], p[-1])
    )
    whys = _texts(plan, "why", patterns, lambda p: _why(plan, outcomes(p), p[-2], p[-1]))
    codes = batch.column(code)
    return _by_code(codes, verdicts), _by_code(codes, whys)


def _applied(batch: _Batch) -> pl.Expr:
    """``applied`` of each row as JSON (``null`` without vetting rules): as
    :class:`~kolrules.types.Applied` writes it."""
    import polars as pl

    found = applied_frame(batch.plan)
    if found is None:
        return pl.lit("null")
    return _object(
        {
            "rules": found["rules"],
            "of": pl.lit(len(vetting(batch.plan).rules), dtype=pl.Int64),
            "missing": found["missing"],
            "enough": found["enough"],
        }
    )


def _missing_score(batch: _Batch) -> pl.Expr:
    """``score_missing`` of each row: it depends on which names the score reads are
    missing (through the metrics it reads)."""
    import polars as pl

    plan = batch.plan
    if plan.score is None:
        return pl.lit(None, dtype=pl.String)
    names = _score_reads(plan)
    flags = [_missing(plan, n) for n in names]
    code, patterns = _patterns(batch.frame, flags, pl.col("score").is_null())

    def text_of(pattern: tuple[bool, ...]) -> str | None:
        values = {n: None if missing else 0.0 for n, missing in zip(names, pattern, strict=True)}
        return _score_missing(plan, None, values, values)

    return _mapped(batch, code, _texts(plan, "score_missing", patterns, text_of))


def _score_reads(plan: Plan) -> list[str]:
    """The metrics and inputs the score reads, directly or through metrics."""
    assert plan.score is not None
    defs = {name: expr for name, expr in plan.metrics if expr is not None}
    seen: list[str] = []
    todo = list(plan.score.names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.append(name)
            if name in defs:
                todo.extend(defs[name].names)
    return [n for n in seen if n in defs or n in plan.inputs]


# -- names: where a message or a finding reads them ----------------------------------------


def _metric_names(plan: Plan) -> list[str]:
    """The decision's metrics: the plugins' derived metrics, then the plan's."""
    return list(dict.fromkeys([*plan.derived, *plan.metric_names]))


def _value(plan: Plan, name: str) -> pl.Expr:
    """A name's value as a decision reads it (tier and band, then metrics, then params,
    then fields: the order of :class:`kolrules.evaluate._Names`)."""
    import polars as pl

    if name in _BAND_NAMES or name in _metric_names(plan):
        return pl.col(name)
    if name in plan.params:
        value = plan.params[name]
        return pl.lit(value, dtype=pl.String if isinstance(value, str) else pl.Float64)
    if name in plan.inputs:
        return pl.col(name)
    return pl.lit(None)


def _missing(plan: Plan, name: str) -> pl.Expr:
    """Whether a name is missing (a param never is)."""
    import polars as pl

    if name in plan.params and name not in _BAND_NAMES and name not in _metric_names(plan):
        return pl.lit(False)
    return _value(plan, name).is_null()


# -- the parts of a decision --------------------------------------------------------------


def _price(plan: Plan) -> pl.Expr:
    """The price assessment, with the quote placed as
    :func:`~kolrules.evaluate.price_position` places it (NaN is neither below nor above)."""
    import polars as pl

    price, bmin, bmax = pl.col("price"), pl.col("band_min"), pl.col("band_max")

    def below(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (a < b) & a.is_not_nan() & b.is_not_nan()

    position = (
        pl.when(price.is_null() | (bmin.is_null() & bmax.is_null()))
        .then(None)
        .when(bmin.is_not_null() & below(price, bmin))
        .then(pl.lit("below"))
        .when(bmax.is_not_null() & below(bmax, price))
        .then(pl.lit("above"))
        .otherwise(pl.lit("within"))
    )
    cpe = pl.col("cpe") if "cpe" in _metric_names(plan) else pl.lit(None, dtype=pl.Float64)
    parts = {
        "quote": price,
        "band_min": bmin,
        "band_max": bmax,
        "position": position,
        "cpe": cpe,
        "gifting": pl.lit(False) if "price" in plan.absent else price.is_null(),
    }
    return pl.struct(parts[f.name].alias(f.name) for f in attrs.fields(PriceAssessment))


def _metrics(plan: Plan) -> pl.Expr:
    """The metrics, as a JSON object."""
    import polars as pl

    names = _metric_names(plan)
    if not names:
        return pl.lit("{}")
    return _json(pl.struct(pl.col(n) for n in names))


def _findings(batch: _Batch) -> pl.Expr:
    """The findings, as a JSON list, in rule order."""
    import polars as pl

    found = [_finding_text(batch, i, r) for i, r in enumerate(batch.plan.rules)]
    return pl.concat_str([pl.lit("["), pl.concat_str(found, separator=","), pl.lit("]")])


def _finding_text(batch: _Batch, i: int, r: CompiledRule) -> pl.Expr:
    """The rule's finding: the same on every row where it passed; worked out only on the
    rows where it failed; by pattern where it is not applicable."""
    import polars as pl

    plan = batch.plan
    made = _made(plan)[i]
    outcome = pl.col(rule_column(r.rule.id))
    passed = dumps(attrs.asdict(_finding(r, made, PASS, {})))
    return (
        pl.when(outcome == PASS)
        .then(pl.lit(passed))
        .when(outcome == FAIL)
        .then(batch.only_where((outcome == FAIL) & pl.col(BAD).not_(), _failed(batch, i, r)))
        .otherwise(_not_applicable(batch, i, r))
    )


def _not_applicable(batch: _Batch, i: int, r: CompiledRule) -> pl.Expr:
    """The rule's not-applicable finding on each row where it is one: it depends on the
    outcome (``when`` false, or a missing input) and on which names it reads are missing."""
    import polars as pl

    plan = batch.plan
    names = list(dict.fromkeys([*(r.when.names if r.when else ()), *r.require.names]))
    outcome = pl.col(rule_column(r.rule.id))
    flags = [outcome == UNKNOWN, *(_missing(plan, n) for n in names)]
    code, patterns = _patterns(batch.frame, flags, outcome >= NOT_APPLICABLE)
    made = _made(plan)[i]

    def text_of(pattern: tuple[bool, ...]) -> str:
        values = {
            n: None if missing else 0.0 for n, missing in zip(names, pattern[1:], strict=True)
        }
        found = _finding(r, made, UNKNOWN if pattern[0] else NOT_APPLICABLE, values)
        return dumps(attrs.asdict(found))

    return _mapped(batch, code, _texts(plan, ("not_applicable", i), patterns, text_of))


def _failed(batch: _Batch, i: int, r: CompiledRule) -> pl.Expr:
    """The rule's failed finding: its message, what it would take and the failed rule
    that supersedes it, if any."""
    import polars as pl

    plan, rule = batch.plan, r.rule
    over: pl.Expr = pl.lit(None, dtype=pl.String)
    for j in reversed(superseded_by(plan)[i]):  # the first failed one names it
        other = plan.rules[j].rule.id
        over = pl.when(pl.col(rule_column(other)) == FAIL).then(pl.lit(other)).otherwise(over)
    seen, thresholds = looked_at(plan)[i]
    holes = {
        "message": _json(pl.col(_message_column(i))),
        "to_pass": _to_pass(batch, r),
        "superseded_by": _json(over),
        "seen": _object({n: _value(plan, n) for n in seen}),
        "thresholds": pl.lit(dumps(dict(thresholds))),
    }
    shown: dict[str, Any] = {name: _hole(name) for name in holes}
    template = attrs.evolve(
        Finding(rule.id, rule.stage, OUTCOMES[FAIL], rule.severity, ""),  # type: ignore[arg-type]
        **shown,
    )
    return _fill(dumps(attrs.asdict(template)), holes)


def _to_pass(batch: _Batch, r: CompiledRule) -> pl.Expr:
    """``to_pass`` of the failed rule, as :func:`kolrules.evaluate.to_pass` makes it: each
    need whose input does not meet it now; ``null`` when none (or the rule has none)."""
    import polars as pl

    if not r.needs:
        return pl.lit("null")
    entries = [_need_entry(batch, r, k) for k in range(len(r.needs))]
    listed = pl.concat_str(entries, separator=",", ignore_nulls=True)
    return (
        pl.when(listed == "")
        .then(pl.lit("null"))
        .otherwise(pl.concat_str([pl.lit("["), listed, pl.lit("]")]))
    )


def _need_entry(batch: _Batch, r: CompiledRule, k: int) -> pl.Expr:
    """The ``k``-th need of the failed rule as a ToPass (JSON), on the rows where the
    input does not meet it: present, or with a value that it does not meet (compared only
    when both are of one type, as Python's ``type(now) is type(need)``); null elsewhere."""
    import polars as pl

    need = r.needs[k]
    now = _value(batch.plan, need.name)
    if need.op == "present":
        text = dumps(attrs.asdict(ToPass(need.name, None, "present", None, need.part)))
        return pl.when(now.is_null()).then(pl.lit(text))
    column = need_column(r.rule.id, k)
    value = pl.col(column)
    schema = batch.frame.lazy().select(now, value).collect_schema()
    shown = need_unmet(now, value, need.op, schema.dtypes()[0], schema[column])
    holes = {"now": _json(now), "need": _json(value)}
    template = ToPass(need.name, _hole("now"), need.op, _hole("need"), need.part)
    return pl.when(shown).then(_fill(dumps(attrs.asdict(template)), holes))
