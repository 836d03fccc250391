"""The rulesets of the agreement tests (tests/test_paths_agree.py), beside the bundled ones,
and the vocabulary of the expression language they must use.

Every generated ruleset carries one block of metrics and rules (:data:`BLOCK_METRICS`,
:data:`BLOCK_RULES`) that uses every function and operator of the expression language
(:func:`vocabulary`, enumerated from :mod:`kolrules.expression`), rules of the test
plugin's kind, and the metrics its phase hooks derive (tests/agree_plugin.py):

- ``agree-sim``: a standalone ruleset for the plugin's platform ``agreetest``, with the
  platform's default tiers, extra ``[fields]`` and ``[columns]``, and a weighted score;
- ``agree-red``: an overlay of the client overlay ``luxury-brand`` (a chain of three files),
  changing a tier, ``data_errors`` and the count rules;
- ``agree-weibo``: an overlay of ``weibo-default`` whose data errors never lower the verdict
  and whose count rules escalate ``review`` failures to ``reject``;
- ``agree-wechat``: an overlay of ``wechat-default`` with another scoring strategy and a
  count rule of one warning.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from kolrules.expression import _BINOPS, _CMPOPS, FUNCTIONS
from kolrules.ruleset import Ruleset, parse_ruleset

#: Named constants of the block (numbers and a text).
BLOCK_PARAMS = """\
x_cap = 20_000
x_zero = 0
x_three = 3
x_label = "美妆"
x_neg = -2.5
"""

#: Metrics of the block: every function, arithmetic that divides by zero (a field and a
#: constant), overflows, and a log of a derived metric that may be infinite.
BLOCK_METRICS = """\
x_min = "min(avg_likes, avg_comments, posts)"
x_max = "max(avg_likes, avg_comments)"
x_max1 = "max(posts)"
x_abs = "abs(avg_likes - avg_comments * 10)"
x_log = "log(followers)"
x_clamp = "clamp(avg_comments / avg_likes, 0.01, 0.5)"
x_coalesce = "coalesce(avg_views, avg_likes * 50, followers / 10)"
x_ifelse = "ifelse(followers >= 10_000, avg_likes / followers, -avg_likes)"
x_text = "coalesce(category, ifelse(present(origin), origin, 'unknown'))"
x_flag = "missing(price) or price > x_cap"
x_void = "avg_likes / (x_zero * 2)"
x_third = "price / x_three"
x_big = "price * followers * followers"
x_unary = "+posts - -avg_comments + x_neg"
x_div = "total_likes / (followers - posts)"
x_reach_log = "log(agree_reach)"
"""

#: Rules of the block, every severity, every ``missing`` outcome, rules of the plugin's
#: kind (its name in another case too) and messages with format specs, texts, true/false
#: values, tiers and bands.
BLOCK_RULES = """\
[[rules]]
id = "x-chain"
when = "present(avg_likes)"
require = "0.02 <= x_clamp <= 0.2"
severity = "warn"
message = "comments per like {x_clamp:.1%} outside 2-20 % ({avg_comments} per {avg_likes})"

[[rules]]
id = "x-in-text"
require = '''x_text in ['beauty', '美妆', 'fashion', '时尚', 'luxury', 'food', 'travel',
    'unknown', 'homegrown']'''
severity = "info"
message = "category {x_text}"

[[rules]]
id = "x-not-in"
require = "origin not in ['celebrity', 'cross_platform']"
missing = "pass"
severity = "info"

[[rules]]
id = "x-in-number"
when = "present(posts)"
require = "posts not in [0, 1, 2, 3.5]"
severity = "review"

[[rules]]
id = "x-compare"
require = "x_min < x_max and x_max1 != 0 or x_abs == 0"
severity = "warn"

[[rules]]
id = "x-logic"
stage = "price"
require = "not (x_log > 13.8) or x_ifelse >= 0.001"
missing = "fail"
severity = "info"
message = "log of followers {x_log:.3f}, ratio {x_ifelse}"

[[rules]]
id = "x-coalesce"
require = "x_coalesce <= 1e6"
severity = "warn"

[[rules]]
id = "x-bool"
stage = "price"
require = "x_flag == False or category == x_label"
severity = "info"
message = "quote {price} over the cap {x_cap:,.0f}: {x_flag}"

[[rules]]
id = "x-true"
require = "present(x_third) == True and missing(x_void)"
severity = "info"

