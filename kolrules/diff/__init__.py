"""The impact-diff wing (``kolrules diff``): what changing a ruleset does to the KOLs of
one input.

- :mod:`~kolrules.diff.impact`: :func:`impact` computes it (a :class:`DiffResult`);
- :mod:`~kolrules.diff.display`: the table and the JSON.

This module only hands names on.
"""

from __future__ import annotations

from kolrules.diff.impact import (
    SCORE_EPSILON,
    VERDICT_LABELS,
    DiffResult,
    Flip,
    IncompatibleRulesetsError,
    RuleChange,
    ScoreChange,
    TierChange,
    impact,
)

__all__ = [
    "SCORE_EPSILON",
    "VERDICT_LABELS",
    "DiffResult",
    "Flip",
    "IncompatibleRulesetsError",
    "RuleChange",
    "ScoreChange",
    "TierChange",
    "impact",
]
