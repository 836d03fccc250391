"""The ruleset-test wing, like ``opa test``: test cases, running them, rule coverage, and
how the results are shown.

- :mod:`~kolrules.ruletest.cases`: reading cases (:class:`TestCase`) and their results
  (:class:`CaseResult`);
- :mod:`~kolrules.ruletest.run`: :func:`run_tests`, :func:`run_case`, :func:`discover`;
- :mod:`~kolrules.ruletest.coverage`: which outcomes the cases made each rule produce;
- :mod:`~kolrules.ruletest.display`: the text, coverage table and JUnit XML.

The ``kolrules test`` command and the pytest plugin :mod:`kolrules.testing` are built on
these. This module only hands names on.
"""

from __future__ import annotations

from kolrules.ruletest.cases import (
    EXPECTED_OUTCOMES,
    NO_TIER,
    CaseResult,
    EngineCache,
    Expectation,
    ExpectedOutcome,
    Mismatch,
    TestCase,
    TestFile,
    load_test_file,
)
from kolrules.ruletest.coverage import Coverage, RuleCoverage, coverage_of, total_percent
from kolrules.ruletest.run import TestRun, discover, run_case, run_tests

__all__ = [
    "EXPECTED_OUTCOMES",
    "NO_TIER",
    "CaseResult",
    "Coverage",
    "EngineCache",
    "Expectation",
    "ExpectedOutcome",
    "Mismatch",
    "RuleCoverage",
    "TestCase",
    "TestFile",
    "TestRun",
    "coverage_of",
    "discover",
    "load_test_file",
    "run_case",
    "run_tests",
    "total_percent",
]
