"""Hypothesis strategies of the agreement tests (tests/test_paths_agree.py).

A :class:`Target` is one engine to test: a ruleset (every bundled one, client overlays
included, and the generated ones of tests/agree_rulesets.py) compiled with ``strict``
off or on. A :class:`Case` is what one example feeds it: rows of one platform's fields
under the platform's own headers (any spelling it knows, Chinese or English, in any
case), as text (an export), as typed columns (Float64, Int64 and String, as a pandas or
polars user holds them), or typed for the one-profile path and text for the columnar one.

Values lean on the edges: each tier's follower bounds and one either side, the price
bands and one either side, every number param of the ruleset and one either side,
zero, missing, NaN, infinity, huge and negative numbers, and numbers as exports write
them (``1.2万``, ``0.5亿``, ``¥8,000``, ``8000元``, ``10万+``, ``45%``). A row is a profile
of the test files (``*.test.toml``) of the ruleset and of those it extends, as written or
changed in one to three fields (the profiles are grouped by what the engine decides for
them, so that accepted, reviewed, rejected and escalated ones come equally often), a
coherent profile whose ratios sit on the rules' thresholds, or independent values. Ids
are unique, missing, or repeated; some inputs carry columns no field reads.

Left out, because the paths are known to disagree on them (strict xfail tests in
test_paths_agree.py): U+001C to U+001F in texts, -0.0 (``min``/``max`` of -0.0 and 0.0),
duplicate ids where a plugin checks profiles, input columns named like an output of
``evaluate_frame``, two spellings of one field, a missing required column, and infinite
tier bounds, params or derived metrics.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import agree_plugin
import agree_rulesets
import attrs
import polars as pl
from agree_reference import Expected
from hypothesis import strategies as st

from kolrules.engine import Engine, RowInputError
from kolrules.normalise import _header_key
from kolrules.ruleset import Ruleset

__all__ = ["Case", "Raw", "Target", "cases", "target_keys", "targets"]

#: Columns no field reads that inputs may carry (kept, and given back by
#: ``evaluate_frame``). Left out, as known disagreements (tests in test_paths_agree.py): a
#: column named like one of ``evaluate_frame``'s outputs (``tier``, ``score``, ...), and a
#: second spelling of a field (``notes`` is RED's ``posts``).
EXTRA_COLUMNS = ("备注", "remarks", "Unnamed: 0", "likes_per_follower", "__row")


class Raw(str):
    """A number cell as written in an export (only a text column can hold it)."""

    __slots__ = ()


@attrs.frozen
class Target:
    """One engine under test and what the strategies need to know of it."""

    key: str
    name: str
    strict: bool
    engine: Engine
    generated: bool
    #: Profiles of the ruleset's test file and of those of the rulesets it extends (or of
    #: the test platform), in groups by what the engine decides for them: one group per
    #: verdict, escalated or not, and one of row errors.
    seeds: tuple[tuple[Mapping[str, Any], ...], ...]

    @property
    def plan(self) -> Any:
        return self.engine.plan

    @property
    def fields(self) -> Mapping[str, str]:
        return self.engine.plan.schema.fields

    @property
    def aliases(self) -> Mapping[str, tuple[str, ...]]:
        return self.engine.plan.schema.aliases

    @property
    def platform(self) -> Any:
        return self.engine.plan.platform

    def number_params(self) -> list[float]:
        return [float(v) for v in self.plan.params.values() if not isinstance(v, str)]

    def follower_edges(self) -> list[float]:
        edges: set[float] = {0.0}
        for t in self.plan.tiers:
            for bound in (t.min_followers, t.max_followers):
                if bound is not None and math.isfinite(bound):
                    edges |= {bound - 1, bound, bound + 1, bound - 0.5}
        return sorted(e for e in edges if e >= 0)

    def price_edges(self) -> list[float]:
        edges: set[float] = set()
        for t in self.plan.tiers:
            for bound in (t.price_min, t.price_max):
                if bound is not None:
                    edges |= {bound - 1, bound, bound + 1, bound - 0.5, bound + 0.5}
        edges |= {p + d for p in self.number_params() if p >= 100 for d in (-1, 0, 1)}
        return sorted(edges)

    def param_edges(self) -> list[float]:
        edges: set[float] = set()
        for p in self.number_params():
            edges |= {p - 1, p, p + 1} if abs(p) >= 2 else {p}
        return sorted(edges)


# -- the targets ------------------------------------------------------------------------


def _field_of(key: str, aliases: Mapping[str, tuple[str, ...]]) -> str | None:
    wanted = _header_key(key)
    for field, spellings in aliases.items():
        if any(_header_key(s) == wanted for s in spellings):
            return field
    return None


def _seeds_of(files: Sequence[str], aliases: Mapping[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    """The profiles of the test files of ``files`` (rulesets), by field."""
    out = []
    for file in files:
        tests = Path(file).with_suffix(".test.toml")
        if not tests.is_file():
            continue
        for case in tomllib.loads(tests.read_text(encoding="utf-8")).get("test", ()):
            profile = {}
            for key, value in case.get("profile", {}).items():
                field = _field_of(key, aliases)
                if field is not None:
                    profile[field] = Raw(value) if isinstance(value, str) else value
            out.append(profile)
    return out


def _grouped(engine: Engine, seeds: list[dict[str, Any]]) -> tuple[tuple[dict[str, Any], ...], ...]:
    """``seeds`` grouped by what ``engine`` decides for each (its verdict, and whether a
    count rule decided it), so that rows drawn from seeds take every kind equally often."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for seed in seeds:
        profile = {**seed, "id": "seed"}
        try:
            decision = engine.evaluate_one(profile)
        except RowInputError:
            kind = "row error"
        else:
            norm = engine.normalise_row(profile)
            escalated = Expected(engine.plan, norm.values, len(decision.data_errors)).escalated
            kind = f"{decision.verdict}{' escalated' if escalated else ''}"
        groups.setdefault(kind, []).append(seed)
    return tuple(tuple(group) for _, group in sorted(groups.items()))