[[rules]]
id = "x-overflow"
require = "missing(x_big) or x_big > 0"
severity = "warn"

[[rules]]
id = "x-unary"
when = "present(posts)"
require = "x_unary > -x_neg"
severity = "info"

[[rules]]
id = "x-division"
require = "x_div >= 0.5"
severity = "warn"
message = "likes {x_div:.2f}x (followers - posts)"

[[rules]]
id = "x-kind"
kind = "Agree_Between"
params = { value = "x_min", low = 0, high = 5000, only_present = true }
severity = "warn"

[[rules]]
id = "x-kind-message"
kind = "agree_between"
params = { value = "agree_reach", low = 0, high = 1e12, message = true }
severity = "info"

[[rules]]
id = "x-derived"
when = "present(agree_band)"
require = "agree_band != 'big' or agree_flag"
missing = "pass"
severity = "warn"
message = "a big account ({agree_band}, flag {agree_flag}) outside beauty"

[[rules]]
id = "x-handle"
require = "agree_handle_len <= 12 or missing(agree_handle_len)"
severity = "info"
message = "handle of {agree_handle_len:.0f} characters"

[[rules]]
id = "x-reach-log"
require = "x_reach_log < 25"
severity = "info"
message = "log reach {x_reach_log}"

[[rules]]
id = "x-band"
stage = "price"
when = "tier in ['micro', 'mid']"
require = "price >= band_min and price <= band_max"
severity = "info"
message = "{price} outside the {tier} band {band_min}-{band_max}"

[[rules]]
id = "x-text"
require = "category != 'banned' and handle != 'bot'"
missing = "pass"
severity = "reject"
message = "banned: {category} {handle}"
"""

AGREE_SIM = f"""\
[ruleset]
name = "agree-sim"
version = "1.0.0"
platform = "测试平台"
description = "Every function and operator, on the test plugin's platform."

[params]
{BLOCK_PARAMS}min_posts = 10
max_live_price = 50_000
min_completion = 0.2

[fields]
brand_fit = "number"

[columns]
brand_fit = ["Brand Fit", "匹配度"]
followers = ["Fans (total)"]

[metrics]
{BLOCK_METRICS}views_per_follower = "avg_views / followers"

[pricing]
engagement = "coalesce(engagement_per_post, avg_likes)"

{BLOCK_RULES}
[[rules]]
id = "tier-known"
require = "present(tier)"
severity = "review"
message = "no tier for {{followers:,.0f}} followers"

[[rules]]
id = "few-posts"
require = "posts >= min_posts"
severity = "warn"
message = "only {{posts:.0f}} works"

[[rules]]
id = "completion-low"
when = "present(completion_rate)"
require = "completion_rate >= min_completion"
severity = "warn"
message = "completion {{completion_rate:.0%}} below {{min_completion:.0%}}"

[[rules]]
id = "live-price"
stage = "price"
require = "live_price <= max_live_price"
severity = "warn"

[[rules]]
id = "brand-fit"
when = "present(brand_fit)"
require = "brand_fit >= 0.5"
severity = "info"

[[rules]]
id = "region-known"
require = "present(region)"
severity = "info"
message = "no region"

[[rules]]
id = "likes-per-view"
require = "likes_per_view >= 0.005"
severity = "review"
message = "likes are {{likes_per_view:.2%}} of plays"

[[rules]]
id = "band-above"
stage = "price"
require = "price <= band_max"
severity = "warn"

[[rules]]
id = "gifting"
stage = "price"
require = "present(price)"
severity = "info"

[verdict]
data_errors = "review"

[[verdict.escalate]]
severity = "warn"
count = 2
to = "review"

[[verdict.escalate]]
severity = "info"
count = 3
to = "review"

[[verdict.escalate]]
severity = "review"
count = 2
to = "reject"

[scoring]
strategy = "weighted"

[scoring.params.metrics.likes_per_view]
weight = 2
low = 0.001
high = 0.05
scale = "log"

[scoring.params.metrics.x_clamp]
weight = 1
low = 0.01
high = 0.5

[scoring.params.metrics.agree_reach]
weight = 1
low = 10
high = 10_000_000
scale = "log"

[scoring.params.metrics.cpe]
weight = 2
low = 30
high = 3
scale = "log"
"""

AGREE_RED = f"""\
[ruleset]
name = "agree-red"
version = "1.0.0"
extends = "luxury-brand"

