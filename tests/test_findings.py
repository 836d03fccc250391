"""What it would take to pass (kolrules.findings.solve, Finding.to_pass): the needs solved
from a rule's ``require`` through metrics and arithmetic, and the values a failed rule
reports on both evaluation paths, checked against literal values."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kolrules import Engine
from kolrules.findings import solve
from kolrules.normalise import rows_to_frame
from kolrules.report import to_pass_text
from kolrules.testing import make_profile
from kolrules.types import Finding, ToPass


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def needs(source: str, inputs: str, **metrics: str) -> list[tuple[int, str, str, str, str]]:
    tree = ast.parse(source, mode="eval").body
    definitions = {k: ast.parse(v, mode="eval").body for k, v in metrics.items()}
    return [
        (n.part, n.name, n.op, n.value_source, n.guard_source)
        for n in solve(tree, definitions, inputs.split())
    ]


# -- solving ---------------------------------------------------------------------------


def test_a_bound_on_an_input() -> None:
    assert needs("price <= band_max", "price") == [(0, "price", "<=", "band_max", "")]
    assert needs("band_min <= price", "price") == [(0, "price", ">=", "band_min", "")]


def test_through_a_metric_for_each_input() -> None:
    got = needs("lpf >= 1.5", "total_likes followers", lpf="total_likes / followers")
    assert got == [
        (0, "total_likes", ">=", "1.5 * followers", "followers > 0"),
        (0, "followers", "<=", "total_likes / 1.5", "total_likes > 0 and 1.5 > 0"),
    ]


def test_sums_differences_products_and_negation() -> None:
    assert needs("a + b >= 10", "a") == [(0, "a", ">=", "10 - b", "")]
    assert needs("100 - a >= 40", "a") == [(0, "a", "<=", "100 - 40", "")]
    assert needs("a - 5 < b", "a") == [(0, "a", "<", "b + 5", "")]
    assert needs("2 * a > 8", "a") == [(0, "a", ">", "8 / 2", "2 > 0")]
    assert needs("-a <= 3", "a") == [(0, "a", ">=", "-3", "")]


def test_and_chains_or_and_not() -> None:
    assert needs("1 <= x <= 3", "x") == [(0, "x", ">=", "1", ""), (1, "x", "<=", "3", "")]
    assert needs("x >= 1 and y < 2", "x y") == [(0, "x", ">=", "1", ""), (1, "y", "<", "2", "")]
    assert needs("x >= 1 or y < 2", "x y") == [(0, "x", ">=", "1", ""), (0, "y", "<", "2", "")]
    assert needs("not x < 3", "x") == [(0, "x", ">=", "3", "")]
    assert needs("not (x < 3 or y == 'a')", "x y") == [
        (0, "x", ">=", "3", ""),
        (1, "y", "!=", "'a'", ""),
    ]
    assert needs("present(x)", "x") == [(0, "x", "present", "", "")]
    assert needs("not missing(x)", "x") == [(0, "x", "present", "", "")]


def test_what_cannot_be_solved_is_left_out() -> None:
    assert needs("min(x, 3) >= 2", "x") == []
    assert needs("abs(x) <= 2", "x") == []
    assert needs("x * x >= 4", "x") == []  # read twice
    assert needs("x in [1, 2]", "x") == []
    assert needs("present(tier)", "followers") == []  # tier is computed, not an input
    assert needs("x >= 1 or (y < 2 and z > 3)", "x y z") == [(0, "x", ">=", "1", "")]


# -- the values a failed rule reports, on both paths ------------------------------------


def every_column(engine: Engine, profile: dict[str, Any]) -> Any:
    """``profile`` as a file with a column for every field: a key left out is an empty
    cell (a missing value), as for a profile given on its own, not a column the whole
    file lacks (whose rules are not applied: test_columns.py)."""
    return rows_to_frame([{**dict.fromkeys(engine.plan.schema.fields), **profile}])


def both(engine: Engine, profile: dict[str, Any]) -> dict[str, Finding]:
    (one,) = engine.evaluate([profile]).decisions
    (columnar,) = engine._report(every_column(engine, profile), None).decisions
    assert one == columnar
    return {f.rule: f for f in one.findings}


def test_a_quote_above_the_band_says_the_most_it_may_be() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    found = both(engine, make_profile(price=15_000))
    assert found["price-above-tier-band"].to_pass == (ToPass("price", 15_000.0, "<=", 8_000.0),)
    assert found["price-above-roi-limit"].to_pass == (ToPass("price", 15_000.0, "<=", 10_000.0),)
    assert to_pass_text(found["price-above-tier-band"]) == "price at most 8,000 (now 15,000)"
    assert found["few-posts"].to_pass == ()  # passed: nothing to do


def test_likes_below_followers_names_both_ways_out() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    assert engine.ruleset.params["fake_likes_per_follower"] == 1
    found = both(engine, make_profile(followers=50_000, total_likes=20_000))
    assert found["likes-below-followers"].to_pass == (
        ToPass("total_likes", 20_000.0, ">=", 50_000.0),
        ToPass("followers", 50_000.0, "<=", 20_000.0),
    )
    assert to_pass_text(found["likes-below-followers"]) == (
        "total_likes at least 50,000 (now 20,000) or followers at most 20,000 (now 50,000)"
    )


def test_a_missing_quote_asks_for_one_and_an_unsolvable_rule_says_so() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    found = both(engine, make_profile(price=None, followers=500))
    assert found["gifting-candidate"].to_pass == (ToPass("price", None, "present", None),)
    assert to_pass_text(found["gifting-candidate"]) == "price given"
    assert found["tier-known"].outcome == "fail"
    assert found["tier-known"].to_pass is None
    assert to_pass_text(found["tier-known"]) == "cannot be solved from the inputs"


def test_only_the_parts_that_fail_are_shown(tmp_path: Path) -> None:
    ruleset = tmp_path / "parts.toml"
    ruleset.write_text(
        textwrap.dedent(
            """\
            [ruleset]
            name = "parts"
            version = "1"
            platform = "red"

            [[rules]]
            id = "both"
            require = "posts >= 10 and followers >= 2000"
            severity = "review"
            """
        ),
        encoding="utf-8",
    )
    engine = Engine(ruleset, load_entrypoints=False)
    one = both(engine, make_profile(posts=3, followers=5_000))["both"]
    assert one.to_pass == (ToPass("posts", 3.0, ">=", 10.0, 0),)
    two = both(engine, make_profile(posts=3, followers=1_000))["both"]
    assert two.to_pass == (
        ToPass("posts", 3.0, ">=", 10.0, 0),
        ToPass("followers", 1_000.0, ">=", 2_000.0, 1),
    )
    assert to_pass_text(two) == "posts at least 10 (now 3) and followers at least 2,000 (now 1,000)"


def test_a_need_whose_divisor_is_zero_is_left_out() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    # No likes at all: followers cannot be lowered enough (total_likes / 1 = 0 is no bound).
    found = both(engine, make_profile(followers=50_000, total_likes=0))
    assert found["likes-below-followers"].to_pass == (ToPass("total_likes", 0.0, ">=", 50_000.0),)


def test_json_lists_what_it_would_take(tmp_path: Path) -> None:
    from kolrules.report import JSON

    engine = Engine("red-default", load_entrypoints=False)
    report = engine.evaluate([make_profile(price=15_000)])
    import io

    buffer = io.StringIO()
    JSON.render(report, buffer)
    (decision,) = json.loads(buffer.getvalue())["decisions"]
    band = next(f for f in decision["findings"] if f["rule"] == "price-above-tier-band")
    assert band["to_pass"] == [
        {"name": "price", "now": 15_000.0, "op": "<=", "need": 8_000.0, "part": 0}
    ]


def test_every_failed_rule_of_the_bundled_rulesets_says_what_it_would_take() -> None:
    """Over the example file, every failed finding has a to_pass or says it cannot be
    solved (None), and only rules whose require reads no input are unsolvable."""
    unsolvable: set[str] = set()
    for name in ("red-default", "beauty-startup", "luxury-brand"):
        engine = Engine(name, load_entrypoints=False)
        for d in engine.evaluate_file("examples/candidates.csv").decisions:
            for f in d.findings:
                if f.outcome == "fail" and f.to_pass is None:
                    unsolvable.add(f.rule)
    assert unsolvable <= {"tier-known", "outside-target", "celebrity-endorsement", "category-fit"}


# -- why the verdict, and why no score ----------------------------------------------------


def decided(engine: Engine, profile: dict[str, Any]) -> Any:
    (one,) = engine.evaluate([profile]).decisions
    (columnar,) = engine._report(every_column(engine, profile), None).decisions
    assert one == columnar
    return one


def test_the_verdict_says_what_made_it(tmp_path: Path) -> None:
    engine = Engine("red-default", load_entrypoints=False)
    assert decided(engine, make_profile()).why == "accept: no rule failed"
    assert decided(engine, make_profile(posts=3)).why == (
        "accept: only warnings and infos failed (few-posts)"
    )
    assert decided(engine, make_profile(posts=3, price=15_000)).why == (
        "review: 3 warnings escalate to review (at 2 or more): "
        "few-posts, price-above-roi-limit, price-above-tier-band"
    )
    assert decided(engine, make_profile(total_likes=5_000)).why == (
        "reject: likes-below-followers failed"
    )
    assert decided(engine, make_profile(origin="celebrity")).why == (
        "review: celebrity-endorsement failed"
    )
    assert decided(engine, make_profile(posts="lots")).why == (
        "review: data errors make it review ([verdict] data_errors)"
    )


def test_a_missing_score_says_which_inputs_it_lacks() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    assert engine.plan.score is not None
    whole = decided(engine, make_profile())
    assert whole.score is not None and whole.score_missing is None
    assert engine.plan.score.names == ("engagement_rate", "comments_per_like", "cpe")
    gap = decided(engine, make_profile(avg_comments=None))
    assert gap.score is None
    # cpe = price / engagement, engagement = coalesce(median_interactions, ...avg_comments)
    assert gap.score_missing == "score missing: avg_comments, median_interactions not in the input"
    assert decided(engine, make_profile(avg_views=None)).score_missing is None  # not read


# -- reasons: most severe first, each said once ------------------------------------------


def csv_reasons(engine: Engine, profile: dict[str, Any]) -> str:
    frame = next(engine.decision_frames([every_column(engine, profile)]))
    return str(frame.get_column("reasons")[0])


def test_a_rule_that_supersedes_another_says_it_once() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    # 5,000 likes for 10,000 followers: 0.5x, below both 1x (reject) and 3x (warn).
    one = decided(engine, make_profile(total_likes=5_000, followers=10_000, posts=3))
    found = {f.rule: f for f in one.findings}
    assert found["likes-below-followers"].outcome == "fail"
    assert found["likes-per-follower-low"].outcome == "fail"  # still failed, still counted
    assert found["likes-per-follower-low"].superseded_by == "likes-below-followers"
    assert found["likes-below-followers"].superseded_by is None
    assert one.reasons == (
        "total likes and collects are 0.50x followers, below 1x: likely fake followers",
        "only 3 notes (fewer than 10)",
    )
    assert csv_reasons(engine, make_profile(total_likes=5_000, followers=10_000, posts=3)) == (
        "total likes and collects are 0.50x followers, below 1x: likely fake followers"
        " | only 3 notes (fewer than 10)"
    )
    rules = next(
        engine.decision_frames(
            [rows_to_frame([make_profile(total_likes=5_000, followers=10_000)])], reasons="rules"
        )
    )
    assert rules.get_column("reasons")[0] == "likes-below-followers"
    assert rules.get_column("rule:likes-per-follower-low")[0] == "fail"
    # Alone (2x: above 1x, below 3x), the softer rule is said.
    alone = decided(engine, make_profile(total_likes=20_000, followers=10_000))
    assert alone.reasons == ("total likes and collects are 2.00x followers, below the usual 3x",)
    assert {f.rule: f for f in alone.findings}["likes-per-follower-low"].superseded_by is None


def test_reasons_are_most_severe_first() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    profile = make_profile(posts=3, price=None, origin="celebrity", total_likes=5_000)
    one = decided(engine, profile)
    severities = {f.message: f.severity for f in one.findings if f.outcome == "fail"}
    assert [severities[m] for m in one.reasons] == ["reject", "review", "warn", "info"]
    assert csv_reasons(engine, profile) == " | ".join(one.reasons)


def test_json_names_the_rule_that_superseded_a_finding() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    one = decided(engine, make_profile(total_likes=5_000, followers=10_000))
    findings = {f["rule"]: f for f in one.to_dict()["findings"]}
    assert findings["likes-per-follower-low"]["superseded_by"] == "likes-below-followers"
    assert findings["few-posts"]["superseded_by"] is None


@pytest.mark.parametrize(
    ("supersedes", "expected"),
    [
        ('["nope"]', "rule 'a' supersedes 'nope', which is not a rule of this ruleset"),
        ('["a"]', "rule 'a' supersedes itself"),
        ('["b"]', "rules 'b' and 'a' supersede each other"),
    ],
)
def test_validate_refuses_a_bad_supersedes(tmp_path: Path, supersedes: str, expected: str) -> None:
    from kolrules.ruleset import resolve_ruleset

    path = tmp_path / "bad.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            [ruleset]
            name = "bad"
            version = "1"
            platform = "red"

            [[rules]]
            id = "a"
            require = "posts >= 10"
            severity = "warn"
            supersedes = {supersedes}

            [[rules]]
            id = "b"
            require = "posts >= 5"
            severity = "review"
            supersedes = ["a"]
            """
        ),
        encoding="utf-8",
    )
    result = resolve_ruleset(path)
    messages = [i.message for i in result.issues if i.severity == "error"]
    assert any(m.startswith(expected) for m in messages), messages
    located = next(i for i in result.issues if i.message.startswith(expected))
    assert located.line is not None and "supersedes" in located.key


