"""red-default in rule-engine (PyPI ``rule-engine``): one ``rule_engine.Rule`` per rule.

Every step is a compiled ``Rule`` whose ``evaluate(thing)`` gives a value: the tier and its
band, the metrics, then one rule outcome code per red-default rule (pass 0, fail 1, not
applicable 2, unknown 3), then the verdict. Each result is stored in the profile's dict
under the step's name, so later rules read earlier ones by name. rule-engine raises on
``null >= 3``, so every comparison says what a missing input means, as kolrules does.

The input is :func:`.hand_python.context`: a profile's typed values plus ``data_errors``
(the same input zen-engine gets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _red as red


def _num(value: float) -> str:
    return repr(float(value))


def _div(a: str, b: str) -> str:
    return f"({a} != null and {b} != null and {b} != 0) ? ({a} / {b}) : null"


def _outcome(value: str, test: str) -> str:
    return f"{value} == null ? {red.UNKNOWN} : (({test}) ? {red.PASS} : {red.FAIL})"


def _when(condition: str, code: str) -> str:
    return f"({condition}) ? ({code}) : {red.NOT_APPLICABLE}"


def _name(rule_id: str) -> str:
    return "r_" + rule_id.replace("-", "_")


def steps() -> list[tuple[str, str]]:
    """(name, rule text) in evaluation order."""
    tier = "null"
    band_min = "null"
    band_max = "null"
    for name, low, high, pmin, pmax in reversed(red.TIERS):
        inside = f"followers >= {_num(low)}" + (
            f" and followers < {_num(high)}" if high is not None else ""
        )
        tier = f"({inside}) ? '{name}' : ({tier})"
        band_min = f"({inside}) ? {'null' if pmin is None else _num(pmin)} : ({band_min})"
        band_max = f"({inside}) ? {'null' if pmax is None else _num(pmax)} : ({band_max})"
    p = red.PARAMS
    out = [
        ("tier", f"followers == null ? null : ({tier})"),
        ("band_min", f"followers == null ? null : ({band_min})"),
        ("band_max", f"followers == null ? null : ({band_max})"),
        ("lpf", _div("total_likes", "followers")),
        (
            "epp",
            "(avg_likes != null and avg_collects != null and avg_comments != null)"
            " ? (avg_likes + avg_collects + avg_comments) : null",
        ),
        ("er", _div("epp", "followers")),
        ("lpv", _div("avg_likes", "avg_views")),
        ("cpl", _div("avg_comments", "avg_likes")),
        ("engagement", "median_interactions != null ? median_interactions : epp"),
        ("cpe", _div("price", "engagement")),
        ("r_tier_known", f"tier != null ? {red.PASS} : {red.FAIL}"),
        (
            "r_likes_below_followers",
            _outcome("lpf", f"lpf >= {_num(p['fake_likes_per_follower'])}"),
        ),
        (
            "r_likes_per_follower_low",
            _outcome("lpf", f"lpf >= {_num(p['min_likes_per_follower'])}"),
        ),
        (
            "r_likes_per_view_band",
            _when(
                "avg_views != null",
                _outcome(
                    "lpv",
                    f"lpv >= {_num(p['min_likes_per_view'])}"
                    f" and lpv <= {_num(p['max_likes_per_view'])}",
                ),
            ),
        ),
        (
            "r_few_comments",
            _when(
                f"avg_likes != null and avg_likes >= {_num(p['comment_check_min_likes'])}",
                _outcome("cpl", f"cpl >= {_num(p['min_comments_per_like'])}"),
            ),
        ),
        (
            "r_engagement_rate_low",
            _when("tier == 'micro'", _outcome("er", f"er >= {_num(p['min_engagement_rate'])}")),
        ),
        ("r_few_posts", _outcome("posts", f"posts >= {_num(p['min_posts'])}")),
        (
            "r_cross_platform_young",
            _when(
                "origin == 'cross_platform'",
                _outcome(
                    "account_age_days",
                    f"account_age_days >= {_num(p['min_cross_platform_age_days'])}",
                ),
            ),
        ),
        (
            "r_celebrity_endorsement",
            f"(origin == 'celebrity' or tier == 'celebrity') ? {red.FAIL} : {red.PASS}",
        ),
        ("r_gifting_candidate", f"price != null ? {red.PASS} : {red.FAIL}"),
        (
            "r_price_outside_usual_range",
            _when(
                f"price != null and price <= {_num(p['roi_price_limit'])}",
                _outcome(
                    "price",
                    f"price >= {_num(p['paid_price_min'])}"
                    f" and price <= {_num(p['paid_price_max'])}",
                ),
            ),
        ),
        ("r_price_above_roi_limit", _outcome("price", f"price <= {_num(p['roi_price_limit'])}")),
        (
            "r_price_above_tier_band",
            f"(price == null or band_max == null) ? {red.UNKNOWN}"
            f" : ((price <= band_max) ? {red.PASS} : {red.FAIL})",
        ),
        (
            "r_price_below_tier_band",
            f"(price == null or band_min == null) ? {red.UNKNOWN}"
            f" : ((price >= band_min) ? {red.PASS} : {red.FAIL})",
        ),
    ]
    warns = " + ".join(
        f"({_name(rule_id)} == {red.FAIL} ? 1 : 0)" for rule_id, sev in red.RULES if sev == "warn"
    )
    reviews = " or ".join(
        f"{_name(rule_id)} == {red.FAIL}" for rule_id, sev in red.RULES if sev == "review"
    )
    rejects = " or ".join(
        f"{_name(rule_id)} == {red.FAIL}" for rule_id, sev in red.RULES if sev == "reject"
    )
    ((_, warn_count, _),) = red.ESCALATE
    out += [
        ("warnings", warns),
        (
            "verdict",
            f"({rejects}) ? 'reject' : (({reviews} or warnings >= {warn_count} or data_errors)"
            " ? 'review' : 'accept')",
        ),
    ]
    return out


class Peer:
    """The compiled rules; :meth:`evaluate` runs them on one profile."""

    def __init__(self) -> None:
        import rule_engine

        context = rule_engine.Context(default_value=None)
        self.rules = [(name, rule_engine.Rule(text, context=context)) for name, text in steps()]
        self.codes = [_name(rule_id) for rule_id in red.RULE_IDS]

    def evaluate(self, ctx: Mapping[str, Any]) -> red.PeerResult:
        """Verdict, tier, rule outcome codes, band and CPE of one profile.

        rule-engine computes with ``decimal.Decimal`` (28 significant digits): the CPE,
        a quotient of two whole numbers here, converts back to the float kolrules computes
        (``float(Decimal)`` rounds correctly, and 28 digits are more than enough to round
        the quotient of numbers below 2**30 as IEEE division does)."""
        thing = dict(ctx)
        for name, rule in self.rules:
            thing[name] = rule.evaluate(thing)
        return red.PeerResult(
            thing["verdict"],
            thing["tier"],
            tuple(int(thing[c]) for c in self.codes),
            _float(thing["band_min"]),
            _float(thing["band_max"]),
            _float(thing["cpe"]),
        )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
