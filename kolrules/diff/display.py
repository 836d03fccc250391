"""How an impact diff is shown: tables for people (``kolrules diff``), JSON for tools."""

from __future__ import annotations

import json
from typing import IO, Any

from kolrules.diff.impact import VERDICT_LABELS, DiffResult, Flip, RuleChange
from kolrules.evaluate import format_value

__all__ = ["diff_json", "print_diff"]


def diff_json(result: DiffResult) -> str:
    """The whole result as JSON (every listed flip, with its rules and values)."""
    from kolrules.report import jsonable

    data = jsonable(result)
    for flip in data["flips"]:
        for rule in flip["rules"]:
            rule["values"] = {k: {"base": v[0], "new": v[1]} for k, v in rule["values"].items()}
    return json.dumps(data, ensure_ascii=False, indent=2)


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "-"


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f}"


def _value(name: str, base: Any, new: Any, change: RuleChange) -> str:
    """``name = base -> new``, or the one side's value with the ruleset that has the name
    (a name the other ruleset does not read is not "missing" there)."""
    if name in change.base_lacks:
        return f"{name} = {format_value(new)} (new ruleset only)"
    if name in change.new_lacks:
        return f"{name} = {format_value(base)} (base ruleset only)"
    return f"{name} = {_pair(base, new)}"


def _pair(base: Any, new: Any) -> str:
    b, n = format_value(base), format_value(new)
    return b if b == n else f"{b} -> {n}"


def print_diff(result: DiffResult, out: IO[str], *, width: int | None = None) -> None:
    """The matrix, tier and score changes, the rules behind the flips and the listed flips."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=width or (None if out.isatty() else 110), highlight=False)
    r = result
    console.print(f"base: [bold]{r.base.name} {r.base.version}[/] ({r.base_path})")
    console.print(f"new:  [bold]{r.new.name} {r.new.version}[/] ({r.new_path})")
    source = f" from {r.source}" if r.source else ""
    console.print(f"{r.rows:,} {r.platform} profiles{source}")
    if r.rules_added or r.rules_removed:
        console.print(
            f"rules added: {', '.join(r.rules_added) or '-'}; "
            f"removed: {', '.join(r.rules_removed) or '-'}"
        )

    matrix = Table(title="verdicts (rows: base, columns: new)", title_justify="left")
    matrix.add_column("base \\ new")
    for label in VERDICT_LABELS:
        matrix.add_column(label, justify="right")
    matrix.add_column("total", justify="right")
    for b in VERDICT_LABELS:
        cells = []
        for n in VERDICT_LABELS:
            count = r.verdicts[b][n]
            text = f"{count:,}"
            cells.append(text if b == n or not count else f"[bold yellow]{text}[/]")
        matrix.add_row(b, *cells, f"{sum(r.verdicts[b].values()):,}")
    totals = [sum(r.verdicts[b][n] for b in VERDICT_LABELS) for n in VERDICT_LABELS]
    matrix.add_row("total", *(f"{t:,}" for t in totals), f"{r.rows:,}")
    console.print(matrix)
    console.print(f"verdict changed: {r.flipped:,} profiles ({_pct(r.flipped, r.rows)})")

    if r.tiers:
        moved = sum(t.count for t in r.tiers)
        console.print(
            f"tier changed: {moved:,} profiles; "
            + ", ".join(f"{t.base} -> {t.new} {t.count:,}" for t in r.tiers)
        )
    else:
        console.print("tier changed: none")
    s = r.scores
    mean = "-" if s.mean_delta is None else f"{s.mean_delta:+.2f}"
    line = f"score: {s.up:,} up, {s.down:,} down, {s.unchanged:,} unchanged; mean change {mean}"
    if s.gained or s.lost:
        line += f"; {s.gained:,} gained a score, {s.lost:,} lost theirs"
    console.print(line)

    if r.responsible or r.policy_flips:
        console.print("rules behind the changed verdicts:")
        causes = Table()
        causes.add_column("rule")
        causes.add_column("profiles", justify="right")
        for rule, count in r.responsible.items():
            causes.add_row(rule, f"{count:,}")
        if r.policy_flips:
            causes.add_row("[dim](no rule: verdict policy or row errors)[/]", f"{r.policy_flips:,}")
        console.print(causes)

    if not r.flips:
        if r.flipped:
            console.print("(changed profiles not listed: --limit 0; --format json lists all)")
        return
    more = r.flipped - len(r.flips)
    head = f"changed verdicts (first {len(r.flips):,} of {r.flipped:,}"
    head += "; --limit N shows more, --format json all)" if more else ")"
    console.print(f"\n[bold]{head}[/]")
    for flip in r.flips:
        _print_flip(console, flip)


def _print_flip(console: Any, flip: Flip) -> None:
    from rich.text import Text

    who = flip.id or "(no id)"
    score = _score(flip.base_score)
    if flip.new_score != flip.base_score:
        score += " -> " + _score(flip.new_score)
    tier = flip.base_tier or "none"
    if flip.new_tier != flip.base_tier:
        tier += " -> " + (flip.new_tier or "none")
    console.print(
        f"[bold]{who}[/] (row {flip.row}): {flip.base_verdict} -> [bold]{flip.new_verdict}[/]"
        f"  tier {tier}, score {score}"
    )
    if flip.base_error:
        console.print(f"    base: row error: {flip.base_error}")
    if flip.new_error:
        console.print(f"    new: row error: {flip.new_error}")
    for c in flip.rules:
        if c.base_severity is None:
            change = f"(new rule, {c.new_severity}): {c.new}"
        elif c.new_severity is None:
            change = f"(removed rule, {c.base_severity}): {c.base}"
        else:
            change = f"({_pair(c.base_severity, c.new_severity)}): {c.base} -> {c.new}"
        console.print(f"    {c.rule} {change}")
        message = c.new_message if c.new == "fail" else c.base_message
        if message:
            console.print(f"        {message}", markup=False)
        needed = c.new_to_pass if c.new == "fail" else c.base_to_pass
        if needed:
            console.print(f"        to pass: {needed}", markup=False)
        if c.values:
            shown = "; ".join(_value(k, b, n, c) for k, (b, n) in c.values.items())
            console.print(Text(f"        {shown}", style="dim"))
    if flip.note:
        console.print(f"    [dim]{flip.note}[/]")
