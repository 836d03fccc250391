"""Decisions and reports as HTML tables, for Jupyter (``Report._repr_html_``,
``Decision._repr_html_``).

The wording is the table format's (:func:`kolrules.report.render_table`) and comes from
the same helpers: :attr:`~kolrules.types.Decision.reasons` and
:meth:`~kolrules.types.Decision.said` for the reasons, :func:`kolrules.evaluate.to_pass_text`
for what it would take to pass, :func:`kolrules.evaluate.format_value` for numbers,
:meth:`~kolrules.types.Report.summary_line` for the counts. Every text that comes from the
input or the ruleset (ids, handles, reasons, rule ids, errors, the source) is escaped:
an export can hold ``<script>``. Colours are inline styles (a notebook viewer may drop a
``<style>`` element), so that the verdicts stay coloured wherever the HTML is shown.

A report lists at most :data:`HTML_ROWS` decisions and as many row errors, each list
followed by a line saying how many more there are; :meth:`Report.to_html` takes another
bound, and ``Report.to_pandas()`` / ``to_polars()`` hold every row.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

from kolrules.evaluate import format_value, to_pass_text
from kolrules.types import Decision, Finding, PriceAssessment, Report, RowError

__all__ = ["HTML_ROWS", "VERDICT_COLOURS", "decision_html", "report_html"]

#: How many decisions (and how many row errors) a report's HTML lists by default.
HTML_ROWS = 50

#: Each verdict's background and text colour: a pale background under dark text, which
#: reads alike on a light and on a dark notebook theme.
VERDICT_COLOURS = {
    "accept": ("#d1fae5", "#065f46"),
    "review": ("#fef3c7", "#92400e"),
    "reject": ("#fee2e2", "#991b1b"),
}
_ERROR_COLOURS = ("#e5e7eb", "#374151")
_LEFT = "text-align:left;vertical-align:top"
_DIM = "opacity:0.7"


def _e(text: object) -> str:
    """``text`` as HTML text, quotes included (it may sit in an attribute)."""
    return html.escape(str(text), quote=True)


def _chip(word: str, colours: tuple[str, str] | None) -> str:
    """A verdict (or ``error``) in its colours."""
    if colours is None:
        return _e(word)
    background, colour = colours
    style = f"background:{background};color:{colour};font-weight:bold;padding:0 0.4em"
    return f'<span style="{style}">{_e(word)}</span>'


def _verdict(verdict: str) -> str:
    return _chip(verdict, VERDICT_COLOURS.get(verdict))


def _number(value: float | None, spec: str = "") -> str:
    """A number as the messages write it (``12,000``, ``3.46``); ``-`` when there is none."""
    if value is None or not math.isfinite(value):
        return "-"
    return format_value(value, spec)


def _band(price: PriceAssessment) -> str:
    """The fair band: ``500–8,000``, ``≥500``, ``≤8,000`` or ``-``."""
    low, high = price.band_min, price.band_max
    if low is None and high is None:
        return "-"
    if high is None:
        return f"≥{_number(low)}"
    if low is None:
        return f"≤{_number(high)}"
    return f"{_number(low)}–{_number(high)}"


def _position(price: PriceAssessment, quoted: bool = True) -> str:
    """The price position; ``gifting`` for no quote, unless the input has no price column
    (``quoted`` false: then no row is a gifting candidate, as the table format says)."""
    return price.position or ("gifting" if price.gifting and quoted else "-")


def _th(names: Iterable[str]) -> str:
    return "<tr>" + "".join(f'<th style="{_LEFT}">{_e(n)}</th>' for n in names) + "</tr>"


def _td(cell: str, style: str = _LEFT) -> str:
    """A cell of HTML already escaped."""
    return f'<td style="{style}">{cell}</td>'


def _reasons(decision: Decision) -> str:
    """The reasons, one a line, most severe first: the data errors and the note of too
    few applicable rules, then each failed rule's message with, under it (dimmed), what
    it would take to pass (not for an info: "to pass: price given" is only noise)."""
    said = decision.said()
    lines = [_e(r) for r in decision.reasons[: len(decision.reasons) - len(said)]]
    for finding in said:
        line = _e(finding.message)
        needed = to_pass_text(finding)
        if needed and finding.severity != "info":
            line += f'<br><span style="{_DIM}">to pass: {_e(needed)}</span>'
        lines.append(line)
    return "<br>".join(lines) if lines else "-"


def _score(decision: Decision) -> str:
    return _e(_number(decision.score, ".1f"))


def _ruleset_line(name: str, version: str, digest: str, source: str | None) -> str:
    said = (
        f"ruleset <b>{_e(name)}</b> {_e(version)} "
        f'<code title="sha256 {_e(digest)}">{_e(digest[:12])}</code>'
    )
    if source:
        said += f" · {_e(source)}"
    return f"<div>{said}</div>"


def _more(left: int, what: str, bound: int) -> str:
    """``… and 950 more decisions`` with how to see them."""
    if left <= 0:
        return ""
    return (
        f'<div style="{_DIM}">… and {left:,} more {_e(what)} (the first {bound:,} are '
        "shown: report.to_html(rows=N) shows more; report.to_pandas() or to_polars() "
        "holds every row)</div>"
    )


def _decision_rows(decisions: Sequence[Decision], quoted: bool) -> str:
    rows = []
    for d in decisions:
        cells = (
            _e("-" if d.row is None else d.row),
            _e(d.id),
            _e(d.tier or "-"),
            _verdict(d.verdict),
            _score(d),
            _e(_number(d.price.quote)),
            _e(_band(d.price)),
            _e(_position(d.price, quoted)),
            _reasons(d),
        )
        rows.append("<tr>" + "".join(_td(c) for c in cells) + "</tr>")
    return "".join(rows)


def _error_rows(errors: Sequence[RowError]) -> str:
    return "".join(
        "<tr>"
        + _td(_e(e.row))
        + _td(_e(e.id or "-"))
        + _td(_chip("error", _ERROR_COLOURS))
        + _td(_e(e.reason))
        + "</tr>"
        for e in errors
    )


def _counts(report: Report) -> str:
    """The counts, each verdict in its colours, and the summary line."""
    counts = report.counts
    chips = [
        f"{_verdict('accept')} {counts['accepted']:,}",
        f"{_verdict('review')} {counts['review']:,}",
        f"{_verdict('reject')} {counts['rejected']:,}",
        f"{_chip('error', _ERROR_COLOURS)} {counts['errors']:,}",
    ]
    summary = f'<div style="{_DIM}">{_e(report.summary_line())}</div>'
    return "<div>" + " &nbsp; ".join(chips) + "</div>" + summary


def report_html(report: Report, rows: int = HTML_ROWS) -> str:
    """A report as HTML: the ruleset (name, version, hash) and the source, the counts by
    verdict, a table of the first ``rows`` decisions (row, id, tier, verdict, score,
    quote, fair band, price position, reasons with what it would take to pass) and one of
    the first ``rows`` row errors (row, id, reason), each followed by how many more there
    are."""
    rows = max(rows, 0)
    r = report.ruleset
    parts = [
        '<div class="kolrules-report">',
        _ruleset_line(r.name, r.version, r.hash, report.source),
        _counts(report),
    ]
    if report.decisions:
        quoted = report.columns is None or "price" in report.columns.read
        heads = ("row", "id", "tier", "verdict", "score", "quote", "band", "position", "reasons")
        parts.append(
            "<table><thead>"
            + _th(heads)
            + "</thead><tbody>"
            + _decision_rows(report.decisions[:rows], quoted)
            + "</tbody></table>"
        )
        parts.append(_more(len(report.decisions) - rows, "decisions", rows))
    else:
        parts.append("<div>no profiles were evaluated</div>")
    if report.errors:
        parts.append(
            f'<table><caption style="{_LEFT}">rows not evaluated</caption><thead>'
            + _th(("row", "id", "status", "reason"))
            + "</thead><tbody>"
            + _error_rows(report.errors[:rows])
            + "</tbody></table>"
        )
        parts.append(_more(len(report.errors) - rows, "row errors", rows))
    parts.append("</div>")
    return "".join(parts)


def _finding_row(finding: Finding) -> str:
    needed = to_pass_text(finding)
    message = _e(finding.message)
    if needed:
        message += f'<br><span style="{_DIM}">to pass: {_e(needed)}</span>'
    if finding.superseded_by:
        message += (
            f'<br><span style="{_DIM}">(said by {_e(finding.superseded_by)}: '
            "not repeated among the reasons)</span>"
        )
    outcome = _chip("fail", VERDICT_COLOURS["reject"]) if finding.outcome == "fail" else None
    cells = (
        _e(finding.rule),
        _e(finding.stage),
        outcome or _e(finding.outcome),
        _e(finding.severity),
        message,
    )
    return "<tr>" + "".join(_td(c) for c in cells) + "</tr>"


def decision_html(decision: Decision) -> str:
    """One decision as HTML: a row of its id, platform, row, verdict (in its colours),
    tier, score and price (quote, fair band, position, CPE); why the verdict is what it
    is; its reasons with what it would take to pass; why there is no score and how many
    vetting rules could be applied, when said; then, folded, every finding (rule, stage,
    outcome, severity, message) and the metrics; and the ruleset."""
    d = decision
    p = d.price
    heads = (
        "id",
        "platform",
        "row",
        "verdict",
        "tier",
        "score",
        "quote",
        "band",
        "position",
        "CPE",
    )
    cells = (
        _e(d.id),
        _e(d.platform),
        _e("-" if d.row is None else d.row),
        _verdict(d.verdict),
        _e(d.tier or "-"),
        _score(d),
        _e(_number(p.quote)),
        _e(_band(p)),
        _e(_position(p)),
        _e(_number(p.cpe)),
    )
    parts = [
        '<div class="kolrules-decision">',
        "<table><thead>" + _th(heads) + "</thead><tbody><tr>",
        "".join(_td(c) for c in cells),
        "</tr></tbody></table>",
    ]
    if d.why:
        parts.append(f"<div>why: {_e(d.why)}</div>")
    if d.reasons:
        parts.append(f'<div style="{_LEFT}"><b>reasons</b><br>{_reasons(d)}</div>')
    if d.score_missing:
        parts.append(f'<div style="{_DIM}">{_e(d.score_missing)}</div>')
    if d.applied is not None:
        applied = f"vetting rules applied: {d.applied.rules} of {d.applied.of}"
        if d.applied.missing:
            applied += f" (missing {', '.join(d.applied.missing)})"
        parts.append(f'<div style="{_DIM}">{_e(applied)}</div>')
    if d.findings or d.metrics:
        parts.append(
            f"<details><summary>findings ({len(d.findings)}) and metrics "
            f"({len(d.metrics)})</summary>"
        )
        if d.findings:
            parts.append(
                "<table><thead>"
                + _th(("rule", "stage", "outcome", "severity", "message"))
                + "</thead><tbody>"
                + "".join(_finding_row(f) for f in d.findings)
                + "</tbody></table>"
            )
        if d.metrics:
            parts.append(
                "<table><thead>"
                + _th(("metric", "value"))
                + "</thead><tbody>"
                + "".join(
                    f"<tr>{_td(_e(name))}{_td(_e(format_value(value)))}</tr>"
                    for name, value in d.metrics.items()
                )
                + "</tbody></table>"
            )
        parts.append("</details>")
    r = d.ruleset
    parts.append(_ruleset_line(r.name, r.version, r.hash, None))
    parts.append("</div>")
    return "".join(parts)
