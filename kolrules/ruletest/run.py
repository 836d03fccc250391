"""Running ruleset tests, like ``opa test``: run test cases against their rulesets and
measure rule coverage.

A test case is a (partial) profile and what the ruleset must make of it: verdict, tier,
score range, the outcome of some rules, or a row error. Cases live in ``<name>.test.toml``
beside ``<name>.toml`` or in the ruleset's own ``[[test]]`` tables (see
``docs/testing-rulesets.md``). :func:`run_tests` finds and runs them; :func:`run_case` runs
one; the ``kolrules test`` command and the pytest plugin :mod:`kolrules.testing` are built
on these.

Rule coverage: a rule is covered when some case made it **pass**, some case made it
**fail**, and, for a rule with a ``when``, some case made it **not applicable** (its
``when`` false). A rule without a ``when`` cannot be not applicable by design, so it needs
two outcomes, not three. A rule that is not applicable because an input is missing
(``unknown``) is shown in the table but does not count: it tests the data, not the rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from kolrules.compile import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from kolrules.engine import Engine, RowInputError
from kolrules.errors import RulesetError, RulesetIssue
from kolrules.evaluate import format_value
from kolrules.ruletest.cases import (
    NO_TIER,
    TEST_SUFFIX,
    CaseResult,
    EngineCache,
    Expectation,
    Mismatch,
    TestCase,
    TestFile,
    is_ruleset,
    load_test_file,
)
from kolrules.ruletest.coverage import Coverage, coverage_of, total_percent
from kolrules.types import Decision

__all__ = ["TestRun", "discover", "run_case", "run_tests"]

_CODE_NAMES = {PASS: "pass", FAIL: "fail", NOT_APPLICABLE: "not_applicable", UNKNOWN: "unknown"}
#: :func:`run_tests` reports its progress after this many cases (and after each file).
PROGRESS_CASES = 1_000


def _show_score(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def _expected_score(score: tuple[float, float] | str) -> str:
    if isinstance(score, str):
        return score
    low, high = score
    return f"{low:g}" if low == high else f"{low:g}..{high:g}"


def _values(names: Iterable[str], values: Mapping[str, Any]) -> str:
    shown = [f"{n} = {format_value(values.get(n))}" for n in dict.fromkeys(names)]
    return ", ".join(shown)


def run_case(engine: Engine, case: TestCase) -> CaseResult:
    """Run one case with ``engine`` (built from ``case.ruleset``)."""
    if case.issues:
        return CaseResult(case, "error")
    start = time.perf_counter()
    try:
        decision = engine.evaluate_one(case.profile)
    except RowInputError as exc:
        return _row_error_result(case, str(exc.error), time.perf_counter() - start)
    plan = engine.plan
    # The outcome codes tell "when was false" from "an input was missing", which the
    # decision's findings (both not_applicable) do not.
    norm = engine.normalise_row(case.profile)
    tier, band_min, band_max, _, codes, _ = plan.scalar(norm.values)
    values: dict[str, Any] = {**norm.values, **plan.params, **decision.metrics}
    values.update(tier=tier, band_min=band_min, band_max=band_max)
    mismatches = list(_compare(engine, case.expect, decision, tuple(codes), values))
    return CaseResult(
        case,
        "fail" if mismatches else "pass",
        tuple(mismatches),
        decision,
        outcomes=tuple(codes),
        seconds=time.perf_counter() - start,
    )


def _row_error_result(case: TestCase, error: str, seconds: float) -> CaseResult:
    want = case.expect.error
    if want is not None and want.casefold() in error.casefold():
        return CaseResult(case, "pass", row_error=error, seconds=seconds)
    if want is not None:
        miss = Mismatch("error", f"a row error containing {want!r}", "another row error", error)
    else:
        miss = Mismatch("evaluation", "a decision", "a row error", error)
    return CaseResult(case, "fail", (miss,), row_error=error, seconds=seconds)


def _compare(
    engine: Engine,
    expect: Expectation,
    decision: Decision,
    codes: tuple[int, ...],
    values: Mapping[str, Any],
) -> Iterator[Mismatch]:
    if expect.error is not None:
        yield Mismatch(
            "error",
            f"a row error containing {expect.error!r}",
            f"verdict {decision.verdict}",
            "the profile was evaluated",
        )
        return
    if expect.verdict is not None and decision.verdict != expect.verdict:
        yield Mismatch("verdict", expect.verdict, decision.verdict)
    got_tier = decision.tier or NO_TIER
    if expect.tier is not None and got_tier != expect.tier:
        yield Mismatch("tier", expect.tier, got_tier, _values(["followers"], values))
    if expect.score is not None:
        score = decision.score
        if expect.score == "none":
            ok = score is None
        else:
            low, high = expect.score
            ok = score is not None and low - 1e-9 <= score <= high + 1e-9
        if not ok:
            yield Mismatch("score", _expected_score(expect.score), _show_score(score))
    index = {r.rule.id: i for i, r in enumerate(engine.plan.rules)}
    for rule_id, want in expect.findings.items():
        i = index[rule_id]
        code = codes[i]
        finding = decision.findings[i]
        got = _CODE_NAMES[code]
        if want == got or (want == "not_applicable" and code == UNKNOWN):
            continue
        compiled = engine.plan.rules[i]
        names = [*(compiled.when.names if compiled.when else ()), *compiled.require.names]
        detail = finding.message
        if names:
            detail += f"\n({_values(names, values)})"
        yield Mismatch(f"finding {rule_id}", want, got, detail)


# -- finding and running ----------------------------------------------------------------


def _read_doc(path: Path) -> Mapping[str, Any] | None:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """What to run for ``paths`` (files or directories, walked recursively, hidden
    directories skipped): the files with test cases, the rulesets whose coverage to
    report (every ruleset found, tested or not), and TOML files that could not be read.

    A ``*.test.toml`` file is a test file. A ruleset named directly brings its own
    ``[[test]]`` tables and the ``<name>.test.toml`` beside it. Raises
    ``FileNotFoundError`` for a path that does not exist.
    """
    tests: dict[Path, None] = {}
    rulesets: dict[Path, None] = {}
    unreadable: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"no such file or directory: {path}")
        if path.is_dir():
            files = sorted(
                f
                for f in path.rglob("*.toml")
                if not any(p.startswith(".") for p in f.relative_to(path).parts[:-1])
            )
        else:
            files = [path]
        for f in files:
            if f.name.endswith(TEST_SUFFIX):
                tests[f] = None
                continue
            doc = _read_doc(f)
            if doc is None:
                unreadable[f] = None
                continue
            if not is_ruleset(doc):
                continue
            rulesets[f] = None
            if "test" in doc:
                tests[f] = None
            sibling = f.with_name(f.stem + TEST_SUFFIX)
            if not path.is_dir() and sibling.is_file():
                tests[sibling] = None
    return list(tests), list(rulesets), list(unreadable)


@attrs.frozen
class TestRun:
    """Everything one run found: the files read, each case's result, the coverage of
    every ruleset involved, and the problems that stopped a file or ruleset from running."""

    __test__ = False  # not a pytest test class

    files: tuple[TestFile, ...]
    results: tuple[CaseResult, ...]
    coverage: tuple[Coverage, ...]
    issues: tuple[RulesetIssue, ...] = ()
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def coverage_percent(self) -> float:
        return total_percent(self.coverage)

    @property
    def has_errors(self) -> bool:
        """A test file, a case or a ruleset is malformed."""
        return bool(self.issues) or self.count("error") > 0

    @property
    def ok(self) -> bool:
        return not self.has_errors and self.count("fail") == 0


def run_tests(
    paths: Sequence[str | Path],
    *,
    plugins: Sequence[object] = (),
    progress: Callable[[int], None] | None = None,
) -> TestRun:
    """Find and run the test cases in ``paths`` (see :func:`discover`) and measure the
    rule coverage of every ruleset found or tested.

    ``progress``: called with the number of cases run so far (cumulative) after each
    test file and every :data:`PROGRESS_CASES` cases within one, never per case."""
    start = time.perf_counter()
    engines = EngineCache(plugins)
    test_paths, ruleset_paths, unreadable = discover(paths)
    issues: list[RulesetIssue] = [
        RulesetIssue(str(p), "", "cannot read this file as TOML", None, "run kolrules validate")
        for p in unreadable
    ]
    files: list[TestFile] = []
    results: list[CaseResult] = []
    by_ruleset: dict[Path, list[CaseResult]] = {}
    for path in test_paths:
        tf = load_test_file(path, engines)
        files.append(tf)
        issues.extend(tf.issues)
        if tf.ruleset is None:
            continue
        engine = engines.get(Path(tf.ruleset))
        group = by_ruleset.setdefault(Path(tf.ruleset).resolve(), [])
        for case in tf.cases:
            issues.extend(case.issues)
            result = run_case(engine, case)
            results.append(result)
            group.append(result)
            if progress is not None and len(results) % PROGRESS_CASES == 0:
                progress(len(results))
        if progress is not None and len(results) % PROGRESS_CASES:
            progress(len(results))
    for path in ruleset_paths:
        key = path.resolve()
        if key in by_ruleset:
            continue
        try:
            engines.get(path)
        except RulesetError as exc:
            issues.extend(exc.issues)
            continue
        by_ruleset[key] = []
    coverage = tuple(
        sorted(
            (coverage_of(engines.get(key), group) for key, group in by_ruleset.items()),
            key=lambda c: c.ruleset,
        )
    )
    return TestRun(
        tuple(files),
        tuple(results),
        coverage,
        tuple(dict.fromkeys(issues)),
        time.perf_counter() - start,
    )
