"""red-default written by hand as plain Python: the practical limit for one profile.

:func:`decide` takes one profile (a dict with the benchmark's columns, values as numbers,
``None`` or export text) and returns what kolrules' ``Engine.evaluate_one`` returns in
substance: verdict, tier, price band and position, CPE, score and one finding per rule (a
message for each failed rule, in its own words). It reads cells as kolrules does
(``1.2万``, ``8,000``, ``暂无``) and raises :class:`RowInputError` for a row kolrules would
not evaluate. :func:`evaluate_rows` goes through a file's rows as kolrules does (a repeated
id is a row error) and gives each row's errors in kolrules' words (:func:`cell_errors`).

:func:`normalise` is also the reference reader of the other one-profile peers (zen-engine,
rule-engine): they get its typed values, so the three agree on what a cell means and only
the rules are theirs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from . import _red as red

_CLEAN = re.compile(red.CLEAN_RE)
_PLAIN = re.compile(red.PLAIN_RE)
_UNITS = re.compile(red.UNITS_RE)
_ORIGINS = {k.casefold(): v for k, v in red.ORIGINS.items()}
_MISSING = red.MISSING
_COUNTS = red.COUNT_FIELDS
_INF = math.inf

PASS, FAIL, NOT_APPLICABLE, UNKNOWN = red.PASS, red.FAIL, red.NOT_APPLICABLE, red.UNKNOWN
_LABELS = red.OUTCOME_LABELS


class RowInputError(ValueError):
    """The row is not evaluated (empty id, unreadable or negative followers)."""


class Values(NamedTuple):
    """One profile's typed values, and whether a cell could not be read."""

    values: dict[str, Any]
    data_errors: bool


class Decision(NamedTuple):
    verdict: str
    tier: str | None
    quote: float | None
    band_min: float | None
    band_max: float | None
    position: str | None  # the quote against the band: below, within, above
    cpe: float | None
    score: float | None
    outcomes: tuple[int, ...]
    findings: tuple[tuple[str, str], ...]  # (rule id, outcome label), in ruleset order
    messages: dict[str, str]  # rule id -> message, for the failed rules


def read_number(cell: Any) -> float | None:
    """A cell as a number (``None``: no value). Raises ``ValueError`` when it is not one."""
    if cell is None:
        return None
    kind = type(cell)
    if kind is float or kind is int:
        value = float(cell)
    elif kind is str:
        if cell.isascii() and cell.isdigit():  # the common case: plain digits
            return float(cell)
        text = cell.strip()
        if text in _MISSING:
            return None
        text = _CLEAN.sub("", text)
        if _PLAIN.match(text):
            value = float(text)
        else:
            m = _UNITS.match(text)
            if m is None:
                raise ValueError("not a number")
            sign, whole, fraction, unit, plus = m.groups()
            fraction = fraction or ""
            digits = float(whole + fraction)
            scale = float(10 ** len(fraction))
            factor = red.UNITS[unit] if unit else 1.0
            # digits * factor / scale, exactly as kolrules computes it
            scaled = digits * factor / scale if factor >= 1 else digits / (scale / factor)
            value = (-scaled if sign == "-" else scaled) + (red.PLUS_ADDS if plus else 0.0)
    else:  # bool or anything else
        raise ValueError("not a number")
    if not -_INF < value < _INF:
        raise ValueError("not a finite number")
    return value


def _read_text(cell: Any) -> str | None:
    if cell is None:
        return None
    text = str(cell).strip()
    return None if text in _MISSING else text


