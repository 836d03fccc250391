"""Ruleset test cases and their results: reading a ``*.test.toml`` file, or the ``[[test]]``
tables of a ruleset, into :class:`TestCase` values; a run gives a :class:`CaseResult` each.

Reading checks every case against the ruleset it tests (compiled with its platform): profile
fields the platform does not know, rule ids and tier names that are not in the ruleset, bad
verdicts and outcomes. Every problem is a :class:`~kolrules.errors.RulesetIssue` with the
file, line and key path, and a "did you mean" where one is close. A case with problems is
kept, with its issues, so a run reports it as an error and goes on with the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import attrs

from kolrules.compile import VERDICTS
from kolrules.engine import Engine
from kolrules.errors import RulesetError, RulesetIssue, UnknownKindError
from kolrules.ruleset.locate import KeyPath, format_path, index_lines, line_of
from kolrules.ruleset.source import parse_toml
from kolrules.types import Decision

__all__ = [
    "EXPECTED_OUTCOMES",
    "NO_TIER",
    "TEST_SUFFIX",
    "CaseResult",
    "EngineCache",
    "Expectation",
    "ExpectedOutcome",
    "Mismatch",
    "TestCase",
    "TestFile",
    "is_ruleset",
    "load_test_file",
]

ExpectedOutcome = Literal["pass", "fail", "not_applicable", "unknown"]
#: What ``[test.expect] findings`` may say about a rule. ``not_applicable`` matches a rule
#: whose ``when`` was false *or* whose inputs were missing (as :class:`~kolrules.Finding`
#: reports both); ``unknown`` matches only the second.
EXPECTED_OUTCOMES: tuple[str, ...] = get_args(ExpectedOutcome)
#: ``tier = "none"`` expects no tier.
NO_TIER = "none"
#: The suffix of test files; the ruleset they test has the same name without ``.test``.
TEST_SUFFIX = ".test.toml"

_CASE_KEYS = ("name", "description", "profile", "expect")
_EXPECT_KEYS = ("verdict", "tier", "score", "findings", "error")
_FILE_KEYS = ("ruleset", "test")


@attrs.frozen
class Expectation:
    """What a case expects. ``None`` means "not checked". ``tier`` is a tier name or
    :data:`NO_TIER`; ``score`` an inclusive range (one number is ``(n, n)``) or ``"none"``
    (no score); ``findings`` maps rule ids to outcomes; ``error`` is text the row error's
    message must contain (case-insensitive)."""

    verdict: str | None = None
    tier: str | None = None
    score: tuple[float, float] | Literal["none"] | None = None
    findings: Mapping[str, ExpectedOutcome] = attrs.field(factory=dict)
    error: str | None = None


@attrs.frozen
class TestCase:
    """One test case: a (partial) profile and what the ruleset must make of it.

    ``file`` and ``line`` locate it; ``index`` is its position among the file's
    ``[[test]]`` tables; ``ruleset`` is the path of the ruleset it tests. A case with
    ``issues`` cannot run: a run reports it as an error.
    """

    __test__ = False  # not a pytest test class

    name: str
    profile: Mapping[str, Any]
    expect: Expectation
    file: str
    index: int
    ruleset: str
    line: int | None = None
    description: str = ""
    issues: tuple[RulesetIssue, ...] = ()

    @property
    def where(self) -> str:
        """``file:line``."""
        return self.file + (f":{self.line}" if self.line else "")


@attrs.frozen
class TestFile:
    """The cases of one file. ``issues`` are problems with the file as a whole (not
    TOML, unknown keys, a ruleset that cannot be found or loaded); its cases are then
    empty. ``ruleset`` is ``None`` when the ruleset could not be loaded."""

    __test__ = False  # not a pytest test class

    path: str
    ruleset: str | None
    cases: tuple[TestCase, ...] = ()
    issues: tuple[RulesetIssue, ...] = ()


class EngineCache:
    """One :class:`~kolrules.engine.Engine` per ruleset file, built on first use with the
    given plugins. A :class:`~kolrules.errors.RulesetError` is cached too, so a broken
    ruleset is reported once; plugin errors propagate."""

    def __init__(self, plugins: Sequence[object] = ()) -> None:
        self.plugins = tuple(plugins)
        self._engines: dict[str, Engine | RulesetError] = {}
        self._named: dict[str, Path] | None = None

    def named(self) -> dict[str, Path]:
        """Rulesets known by name (bundled and from plugins)."""
        if self._named is None:
            from kolrules.plugins import make_plugin_manager
            from kolrules.plugins.registry import Registry
            from kolrules.ruleset import find_rulesets

            registry = Registry.collect(make_plugin_manager(self.plugins))
            self._named = find_rulesets(registry.ruleset_dirs)
        return self._named

    def get(self, path: Path) -> Engine:
        """The engine for the ruleset at ``path``; raises what loading it raised."""
        key = str(path.resolve())
        if key not in self._engines:
            try:
                self._engines[key] = Engine(path, plugins=self.plugins)
            except RulesetError as exc:
                self._engines[key] = exc
        found = self._engines[key]
        if isinstance(found, RulesetError):
            raise found
        return found


def is_ruleset(doc: Mapping[str, Any]) -> bool:
    """Whether a parsed TOML document looks like a ruleset (or an overlay of one)."""
    head = doc.get("ruleset")
    return isinstance(head, Mapping) or "extends" in doc


def _closest(name: str, options: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"did you mean {found[0]!r}?" if found else None


class _Issues:
    """Collects the issues of one file, locating each key path."""

    def __init__(self, path: str, lines: Mapping[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines
        self.found: list[RulesetIssue] = []

    def add(self, at: KeyPath, message: str, hint: str | None = None) -> None:
        self.found.append(
            RulesetIssue(self.path, format_path(at), message, line_of(self.lines, at), hint)
        )

    def unknown_keys(self, at: KeyPath, table: Mapping[str, Any], valid: Sequence[str]) -> None:
        for key in table:
            if key not in valid:
                hint = _closest(key, valid)
                listing = "valid keys: " + ", ".join(valid)
                self.add(
                    (*at, key), f"unknown key {key!r}", f"{hint} {listing}" if hint else listing
                )


def load_test_file(path: str | Path, engines: EngineCache) -> TestFile:
    """Read the test cases of ``path``: a ``*.test.toml`` file or a ruleset with
    ``[[test]]`` tables, checked against the ruleset they test."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return TestFile(shown, None, issues=(_file_issue(shown, f"cannot read: {exc.strerror}"),))
    except UnicodeDecodeError as exc:
        return TestFile(
            shown, None, issues=(_file_issue(shown, f"not UTF-8 text (byte {exc.start})"),)
        )
    doc, problem = parse_toml(text, shown)  # invalid, too deep, or a number too long
    if doc is None:
        return TestFile(shown, None, issues=(problem,) if problem else ())
    issues = _Issues(shown, index_lines(text))
    is_test_file = path.name.endswith(TEST_SUFFIX)
    if is_test_file:
        issues.unknown_keys((), doc, _FILE_KEYS)
        target = _target(path, doc.get("ruleset"), engines, issues)
    else:
        target = path
    raw_cases = doc.get("test", [])
    if not isinstance(raw_cases, list) or not all(isinstance(c, dict) for c in raw_cases):
        issues.add(("test",), "expected [[test]] tables (an array of tables)")
        raw_cases = []
    if is_test_file and not raw_cases and "test" not in doc:
        issues.add((), "no [[test]] tables", "add test cases: see docs/testing-rulesets.md")
    if issues.found or target is None:
        return TestFile(shown, None, issues=tuple(issues.found))
    try:
        engine = engines.get(target)
    except RulesetError as exc:
        return TestFile(shown, None, issues=exc.issues)
    ruleset = engine.ruleset.path
    cases = tuple(
        _case(i, raw, shown, ruleset, engine, issues.lines) for i, raw in enumerate(raw_cases)
    )
    names: dict[str, int] = {}
    checked = []
    for case in cases:
        if case.name in names:
            dup = RulesetIssue(
                shown,
                format_path(("test", case.index, "name")),
                f"duplicate test name {case.name!r}, first used by test[{names[case.name]}]",
                line_of(issues.lines, ("test", case.index, "name")),
                "give each test its own name",
            )
            case = attrs.evolve(case, issues=(*case.issues, dup))
        names.setdefault(case.name, case.index)
        checked.append(case)
    return TestFile(shown, ruleset, tuple(checked))


