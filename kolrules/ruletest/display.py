"""How ruleset test results are shown: the readable diff of a failed case (used by
``kolrules test``, its JUnit XML and the pytest plugin alike), the coverage tables and
the JUnit XML file."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from kolrules.errors import RulesetIssue
from kolrules.ruletest.cases import CaseResult
from kolrules.ruletest.coverage import Coverage, total_percent
from kolrules.ruletest.run import TestRun

__all__ = ["failure_text", "print_coverage", "print_run", "write_junit"]


def _indent(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix)


def failure_text(result: CaseResult) -> str:
    """What went wrong with a case, expectation by expectation, with the decision for
    context. For an error: the problems with the case itself."""
    case = result.case
    if result.status == "error":
        return "\n".join(str(i) for i in case.issues)
    lines = []
    for m in result.mismatches:
        lines.append(f"{m.what}: expected {m.expected}, got {m.got}")
        if m.detail:
            lines.append(_indent(m.detail, "    "))
    d = result.decision
    if d is not None:
        score = "none" if d.score is None else f"{d.score:.4g}"
        lines.append(f"decision: verdict {d.verdict}, tier {d.tier or 'none'}, score {score}")
        lines.extend(f"    because: {r}" for r in d.reasons)
    return "\n".join(lines)


def _title(result: CaseResult) -> str:
    return f"{result.case.where}: {result.case.name}"


def _issues_text(issues: Iterable[RulesetIssue]) -> str:
    return "\n".join(str(i) for i in issues)


def print_run(run: TestRun, out: IO[str], err: IO[str], *, verbose: bool = False) -> None:
    """The results: failures with their diff, problems, and a summary line."""
    for r in run.results:
        if r.status == "fail":
            out.write(f"FAIL {_title(r)}\n{_indent(failure_text(r), '  ')}\n\n")
        elif verbose and r.status == "pass":
            out.write(f"ok   {_title(r)}\n")
    if run.issues:
        n = len(run.issues)
        err.write(f"{n} problem{'s' if n != 1 else ''} in test files or rulesets:\n")
        err.write(_issues_text(run.issues) + "\n\n")
    passed, failed, errors = run.count("pass"), run.count("fail"), run.count("error")
    out.write(
        f"{passed} passed, {failed} failed, {_plural(errors, 'error')} in "
        f"{_plural(len(run.results), 'test')} from {_plural(len(run.files), 'file')} "
        f"({run.seconds:.2f}s)\n"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _shown(path: str) -> str:
    """A path relative to the working directory when it is below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _mark(count: int, required: bool) -> str:
    if not required:
        return "[dim]-[/]" if not count else f"[dim]{count}[/]"
    return f"[green]{count}[/]" if count else "[red]0[/]"


def print_coverage(
    coverage: Iterable[Coverage], out: IO[str], *, verbose: bool = False, width: int | None = None
) -> None:
    """Rule coverage per ruleset and in total; with ``verbose``, one row per rule.
    Rules with gaps are always listed."""
    from rich.console import Console
    from rich.table import Table

    items = list(coverage)
    if not items:
        return
    console = Console(file=out, width=width or (None if out.isatty() else 120), highlight=False)
    summary = Table(title="rule coverage", title_justify="left")
    summary.add_column("ruleset")
    summary.add_column("file", no_wrap=True)
    summary.add_column("tests", justify="right")
    summary.add_column("rules", justify="right")
    summary.add_column("covered", justify="right")
    summary.add_column("coverage", justify="right")
    summary.add_column("tiers reached", overflow="fold")
    for c in items:
        colour = "green" if c.covered == c.required else "red"
        summary.add_row(
            c.name,
            f"[dim]{_shown(c.ruleset)}[/]",
            str(c.tests),
            str(len(c.rules)),
            f"{c.covered}/{c.required}",
            f"[{colour}]{c.percent:.1f}%[/]",
            f"{len(c.tiers_seen)}/{len(c.tiers)}: {', '.join(c.tiers_seen) or '-'}",
        )
    console.print(summary)
    for c in items:
        if not c.tests and not verbose:
            console.print(
                f"[red]{c.name} has no tests[/]: add {_shown(_test_file_for(c.ruleset))} "
                "(see docs/testing-rulesets.md)"
            )
            continue
        rows = [r for r in c.rules if verbose or r.gaps]
        if not rows:
            continue
        table = Table(title=f"{c.name}: rules", title_justify="left")
        for col in ("rule", "pass", "fail", "not applicable", "missing input", "gaps"):
            table.add_column(col, justify="left" if col in {"rule", "gaps"} else "right")
        for r in rows:
            table.add_row(
                r.rule,
                _mark(r.passed, True),
                _mark(r.failed, True),
                _mark(r.not_applicable, r.has_when),
                _mark(r.unknown, False),
                "[red]never " + ", ".join(r.gaps) + "[/]" if r.gaps else "",
            )
        console.print(table)
    required = sum(c.required for c in items)
    covered = sum(c.covered for c in items)
    console.print(
        f"rule coverage: {total_percent(items):.1f}% ({covered} of {required} rule outcomes "
        f"over {_plural(len(items), 'ruleset')})"
    )


