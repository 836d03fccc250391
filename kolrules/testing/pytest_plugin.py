"""The pytest plugin: ruleset tests as pytest items. Opt-in: it is not registered
automatically; enable it with ``pytest -p kolrules.testing`` or, in a ``conftest.py``,
``pytest_plugins = ["kolrules.testing"]`` (:mod:`kolrules.testing` hands its hooks on).

Every ``*.test.toml`` file pytest visits, and every ruleset with ``[[test]]`` tables, is
collected; each test case is one item (``file::case name``). A failing case shows the
same expected-versus-got diff as ``kolrules test``; a malformed case is a failure listing
its problems with file, line and key path; a file that cannot be read or a ruleset that
does not load is a collection error. The terminal summary ends with the rule coverage of
the rulesets tested (``kolrules test`` also enforces a minimum).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kolrules.ruletest import CaseResult, coverage_of, run_case, total_percent
from kolrules.ruletest.cases import TEST_SUFFIX, EngineCache, TestCase, is_ruleset, load_test_file
from kolrules.ruletest.display import failure_text

__all__ = [
    "RulesetTestFailure",
    "RulesetTestFile",
    "RulesetTestItem",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_terminal_summary",
]

# -- ruleset tests as pytest items --------------------------------------------------------

_ENGINES = pytest.StashKey[EngineCache]()
_RESULTS = pytest.StashKey[dict[str, list[CaseResult]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ENGINES] = EngineCache()
    config.stash[_RESULTS] = {}


def _has_tests(path: Path) -> bool:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return False
    return is_ruleset(doc) and "test" in doc


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.test.toml`` files and rulesets with ``[[test]]`` tables."""
    if file_path.name.endswith(TEST_SUFFIX) or (
        file_path.suffix == ".toml" and _has_tests(file_path)
    ):
        collector: pytest.Collector = RulesetTestFile.from_parent(parent, path=file_path)
        return collector
    return None


class RulesetTestFailure(Exception):
    """Raised by a :class:`RulesetTestItem` whose case failed or is malformed."""

    def __init__(self, result: CaseResult) -> None:
        self.result = result
        super().__init__(failure_text(result))


class RulesetTestFile(pytest.File):
    """A file of ruleset test cases."""

    def collect(self) -> Iterator[pytest.Item]:
        tf = load_test_file(self.path, self.config.stash[_ENGINES])
        if tf.issues:
            raise self.CollectError("\n".join(str(i) for i in tf.issues))
        for case in tf.cases:
            yield RulesetTestItem.from_parent(self, name=case.name, case=case)


class RulesetTestItem(pytest.Item):
    """One ruleset test case."""

    def __init__(self, *, case: TestCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        engine = self.config.stash[_ENGINES].get(Path(self.case.ruleset))
        result = run_case(engine, self.case)
        self.config.stash[_RESULTS].setdefault(self.case.ruleset, []).append(result)
        if not result.passed:
            raise RulesetTestFailure(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, RulesetTestFailure):
            return f"{excinfo.value}\n(test case at {self.case.where})"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = None if self.case.line is None else self.case.line - 1
        return self.path, line, f"ruleset test: {self.case.name}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line of rule coverage for the rulesets whose tests ran."""
    results = config.stash.get(_RESULTS, {})
    if not results:
        return
    engines = config.stash[_ENGINES]
    coverage = [coverage_of(engines.get(Path(r)), rs) for r, rs in sorted(results.items())]
    parts = ", ".join(f"{c.name} {c.percent:.0f}%" for c in coverage)
    terminalreporter.write_line(
        f"kolrules rule coverage: {total_percent(coverage):.1f}% ({parts}); "
        "`kolrules test` shows the gaps"
    )
