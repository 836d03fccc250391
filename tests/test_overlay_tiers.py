"""Tiers in overlays (issue 17): ``[tier.<name>]`` adds a tier of a new name, changes one,
or removes one (``enabled = false``), by name; the resolved table is checked as any."""

from __future__ import annotations

from pathlib import Path

from test_overlay import problems, write

from kolrules.engine import Engine
from kolrules.ruleset import bundled_rulesets_dir, load_ruleset

WEIBO = bundled_rulesets_dir() / "weibo-default.toml"

KOC = """\
[ruleset]
name = "weibo-koc"
version = "1"
extends = "weibo-default"

[tier.koc]
min_followers = 0
max_followers = 1_000
description = "ordinary users: gifting only"
"""


def tiers(path: Path) -> list[tuple[str, float, float | None]]:
    rs = load_ruleset(path)
    return [(t.name, t.min_followers, t.max_followers) for t in rs.tiers or ()]


def test_an_overlay_adds_a_tier_where_its_followers_put_it(tmp_path: Path) -> None:
    path = write(tmp_path / "koc.toml", KOC)
    assert tiers(path) == [
        ("koc", 0, 1_000),
        ("micro", 1_000, 10_000),
        ("mid", 10_000, 1_000_000),
        ("top", 1_000_000, 10_000_000),
        ("celebrity", 10_000_000, None),
    ]
    rs = load_ruleset(path)
    assert rs.tiers is not None and rs.tiers[0].description == "ordinary users: gifting only"
    name, _ = rs.origin(("tiers", 0, "name"))
    upper, _ = rs.origin(("tiers", 0, "max_followers"))
    assert name is not None and (name.file, name.line) == (str(path), 6)
    assert upper is not None and (upper.file, upper.line) == (str(path), 8)
    # the parent's tiers after it keep where they came from
    band, _ = rs.origin(("tiers", 1, "price_max"))
    assert band is not None and (band.file, band.line) == (str(WEIBO), 56)


def test_a_profile_below_the_parents_tiers_gets_the_added_tier(tmp_path: Path) -> None:
    engine = Engine(write(tmp_path / "koc.toml", KOC), load_entrypoints=False)
    small = engine.evaluate_one({"id": "s", "followers": 500})
    assert small.tier == "koc"
    assert (small.price.band_min, small.price.band_max) == (None, None)
    finding = next(f for f in small.findings if f.rule == "tier-known")
    assert finding.outcome == "pass"
    base = Engine("weibo-default", load_entrypoints=False).evaluate_one(
        {"id": "s", "followers": 500}
    )
    assert base.tier is None


def test_an_overlay_adds_removes_and_changes_tiers_in_one_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "edit.toml",
        KOC
        + """
[tier.celebrity]
enabled = false

[tier.top]
max_followers = inf
price_max = 500_000
""",
    )
    assert tiers(path) == [
        ("koc", 0, 1_000),
        ("micro", 1_000, 10_000),
        ("mid", 10_000, 1_000_000),
        ("top", 1_000_000, None),
    ]
    rs = load_ruleset(path)
    assert [(r.kind, r.name) for r in rs.removed] == [("tier", "celebrity")]
    assert rs.tiers is not None and rs.tiers[3].price_max == 500_000


def test_an_overlay_of_an_overlay_changes_or_removes_the_added_tier(tmp_path: Path) -> None:
    write(tmp_path / "koc.toml", KOC)
    changed = write(
        tmp_path / "campaign.toml",
        '[ruleset]\nname = "c"\nversion = "1"\nextends = "./koc.toml"\n\n'
        "[tier.koc]\nmax_followers = 1_000\nprice_max = 300\n",
    )
    rs = load_ruleset(changed)
    assert rs.tiers is not None and (rs.tiers[0].name, rs.tiers[0].price_max) == ("koc", 300)
    removed = write(
        tmp_path / "nokoc.toml",
        '[ruleset]\nname = "n"\nversion = "1"\nextends = "./koc.toml"\n\n'
        "[tier.koc]\nenabled = false\n",
    )
    assert [name for name, _, _ in tiers(removed)] == ["micro", "mid", "top", "celebrity"]


def test_an_added_tier_that_overlaps_is_reported_in_the_overlay(tmp_path: Path) -> None:
    path = write(
        tmp_path / "overlap.toml",
        '[ruleset]\nname = "o"\nversion = "1"\nextends = "weibo-default"\n\n'
        "[tier.nano]\nmin_followers = 500\nmax_followers = 2_000\n",
    )
    (issue,) = problems(path)
    assert issue.message == "tier 'micro' starts at 1000 followers, inside tier 'nano'"
    assert (issue.file, issue.line, issue.key) == (str(WEIBO), 52, "tiers[0].min_followers")


def test_a_new_tier_needs_min_followers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.toml",
        '[ruleset]\nname = "b"\nversion = "1"\nextends = "weibo-default"\n\n'
        "[tier.koc]\nmax_followers = 1_000\n",
    )
    (issue,) = problems(path)
    assert issue.message == f"there is no tier 'koc' to change in {WEIBO}"
    assert issue.hint == "tiers: micro, mid, top, celebrity; a new tier needs min_followers"
    assert (issue.file, issue.line) == (str(path), 6)


def test_removing_a_tier_that_is_not_there_is_still_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.toml",
        '[ruleset]\nname = "b"\nversion = "1"\nextends = "weibo-default"\n\n'
        "[tier.koc]\nmin_followers = 0\nenabled = false\n",
    )
    (issue,) = problems(path)
    assert issue.message == f"there is no tier 'koc' to change in {WEIBO}"


def test_a_parent_on_the_platforms_tiers_still_needs_a_table(tmp_path: Path) -> None:
    base = write(
        tmp_path / "base.toml",
        '[ruleset]\nname = "base"\nversion = "1"\nplatform = "weibo"\n\n'
        '[[rules]]\nid = "r"\nrequire = "followers > 0"\nseverity = "info"\n',
    )
    path = write(
        tmp_path / "add.toml",
        '[ruleset]\nname = "a"\nversion = "1"\nextends = "./base.toml"\n\n'
        "[tier.koc]\nmin_followers = 0\n",
    )
    (issue,) = problems(path)
    assert issue.message == (
        f"[tier.koc] changes a tier, but {base} has no tier table (the platform's default "
        "tiers apply)"
    )
