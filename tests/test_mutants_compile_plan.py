"""Literal expectations for kolrules.compile, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): the issues of a ruleset that does not compile (params,
metrics, message templates, a scoring strategy's expression) and why a verdict was given."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from kolrules import Engine
from kolrules.compile import verdict_reason
from kolrules.errors import RulesetError, ScoringParamError
from kolrules.hookspecs import hookimpl
from kolrules.types import RuleKind, RuleParts, Scorer

RULE = '[[rules]]\nid = "r"\nrequire = "followers > 1"\nseverity = "warn"\n'


def _ruleset(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(
        '[ruleset]\nname = "t"\nversion = "1"\nplatform = "red"\n\n' + textwrap.dedent(body),
        encoding="utf-8",
    )
    return path


def _issues(path: Path, plugins: list[object] | None = None) -> list[tuple[Any, ...]]:
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=plugins or [], load_entrypoints=False)
    return [(i.key, i.line, i.message, i.hint) for i in info.value.issues]


# -- params and metrics -----------------------------------------------------------------


def test_a_param_or_a_metric_named_like_a_field_is_refused(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, "[params]\nfollowers = 3\n\n" + RULE)
    assert _issues(path) == [
        ("params.followers", 7, "param 'followers' has the name of a field", None)
    ]
    path = _ruleset(tmp_path, '[metrics]\nposts = "followers * 2"\n\n' + RULE)
    assert _issues(path) == [
        ("metrics.posts", 7, "metric 'posts' has the name of a field or param", "rename the metric")
    ]


def test_a_metric_that_does_not_parse_is_located_at_its_key(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, '[metrics]\nbad = "followers +"\n\n' + RULE)
    assert _issues(path) == [
        (
            "metrics.bad",
            7,
            "metric 'bad': cannot parse the expression: invalid syntax\n"
            "    followers +\n"
            "               ^",
            None,
        )
    ]


# -- message templates ------------------------------------------------------------------


def test_a_message_with_a_conversion_is_refused(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, RULE + 'message = "{followers!r}"\n')
    assert _issues(path) == [
        ("rules[0].message", 10, "conversions like !r are not allowed in messages", None)
    ]


def test_a_message_with_an_unclosed_brace_says_how_to_write_braces(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, RULE + 'message = "{followers"\n')
    assert _issues(path) == [
        (
            "rules[0].message",
            10,
            "cannot read the message template: expected '}' before end of string",
            "write literal braces as {{ and }}",
        )
    ]


def test_a_format_is_checked_against_the_type_of_its_field(tmp_path: Path) -> None:
    # text takes "s", a number does not
    ok = _ruleset(tmp_path, RULE + 'message = "{id:s} has {followers:.0f}"\n')
    engine = Engine(ok, load_entrypoints=False)
    assert engine.plan.rules[0].template == "{id:s} has {followers:.0f}"
    path = _ruleset(tmp_path, RULE + 'message = "{followers:s}"\n')
    assert _issues(path) == [
        (
            "rules[0].message",
            10,
            "bad format {followers:s}: Unknown format code 's' for object of type 'float'",
            None,
        )
    ]


# -- the scoring strategy's expression ----------------------------------------------------


class _Custom:
    """A scoring strategy ``custom`` whose expression is whatever ``build`` gives."""

    def __init__(self, build: Callable[[Mapping[str, Any]], str]) -> None:
        self.build = build

    @hookimpl
    def kolrules_scorers_register(self) -> Iterable[Scorer]:
        return [Scorer("custom", self.build)]


SCORED = RULE + '\n[scoring]\nstrategy = "custom"\n[scoring.params]\nk = 1\n'


def _refuses(key: str, message: str) -> Callable[[Mapping[str, Any]], str]:
    def build(params: Mapping[str, Any]) -> str:
        raise ScoringParamError(key, message)

    return build


def test_a_scoring_param_error_points_below_scoring_params(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, SCORED)
    assert _issues(path, [_Custom(_refuses("", "give k"))]) == [
        ("scoring.params", 13, "give k", None)
    ]
    assert _issues(path, [_Custom(_refuses("metrics.er", "must be a table"))]) == [
        ("scoring.params.metrics.er", 13, "must be a table", None)
    ]


def test_a_scorer_may_build_an_expression_longer_than_a_rules(tmp_path: Path) -> None:
    # 35 terms: 559 characters, over the 500 of a ruleset's own expressions
    source = " + ".join(["followers * 0"] * 35) + " + 42"
    assert len(source) > 500
    engine = Engine(
        _ruleset(tmp_path, SCORED), plugins=[_Custom(lambda p: source)], load_entrypoints=False
    )
    (decision,) = engine.evaluate([{"id": "a", "followers": "5000"}]).decisions
    assert decision.score == 42.0


def test_a_scorer_that_builds_a_test_or_an_unknown_name_is_refused(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, SCORED)
    assert _issues(path, [_Custom(lambda p: "followers > 1")]) == [
        ("scoring", 11, "scoring strategy 'custom' must give a number", None)
    ]
    assert _issues(path, [_Custom(lambda p: "folowers + 1")]) == [
        (
            "scoring.params",
            13,
            "scoring strategy 'custom' built an expression that does not compile: "
            "unknown name 'folowers'",
            None,
        )
    ]


# -- why a verdict was given ------------------------------------------------------------


def test_the_reason_names_the_failed_rules_and_the_escalation(tmp_path: Path) -> None:
    rules = "".join(
        f'[[rules]]\nid = "{rid}"\nrequire = "followers > {n}"\nseverity = "{sev}"\n\n'
        for n, (rid, sev) in enumerate(
            [("a", "reject"), ("b", "reject"), ("w1", "warn"), ("w2", "warn"), ("rv", "review")]
        )
    )
    path = _ruleset(
        tmp_path,
        '[verdict]\ndata_errors = "review"\n\n'
        '[[verdict.escalate]]\nseverity = "warn"\ncount = 2\nto = "review"\n\n' + rules,
    )
    plan = Engine(path, load_entrypoints=False).plan
    assert verdict_reason(plan, (1, 1, 0, 0, 0), False) == "reject: a, b failed"
    assert verdict_reason(plan, (0, 0, 1, 1, 0), False) == (
        "review: 2 warnings escalate to review (at 2 or more): w1, w2"
    )
    assert verdict_reason(plan, (0, 0, 0, 0, 0), True) == (
        "review: data errors make it review ([verdict] data_errors)"
    )
    assert verdict_reason(plan, (1, 0, 1, 1, 0), True) == "reject: a failed"
    assert verdict_reason(plan, (0, 0, 1, 0, 0), False) == (
        "accept: only warnings and infos failed (w1)"
    )
    assert verdict_reason(plan, (0, 0, 0, 0, 0), False) == "accept: no rule failed"
    assert verdict_reason(plan, (0, 0, 0, 0, 1), False) == "review: rv failed"


# -- rule kinds -------------------------------------------------------------------------


class _Kinds:
    @hookimpl
    def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
        def build(params: Mapping[str, Any]) -> RuleParts:
            return RuleParts(require="followers > 1")

        return [RuleKind("Beta", build, ""), RuleKind("alpha", build, "")]


def test_an_unknown_kind_lists_every_known_kind(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, '[[rules]]\nid = "r"\nseverity = "warn"\nkind = "gamma"\n')
    assert _issues(path, [_Kinds()]) == [
        (
            "rules[0].kind",
            9,
            "rule 'r': unknown rule kind 'gamma'; known rule kinds: Beta, alpha",
            "install the plugin that adds it (kolrules plugins lists the kinds each plugin "
            "registers), or write the rule with require",
        )
    ]
