"""How ``kolrules validate`` shows a :class:`~kolrules.checks.validate.Validation`: a line
per ruleset (``ok`` or ``FAIL``) with every issue under it, or a JSON-ready row."""

from __future__ import annotations

from typing import IO, Any

from kolrules.checks.validate import Validation
from kolrules.errors import RulesetError
from kolrules.ruleset.display import display_path

__all__ = ["print_validation", "validation_row"]


def print_validation(result: Validation, bad: bool, out: IO[str], err: IO[str]) -> None:
    """``ok   FILE: name version for platform, N rules, ...`` on ``out``, or ``FAIL FILE``
    with every error on ``err``; the warnings follow on ``err``. ``bad``: the ruleset
    fails (errors, or warnings under ``--strict``)."""
    warnings = result.warnings
    if result.errors:
        print(f"FAIL {result.source}\n{RulesetError(result.errors)}", file=err)
    elif bad:
        plural = "s" if len(warnings) != 1 else ""
        print(f"FAIL {result.source}: {len(warnings)} warning{plural} (--strict)", file=err)
    elif result.cases is not None:
        print(f"ok   {result.source}: {result.cases} test cases for {result.tested}", file=out)
    elif result.ruleset is not None and result.plan is not None:
        rs, plan = result.ruleset, result.plan
        parents = " -> ".join(map(display_path, rs.chain[1:]))
        extends = f", extends {parents}" if parents else ""
        noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        print(
            f"ok   {rs.path}: {rs.name} {rs.version} for {plan.platform.name}, "
            f"{len(plan.rules)} rules, {len(plan.tiers)} tiers, {len(plan.metrics)} metrics"
            f"{extends}{noted}",
            file=out,
        )
    for w in warnings:
        print(str(w), file=err)


def validation_row(result: Validation, bad: bool) -> dict[str, Any]:
    """One ruleset's validation as a JSON-ready dict (``kolrules validate --json``)."""
    rs = result.ruleset
    return {
        "source": result.source,
        "ok": not bad,
        "name": rs.name if rs else None,
        "chain": list(rs.chain) if rs else [],
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "issues": [
            {
                "severity": i.severity,
                "file": i.file,
                "line": i.line,
                "key": i.key,
                "message": i.message,
                "hint": i.hint,
            }
            for i in result.issues
        ],
    }