def test_an_overlay_may_remove_a_superseded_rule(tmp_path: Path) -> None:
    overlay = tmp_path / "client.toml"
    overlay.write_text(
        textwrap.dedent(
            """\
            [ruleset]
            name = "client"
            version = "1"
            extends = "red-default"

            [[rules]]
            id = "likes-per-follower-low"
            enabled = false
            """
        ),
        encoding="utf-8",
    )
    engine = Engine(overlay, load_entrypoints=False)
    one = decided(engine, make_profile(total_likes=5_000, followers=10_000))
    assert one.reasons[0].endswith("likely fake followers")


def test_the_csv_says_what_it_would_take_for_each_reason() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    profile = make_profile(total_likes=5_000, followers=10_000, price=15_000)
    frame = next(engine.decision_frames([rows_to_frame([profile])]))
    assert frame.get_column("to_pass")[0] == (
        "likes-below-followers: total_likes at least 10,000 (now 5,000)"
        " or followers at most 5,000 (now 10,000)"
        " | price-above-roi-limit: price at most 10,000 (now 15,000)"
        " | price-above-tier-band: price at most 8,000 (now 15,000)"
    )
    # The same text from the decision objects (the csv of a Report).
    from kolrules.report import frame_of

    report = engine.evaluate([profile])
    assert frame_of(report).get_column("to_pass")[0] == frame.get_column("to_pass")[0]
    unsolved = next(engine.decision_frames([rows_to_frame([make_profile(followers=500)])]))
    assert unsolved.get_column("to_pass")[0] == "tier-known: cannot be solved from the inputs"
    passed = next(engine.decision_frames([rows_to_frame([make_profile()])]))
    assert passed.get_column("to_pass")[0] is None
    fast = next(engine.decision_frames([rows_to_frame([profile])], reasons="rules"))
    assert fast.get_column("to_pass")[0] is None  # reasons="rules" renders no text


