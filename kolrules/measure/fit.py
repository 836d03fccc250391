"""Thresholds fitted to the outcomes (``kolrules measure --suggest``).

A rule is fitted when its ``require`` is one comparison of a metric or field with one
``[params]`` value, either side (``likes_per_follower >= fake_likes_per_follower``,
``min_posts <= posts``), with ``<``, ``<=``, ``>`` or ``>=``. Others are listed with the
reason they are not: a band of two params (``lo <= x <= hi``), a comparison with a
tier's band or a literal, ``and``/``or``, a rule of a plugin's kind (its thresholds are
its own ``params``, not ``[params]``), a text param, a param the rule's ``when`` (or the
compared metric) reads too: a new value would change where the rule applies (or what
it compares), which one sweep cannot see.

For each, on the labelled rows: the threshold that maximises the chosen measure
(:data:`~kolrules.measure.confusion.FITS`; :mod:`kolrules.measure.sweep`), scored as the
report scores the rule (every labelled row; where it does not apply it predicts
negative), and the same fit made ``folds`` times on all folds but one and scored on the one
left out (stratified folds, seeded): the pooled held-out matrix gives the cross-validated
figure. Nothing is suggested for a rule compared on fewer than ``min_support`` labelled
rows, or on rows of one outcome only.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from kolrules.compile import FAIL, CompiledRule, Plan, names_read, rule_column
from kolrules.findings.solve import FLIP
from kolrules.measure.collect import Labelled, value_column
from kolrules.measure.confusion import Confusion
from kolrules.measure.sweep import OPS, best_threshold, confusion_at

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["FOLDS", "MIN_SUPPORT", "Candidate", "Suggestion", "candidates", "fit"]

#: Folds of the cross-validation, by default.
FOLDS = 5
#: The fewest labelled rows a rule must be compared on for a threshold to be suggested,
#: by default (``--min-support``).
MIN_SUPPORT = 100
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}

Status = Literal["suggested", "unchanged", "refused", "not fitted"]
#: Rows for the cross-validation: values (or outcomes), labels and folds.
Rows = tuple["npt.NDArray[Any]", "npt.NDArray[np.bool_]", "npt.NDArray[np.int64]"]


@attrs.frozen
class Candidate:
    """A rule whose ``require`` is ``name op param``, the param's value ``current``."""

    rule: str
    name: str
    op: str
    param: str
    current: float


@attrs.frozen
class Suggestion:
    """What the outcomes say about one rule's threshold.

    ``status``: ``suggested`` (``suggested`` differs from ``current``), ``unchanged`` (the
    current value scores best), ``refused`` (too few rows, or rows of one outcome:
    ``reason`` says which) or ``not fitted`` (the rule is not a comparison with a param:
    ``reason`` says why; every other field but ``rule`` is then empty). ``before``: the
    measure of the rule as it is; ``after``: with ``suggested``, on the same rows;
    ``cross_validated``: the pooled held-out measure of ``folds``-fold cross-validation.
    ``support``: the labelled rows the rule compared (applied, value known). ``shared``:
    the other rules and metrics that read the param (changing it changes them too)."""

    rule: str
    status: Status
    reason: str = ""
    param: str | None = None
    name: str | None = None
    op: str | None = None
    current: float | None = None
    suggested: float | None = None
    fit: str | None = None
    support: int = 0
    before: float | None = None
    after: float | None = None
    cross_validated: float | None = None
    folds: int = 0
    shared: tuple[str, ...] = ()


def candidates(plan: Plan) -> tuple[tuple[Candidate, ...], Mapping[str, str]]:
    """The rules of ``plan`` a threshold can be fitted for, and why each other rule
    cannot be, by id."""
    found: list[Candidate] = []
    why: dict[str, str] = {}
    for r in plan.rules:
        made = _candidate(plan, r)
        if isinstance(made, Candidate):
            found.append(made)
        else:
            why[r.rule.id] = made
    return tuple(found), why


def _candidate(plan: Plan, r: CompiledRule) -> Candidate | str:
    if r.rule.kind:
        return f"a rule of kind {r.rule.kind!r}: its thresholds are its own params, not [params]"
    tree = r.require.tree
    if not isinstance(tree, ast.Compare):
        return "its condition is not one comparison"
    names = [tree.left, *tree.comparators]
    if len(tree.ops) > 1:
        if sum(_is_param(plan, n) for n in names) > 1:
            return "a band of two params (lo <= x <= hi): not fitted, fit each end by hand"
        return "its condition is a chain of comparisons"
    op = _CMP.get(type(tree.ops[0]), "")
    left, right = names
    if _is_param(plan, right) and _is_value(plan, left):
        name, param = left, right
    elif _is_param(plan, left) and _is_value(plan, right):
        name, param, op = right, left, FLIP.get(op, op)
    else:
        return "it compares no metric or field with a [params] value"
    assert isinstance(name, ast.Name)
    assert isinstance(param, ast.Name)
    if op not in OPS:
        return f"{op} is not a threshold"
    current = plan.params[param.id]
    if isinstance(current, (str, bool)):
        return f"its param {param.id} is not a number"
    if r.when is not None and param.id in names_read(plan, r.when.names):
        return f"its when reads {param.id} too: a new value would change where it applies"
    if param.id in names_read(plan, (name.id,)):
        return f"{name.id} reads {param.id} too: a new value would change what is compared"
    return Candidate(r.rule.id, name.id, op, param.id, float(current))


def _is_param(plan: Plan, node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in plan.params


def _is_value(plan: Plan, node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Name)
        and node.id not in plan.params
        and plan.scope.get(node.id) == "number"
    )


