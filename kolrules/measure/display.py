"""How a :class:`~kolrules.measure.Measurement` is shown: a table for people, JSON and CSV
for tools.

The JSON object starts with the keys issue 16 fixed, in its order: ``rows``,
``labelled``, ``positives``, ``ruleset`` (``name``, ``version``, ``hash``, ``tp``, ``fp``,
``tn``, ``fn``, ``precision``, ``recall``, ``f1``, ``accuracy``, ``mcc``) and ``rules``
(per rule ``rule``, ``applied``, ``failed``, ``not_applicable``, the four cells, the five
measures, ``mcc_low``, ``mcc_high``); more keys follow those in each object (the lift, the
other intervals, the rows left out, the redundant pairs, the suggestions):
docs/measure.md lists them all.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any

import attrs

from kolrules.measure.confusion import MEASURES
from kolrules.measure.fit import Suggestion
from kolrules.measure.judge import Measured, Measurement, RuleMeasure

__all__ = ["measurement_csv", "measurement_dict", "measurement_json", "print_measurement"]

#: The measures issue 16 puts in the JSON objects (lift and the intervals follow them).
_FIXED = ("precision", "recall", "f1", "accuracy", "mcc")
_SUGGESTION_KEYS = (
    "param",
    "name",
    "op",
    "current",
    "suggested",
    "support",
    "before",
    "after",
    "cross_validated",
    "status",
    "reason",
)


def _cells(measured: Measured) -> dict[str, Any]:
    return attrs.asdict(measured.confusion)


def _extra(measured: Measured, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The lift, then each measure's interval (``<measure>_low``, ``<measure>_high``)."""
    out: dict[str, Any] = {"lift": measured.scores["lift"]}
    for name in MEASURES:
        if name not in skip:
            interval = measured.intervals[name]
            out[f"{name}_low"], out[f"{name}_high"] = interval.low, interval.high
    return out


def _rule_dict(r: RuleMeasure) -> dict[str, Any]:
    m = r.measured
    return {
        "rule": r.rule,
        "applied": r.applied,
        "failed": r.failed,
        "not_applicable": r.not_applicable,
        **_cells(m),
        **{name: m.scores[name] for name in _FIXED},
        "mcc_low": m.intervals["mcc"].low,
        "mcc_high": m.intervals["mcc"].high,
        **_extra(m, skip=("mcc",)),
        "severity": r.severity,
        "flag": r.flag,
        "verdict_mcc_without": r.verdict_mcc_without,
    }


def _suggestion_dict(s: Suggestion) -> dict[str, Any]:
    return {
        "rule": s.rule,
        **{key: getattr(s, key) for key in _SUGGESTION_KEYS},
        "shared": list(s.shared),
    }


def measurement_dict(m: Measurement) -> dict[str, Any]:
    """The measurement as JSON values (see the module's docstring for the keys)."""
    v = m.verdict
    out: dict[str, Any] = {
        "rows": m.rows,
        "labelled": m.labelled,
        "positives": m.positives,
        "ruleset": {
            "name": m.ruleset.name,
            "version": m.ruleset.version,
            "hash": m.ruleset.hash,
            **_cells(v),
            **{name: v.scores[name] for name in _FIXED},
            **_extra(v),
            "predict": m.predict,
        },
        "rules": [_rule_dict(r) for r in m.rules],
        "source": m.source,
        "label": m.label,
        "positive": list(m.positive),
        "errors": m.errors,
        "unlabelled": m.unlabelled,
        "resamples": m.resamples,
        "seed": m.seed,
        "redundant": [
            {"rules": [p.first, p.second], "both": p.both, "either": p.either, "jaccard": p.jaccard}
            for p in m.redundant
        ],
        "adds_nothing": list(m.adds_nothing),
    }
    if m.fit is not None:
        out["fit"] = m.fit
        out["min_support"] = m.min_support
        out["folds"] = next((s.folds for s in m.suggestions if s.folds), 0)
        out["suggestions"] = [_suggestion_dict(s) for s in m.suggestions]
    return out


def measurement_json(m: Measurement) -> str:
    return json.dumps(measurement_dict(m), ensure_ascii=False, indent=2)


def measurement_csv(m: Measurement, out: IO[str]) -> None:
    """One row for the verdict (``kind`` ``ruleset``), then one per rule, sorted by MCC;
    with suggestions, their columns (prefixed ``fit_``) on each rule's row."""
    fixed = ["kind", "rule", "severity", "applied", "failed", "not_applicable"]
    fixed += ["tp", "fp", "tn", "fn", *MEASURES]
    fixed += [f"{name}_{end}" for name in MEASURES for end in ("low", "high")]
    fixed += ["flag", "verdict_mcc_without"]
    fits = [f"fit_{key}" for key in _SUGGESTION_KEYS] if m.fit is not None else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fixed + fits)
    v = m.verdict
    verdict_row: dict[str, Any] = {
        "kind": "ruleset",
        "rule": m.ruleset.name,
        "severity": "",
        "applied": m.labelled,
        "failed": v.confusion.tp + v.confusion.fp,
        "not_applicable": 0,
        **_cells(v),
        **v.scores,
        **_extra(v),
        "flag": "",
        "verdict_mcc_without": "",
    }
    writer.writerow([verdict_row.get(k, "") for k in fixed + fits])
    by_rule = {s.rule: s for s in m.suggestions}
    for r in m.rules:
        row = {"kind": "rule", **_rule_dict(r)}
        s = by_rule.get(r.rule)
        if s is not None:
            row.update({f"fit_{k}": getattr(s, k) for k in _SUGGESTION_KEYS})
        writer.writerow(["" if row.get(k) is None else row.get(k, "") for k in fixed + fits])


