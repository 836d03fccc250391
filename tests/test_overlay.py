"""Overlays: ``extends`` chains, how they merge, where each value comes from, and the errors
that name the chain of files."""

from __future__ import annotations

import hashlib
import textwrap
import tomllib
from pathlib import Path

import pytest

from kolrules.engine import Engine
from kolrules.errors import RulesetError, RulesetIssue
from kolrules.ruleset import (
    Ruleset,
    bundled_rulesets_dir,
    find_rulesets,
    load_ruleset,
    parse_ruleset,
)
from kolrules.ruleset.display import resolved_json, resolved_toml

RED = bundled_rulesets_dir() / "red-default.toml"

OVERLAY = """\
[ruleset]
name = "acme"
version = "2.0"
extends = "red-default"

[params]
min_posts = 20

[tier.micro]
min_followers = 5_000
price_max = 6_000

[[rules]]
id = "few-comments"
severity = "review"

[[rules]]
id = "celebrity-endorsement"
enabled = false

[[rules]]
id = "price-above-cap"
stage = "price"
require = "price <= 6000"
severity = "reject"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[RulesetIssue]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return list(info.value.issues)


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {path}")


@pytest.fixture
def red() -> Ruleset:
    return load_ruleset("red-default")


# -- merging ---------------------------------------------------------------------------


def test_an_overlay_changes_only_what_it_says(tmp_path: Path, red: Ruleset) -> None:
    rs = load_ruleset(write(tmp_path / "acme.toml", OVERLAY))
    assert (rs.name, rs.version, rs.platform) == ("acme", "2.0", "red")
    assert rs.description == red.description
    assert rs.params["min_posts"] == 20
    assert {k: v for k, v in rs.params.items() if k != "min_posts"} == {
        k: v for k, v in red.params.items() if k != "min_posts"
    }
    assert rs.metrics == red.metrics
    assert rs.scoring_params == red.scoring_params
    ids = [r.id for r in rs.rules]
    assert ids == [r.id for r in red.rules if r.id != "celebrity-endorsement"] + ["price-above-cap"]
    changed = next(r for r in rs.rules if r.id == "few-comments")
    original = next(r for r in red.rules if r.id == "few-comments")
    assert changed.severity == "review"
    assert (changed.require, changed.when, changed.message) == (
        original.require,
        original.when,
        original.message,
    )
    assert rs.tiers is not None and red.tiers is not None
    micro = rs.tiers[0]
    assert (micro.name, micro.min_followers, micro.max_followers) == ("micro", 5000, 50000)
    assert (micro.price_min, micro.price_max) == (500, 6000)
    assert rs.tiers[1:] == red.tiers[1:]
    assert [(r.kind, r.name) for r in rs.removed] == [("rule", "celebrity-endorsement")]


def test_a_tier_table_in_an_overlay_replaces_the_parents(tmp_path: Path) -> None:
    rs = load_ruleset(
        write(
            tmp_path / "small.toml",
            """\
            [ruleset]
            name = "small"
            version = "1"
            extends = "red-default"

            [[tiers]]
            name = "micro"
            min_followers = 5000
            max_followers = 20000

            [[tiers]]
            name = "mid"
            min_followers = 20000
            max_followers = inf
            """,
        )
    )
    assert [(t.name, t.min_followers, t.max_followers) for t in rs.tiers or ()] == [
        ("micro", 5000, 20000),
        ("mid", 20000, None),
    ]


def test_three_levels_deep_and_a_rule_switched_back_on(tmp_path: Path) -> None:
    write(
        tmp_path / "agency" / "base.toml",
        """\
        [ruleset]
        name = "agency"
        version = "1"
        extends = "red-default"
        [params]
        min_posts = 15
        [[rules]]
        id = "few-posts"
        enabled = false
        """,
    )
    write(
        tmp_path / "clients" / "client.toml",
        """\
        [ruleset]
        name = "client"
        version = "1"
        extends = "../agency/base.toml"
        [params]
        min_posts = 25
        """,
    )
    campaign = write(
        tmp_path / "clients" / "campaign.toml",
        """\
        [ruleset]
        name = "campaign"
        version = "1"
        extends = "client"
        [[rules]]
        id = "few-posts"
        enabled = true
        """,
    )
    rs = load_ruleset(campaign)
    assert rs.chain == (
        str(campaign),
        str(tmp_path / "clients" / "client.toml"),
        str(tmp_path / "agency" / "base.toml"),
        str(RED),
    )
    assert rs.params["min_posts"] == 25
    assert "few-posts" in [r.id for r in rs.rules]
    assert rs.origin(("params", "min_posts"))[0].file == str(tmp_path / "clients" / "client.toml")


def test_scoring_merges_key_by_key_unless_the_strategy_changes(tmp_path: Path) -> None:
    same = load_ruleset(
        write(
            tmp_path / "same.toml",
            """\
            [ruleset]
            name = "same"
            version = "1"
            extends = "red-default"
            [scoring.params.metrics.cpe]
            weight = 5
            """,
        )
    )
    metrics = same.scoring_params["metrics"]
    assert metrics["cpe"] == {"weight": 5, "low": 30, "high": 3, "scale": "log"}
    assert set(metrics) == {"engagement_rate", "comments_per_like", "cpe"}
    other = load_ruleset(
        write(
            tmp_path / "other.toml",
            """\
            [ruleset]
            name = "other"
            version = "1"
            extends = "red-default"
            [scoring]
            strategy = "cost_efficiency"
            [scoring.params]
            gifting_cost = 200
            """,
        )
    )
    assert other.scoring_strategy == "cost_efficiency"
    assert other.scoring_params == {"gifting_cost": 200}


def test_test_tables_are_not_inherited(tmp_path: Path) -> None:
    write(
        tmp_path / "base.toml",
        """\
        [ruleset]
        name = "base"
        version = "1"
        platform = "red"
        [[rules]]
        id = "r"
        require = "followers > 0"
        severity = "info"
        [[test]]
        name = "a test of the base"
        profile = { id = "t", followers = 1 }
        """,
    )
    rs = load_ruleset(
        write(
            tmp_path / "child.toml", '[ruleset]\nname = "child"\nversion = "1"\nextends = "base"\n'
        )
    )
    assert "test" not in rs.document
    assert [r.id for r in rs.rules] == ["r"]


def test_the_example_client_rulesets_load_by_name_and_compile() -> None:
    beauty = Engine("beauty-startup", load_entrypoints=False)
    assert beauty.ruleset.chain[1] == str(RED)
    assert [t.name for t in beauty.plan.tiers] == ["micro", "mid"]
    assert beauty.ruleset.scoring_strategy == "cost_efficiency"
    assert "price-above-roi-limit" not in [r.id for r in beauty.ruleset.rules]
    luxury = Engine("luxury-brand", load_entrypoints=False)
    ids = [r.id for r in luxury.ruleset.rules]
    assert "celebrity-endorsement" not in ids and "category-fit" in ids
    star = luxury.evaluate_one(
        {
            "id": "star",
            "followers": 15_000_000,
            "origin": "明星",
            "category": "时尚",
            "price": 1_500_000,
        }
    )
    assert star.tier == "celebrity"
    assert not any(f.rule == "celebrity-endorsement" for f in star.findings)


# -- provenance --------------------------------------------------------------------------


def test_every_value_knows_the_file_and_line_that_set_it(tmp_path: Path) -> None:
    path = write(tmp_path / "acme.toml", OVERLAY)
    rs = load_ruleset(path)
    origin, rest = rs.origin(("params", "min_posts"))
    assert (origin.file, origin.line, rest) == (str(path), line_of(path, "min_posts"), ())
    origin, _ = rs.origin(("params", "min_likes_per_follower"))
    assert (origin.file, origin.line) == (str(RED), line_of(RED, "min_likes_per_follower = "))
    micro_max = rs.origin(("tiers", 0, "price_max"))[0]
    assert (micro_max.file, micro_max.line) == (str(path), line_of(path, "price_max = 6_000"))
    assert micro_max.key == ("tier", "micro", "price_max")
    micro_upper = rs.origin(("tiers", 0, "max_followers"))[0]
    assert micro_upper.file == str(RED)
    i = [r.id for r in rs.rules].index("few-comments")
    assert rs.origin(("rules", i, "severity"))[0].file == str(path)
    assert rs.origin(("rules", i, "require"))[0].file == str(RED)
    new = len(rs.rules) - 1
    issue = rs.issue(("rules", new, "require"), "x")
    assert (issue.file, issue.line, issue.key) == (
        str(path),
        line_of(path, 'require = "price <= 6000"'),
        "rules[2].require",
    )


def test_errors_point_at_the_file_that_set_the_value(tmp_path: Path) -> None:
    engine = Engine(load_entrypoints=False)
    path = write(
        tmp_path / "bad.toml",
        """\
        [ruleset]
        name = "bad"
        version = "1"
        extends = "red-default"

        [[rules]]
        id = "few-posts"
        require = "posts >= min_postz"

        [tier.mid]
        max_followers = 10
        """,
    )
    issues = problems(path)
    (tier,) = [i for i in issues if "max_followers" in i.key]
    assert (tier.file, tier.line, tier.key) == (str(path), 11, "tier.mid.max_followers")
    assert "max_followers 10 is not above min_followers 50000" in tier.message
    fixed = write(path, path.read_text(encoding="utf-8").replace("max_followers = 10", ""))
    with pytest.raises(RulesetError) as info:
        engine.compile(load_ruleset(fixed))
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.key) == (str(path), 8, "rules[0].require")
    assert "unknown name 'min_postz'" in issue.message
    assert "did you mean 'min_posts'?" in issue.message


def test_errors_in_inherited_values_point_at_the_parent(tmp_path: Path) -> None:
    base = write(
        tmp_path / "base.toml",
        """\
        [ruleset]
        name = "base"
        version = "1"
        platform = "red"

        [[rules]]
        id = "r"
        require = "folowers > 0"
        severity = "info"
        """,
    )
    child = write(
        tmp_path / "child.toml", '[ruleset]\nname = "child"\nversion = "1"\nextends = "base.toml"\n'
    )
    with pytest.raises(RulesetError) as info:
        Engine(child, load_entrypoints=False)
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.key) == (str(base), 8, "rules[0].require")


def test_resolved_toml_names_each_source_and_loads_to_the_same_ruleset(tmp_path: Path) -> None:
    path = write(tmp_path / "acme.toml", OVERLAY)
    rs = load_ruleset(path)
    text = resolved_toml(rs)
    assert f"min_posts = 20  # {path}:{line_of(path, 'min_posts')}" in text
    assert f"# removed: rule 'celebrity-endorsement' ({path}:" in text
    assert "extends" not in tomllib.loads(text)["ruleset"]
    assert tomllib.loads(text) == rs.document
    flat = parse_ruleset(text, str(tmp_path / "flat.toml"))
    assert (flat.rules, flat.tiers, flat.params, flat.metrics) == (
        rs.rules,
        rs.tiers,
        rs.params,
        rs.metrics,
    )
    assert flat.scoring_params == rs.scoring_params
    data = resolved_json(rs)
    assert data["origins"]["params.min_posts"]["file"] == str(path)
    assert data["chain"] == [str(path), str(RED)]
    assert data["removed"][0]["name"] == "celebrity-endorsement"


# -- hash and chain in decisions ---------------------------------------------------------


def test_hash_of_a_chain_covers_every_file(tmp_path: Path) -> None:
    base_text = '[ruleset]\nname = "b"\nversion = "1"\nplatform = "red"\n'
    base_text += '[[rules]]\nid = "r"\nrequire = "followers > 0"\nseverity = "info"\n'
    base = write(tmp_path / "base.toml", base_text)
    child_text = '[ruleset]\nname = "c"\nversion = "1"\nextends = "base"\n'
    child = write(tmp_path / "child.toml", child_text)
    alone = load_ruleset(base)
    assert alone.hash == hashlib.sha256(base.read_bytes()).hexdigest()
    assert alone.ref.chain == (str(base),)
    rs = load_ruleset(child)
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (base, child)]
    assert rs.hash == hashlib.sha256("".join(d + "\n" for d in digests).encode()).hexdigest()
    write(base, base_text + "# a comment\n")
    assert load_ruleset(child).hash != rs.hash


def test_decisions_record_the_chain_and_its_hash(tmp_path: Path) -> None:
    path = write(tmp_path / "acme.toml", OVERLAY)
    engine = Engine(path, load_entrypoints=False)
    decision = engine.evaluate_one({"id": "k", "followers": 12_000, "price": 7_000})
    assert decision.ruleset.chain == (str(path), str(RED))
    assert decision.ruleset.hash == engine.ruleset.hash != load_ruleset("red-default").hash
    assert decision.verdict == "reject"  # the overlay's new price cap
    report = engine.evaluate([{"id": "k", "followers": 12_000}])
    assert report.decisions[0].ruleset.chain == (str(path), str(RED))


# -- discovery -------------------------------------------------------------------------


def test_names_are_found_in_subdirectories_without_test_files(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", "")
    write(tmp_path / "clients" / "b.toml", "")
    write(tmp_path / "clients" / "b.test.toml", "")
    write(tmp_path / ".hidden" / "c.toml", "")
    assert find_rulesets([tmp_path]) == {
        "a": tmp_path / "a.toml",
        "b": tmp_path / "clients" / "b.toml",
    }
    assert {"beauty-startup", "luxury-brand"} <= set(find_rulesets([bundled_rulesets_dir()]))


def test_one_name_in_two_files_is_an_error_naming_both(tmp_path: Path) -> None:
    one = write(tmp_path / "acme.toml", "")
    two = write(tmp_path / "old" / "acme.toml", "")
    with pytest.raises(RulesetError) as info:
        find_rulesets([tmp_path])
    message = str(info.value)
    assert "the ruleset name 'acme' is ambiguous" in message
    assert str(one) in message and str(two) in message


# -- bad input ---------------------------------------------------------------------------


def test_a_cycle_names_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[ruleset]\nname = "a"\nversion = "1"\nextends = "b.toml"\n')
    b = write(tmp_path / "b.toml", '[ruleset]\nname = "b"\nversion = "1"\nextends = "./a.toml"\n')
    (issue,) = problems(a)
    assert issue.message == f"extends goes round in a circle: {a} -> {b} -> {a}"
    assert (issue.file, issue.line, issue.key) == (str(b), 4, "ruleset.extends")
    assert issue.hint is not None and "remove one of these extends" in issue.hint
    me = write(tmp_path / "me.toml", '[ruleset]\nname = "me"\nversion = "1"\nextends = "me"\n')
    (issue,) = problems(me)
    assert issue.message == f"extends goes round in a circle: {me} -> {me}"


def test_a_missing_parent_names_the_chain_and_the_closest_name(tmp_path: Path) -> None:
    by_name = write(
        tmp_path / "x.toml", '[ruleset]\nname = "x"\nversion = "1"\nextends = "red-defualt"\n'
    )
    (issue,) = problems(by_name)
    assert "the parent ruleset 'red-defualt' is neither a named ruleset nor a file" in issue.message
    assert f"(chain: {by_name} -> 'red-defualt')" in issue.message
    assert issue.hint is not None and issue.hint.startswith("did you mean 'red-default'?")
    assert (issue.file, issue.line) == (str(by_name), 4)
    mid = write(
        tmp_path / "mid.toml", '[ruleset]\nname = "mid"\nversion = "1"\nextends = "../gone.toml"\n'
    )
    top = write(tmp_path / "top.toml", '[ruleset]\nname = "top"\nversion = "1"\nextends = "mid"\n')
    (issue,) = problems(top)
    assert f"the parent ruleset '{tmp_path.parent / 'gone.toml'}' does not exist" in issue.message
    assert f"(chain: {top} -> {mid} -> '../gone.toml')" in issue.message
    assert issue.file == str(mid)


def test_an_ambiguous_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "red-default.toml", RED.read_text(encoding="utf-8"))
    child = write(
        tmp_path / "child.toml", '[ruleset]\nname = "c"\nversion = "1"\nextends = "red-default"\n'
    )
    (issue,) = problems(child)
    assert "the name 'red-default' is ambiguous" in issue.message
    assert str(RED) in issue.message and f"(chain: {child} -> 'red-default')" in issue.message
    assert issue.hint is not None and "extends = './red-default.toml'" in issue.hint
    write(child, child.read_text(encoding="utf-8").replace('"red-default"', '"./red-default.toml"'))
    assert load_ruleset(child).chain == (str(child), str(tmp_path / "red-default.toml"))


def test_changing_a_rule_that_does_not_exist_gives_the_closest_id(tmp_path: Path) -> None:
    path = write(
        tmp_path / "typo.toml",
        """\
        [ruleset]
        name = "typo"
        version = "1"
        extends = "red-default"

        [[rules]]
        id = "few-post"
        severity = "review"

        [[rules]]
        id = "not-there-at-all"
        enabled = false
        """,
    )
    first, second = problems(path)
    assert first.message == f"there is no rule 'few-post' to change in {RED}"
    assert (first.file, first.line, first.key) == (str(path), 7, "rules[0].id")
    assert first.hint == "did you mean 'few-posts'? a new rule needs severity, and require or kind"
    assert second.message == f"there is no rule 'not-there-at-all' to change in {RED}"
    assert second.line == 11


def test_bad_tier_changes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tiers.toml",
        '[ruleset]\nname = "t"\nversion = "1"\nextends = "red-default"\n'
        "[tier.mircro]\nprice_max = 1\n",
    )
    (issue,) = problems(path)
    assert issue.message == f"there is no tier 'mircro' to change in {RED}"
    assert issue.hint is not None and issue.hint.startswith("did you mean 'micro'?")
    alone = write(
        tmp_path / "alone.toml",
        '[ruleset]\nname = "a"\nversion = "1"\nplatform = "red"\n'
        '[[rules]]\nid = "r"\nrequire = "followers > 0"\nseverity = "info"\n'
        "[tier.micro]\nprice_max = 1\n",
    )
    (issue,) = problems(alone)
    assert "changes a tier of the ruleset this one extends, but this file extends none" in (
        issue.message
    )


def test_an_overlay_cannot_change_the_platform(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.toml",
        '[ruleset]\nname = "p"\nversion = "1"\nextends = "red-default"\nplatform = "weibo"\n',
    )
    (issue,) = problems(path)
    assert issue.message.startswith("platform 'weibo' differs from 'red'")
    assert (issue.file, issue.line, issue.key) == (str(path), 5, "ruleset.platform")


def test_problems_in_every_file_of_the_chain_are_reported_together(tmp_path: Path) -> None:
    base = write(
        tmp_path / "base.toml",
        """\
        [ruleset]
        name = "base"
        version = "1"
        platform = "red"

        [[rules]]
        id = "r"
        require = "followers > 0"
        severity = "fatal"

        [[rules]]
        id = "s"
        require = "followers > 1"
        severity = "info"
        """,
    )
    child = write(
        tmp_path / "child.toml",
        """\
        [ruleset]
        name = "child"
        version = "1"
        extends = "base"

        [[rules]]
        id = "s"
        severty = "review"

        [[rules]]
        id = "r"
        severity = "review"
        """,
    )
    issues = problems(child)
    where = {(i.file, i.line, i.key) for i in issues}
    assert (str(base), 9, "rules[0].severity") in where
    assert (str(child), 8, "rules[0].severty") in where
    # The child's change of rule r, which the schema dropped from the base, is not an error.
    assert len(issues) == 2
