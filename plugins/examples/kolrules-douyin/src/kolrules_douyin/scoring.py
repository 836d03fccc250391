"""The scoring strategy ``cpm_value``: the cost per 1,000 plays on a log scale.

The score is 100 at or below ``good_cpm`` and 0 at or above ``bad_cpm`` (RMB per 1,000
plays), on a log scale in between, so halving the CPM gains as many points anywhere in the
range::

    100 * log(bad_cpm / clamp(cpm, good_cpm, bad_cpm)) / log(bad_cpm / good_cpm)

``cpm`` is the platform's metric (``price / avg_views * 1000``, the 21-60 s quote). A
profile without a quote or without plays has no CPM, hence no score.

Defaults: [technode-2018] reports a rule of thumb of about RMB 0.03 per fan as Xingtu's
base price (2018, B). With plays equal to followers that is RMB 30 per 1,000 plays
(``good_cpm``); with plays at a tenth of the followers it is RMB 300 (``bad_cpm``). The
ratio of plays to followers is a kolrules example default, unverified: set both from your
own campaigns' CPMs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kolrules import Scorer, ScoringParamError
from kolrules_douyin.params import check_keys, literal, number

__all__ = ["CPM_VALUE", "DEFAULTS", "build_cpm_value"]

#: The parameters and their defaults, RMB per 1,000 plays.
DEFAULTS: Mapping[str, float] = {"good_cpm": 30.0, "bad_cpm": 300.0}


def build_cpm_value(params: Mapping[str, Any]) -> str:
    """Build the score expression (see the module's docstring)."""
    check_keys(params, DEFAULTS, ScoringParamError)
    good = number(params, "good_cpm", DEFAULTS["good_cpm"], ScoringParamError)
    bad = number(params, "bad_cpm", DEFAULTS["bad_cpm"], ScoringParamError)
    if good <= 0:
        raise ScoringParamError("good_cpm", f"must be greater than 0 RMB, got {good:g}")
    if bad <= good:
        raise ScoringParamError(
            "bad_cpm",
            f"must be greater than good_cpm ({good:g}), got {bad:g}: a lower CPM is better",
        )
    g, b = literal(good), literal(bad)
    # kolrules computes a division by a constant as a multiplication by its reciprocal,
    # which can miss 100 by a rounding step at good_cpm: the ifelse makes it exact.
    scaled = f"100 * log({b} / clamp(cpm, {g}, {b})) / {literal(math.log(bad / good))}"
    return f"ifelse(cpm <= {g}, 100, {scaled})"


CPM_VALUE = Scorer(
    name="cpm_value",
    build=build_cpm_value,
    description=(
        "Cost per 1,000 plays (metric cpm), lower is better, on a log scale: 100 at or "
        "below `good_cpm` (default 30 RMB), 0 at or above `bad_cpm` (default 300 RMB); "
        "no score without a quote or plays."
    ),
)
