"""Rule coverage of ruleset tests: which outcomes the test cases made each rule produce.

A rule is covered when some case made it **pass**, some case made it **fail**, and, for a
rule with a ``when``, some case made it **not applicable** (its ``when`` false). A rule
without a ``when`` cannot be not applicable by design, so it needs two outcomes, not
three. Not applicable because an input is missing (``unknown``) is counted and shown, but
not required: it tests the data, not the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from kolrules.engine import Engine
    from kolrules.ruletest.cases import CaseResult

__all__ = ["Coverage", "RuleCoverage", "coverage_of", "total_percent"]


@attrs.frozen
class RuleCoverage:
    """How often the cases made one rule pass, fail, not apply (``when`` false) and
    not apply for missing inputs (``unknown``, shown but not required)."""

    rule: str
    has_when: bool
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    unknown: int = 0

    @property
    def required(self) -> tuple[str, ...]:
        """The outcomes some case must produce: pass, fail, and not_applicable for a rule
        with a ``when``."""
        return ("pass", "fail", "not_applicable") if self.has_when else ("pass", "fail")

    @property
    def counts(self) -> Mapping[str, int]:
        return {
            "pass": self.passed,
            "fail": self.failed,
            "not_applicable": self.not_applicable,
            "unknown": self.unknown,
        }

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(o for o in self.required if self.counts[o])

    @property
    def gaps(self) -> tuple[str, ...]:
        """The required outcomes no case produced."""
        return tuple(o for o in self.required if not self.counts[o])


@attrs.frozen
class Coverage:
    """Rule coverage of one ruleset: per rule, and the tiers the cases reached."""

    ruleset: str
    name: str
    tests: int
    rules: tuple[RuleCoverage, ...]
    tiers: tuple[str, ...] = ()
    tiers_seen: tuple[str, ...] = ()

    @property
    def required(self) -> int:
        return sum(len(r.required) for r in self.rules)

    @property
    def covered(self) -> int:
        return sum(len(r.covered) for r in self.rules)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.required if self.required else 100.0


def coverage_of(engine: Engine, results: Iterable[CaseResult]) -> Coverage:
    """The rule coverage ``results`` (cases of ``engine``'s ruleset) give."""
    rules = engine.plan.rules
    counts = [[0, 0, 0, 0] for _ in rules]
    tiers_seen: set[str] = set()
    tests = 0
    for result in results:
        tests += result.status != "error"
        for i, code in enumerate(result.outcomes):
            counts[i][code] += 1
        if result.decision is not None and result.decision.tier is not None:
            tiers_seen.add(result.decision.tier)
    tiers = tuple(t.name for t in engine.plan.tiers)
    return Coverage(
        ruleset=engine.ruleset.path,
        name=engine.ruleset.name,
        tests=tests,
        rules=tuple(
            RuleCoverage(r.rule.id, r.when is not None, *c)
            for r, c in zip(rules, counts, strict=True)
        ),
        tiers=tiers,
        tiers_seen=tuple(t for t in tiers if t in tiers_seen),
    )


def total_percent(coverages: Iterable[Coverage]) -> float:
    """The share of required outcomes covered over all rulesets (100 when none)."""
    items = list(coverages)
    required = sum(c.required for c in items)
    return 100.0 * sum(c.covered for c in items) / required if required else 100.0