#: Profiles of the test platform: accepted, and a few that fail a rule or two.
SIM_SEEDS: tuple[Mapping[str, Any], ...] = (
    {
        "id": "sim-good",
        "handle": "lin",
        "followers": 12_000,
        "posts": 86,
        "total_likes": 48_000,
        "avg_likes": 300,
        "avg_comments": 25,
        "avg_collects": 120,
        "avg_shares": 30,
        "avg_views": 20_000,
        "price": 2_500,
        "account_age_days": 900,
        "origin": "本土",
        "category": "美妆",
        "completion_rate": 0.35,
        "live_price": 8_000,
        "region": "上海",
        "brand_fit": 0.8,
    },
    {
        "id": "sim-mid",
        "handle": "mid_account",
        "followers": Raw("25万"),
        "posts": 300,
        "total_likes": Raw("120万"),
        "avg_likes": 3_000,
        "avg_comments": 200,
        "avg_shares": 100,
        "avg_views": Raw("15万"),
        "price": Raw("¥40,000"),
        "origin": "homegrown",
        "category": "food",
        "completion_rate": Raw("45%"),
        "region": "北京",
    },
    {
        "id": "sim-top",
        "handle": "top",
        "followers": 2_000_000,
        "posts": 900,
        "total_likes": 9_000_000,
        "avg_likes": 30_000,
        "avg_comments": 1_500,
        "avg_shares": 800,
        "avg_views": 1_000_000,
        "price": 150_000,
        "category": "美妆",
        "completion_rate": 0.3,
        "region": "广州",
    },
    {"id": "sim-two-warnings", "followers": 8_000, "posts": 5, "avg_likes": 100},
    {"id": "sim-banned", "followers": 3_000, "category": "banned", "posts": 40},
    {"id": "sim-nano", "followers": 999, "posts": 12, "avg_likes": 20, "avg_comments": 2},
)


def target_keys() -> list[str]:
    """The keys of :func:`targets`, without compiling them."""
    names = [*Engine(load_entrypoints=False).named_rulesets(), *agree_rulesets.GENERATED]
    return [f"{name}{suffix}" for name in sorted(names) for suffix in ("", " strict")]