def _test_file_for(ruleset: str) -> str:
    p = Path(ruleset)
    return str(p.with_name(p.stem + ".test.toml"))


def write_junit(run: TestRun, path: Path, *, min_coverage: float | None = None) -> None:
    """JUnit XML: a testsuite per file, a testcase per case; problems with a whole file
    are an errored testcase ``(load)``; ``min_coverage`` adds a ``coverage`` suite."""
    root = ET.Element("testsuites", name="kolrules test", time=f"{run.seconds:.3f}")
    by_file: dict[str, list[CaseResult]] = {f.path: [] for f in run.files}
    for r in run.results:
        by_file.setdefault(r.case.file, []).append(r)
    file_issues: dict[str, list[RulesetIssue]] = {}
    for f in run.files:
        file_issues[f.path] = list(f.issues)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for file, results in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        seconds = 0.0
        if file_issues.get(file):
            case = ET.SubElement(suite, "testcase", classname=file, name="(load)", file=file)
            message = file_issues[file][0].message
            ET.SubElement(case, "error", message=message).text = _issues_text(file_issues[file])
            counts["tests"] += 1
            counts["errors"] += 1
        for r in results:
            seconds += r.seconds
            attrs = {"classname": file, "name": r.case.name, "file": file}
            if r.case.line:
                attrs["line"] = str(r.case.line)
            case = ET.SubElement(suite, "testcase", attrs, time=f"{r.seconds:.6f}")
            counts["tests"] += 1
            if r.status == "fail":
                counts["failures"] += 1
                first = r.mismatches[0]
                message = f"{first.what}: expected {first.expected}, got {first.got}"
                ET.SubElement(case, "failure", message=message).text = failure_text(r)
            elif r.status == "error":
                counts["errors"] += 1
                error = ET.SubElement(case, "error", message=r.case.issues[0].message)
                error.text = failure_text(r)
        suite.set("time", f"{seconds:.6f}")
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("skipped", "0")
    if min_coverage is not None:
        suite = ET.SubElement(root, "testsuite", name="coverage", tests="1", errors="0")
        case = ET.SubElement(
            suite, "testcase", classname="coverage", name=f"rule coverage >= {min_coverage:g}%"
        )
        low = run.coverage_percent < min_coverage
        if low:
            gaps = "\n".join(
                f"{c.name}: {r.rule} never {', '.join(r.gaps)}"
                for c in run.coverage
                for r in c.rules
                if r.gaps
            )
            ET.SubElement(
                case,
                "failure",
                message=f"rule coverage {run.coverage_percent:.1f}% is below {min_coverage:g}%",
            ).text = gaps
        suite.set("failures", "1" if low else "0")
        totals["tests"] += 1
        totals["failures"] += int(low)
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
