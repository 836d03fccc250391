"""Literal expectations for kolrules.compile, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): rules of a plugin's kind, built when the plan compiles."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kolrules import Engine
from kolrules.errors import RuleParamError, RulesetError
from kolrules.hookspecs import hookimpl
from kolrules.types import RuleKind, RuleParts


class _AtLeast:
    """A rule kind ``At_Least`` (mixed case: kinds are found case-folded)."""

    def __init__(self, when: str | None = "present({field})", message: bool = True) -> None:
        self.when = when
        self.message = message

    def build(self, params: Mapping[str, Any]) -> RuleParts:
        if "field" not in params:
            raise RuleParamError("", "'field' is required")
        if "deep" in params:
            raise RuleParamError("deep.inner", "must not be here")
        field, low = params["field"], params.get("min", 0)
        return RuleParts(
            require=f"{field} >= {low}",
            when=None if self.when is None else self.when.format(field=field),
            message=f"{{{field}:.0f}} {field}, below {low}" if self.message else None,
        )

    @hookimpl
    def kolrules_rule_kinds_register(self) -> Iterable[RuleKind]:
        return [RuleKind("At_Least", self.build, "a field must be at least min")]


def _ruleset(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "kinds.toml"
    path.write_text(
        textwrap.dedent(
            """\
            [ruleset]
            name = "kinds"
            version = "1"
            platform = "red"

            [[rules]]
            id = "enough-posts"
            severity = "review"
            """
        )
        + textwrap.dedent(rule),
        encoding="utf-8",
    )
    return path


def _rule(engine: Engine) -> Any:
    return next(r for r in engine.plan.rules if r.rule.id == "enough-posts")


def test_a_rule_of_a_plugin_kind_takes_require_when_and_message_from_the_kind(
    tmp_path: Path,
) -> None:
    path = _ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", min = 30 }\n')
    engine = Engine(path, plugins=[_AtLeast()], load_entrypoints=False)
    rule = _rule(engine)
    assert rule.require.source == "posts >= 30"
    assert rule.when is not None and rule.when.source == "present(posts)"
    assert rule.template == "{posts:.0f} posts, below 30"
    frame = engine.evaluate_frame(
        pl.DataFrame(
            {"id": ["a", "b", "c"], "followers": ["5000"] * 3, "posts": ["40", "12", None]}
        )
    )
    assert frame.get_column("rule:enough-posts").to_list() == ["pass", "fail", "not_applicable"]


def test_the_rules_own_when_is_joined_with_the_kinds_and_its_own_message_wins(
    tmp_path: Path,
) -> None:
    path = _ruleset(
        tmp_path,
        'kind = "AT_LEAST"\nparams = { field = "posts", min = 30 }\n'
        'when = "followers > 1000"\nmessage = "only {posts:.0f} notes"\n',
    )
    rule = _rule(Engine(path, plugins=[_AtLeast()], load_entrypoints=False))
    assert rule.when.source == "(followers > 1000) and (present(posts))"
    assert rule.template == "only {posts:.0f} notes"


def test_the_rules_own_when_stays_when_the_kind_gives_none(tmp_path: Path) -> None:
    path = _ruleset(
        tmp_path,
        'kind = "at_least"\nparams = { field = "posts", min = 30 }\nwhen = "followers > 1000"\n',
    )
    rule = _rule(Engine(path, plugins=[_AtLeast(when=None)], load_entrypoints=False))
    assert rule.when.source == "followers > 1000"
    none = _rule(
        Engine(
            _ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", min = 30 }\n'),
            plugins=[_AtLeast(when=None)],
            load_entrypoints=False,
        )
    )
    assert none.when is None


def test_a_kind_without_a_message_leaves_the_rules_default(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", min = 30 }\n')
    rule = _rule(Engine(path, plugins=[_AtLeast(message=False)], load_entrypoints=False))
    assert "{posts:.0f} posts, below 30" not in (rule.template or "")


def test_an_unknown_kind_names_the_known_ones_and_the_closest(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'kind = "at_lest"\nparams = { field = "posts" }\n')
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=[_AtLeast()], load_entrypoints=False)
    (issue,) = info.value.issues
    assert issue.key == "rules[0].kind"
    assert issue.line == 9
    assert issue.message == (
        "rule 'enough-posts': unknown rule kind 'at_lest'; known rule kinds: At_Least"
    )
    assert issue.hint == (
        "did you mean 'At_Least'? install the plugin that adds it (kolrules plugins lists the "
        "kinds each plugin registers), or write the rule with require"
    )


def test_an_unknown_kind_without_plugins_says_there_are_none(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'kind = "zzzz"\nparams = { field = "posts" }\n')
    with pytest.raises(RulesetError) as info:
        Engine(path, load_entrypoints=False)
    (issue,) = info.value.issues
    assert issue.message == "rule 'enough-posts': unknown rule kind 'zzzz'; known rule kinds: none"
    assert issue.hint == (
        "install the plugin that adds it (kolrules plugins lists the kinds each plugin "
        "registers), or write the rule with require"
    )


def test_a_bad_param_points_at_its_key_below_params(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'kind = "at_least"\nparams = { field = "posts", deep = 1 }\n')
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=[_AtLeast()], load_entrypoints=False)
    (issue,) = info.value.issues
    assert issue.key == "rules[0].params.deep.inner"
    assert issue.message == "rule 'enough-posts' (kind 'At_Least'): must not be here"


def test_a_param_error_of_the_whole_table_points_at_params(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'kind = "at_least"\nparams = { min = 3 }\n')
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=[_AtLeast()], load_entrypoints=False)
    (issue,) = info.value.issues
    assert issue.key == "rules[0].params"
    assert issue.message == "rule 'enough-posts' (kind 'At_Least'): 'field' is required"


def test_an_error_in_a_plugin_platforms_metric_names_the_platform_and_the_key(
    tmp_path: Path,
) -> None:
    from kolrules.types import Platform, Tier

    class _Testland:
        def __init__(self, metrics: dict[str, str]) -> None:
            self.platform = Platform(
                name="testland", aliases=("tl",), tiers=(Tier("small", 0, None),), metrics=metrics
            )

        @hookimpl
        def kolrules_platforms_register(self) -> Iterable[Platform]:
            return [self.platform]

    path = tmp_path / "tl.toml"
    path.write_text(
        '[ruleset]\nname = "t"\nversion = "1"\nplatform = "tl"\n\n'
        '[[rules]]\nid = "r"\nrequire = "followers > 1"\nseverity = "warn"\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=[_Testland({"bad": "followers +"})], load_entrypoints=False)
    (issue,) = info.value.issues
    assert (issue.file, issue.key, issue.line) == (
        "platform 'testland' (plugin data)",
        "metrics.bad",
        None,
    )
    assert issue.message == (
        "metric 'bad': cannot parse the expression: invalid syntax\n"
        "    followers +\n"
        "               ^"
    )
    with pytest.raises(RulesetError) as info:
        Engine(path, plugins=[_Testland({"worse": "folowers / 2"})], load_entrypoints=False)
    (issue,) = info.value.issues
    assert (issue.file, issue.key) == ("platform 'testland' (plugin data)", "metrics.worse")
    assert issue.message.startswith("metric 'worse': unknown name 'folowers'")
    assert issue.message.endswith("    did you mean 'followers'?")
