"""kolrules' first-party scoring strategies: ``weighted`` and ``cost_efficiency``.

A scorer never runs per row: its ``build(params)`` checks the ruleset's ``[scoring.params]``
once and returns the score as one expression in the kolrules expression language, which the
engine compiles like any rule. See ``docs/rulesets.md``, section "Scoring".
"""

from __future__ import annotations

import difflib
import keyword
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from kolrules.errors import ScoringParamError
from kolrules.hookspecs import hookimpl
from kolrules.types import Scorer

__all__ = ["COST_EFFICIENCY", "WEIGHTED", "build_cost_efficiency", "build_weighted"]

_SCALES = ("linear", "log")
_WEIGHTED_KEYS = ("metrics",)
_METRIC_KEYS = ("weight", "low", "high", "scale")
_COST_DEFAULTS: Mapping[str, float] = {"low": 0.01, "high": 1.0, "gifting_cost": 300.0}
#: Words of the expression language that cannot name a metric.
_RESERVED = frozenset({"and", "or", "not", "in", "true", "false"})


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check_keys(table: Mapping[str, Any], valid: Iterable[str], prefix: str = "") -> None:
    """Refuse a key that is not in ``valid``, suggesting the closest valid one."""
    valid = tuple(valid)
    for key in table:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(valid)}"
            raise ScoringParamError(_path(prefix, str(key)), f"unknown parameter {key!r}; {hint}")


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScoringParamError(key, f"must be a table, not {type(value).__name__}")
    return value


def _number(table: Mapping[str, Any], key: str, prefix: str, default: float | None = None) -> float:
    """Read a finite number (an int or a float, never a bool) from ``table``."""
    where = _path(prefix, key)
    if key not in table:
        if default is None:
            raise ScoringParamError(where, f"{key!r} is required")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScoringParamError(where, f"must be a number, not {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ScoringParamError(where, f"must be a finite number, not {value!r}")
    return float(value)


def _positive(
    table: Mapping[str, Any], key: str, prefix: str, default: float | None = None
) -> float:
    value = _number(table, key, prefix, default)
    if value <= 0:
        raise ScoringParamError(_path(prefix, key), f"must be greater than 0, got {value:g}")
    return value


def _num(value: float) -> str:
    """Write ``value`` as a plain decimal literal (never ``1e-05``); negatives in parentheses."""
    text = format(Decimal(repr(float(value))), "f")
    if "." not in text:
        text += ".0"
    return f"({text})" if text.startswith("-") else text


def _normalised(value: str, low: float, high: float, scale: str) -> str:
    """The expression ``value`` mapped onto 0..1 between ``low`` (0) and ``high`` (1).

    The value is clamped into the range first, so a log scale never takes the log of 0.
    """
    lo, hi = _num(min(low, high)), _num(max(low, high))
    clamped = f"clamp({value}, {lo}, {hi})"
    if scale == "log":
        return f"log({clamped} / {_num(low)}) / {_num(math.log(high / low))}"
    return f"({clamped} - {_num(low)}) / {_num(high - low)}"


def _sum(terms: list[str]) -> str:
    """``terms`` added as a balanced tree, so many metrics do not nest deeply."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    right = _sum(terms[half:])
    return f"{_sum(terms[:half])} + {right if len(terms) - half == 1 else f'({right})'}"


def build_weighted(params: Mapping[str, Any]) -> str:
    """Build the ``weighted`` score: 100 times the weighted mean of the normalised metrics.

    A missing metric counts in neither sum, so the other weights are renormalised; when
    every metric is missing the division by 0 makes the score missing.
    """
    _check_keys(params, _WEIGHTED_KEYS)
    metrics = _table(params.get("metrics", {}), "metrics")
    if not metrics:
        raise ScoringParamError(
            "metrics",
            "give at least one metric: [scoring.params.metrics.<name>] with weight, low and high",
        )
    numerator: list[str] = []
    denominator: list[str] = []
    for key, entry in metrics.items():
        name = str(key)
        prefix = f"metrics.{name}"
        if not name.isidentifier() or keyword.iskeyword(name) or name.lower() in _RESERVED:
            raise ScoringParamError(prefix, f"{name!r} is not a metric name an expression can use")
        entry = _table(entry, prefix)
        _check_keys(entry, _METRIC_KEYS, prefix)
        weight = _positive(entry, "weight", prefix)
        low = _number(entry, "low", prefix)
        high = _number(entry, "high", prefix)
        scale = entry.get("scale", "linear")
        if scale not in _SCALES:
            raise ScoringParamError(f"{prefix}.scale", f"must be 'linear' or 'log', not {scale!r}")
        if low == high:
            raise ScoringParamError(f"{prefix}.high", f"must differ from low (both are {low:g})")
        if scale == "log":
            for key, value in (("low", low), ("high", high)):
                if value <= 0:
                    raise ScoringParamError(
                        f"{prefix}.{key}", f"must be greater than 0 on a log scale, got {value:g}"
                    )
        term = _normalised(name, low, high, scale)
        numerator.append(f"ifelse(present({name}), {_num(weight)} * {term}, 0)")
        denominator.append(f"ifelse(present({name}), {_num(weight)}, 0)")
    return f"100 * ({_sum(numerator)}) / ({_sum(denominator)})"


def build_cost_efficiency(params: Mapping[str, Any]) -> str:
    """Build the ``cost_efficiency`` score: engagements per RMB on a log scale.

    The cost is the quote, or ``gifting_cost`` for a profile without one (a gifting
    candidate). Scores 0 at or below ``low`` engagements per RMB and 100 at or above ``high``.
    """
    _check_keys(params, _COST_DEFAULTS)
    low = _positive(params, "low", "", _COST_DEFAULTS["low"])
    high = _positive(params, "high", "", _COST_DEFAULTS["high"])
    gifting = _positive(params, "gifting_cost", "", _COST_DEFAULTS["gifting_cost"])
    if high <= low:
        raise ScoringParamError("high", f"must be greater than low ({low:g}), got {high:g}")
    per_rmb = f"engagement / coalesce(price, {_num(gifting)})"
    return f"100 * {_normalised(per_rmb, low, high, 'log')}"


WEIGHTED = Scorer(
    name="weighted",
    build=build_weighted,
    description=(
        "Weighted mean of normalised metrics, 0-100: each metric scores 0 at `low` and 100 at "
        "`high` (linear or log scale; high < low means lower is better); missing metrics are "
        "left out and the other weights renormalised."
    ),
)
COST_EFFICIENCY = Scorer(
    name="cost_efficiency",
    build=build_cost_efficiency,
    description=(
        "Expected engagements per RMB (engagement / price) on a log scale, 0 at `low` "
        "(default 0.01) and 100 at `high` (default 1); a profile without a quote is priced "
        "at `gifting_cost` (default 300 RMB)."
    ),
)


@hookimpl
def kolrules_scorers_register() -> Iterable[Scorer]:
    """Register the ``weighted`` and ``cost_efficiency`` scoring strategies."""
    return (WEIGHTED, COST_EFFICIENCY)
