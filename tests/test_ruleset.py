"""Loading rulesets: every malformed file is reported with its file, key path, line and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from kolrules.engine import Engine
from kolrules.errors import RulesetError, RulesetIssue, UnknownKindError
from kolrules.ruleset import bundled_rulesets_dir, load_ruleset, parse_ruleset

GOOD = """\
[ruleset]
name = "t"
version = "1"
platform = "red"

[params]
ratio = 3

[[tiers]]
name = "small"
min_followers = 0
max_followers = 10000
price_min = 100
price_max = 1000

[[tiers]]
name = "big"
min_followers = 10000

[metrics]
lpf = "total_likes / followers"

[[rules]]
id = "likes"
require = "lpf >= ratio"
severity = "warn"
"""


@pytest.fixture
def engine() -> Engine:
    return Engine(load_entrypoints=False)


def write(tmp_path: Path, text: str, name: str = "rs.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(engine: Engine, path: Path) -> list[RulesetIssue]:
    with pytest.raises(RulesetError) as info:
        engine.compile(engine.load_ruleset(path))
    return list(info.value.issues)


def test_good_ruleset_compiles(engine: Engine, tmp_path: Path) -> None:
    plan = engine.compile(engine.load_ruleset(write(tmp_path, GOOD)))
    assert [r.rule.id for r in plan.rules] == ["likes"]
    assert plan.ruleset.hash and len(plan.ruleset.hash) == 64


def test_malformed_toml_names_file_and_line(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('severity = "warn"', 'severity = "warn'))
    (issue,) = problems(engine, path)
    assert issue.file == str(path)
    assert issue.line == 26
    assert "invalid TOML" in issue.message
    assert str(issue).startswith(f"{path}:26")


def test_unknown_key_gives_path_line_and_closest_key(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('require = "lpf >= ratio"', 'requir = "lpf >= ratio"'))
    issues = problems(engine, path)
    unknown = next(i for i in issues if "unknown key" in i.message)
    assert unknown.key == "rules[0].requir"
    assert unknown.line == 25
    assert unknown.hint is not None and "did you mean 'require'?" in unknown.hint
    assert any(i.message == "missing required key 'require' (or 'kind')" for i in issues)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("condition", "require"), ("if", "when"), ("level", "severity"), ("msg", "message")],
)
def test_a_key_of_another_engine_is_hinted_by_meaning(
    engine: Engine, tmp_path: Path, written: str, meant: str
) -> None:
    """``condition`` is spelled like ``description`` but means ``require``."""
    text = GOOD.replace('require = "lpf >= ratio"', f'require = "lpf >= ratio"\n{written} = "x"')
    unknown = next(i for i in problems(engine, write(tmp_path, text)) if "unknown key" in i.message)
    assert unknown.key == f"rules[0].{written}"
    assert unknown.hint is not None and unknown.hint.startswith(f"did you mean {meant!r}?")


def test_wrong_types_are_named(engine: Engine, tmp_path: Path) -> None:
    text = GOOD.replace("min_followers = 10000\n", 'min_followers = "ten thousand"\n').replace(
        'severity = "warn"', 'severity = "warning"'
    )
    issues = problems(engine, write(tmp_path, text))
    by_key = {i.key: i for i in issues}
    assert "expected a number" in by_key["tiers[1].min_followers"].message
    assert by_key["tiers[1].min_followers"].line == 18
    sev = by_key["rules[0].severity"]
    assert "'warning' is not one of reject, review, warn, info" in sev.message
    assert sev.hint == "did you mean 'warn'?"


def test_unknown_field_in_expression_has_caret_and_suggestion(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path, GOOD.replace('require = "lpf >= ratio"', 'require = "folowers >= ratio"')
    )
    (issue,) = problems(engine, path)
    assert issue.key == "rules[0].require"
    assert issue.line == 25
    assert "unknown name 'folowers'" in issue.message
    assert "    folowers >= ratio\n    ^" in issue.message
    assert "did you mean 'followers'?" in issue.message


def test_unknown_platform_lists_known_ones(engine: Engine, tmp_path: Path) -> None:
    (issue,) = problems(
        engine, write(tmp_path, GOOD.replace('platform = "red"', 'platform = "tiktok"'))
    )
    assert issue.key == "ruleset.platform"
    assert issue.line == 4
    assert "unknown platform 'tiktok'; known platforms: red, wechat, weibo" in issue.message


def test_platform_aliases_are_accepted(engine: Engine, tmp_path: Path) -> None:
    for alias in ("xhs", "小红书", "XiaoHongShu"):
        plan = engine.compile(
            engine.load_ruleset(write(tmp_path, GOOD.replace('"red"', f'"{alias}"')))
        )
        assert plan.platform.name == "red"


def test_too_long_and_too_deep_expressions(engine: Engine, tmp_path: Path) -> None:
    long = " + ".join(["followers"] * 60)
    deep = "abs(" * 25 + "followers" + ")" * 25
    text = GOOD + f'\n[[rules]]\nid = "long"\nrequire = "{long} > 0"\nseverity = "info"\n'
    text += f'\n[[rules]]\nid = "deep"\nrequire = "{deep} > 0"\nseverity = "info"\n'
    issues = problems(engine, write(tmp_path, text))
    assert [i.key for i in issues] == ["rules[1].require", "rules[2].require"]
    assert "the limit is 500" in issues[0].message
    assert "nested more than 20 levels deep" in issues[1].message


def test_every_problem_is_reported_at_once(engine: Engine, tmp_path: Path) -> None:
    text = GOOD.replace('require = "lpf >= ratio"', 'require = "lpf >= ration"')
    text = text.replace('lpf = "total_likes / followers"', 'lpf = "total_likes / folowers"')
    text += '\n[[rules]]\nid = "second"\nrequire = "followers + 1"\nseverity = "info"\n'
    text += 'message = "{nope}"\n'
    issues = problems(engine, write(tmp_path, text))
    messages = " | ".join(i.message for i in issues)
    assert "unknown name 'folowers'" in messages
    assert "unknown name 'ration'" in messages
    assert "must be a true/false test" in messages
    assert "unknown name {nope} in the message" in messages
    assert len(issues) == 4


def test_duplicate_rule_ids_and_bad_tiers(tmp_path: Path) -> None:
    text = GOOD.replace("max_followers = 10000", "max_followers = 20000").replace(
        "price_max = 1000", "price_max = 10"
    )
    text += '\n[[rules]]\nid = "likes"\nrequire = "followers > 0"\nseverity = "info"\n'
    with pytest.raises(RulesetError) as info:
        load_ruleset(write(tmp_path, text))
    messages = [str(i) for i in info.value.issues]
    assert any("duplicate rule id 'likes'" in m for m in messages)
    assert any("price_min 100 is above price_max 10" in m for m in messages)
    assert any("inside tier 'small'" in m and ":18 " in m for m in messages)


def test_metric_cycles_are_named(engine: Engine, tmp_path: Path) -> None:
    text = GOOD.replace('lpf = "total_likes / followers"', 'lpf = "x + 1"\nx = "lpf * 2"')
    (issue,) = problems(engine, write(tmp_path, text))
    assert "metrics refer to each other in a circle: lpf -> x -> lpf" in issue.message


def test_unknown_scoring_strategy_lists_known(engine: Engine, tmp_path: Path) -> None:
    (issue,) = problems(engine, write(tmp_path, GOOD + '\n[scoring]\nstrategy = "wieghted"\n'))
    assert issue.key == "scoring.strategy"
    assert "known scoring strategies: cost_efficiency, weighted" in issue.message
    assert "cost_efficiency, weighted" in issue.message


def test_scoring_param_errors_point_into_params(engine: Engine, tmp_path: Path) -> None:
    text = (
        GOOD
        + '\n[scoring]\nstrategy = "weighted"\n[scoring.params.metrics.lpff]\n'
        + "weight = 1\nlow = 0\nhigh = 5\n"
    )
    (issue,) = problems(engine, write(tmp_path, text))
    assert issue.key == "scoring.params.metrics.lpff"
    assert "unknown metric 'lpff'" in issue.message
    assert issue.hint == "did you mean 'lpf'?"


def test_message_templates_are_checked(engine: Engine, tmp_path: Path) -> None:
    text = GOOD.replace(
        'severity = "warn"', 'severity = "warn"\nmessage = "ratio {lpf:.2q} and {lpff}"'
    )
    issues = problems(engine, write(tmp_path, text))
    assert {i.key for i in issues} == {"rules[0].message"}
    assert any(i.hint == "did you mean {lpf}?" for i in issues)
    assert any("bad format {lpf:.2q}" in i.message for i in issues)


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(GOOD.replace('"t"', '"规则"').encode("gbk"))
    with pytest.raises(RulesetError, match="not UTF-8"):
        load_ruleset(path)
    with pytest.raises(RulesetError, match="no such ruleset file"):
        load_ruleset(tmp_path / "nope.toml")
    with pytest.raises(
        UnknownKindError, match=r"unknown ruleset 'nope'; known rulesets: .*red-default"
    ):
        load_ruleset("nope")


def test_bundled_rulesets_load_by_name(engine: Engine) -> None:
    names = engine.named_rulesets()
    assert {"red-default", "weibo-default", "wechat-default"} <= set(names)
    for name in names:
        plan = engine.compile(engine.load_ruleset(name))
        assert plan.ruleset.name == name
        assert plan.rules
    assert bundled_rulesets_dir().is_dir()


def test_parse_from_text_has_a_stable_hash() -> None:
    a = parse_ruleset(GOOD)
    b = parse_ruleset(GOOD.encode("utf-8"))
    assert a.hash == b.hash
    assert parse_ruleset(GOOD + "\n").hash != a.hash
