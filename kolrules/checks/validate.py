"""``kolrules validate``: every problem of a ruleset and its chain, in one pass.

Loading (every file: TOML, schema, overlays, tiers, requires), compiling (expressions,
names, types) and the static checks (:mod:`kolrules.checks.static`) all run, as far as the
ruleset allows: a part dropped for breaking the schema is left out of the later steps,
and problems that only follow from dropping it are not reported again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kolrules.checks.static import static_checks
from kolrules.errors import RulesetError, RulesetIssue, UnknownKindError
from kolrules.ruleset import Ruleset, resolve_ruleset

if TYPE_CHECKING:
    from kolrules.compile import Plan
    from kolrules.engine import Engine

__all__ = ["Validation", "validate"]


@attrs.frozen
class Validation:
    """The outcome of validating one ruleset: the ruleset and plan when they could be
    built, and every error and warning."""

    source: str
    ruleset: Ruleset | None
    plan: Plan | None
    issues: tuple[RulesetIssue, ...]
    #: For a file of ruleset tests (``*.test.toml``): its number of cases and its ruleset.
    cases: int | None = None
    tested: str | None = None

    @property
    def errors(self) -> tuple[RulesetIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[RulesetIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")


def validate(engine: Engine, source: str | Path, plugins: Sequence[object] = ()) -> Validation:
    """Load, compile and statically check ``source`` (a path or a ruleset name). A file
    of ruleset tests (``*.test.toml``) is checked against its ruleset instead (``plugins``
    are the extra plugins to load it with)."""
    label = str(source)
    if label.endswith(".test.toml"):
        return _validate_tests(label, plugins)
    try:
        result = resolve_ruleset(source, engine.registry.ruleset_dirs)
    except RulesetError as exc:
        return Validation(label, None, None, exc.issues)
    except UnknownKindError as exc:
        return Validation(label, None, None, (RulesetIssue(label, "", str(exc)),))
    issues = list(result.issues)
    rs, plan = result.ruleset, None
    if rs is not None:
        try:
            plan = engine.compile(rs)
        except RulesetError as exc:
            issues += [i for i in exc.issues if not _follows_from(i, result.dropped)]
    if plan is not None and result.complete:
        issues += static_checks(plan)
    return Validation(label, rs, plan, tuple(issues))


def _follows_from(issue: RulesetIssue, dropped: frozenset[str]) -> bool:
    """Whether ``issue`` only reports a name whose definition was dropped already."""
    return any(
        f"unknown name {name!r}" in issue.message
        or f"unknown name {{{name}}}" in issue.message
        or f"unknown metric {name!r}" in issue.message
        for name in dropped
    )


def _validate_tests(label: str, plugins: Sequence[object]) -> Validation:
    from kolrules.ruletest.cases import EngineCache, load_test_file

    found = load_test_file(label, EngineCache(plugins))
    issues = (*found.issues, *(i for case in found.cases for i in case.issues))
    return Validation(label, None, None, issues, len(found.cases), found.ruleset)
