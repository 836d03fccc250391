"""Run a compiled :class:`~kolrules.compile.Plan`: the "evaluate" step (scoring included,
since the score is one more compiled expression of the plan).

Two paths, one answer:

- :func:`evaluate_values` runs the plan's generated Python function on one normalised
  profile (no dataframe, no per-row plugin calls);
- :func:`evaluate_columns` runs the plan's polars expressions over a normalised frame in
  one lazy query, with no Python loop over rows. :func:`decisions_from_columns` turns its
  rows into :class:`~kolrules.types.Decision` objects when a caller wants objects.

Both build decisions with :func:`build_decision`, so findings, messages and verdicts are
produced by the same code from the same values.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from kolrules.compile import (
    NOT_APPLICABLE,
    OUTCOMES,
    TEMP_PREFIX,
    UNKNOWN,
    CompiledRule,
    Plan,
    rule_column,
    verdict_of,
)
from kolrules.normalise import HAS_DATA_ERRORS, ROW
from kolrules.types import DataError, Decision, Finding, PriceAssessment, PricePosition

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "build_decision",
    "decisions_from_columns",
    "evaluate_columns",
    "evaluate_values",
    "format_value",
    "price_position",
]


def format_value(value: Any, spec: str = "") -> str:
    """How a value shows in a message: ``missing`` for None, numbers readable
    (``12,000``, ``3.46``, ``0.0123``) unless the template gives a format spec."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if spec:
            return format(value, spec)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    return format(value, spec) if spec else str(value)


@cache
def _pieces(template: str) -> tuple[tuple[str, str | None, str], ...]:
    return tuple(
        (lit, field, spec or "") for lit, field, spec, _ in string.Formatter().parse(template)
    )


def render(template: str, names: Mapping[str, Any]) -> str:
    """Fill a message template (checked when the ruleset was compiled)."""
    out = []
    for lit, field, spec in _pieces(template):
        out.append(lit)
        if field is not None:
            value = names.get(field)
            out.append(format_value(value, spec if value is not None else ""))
    return "".join(out)


def price_position(
    price: float | None, band_min: float | None, band_max: float | None
) -> PricePosition | None:
    """Where a quote sits against the tier's fair band."""
    if price is None or (band_min is None and band_max is None):
        return None
    if band_min is not None and price < band_min:
        return "below"
    if band_max is not None and price > band_max:
        return "above"
    return "within"


def _finding(r: CompiledRule, outcome: int, names: Mapping[str, Any]) -> Finding:
    rule = r.rule
    if outcome == 1:
        message = render(r.template, names)
    elif outcome == NOT_APPLICABLE:
        when = r.when.source if r.when else "when"
        gaps = [n for n in (r.when.names if r.when else ()) if names.get(n) is None]
        message = f"not applicable: {when} is false" + (
            f" (missing {', '.join(gaps)})" if gaps else ""
        )
    elif outcome == UNKNOWN:
        gaps = [n for n in r.require.names if names.get(n) is None]
        message = (
            "not applicable: missing " + ", ".join(gaps)
            if gaps
            else f"not applicable: {r.require.source} cannot be computed (division by zero)"
        )
    else:
        message = f"passed: {r.require.source}"
    return Finding(rule.id, rule.stage, OUTCOMES[outcome], rule.severity, message)  # type: ignore[arg-type]


def build_decision(
    plan: Plan,
    fields: Mapping[str, Any],
    tier: str | None,
    band_min: float | None,
    band_max: float | None,
    metric_values: Sequence[Any],
    outcomes: Sequence[int],
    score: float | None,
    *,
    row: int | None = None,
    data_errors: tuple[DataError, ...] = (),
) -> Decision:
    """Assemble a decision from evaluated values (shared by both paths)."""
    metrics = dict(zip(plan.metric_names, metric_values, strict=True))
    names: dict[str, Any] = {**fields, **plan.params, **metrics}
    names.update(tier=tier, band_min=band_min, band_max=band_max)
    findings = tuple(_finding(r, o, names) for r, o in zip(plan.rules, outcomes, strict=True))
    price = fields.get("price")
    return Decision(
        id=str(fields["id"]),
        platform=plan.platform.name,
        row=row,
        verdict=verdict_of(plan, tuple(outcomes), bool(data_errors)),  # type: ignore[arg-type]
        tier=tier,
        score=score,
        price=PriceAssessment(
            quote=price,
            band_min=band_min,
            band_max=band_max,
            position=price_position(price, band_min, band_max),
            cpe=metrics.get("cpe"),
            gifting=price is None,
        ),
        findings=findings,
        data_errors=data_errors,
        ruleset=plan.ruleset.ref,
        metrics=metrics,
    )


def evaluate_values(
    plan: Plan,
    values: Mapping[str, Any],
    *,
    row: int | None = None,
    data_errors: tuple[DataError, ...] = (),
) -> Decision:
    """Evaluate one normalised profile (every schema field present, numbers as floats)."""
    tier, band_min, band_max, metric_values, outcomes, score = plan.scalar(values)
    return build_decision(
        plan,
        values,
        tier,
        band_min,
        band_max,
        metric_values,
        outcomes,
        score,
        row=row,
        data_errors=data_errors,
    )


def evaluate_columns(plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
    """Evaluate a normalised frame; adds tier, band, metric, ``rule:<id>`` (0 pass,
    1 fail, 2 not applicable), score, verdict, price position and gifting columns."""
    import polars as pl

    lf = frame.lazy()
    if HAS_DATA_ERRORS not in frame.columns:
        lf = lf.with_columns(pl.lit(False).alias(HAS_DATA_ERRORS))
    for expr in plan.columns():
        lf = lf.with_columns(expr)
    price, bmin, bmax = pl.col("price"), pl.col("band_min"), pl.col("band_max")
    position = (
        pl.when(price.is_null() | (bmin.is_null() & bmax.is_null()))
        .then(None)
        .when(bmin.is_not_null() & (price < bmin))
        .then(pl.lit("below"))
        .when(bmax.is_not_null() & (price > bmax))
        .then(pl.lit("above"))
        .otherwise(pl.lit("within"))
    )
    lf = lf.with_columns(position.alias("price_position"), price.is_null().alias("gifting"))
    return lf.select(pl.exclude(f"^{TEMP_PREFIX}.*$")).collect()


def decisions_from_columns(
    plan: Plan, out: pl.DataFrame, data_errors: Mapping[int, tuple[DataError, ...]] | None = None
) -> Iterator[Decision]:
    """Decisions for the rows of :func:`evaluate_columns`' result, in order."""
    fields = list(plan.schema.fields)
    metrics = list(plan.metric_names)
    rules = [rule_column(r.rule.id) for r in plan.rules]
    cols = [ROW, *fields, "tier", "band_min", "band_max", *metrics, *rules, "score"]
    nf, nm = len(fields), len(metrics)
    errors = data_errors or {}
    for rec in out.select(cols).iter_rows():
        row = rec[0]
        values = dict(zip(fields, rec[1 : 1 + nf], strict=True))
        at = 1 + nf
        tier, bmin, bmax = rec[at : at + 3]
        at += 3
        metric_values = rec[at : at + nm]
        at += nm
        outcomes = rec[at : at + len(rules)]
        yield build_decision(
            plan,
            values,
            tier,
            bmin,
            bmax,
            metric_values,
            outcomes,
            rec[-1],
            row=row,
            data_errors=errors.get(row, ()),
        )