@cache
def targets() -> dict[str, Target]:
    """Every engine under test, by key (``<ruleset>`` or ``<ruleset> strict``)."""
    probe = Engine(load_entrypoints=False)
    rulesets: list[tuple[str, Ruleset | str, bool]] = [
        (name, name, False) for name in sorted(probe.named_rulesets())
    ]
    rulesets += [(n, rs, True) for n, rs in agree_rulesets.generated_rulesets().items()]
    out: dict[str, Target] = {}
    for name, source, generated in rulesets:
        for strict in (False, True):
            plugins = agree_plugin.plugins() if generated else []
            engine = Engine(source, plugins=plugins, load_entrypoints=False, strict=strict)
            seeds = [dict(s) for s in SIM_SEEDS] if name == "agree-sim" else []
            seeds += _seeds_of(engine.ruleset.chain, engine.plan.schema.aliases)
            key = f"{name} strict" if strict else name
            out[key] = Target(key, name, strict, engine, generated, _grouped(engine, seeds))
    return out


# -- values -------------------------------------------------------------------------------

SPECIAL_NUMBERS: tuple[float | int, ...] = (
    0,
    0.0,
    1,
    -1,
    0.5,
    -0.5,
    1e-300,
    5e-324,
    10**15,
    2**53 + 1,
    2**63,
    1e300,
    1e308,
    -1e308,
    -12_000,
    math.nan,
    math.inf,
    -math.inf,
)

GARBAGE_TEXT: tuple[str, ...] = (
    "",
    " ",
    "暂无",
    "未知",
    "未公开",
    "-",
    "--",
    "N/A",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "abc",
    "lots",
    "1.2.3",
    "１２",
    "１２万",
    "1e999",
    "-1e999",
    "0x10",
    "1_000",
    "+5",
    ".5",
    "5.",
    "−5",
    "10万+",
    "1,234",
    "¥8,000",
    "￥2,500",
    "8000元",
    "1.2万元",
    "2,500 RMB",
    "1.2万",
    "3.5w",
    "12k",
    "1.2M",
    "0.5亿",
    "1.5亿",
    "45%",
    "45％",
    "-1.2万",
    "1亿+",
)

#: Characters of drawn texts: any that UTF-8 encodes (polars holds UTF-8), but U+001C to
#: U+001F, which Python's ``str.strip`` and ``\s`` take for whitespace and polars does not
#: (a known disagreement, see ``test_information_separators_around_a_cell`` in
#: test_paths_agree.py).
TEXT_CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x1c\x1d\x1e\x1f")
IDS = ("a", "b", "kol-1", "红1", "  spaced  ", "\u3000全角\u3000", "tab\t")
MISSING_IDS = (None, "", "  ", "-", "暂无", "N/A")
ORIGINS = (
    None,
    "homegrown",
    "homegrown",
    "本土",
    "Cross-Platform",
    "cross_platform",
    "跨平台",
    "celebrity",
    "明星",
    "martian",
    "",
    "暂无",
)
CATEGORIES = (
    None,
    "beauty",
    "美妆",
    "fashion",
    "时尚",
    "food",
    "travel",
    "luxury",
    "banned",
    "tech",
    " beauty ",
    "",
)
HANDLES = (None, "lin", "bot", "a-very-long-handle", "小红薯", "", "x" * 13, "x" * 12)
TEXTS = (None, "上海", "北京", "abc", "", "  ", "-", "暂无")


def _finite_ints(values: Sequence[float]) -> list[float | int]:
    return [int(v) if float(v).is_integer() and abs(v) < 2**62 else v for v in values]


def number_value(target: Target, field: str) -> st.SearchStrategy[Any]:
    """A value of the number field ``field``: edges first, then anything."""
    if field == "followers":
        edges = target.follower_edges()
    elif field in ("price", "live_price", "video_price", "second_price", "repost_price"):
        edges = target.price_edges()
    else:
        edges = target.param_edges()
    edges = _finite_ints(edges) or [0]
    return st.one_of(
        st.sampled_from(edges),
        st.sampled_from(edges),
        st.sampled_from(SPECIAL_NUMBERS),
        st.sampled_from((math.nan, math.inf, -math.inf)),
        st.none(),
        st.sampled_from(GARBAGE_TEXT).map(Raw),
        st.integers(0, 2_000_000),
        st.floats(-1e6, 1e12, allow_nan=False).map(lambda x: x + 0.0),  # never -0.0
    )


def text_value(field: str) -> st.SearchStrategy[Any]:
    choices = {
        "origin": ORIGINS,
        "category": CATEGORIES,
        "handle": HANDLES,
    }.get(field, TEXTS)
    if field == "platform":
        return st.sampled_from((None, "red", "RED", "weibo", "微博", "wechat", "agreetest", ""))
    return st.one_of(st.sampled_from(choices), st.text(TEXT_CHARACTERS, max_size=4))


