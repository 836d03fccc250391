"""The Python API: load a ruleset, build an engine, evaluate one mapping, an iterable, a
file, or a polars / pandas DataFrame; the examples give the verdicts their README says."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import kolrules
from kolrules import Engine, RowInputError, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


def expected_rows() -> list[tuple[int, str, str, str]]:
    """(row, id, tier, verdict) from the table in examples/README.md."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        m = re.match(r"\| (\d+) \| ([^|]+) \| [^|]+ \| ([^|]+) \| \**([a-z ]+?)\** \|", line)
        if m:
            rows.append(
                (int(m.group(1)), m.group(2).strip(), m.group(3).strip(), m.group(4).strip())
            )
    return rows


def test_expected_table_is_read() -> None:
    rows = expected_rows()
    assert len(rows) == 37
    assert rows[0] == (1, "red-001", "micro", "accept")


@pytest.mark.parametrize("name", ["candidates.csv", "candidates-gbk.csv"])
def test_examples_give_the_documented_verdicts(engine: Engine, name: str) -> None:
    report = engine.evaluate_file(EXAMPLES / name)
    assert report.summary_line() == "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3"
    by_row = {d.row: d for d in report.decisions}
    errors = {e.row: e for e in report.errors}
    for row, _pid, tier, verdict in expected_rows():
        if verdict == "row error":
            assert row in errors, row
            continue
        d = by_row[row]
        assert d.verdict == verdict, (row, d.reasons)
        assert (d.tier or "none") == tier, row
    assert "duplicate id, first seen at row 3" in errors[34].reason
    assert "empty id" in errors[35].reason
    assert "'lots': not a number" in errors[36].reason


def test_utf8_and_gbk_examples_agree(engine: Engine) -> None:
    a = engine.evaluate_file(EXAMPLES / "candidates.csv")
    b = engine.evaluate_file(EXAMPLES / "candidates-gbk.csv")
    for x, y in zip(a.decisions, b.decisions, strict=True):
        assert (x.id, x.verdict, x.tier, x.score) == (y.id, y.verdict, y.tier, y.score)
        assert [f.outcome for f in x.findings] == [f.outcome for f in y.findings]


def test_fake_followers_are_rejected_with_reasons(engine: Engine) -> None:
    d = engine.evaluate_one(
        {
            "id": "k1",
            "粉丝数": "4.5万",
            "获赞与收藏": "3万",
            "平均点赞": 100,
            "平均评论": 10,
            "报价": "¥3,000",
        }
    )
    assert d.verdict == "reject"
    assert d.tier == "micro"
    failed = {f.rule: f for f in d.failed()}
    assert "likes-below-followers" in failed
    assert "0.67x followers, below 1x" in failed["likes-below-followers"].message
    assert d.price.quote == 3000 and d.price.position == "within" and not d.price.gifting
    assert d.ruleset.name == "red-default" and len(d.ruleset.hash) == 64


def test_missing_is_not_zero(engine: Engine) -> None:
    d = engine.evaluate_one({"id": "k2", "followers": 20000, "total_likes": 80000})
    outcomes = {f.rule: f.outcome for f in d.findings}
    assert outcomes["likes-per-view-band"] == "not_applicable"
    assert d.price.gifting and d.price.position is None and d.price.cpe is None
    na = next(f for f in d.findings if f.rule == "likes-per-view-band")
    assert "not applicable" in na.message


def test_zero_followers_is_evaluated_not_an_error(engine: Engine) -> None:
    d = engine.evaluate_one(
        {"id": "z", "followers": 0, "total_likes": 0, "avg_likes": 0, "avg_comments": 0}
    )
    assert d.tier is None
    assert d.verdict == "review"
    assert d.metrics["likes_per_follower"] is None
    assert {f.rule: f.outcome for f in d.findings}["likes-below-followers"] in {
        "pass",
        "not_applicable",
    }


def test_bad_single_profile_raises_with_reasons(engine: Engine) -> None:
    with pytest.raises(RowInputError) as info:
        engine.evaluate_one({"id": "x", "followers": "lots"})
    assert info.value.error.errors[0].reason == "not a number"
    with pytest.raises(RowInputError, match="empty id"):
        engine.evaluate_one({"followers": 10})


def test_iterable_accounts_for_every_row(engine: Engine) -> None:
    rows = [
        {"id": "a", "followers": 10000, "total_likes": 40000},
        {"id": "a", "followers": 10000, "total_likes": 40000},
        {"id": "", "followers": 1},
        {"id": "b", "followers": -3},
        {"id": "c", "followers": 5000, "avg_views": "many"},
    ]
    report = engine.evaluate(rows)
    assert report.rows_read == 5 and report.accounted()
    assert [e.row for e in report.errors] == [2, 3, 4]
    c = report.decisions[-1]
    assert c.verdict == "review"
    assert c.data_errors[0].reason == "not a number"
    assert c.reasons[0].startswith("data error: column 'avg_views'")


def test_polars_and_pandas_frames(engine: Engine) -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "a", "c"],
            "粉丝数": ["1.2万", "3000", "1", "x"],
            "获赞与收藏": ["5万", "100", "1", "1"],
            "note": ["keep", "me", "too", "!"],
        }
    )
    out = engine.evaluate_frame(frame)
    assert isinstance(out, pl.DataFrame)
    assert out.height == 4
    assert out["note"].to_list() == ["keep", "me", "too", "!"]
    assert out["status"].to_list() == ["evaluated", "evaluated", "error", "error"]
    assert out["verdict"].to_list()[:2] == ["accept", "reject"]
    assert out["rule:likes-below-followers"].to_list()[:2] == ["pass", "fail"]
    assert "duplicate id" in out["error"][2]
    pdf = engine.evaluate_frame(frame.to_pandas())
    assert isinstance(pdf, pd.DataFrame)
    assert list(pdf["verdict"][:2]) == ["accept", "reject"]


def test_numeric_frame_columns(engine: Engine) -> None:
    frame = pl.DataFrame(
        {"id": ["a", "b"], "followers": [20000, 2000], "total_likes": [80000.0, 100.0]}
    )
    out = engine.evaluate_frame(frame)
    assert out["verdict"].to_list() == ["accept", "reject"]


def test_two_engines_with_different_rulesets(tmp_path: Path) -> None:
    red = Engine("red-default", load_entrypoints=False)
    weibo = Engine("weibo-default", load_entrypoints=False)
    assert red.plan.platform.name == "red" and weibo.plan.platform.name == "weibo"
    rs = load_ruleset("weibo-default")
    assert Engine(rs, load_entrypoints=False).ruleset is rs


def test_public_api_is_exported() -> None:
    for name in kolrules.__all__:
        assert hasattr(kolrules, name), name
    assert {"Engine", "load_ruleset", "hookimpl", "Decision", "Platform"} <= set(kolrules.__all__)
