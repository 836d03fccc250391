"""Tests of the first-party platform plugins: kolrules_red, kolrules_weibo, kolrules_wechat.

They use only kolrules' public API (``Platform``, ``Tier``, ``CANONICAL_FIELDS``, the hook
specs) and check the plugins' data files: names and aliases, header mapping, number formats,
origins, metric expressions, tier tables, and that docs/platforms.md lists all of it.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import pluggy
import pytest

import kolrules.hookspecs
from kolrules import Platform, Tier
from kolrules.types import CANONICAL_FIELDS, ORIGINS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "platforms.md"

#: plugin module -> (platform name, aliases), as the issue asks.
PLUGINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kolrules_red": ("red", ("xiaohongshu", "xhs", "小红书", "rednote", "little-red-book")),
    "kolrules_weibo": ("weibo", ("微博", "sina-weibo")),
    "kolrules_wechat": ("wechat", ("weixin", "微信", "公众号")),
}

#: Functions of the expression language (docs/rulesets.md).
FUNCTIONS = frozenset(
    {"min", "max", "abs", "log", "missing", "present", "coalesce", "clamp", "ifelse"}
)
#: Names the engine provides to expressions; a platform must not define them.
ENGINE_NAMES = frozenset({"tier", "band_min", "band_max", "engagement", "cpe"})

#: Headers the issue requires, per platform: header -> field.
REQUIRED_HEADERS: dict[str, dict[str, str]] = {
    "red": {
        "粉丝数": "followers",
        "粉丝": "followers",
        "获赞与收藏": "total_likes",
        "赞藏": "total_likes",
        "笔记数": "posts",
        "报价": "price",
        "图文报价": "price",
        "阅读中位数": "avg_views",
        "互动中位数": "median_interactions",
        "id": "id",
        "账号ID": "id",
        "小红书号": "id",
        "用户ID": "id",
        "kol_id": "id",
        "uid": "id",
        "昵称": "handle",
        "博主": "handle",
        "账号名称": "handle",
        "name": "handle",
        "nickname": "handle",
    },
    "weibo": {
        "粉丝数": "followers",
        "粉丝": "followers",
        "转发": "avg_shares",
        "评论": "avg_comments",
        "赞": "avg_likes",
        "点赞": "avg_likes",
        "微博数": "posts",
        "报价": "price",
        "阅读中位数": "avg_views",
        "id": "id",
        "用户ID": "id",
        "uid": "id",
        "昵称": "handle",
        "账号名称": "handle",
    },
    "wechat": {
        "粉丝数": "followers",
        "预估粉丝": "followers",
        "阅读": "avg_views",
        "平均阅读": "avg_views",
        "阅读中位数": "avg_views",
        "在看": "avg_wows",
        "点赞": "avg_likes",
        "报价": "price",
        "头条报价": "price",
        "多图文第一条报价": "price",
        "互动中位数": "median_interactions",
        "id": "id",
        "用户ID": "id",
        "昵称": "handle",
        "账号名称": "handle",
    },
}

#: Metrics with the same meaning on every platform, and their expression.
SHARED_METRICS: dict[str, str] = {
    "engagement_rate": "engagement_per_post / followers",
    "median_engagement_rate": "median_interactions / followers",
    "likes_per_view": "avg_likes / avg_views",
    "engagement_per_view": "engagement_per_post / avg_views",
    "comments_per_like": "avg_comments / avg_likes",
}

MISSING_MARKERS = ("-", "--", "—", "N/A", "n/a", "暂无", "无", "未知", "null")
UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000}

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER_KEYS = re.compile(r"^\s*(min_followers|max_followers|price_min|price_max)\s*=\s*([\d_.]+)")


# -- helpers ----------------------------------------------------------------------------


def _key(header: str) -> str:
    """How the core matches headers: case-insensitive, trimmed."""
    return header.strip().casefold()


def header_index(platform: Platform) -> dict[str, list[str]]:
    """Every matching key of the platform's headers -> the fields that list it."""
    index: dict[str, list[str]] = {}
    for field, headers in platform.columns.items():
        for header in headers:
            index.setdefault(_key(header), []).append(field)
    return index


