"""Tests of the first-party scoring plugin (kolrules_scoring).

The builders return expressions in the kolrules expression language. These tests check
them without the engine: the strings must parse as Python expressions using only what the
language allows, and a tiny test-only evaluator (missing = ``None``, propagated through
arithmetic and functions, division by zero and ``log`` of a non-positive number give
missing) computes the score on hand-worked profiles.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import pluggy
import pytest

import kolrules.hookspecs
from kolrules.errors import ScoringParamError
from kolrules.types import Scorer
from kolrules_scoring import build_cost_efficiency, build_weighted

# -- a tiny evaluator of the expression language, for these tests only ----------------------


def _none_in(args: tuple[Any, ...]) -> bool:
    return any(a is None for a in args)


def _log(x: float | None) -> float | None:
    return None if x is None or x <= 0 else math.log(x)


def _clamp(x: float | None, low: float | None, high: float | None) -> float | None:
    return None if _none_in((x, low, high)) else min(max(x, low), high)  # type: ignore[type-var]


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "min": lambda *a: None if _none_in(a) else min(a),
    "max": lambda *a: None if _none_in(a) else max(a),
    "abs": lambda x: None if x is None else abs(x),
    "log": _log,
    "missing": lambda x: x is None,
    "present": lambda x: x is not None,
    "coalesce": lambda *a: next((v for v in a if v is not None), None),
    "clamp": _clamp,
    "ifelse": lambda c, a, b: None if c is None else (a if c else b),
}
BINARY: Mapping[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
NUMBER = re.compile(r"\d+(\.\d+)?")


def evaluate(source: str, names: Mapping[str, float | None]) -> Any:
    """Evaluate ``source`` with ``names``; missing names are missing."""
    tree = ast.parse(source, mode="eval")

    def ev(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float), node.value
            literal = ast.get_source_segment(source, node)
            assert literal is not None
            assert NUMBER.fullmatch(literal), f"not a plain decimal literal: {literal!r}"
            return node.value
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = ev(node.operand)
            return None if value is None else -value
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left, right = ev(node.left), ev(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Div) and right == 0:
                return None
            return BINARY[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id in FUNCTIONS, f"function not in the language: {node.func.id}"
            assert not node.keywords
            return FUNCTIONS[node.func.id](*(ev(a) for a in node.args))
        raise AssertionError(f"construct not used by scorers: {ast.dump(node)}")

    return ev(tree.body)


def metric(low: float, high: float, weight: float = 1, **extra: Any) -> dict[str, Any]:
    return {"weight": weight, "low": low, "high": high, **extra}


# -- weighted --------------------------------------------------------------------------------


def test_weighted_one_metric_at_midpoint_scores_50() -> None:
    expr = build_weighted({"metrics": {"likes_per_follower": metric(1, 5)}})
    assert evaluate(expr, {"likes_per_follower": 3}) == 50.0


@pytest.mark.parametrize(
    ("value", "score"), [(0.5, 0.0), (1, 0.0), (2, 25.0), (5, 100.0), (9, 100.0)]
)
def test_weighted_clamps_outside_low_high(value: float, score: float) -> None:
    expr = build_weighted({"metrics": {"likes_per_follower": metric(1, 5)}})
    assert evaluate(expr, {"likes_per_follower": value}) == pytest.approx(score)


def test_weighted_log_scale() -> None:
    expr = build_weighted({"metrics": {"followers": metric(1_000, 100_000, scale="log")}})
    assert evaluate(expr, {"followers": 10_000}) == pytest.approx(50.0)
    assert evaluate(expr, {"followers": 1_000}) == pytest.approx(0.0)
    assert evaluate(expr, {"followers": 1_000_000}) == pytest.approx(100.0)


def test_weighted_log_scale_of_zero_scores_0_not_missing() -> None:
    expr = build_weighted({"metrics": {"engagement_rate": metric(0.001, 0.1, scale="log")}})
    assert evaluate(expr, {"engagement_rate": 0}) == pytest.approx(0.0)


def test_weighted_lower_is_better() -> None:
    expr = build_weighted({"metrics": {"cpe": metric(0.5, 0.1)}})
    assert evaluate(expr, {"cpe": 0.2}) == pytest.approx(75.0)
    assert evaluate(expr, {"cpe": 0.05}) == pytest.approx(100.0)
    assert evaluate(expr, {"cpe": 0.9}) == pytest.approx(0.0)


def test_weighted_lower_is_better_on_log_scale() -> None:
    expr = build_weighted({"metrics": {"cpe": metric(100, 1, scale="log")}})
    assert evaluate(expr, {"cpe": 10}) == pytest.approx(50.0)
    assert evaluate(expr, {"cpe": 1}) == pytest.approx(100.0)


def test_weighted_mean_of_two_metrics() -> None:
    params = {"metrics": {"a": metric(0, 10, weight=1), "b": metric(0, 1, weight=3)}}
    expr = build_weighted(params)
    # a scores 0.2, b scores 0.6: (1 * 0.2 + 3 * 0.6) / 4 = 0.5
    assert evaluate(expr, {"a": 2, "b": 0.6}) == pytest.approx(50.0)


def test_weighted_missing_metric_renormalises_the_weights() -> None:
    params = {"metrics": {"a": metric(0, 10, weight=1), "b": metric(0, 1, weight=3)}}
    expr = build_weighted(params)
    assert evaluate(expr, {"a": 2, "b": None}) == pytest.approx(20.0)
    assert evaluate(expr, {"a": None, "b": 0.6}) == pytest.approx(60.0)
    assert evaluate(expr, {}) is None


def test_weighted_many_metrics_stay_shallow() -> None:
    params = {"metrics": {f"m{i}": metric(0, 1, weight=i + 1) for i in range(9)}}
    expr = build_weighted(params)
    values = {f"m{i}": 1.0 for i in range(9)}
    assert evaluate(expr, values) == pytest.approx(100.0)
    values["m8"] = 0.0  # weight 9 of 45
    assert evaluate(expr, values) == pytest.approx(100 * 36 / 45)

    def depth(node: ast.AST) -> int:
        kids = [k for k in ast.iter_child_nodes(node) if isinstance(k, ast.expr)]
        return 1 + max((depth(k) for k in kids), default=0)

    assert depth(ast.parse(expr, mode="eval").body) <= 14


def test_weighted_writes_small_and_large_numbers_without_exponents() -> None:
    expr = build_weighted({"metrics": {"x": metric(0.00001, 1e20, weight=0.5)}})
    assert "e-" not in expr
    assert "e+" not in expr
    assert "0.00001" in expr
    assert "100000000000000000000.0" in expr
    assert evaluate(expr, {"x": 0.00001}) == pytest.approx(0.0)


def test_weighted_negative_bounds_are_parenthesised() -> None:
    expr = build_weighted({"metrics": {"growth": metric(-1, 1)}})
    assert "(-1.0)" in expr
    assert evaluate(expr, {"growth": 0}) == pytest.approx(50.0)


# -- cost_efficiency -------------------------------------------------------------------------


def test_cost_efficiency_paid() -> None:
    expr = build_cost_efficiency({})
    # 100 engagements for 1,000 RMB = 0.1 per RMB, half-way between 0.01 and 1 on a log scale
    assert evaluate(expr, {"engagement": 100, "price": 1_000}) == pytest.approx(50.0)
    assert evaluate(expr, {"engagement": 2_000, "price": 1_000}) == pytest.approx(100.0)
    assert evaluate(expr, {"engagement": 5, "price": 1_000}) == pytest.approx(0.0)


def test_cost_efficiency_gifting_uses_gifting_cost() -> None:
    expr = build_cost_efficiency({})
    assert evaluate(expr, {"engagement": 30, "price": None}) == pytest.approx(50.0)
    expr = build_cost_efficiency({"gifting_cost": 30})
    assert evaluate(expr, {"engagement": 30, "price": None}) == pytest.approx(100.0)
    assert evaluate(expr, {"engagement": 3, "price": None}) == pytest.approx(50.0)


def test_cost_efficiency_custom_range_and_missing_engagement() -> None:
    expr = build_cost_efficiency({"low": 0.001, "high": 0.1})
    assert evaluate(expr, {"engagement": 10, "price": 1_000}) == pytest.approx(50.0)
    assert evaluate(expr, {"engagement": 0, "price": 1_000}) == pytest.approx(0.0)
    assert evaluate(expr, {"engagement": None, "price": 1_000}) is None


# -- parameter errors ------------------------------------------------------------------------

NO_METRICS = "give at least one metric: [scoring.params.metrics.<name>] with weight, low and high"


def er(**entry: Any) -> dict[str, Any]:
    """Params with one metric ``er`` whose entry is ``entry``."""
    return {"metrics": {"er": entry}}


W_ERRORS = [
    ({}, "metrics", NO_METRICS),
    ({"metrics": {}}, "metrics", NO_METRICS),
    ({"metric": {}}, "metric", "unknown parameter 'metric'; did you mean 'metrics'?"),
    ({"metrics": 3}, "metrics", "must be a table, not int"),
    ({"metrics": {"er": 3}}, "metrics.er", "must be a table, not int"),
    (
        er(wieght=1, low=0, high=1),
        "metrics.er.wieght",
        "unknown parameter 'wieght'; did you mean 'weight'?",
    ),
    (
        er(weight=1, low=0, high=1, zzz=1),
        "metrics.er.zzz",
        "unknown parameter 'zzz'; valid keys: weight, low, high, scale",
    ),
    (er(low=0, high=1), "metrics.er.weight", "'weight' is required"),
    (er(weight=1, high=1), "metrics.er.low", "'low' is required"),
    (er(weight=1, low=0), "metrics.er.high", "'high' is required"),
    (er(weight=0, low=0, high=1), "metrics.er.weight", "must be greater than 0, got 0"),
    (er(weight=-2, low=0, high=1), "metrics.er.weight", "must be greater than 0, got -2"),
    (er(weight="2", low=0, high=1), "metrics.er.weight", "must be a number, not str '2'"),
    (er(weight=True, low=0, high=1), "metrics.er.weight", "must be a number, not bool True"),
    (er(weight=1, low=0, high=math.inf), "metrics.er.high", "must be a finite number, not inf"),
    (er(weight=1, low=2, high=2), "metrics.er.high", "must differ from low (both are 2)"),
    (
        er(weight=1, low=0, high=1, scale="logarithmic"),
        "metrics.er.scale",
        "must be 'linear' or 'log', not 'logarithmic'",
    ),
    (
        er(weight=1, low=0, high=1, scale="log"),
        "metrics.er.low",
        "must be greater than 0 on a log scale, got 0",
    ),
    (
        er(weight=1, low=1, high=-1, scale="log"),
        "metrics.er.high",
        "must be greater than 0 on a log scale, got -1",
    ),
    (
        {"metrics": {"er rate": metric(0, 1)}},
        "metrics.er rate",
        "'er rate' is not a metric name an expression can use",
    ),
    (
        {"metrics": {"and": metric(0, 1)}},
        "metrics.and",
        "'and' is not a metric name an expression can use",
    ),
]


@pytest.mark.parametrize(("params", "key", "message"), W_ERRORS)
def test_weighted_param_errors(params: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ScoringParamError) as info:
        build_weighted(params)
    assert info.value.key == key
    assert info.value.message == message
    assert str(info.value) == f"scoring.params.{key}: {message}"


C_ERRORS = [
    ({"hihg": 2}, "hihg", "unknown parameter 'hihg'; did you mean 'high'?"),
    ({"gifting": 200}, "gifting", "unknown parameter 'gifting'; did you mean 'gifting_cost'?"),
    ({"low": 0}, "low", "must be greater than 0, got 0"),
    ({"low": "0.1"}, "low", "must be a number, not str '0.1'"),
    ({"high": 0.005}, "high", "must be greater than low (0.01), got 0.005"),
    ({"low": 1, "high": 1}, "high", "must be greater than low (1), got 1"),
    ({"gifting_cost": -300}, "gifting_cost", "must be greater than 0, got -300"),
    ({"gifting_cost": math.nan}, "gifting_cost", "must be a finite number, not nan"),
]


@pytest.mark.parametrize(("params", "key", "message"), C_ERRORS)
def test_cost_efficiency_param_errors(params: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ScoringParamError) as info:
        build_cost_efficiency(params)
    assert info.value.key == key
    assert info.value.message == message


# -- registration ----------------------------------------------------------------------------


def test_plugin_registers_both_scorers_through_pluggy() -> None:
    import kolrules_scoring

    pm = pluggy.PluginManager("kolrules")
    pm.add_hookspecs(kolrules.hookspecs)
    pm.register(kolrules_scoring)
    pm.check_pending()
    scorers = [s for batch in pm.hook.kolrules_scorers_register() for s in batch]
    assert all(isinstance(s, Scorer) for s in scorers)
    assert {s.name: s.build for s in scorers} == {
        "weighted": build_weighted,
        "cost_efficiency": build_cost_efficiency,
    }
    assert all(s.description for s in scorers)
