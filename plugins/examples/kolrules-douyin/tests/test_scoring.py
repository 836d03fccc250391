"""The scoring strategy cpm_value: a lower CPM scores higher, on a log scale."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kolrules_douyin
import pytest
from kolrules_douyin.scoring import CPM_VALUE

from kolrules import Engine, RulesetError, ScoringParamError
from kolrules.testing import make_engine

WriteRuleset = Callable[[str, str], Path]


def profile(price: float | None, plays: float = 80_000) -> dict[str, Any]:
    out: dict[str, Any] = {"达人ID": "dy-1", "粉丝数": "5.2万", "平均播放": plays}
    if price is not None:
        out["21-60秒视频报价"] = price
    return out


def score(engine: Engine, price: float | None, plays: float = 80_000) -> float | None:
    return engine.evaluate_one(profile(price, plays)).score


def test_the_expression() -> None:
    assert CPM_VALUE.build({}) == (
        f"ifelse(cpm <= 30.0, 100, 100 * log(300.0 / clamp(cpm, 30.0, 300.0)) / {math.log(10)!r})"
    )


def test_cheaper_cpm_scores_higher(engine: Engine) -> None:
    prices = [1_000, 2_400, 4_500, 8_000, 12_000, 20_000, 30_000]  # CPM 12.5 ... 375
    scores = [s for s in (score(engine, p) for p in prices) if s is not None]
    assert len(scores) == len(prices)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 100.0  # at or below good_cpm (30)
    assert scores[-1] == 0.0  # at or above bad_cpm (300)
    assert len(set(scores[1:-1])) == len(scores) - 2  # strictly between


def test_the_log_scale(engine: Engine) -> None:
    # 300 / 10**0.5 = 94.87 RMB per 1,000 plays is halfway on a log scale from 300 to 30.
    assert score(engine, 94.86832980505137 * 80) == pytest.approx(50.0)
    assert score(engine, 4_500) == pytest.approx(100 * math.log10(300 / 56.25))


def test_no_quote_or_no_plays_no_score(engine: Engine) -> None:
    assert score(engine, None) is None
    d = engine.evaluate_one({"达人ID": "dy-1", "粉丝数": "5.2万", "21-60秒视频报价": 4500})
    assert d.score is None


@pytest.mark.parametrize(
    ("params", "key", "message"),
    [
        ({"good": 30}, "good", "unknown parameter 'good'; did you mean 'good_cpm'?"),
        ({"bad_cmp": 30}, "bad_cmp", "did you mean 'bad_cpm'?"),
        ({"good_cpm": 0}, "good_cpm", "must be greater than 0 RMB, got 0"),
        ({"good_cpm": "30"}, "good_cpm", "must be a number, not str '30'"),
        ({"good_cpm": 300, "bad_cpm": 30}, "bad_cpm", "must be greater than good_cpm (300)"),
        ({"bad_cpm": 30}, "bad_cpm", "must be greater than good_cpm (30), got 30"),
        ({"bad_cpm": float("nan")}, "bad_cpm", "must be a finite number"),
    ],
)
def test_bad_params(params: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ScoringParamError) as caught:
        CPM_VALUE.build(params)
    assert caught.value.key == key
    assert message in caught.value.message


def test_bad_scoring_params_are_a_ruleset_error(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset(
        "inverted",
        'extends = "douyin-default"\n\n[scoring.params]\ngood_cpm = 300\nbad_cpm = 30\n',
    )
    with pytest.raises(RulesetError) as caught:
        make_engine(path, plugins=[kolrules_douyin])
    [issue] = caught.value.issues
    assert issue.key == "scoring.params.bad_cpm"
    assert "must be greater than good_cpm (300), got 30" in issue.message


def test_a_strategy_no_plugin_provides_lists_those_available(
    write_ruleset: WriteRuleset,
) -> None:
    path = write_ruleset(
        "unknown-strategy", 'extends = "douyin-default"\n\n[scoring]\nstrategy = "cpm_valeu"\n'
    )
    with pytest.raises(RulesetError) as caught:
        make_engine(path, plugins=[kolrules_douyin])
    [issue] = caught.value.issues
    assert issue.key == "scoring.strategy"
    assert "unknown scoring strategy 'cpm_valeu'" in issue.message
    for available in ("cpm_value", "weighted", "cost_efficiency"):
        assert available in issue.message


def test_the_strategy_needs_the_plugin(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset(
        "red-by-cpm",
        'extends = "red-default"\n\n[scoring]\nstrategy = "cpm_value"\n',
    )
    with pytest.raises(RulesetError, match="unknown scoring strategy 'cpm_value'"):
        make_engine(path)


def test_an_overlay_changes_the_range(write_ruleset: WriteRuleset) -> None:
    path = write_ruleset(
        "tight", 'extends = "douyin-default"\n\n[scoring.params]\ngood_cpm = 50\nbad_cpm = 100\n'
    )
    engine = make_engine(path, plugins=[kolrules_douyin])
    assert score(engine, 4_000) == 100.0  # CPM 50
    assert score(engine, 8_000) == 0.0  # CPM 100