def _file_issue(path: str, message: str, hint: str | None = None) -> RulesetIssue:
    return RulesetIssue(path, "", message, None, hint)


def _target(path: Path, value: Any, engines: EngineCache, issues: _Issues) -> Path | None:
    """The ruleset a test file tests: ``ruleset = ...`` (a path relative to the test
    file, or a name), else the file beside it with ``.test`` left out."""
    if value is None:
        sibling = path.with_name(path.name[: -len(TEST_SUFFIX)] + ".toml")
        if not sibling.is_file():
            issues.add(
                (),
                f"no ruleset {sibling.name} beside this test file",
                'name the ruleset it tests with ruleset = "<name or path>"',
            )
            return None
        return sibling
    if not isinstance(value, str) or not value:
        issues.add(("ruleset",), f"expected a ruleset name or path in quotes, got {value!r}")
        return None
    relative = path.parent / value
    if relative.is_file():
        return relative
    if value.endswith(".toml") or "/" in value or "\\" in value:
        issues.add(("ruleset",), f"no ruleset file {relative}", "give a path relative to this file")
        return None
    named = engines.named()
    if value not in named:
        err = UnknownKindError("ruleset", value, list(named))
        issues.add(("ruleset",), str(err), _closest(value, list(named)))
        return None
    return named[value]


