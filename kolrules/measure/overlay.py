"""The overlay ruleset of fitted thresholds (``kolrules measure --suggest -o FILE``).

It ``extends`` the measured ruleset and sets, in ``[params]``, each threshold whose fit
holds out of sample: status ``suggested`` and a cross-validated measure above the rule's
measure as it is now. Each value carries a comment with its evidence (the rows, the
positives, the measure now, with the value on the same rows, and cross-validated); the
others that were fitted are listed at the end with why they are not set. A param two
rules compare is set once, from the rule whose cross-validated measure is the higher.

The file is an overlay like any other (docs/rulesets.md, "Overlays"): ``kolrules
validate`` checks it and ``kolrules diff`` shows what it changes.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence

from kolrules.measure.fit import Suggestion
from kolrules.measure.judge import Measurement

__all__ = ["applied_suggestions", "holds", "overlay_text", "same_cut"]

#: Severities, most severe first.
_SEVERITY = ("reject", "review", "warn", "info")


def applied_suggestions(m: Measurement) -> tuple[Suggestion, ...]:
    """The suggestions the overlay sets, in ruleset order: one per param (the higher
    cross-validated figure wins), and one per cut: of rules that would compare the same
    metric the same way with the same value, so fail on the same rows, only the most
    severe (:func:`same_cut`)."""
    best: dict[str, Suggestion] = {}
    for s in m.suggestions:
        if holds(s) and s.param is not None:
            held = best.get(s.param)
            if held is None or (s.cross_validated or 0) > (held.cross_validated or 0):
                best[s.param] = s
    chosen = [s for s in m.suggestions if s.param is not None and best.get(s.param) is s]
    return tuple(s for s in chosen if same_cut(m, s, chosen) is None)


def same_cut(m: Measurement, s: Suggestion, chosen: Sequence[Suggestion]) -> Suggestion | None:
    """The suggestion of ``chosen`` that makes the same cut as ``s`` (the same metric,
    comparison and value) and goes first: its rule is more severe, or as severe and
    earlier in the ruleset. ``None`` when ``s`` goes first."""
    severity = {r.rule: _SEVERITY.index(r.severity) for r in m.rules}
    order = {x.rule: i for i, x in enumerate(m.suggestions)}

    def first(x: Suggestion) -> tuple[int, int]:
        return severity[x.rule], order[x.rule]

    twins = [
        x
        for x in chosen
        if x is not s and (x.name, x.op, x.suggested) == (s.name, s.op, s.suggested)
    ]
    ahead = [x for x in twins if first(x) < first(s)]
    return min(ahead, key=first) if ahead else None


def holds(s: Suggestion) -> bool:
    """Whether a fit holds out of sample: suggested, with a cross-validated figure above
    the rule's figure now."""
    return (
        s.status == "suggested"
        and s.cross_validated is not None
        and s.before is not None
        and s.cross_validated > s.before
    )


def overlay_text(
    m: Measurement, *, extends: str, name: str | None = None, version: str | None = None
) -> str:
    """The overlay's TOML. ``extends``: how it names the measured ruleset (its name, or
    its path relative to the overlay's folder); ``name`` and ``version`` default to the
    measured ruleset's with ``-calibrated``."""
    fit = (m.fit or "mcc").upper() if m.fit != "youden" else "Youden's J"
    name = name or f"{m.ruleset.name}-calibrated"
    version = version or f"{m.ruleset.version}-calibrated"
    folds = next((s.folds for s in m.suggestions if s.folds), 0)
    setting = applied_suggestions(m)
    lines = [
        f"# {name}: {m.ruleset.name}'s thresholds fitted to the outcomes in {m.source}",
        "# (written by kolrules measure --suggest; docs/measure.md says how to read it).",
        "#",
        f"# Fitted to maximise {fit} on {m.labelled:,} labelled rows ({m.positives:,} positive: "
        f"{m.label} = {', '.join(m.positive)}),",
        f"# checked by {folds}-fold cross-validation (seed {m.seed}). A threshold is set only",
        "# when its cross-validated figure beats the rule as it is; the others are listed at",
        "# the end. Before using it:",
        f"#     kolrules validate {name}.toml",
        f"#     kolrules diff -b {m.ruleset.name} -r {name}.toml {m.source}",
        "",
        "[ruleset]",
        f"name = {_string(name)}",
        f"version = {_string(version)}",
        f"extends = {_string(extends)}",
        "description = "
        + _string(f"{m.ruleset.name} with thresholds fitted to the outcomes in {m.source}"),
        "",
        "[params]",
    ]
    if not setting:
        lines.append("# no threshold fitted here beats the rule as it is, out of sample")
    for s in setting:
        lines += [*_evidence(m, s, fit), f"{s.param} = {_number(s.suggested)}"]
    rest = [s for s in m.suggestions if s.status != "not fitted" and s not in setting]
    if rest:
        lines += ["", "# Fitted, not set:"]
        for s in rest:
            why = _why_not(m, s, fit)
            lines += ["# " + line for line in _wrap(f"- {s.rule} ({s.param}): {why}", indent="  ")]
    return "\n".join(lines) + "\n"


def _evidence(m: Measurement, s: Suggestion, fit: str) -> list[str]:
    text = (
        f"{s.rule} ({s.name} {s.op} {s.param}): compared on {s.support:,} of the "
        f"{m.labelled:,} labelled rows ({m.positives:,} positive); {fit} {_g(s.before)} with "
        f"{_number(s.current)} now, {_g(s.after)} with {_number(s.suggested)} on the same rows, "
        f"{_g(s.cross_validated)} cross-validated."
    )
    if s.shared:
        text += f" Also read by {', '.join(s.shared)}: they change too."
    return ["# " + line for line in _wrap(text)]


def _why_not(m: Measurement, s: Suggestion, fit: str) -> str:
    if s.status == "refused":
        return s.reason
    if s.status == "unchanged":
        return f"{_number(s.current)} already scores best ({fit} {_g(s.before)})"
    if s.cross_validated is None:
        return f"{_number(s.suggested)} could not be cross-validated (a fold of one outcome)"
    if s.before is not None and s.cross_validated <= s.before:
        return (
            f"{_number(s.suggested)} scores {_g(s.after)} on these rows but "
            f"{_g(s.cross_validated)} cross-validated, no better than {_g(s.before)} now"
        )
    held = [x for x in m.suggestions if holds(x)]
    twin = same_cut(m, s, held)
    if twin is not None:
        return (
            f"{_number(s.suggested)} is the cut set for {twin.rule} ({twin.name} {twin.op} "
            f"{_number(twin.suggested)}): both would fail the same rows; if {s.rule} is to "
            "warn before that, set its value by hand"
        )
    return "another rule's fit of the same param is set"


def _wrap(text: str, width: int = 96, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
    )


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _number(value: float | None) -> str:
    """A TOML number: an integer when the value is whole."""
    if value is None or not math.isfinite(value):  # pragma: no cover - fitted values are finite
        raise ValueError(f"not a finite number: {value!r}")
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)
