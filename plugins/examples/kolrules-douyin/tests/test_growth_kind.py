"""The rule kind follower_growth_spike: what it builds, and the errors a ruleset gets for
bad params or a kind no plugin provides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kolrules_douyin
import pytest
from kolrules_douyin.growth import FOLLOWER_GROWTH_SPIKE

from kolrules import RuleParamError, RuleParts, RulesetError
from kolrules.testing import make_engine

WriteRuleset = Callable[[str, str], Path]
build = FOLLOWER_GROWTH_SPIKE.build


def test_defaults() -> None:
    parts = build({})
    assert parts == RuleParts(
        require="fans_max_jump <= 0.5",
        when=None,  # min_followers 0: every account
        message=(
            "followers rose {fans_max_jump:.0%} between two points of the follower history, "
            "more than 50%: check for bought followers"
        ),
    )


def test_params() -> None:
    parts = build({"max_jump": 0.25, "min_followers": 10_000})
    assert parts.require == "fans_max_jump <= 0.25"
    assert parts.when == "followers >= 10000.0"
    assert parts.message is not None
    assert "more than 25%" in parts.message


def test_small_numbers_are_written_as_decimals() -> None:
    assert build({"max_jump": 0.00001}).require == "fans_max_jump <= 0.00001"


@pytest.mark.parametrize(
    ("params", "key", "message"),
    [
        ({"max_jmp": 0.3}, "max_jmp", "unknown parameter 'max_jmp'; did you mean 'max_jump'?"),
        (
            {"min_follower": 1},
            "min_follower",
            "unknown parameter 'min_follower'; did you mean 'min_followers'?",
        ),
        (
            {"window": 30},
            "window",
            "unknown parameter 'window'; valid keys: max_jump, min_followers",
        ),
        ({"max_jump": -1}, "max_jump", "must be greater than 0 (0.5 means a rise of 50 %), got -1"),
        ({"max_jump": 0}, "max_jump", "must be greater than 0"),
        ({"max_jump": "50%"}, "max_jump", "must be a number, not str '50%'"),
        ({"max_jump": True}, "max_jump", "must be a number, not bool True"),
        ({"max_jump": float("inf")}, "max_jump", "must be a finite number, not inf"),
        ({"min_followers": -5}, "min_followers", "must be 0 or more, got -5"),
    ],
)
def test_bad_params(params: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(RuleParamError) as caught:
        build(params)
    assert caught.value.key == key
    assert message in caught.value.message


def overlay(params: str) -> str:
    return f'extends = "douyin-default"\n\n[[rules]]\nid = "fans-growth-spike"\nparams = {params}\n'


def test_a_misspelt_param_is_a_ruleset_error_with_a_hint(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset("typo", overlay("{ max_jmp = 0.3 }"))
    with pytest.raises(RulesetError) as caught:
        make_engine(path, plugins=[kolrules_douyin])
    [issue] = caught.value.issues
    assert issue.file.endswith("typo.toml")
    assert issue.key == "rules[0].params.max_jmp"
    assert "unknown parameter 'max_jmp'; did you mean 'max_jump'?" in issue.message


def test_a_negative_max_jump_is_a_ruleset_error(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset("negative", overlay("{ max_jump = -0.5 }"))
    with pytest.raises(RulesetError, match="must be greater than 0") as caught:
        make_engine(path, plugins=[kolrules_douyin])
    assert caught.value.issues[0].key == "rules[0].params.max_jump"


def test_an_overlay_changes_the_params(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset("strict", overlay("{ max_jump = 0.05, min_followers = 0 }"))
    engine = make_engine(path, plugins=[kolrules_douyin])
    d = engine.evaluate_one({"抖音号": "dy-1", "粉丝数": "8000", "粉丝趋势": "7000;8000"})
    [failed] = [f for f in d.failed() if f.rule == "fans-growth-spike"]
    assert failed.message.endswith("more than 5%: check for bought followers")


def test_a_kind_no_plugin_provides_lists_the_kinds(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset(
        "unknown-kind",
        'extends = "douyin-default"\n\n[[rules]]\nid = "likes-spike"\n'
        'kind = "likes_growth_spike"\nseverity = "review"\n',
    )
    with pytest.raises(RulesetError) as caught:
        make_engine(path, plugins=[kolrules_douyin])
    [issue] = caught.value.issues
    assert issue.key == "rules[0].kind"
    assert "unknown rule kind 'likes_growth_spike'" in issue.message
    assert "follower_growth_spike" in issue.message  # the kinds available


def test_a_kind_rule_needs_the_plugin(write_ruleset: WriteRuleset) -> None:
    """The platform registered by a look-alike plugin, without the kind: the error lists
    the kinds available (none)."""
    from kolrules import Platform, hookimpl

    class PlatformOnly:
        @hookimpl
        def kolrules_platforms_register(self) -> list[Platform]:
            return [Platform(name="douyin", fields={"fans_history": "text"})]

    path = write_ruleset(
        "standalone",
        'platform = "douyin"\n\n[[rules]]\nid = "spike"\nkind = "follower_growth_spike"\n'
        'severity = "review"\n',
    )
    with pytest.raises(RulesetError, match="unknown rule kind 'follower_growth_spike'"):
        make_engine(path, plugins=[PlatformOnly()])


def test_a_standalone_ruleset_with_the_kind(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset(
        "standalone",
        'platform = "抖音"\n\n[[rules]]\nid = "spike"\nkind = "follower_growth_spike"\n'
        'severity = "reject"\nparams = { max_jump = 1 }\n'
        'when = "category == \'beauty\'"\nmessage = "spike of {fans_max_jump:.0%}"\n',
    )
    engine = make_engine(path, plugins=[kolrules_douyin])
    base = {"抖音号": "dy-1", "粉丝数": "3万", "粉丝趋势": "1万;3万", "类目": "beauty"}
    d = engine.evaluate_one(base)
    assert d.verdict == "reject"
    assert [f.message for f in d.failed()] == ["spike of 200%"]  # the rule's own message
    assert engine.evaluate_one({**base, "粉丝趋势": "1万;1.9万"}).verdict == "accept"
    # The rule's when is combined with the kind's (none here): not beauty, not applicable.
    other = engine.evaluate_one({**base, "类目": "food"})
    assert [f.outcome for f in other.findings] == ["not_applicable"]