def _case(
    i: int,
    raw: Mapping[str, Any],
    file: str,
    ruleset: str,
    engine: Engine,
    lines: Mapping[KeyPath, int],
) -> TestCase:
    issues = _Issues(file, lines)
    at: KeyPath = ("test", i)
    issues.unknown_keys(at, raw, _CASE_KEYS)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        issues.add((*at, "name"), 'every test needs a name = "..." saying what it checks')
        name = f"test[{i}]"
    description = raw.get("description", "")
    if not isinstance(description, str):
        issues.add((*at, "description"), "expected text (in quotes)")
        description = ""
    profile = _profile(raw.get("profile"), (*at, "profile"), name, engine, issues)
    expect = _expectation(raw.get("expect"), (*at, "expect"), engine, issues)
    return TestCase(
        name=name,
        profile=profile,
        expect=expect,
        file=file,
        index=i,
        ruleset=ruleset,
        line=line_of(lines, at),
        description=description,
        issues=tuple(issues.found),
    )


def _header_key(text: str) -> str:
    return text.replace("\ufeff", "").strip().casefold()


def _profile(
    raw: Any, at: KeyPath, name: str, engine: Engine, issues: _Issues
) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        issues.add(at, "every test needs a profile = { ... } table (partial is fine)")
        return {}
    aliases = engine.plan.schema.aliases
    field_of = {_header_key(s): f for f, spellings in aliases.items() for s in spellings}
    spellings = [s for ss in aliases.values() for s in ss]
    seen: dict[str, str] = {}
    for key, value in raw.items():
        field = field_of.get(_header_key(key))
        if field is None:
            hint = _closest(key, spellings) or _closest(key.casefold(), list(aliases))
            issues.add(
                (*at, key),
                f"unknown field {key!r} for platform {engine.plan.platform.name!r}",
                hint or "fields: " + ", ".join(aliases),
            )
            continue
        if field in seen:
            issues.add((*at, key), f"{key!r} and {seen[field]!r} both mean {field!r}")
        seen[field] = key
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            issues.add(
                (*at, key), f"expected a number or text for {key!r}, got {type(value).__name__}"
            )
    profile = dict(raw)
    if "id" not in seen:
        profile["id"] = name
    return profile