def field_value(target: Target, field: str) -> st.SearchStrategy[Any]:
    if target.fields[field] == "number":
        return number_value(target, field)
    return text_value(field)


@st.composite
def coherent(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    """A profile whose ratios sit on the usual thresholds: likes per follower, engagement
    rate, comments per like, likes per view, a quote at or inside the tier's band."""
    fields = target.fields
    edges = target.follower_edges()
    followers = draw(st.one_of(st.sampled_from(_finite_ints(edges)), st.integers(0, 3_000_000)))
    base = max(float(followers), 1.0)
    ratios = [r for r in target.number_params() if 0 < r < 10] + [0.5, 1, 2, 3, 4, 6]
    p: dict[str, Any] = {"followers": followers}
    p["total_likes"] = round(base * draw(st.sampled_from(ratios)))
    rate = draw(st.sampled_from((0.00005, 0.0002, 0.001, 0.003, 0.01, 0.03, 0.05, 0.08)))
    engagement = base * rate
    likes = round(engagement * 0.6)
    p["avg_likes"] = likes
    p["avg_collects"] = round(engagement * 0.3)
    p["avg_shares"] = round(engagement * 0.1)
    p["avg_comments"] = round(likes * draw(st.sampled_from((0.005, 0.01, 0.02, 0.03, 0.05, 0.1))))
    per_view = draw(st.sampled_from((None, 0.001, 0.005, 0.01, 0.02, 0.03, 0.05)))
    p["avg_views"] = None if per_view is None else round(likes / per_view)
    if draw(st.booleans()):
        p["avg_views"] = draw(st.sampled_from((100_001, Raw("10万+"), 99_999, 100_000)))
    params = [v for v in target.param_edges() if v >= 0] or [10]
    p["posts"] = draw(st.sampled_from([*_finite_ints(params), 5, 50, 200]))
    tier = next(
        (
            t
            for t in target.plan.tiers
            if t.min_followers <= followers
            and (t.max_followers is None or followers < t.max_followers)
        ),
        None,
    )
    prices: list[Any] = [None]
    if tier is not None:
        low = tier.price_min if tier.price_min is not None else 100.0
        high = tier.price_max if tier.price_max is not None else low * 3
        prices += [low, high, low - 1, high + 1, round((low + high) / 2)]
    p["price"] = draw(st.sampled_from([*_finite_ints([x for x in prices if x is not None]), None]))
    p["origin"] = draw(st.sampled_from(("homegrown", None, "本土", "跨平台", "明星")))
    p["account_age_days"] = draw(st.sampled_from((None, 90, 364, 365, 366, 1_200)))
    p["category"] = draw(st.sampled_from(CATEGORIES))
    p["handle"] = draw(st.sampled_from(HANDLES))
    extras: dict[str, Any] = {
        "following": round(base * draw(st.sampled_from((0.1, 1.0, 2.0, 2.5)))),
        "active_fans_rate": draw(st.sampled_from((0.1, 0.3, 0.6, Raw("45%"), None))),
        "avg_wows": round(likes * draw(st.sampled_from((0.0, 0.1, 0.5, 1.0)))),
        "median_interactions": draw(st.sampled_from((None, round(engagement)))),
        "completion_rate": draw(st.sampled_from((0.1, 0.2, 0.35, Raw("45%"), -0.1, None))),
        "live_price": draw(st.sampled_from((None, 8_000, 50_000, 50_001))),
        "region": draw(st.sampled_from(TEXTS)),
        "brand_fit": draw(st.sampled_from((None, 0.4, 0.5, 0.9))),
    }
    p.update((k, v) for k, v in extras.items() if k in fields)
    return {k: v for k, v in p.items() if k in fields}


@st.composite
def row_values(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    """One profile by field (no id yet): a seed as written, a seed changed in one to
    three fields, a coherent profile, or independent values."""
    fields = [f for f in target.fields if f not in ("id", "platform")]
    sources = ("seed",) * 2 + ("changed seed",) * 3 + ("coherent",) * 3 + ("chaos",)
    source = draw(st.sampled_from(sources))
    if source.endswith("seed") and target.seeds:
        row = dict(draw(st.sampled_from(draw(st.sampled_from(target.seeds)))))
        row.pop("id", None)
        if source == "changed seed":
            for field in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3)):
                row[field] = draw(field_value(target, field))
    elif source != "chaos":
        row = draw(coherent(target))
    else:
        row = {}
        for field in fields:
            if draw(st.booleans()):
                row[field] = draw(field_value(target, field))
    if "platform" in target.fields and draw(st.integers(0, 9)) == 0:
        row["platform"] = draw(text_value("platform"))
    return row


