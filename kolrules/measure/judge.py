"""How good each rule and the verdict are against the outcomes: :func:`measure`.

From the labelled rows of one pass (:mod:`kolrules.measure.collect`):

- per rule: on how many rows it applied (passed or failed), failed and was not applicable
  (its ``when`` false, or a value it needs missing); its confusion matrix taking "the rule
  failed" as predicting positive (where it did not apply it predicts negative); the
  measures of :mod:`kolrules.measure.confusion` with their bootstrap intervals; a flag
  when it never fails or always fails where it applies; the verdict's MCC without it;
- the verdict's confusion matrix and measures (positive: ``reject``, or ``reject`` and
  ``review``);
- pairs of rules that almost always fail together: the rows both fail are at least
  :data:`REDUNDANT` of the rows either fails;
- the rules whose removal leaves the verdict's MCC as it is or better: they add nothing to
  it (a rule of severity ``info`` never changes the verdict, so it is always one).

Every count is one polars expression over the patterns of the labelled rows
(:attr:`kolrules.measure.collect.Labelled.patterns`, weighted by their rows), all in one
``select``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kolrules.compile import FAIL, Plan, rule_column
from kolrules.measure.collect import PREDICTS, Labelled, Predict, collect, without_column
from kolrules.measure.confusion import (
    FITS,
    RESAMPLES,
    Confusion,
    Interval,
    bootstrap,
    require_numpy,
)
from kolrules.measure.errors import LabelError, MeasureError
from kolrules.measure.fit import FOLDS, MIN_SUPPORT, Suggestion, candidates, fit
from kolrules.read import BATCH_ROWS
from kolrules.types import RulesetRef

if TYPE_CHECKING:
    import polars as pl

    from kolrules.engine import Engine

__all__ = ["REDUNDANT", "Measured", "Measurement", "Pair", "RuleMeasure", "measure"]

#: Two rules are redundant when the rows both fail are at least this share of the rows
#: either fails (their Jaccard index).
REDUNDANT = 0.9
#: Two MCCs closer than this are equal (a dropped rule that changes nothing).
_SAME = 1e-12
#: How many label values an error message lists.
_SHOWN_LABELS = 8


@attrs.frozen
class Measured:
    """A confusion matrix with its measures and their 95 % bootstrap intervals."""

    confusion: Confusion
    scores: Mapping[str, float]
    intervals: Mapping[str, Interval]


@attrs.frozen
class RuleMeasure:
    """One rule against the outcomes (see the module's docstring). ``flag``: ``never
    fails`` (on no labelled row), ``always fails`` (on every labelled row it applies to)
    or empty."""

    rule: str
    severity: str
    applied: int
    failed: int
    not_applicable: int
    measured: Measured
    flag: str
    verdict_mcc_without: float


@attrs.frozen
class Pair:
    """Two rules that almost always fail together: ``both`` rows fail both, ``either``
    fail one or both (``jaccard`` is ``both / either``)."""

    first: str
    second: str
    both: int
    either: int
    jaccard: float


@attrs.frozen
class Measurement:
    """A ruleset measured against the outcomes of one labelled input.

    ``rows``: rows read; ``errors``: rows not evaluated (row errors), left out;
    ``unlabelled``: evaluated rows with an empty label, left out; ``labelled``: the rows
    measured, ``positives`` of them positive. ``rules`` are sorted by MCC, highest first
    (then in ruleset order). ``suggestions``: one per rule, in ruleset order, when a
    threshold fit was asked for (``fit``)."""

    ruleset: RulesetRef
    ruleset_path: str
    source: str
    label: str
    positive: tuple[str, ...]
    predict: Predict
    rows: int
    errors: int
    unlabelled: int
    labelled: int
    positives: int
    verdict: Measured
    rules: tuple[RuleMeasure, ...]
    redundant: tuple[Pair, ...]
    adds_nothing: tuple[str, ...]
    seed: int
    resamples: int
    min_support: int
    fit: str | None = None
    suggestions: tuple[Suggestion, ...] = ()


def measure(
    engine: Engine,
    source: str | Path,
    *,
    label: str,
    positive: Sequence[str],
    predict: Predict = "reject",
    suggest: str | None = None,
    folds: int = FOLDS,
    min_support: int = MIN_SUPPORT,
    seed: int = 0,
    resamples: int = RESAMPLES,
    input_format: str | None = None,
    sheet: str | int | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Measurement:
    """Measure ``engine``'s ruleset against the outcomes in column ``label`` of the file
    ``source``: the rows whose label is one of ``positive`` (ignoring case and surrounding
    spaces) are positive, every other non-empty label negative.

    ``suggest``: a measure of :data:`~kolrules.measure.confusion.FITS` to fit thresholds
    to (:func:`kolrules.measure.fit.fit`, with ``folds``, ``min_support`` and ``seed``).
    ``seed`` also seeds the bootstrap. Raises :class:`LabelError` when the labels give no
    measure, :class:`MeasureError` for an argument out of range or numpy missing."""
    require_numpy()
    wanted = tuple(dict.fromkeys(p.strip() for p in positive if p.strip()))
    _check_arguments(wanted, predict, suggest, folds, min_support, resamples)
    names: tuple[str, ...] = ()
    fitted: tuple[str, ...] = ()
    if suggest is not None:
        found = candidates(engine.plan)[0]
        names = tuple(dict.fromkeys(c.name for c in found))
        fitted = tuple(c.rule for c in found)
    labelled = collect(
        engine,
        source,
        label=label,
        positive=wanted,
        predict=predict,
        values=names,
        rules=fitted,
        input_format=input_format,
        sheet=sheet,
        batch_rows=batch_rows,
        progress=progress,
    )
    positives = _check_labels(labelled, wanted)
    verdict, rules, redundant = _judged(labelled, engine.plan, seed, resamples)
    mcc = verdict.scores["mcc"]
    adds_nothing = tuple(r.rule for r in rules if r.verdict_mcc_without >= mcc - _SAME)
    suggestions: tuple[Suggestion, ...] = ()
    if suggest is not None:
        suggestions = fit(
            labelled, engine.plan, fit=suggest, folds=folds, min_support=min_support, seed=seed
        )
    return Measurement(
        ruleset=engine.ruleset.ref,
        ruleset_path=engine.ruleset.path,
        source=labelled.source,
        label=labelled.column,
        positive=wanted,
        predict=predict,
        rows=labelled.rows,
        errors=labelled.errors,
        unlabelled=labelled.unlabelled,
        labelled=labelled.labelled,
        positives=positives,
        verdict=verdict,
        rules=rules,
        redundant=redundant,
        adds_nothing=adds_nothing,
        seed=seed,
        resamples=resamples,
        min_support=min_support,
        fit=suggest,
        suggestions=suggestions,
    )


def _check_arguments(
    positive: tuple[str, ...],
    predict: str,
    suggest: str | None,
    folds: int,
    min_support: int,
    resamples: int,
) -> None:
    if not positive:
        raise MeasureError(
            "no positive label value given: say which labels are positive with --positive "
            "VALUE[,VALUE...] (for example --positive fake)"
        )
    if predict not in PREDICTS:
        raise MeasureError(f"predict must be 'reject' or 'review', not {predict!r}")
    if suggest is not None and suggest not in FITS:
        raise MeasureError(f"unknown fit {suggest!r}; choose one of {', '.join(FITS)}")
    if folds < 2:
        raise MeasureError(f"cross-validation needs at least 2 folds, not {folds}")
    if min_support < 1:
        raise MeasureError(f"min_support must be at least 1, not {min_support}")
    if resamples < 1:
        raise MeasureError(f"the bootstrap needs at least 1 resample, not {resamples}")


def _check_labels(labelled: Labelled, positive: tuple[str, ...]) -> int:
    """The number of positive labelled rows; a :class:`LabelError` when the labels give
    no measure."""
    import polars as pl

    where = f"input file {labelled.source}"
    column = labelled.column
    evaluated = labelled.rows - labelled.errors
    if evaluated == 0:
        raise LabelError(
            f"{where}: no row could be evaluated ({labelled.errors:,} row errors); "
            f"`kolrules evaluate {labelled.source}` lists why"
        )
    if labelled.labelled == 0:
        raise LabelError(
            f"{where}: no row has a label: column {column!r} is empty on all "
            f"{evaluated:,} evaluated rows; fill in the outcomes, or name the column that "
            "holds them with --label"
        )
    patterns = labelled.patterns
    positives = int(patterns.filter(pl.col("positive")).get_column("rows").sum())
    if 0 < positives < labelled.labelled:
        return positives
    counts = labelled.labels.sort(["rows", "label"], descending=[True, False])
    shown = ", ".join(f"{v!r} ({n:,})" for v, n in counts.head(_SHOWN_LABELS).iter_rows())
    more = counts.height - _SHOWN_LABELS
    if more > 0:
        shown += f" and {more:,} more"
    given = ", ".join(repr(p) for p in positive)
    if positives == 0:
        raise LabelError(
            f"{where}: no labelled row is positive: none of the {labelled.labelled:,} labels "
            f"in column {column!r} is {given} (the labels: {shown}); give the positive "
            "values with --positive"
        )
    raise LabelError(
        f"{where}: every labelled row is positive ({labelled.labelled:,} labels in column "
        f"{column!r}: {shown}): measuring needs rows of both outcomes; label the accounts "
        "found genuine too, or check --positive"
    )


def _judged(
    labelled: Labelled, plan: Plan, seed: int, resamples: int
) -> tuple[Measured, tuple[RuleMeasure, ...], tuple[Pair, ...]]:
    import polars as pl

    frame = pl.concat([labelled.patterns, labelled.verdicts_without()], how="horizontal")
    rows = pl.col("rows").cast(pl.Int64)
    y = pl.col("positive")
    ids = [r.rule.id for r in plan.rules]

    def count(where: pl.Expr, name: str) -> pl.Expr:
        return pl.when(where).then(rows).otherwise(0).sum().alias(name)

    def fails(rule: str) -> pl.Expr:
        return pl.col(rule_column(rule)) == FAIL

    def cells(predicted: pl.Expr, name: str) -> list[pl.Expr]:
        return [count(predicted & y, f"{name}:tp"), count(predicted & ~y, f"{name}:fp")]

    predicted = pl.col("verdict").is_in(list(PREDICTS[labelled.verdicts.predict]))
    exprs = [rows.sum().alias("n"), count(y, "positives"), *cells(predicted, "verdict")]
    for rule in ids:
        exprs += [
            count(pl.col(rule_column(rule)) <= FAIL, f"{rule}:applied"),
            count(fails(rule), f"{rule}:failed"),
            *cells(fails(rule), rule),
            *cells(pl.col(without_column(rule)), f"without:{rule}"),
        ]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
    exprs += [count(fails(a) & fails(b), f"both:{a}:{b}") for a, b in pairs]
    counts = frame.select(exprs).row(0, named=True)
    n, p = int(counts["n"]), int(counts["positives"])

    def confusion(name: str) -> Confusion:
        tp, fp = int(counts[f"{name}:tp"]), int(counts[f"{name}:fp"])
        return Confusion(tp, fp, n - p - fp, p - tp)

    def measured(name: str, key: str) -> Measured:
        found = confusion(name)
        intervals = bootstrap(found, seed=seed, key=key, resamples=resamples)
        return Measured(found, found.scores(), intervals)

    verdict = measured("verdict", "")
    rules = []
    for order, r in enumerate(plan.rules):
        rule = r.rule.id
        applied, failed = int(counts[f"{rule}:applied"]), int(counts[f"{rule}:failed"])
        flag = "never fails" if failed == 0 else ""
        if failed and failed == applied:
            flag = "always fails"
        rules.append(
            (
                order,
                RuleMeasure(
                    rule,
                    r.rule.severity,
                    applied,
                    failed,
                    n - applied,
                    measured(rule, rule),
                    flag,
                    confusion(f"without:{rule}").scores()["mcc"],
                ),
            )
        )
    rules.sort(key=lambda item: (-item[1].measured.scores["mcc"], item[0]))
    failures = {rule: int(counts[f"{rule}:failed"]) for rule in ids}
    redundant = []
    for a, b in pairs:
        both = int(counts[f"both:{a}:{b}"])
        either = failures[a] + failures[b] - both
        if both and both / either >= REDUNDANT:
            redundant.append(Pair(a, b, both, either, both / either))
    redundant.sort(key=lambda q: (-q.jaccard, -q.both))
    return verdict, tuple(m for _, m in rules), tuple(redundant)