def _expectation(raw: Any, at: KeyPath, engine: Engine, issues: _Issues) -> Expectation:
    if not isinstance(raw, dict) or not raw:
        issues.add(
            at,
            "every test needs an expect table checking something",
            "add [test.expect] with verdict, tier, score, findings or error",
        )
        return Expectation()
    issues.unknown_keys(at, raw, _EXPECT_KEYS)
    plan = engine.plan
    verdict = _choice(
        raw,
        "verdict",
        VERDICTS,
        at,
        issues,
        lambda v: f"{v!r} is not a verdict; expected one of {', '.join(VERDICTS)}",
    )
    tiers = [t.name for t in plan.tiers]
    tier = _choice(
        raw,
        "tier",
        (*tiers, NO_TIER),
        at,
        issues,
        lambda v: (
            f"unknown tier {v!r}; the ruleset's tiers are {', '.join(tiers)} "
            f"(or {NO_TIER!r} for no tier)"
        ),
    )
    score = _score(raw.get("score"), (*at, "score"), issues)
    findings = _findings(raw.get("findings"), (*at, "findings"), engine, issues)
    error = raw.get("error")
    if error is not None and (not isinstance(error, str) or not error):
        issues.add((*at, "error"), "expected text the row error must contain, in quotes")
        error = None
    if "error" in raw:
        both = [k for k in ("verdict", "tier", "score", "findings") if k in raw]
        if both:
            issues.add(
                (*at, "error"),
                f"error cannot be combined with {', '.join(both)}: a row error has no verdict",
                "split it into two tests",
            )
    return Expectation(verdict, tier, score, findings, error)


def _choice(
    raw: Mapping[str, Any],
    key: str,
    options: Sequence[str],
    at: KeyPath,
    issues: _Issues,
    message: Callable[[Any], str],
) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in options:
        issues.add((*at, key), message(value), _closest(str(value), options))
        return None
    return value


def _score(
    value: Any, at: KeyPath, issues: _Issues
) -> tuple[float, float] | Literal["none"] | None:
    if value is None:
        return None
    if value == "none":
        return "none"

    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if number(value):
        return (float(value), float(value))
    if isinstance(value, list) and len(value) == 2 and all(number(v) for v in value):
        low, high = float(value[0]), float(value[1])
        if low > high:
            issues.add(at, f"score range [{low:g}, {high:g}] is inverted", "write [low, high]")
            return None
        return (low, high)
    issues.add(
        at,
        f'expected a score as a number, an inclusive range [low, high] or "none", got {value!r}',
    )
    return None


def _findings(
    raw: Any, at: KeyPath, engine: Engine, issues: _Issues
) -> Mapping[str, ExpectedOutcome]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        issues.add(at, "expected a table of rule id = outcome")
        return {}
    ids = [r.rule.id for r in engine.plan.rules]
    out: dict[str, ExpectedOutcome] = {}
    for rule, outcome in raw.items():
        ok = True
        if rule not in ids:
            issues.add(
                (*at, rule),
                f"unknown rule id {rule!r} in ruleset {engine.ruleset.name!r}",
                _closest(rule, ids) or "rules: " + ", ".join(ids),
            )
            ok = False
        if outcome not in EXPECTED_OUTCOMES:
            issues.add(
                (*at, rule),
                f"{outcome!r} is not an outcome; expected one of {', '.join(EXPECTED_OUTCOMES)}",
                _closest(str(outcome), EXPECTED_OUTCOMES),
            )
            ok = False
        if ok:
            out[rule] = outcome
    return out


@attrs.frozen
class Mismatch:
    """One expectation a case did not meet. ``what`` is ``verdict``, ``tier``, ``score``,
    ``error`` or ``finding <rule id>``; ``detail`` adds the finding's message and the
    values its rule read, or the row error."""

    what: str
    expected: str
    got: str
    detail: str = ""


@attrs.frozen
class CaseResult:
    """The result of one case. ``status`` is ``pass``, ``fail`` (an expectation was not
    met) or ``error`` (the case itself is broken: see ``case.issues``). ``outcomes`` are
    the raw outcome codes of the ruleset's rules, in order (empty for a row error)."""

    __test__ = False  # not a pytest test class

    case: TestCase
    status: Literal["pass", "fail", "error"]
    mismatches: tuple[Mismatch, ...] = ()
    decision: Decision | None = None
    row_error: str | None = None
    outcomes: tuple[int, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"