# -- cases ----------------------------------------------------------------------------------

MODES = ("text", "typed", "mixed")


@attrs.frozen
class Column:
    field: str | None  # None: a column no field reads
    header: str
    kind: str  # "str", "f64" or "i64"
    cells: tuple[Any, ...]


@attrs.frozen
class Case:
    """One example: a target, its input as columns, and how to feed both paths."""

    key: str
    mode: str
    columns: tuple[Column, ...]
    batch_rows: int
    reasons: str

    @property
    def target(self) -> Target:
        return targets()[self.key]

    def frame(self) -> pl.DataFrame:
        """The typed frame (text in ``text`` mode)."""
        dtypes = {"str": pl.String, "f64": pl.Float64, "i64": pl.Int64}
        return pl.DataFrame(
            [pl.Series(c.header, list(c.cells), dtype=dtypes[c.kind]) for c in self.columns]
        )

    def inputs(self) -> tuple[list[dict[str, Any]], pl.DataFrame]:
        """The mappings for the one-profile path, and the frame for the columnar one:
        the same cells, except in ``mixed`` mode, where the columnar path reads the
        typed cells written as text (``str`` of an int, ``repr`` of a float)."""
        typed = self.frame()
        rows = typed.rows(named=True)
        if self.mode != "mixed":
            return rows, typed
        text = pl.DataFrame(
            [
                pl.Series(
                    c.header,
                    [None if v is None else repr(v) if isinstance(v, float) else str(v) for v in s],
                    dtype=pl.String,
                )
                for c, s in zip(self.columns, typed.get_columns(), strict=True)
            ]
        )
        return rows, text

    def cells(self) -> list[tuple[str | None, Any]]:
        return [(c.field, v) for c in self.columns for v in c.cells]


def _wan(v: int, unit: int, sign: str) -> str:
    whole, rest = divmod(v, unit)
    frac = f"{rest:0{len(str(unit)) - 1}d}".rstrip("0")
    return f"{whole}.{frac}{sign}" if frac else f"{whole}{sign}"


