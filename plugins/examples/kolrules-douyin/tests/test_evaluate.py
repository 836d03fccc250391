"""douyin-default end to end: Xingtu headers and 万 numbers, one profile at a time
(Engine.evaluate_one, Engine.evaluate) and from a file on the columnar path
(Engine.evaluate_file), which must agree."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from kolrules import Decision, Engine, RowInputError

HEADERS = ["达人ID", "昵称", "粉丝数", "获赞", "作品数", "平均播放", "平均点赞", "平均评论",
           "平均分享", "1-20秒视频报价", "21-60秒视频报价", "60秒以上视频报价", "粉丝趋势",
           "达人来源"]  # fmt: skip

# One row per situation, as a Xingtu export or an agency sheet writes it.
ROWS: list[list[str]] = [
    ["dy-good", "小美", "5.2万", "60万", "180", "8万", "2400", "120", "60", "3000", "4,500",
     "6000", "4.1万;4.4万;4.8万;5.2万", "本土"],
    ["dy-spike", "涨粉快", "4.6万", "50万", "90", "6万", "1500", "80", "30", "", "3000", "",
     "1.2万;1.3万;4.5万", ""],
    ["dy-bad-history", "乱码", "5.2万", "60万", "180", "8万", "2400", "120", "60", "", "4500",
     "", "4.1万;lots;5.2万", ""],
    ["dy-gifting", "素人", "1.2万", "8万", "70", "1万", "200", "12", "5", "", "", "", "", ""],
    ["dy-pricey", "贵", "5w", "80万", "150", "10万", "3000", "150", "80", "5000", "9000",
     "7000", "", ""],
    ["dy-celebrity", "明星", "1.2亿", "9亿", "800", "500万", "20万", "1万", "5000", "", "120万",
     "", "1.1亿;1.15亿;1.2亿", "明星"],
    ["dy-broken", "坏", "很多", "", "10", "", "", "", "", "", "", "", "", ""],
    ["dy-koc", "小号", "8000", "9万", "40", "1.2w", "300", "15", "", "", "500", "", "4000;8000",
     ""],
]  # fmt: skip

EXPECTED_VERDICTS = {
    "dy-good": "accept",
    "dy-spike": "review",
    "dy-bad-history": "review",
    "dy-gifting": "accept",
    "dy-pricey": "review",  # above the micro band and quotes out of order: two warnings
    "dy-celebrity": "review",
    "dy-koc": "accept",
}


def profiles() -> list[dict[str, str]]:
    """The rows as mappings of header to cell, empty cells left out (as a sparse export)."""
    return [{h: v for h, v in zip(HEADERS, r, strict=True) if v} for r in ROWS]


def write_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(ROWS)
    return path


def summary(d: Decision) -> tuple[Any, ...]:
    """What both paths must agree on."""
    return (
        d.id,
        d.verdict,
        d.tier,
        None if d.score is None else round(d.score, 9),
        tuple((f.rule, f.outcome, f.severity, f.message) for f in d.findings),
        tuple(str(e) for e in d.data_errors),
        d.metrics.get("fans_max_jump"),
        d.metrics.get("cpm"),
    )


def one(engine: Engine, profile: Mapping[str, Any]) -> Decision:
    return engine.evaluate_one(profile)


def test_chinese_headers_and_wan_numbers_are_read(engine: Engine) -> None:
    d = one(engine, profiles()[0])
    assert d.id == "dy-good"
    assert d.platform == "douyin"
    assert d.verdict == "accept"
    assert d.tier == "micro"
    assert d.price.quote == 4500.0  # price is the 21-60 s quote
    assert (d.price.band_min, d.price.band_max, d.price.position) == (300.0, 6000.0, "within")
    assert d.data_errors == ()
    assert all(f.outcome == "pass" for f in d.findings)


def test_cpm_metrics(engine: Engine) -> None:
    d = one(engine, profiles()[0])
    # price 4,500 RMB / 80,000 plays x 1,000
    assert d.metrics["cpm"] == pytest.approx(56.25)
    assert d.metrics["cpm_1_20s"] == pytest.approx(37.5)
    assert d.metrics["cpm_60s_plus"] == pytest.approx(75.0)
    assert d.metrics["likes_per_view"] == pytest.approx(0.03)
    assert d.metrics["engagement_per_post"] == pytest.approx(2400 + 120 + 60)


def test_fans_max_jump_is_a_metric_of_the_decision(engine: Engine) -> None:
    d = one(engine, profiles()[0])
    assert d.metrics["fans_max_jump"] == pytest.approx(4 / 44)  # 4.4万 -> 4.8万


def test_a_follower_spike_is_caught(engine: Engine) -> None:
    d = one(engine, profiles()[1])
    assert d.verdict == "review"
    assert d.metrics["fans_max_jump"] == pytest.approx(3.2 / 1.3)
    [failed] = d.failed()
    assert failed.rule == "fans-growth-spike"
    assert failed.severity == "review"
    assert failed.message == (
        "followers rose 246% between two points of the follower history, more than 50%: "
        "check for bought followers"
    )


def test_below_min_followers_the_spike_rule_does_not_apply(engine: Engine) -> None:
    d = one(engine, profiles()[-1])
    assert d.tier == "koc"
    assert d.metrics["fans_max_jump"] == pytest.approx(1.0)
    assert {f.rule: f.outcome for f in d.findings}["fans-growth-spike"] == "not_applicable"


def test_an_unreadable_history_point_is_a_data_error(engine: Engine) -> None:
    d = one(engine, profiles()[2])
    assert d.verdict == "review"  # [verdict] data_errors
    assert [e.column for e in d.data_errors] == [""]  # a problem of the whole profile
    assert "fans_history has an unreadable point 'lots'" in str(d.data_errors[0])
    assert d.metrics["fans_max_jump"] is None
    outcomes = {f.rule: f.outcome for f in d.findings}
    assert outcomes["fans-growth-spike"] == "not_applicable"
    assert outcomes["likes-below-followers"] == "pass"  # the rest is still evaluated
    assert list(d.failed()) == []


def test_a_follower_count_that_is_not_a_number_is_a_row_error(engine: Engine) -> None:
    with pytest.raises(RowInputError, match="not a number"):
        one(engine, profiles()[6])


def test_the_file_and_the_one_profile_paths_agree(engine: Engine, tmp_path: Path) -> None:
    report = engine.evaluate_file(write_csv(tmp_path / "xingtu.csv"))
    assert report.rows_read == len(ROWS)
    assert len(report.decisions) + len(report.errors) == len(ROWS)
    by_id = {d.id: d for d in report.decisions}
    assert {i: d.verdict for i, d in by_id.items()} == EXPECTED_VERDICTS
    # Every row is accounted for: the broken one is a row error, with its row number.
    assert [(e.row, e.id) for e in report.errors] == [(7, "dy-broken")]
    assert "not a number" in report.errors[0].reason
    for profile in profiles():
        if profile["达人ID"] == "dy-broken":
            continue
        assert summary(by_id[profile["达人ID"]]) == summary(one(engine, profile))


def test_evaluate_many_agrees_with_the_file(engine: Engine, tmp_path: Path) -> None:
    from_file = engine.evaluate_file(write_csv(tmp_path / "xingtu.csv"))
    one_by_one = engine.evaluate(profiles())
    assert [summary(d) for d in one_by_one.decisions] == [summary(d) for d in from_file.decisions]
    assert [(e.row, e.id) for e in one_by_one.errors] == [(e.row, e.id) for e in from_file.errors]


def test_the_data_error_row_is_reported_in_the_file(engine: Engine, tmp_path: Path) -> None:
    report = engine.evaluate_file(write_csv(tmp_path / "xingtu.csv"))
    d = next(d for d in report.decisions if d.id == "dy-bad-history")
    assert d.row == 3
    assert d.verdict == "review"
    assert any("unreadable point 'lots'" in str(e) for e in d.data_errors)
