"""The plugin registers cleanly, through kolrules' own checks (kolrules.testing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import kolrules_douyin
import pytest

from kolrules import RulesetError
from kolrules.testing import PluginCheck, check_plugin, make_engine, make_profile

HOOKS = (
    "kolrules_platforms_register",
    "kolrules_profile_derive",
    "kolrules_profile_validate",
    "kolrules_profiles_derive",
    "kolrules_profiles_validate",
    "kolrules_rule_kinds_register",
    "kolrules_rulesets_register",
    "kolrules_scorers_register",
)


def test_check_plugin_passes_and_lists_what_it_registers(rulesets_dir: Path) -> None:
    assert check_plugin(kolrules_douyin) == PluginCheck(
        name="kolrules_douyin",
        hooks=HOOKS,
        platforms=("douyin",),
        scorers=("cpm_value",),
        rule_kinds=("follower_growth_spike",),
        ruleset_dirs=(rulesets_dir,),
        derived={"douyin": ("fans_max_jump",)},  # probed with an empty frame
    )


def test_check_plugin_with_scorer_params() -> None:
    check = check_plugin(kolrules_douyin, scorer_params={"cpm_value": {"good_cpm": 20}})
    assert check.scorers == ("cpm_value",)


def test_the_bundled_ruleset_is_found_by_name(rulesets_dir: Path) -> None:
    engine = make_engine("douyin-default", plugins=[kolrules_douyin])
    assert engine.named_rulesets()["douyin-default"] == rulesets_dir / "douyin-default.toml"
    assert engine.ruleset.platform == "douyin"


@pytest.mark.parametrize("alias", ["douyin", "抖音", "tiktok-cn", "DouYin"])
def test_a_ruleset_names_the_platform_by_any_alias(
    alias: str, write_ruleset: Callable[[str, str], Path]
) -> None:
    path = write_ruleset(
        "alias",
        f'platform = "{alias}"\n\n[[rules]]\nid = "has-fans"\nrequire = "followers > 0"\n'
        'severity = "reject"\n',
    )
    engine = make_engine(path, plugins=[kolrules_douyin])
    decision = engine.evaluate_one({"抖音号": "dy-1", "粉丝数": "1.2万"})
    assert decision.platform == "douyin"
    assert decision.verdict == "accept"


def test_without_the_plugin_its_ruleset_is_not_found(
    write_ruleset: Callable[[str, str], Path],
) -> None:
    path = write_ruleset("no-plugin", 'extends = "douyin-default"\n')
    with pytest.raises(RulesetError, match="douyin-default"):
        make_engine(path)


def test_other_platforms_are_left_alone() -> None:
    """Loaded beside RED, the plugin derives and checks nothing for RED profiles."""
    engine = make_engine("red-default", plugins=[kolrules_douyin])
    d = engine.evaluate_one(make_profile(fans_history="1万;lots"))
    assert d.verdict == "accept"
    assert d.data_errors == ()
    assert "fans_max_jump" not in d.metrics