# -- the table ---------------------------------------------------------------------------


def _shown_path(path: str) -> str:
    """``path`` relative to the working folder when it is below it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _interval(measured: Measured, name: str) -> str:
    i = measured.intervals[name]
    return f"[{i.low:.3f}, {i.high:.3f}]"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1000 else f"{value:g}"


def print_measurement(m: Measurement, out: IO[str], *, width: int | None = None) -> None:
    """The counts of rows, the rules sorted by MCC, the verdict, the redundant pairs, the
    rules that add nothing, and the suggestions (when fitted)."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, width=width or (None if out.isatty() else 180), highlight=False)
    r = m.ruleset
    console.print(escape(f"ruleset: {r.name} {r.version} ({_shown_path(m.ruleset_path)})"))
    console.print(
        escape(
            f"{m.source}: {m.rows:,} rows; {m.errors:,} not evaluated (row errors) and "
            f"{m.unlabelled:,} without a label left out; {m.labelled:,} measured, "
            f"{m.positives:,} positive ({m.label} = {', '.join(m.positive)})"
        )
    )
    rules = Table(
        title="rules by MCC (a rule predicts positive where it fails; n/a: not applicable)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    rules.add_column("rule", no_wrap=True)
    rules.add_column("severity", no_wrap=True, min_width=8)
    for name in ("applied", "failed", "n/a", "TP", "FP", "TN", "FN", "precision", "recall"):
        rules.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for name in ("F1", "accuracy", "MCC", "95 % interval", "lift"):
        width = 16 if name == "95 % interval" else len(name)  # [-0.123, -0.045]
        rules.add_column(name, justify="right", no_wrap=True, min_width=width)
    rules.add_column("note", no_wrap=True, min_width=12)
    for rm in m.rules:
        c, s = rm.measured.confusion, rm.measured.scores
        rules.add_row(
            escape(rm.rule),
            rm.severity,
            *(f"{n:,}" for n in (rm.applied, rm.failed, rm.not_applicable)),
            *(f"{n:,}" for n in (c.tp, c.fp, c.tn, c.fn)),
            *(_f(s[name]) for name in ("precision", "recall", "f1", "accuracy", "mcc")),
            _interval(rm.measured, "mcc"),
            _f(s["lift"], 2),
            rm.flag,
        )
    console.print(rules)
    v = m.verdict
    c = v.confusion
    predicted = "reject" if m.predict == "reject" else "reject or review"
    console.print(
        f"verdict (positive: {predicted}): TP {c.tp:,}, FP {c.fp:,}, TN {c.tn:,}, FN {c.fn:,}; "
        f"precision {_f(v.scores['precision'])}, recall {_f(v.scores['recall'])}, "
        f"F1 {_f(v.scores['f1'])}, accuracy {_f(v.scores['accuracy'])}, "
        f"MCC {_f(v.scores['mcc'])} {_interval(v, 'mcc')}, lift {_f(v.scores['lift'], 2)}",
        markup=False,
    )
    console.print(
        f"95 % intervals: {m.resamples:,} bootstrap resamples of the measured rows (seed {m.seed})"
    )
    pairs = "; ".join(
        f"{p.first} and {p.second} ({p.both:,} of {p.either:,} rows)" for p in m.redundant
    )
    console.print(escape(f"almost always fail together: {pairs or 'none'}"))
    console.print(
        escape(
            "add nothing to the verdict's MCC when dropped: "
            + (", ".join(m.adds_nothing) or "none")
        )
    )
    if m.fit is not None:
        _print_suggestions(console, m)


def _print_suggestions(console: Any, m: Measurement) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from kolrules.measure.overlay import applied_suggestions

    fit = {"mcc": "MCC", "f1": "F1", "youden": "J"}[m.fit or "mcc"]
    folds = next((s.folds for s in m.suggestions if s.folds), 0)
    table = Table(
        title=f"thresholds fitted to {fit} ({folds}-fold cross-validated, "
        f"--min-support {m.min_support:,})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("rule", no_wrap=True)
    table.add_column("condition")
    for name in ("now", "fitted", "support", f"{fit} now", f"{fit} fitted", "cross-validated"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("note")
    written = {s.rule for s in applied_suggestions(m)}
    not_fitted: dict[str, list[str]] = {}
    for s in m.suggestions:
        if s.status == "not fitted":
            not_fitted.setdefault(s.reason, []).append(s.rule)
            continue
        note = s.reason or "the current value scores best"
        if s.rule in written:
            note = "set by -o"
        elif s.status == "suggested":
            note = _not_set(m, s)
        if s.shared:
            note += f"; also read by {', '.join(s.shared)}"
        table.add_row(
            escape(s.rule),
            escape(f"{s.name} {s.op} {s.param}"),
            _number(s.current),
            _number(s.suggested),
            f"{s.support:,}",
            _f(s.before),
            _f(s.after),
            _f(s.cross_validated),
            escape(note),
        )
    console.print(table)
    for reason, rules in not_fitted.items():
        console.print(escape(f"not fitted: {', '.join(rules)}: {reason}"))


def _not_set(m: Measurement, s: Suggestion) -> str:
    """Why a threshold fitted is not set by ``-o``, in short."""
    from kolrules.measure.overlay import holds, same_cut

    if not holds(s):
        return "not better out of sample"
    twin = same_cut(m, s, [x for x in m.suggestions if holds(x)])
    if twin is not None:
        return f"the same cut as {twin.rule}: set by hand"
    return "another rule's fit of its param is set"