def normalise(raw: Mapping[str, Any]) -> Values:
    """Typed values of one profile; raises :class:`RowInputError` for a row error."""
    values: dict[str, Any] = {}
    data_errors = False
    pid = _read_text(raw.get("id"))
    if pid is None:
        raise RowInputError("empty id")
    values["id"] = pid
    for field in red.NUMBER_FIELDS:
        cell = raw.get(field)
        kind = type(cell)
        if cell is None:
            values[field] = None
            continue
        if kind is float or kind is int:  # typed input: only check it
            value = float(cell)
            problem = (
                "not a finite number"
                if not -_INF < value < _INF
                else ("negative" if value < 0 and field in _COUNTS else None)
            )
        else:
            try:
                value = read_number(cell)
                problem = (
                    "negative" if value is not None and value < 0 and field in _COUNTS else None
                )
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            if field == "followers":
                raise RowInputError(f"followers: {problem}")
            data_errors = True
            value = None
        values[field] = value
    origin = _read_text(raw.get("origin"))
    if origin is not None:
        canonical = _ORIGINS.get(origin.casefold())
        if canonical is None:
            data_errors = True
        origin = canonical
    values["origin"] = origin
    values["handle"] = _read_text(raw.get("handle"))
    values["category"] = _read_text(raw.get("category"))
    return Values(values, data_errors)


def context(values: Mapping[str, Any], data_errors: bool) -> dict[str, Any]:
    """The input of the rules engines that do not read export text (zen-engine,
    rule-engine): the typed values the rules read, and whether a cell was unreadable."""
    ctx = {f: values[f] for f in red.NUMBER_FIELDS}
    ctx["origin"] = values["origin"]
    ctx["data_errors"] = data_errors
    return ctx


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or not b:  # missing, or division by zero
        return None
    q = a / b
    return q if -_INF < q < _INF else None


# The score's divisions by constants, as multiplications by reciprocals (as kolrules does,
# so the last bit agrees).
_BY_ER = 1.0 / 0.04  # engagement rate: 1 % scores 0, 5 % scores 100
_BY_CPL = 1.0 / 0.005  # comments per like: log scale from 0.5 %
_LOG_CPL = 1.0 / math.log(0.1 / 0.005)  # ... to 10 %
_BY_CPE = 1.0 / 30.0  # CPE: log scale from 30 RMB
_LOG_CPE = 1.0 / math.log(3.0 / 30.0)  # ... to 3 RMB


def _score(er: float | None, cpl: float | None, cpe: float | None) -> float | None:
    """red-default's weighted score (engagement rate 3, comments per like 1, CPE 2)."""
    a = 0.0 if er is None else 3.0 * (min(max(er, 0.01), 0.05) - 0.01) * _BY_ER
    b = 0.0 if cpl is None else 1.0 * math.log(min(max(cpl, 0.005), 0.1) * _BY_CPL) * _LOG_CPL
    c = 0.0 if cpe is None else 2.0 * math.log(min(max(cpe, 3.0), 30.0) * _BY_CPE) * _LOG_CPE
    weight = (0.0 if er is None else 3.0) + (
        (0.0 if cpl is None else 1.0) + (0.0 if cpe is None else 2.0)
    )
    if not weight:
        return None
    s = 100.0 * (a + (b + c)) / weight
    return 0.0 if s < 0.0 else (100.0 if s > 100.0 else s)