def field_for(platform: Platform, header: str) -> str | None:
    """The field a header maps to, or ``None``."""
    fields = header_index(platform).get(_key(header), [])
    return fields[0] if len(fields) == 1 else None


def expression_names(expr: str) -> set[str]:
    """The variable names an expression uses (function names left out)."""
    tree = ast.parse(expr, mode="eval")
    called = {
        id(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called
    }


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.In,
    ast.NotIn,
    ast.List,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def language_problems(expr: str) -> list[str]:
    """What in an expression is outside the kolrules expression language."""
    tree = ast.parse(expr, mode="eval")
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            problems.append(type(node).__name__)
        elif isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
        ):
            problems.append(f"call {ast.unparse(node.func)}")
    return problems


def unknown_names(expr: str, platform: Platform) -> set[str]:
    """Names an expression uses that are neither fields nor metrics of the platform."""
    known = set(CANONICAL_FIELDS) | set(platform.fields) | set(platform.metrics)
    return expression_names(expr) - known


def metric_cycle(metrics: Mapping[str, str]) -> list[str] | None:
    """A cycle among metrics that use each other, or ``None``."""
    deps = {name: expression_names(expr) & set(metrics) for name, expr in metrics.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> list[str] | None:
        if state.get(name) == 1:
            return [*path[path.index(name) :], name]
        if state.get(name) == 2:
            return None
        state[name] = 1
        for dep in sorted(deps[name]):
            found = visit(dep, [*path, name])
            if found:
                return found
        state[name] = 2
        return None

    for name in metrics:
        found = visit(name, [])
        if found:
            return found
    return None


def tier_problems(tiers: Iterable[Tier]) -> list[str]:
    """What is wrong with a tier table: gaps, overlaps, a first min other than 0, bad bands."""
    tiers = list(tiers)
    if not tiers:
        return ["no tiers"]
    problems = []
    if tiers[0].min_followers != 0:
        problems.append(f"first tier {tiers[0].name} starts at {tiers[0].min_followers}")
    if tiers[-1].max_followers is not None:
        problems.append(f"last tier {tiers[-1].name} has an upper bound")
    for before, after in itertools.pairwise(tiers):
        if before.max_followers != after.min_followers:
            problems.append(
                f"{before.name} ends at {before.max_followers}, {after.name} "
                f"starts at {after.min_followers}"
            )
    for tier in tiers:
        if tier.max_followers is not None and tier.max_followers <= tier.min_followers:
            problems.append(f"{tier.name} is empty")
        if (tier.price_min is None) != (tier.price_max is None) and tier.name != "celebrity":
            problems.append(f"{tier.name} has half a price band")
        if tier.price_min is not None and tier.price_min < 0:
            problems.append(f"{tier.name} has a negative price")
        if (
            tier.price_min is not None
            and tier.price_max is not None
            and tier.price_min > tier.price_max
        ):
            problems.append(f"{tier.name} price_min > price_max")
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        problems.append(f"duplicate tier names {names}")
    return problems


def tier_at(platform: Platform, followers: float) -> Tier | None:
    """The tier holding a follower count (min inclusive, max exclusive)."""
    for tier in platform.tiers:
        if tier.min_followers <= followers and (
            tier.max_followers is None or followers < tier.max_followers
        ):
            return tier
    return None


# -- fixtures ---------------------------------------------------------------------------


def _load(module_name: str) -> tuple[ModuleType, Platform]:
    module = importlib.import_module(module_name)
    platforms = list(module.kolrules_platforms_register())
    assert len(platforms) == 1, f"{module_name} registers {len(platforms)} platforms"
    assert isinstance(platforms[0], Platform)
    return module, platforms[0]


@pytest.fixture(params=sorted(PLUGINS), name="plugin")
def _plugin(request: pytest.FixtureRequest) -> tuple[str, Platform]:
    _module, platform = _load(request.param)
    return request.param, platform


@pytest.fixture(name="platforms")
def _platforms() -> dict[str, Platform]:
    return {PLUGINS[m][0]: _load(m)[1] for m in PLUGINS}


# -- names and registration -------------------------------------------------------------


def test_name_and_aliases(plugin: tuple[str, Platform]) -> None:
    module_name, platform = plugin
    name, aliases = PLUGINS[module_name]
    assert platform.name == name
    assert platform.aliases == aliases
    assert platform.label
    assert platform.description


def test_hooks_register_through_pluggy() -> None:
    pm = pluggy.PluginManager("kolrules")
    pm.add_hookspecs(kolrules.hookspecs)
    for module_name in PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    pm.check_pending()
    platforms = [p for result in pm.hook.kolrules_platforms_register() for p in result]
    assert sorted(p.name for p in platforms) == ["red", "wechat", "weibo"]
    claimed = [_key(n) for p in platforms for n in p.names()]
    assert len(claimed) == len(set(claimed)), "two platforms claim the same name or alias"


# -- columns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform_name", "header", "field"),
    [(p, h, f) for p, headers in REQUIRED_HEADERS.items() for h, f in headers.items()],
)
def test_required_header(
    platforms: dict[str, Platform], platform_name: str, header: str, field: str
) -> None:
    platform = platforms[platform_name]
    assert field_for(platform, header) == field
    # matched case-insensitively after trimming
    assert field_for(platform, f"  {header.upper()} ") == field