@st.composite
def number_text(draw: st.DrawFn, value: Any, units: Mapping[str, float]) -> str:
    """``value`` as an export may write it (the same number, mostly)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return draw(st.sampled_from((repr(value), "1e999" if value > 0 else "-1e999", "NaN")))
    forms = [str(value) if isinstance(value, int) else repr(value)]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
        forms.append(str(value))
    if isinstance(value, int):
        v = abs(value)
        sign = "-" if value < 0 else ""
        forms += [f"{sign}{v:,}", f"{sign}¥{v:,}", f"{sign}{v}元", f" {sign}{v} ", f"{sign}{v} RMB"]
        forms.append(f"{sign}￥{v:,}元")
        if "万" in units and v >= 1_000:
            forms += [sign + _wan(v, 10_000, "万"), sign + _wan(v, 10_000, "万") + "元"]
        if "亿" in units and v >= 1_000_000:
            forms.append(sign + _wan(v, 100_000_000, "亿"))
        if "k" in units and v >= 1_000:
            forms.append(sign + _wan(v, 1_000, "k"))
        if "w" in units and v >= 10_000:
            forms.append(sign + _wan(v, 10_000, "w"))
        if v == 100_001 and "万" in units:
            forms.append("10万+")
    elif "%" in units and 0 < value < 10:
        forms.append(f"{value * 100:g}%")
    return draw(st.sampled_from(forms))


@st.composite
def _ids(draw: st.DrawFn, n: int, duplicates: bool) -> list[Any]:
    """Ids for ``n`` rows: new ones mostly, missing ones, and with ``duplicates`` ids
    seen before, fixed ids and numbers (which may repeat)."""
    kinds = ("new",) * 6 + ("missing",) + (("dup", "fixed", "number") if duplicates else ())
    out: list[Any] = []
    for i in range(n):
        kind = draw(st.sampled_from(kinds))
        if kind == "dup" and out:
            out.append(draw(st.sampled_from(out)))
        elif kind == "missing":
            out.append(draw(st.sampled_from(MISSING_IDS)))
        elif kind == "fixed":
            out.append(draw(st.sampled_from(IDS)))
        elif kind == "number":
            out.append(draw(st.sampled_from((7, 12_345, 0, -3))))
        else:
            out.append(f"r{i}")
    return out


def _header(draw: st.DrawFn, spellings: Sequence[str]) -> str:
    header = draw(st.sampled_from(list(spellings)))
    style = draw(st.sampled_from(("as is",) * 4 + ("upper", "padded")))
    if style == "upper":
        return header.upper()
    if style == "padded":
        return f" {header} "
    return header


@st.composite
def cases(draw: st.DrawFn, key: str | None = None, max_rows: int = 48) -> Case:
    """A :class:`Case` for the target ``key``, or for any of :func:`targets`."""
    all_targets = targets()
    if key is None:
        key = draw(st.sampled_from(sorted(all_targets)))
    target = all_targets[key]
    mode = draw(st.sampled_from((*MODES, "typed")))
    n = draw(st.integers(1, max_rows))
    rows = [draw(row_values(target)) for _ in range(n)]
    # No duplicate ids where a plugin checks profiles: the one-profile path lists its
    # problems in a duplicate's row error, the columnar path does not (a known
    # disagreement, see test_a_duplicate_id_that_a_plugin_flags in test_paths_agree.py).
    ids = draw(_ids(n, duplicates=target.engine.phases is None))
    units = target.platform.units
    present = {f for r in rows for f in r}
    # Columns the whole input lacks (a rule reading only those is not applied to any
    # row: Engine.plan_for), the price's most often: a file without quotes is common.
    optional = [f for f in target.fields if f != "id" and f not in target.platform.required]
    lacks = draw(st.sets(st.sampled_from(optional), max_size=3)) if optional else set()
    if draw(st.booleans()):
        lacks.add("price")
    columns: list[Column] = []
    for field in target.fields:
        if field == "id":
            values: list[Any] = ids
        elif field in lacks and field not in target.platform.required:
            continue
        elif field in present or field in target.platform.required:
            values = [r.get(field) for r in rows]
        else:
            continue
        header = _header(draw, target.aliases[field])
        columns.append(_column(draw, field, header, values, mode, target, units))
    for extra in draw(st.lists(st.sampled_from(EXTRA_COLUMNS), max_size=2, unique=True)):
        cells = [draw(st.sampled_from((None, "x", "备注", "1"))) for _ in range(n)]
        columns.append(Column(None, extra, "str", tuple(cells)))
    order = draw(st.permutations(range(len(columns))))
    size = draw(st.sampled_from((n, n, max(1, (n + 1) // 2))))  # one batch or two
    reasons = draw(st.sampled_from(("text", "text", "rules", "none")))
    return Case(key, mode, tuple(columns[i] for i in order), size, reasons)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _column(
    draw: st.DrawFn,
    field: str,
    header: str,
    values: list[Any],
    mode: str,
    target: Target,
    units: Mapping[str, float],
) -> Column:
    number = target.fields[field] == "number"
    kinds = ["str"]
    if mode != "text":
        known = [v for v in values if v is not None]
        ints = all(_is_number(v) and isinstance(v, int) and abs(v) < 2**63 for v in known)
        nums = all(_is_number(v) for v in known)
        if ints:
            kinds += ["i64", "i64"] + (["f64"] if number else [])
        elif nums and number:
            kinds += ["f64", "f64"]
    kind = draw(st.sampled_from(kinds))
    if kind == "i64":
        cells = tuple(values)
    elif kind == "f64":
        cells = tuple(None if v is None else float(v) for v in values)
    else:
        cells = tuple(
            None
            if v is None
            else draw(number_text(v, units))
            if number
            else str(v)
            if not isinstance(v, str)
            else v
            for v in values
        )
    if mode == "mixed" and kind == "f64":
        cells = tuple(None if v is not None and not math.isfinite(v) else v for v in cells)
    return Column(field, header, kind, cells)