def test_a_failed_finding_says_what_it_saw_and_its_thresholds() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    one = decided(engine, make_profile(followers=50_000, total_likes=20_000, price=15_000))
    found = {f.rule: f for f in one.findings}
    below = found["likes-below-followers"]
    assert below.seen == {"likes_per_follower": 0.4}
    assert below.thresholds == {"fake_likes_per_follower": 1}
    band = {f.rule: f for f in decided(engine, make_profile(price=15_000)).findings}[
        "price-above-tier-band"
    ]
    assert band.seen == {"price": 15_000.0, "band_max": 8_000.0}
    assert band.thresholds == {}
    assert found["few-posts"].seen == {} and found["few-posts"].thresholds == {}  # passed
    document = one.to_dict()
    listed = {f["rule"]: f for f in document["findings"]}
    assert listed["likes-below-followers"]["seen"] == {"likes_per_follower": 0.4}
    assert listed["likes-below-followers"]["thresholds"] == {"fake_likes_per_follower": 1}


ODD_VALUES = (None, 0, 1, -3, 2.5, 1e16, -0.0, float("nan"), float("inf"), "celebrity", "", True)


@pytest.mark.parametrize("name", ["red-default", "weibo-default", "wechat-default"])
def test_the_batch_writer_of_to_pass_says_what_to_pass_words_says(name: str) -> None:
    """The function generated per rule for batch output writes, for any values (None,
    NaN, infinities, ints beside floats, texts, booleans), the words of the one-profile
    path: ``to_pass_words(to_pass(...))``."""
    import itertools
    import random

    from kolrules.evaluate import _to_pass_writer, to_pass, to_pass_words

    rng = random.Random(name)
    plan = Engine(name).plan
    solved = [r for r in plan.rules if r.needs]
    assert solved
    for r in solved:
        names = list(dict.fromkeys(n.name for n in r.needs))
        width = len(names) + len(r.needs)
        rows = [tuple(rng.choice(ODD_VALUES) for _ in range(width)) for _ in range(300)]
        rows += list(itertools.islice(itertools.product((None, 5.0, 7), repeat=width), 300))
        columns = [list(c) for c in zip(*rows, strict=True)]
        got = _to_pass_writer(r, names)(*columns)
        for row, text in zip(rows, got, strict=True):
            now = dict(zip(names, row[: len(names)], strict=True))
            want = to_pass_words(to_pass(r, row[len(names) :], now))
            assert text == f"{r.rule.id}: {want}", (r.rule.id, row)
