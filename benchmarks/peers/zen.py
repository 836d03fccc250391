"""red-default as a zen-engine (GoRules) decision graph, evaluated through its fast path.

The JDM graph (:func:`graph`) is built in code: an input node, one expression node that
computes the tier, the metrics, one outcome code per rule and the verdict (each key can
read the ones before it as ``$.key``), and an output node. ZEN expressions fail on
``null >= 3``, so every comparison says what a missing input means, as kolrules does.

The engine is made once with a loader (``ZenEngine({"loader": ...})``, the static loader
that holds the parsed graph) and called with ``engine.evaluate(KEY, context)`` per profile
or ``engine.evaluate_batch(requests)`` for many: zen-engine's documented fast path.
``create_decision(...).evaluate`` is not used (a known ~30x regression), nor a Python
loader callback (zen-engine calls it again on every ``evaluate``).

The context is a profile's typed values from :func:`.hand_python.normalise` plus
``data_errors`` (:func:`.hand_python.context`): reading export text (``1.2万``) is not the
rules engine's job here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from . import _red as red

KEY = "red-default.json"


def _key(rule_id: str) -> str:
    return "r_" + rule_id.replace("-", "_")


def _div(a: str, b: str) -> str:
    return f"({a} != null and {b} != null and {b} != 0 ? {a} / {b} : null)"


def _outcome(value: str, test: str) -> str:
    """Pass / fail on ``test``, unknown when ``value`` (what it reads) is missing."""
    return f"({value} == null ? {red.UNKNOWN} : ({test} ? {red.PASS} : {red.FAIL}))"


def _when(condition: str, code: str) -> str:
    return f"({condition} ? {code} : {red.NOT_APPLICABLE})"


def _num(value: float) -> str:
    return repr(float(value))


def expressions() -> list[tuple[str, str]]:
    """(key, ZEN expression) in evaluation order."""
    tier = "null"
    band_min = "null"
    band_max = "null"
    for name, low, high, pmin, pmax in reversed(red.TIERS):
        inside = f"followers >= {_num(low)}" + (
            f" and followers < {_num(high)}" if high is not None else ""
        )
        tier = f"({inside} ? '{name}' : {tier})"
        band_min = f"({inside} ? {'null' if pmin is None else _num(pmin)} : {band_min})"
        band_max = f"({inside} ? {'null' if pmax is None else _num(pmax)} : {band_max})"
    p = red.PARAMS
    out = [
        ("tier", f"(followers == null ? null : {tier})"),
        ("band_min", f"(followers == null ? null : {band_min})"),
        ("band_max", f"(followers == null ? null : {band_max})"),
        ("lpf", _div("total_likes", "followers")),
        (
            "epp",
            "(avg_likes != null and avg_collects != null and avg_comments != null"
            " ? avg_likes + avg_collects + avg_comments : null)",
        ),
        ("er", _div("$.epp", "followers")),
        ("lpv", _div("avg_likes", "avg_views")),
        ("cpl", _div("avg_comments", "avg_likes")),
        ("engagement", "(median_interactions != null ? median_interactions : $.epp)"),
        ("cpe", _div("price", "$.engagement")),
        ("r_tier_known", f"($.tier != null ? {red.PASS} : {red.FAIL})"),
        (
            "r_likes_below_followers",
            _outcome("$.lpf", f"$.lpf >= {_num(p['fake_likes_per_follower'])}"),
        ),
        (
            "r_likes_per_follower_low",
            _outcome("$.lpf", f"$.lpf >= {_num(p['min_likes_per_follower'])}"),
        ),
        (
            "r_likes_per_view_band",
            _when(
                "avg_views != null",
                _outcome(
                    "$.lpv",
                    f"$.lpv >= {_num(p['min_likes_per_view'])}"
                    f" and $.lpv <= {_num(p['max_likes_per_view'])}",
                ),
            ),
        ),
        (
            "r_few_comments",
            _when(
                f"avg_likes != null and avg_likes >= {_num(p['comment_check_min_likes'])}",
                _outcome("$.cpl", f"$.cpl >= {_num(p['min_comments_per_like'])}"),
            ),
        ),
        (
            "r_engagement_rate_low",
            _when(
                "$.tier == 'micro'", _outcome("$.er", f"$.er >= {_num(p['min_engagement_rate'])}")
            ),
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
            f"(origin == 'celebrity' or $.tier == 'celebrity' ? {red.FAIL} : {red.PASS})",
        ),
        ("r_gifting_candidate", f"(price != null ? {red.PASS} : {red.FAIL})"),
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
            f"(price == null or $.band_max == null ? {red.UNKNOWN}"
            f" : (price <= $.band_max ? {red.PASS} : {red.FAIL}))",
        ),
        (
            "r_price_below_tier_band",
            f"(price == null or $.band_min == null ? {red.UNKNOWN}"
            f" : (price >= $.band_min ? {red.PASS} : {red.FAIL}))",
        ),
    ]
    warns = " + ".join(
        f"($.{_key(rule_id)} == {red.FAIL} ? 1 : 0)" for rule_id, sev in red.RULES if sev == "warn"
    )
    reviews = " or ".join(
        f"$.{_key(rule_id)} == {red.FAIL}" for rule_id, sev in red.RULES if sev == "review"
    )
    rejects = " or ".join(
        f"$.{_key(rule_id)} == {red.FAIL}" for rule_id, sev in red.RULES if sev == "reject"
    )
    ((_, warn_count, _),) = red.ESCALATE
    out += [
        ("warnings", warns),
        (
            "verdict",
            f"({rejects} ? 'reject' : ({reviews} or $.warnings >= {warn_count} or data_errors"
            " ? 'review' : 'accept'))",
        ),
    ]
    return out


def graph() -> dict[str, Any]:
    """The JDM decision graph (input -> expression node -> output)."""
    position = {"x": 0, "y": 0}
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "request", "position": position},
            {
                "id": "rules",
                "type": "expressionNode",
                "name": "red-default",
                "position": position,
                "content": {
                    "expressions": [
                        {"id": f"e{i}", "key": key, "value": value}
                        for i, (key, value) in enumerate(expressions())
                    ],
                    "passThrough": False,
                    "inputField": None,
                    "outputPath": None,
                    "executionMode": "single",
                },
            },
            {"id": "response", "type": "outputNode", "name": "response", "position": position},
        ],
        "edges": [
            {"id": "in", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "out", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }


def make_engine(*, callback: bool = False) -> Any:
    """A ``zen.ZenEngine`` whose loader serves the graph under :data:`KEY`.

    By default the loader is zen-engine's static loader (``{"type": "static", ...}``): the
    graph is parsed once. With ``callback``, a Python function returns the graph's JSON;
    zen-engine 2.x calls it (and parses its answer) on every ``evaluate``, several times
    slower, so it is only there to show the difference.
    """
    import zen

    if not callback:
        return zen.ZenEngine({"loader": {"type": "static", "content": {KEY: graph()}}})
    content = json.dumps(graph())

    def loader(key: str) -> str:
        if key != KEY:
            raise KeyError(key)
        return content

    return zen.ZenEngine({"loader": loader})


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def outcome(result: Mapping[str, Any]) -> red.PeerResult:
    """Verdict, tier, rule outcome codes, band and CPE of one evaluation's ``result``.

    ZEN computes with decimals (``rust_decimal``), and its answer reaches Python as a float
    converted from the decimal: on the benchmark's data (whole numbers) the CPE is the
    float kolrules computes, but in general it can be an ulp off (``1 / 3`` gives
    ``0.33333333333333337``), so the CPE is compared within a relative 1e-15."""
    codes = tuple(int(result[_key(rule_id)]) for rule_id in red.RULE_IDS)
    return red.PeerResult(
        result["verdict"],
        result.get("tier"),
        codes,
        _number(result.get("band_min")),
        _number(result.get("band_max")),
        _number(result.get("cpe")),
    )


def evaluate(engine: Any, ctx: Mapping[str, Any]) -> red.PeerResult:
    """One profile through ``engine.evaluate(KEY, ctx)``."""
    return outcome(engine.evaluate(KEY, ctx)["result"])


def evaluate_batch(engine: Any, contexts: Iterable[Mapping[str, Any]]) -> Iterator[red.PeerResult]:
    """Many profiles through one ``engine.evaluate_batch`` call."""
    requests = [{"key": KEY, "context": ctx} for ctx in contexts]
    for answer in engine.evaluate_batch(requests):
        if not answer.get("success"):
            raise RuntimeError(f"zen-engine failed: {answer.get('error')}")
        yield outcome(answer["data"]["result"])