def test_no_header_maps_to_two_fields(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    clashes = {h: f for h, f in header_index(platform).items() if len(f) > 1}
    assert not clashes, f"headers listed more than once: {clashes}"


def test_every_canonical_field_has_english_and_chinese_headers(
    plugin: tuple[str, Platform],
) -> None:
    _name, platform = plugin
    for field in CANONICAL_FIELDS:
        headers = platform.columns.get(field, ())
        assert field in headers, f"{field}: its own name is not a header"
        assert any(CJK.search(h) for h in headers), f"{field}: no Chinese header"


def test_columns_and_fields_are_consistent(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    for field, kind in platform.fields.items():
        assert kind in ("number", "text"), f"{field}: type {kind!r}"
        assert field not in CANONICAL_FIELDS, f"{field} shadows a canonical field"
        assert platform.columns.get(field), f"extra field {field} has no headers"
    unknown = set(platform.columns) - set(CANONICAL_FIELDS) - set(platform.fields)
    assert not unknown, f"columns for undeclared fields: {unknown}"
    for field, headers in platform.columns.items():
        assert all(h == h.strip() and h for h in headers), f"{field}: blank or padded header"


def test_wechat_fields() -> None:
    _module, wechat = _load("kolrules_wechat")
    assert wechat.fields["avg_wows"] == "number"
    assert wechat.fields["median_interactions"] == "number"
    _module, red = _load("kolrules_red")
    assert red.fields["median_interactions"] == "number"


# -- numbers and origins ----------------------------------------------------------------


def test_number_formats(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    assert platform.plus_adds == 1  # "10万+" -> 100001
    for suffix, factor in UNITS.items():
        assert platform.units.get(suffix) == factor, suffix
    assert all(factor > 0 for factor in platform.units.values())
    for marker in MISSING_MARKERS:
        assert marker in platform.missing, marker
    assert not any(m.strip() != m or not m for m in platform.missing)


def test_origins(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    assert set(platform.origins.values()) == set(ORIGINS)
    expected = {
        "本土": "homegrown",
        "原生": "homegrown",
        "homegrown": "homegrown",
        "organic": "homegrown",
        "跨平台": "cross_platform",
        "外站": "cross_platform",
        "cross-platform": "cross_platform",
        "cross_platform": "cross_platform",
        "明星": "celebrity",
        "艺人": "celebrity",
        "celebrity": "celebrity",
    }
    for wording, origin in expected.items():
        assert platform.origins.get(wording) == origin, wording
    keys = [_key(k) for k in platform.origins]
    assert len(keys) == len(set(keys))


# -- metrics ----------------------------------------------------------------------------


def test_metrics_parse_and_use_known_names(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    assert platform.metrics
    for name, expr in platform.metrics.items():
        assert name.isidentifier(), name
        assert not language_problems(expr), (name, language_problems(expr))
        assert not unknown_names(expr, platform), (name, unknown_names(expr, platform))
        assert len(expr) <= 500


def test_metrics_do_not_shadow_names(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    taken = set(CANONICAL_FIELDS) | set(platform.fields) | ENGINE_NAMES | FUNCTIONS
    assert not set(platform.metrics) & taken


def test_metrics_have_no_cycle(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    assert metric_cycle(platform.metrics) is None


def test_shared_metrics_mean_the_same(platforms: dict[str, Platform]) -> None:
    for platform in platforms.values():
        for name, expr in SHARED_METRICS.items():
            assert platform.metrics.get(name) == expr, (platform.name, name)
        assert "engagement_per_post" in platform.metrics
        assert "cost_per_view" in platform.metrics
    for name in ("red", "weibo"):
        assert platforms[name].metrics["likes_per_follower"] == "total_likes / followers"


def test_platform_specific_metrics(platforms: dict[str, Platform]) -> None:
    red, weibo, wechat = platforms["red"], platforms["weibo"], platforms["wechat"]
    assert expression_names(red.metrics["engagement_per_post"]) == {
        "avg_likes",
        "avg_collects",
        "avg_comments",
    }
    assert expression_names(weibo.metrics["engagement_per_post"]) == {
        "avg_likes",
        "avg_comments",
        "avg_shares",
    }
    assert "avg_wows" in expression_names(wechat.metrics["engagement_per_post"])
    assert wechat.metrics["wows_per_view"] == "avg_wows / avg_views"
    assert wechat.metrics["read_rate"] == "avg_views / followers"


def test_metric_checks_catch_mistakes(platforms: dict[str, Platform]) -> None:
    red = platforms["red"]
    assert unknown_names("folowers / 2", red) == {"folowers"}
    assert unknown_names("max(avg_likes, 1) / followers", red) == set()
    assert unknown_names("avg_wows / avg_views", red) == {"avg_wows"}  # a WeChat field
    assert language_problems("followers ** 2") == ["Pow"]
    assert language_problems("followers.real") == ["Attribute"]
    assert language_problems("sqrt(followers)") == ["call sqrt"]
    assert metric_cycle({"a": "b + 1", "b": "a * 2"}) == ["a", "b", "a"]
    assert metric_cycle({"a": "b + 1", "b": "followers"}) is None


# -- tiers ------------------------------------------------------------------------------


def test_tiers_are_contiguous(plugin: tuple[str, Platform]) -> None:
    _name, platform = plugin
    assert tier_problems(platform.tiers) == []


def test_tier_checks_catch_mistakes() -> None:
    gap = [Tier("a", 0, 1_000), Tier("b", 2_000)]
    assert tier_problems(gap) == ["a ends at 1000, b starts at 2000"]
    assert tier_problems([Tier("a", 10)]) == ["first tier a starts at 10"]
    assert tier_problems([Tier("a", 0, 10)]) == ["last tier a has an upper bound"]
    assert tier_problems([Tier("a", 0, None, 9, 1)]) == ["a price_min > price_max"]


def test_red_tiers_follow_the_seeds(platforms: dict[str, Platform]) -> None:
    red = platforms["red"]
    micro = tier_at(red, 20_000)
    assert micro is not None
    assert (micro.name, micro.min_followers, micro.max_followers) == ("micro", 5_000, 50_000)
    assert (micro.price_min, micro.price_max) == (500, 8_000)  # [red-tips]
    top = tier_at(red, 2_000_000)
    assert top is not None
    assert (top.name, top.price_min, top.price_max) == ("top", 30_000, 300_000)  # [xhs-2022]
    celebrity = tier_at(red, 20_000_000)
    assert celebrity is not None
    assert celebrity.name == "celebrity"
    koc = tier_at(red, 1_000)
    assert koc is not None
    assert koc.price_max is not None
    assert koc.price_max <= 1_000  # gifting-level


@pytest.mark.parametrize("followers", [1_000, 3_000, 8_000, 30_000, 200_000, 2_000_000])
def test_red_cheaper_than_weibo_cheaper_than_wechat(
    platforms: dict[str, Platform], followers: int
) -> None:
    """[red-tips] (docs/sources.md): RED is cheaper than WeChat; Weibo sits in between."""
    bands = []
    for name in ("red", "weibo", "wechat"):
        tier = tier_at(platforms[name], followers)
        assert tier is not None
        assert tier.price_min is not None
        assert tier.price_max is not None
        bands.append((tier.price_min, tier.price_max))
    assert bands[0][0] <= bands[1][0] <= bands[2][0]
    assert bands[0][1] <= bands[1][1] <= bands[2][1]


def test_tier_numbers_cite_a_source() -> None:
    """Every tier number in the data files carries a comment naming its source."""
    for module_name in PLUGINS:
        path = ROOT / "plugins" / module_name / "platform.toml"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = NUMBER_KEYS.match(line)
            if not match or (match[1] == "min_followers" and float(match[2]) == 0):
                continue
            comment = line.partition("#")[2]
            assert re.search(r"\[[a-z0-9-]+\]|ASSUMPTION", comment), (
                f"{path.name}:{number}: {line.strip()}"
            )


# -- docs -------------------------------------------------------------------------------


def test_docs_list_everything(platforms: dict[str, Platform]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for platform in platforms.values():
        start = text.index(f"## {platform.label}")
        end = text.find("\n## ", start + 1)
        section = text[start : end if end != -1 else len(text)]
        expected = [
            *platform.names(),
            *(h for headers in platform.columns.values() for h in headers),
            *platform.fields,
            *platform.units,
            *platform.missing,
            *platform.origins,
            *(t.name for t in platform.tiers),
            *platform.metrics.values(),
        ]
        for item in expected:
            assert f"`{item}`" in section, f"{platform.name}: {item!r} not in docs/platforms.md"


# -- extra number fields that cannot be negative ------------------------------------------


@pytest.mark.parametrize("name", ["red", "weibo", "wechat"])
def test_extra_counts_quotes_and_shares_cannot_be_negative(name: str) -> None:
    from kolrules.engine import Engine
    from kolrules.normalise import normalise_frame, normalise_row, rows_to_frame

    engine = Engine(f"{name}-default", load_entrypoints=False)
    platform = engine.plan.platform
    assert platform.non_negative
    for field in platform.non_negative:
        assert platform.fields[field] == "number"
        raw = {"id": "k1", "followers": "12000", field: "-5"}
        one = normalise_row(raw, engine.plan.schema)
        assert one.values[field] is None
        assert [e.reason for e in one.data_errors] == ["negative, must be 0 or more"]
        frame = normalise_frame(rows_to_frame([raw]), engine.plan.schema)
        assert frame.data_errors[1][0].reason == "negative, must be 0 or more"
        assert frame.frame[field][0] is None


def test_non_negative_must_name_number_fields() -> None:
    with pytest.raises(ValueError, match=r"non_negative names 'ghost', which are not number"):
        Platform.from_mapping(
            {
                "platform": {"name": "x"},
                "fields": {"real": "number"},
                "numbers": {"non_negative": ["real", "ghost"]},
            }
        )
