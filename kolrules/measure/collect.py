"""One pass over a labelled input: every row evaluated on the columnar path, batch by batch,
and what measuring needs of the labelled rows kept in compact frames.

Every measure of a rule or of the verdict depends on a row only through its outcomes and
its label, so the labelled rows are kept as *patterns* (:attr:`Labelled.patterns`): one
row per distinct combination, with ``rows``, how many rows have it:

- ``positive``: whether the label is one of the positive values (compared ignoring case);
- ``verdict``: the verdict;
- ``rule:<id>``: each rule's outcome code (:data:`kolrules.compile.PASS`, ``FAIL``,
  ``NOT_APPLICABLE``, ``UNKNOWN``), as in a decision frame;
- what else the verdict reads: the data errors flag, and whether each name read by the
  ``when`` of a vetting rule is missing (``null:<name>``; ``[verdict] min_applicable``).

From them, :func:`verdicts_without` gives the verdict of the ruleset *without* each rule,
by writing the verdict expression for the ruleset less the rule and running it over the
patterns: a few thousand rows, whatever the input's size.

The thresholds fitted by :mod:`kolrules.measure.fit` need each row's value of a metric or
field, so for them (``values``) a per-row frame is kept too (:attr:`Labelled.values`):
``positive``, the outcome of each rule asked for, and ``value:<name>`` as a float.

Rows that are errors (not evaluated: :attr:`kolrules.normalise.NormalisedFrame.row_errors`)
and rows with an empty label are counted and left out. This module only reads and keeps;
:mod:`kolrules.measure.judge` measures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from kolrules.compile import Plan, rule_column
from kolrules.errors import InputFileError
from kolrules.evaluate import evaluate_columns
from kolrules.measure.errors import LabelError
from kolrules.normalise import BAD, HAS_DATA_ERRORS, SeenIds
from kolrules.read import BATCH_ROWS

if TYPE_CHECKING:
    import polars as pl

    from kolrules.engine import Engine

__all__ = [
    "PREDICTS",
    "Labelled",
    "Predict",
    "collect",
    "label_column",
    "value_column",
    "without_column",
]

Predict = Literal["reject", "review"]
#: The verdicts that predict positive, for each ``predict``.
PREDICTS: dict[str, tuple[str, ...]] = {"reject": ("reject",), "review": ("reject", "review")}


def without_column(rule_id: str) -> str:
    """The column of "the verdict without rule ``rule_id`` predicts positive"."""
    return f"without:{rule_id}"


def value_column(name: str) -> str:
    """The column of the values of the metric or field ``name``."""
    return f"value:{name}"


@attrs.frozen
class Labelled:
    """The labelled rows of one input (see the module's docstring).

    ``rows``: rows read; ``errors``: rows not evaluated; ``unlabelled``: rows evaluated
    whose label is empty; ``column``: the label column's header as the input spells it;
    ``labels``: each label (as written, without surrounding spaces) and its rows."""

    source: str
    column: str
    rows: int
    errors: int
    unlabelled: int
    patterns: pl.DataFrame = attrs.field(repr=False, eq=False)
    labels: pl.DataFrame = attrs.field(repr=False, eq=False)
    values: pl.DataFrame = attrs.field(repr=False, eq=False)
    #: How the verdict without each rule is computed over :attr:`patterns`.
    verdicts: _Verdicts = attrs.field(repr=False, eq=False)

    @property
    def labelled(self) -> int:
        return int(self.patterns.get_column("rows").sum()) if self.patterns.height else 0

    def verdicts_without(self) -> pl.DataFrame:
        """Per pattern, ``without:<id>``: whether the verdict without that rule predicts
        positive (``predict``)."""
        return self.verdicts.without(self.patterns)


def label_column(headers: Sequence[str], label: str) -> str:
    """The header of the label column named ``label``: as written, else the one header
    equal to it ignoring case and surrounding spaces."""
    if label in headers:
        return label
    same = [h for h in headers if h.strip().casefold() == label.strip().casefold()]
    if len(same) == 1:
        return same[0]
    shown = ", ".join(repr(h) for h in headers)
    if same:
        raise LabelError(
            f"{len(same)} columns could be the label column {label!r} ({shown}); "
            "give its header exactly as written with --label"
        )
    raise LabelError(
        f"no label column {label!r}: the input's columns are {shown}; "
        "name the column that holds the outcomes with --label"
    )


def collect(
    engine: Engine,
    source: str | Path,
    *,
    label: str,
    positive: Sequence[str],
    predict: Predict = "reject",
    values: Sequence[str] = (),
    rules: Sequence[str] = (),
    input_format: str | None = None,
    sheet: str | int | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Labelled:
    """Evaluate every row of the file ``source`` with ``engine`` and keep what measuring
    needs of the labelled rows: :class:`Labelled`. ``values``: the metrics and fields
    whose values are kept per row, with the outcomes of ``rules``. ``progress`` is called
    with the rows read so far after each batch."""
    import polars as pl

    path = Path(source)
    wanted = [p.strip().lower() for p in positive if p.strip()]  # as polars lowercases
    reader = engine.reader(path, input_format, sheet=sheet)
    batches = _batches(reader.batches, reader.read, path, batch_rows)
    patterns: list[pl.DataFrame] = []
    labels: list[pl.DataFrame] = []
    kept: list[pl.DataFrame] = []
    rows = errors = unlabelled = 0
    seen = SeenIds()
    verdicts: _Verdicts | None = None
    column = label
    try:
        for df in batches:
            if verdicts is None:
                plan = engine.plan_for(df.columns)
                column = label_column(df.columns, label)
                verdicts = _Verdicts(plan, predict)
            norm = engine.normalise_frame(df, offset=rows, seen=seen)
            out = evaluate_columns(verdicts.plan, norm.rows)
            text = df.get_column(column).cast(pl.String).str.strip_chars()
            out = out.with_columns(
                pl.when(text.str.len_chars() > 0).then(text).otherwise(None).alias("label")
            )
            evaluated = out.filter(pl.col(BAD).not_())
            labelled = evaluated.filter(pl.col("label").is_not_null()).with_columns(
                pl.col("label").str.to_lowercase().is_in(wanted).alias("positive")
            )
            verdicts.read(labelled.schema)
            patterns.append(labelled.group_by(verdicts.key()).len("rows"))
            labels.append(labelled.group_by("label").len("rows"))
            if values:
                kept.append(
                    labelled.select(
                        "positive",
                        *(rule_column(r) for r in rules),
                        *(pl.col(n).cast(pl.Float64).alias(value_column(n)) for n in values),
                    )
                )
            rows += df.height
            errors += out.height - evaluated.height
            unlabelled += evaluated.height - labelled.height
            if progress is not None:
                progress(rows)
    except InputFileError as exc:  # said without the file's name (normalising a frame)
        if str(exc).startswith("input file "):
            raise
        raise type(exc)(f"input file {path}: {exc}") from None
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    if verdicts is None:
        verdicts = _Verdicts(engine.plan, predict)
    return Labelled(
        str(path),
        column,
        rows,
        errors,
        unlabelled,
        _summed(patterns),
        _summed(labels),
        pl.concat(kept) if kept else pl.DataFrame(),
        verdicts,
    )


def _summed(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """``frames`` (of the same key columns and ``rows``) as one, ``rows`` summed by key."""
    import polars as pl

    if not frames:
        return pl.DataFrame({"rows": []}, schema={"rows": pl.UInt32})
    whole = pl.concat(frames)
    keys = [c for c in whole.columns if c != "rows"]
    return whole.group_by(keys).agg(pl.col("rows").sum())


class _Verdicts:
    """The verdict of ``plan`` without each of its rules, over the patterns.

    The verdict expression is the plan's own, written for the ruleset less one rule
    (:meth:`kolrules.compile.Plan.columns`); it reads the rule outcomes, the data errors
    flag, and whether names are missing (``is_null``: the vetting share). A pattern keeps
    that much of each name (``null:<name>``); :meth:`without` puts back a column of the
    name's type, missing or not, and checks that the whole ruleset's verdict expression
    gives every pattern its verdict again."""

    def __init__(self, plan: Plan, predict: Predict) -> None:
        self.plan = plan
        self.predict = predict
        self.positive = list(PREDICTS[predict])
        self.rules = [rule_column(r.rule.id) for r in plan.rules]
        self.exprs = [_verdict_without(plan, i) for i in range(len(plan.rules) + 1)]
        read = {name for e in self.exprs for name in e.meta.root_names()}
        self.names = sorted(read - {*self.rules, HAS_DATA_ERRORS})
        self.types: dict[str, pl.DataType] = {}

    def read(self, schema: Mapping[str, pl.DataType]) -> None:
        """Note the type of each name the verdict reads (from an evaluated frame)."""
        if not self.types:
            self.types = {name: schema[name] for name in self.names}

    def key(self) -> list[pl.Expr]:
        """What makes a pattern, over an evaluated frame."""
        import polars as pl

        return [
            pl.col("positive"),
            pl.col("verdict"),
            *(pl.col(c) for c in self.rules),
            pl.col(HAS_DATA_ERRORS),
            *(pl.col(n).is_null().alias(f"null:{n}") for n in self.names),
        ]

    def without(self, patterns: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        if not patterns.height:
            return pl.DataFrame({without_column(r.rule.id): [] for r in self.plan.rules})
        stand_ins = [
            pl.when(pl.col(f"null:{n}")).then(None).otherwise(_stand_in(self.types[n])).alias(n)
            for n in self.names
        ]
        frame = patterns.with_columns(stand_ins)
        *less, whole = self.exprs
        again = frame.select((whole == pl.col("verdict")).all()).item()
        if not again:  # pragma: no cover - the verdict read more than the patterns keep
            raise AssertionError("the verdict of a pattern differs from its rows' verdict")
        return frame.select(
            e.is_in(self.positive).fill_null(False).alias(without_column(r.rule.id))
            for r, e in zip(self.plan.rules, less, strict=True)
        )


def _stand_in(dtype: pl.DataType) -> pl.Expr:
    """A value of ``dtype`` that is not missing (what it is does not matter)."""
    import polars as pl

    if dtype.is_numeric():
        return pl.lit(0).cast(dtype)
    if dtype == pl.Boolean:
        return pl.lit(False)
    return pl.lit("x").cast(dtype)


def _verdict_without(plan: Plan, i: int) -> pl.Expr:
    """The verdict expression of ``plan`` without its ``i``-th rule (with them all when
    ``i`` is past the last), over an evaluated frame."""
    rules = plan.rules[:i] + plan.rules[i + 1 :]
    less = attrs.evolve(plan, rules=rules, _memo={}) if i < len(plan.rules) else plan
    for expr in less.columns():
        if expr.meta.output_name() == "verdict":
            return expr
    raise AssertionError("a plan's columns have no verdict")  # pragma: no cover


def _batches(
    batches: Callable[[Path, int], Iterator[pl.DataFrame]] | None,
    read: Callable[[Path], pl.DataFrame],
    path: Path,
    batch_rows: int,
) -> Iterator[pl.DataFrame]:
    """The input in frames of at most ``batch_rows`` rows."""
    if batches is not None:
        return batches(path, batch_rows)
    whole = read(path)
    return iter([whole.slice(at, batch_rows) for at in range(0, max(whole.height, 1), batch_rows)])