def _shared(plan: Plan, rule: str, param: str) -> tuple[str, ...]:
    """The other rules (by id) and the metrics (``metric <name>``) reading ``param``."""
    rules = [r.rule.id for r in plan.rules if r.rule.id != rule and param in r.reads]
    metrics = [f"metric {n}" for n, e in plan.metrics if e is not None and param in e.names]
    score = ["the score"] if plan.score is not None and param in plan.score.names else []
    return (*rules, *metrics, *score)


def fit(
    labelled: Labelled,
    plan: Plan,
    *,
    fit: str = "mcc",
    folds: int = FOLDS,
    min_support: int = MIN_SUPPORT,
    seed: int = 0,
) -> tuple[Suggestion, ...]:
    """A :class:`Suggestion` for every rule of ``plan``, in its order, from the rows of
    ``labelled`` (whose :attr:`~kolrules.measure.collect.Labelled.values` hold each
    candidate's outcome and the values of its metric or field)."""
    import numpy as np

    found, why = candidates(plan)
    if not found:
        return tuple(Suggestion(r.rule.id, "not fitted", why[r.rule.id]) for r in plan.rules)
    frame = labelled.values
    labels = frame.get_column("positive").to_numpy()
    fold = _folds(labels, folds, seed)
    by_rule = {c.rule: c for c in found}
    out = []
    for r in plan.rules:
        c = by_rule.get(r.rule.id)
        if c is None:
            out.append(Suggestion(r.rule.id, "not fitted", why[r.rule.id]))
            continue
        outcome = frame.get_column(rule_column(c.rule)).to_numpy()
        values = frame.get_column(value_column(c.name)).to_numpy().astype(np.float64)
        compared = (outcome <= FAIL) & np.isfinite(values)
        fails = outcome == FAIL
        base = Suggestion(
            c.rule,
            "refused",
            param=c.param,
            name=c.name,
            op=c.op,
            current=c.current,
            fit=fit,
            support=int(np.count_nonzero(compared)),
            before=_confusion(fails, labels).scores()[fit],
            folds=folds,
            shared=_shared(plan, c.rule, c.param),
        )
        out.append(_fitted(base, c, values, labels, compared, fails, fold, min_support))
    return tuple(out)


def _fitted(
    base: Suggestion,
    c: Candidate,
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    compared: npt.NDArray[np.bool_],
    fails: npt.NDArray[np.bool_],
    fold: npt.NDArray[np.int64],
    min_support: int,
) -> Suggestion:
    import numpy as np

    fit = base.fit or "mcc"
    if base.support < min_support:
        reason = (
            f"compared on {base.support:,} labelled rows, fewer than --min-support {min_support:,}"
        )
        return attrs.evolve(base, reason=reason)
    positives = int(np.count_nonzero(labels & compared))
    if positives in (0, base.support):
        kind = "negative" if positives == 0 else "positive"
        reason = f"every labelled row it compares is {kind}: no threshold separates them"
        return attrs.evolve(base, reason=reason)
    # The compared rows sorted by value once: each fold's training rows keep that order.
    rows = np.flatnonzero(compared)
    rows = rows[np.argsort(values[rows], kind="stable")]
    x, y, f = values[rows], labels[rows], fold[rows]
    fixed = _confusion(fails, labels, ~compared)
    threshold, after = best_threshold(x, y, c.op, fixed, fit, c.current, ordered=True)
    others = (fails[~compared], labels[~compared], fold[~compared])
    return attrs.evolve(
        base,
        status="unchanged" if threshold == c.current else "suggested",
        suggested=threshold,
        after=after.scores()[fit],
        cross_validated=_cross_validated(c, (x, y, f), others, fit, base.folds),
    )


def _cross_validated(
    c: Candidate, compared: Rows, others: Rows, fit: str, folds: int
) -> float | None:
    """The measure of the pooled held-out matrix: each fold scored with the threshold
    fitted on the others. ``compared``: the values, labels and folds of the rows the rule
    compares, sorted by value; ``others``: the outcomes (failed), labels and folds of the
    rest. ``None`` when a training set compares rows of one outcome."""
    import numpy as np

    x, y, fold = compared
    fails, labels, their_fold = others
    cells = [0, 0, 0, 0]
    for f in range(folds):
        train, held = fold != f, fold == f
        if np.count_nonzero(y[train]) in (0, np.count_nonzero(train)):
            return None
        fixed = _confusion(fails, labels, their_fold != f)
        t, _ = best_threshold(x[train], y[train], c.op, fixed, fit, c.current, ordered=True)
        held_fixed = _confusion(fails, labels, their_fold == f)
        part = confusion_at(x[held], y[held], c.op, t, held_fixed)
        cells = [a + b for a, b in zip(cells, attrs.astuple(part), strict=True)]
    return Confusion(*cells).scores()[fit]


def _confusion(
    predicted: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.bool_],
    among: npt.NDArray[np.bool_] | None = None,
) -> Confusion:
    """``predicted`` against ``labels`` (on the rows ``among``, else all)."""
    import numpy as np

    if among is not None:
        predicted, labels = predicted[among], labels[among]
    tp = int(np.count_nonzero(predicted & labels))
    fp = int(np.count_nonzero(predicted & ~labels))
    fn = int(np.count_nonzero(~predicted & labels))
    return Confusion(tp, fp, int(labels.size) - tp - fp - fn, fn)


def _folds(labels: npt.NDArray[np.bool_], folds: int, seed: int) -> npt.NDArray[np.int64]:
    """Each row's fold: rows in a seeded random order within each outcome, dealt to the
    folds in turn, so every fold has the same share of positives (to one row)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.permutation(labels.size), labels))
    fold = np.empty(labels.size, dtype=np.int64)
    fold[order] = np.arange(labels.size) % folds
    return fold