def evaluate(v: Mapping[str, Any], data_errors: bool = False) -> Decision:
    """Evaluate one profile's typed values (see :func:`normalise`)."""
    followers = v["followers"]
    if followers is None:
        tier = band_min = band_max = None
    elif 1_000.0 <= followers < 50_000.0:
        tier, band_min, band_max = "micro", 500.0, 8_000.0
    elif 50_000.0 <= followers < 1_000_000.0:
        tier, band_min, band_max = "mid", 8_000.0, 30_000.0
    elif 1_000_000.0 <= followers < 10_000_000.0:
        tier, band_min, band_max = "top", 30_000.0, 300_000.0
    elif followers >= 10_000_000.0:
        tier, band_min, band_max = "celebrity", None, None
    else:
        tier = band_min = band_max = None

    likes = v["avg_likes"]
    comments = v["avg_comments"]
    collects = v["avg_collects"]
    views = v["avg_views"]
    price = v["price"]
    origin = v["origin"]
    lpf = _div(v["total_likes"], followers)
    if likes is None or collects is None or comments is None:
        epp = None
    else:
        epp = likes + collects + comments
        if not -_INF < epp < _INF:
            epp = None
    er = _div(epp, followers)
    cpl = _div(comments, likes)
    median = v["median_interactions"]
    cpe = _div(price, median if median is not None else epp)

    o_tier = PASS if tier is not None else FAIL
    o_fake = UNKNOWN if lpf is None else (PASS if lpf >= 1.0 else FAIL)
    o_lpf = UNKNOWN if lpf is None else (PASS if lpf >= 3.0 else FAIL)
    if views is None:
        o_view = NOT_APPLICABLE
    else:
        lpv = _div(likes, views)
        o_view = UNKNOWN if lpv is None else (PASS if 0.01 <= lpv <= 0.03 else FAIL)
    if likes is None or likes < 100.0:
        o_comments = NOT_APPLICABLE
    else:
        o_comments = UNKNOWN if cpl is None else (PASS if cpl >= 0.02 else FAIL)
    if tier != "micro":
        o_er = NOT_APPLICABLE
    else:
        o_er = UNKNOWN if er is None else (PASS if er >= 0.03 else FAIL)
    posts = v["posts"]
    o_posts = UNKNOWN if posts is None else (PASS if posts >= 10.0 else FAIL)
    if origin != "cross_platform":
        o_young = NOT_APPLICABLE
    else:
        age = v["account_age_days"]
        o_young = UNKNOWN if age is None else (PASS if age >= 365.0 else FAIL)
    o_celeb = FAIL if origin == "celebrity" or tier == "celebrity" else PASS
    if price is None:
        o_gift = FAIL
        o_usual = NOT_APPLICABLE
        o_roi = o_above = o_below = UNKNOWN
    else:
        o_gift = PASS
        if price <= 10_000.0:
            o_roi = PASS
            o_usual = PASS if 500.0 <= price <= 8_000.0 else FAIL
        else:
            o_roi = FAIL
            o_usual = NOT_APPLICABLE
        o_above = UNKNOWN if band_max is None else (PASS if price <= band_max else FAIL)
        o_below = UNKNOWN if band_min is None else (PASS if price >= band_min else FAIL)
    outcomes = (
        o_tier,
        o_fake,
        o_lpf,
        o_view,
        o_comments,
        o_er,
        o_posts,
        o_young,
        o_celeb,
        o_gift,
        o_usual,
        o_roi,
        o_above,
        o_below,
    )

    if o_fake == FAIL:
        verdict = "reject"
    else:
        warns = (
            (o_lpf == FAIL)
            + (o_view == FAIL)
            + (o_comments == FAIL)
            + (o_er == FAIL)
            + (o_posts == FAIL)
            + (o_usual == FAIL)
            + (o_roi == FAIL)
            + (o_above == FAIL)
        )
        review = FAIL in (o_tier, o_young, o_celeb) or warns >= 2 or data_errors
        verdict = "review" if review else "accept"
    findings = tuple(zip(red.RULE_IDS, map(_LABELS.__getitem__, outcomes), strict=True))
    messages = {
        rule_id: _message(rule_id, v, tier, lpf, er, cpl)
        for rule_id, o in zip(red.RULE_IDS, outcomes, strict=True)
        if o == FAIL
    }
    score = _score(er, cpl, cpe)
    if price is None or (band_min is None and band_max is None):
        position = None
    elif band_min is not None and price < band_min:
        position = "below"
    elif band_max is not None and price > band_max:
        position = "above"
    else:
        position = "within"
    return Decision(
        verdict, tier, price, band_min, band_max, position, cpe, score, outcomes, findings, messages
    )


def _message(
    rule_id: str,
    v: Mapping[str, Any],
    tier: str | None,
    lpf: float | None,
    er: float | None,
    cpl: float | None,
) -> str:
    """The message of a failed rule (the same facts kolrules' messages give)."""
    if rule_id == "tier-known":
        return f"no tier for {v['followers']} followers"
    if rule_id in ("likes-below-followers", "likes-per-follower-low"):
        return f"total likes and collects are {lpf:.2f}x followers"
    if rule_id == "likes-per-view-band":
        return f"likes {v['avg_likes']:.0f} per {v['avg_views']:.0f} views"
    if rule_id == "few-comments":
        return f"{v['avg_comments']:.0f} comments per {v['avg_likes']:.0f} likes ({cpl:.1%})"
    if rule_id == "engagement-rate-low":
        return f"engagement per post is {er:.2%} of followers"
    if rule_id == "few-posts":
        return f"only {v['posts']:.0f} notes"
    if rule_id == "cross-platform-young":
        return f"cross-platform account only {v['account_age_days']:.0f} days on RED"
    if rule_id == "celebrity-endorsement":
        return f"celebrity (origin {v['origin']}, tier {tier})"
    if rule_id == "gifting-candidate":
        return "no quote: gifting candidate"
    return f"quote {v['price']:,.0f} RMB ({rule_id})"


