"""Impact diff (``kolrules.diff``): the verdict transition matrix, tier and score changes,
and the rules responsible for each changed verdict, between two bundled rulesets, two
files, or a ruleset and its overlay. The counts are checked against the one-profile path."""

from __future__ import annotations

import io
import json
import random
import textwrap
from collections import Counter
from pathlib import Path

import attrs
import polars as pl
import pytest

from kolrules.diff import VERDICT_LABELS, IncompatibleRulesetsError, impact
from kolrules.diff.display import diff_json, print_diff
from kolrules.engine import Engine
from kolrules.read import reader_for
from kolrules.ruleset import bundled_rulesets_dir

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO / "examples" / "candidates.csv"
RED = (bundled_rulesets_dir() / "red-default.toml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def read(path: Path, engine: Engine) -> pl.DataFrame:
    return reader_for(path, engine.registry.readers).read(path)


def profiles(n: int = 300, seed: int = 7) -> pl.DataFrame:
    """RED profiles as an export gives them (text cells), a few of them broken."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        followers = int(10 ** rng.uniform(2.7, 7.3))
        posts = rng.choice([3, 8, 12, 40, 150, 600])
        price = rng.choice([None, 300, 2_000, 6_000, 9_000, 15_000, 80_000])
        row = {
            "id": f"k{i}",
            "followers": str(followers),
            "posts": str(posts),
            "total_likes": str(int(followers * rng.uniform(0.3, 6))),
            "avg_likes": str(int(followers * rng.uniform(0.002, 0.05))),
            "avg_comments": str(rng.randint(0, 400)),
            "avg_collects": str(rng.randint(0, 900)),
            "price": None if price is None else str(price),
            "origin": rng.choice(["homegrown", "cross_platform", None]),
            "account_age_days": str(rng.randint(30, 2000)),
        }
        if i % 50 == 7:
            row["followers"] = "lots"  # a row error under every RED ruleset
        if i % 40 == 3:
            row["price"] = "ask"  # a data error (a row error with strict=True)
        rows.append(row)
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def overlay(directory: Path, body: str, name: str = "client.toml") -> Path:
    head = '[ruleset]\nname = "client"\nversion = "2"\nextends = "red-default"\n'
    return write(directory, name, head + textwrap.dedent(body))


def copy_of_red(directory: Path, *changes: tuple[str, str]) -> Path:
    text = RED.replace('name = "red-default"', 'name = "red-copy"')
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return write(directory, "red-copy.toml", text)


def one_profile_matrix(base: Engine, new: Engine, df: pl.DataFrame) -> Counter[tuple[str, str]]:
    """The transition counts computed row by row on the one-profile path."""

    def verdicts(engine: Engine) -> dict[int | None, str]:
        report = engine.evaluate(df.iter_rows(named=True))
        out: dict[int | None, str] = {d.row: d.verdict for d in report.decisions}
        out.update({e.row: "error" for e in report.errors})
        return out

    b, n = verdicts(base), verdicts(new)
    return Counter((b[row], n[row]) for row in range(1, df.height + 1))


# -- the matrix ---------------------------------------------------------------------------


def test_identical_rulesets_change_nothing() -> None:
    base = Engine("red-default")
    df = read(CANDIDATES, base)
    result = impact(base, Engine("red-default"), df, source=str(CANDIDATES))
    assert result.rows == df.height == sum(sum(r.values()) for r in result.verdicts.values())
    assert result.flipped == 0 and result.flips == () and result.tiers == ()
    off_diagonal = [result.verdicts[b][n] for b in VERDICT_LABELS for n in VERDICT_LABELS if b != n]
    assert not any(off_diagonal)
    assert result.verdicts["error"]["error"] == 3  # the example's broken rows
    assert result.scores.unchanged == result.scores.compared > 0
    assert result.scores.mean_delta == 0.0


def test_an_overlay_the_matrix_agrees_with_the_one_profile_path(tmp_path: Path) -> None:
    path = overlay(
        tmp_path,
        """
        [params]
        min_posts = 100

        [[rules]]
        id = "few-posts"
        severity = "review"
        """,
    )
    base, new = Engine("red-default"), Engine(path)
    df = profiles()
    result = impact(base, new, df)
    got = Counter({(b, n): c for b, row in result.verdicts.items() for n, c in row.items() if c})
    assert got == one_profile_matrix(base, new, df)
    assert result.flipped == sum(c for (b, n), c in got.items() if b != n) > 0


# -- the rules behind the flips -----------------------------------------------------------


def test_flips_name_the_responsible_rule_with_its_message_and_values(tmp_path: Path) -> None:
    path = overlay(tmp_path, "[params]\nmin_posts = 100\n")
    base, new = Engine("red-default"), Engine(path)
    result = impact(base, new, read(CANDIDATES, base), limit=None)
    assert result.flipped == len(result.flips) > 0
    assert result.responsible == {"few-posts": result.flipped}
    assert result.policy_flips == 0
    for flip in result.flips:
        [change] = flip.rules
        assert (change.rule, change.base, change.new) == ("few-posts", "pass", "fail")
        assert change.values["min_posts"] == (10.0, 100.0)
        posts = change.values["posts"][0]
        assert change.values["posts"] == (posts, posts)
        assert change.new_message == f"only {posts:.0f} notes (fewer than 100)"
        assert change.base_message is None  # messages are given where the rule failed
        assert change.new_to_pass == f"posts at least 100 (now {posts:,.0f})"
        assert change.base_to_pass is None
        assert flip.id is not None and flip.id.startswith("red-")
    shown = io.StringIO()
    print_diff(result, shown, width=200)
    assert "to pass: posts at least 100 (now " in shown.getvalue()
    listed = json.loads(diff_json(result))["flips"][0]["rules"][0]
    assert listed["new_to_pass"].startswith("posts at least 100 (now ")


def test_a_severity_change_is_responsible_when_the_rule_fails_under_both(tmp_path: Path) -> None:
    path = overlay(tmp_path, '[[rules]]\nid = "few-posts"\nseverity = "reject"\n')
    base, new = Engine("red-default"), Engine(path)
    result = impact(base, new, profiles(), limit=None)
    assert result.flipped > 0
    assert result.responsible == {"few-posts": result.flipped}
    assert all(f.new_verdict == "reject" for f in result.flips)
    change = result.flips[0].rules[0]
    assert (change.base, change.new) == ("fail", "fail")
    assert (change.base_severity, change.new_severity) == ("warn", "reject")


def test_a_verdict_policy_change_flips_without_a_rule(tmp_path: Path) -> None:
    path = copy_of_red(tmp_path, ("count = 2", "count = 1"))  # one warning makes a review
    base, new = Engine("red-default"), Engine(path)
    result = impact(base, new, profiles(), limit=3)
    assert result.flipped > 3 and len(result.flips) == 3
    assert result.responsible == {}
    assert result.policy_flips == result.flipped
    assert all(f.rules == () and "verdict policy" in f.note for f in result.flips)


def test_added_and_removed_rules(tmp_path: Path) -> None:
    path = copy_of_red(
        tmp_path,
        ('id = "few-posts"', 'id = "few-notes"'),
        ("min_posts = 10", "min_posts = 50"),
        (
            'require = "posts >= min_posts"\nseverity = "warn"',
            'require = "posts >= min_posts"\nseverity = "review"',
        ),
    )
    base, new = Engine("red-default"), Engine(path)
    result = impact(base, new, profiles(), limit=None)
    assert result.rules_added == ("few-notes",) and result.rules_removed == ("few-posts",)
    assert set(result.responsible) == {"few-notes", "few-posts"}
    change = next(c for f in result.flips for c in f.rules if c.rule == "few-notes")
    assert change.base is None and change.base_severity is None and change.new == "fail"
    assert change.base_message is None and change.new_message is not None


def test_row_errors_are_the_verdict_error() -> None:
    df = profiles()
    base, strict = Engine("red-default"), Engine("red-default", strict=True)
    result = impact(base, strict, df, limit=None)
    assert result.verdicts["error"]["error"] == 6  # broken follower counts, both sides
    to_error = [f for f in result.flips if f.new_verdict == "error"]
    assert to_error and len(to_error) == result.flipped
    assert all(f.base_error is None and "not a number" in (f.new_error or "") for f in to_error)
    assert all(f.new_tier is None and f.new_score is None for f in to_error)


# -- tiers and scores ---------------------------------------------------------------------


def test_tier_changes(tmp_path: Path) -> None:
    path = overlay(
        tmp_path,
        """
        [tier.micro]
        max_followers = 20_000

        [tier.mid]
        min_followers = 20_000
        """,
    )
    base, new = Engine("red-default"), Engine(path)
    df = profiles()
    result = impact(base, new, df)
    moved = {(t.base, t.new): t.count for t in result.tiers}
    assert set(moved) == {("micro", "mid")}
    followers = base.frame_result(df).filter(pl.col("status") == "evaluated")["followers"]
    numbers = followers.cast(pl.Float64)
    assert moved["micro", "mid"] == ((numbers >= 20_000) & (numbers < 50_000)).sum()
    evaluated = sum(result.verdicts[b][n] for b in VERDICT_LABELS[:3] for n in VERDICT_LABELS[:3])
    assert result.tiers_unchanged + moved["micro", "mid"] == evaluated


def test_score_changes(tmp_path: Path) -> None:
    path = copy_of_red(tmp_path, ("weight = 3", "weight = 1"))
    base, new = Engine("red-default"), Engine(path)
    df = profiles()
    result = impact(base, new, df)
    b = base.frame_result(df)["score"]
    n = new.frame_result(df)["score"]
    both = b.is_not_null() & n.is_not_null()
    delta = (n - b).filter(both)
    s = result.scores
    assert s.compared == both.sum() == s.up + s.down + s.unchanged
    assert (s.up, s.down) == ((delta > 1e-9).sum(), (delta < -1e-9).sum())
    assert s.up > 0 and s.down > 0
    assert s.mean_delta == pytest.approx(delta.mean())
    assert s.gained == s.lost == 0


# -- bad input ----------------------------------------------------------------------------


def test_rulesets_for_different_platforms_cannot_be_compared() -> None:
    base, new = Engine("red-default"), Engine("weibo-default")
    with pytest.raises(IncompatibleRulesetsError) as info:
        impact(base, new, profiles(5))
    message = str(info.value)
    assert "red-default (platform 'red')" in message
    assert "weibo-default (platform 'weibo')" in message
    assert "must be for the same platform" in message


# -- output -------------------------------------------------------------------------------


def test_json_and_table_output(tmp_path: Path) -> None:
    path = overlay(tmp_path, "[params]\nmin_posts = 100\n")
    base, new = Engine("red-default"), Engine(path)
    result = impact(base, new, read(CANDIDATES, base), limit=None, source="candidates.csv")
    data = json.loads(diff_json(result))
    assert data["flipped"] == len(data["flips"]) == result.flipped
    assert data["new"]["name"] == "client" and data["base"]["name"] == "red-default"
    values = data["flips"][0]["rules"][0]["values"]
    assert values["min_posts"] == {"base": 10.0, "new": 100.0}
    out = io.StringIO()
    print_diff(attrs.evolve(result, flips=result.flips[:2]), out, width=120)
    text = out.getvalue()
    assert "verdicts (rows: base, columns: new)" in text
    assert f"verdict changed: {result.flipped} profiles" in text
    assert f"changed verdicts (first 2 of {result.flipped}" in text
    assert "few-posts (warn): pass -> fail" in text
    assert "min_posts = 10 -> 100" in text


def test_a_name_only_one_ruleset_has_is_not_shown_as_a_change(tmp_path: Path) -> None:
    """A rule of the new ruleset reading a field the base does not declare: the base does
    not read it, so its value there is not "missing" (no "missing -> 3")."""
    path = overlay(
        tmp_path,
        """
        [fields]
        level = "number"

        [[rules]]
        id = "level-low"
        require = "level >= 4"
        severity = "reject"
        """,
    )
    df = profiles(40).with_columns(pl.lit("3").alias("level"))
    result = impact(Engine("red-default"), Engine(path), df, limit=None)
    change = next(c for f in result.flips for c in f.rules if c.rule == "level-low")
    assert change.values["level"] == (None, 3.0)
    assert change.base_lacks == ("level",) and change.new_lacks == ()
    shown = io.StringIO()
    print_diff(result, shown, width=200)
    assert "level = 3 (new ruleset only)" in shown.getvalue()
    assert "missing -> 3" not in shown.getvalue()
    (rule,) = [
        r for r in json.loads(diff_json(result))["flips"][0]["rules"] if r["rule"] == "level-low"
    ]
    assert rule["base_lacks"] == ["level"]
