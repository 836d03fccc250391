"""Validation: every error of a chain in one pass, the static checks (warnings) and their
absence of false alarms, ``requires``, and the JSON Schema."""

from __future__ import annotations

import ast
import json
import math
import textwrap
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kolrules.checks.reach import Bool, Num, Text, evaluate, impossible, narrow
from kolrules.checks.validate import Validation, validate
from kolrules.engine import Engine
from kolrules.errors import RulesetError
from kolrules.ruleset import bundled_rulesets_dir, find_rulesets, load_ruleset
from kolrules.ruleset.file_schema import RULESET_SCHEMA, SCHEMA_ID, schema_json

BASE = """\
[ruleset]
name = "t"
version = "1"
platform = "red"

[[tiers]]
name = "small"
min_followers = 0
max_followers = 10000
price_min = 100
price_max = 1000

[[tiers]]
name = "big"
min_followers = 10000
price_min = 1000
price_max = 5000

[[rules]]
id = "posts"
require = "posts >= 10"
severity = "warn"
"""


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_entrypoints=False)


def write(tmp_path: Path, text: str, name: str = "rs.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check(engine: Engine, tmp_path: Path, text: str) -> Validation:
    return validate(engine, write(tmp_path, text))


def messages(result: Validation) -> list[str]:
    return [i.message for i in result.issues]


# -- the bundled and example rulesets are clean ------------------------------------------


def test_every_named_ruleset_has_no_error_and_no_warning(engine: Engine) -> None:
    named = find_rulesets([bundled_rulesets_dir()])
    assert {"red-default", "beauty-startup", "luxury-brand"} <= set(named)
    for name, path in named.items():
        result = validate(engine, path)
        assert result.issues == (), f"{name}: {[str(i) for i in result.issues]}"
        assert result.plan is not None


# -- tiers ----------------------------------------------------------------------------


def test_a_gap_between_tiers_is_a_warning(engine: Engine, tmp_path: Path) -> None:
    result = check(engine, tmp_path, BASE.replace("min_followers = 10000", "min_followers = 20000"))
    (issue,) = result.issues
    assert issue.severity == "warning"
    assert issue.message == (
        "followers from 10,000 to 20,000 fall in no tier: tier 'small' ends at 10,000, "
        "tier 'big' starts at 20,000"
    )
    assert (issue.key, issue.line) == ("tiers[1].min_followers", 15)
    assert result.errors == ()


def test_overlapping_tiers_are_an_error(engine: Engine, tmp_path: Path) -> None:
    result = check(engine, tmp_path, BASE.replace("max_followers = 10000", "max_followers = 15000"))
    (issue,) = result.errors
    assert issue.message == "tier 'big' starts at 10000 followers, inside tier 'small'"
    assert (issue.key, issue.line) == ("tiers[1].min_followers", 15)


def test_inverted_bounds_are_errors(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("price_min = 1000\n", "price_min = 9000\n").replace(
        "max_followers = 10000", "max_followers = 0"
    )
    result = check(engine, tmp_path, text)
    found = messages(result)
    assert "price_min 9000 is above price_max 5000" in found
    assert "max_followers 0 is not above min_followers 0" in found
    assert all(i.severity == "error" for i in result.errors) and len(result.errors) >= 2


def test_a_price_band_that_falls_as_tiers_rise_is_a_warning(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace("price_min = 1000\nprice_max = 5000", "price_min = 50\nprice_max = 800")
    result = check(engine, tmp_path, text)
    assert [(i.severity, i.key) for i in result.issues] == [
        ("warning", "tiers[1].price_min"),
        ("warning", "tiers[1].price_max"),
    ]
    assert result.issues[0].message == (
        "price_min falls as tiers rise: 50 RMB for tier 'big', below 100 RMB for the smaller "
        "tier 'small'"
    )


# -- rules that can never apply, pass or fail --------------------------------------------


def rule(rid: str, require: str, when: str | None = None, missing: str | None = None) -> str:
    text = f'\n[[rules]]\nid = "{rid}"\nrequire = "{require}"\nseverity = "info"\n'
    text += f'when = "{when}"\n' if when else ""
    return text + (f'missing = "{missing}"\n' if missing else "")


def test_a_when_that_can_never_be_true(engine: Engine, tmp_path: Path) -> None:
    text = BASE + rule("both", "posts > 1", when="followers > 100000 and followers < 50000")
    text += rule("nano", "posts > 1", when="tier == 'nano'")
    text += rule("negative", "posts > 1", when="followers < 0")
    result = check(engine, tmp_path, text)
    assert messages(result) == [
        "rule 'both' never applies: when 'followers > 100000 and followers < 50000' "
        "can never be true",
        "rule 'negative' never applies: when 'followers < 0' can never be true",
        "tier is never 'nano' in \"tier == 'nano'\"",
    ]
    assert result.issues[0].hint == "its tests of followers contradict each other"
    assert result.issues[2].hint == "tier is one of: small, big"


def test_a_require_that_can_never_pass_or_never_fail(engine: Engine, tmp_path: Path) -> None:
    text = BASE + "\n[params]\ncap = 8000\n"
    text += rule("never-passes", "followers < 1000000", when="followers >= 2000000")
    text += rule("never-fails", "posts >= 0 or price <= cap", missing="pass")
    text += rule("constant", "cap < 100")
    result = check(engine, tmp_path, text)
    assert messages(result) == [
        "rule 'never-passes' never passes: require 'followers < 1000000' can never be true "
        "when it applies",
        "rule 'never-fails' never fails: require 'posts >= 0 or price <= cap' is always true",
        "rule 'constant' never passes: require 'cap < 100' can never be true",
    ]
    assert result.issues[0].hint is not None
    assert result.issues[0].hint.startswith("followers is at least 2,000,000")
    assert result.issues[2].hint is not None and result.issues[2].hint.startswith("cap is 8,000")


def test_no_false_alarms_on_ordinary_rules(engine: Engine, tmp_path: Path) -> None:
    text = (
        BASE + "\n[params]\nratio = 3\nlow = 0.01\n\n[metrics]\nlpf = 'total_likes / followers'\n"
    )
    text += rule("ratio", "lpf >= ratio", when="followers >= 1000")
    text += rule("band", "low <= avg_likes / avg_views <= 0.03", when="present(avg_views)")
    text += rule("tiered", "price <= band_max", when="tier == 'small' or tier == 'big'")
    text += rule("missing", "present(price)")
    text += rule("cross", "account_age_days >= 365", when="origin == 'cross_platform'")
    text += rule("zero", "posts >= 0", missing="fail")  # fails when posts is missing
    text += rule("in", "category in ['beauty', 'fashion']")
    text += rule("coalesce", "coalesce(median_interactions, avg_likes) > 10")
    text += rule("log", "log(followers) > 5", when="followers > 0")
    text += rule("ifelse", "ifelse(posts > 5, followers, 0) > 100")
    result = check(engine, tmp_path, text)
    assert result.issues == ()


def test_the_checks_of_an_overlay_see_its_tiers(engine: Engine, tmp_path: Path) -> None:
    text = """\
    [ruleset]
    name = "renamed"
    version = "1"
    extends = "red-default"

    [[tiers]]
    name = "small"
    min_followers = 5000
    max_followers = 50000
    """
    result = check(engine, tmp_path, text)
    red = str(bundled_rulesets_dir() / "red-default.toml")
    found = {(i.file, i.message) for i in result.warnings}
    assert (red, "tier is never 'micro' in \"tier == 'micro'\"") in found
    assert (
        red,
        "tier is never 'celebrity' in \"origin != 'celebrity' and tier != 'celebrity'\"",
    ) in (found)


# -- unused params and metrics, near ids -------------------------------------------------


def test_unused_params_and_metrics_of_the_file_itself(engine: Engine, tmp_path: Path) -> None:
    text = BASE + "\n[params]\nspare = 3\n\n[metrics]\nunused = 'posts * 2'\nused = 'posts + 1'\n"
    text += rule("uses", "used > 3")
    result = check(engine, tmp_path, text)
    assert messages(result) == [
        "param 'spare' is not used by any rule, metric, message or score",
        "metric 'unused' is not used by any rule, metric, message or score",
    ]


def test_a_misspelt_override_in_an_overlay_is_named(engine: Engine, tmp_path: Path) -> None:
    text = """\
    [ruleset]
    name = "typo"
    version = "1"
    extends = "red-default"

    [params]
    min_post = 5

    [[rules]]
    id = "few-post"
    require = "posts >= min_post"
    severity = "warn"
    """
    result = check(engine, tmp_path, text)
    (near,) = [i for i in result.warnings if "next to" in i.message]
    assert near.message == "new rule 'few-post' is next to the inherited rule 'few-posts'"
    assert (near.line, near.key) == (10, "rules[0].id")
    result = check(engine, tmp_path, text.replace("posts >= min_post", "posts >= 5"))
    (unused,) = [i for i in result.warnings if "not used" in i.message]
    assert unused.message == "param 'min_post' is not used by any rule, metric, message or score"
    assert unused.hint is not None and unused.hint.startswith("did you mean 'min_posts'?")


# -- every problem at once ---------------------------------------------------------------


def test_schema_violations_name_file_line_and_key_path(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace('severity = "warn"', 'severity = "warning"\nwhen = 3')
    path = write(tmp_path, text)
    result = validate(engine, path)
    by_key = {i.key: i for i in result.errors}
    assert by_key["rules[0].severity"].message == (
        "'warning' is not one of reject, review, warn, info"
    )
    assert by_key["rules[0].severity"].line == 22
    assert by_key["rules[0].severity"].file == str(path)
    assert by_key["rules[0].when"].message == "expected text (in quotes), got 3"
    assert str(by_key["rules[0].when"]).startswith(f"{path}:23 [rules[0].when]: expected text")


def test_schema_expression_and_merge_errors_come_together(engine: Engine, tmp_path: Path) -> None:
    parent = write(
        tmp_path,
        BASE + "\n[params]\nx = true\n" + rule("bad", "folowers > 1") + rule("uses-x", "x > 1"),
        "parent.toml",
    )
    text = """\
    [ruleset]
    name = "child"
    version = "1"
    extends = "parent.toml"
    requires = ["kolrules-nonexistent-plugin>=0.2"]

    [tier.smal]
    price_max = 10

    [[rules]]
    id = "posts"
    require = "posts >= minimum"

    [[rules]]
    id = "new"
    require = "followers > 1"
    severity = "loud"
    """
    result = check(engine, tmp_path, text)
    child = str(tmp_path / "rs.toml")
    got = {(i.file, i.key): i.message for i in result.errors}
    assert got[(str(parent), "params.x")] == "expected a number or text (in quotes), got True"
    assert got[(child, "rules[1].severity")].startswith("'loud' is not one of")
    assert got[(child, "tier.smal")].startswith("there is no tier 'smal' to change")
    assert got[(child, "ruleset.requires[0]")] == (
        "the ruleset requires 'kolrules-nonexistent-plugin>=0.2', "
        "but 'kolrules-nonexistent-plugin' is not installed"
    )
    assert "unknown name 'folowers'" in got[(str(parent), "rules[1].require")]
    assert "unknown name 'minimum'" in got[(child, "rules[0].require")]
    # x was dropped for its bad value: its users are not reported again
    assert not any("'x'" in m for m in got.values() if "params.x" not in m)
    assert len(result.errors) == 6
    assert result.warnings == ()  # static checks wait for a complete ruleset


def test_load_ruleset_raises_the_same_problems(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace('severity = "warn"', 'severity = "fatal"\nstaeg = "vet"'))
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    assert {i.key for i in info.value.issues} == {"rules[0].severity", "rules[0].staeg"}


def test_a_test_file_is_checked_against_its_ruleset(engine: Engine) -> None:
    path = bundled_rulesets_dir() / "clients" / "beauty-startup.test.toml"
    result = validate(engine, path)
    assert result.issues == ()
    assert result.cases is not None and result.cases >= 10
    assert result.tested == str(bundled_rulesets_dir() / "clients" / "beauty-startup.toml")


# -- requires ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        ("kolrules>=0.1", None),
        ("pluggy>=1", None),
        ("kolrules-kuaishou-xyz>=0.2", "but 'kolrules-kuaishou-xyz' is not installed"),
        ("pluggy>=999", "but pluggy "),
        ("pluggy >= = 1", "cannot read the requirement 'pluggy >= = 1'"),
        ("kolrules-kuaishou-xyz>=0.2; python_version < '3'", None),
    ],
)
def test_requires(tmp_path: Path, requirement: str, message: str | None) -> None:
    text = BASE.replace(
        'platform = "red"', f"platform = 'red'\nrequires = [{json.dumps(requirement)}]"
    )
    path = write(tmp_path, text)
    if message is None:
        assert load_ruleset(path).requires == (requirement,)
        return
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    (issue,) = info.value.issues
    assert message in issue.message
    assert (issue.key, issue.line) == ("ruleset.requires[0]", 5)
    assert issue.hint is not None
    assert "pip install" in issue.hint or "version specifier" in issue.hint


# -- the JSON Schema ---------------------------------------------------------------------


def test_the_schema_is_valid_and_accepts_every_shipped_ruleset() -> None:
    Draft202012Validator.check_schema(RULESET_SCHEMA)
    assert RULESET_SCHEMA["$id"] == SCHEMA_ID
    validator = Draft202012Validator(RULESET_SCHEMA)
    for path in find_rulesets([bundled_rulesets_dir()]).values():
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(doc)) == [], path


def test_the_shipped_schema_file_is_the_generated_one() -> None:
    shipped = bundled_rulesets_dir() / "ruleset.schema.json"
    assert shipped.read_text(encoding="utf-8") == schema_json()
    assert json.loads(schema_json()) == RULESET_SCHEMA


def test_the_schema_tells_overlays_from_standalone_files() -> None:
    validator = Draft202012Validator(RULESET_SCHEMA)
    overlay = {
        "ruleset": {"name": "o", "version": "1", "extends": "red-default"},
        "rules": [{"id": "few-posts", "enabled": False}],
        "tier": {"micro": {"price_max": 5}},
        "test": [{"name": "anything goes here", "profile": {"id": "x"}}],
    }
    assert list(validator.iter_errors(overlay)) == []
    alone = {"ruleset": {"name": "a", "version": "1"}, "rules": [{"id": "r"}]}
    missing = sorted(e.message for e in validator.iter_errors(alone))
    assert missing == [
        "'platform' is a required property",
        "'severity' is a required property",
        "{'id': 'r'} is not valid under any of the given schemas",  # require or kind
    ]
    kind = {**alone, "rules": [{"id": "r", "kind": "k", "severity": "warn"}]}
    assert [e.message for e in validator.iter_errors(kind)] == ["'platform' is a required property"]


# -- the value analysis itself -----------------------------------------------------------


def value(expr: str, **env: Num | Text | Bool) -> Num | Text | Bool:
    return evaluate(ast.parse(expr, mode="eval").body, env)


def test_reach_intervals_and_sets() -> None:
    count = Num(0, math.inf)
    assert value("x / 2 + 1", x=Num(0, 10)) == Num(1, 6, True)
    assert value("x * y", x=Num(-2, 3), y=Num(4, 5)) == Num(-10, 15, True)
    assert value("1 / 0") == Num(math.inf, -math.inf, True)  # always missing
    assert value("x / y", x=count, y=count) == Num()  # y may be 0
    assert value("x >= 0", x=count) == Bool(frozenset({True}), True)
    assert value("x > 5 and x < 3", x=count).values == frozenset({False, True})  # no correlation
    assert value("t == 'a'", t=Text(frozenset({"b", "c"}))) == Bool(frozenset({False}), True)
    assert value("t in ['a', 'b']", t=Text(frozenset({"b"}), False)) == Bool(
        frozenset({True}), False
    )
    assert value("missing(3)") == Bool(frozenset({False}), False)
    assert value("coalesce(x, 5)", x=Num(0, 1)) == Num(0, 5, False)
    assert value("max(x, 10)", x=Num(0, 20, False)) == Num(10, 20, False)
    assert value("abs(x)", x=Num(-3, 2, False)) == Num(0, 3, False)


def test_reach_narrowing() -> None:
    env = {"x": Num(0, math.inf), "t": Text(frozenset({"a", "b"}))}
    tree = ast.parse("x > 5 and x < 3", mode="eval").body
    assert impossible(narrow(tree, env)) == ["x"]
    tree = ast.parse("5 <= x <= 9 and t == 'a'", mode="eval").body
    narrowed = narrow(tree, env)
    assert narrowed["x"] == Num(5, 9, False)
    assert narrowed["t"] == Text(frozenset({"a"}), False)
    assert impossible(narrowed) == []


def test_a_missing_name_does_not_hide_the_other_problems(engine: Engine, tmp_path: Path) -> None:
    text = BASE.replace('name = "t"\n', "").replace('severity = "warn"', 'severity = "loud"')
    result = check(engine, tmp_path, text)
    assert {(i.key, i.message) for i in result.errors} == {
        ("ruleset", "missing required key 'name'"),
        ("rules[0].severity", "'loud' is not one of reject, review, warn, info"),
    }
    assert result.ruleset is None


def test_the_client_rulesets_point_editors_at_the_shipped_schema() -> None:
    for path in (bundled_rulesets_dir() / "clients").glob("*.toml"):
        if path.name.endswith(".test.toml"):
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#:schema "), path
        assert (path.parent / first.removeprefix("#:schema ")).resolve().is_file(), path