def decide(profile: Mapping[str, Any]) -> Decision:
    """Read and evaluate one profile: the one-profile call that is timed."""
    values, data_errors = normalise(profile)
    return evaluate(values, data_errors)


def cell_errors(raw: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The problems of one row's cells in kolrules' words (``column 'price' 'abc': not a
    number``), in the platform's field order: (those that stop the row, the others). Only
    called for rows with a problem, so the evaluation itself never builds these texts."""
    hard: list[str] = []
    soft: list[str] = []
    for field in red.CELL_ORDER:
        cell = raw.get(field)
        if field == "id":
            if _read_text(cell) is None:
                hard.append(f"column {field!r}: {red.EMPTY_ID}")
            continue
        if cell is None:
            continue
        if field == "origin":
            text = _read_text(cell)
            if text is not None and text.casefold() not in _ORIGINS:
                soft.append(f"column {field!r} {str(cell)!r}: {red.UNKNOWN_ORIGIN}")
            continue
        try:
            value = read_number(cell)
        except ValueError as exc:
            problem = red.NOT_FINITE if "finite" in str(exc) else red.NOT_A_NUMBER
        else:
            if value is None or value >= 0 or field not in _COUNTS:
                continue
            problem = red.NEGATIVE
        text = f"column {field!r} {str(cell)!r}: {problem}"
        (hard if field in red.REQUIRED else soft).append(text)
    return hard, soft


class RowResult(NamedTuple):
    row: int
    id: str | None
    status: str  # evaluated | error
    verdict: str | None
    tier: str | None
    outcomes: tuple[int, ...] | None
    score: float | None
    decision: Decision | None = None
    errors: str | None = None  # kolrules' errors column: row errors, or unreadable cells


class RowValues(NamedTuple):
    """One row of a file, read: its typed values, or ``None`` for a row kolrules does not
    evaluate (``duplicate_of``: the row that took its id first)."""

    row: int
    raw: Mapping[str, Any]
    id: str | None
    values: Values | None
    duplicate_of: int | None = None


def read_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[RowValues]:
    """Every row of a file in order, read, with kolrules' duplicate-id rule (an id is taken
    by the first row that is evaluated; a later row with it is a row error)."""
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows, 1):
        try:
            values = normalise(raw)
        except RowInputError:
            yield RowValues(n, raw, _read_text(raw.get("id")), None)
            continue
        pid = values.values["id"]
        first = seen.get(pid)
        if first is not None:
            yield RowValues(n, raw, pid, None, first)
            continue
        seen[pid] = n
        yield RowValues(n, raw, pid, values)


def _errors_text(r: RowValues) -> str | None:
    if r.values is not None and not r.values.data_errors:
        return None
    hard, soft = cell_errors(r.raw)
    if r.duplicate_of is not None:
        hard.append(f"column 'id' {r.id!r}: duplicate id, first seen at row {r.duplicate_of}")
    return " | ".join(soft if r.values is not None else (*hard, *soft))


def evaluate_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[RowResult]:
    """Every row of a file in order (see :func:`read_rows`), evaluated."""
    for r in read_rows(rows):
        if r.values is None:
            yield RowResult(r.row, r.id, "error", None, None, None, None, None, _errors_text(r))
            continue
        d = evaluate(*r.values)
        yield RowResult(
            r.row, r.id, "evaluated", d.verdict, d.tier, d.outcomes, d.score, d, _errors_text(r)
        )