[params]
{BLOCK_PARAMS}
[tier.micro]
price_max = 14_999.5

[metrics]
{BLOCK_METRICS}
{BLOCK_RULES}
[[rules]]
id = "few-comments"
severity = "review"

[verdict]
data_errors = "reject"

[[verdict.escalate]]
severity = "warn"
count = 2
to = "review"

[[verdict.escalate]]
severity = "info"
count = 5
to = "review"

[[verdict.escalate]]
severity = "warn"
count = 4
to = "reject"
"""

AGREE_WEIBO = f"""\
[ruleset]
name = "agree-weibo"
version = "1.0.0"
extends = "weibo-default"

[params]
{BLOCK_PARAMS}
[metrics]
{BLOCK_METRICS}
{BLOCK_RULES}
[verdict]
data_errors = "accept"

[[verdict.escalate]]
severity = "review"
count = 2
to = "reject"

[[verdict.escalate]]
severity = "warn"
count = 3
to = "review"
"""

AGREE_WECHAT = f"""\
[ruleset]
name = "agree-wechat"
version = "1.0.0"
extends = "wechat-default"

[params]
{BLOCK_PARAMS}
[metrics]
{BLOCK_METRICS}
{BLOCK_RULES}
[[rules]]
id = "reads-capped"
enabled = false

[verdict]
[[verdict.escalate]]
severity = "warn"
count = 1
to = "review"

[[verdict.escalate]]
severity = "info"
count = 3
to = "reject"

[scoring]
strategy = "weighted"

[scoring.params.metrics.interactions_per_read]
weight = 3
low = 0.001
high = 0.05
scale = "log"

[scoring.params.metrics.read_rate]
weight = 1
low = 0.01
high = 0.3

[scoring.params.metrics.cpe]
weight = 1
low = 500
high = 10
scale = "log"
"""

GENERATED = {
    "agree-sim": AGREE_SIM,
    "agree-red": AGREE_RED,
    "agree-weibo": AGREE_WEIBO,
    "agree-wechat": AGREE_WECHAT,
}


def generated_rulesets() -> dict[str, Ruleset]:
    """The generated rulesets, parsed (``extends`` names a bundled ruleset)."""
    return {name: parse_ruleset(text, f"tests/{name}.toml") for name, text in GENERATED.items()}


# -- the vocabulary of the expression language ------------------------------------------

_OTHER = (
    "and",
    "or",
    "not",
    "-x",
    "+x",
    "in",
    "not in",
    "chained comparison",
    "number literal",
    "text literal",
    "bool literal",
)


def vocabulary() -> frozenset[str]:
    """Every function and operator of the expression language, as :func:`items` names
    them: the functions of :data:`kolrules.expression.FUNCTIONS`, the arithmetic and
    comparison operators it accepts, and the other node kinds of its grammar."""
    return frozenset(
        (
            *(f"{name}()" for name in FUNCTIONS),
            *_BINOPS.values(),
            *_CMPOPS.values(),
            *_OTHER,
        )
    )


def item(node: ast.AST) -> str | None:
    """The vocabulary item that ``node`` is (its operator, for an operation), if any."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"{node.func.id}()"
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)]
    if isinstance(node, ast.BoolOp):
        return "and" if isinstance(node.op, ast.And) else "or"
    if isinstance(node, ast.UnaryOp):
        return {ast.Not: "not", ast.USub: "-x", ast.UAdd: "+x"}[type(node.op)]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "bool literal"
        return "text literal" if isinstance(node.value, str) else "number literal"
    return None


def own_items(node: ast.AST) -> set[str]:
    """The vocabulary items ``node`` itself is (a comparison: its operators, and
    ``chained comparison`` for more than one), not those of its operands."""
    if isinstance(node, ast.Compare):
        found = {
            "in"
            if isinstance(op, ast.In)
            else "not in"
            if isinstance(op, ast.NotIn)
            else _CMPOPS[type(op)]
            for op in node.ops
        }
        return found | ({"chained comparison"} if len(node.ops) > 1 else set())
    name = item(node)
    return set() if name is None else {name}


def items(tree: ast.AST) -> set[str]:
    """The vocabulary items used in ``tree``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        found |= own_items(node)
    return found


def items_of_trees(trees: Iterable[ast.AST]) -> set[str]:
    out: set[str] = set()
    for tree in trees:
        out |= items(tree)
    return out
