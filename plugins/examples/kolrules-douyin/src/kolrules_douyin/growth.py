"""The rule kind ``follower_growth_spike``: a sudden rise in the follower history.

Bought followers show up as sudden rises, "hockey-stick" growth, in the followers graph
([hypeauditor-aqs], A; Xingtu's 涨粉指数 follower-growth index, [xingtu]); no numeric
spike threshold is published ([hypeauditor-aqs]), so the
default ``max_jump`` of 0.5 (a rise of more than 50 % between two points) is a kolrules
example default, unverified.

The kind reads the metric ``fans_max_jump``, which this plugin derives from the text field
``fans_history`` of the Douyin platform (see :mod:`kolrules_douyin.history`), so it works
in rulesets for the ``douyin`` platform only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kolrules import RuleKind, RuleParamError, RuleParts
from kolrules_douyin.history import METRIC
from kolrules_douyin.params import check_keys, literal, number

__all__ = ["DEFAULTS", "FOLLOWER_GROWTH_SPIKE", "build_follower_growth_spike"]

#: The parameters and their defaults.
DEFAULTS: Mapping[str, float] = {"max_jump": 0.5, "min_followers": 0.0}


def build_follower_growth_spike(params: Mapping[str, Any]) -> RuleParts:
    """Build the rule: ``fans_max_jump <= max_jump``, for accounts with at least
    ``min_followers`` followers (no ``when`` at all when it is 0)."""
    check_keys(params, DEFAULTS, RuleParamError)
    max_jump = number(params, "max_jump", DEFAULTS["max_jump"], RuleParamError)
    if max_jump <= 0:
        raise RuleParamError(
            "max_jump", f"must be greater than 0 (0.5 means a rise of 50 %), got {max_jump:g}"
        )
    min_followers = number(params, "min_followers", DEFAULTS["min_followers"], RuleParamError)
    if min_followers < 0:
        raise RuleParamError("min_followers", f"must be 0 or more, got {min_followers:g}")
    when = f"followers >= {literal(min_followers)}" if min_followers > 0 else None
    return RuleParts(
        require=f"{METRIC} <= {literal(max_jump)}",
        when=when,
        message=(
            f"followers rose {{{METRIC}:.0%}} between two points of the follower history, "
            f"more than {max_jump * 100:g}%: check for bought followers"
        ),
    )


FOLLOWER_GROWTH_SPIKE = RuleKind(
    name="follower_growth_spike",
    build=build_follower_growth_spike,
    description=(
        "Douyin only. Fails when the follower history (fans_history) rises by more than "
        "`max_jump` (default 0.5, i.e. 50 %) between two successive points; checks "
        "accounts with at least `min_followers` followers (default 0). Not applicable "
        "without a readable history of two points or more."
    ),
)
