"""How much of a profile could be checked (``Decision.applied``) and ``[verdict]
min_applicable``: a profile whose values let too few vetting rules be applied goes to
review, saying how many were and what was missing; on the one-profile path, in a frame,
in csv and in streamed JSON alike."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from kolrules import Engine
from kolrules.errors import RulesetError
from kolrules.types import Applied

THIN = ("total_likes", "avg_likes", "avg_comments", "avg_collects", "avg_views", "origin")
NOTE = "only 3 of 9 vetting rules could be applied: missing " + ", ".join(THIN)
FULL = {
    "id": "full",
    "followers": 20_000,
    "posts": 50,
    "total_likes": 80_000,
    "avg_likes": 400,
    "avg_collects": 200,
    "avg_comments": 40,
    "avg_views": 20_000,
    "origin": "homegrown",
    "price": 3_000,
}


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def overlay(tmp_path: Path, share: str) -> Path:
    path = tmp_path / "thin.toml"
    path.write_text(
        '[ruleset]\nname = "thin"\nversion = "1"\nextends = "red-default"\n\n'
        f"[verdict]\nmin_applicable = {share}\n",
        encoding="utf-8",
    )
    return path


def test_a_thin_profile_goes_to_review_saying_what_was_missing(tmp_path: Path) -> None:
    """followers and posts only: of red-default's 9 vetting rules, tier-known, few-posts
    and celebrity-endorsement (missing means pass) are applied; the likes ratios and the
    engagement rate cannot be computed, and whether likes-per-view-band, few-comments and
    cross-platform-young apply cannot be told."""
    engine = Engine(overlay(tmp_path, "0.5"))
    d = engine.evaluate_one({"id": "k1", "followers": 20_000, "posts": 50})
    assert d.applied == Applied(3, 9, THIN, enough=False)
    assert d.verdict == "review"
    assert d.why == "review: too few vetting rules could be applied ([verdict] min_applicable 0.5)"
    assert d.reasons == (NOTE, "no quote: gifting (product seeding) candidate")


def test_enough_applied_changes_nothing(tmp_path: Path) -> None:
    engine = Engine(overlay(tmp_path, "0.5"))
    d = engine.evaluate_one(FULL)
    assert d.applied == Applied(9, 9, (), enough=True)
    assert d.verdict == Engine("red-default").evaluate_one(FULL).verdict
    assert not any("vetting rules" in r for r in d.reasons)


@pytest.mark.parametrize(("share", "enough"), [("0.33", True), ("0.34", False), ("0", True)])
def test_the_share_is_a_least_share(tmp_path: Path, share: str, enough: bool) -> None:
    """3 of 9 is 0.333...: enough for 0.33, not for 0.34; 0 turns the check off."""
    d = Engine(overlay(tmp_path, share)).evaluate_one({"id": "k", "followers": 20_000, "posts": 50})
    assert d.applied is not None and d.applied.rules == 3
    assert d.applied.enough is enough
    assert (d.verdict == "review") is (not enough)


def test_without_min_applicable_the_count_is_still_given() -> None:
    d = Engine("red-default").evaluate_one({"id": "k1", "followers": 20_000, "posts": 50})
    assert d.applied == Applied(3, 9, THIN, enough=True)
    assert d.verdict == "accept" and NOTE not in d.reasons


def test_a_reject_stays_a_reject(tmp_path: Path) -> None:
    engine = Engine(overlay(tmp_path, "0.9"))
    d = engine.evaluate_one({**FULL, "total_likes": 100, "avg_views": None, "origin": None})
    assert d.applied is not None and not d.applied.enough
    assert d.verdict == "reject"
    assert d.reasons[0].startswith("only 7 of 9 vetting rules could be applied: missing ")


def test_every_path_says_the_same(tmp_path: Path) -> None:
    """A file of a thin and a full profile: csv reasons and verdicts, evaluate_frame's
    reasons, streamed JSON's ``applied``: as the one-profile decisions."""
    engine = Engine(overlay(tmp_path, "0.5"))
    source = tmp_path / "kols.csv"
    pl.DataFrame(
        [
            {k: (None if v is None else str(v)) for k, v in p.items()}
            for p in (
                {**dict.fromkeys(FULL), "id": "k1", "followers": 20_000, "posts": 50},
                FULL,
            )
        ]
    ).write_csv(source)
    ones = list(engine.evaluate_file(source).decisions)
    assert [d.verdict for d in ones] == ["review", "accept"]
    engine.evaluate_to_file(source, tmp_path / "out.csv")
    rows = pl.read_csv(tmp_path / "out.csv", infer_schema=False).to_dicts()
    assert rows[0]["reasons"].startswith(NOTE + " | ")
    assert [r["verdict"] for r in rows] == ["review", "accept"]
    framed = engine.evaluate_frame(pl.read_csv(source, infer_schema=False))
    assert framed.get_column("reasons").to_list()[0][0] == NOTE
    engine.evaluate_to_file(source, tmp_path / "out.json", output_format="json")
    streamed = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["decisions"]
    assert [s["applied"] for s in streamed] == [
        {"rules": 3, "of": 9, "missing": list(THIN), "enough": False},
        {"rules": 9, "of": 9, "missing": [], "enough": True},
    ]
    assert streamed == [json.loads(json.dumps(d.to_dict())) for d in ones]


@pytest.mark.parametrize("share", ["1.5", "-0.1", '"half"'])
def test_a_share_out_of_range_is_a_ruleset_error(tmp_path: Path, share: str) -> None:
    with pytest.raises(RulesetError) as info:
        Engine(overlay(tmp_path, share))
    assert "verdict.min_applicable" in str(info.value)


def test_weibo_default_sends_a_profile_only_export_to_review() -> None:
    """The issue's case: followers, following and posts only."""
    d = Engine("weibo-default").evaluate_one(
        {"id": "w1", "followers": 5_000, "following": 300, "posts": 400}
    )
    assert d.applied == Applied(3, 6, ("avg_likes", "avg_comments", "avg_shares"), enough=False)
    assert d.verdict == "review"
    assert d.reasons[0] == (
        "only 3 of 6 vetting rules could be applied: missing avg_likes, avg_comments, avg_shares"
    )


def test_explain_says_how_many_vetting_rules_were_applied(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kolrules.cli import main

    source = tmp_path / "weibo.csv"
    source.write_text("id,followers,posts\nw1,5000,400\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["explain", str(source), "--id", "w1", "-r", "weibo-default"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert (
        "vetting rules applied: 2 of 6 (missing avg_likes, avg_comments, avg_shares, "
        "following): too few, so review ([verdict] min_applicable)"
    ) in " ".join(result.output.split())  # as one line, however the terminal wraps it
