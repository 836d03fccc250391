"""Static checks of a compiled ruleset: the warnings of ``kolrules validate``.

Everything here is well defined at run time but probably not what the author meant:

- gaps between tiers, and price bands that fall as tiers rise;
- rules that can never apply, never pass or never fail (proved by :mod:`kolrules.checks.reach`,
  so there are no false alarms: a rule this cannot prove anything about is left alone);
- comparisons of ``tier`` or ``origin`` with a value they never take;
- params and metrics the ruleset's own file sets but nothing uses;
- a new rule in an overlay whose id is close to an inherited one (a typo'd override?);
- a rule with no message in a language other rules give theirs in (``message.zh``).

Errors (the ruleset cannot be used) are found when loading and compiling; see
docs/rulesets.md, "Errors and warnings".
"""

from __future__ import annotations

import ast
import difflib
import itertools
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from kolrules.checks.reach import Bool, Num, Text, Value, constant, evaluate, impossible, narrow
from kolrules.errors import RulesetIssue
from kolrules.findings.words import DEFAULT_LANG, LANGS
from kolrules.types import ORIGINS, Tier

if TYPE_CHECKING:
    from kolrules.compile import CompiledRule, Plan
    from kolrules.expression import Expression
    from kolrules.ruleset import Ruleset

__all__ = ["static_checks"]


def static_checks(plan: Plan) -> list[RulesetIssue]:
    """Every warning for ``plan``, in the order of the checks above."""
    rs = plan.ruleset
    env = _environment(plan)
    values = list(_impossible_values(plan))
    flagged = {(i.file, i.line, i.key) for i in values}
    reach = [i for i in _reachability(plan, env) if (i.file, i.line, i.key) not in flagged]
    return [
        *_tier_gaps(rs),
        *_falling_bands(rs),
        *reach,
        *values,
        *_unused(plan),
        *_near_inherited_ids(rs),
        *_untranslated(rs),
    ]


def _warn(rs: Ruleset, path: tuple[str | int, ...], message: str, hint: str) -> RulesetIssue:
    return rs.issue(path, message, hint, severity="warning")


# -- tiers ------------------------------------------------------------------------------


def _ordered(rs: Ruleset) -> list[tuple[int, Tier]]:
    return sorted(enumerate(rs.tiers or ()), key=lambda it: it[1].min_followers)


def _tier_gaps(rs: Ruleset) -> Iterator[RulesetIssue]:
    for (_, a), (j, b) in itertools.pairwise(_ordered(rs)):
        if a.max_followers is not None and a.max_followers < b.min_followers:
            yield _warn(
                rs,
                ("tiers", j, "min_followers"),
                f"followers from {a.max_followers:,.0f} to {b.min_followers:,.0f} fall in no "
                f"tier: tier {a.name!r} ends at {a.max_followers:,.0f}, "
                f"tier {b.name!r} starts at {b.min_followers:,.0f}",
                "profiles there get no tier and no price band; close the gap, and write a "
                "rule to turn such accounts away",
            )


def _falling_bands(rs: Ruleset) -> Iterator[RulesetIssue]:
    for key in ("price_min", "price_max"):
        previous: Tier | None = None
        for j, tier in _ordered(rs):
            value = getattr(tier, key)
            if value is None:
                continue
            before = None if previous is None else getattr(previous, key)
            if previous is not None and before is not None and value < before:
                yield _warn(
                    rs,
                    ("tiers", j, key),
                    f"{key} falls as tiers rise: {value:,.0f} RMB for tier {tier.name!r}, "
                    f"below {before:,.0f} RMB for the smaller tier {previous.name!r}",
                    "a bigger account's fair band should not be below a smaller one's; "
                    "check the two tiers' bands",
                )
            previous = tier


# -- what rules can do ----------------------------------------------------------------------


def _environment(plan: Plan) -> dict[str, Value]:
    """The possible values of every name, before any profile is seen."""
    env: dict[str, Value] = {}
    for name, kind in plan.inputs.items():
        if kind == "number":
            env[name] = Num(0.0, math.inf) if name in plan.schema.non_negative else Num()
        elif kind == "bool":
            env[name] = Bool()
        else:
            env[name] = Text(frozenset(ORIGINS)) if name == "origin" else Text()
    env.update({name: constant(value) for name, value in plan.params.items()})
    env["tier"] = Text(frozenset(t.name for t in plan.tiers))
    for key in ("band_min", "band_max"):
        bands = [
            v for t in plan.tiers if (v := getattr(t, key.replace("band", "price"))) is not None
        ]
        env[key] = Num(min(bands), max(bands)) if bands else Num(math.inf, -math.inf)
    for name, expr in plan.metrics:
        env[name] = Num() if expr is None else evaluate(expr.tree, env)
    return env


def _reachability(plan: Plan, env: Mapping[str, Value]) -> Iterator[RulesetIssue]:
    rs = plan.ruleset
    for i, compiled in enumerate(plan.rules):
        rule = compiled.rule
        if compiled.when is not None:
            w = evaluate(compiled.when.tree, env)
            clash = impossible(narrow(compiled.when.tree, env))
            if (isinstance(w, Bool) and True not in w.values) or clash:
                yield _warn(
                    rs,
                    ("rules", i, "when"),
                    f"rule {rule.id!r} never applies: when {compiled.when.source!r} "
                    "can never be true",
                    f"its tests of {', '.join(clash)} contradict each other"
                    if clash
                    else _why(compiled.when, env),
                )
                continue
        scope = narrow(compiled.when.tree, env) if compiled.when is not None else env
        req = evaluate(compiled.require.tree, scope)
        if not isinstance(req, Bool):  # pragma: no cover - require is checked to be true/false
            continue
        can_pass = True in req.values or (req.missing and rule.missing == "pass")
        can_fail = False in req.values or (req.missing and rule.missing == "fail")
        condition = " when it applies" if compiled.when is not None else ""
        if not can_pass:
            yield _warn(
                rs,
                ("rules", i, "require"),
                f"rule {rule.id!r} never passes: require {compiled.require.source!r} "
                f"can never be true{condition}",
                _why(compiled.require, scope),
            )
        elif not can_fail:
            yield _warn(
                rs,
                ("rules", i, "require"),
                f"rule {rule.id!r} never fails: require {compiled.require.source!r} "
                f"is always true{condition}",
                _why(compiled.require, scope),
            )


def _number(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) and abs(v) < 1e15 else f"{v:g}"


def _why(expr: Expression, env: Mapping[str, Value]) -> str:
    shown = []
    for name in expr.names:
        v = env.get(name)
        if isinstance(v, Num) and not v.empty and not (math.isinf(v.lo) and math.isinf(v.hi)):
            if v.lo == v.hi:
                span = _number(v.lo)
            elif math.isinf(v.hi):
                span = f"at least {_number(v.lo)}"
            elif math.isinf(v.lo):
                span = f"at most {_number(v.hi)}"
            else:
                span = f"{_number(v.lo)} to {_number(v.hi)}"
            shown.append(f"{name} is {span}")
        elif isinstance(v, Text) and v.values is not None and len(v.values) <= 6:
            shown.append(f"{name} is one of {', '.join(sorted(map(repr, v.values)))}")
    facts = "; ".join(shown)
    return (facts + ": " if facts else "") + "check the thresholds and the names it compares"


# -- comparisons with values a name never takes ---------------------------------------------


def _expressions(plan: Plan) -> Iterator[tuple[tuple[str | int, ...], Expression]]:
    rs = plan.ruleset
    for name, expr in plan.metrics:
        if expr is not None and name in rs.metrics:
            yield ("metrics", name), expr
    for i, compiled in enumerate(plan.rules):
        if compiled.when is not None:
            yield ("rules", i, "when"), compiled.when
        yield ("rules", i, "require"), compiled.require


def _impossible_values(plan: Plan) -> Iterator[RulesetIssue]:
    domains = {"tier": [t.name for t in plan.tiers], "origin": list(ORIGINS)}
    for path, expr in _expressions(plan):
        for node in ast.walk(expr.tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for a, b in itertools.pairwise(operands):
                for name_node, other in ((a, b), (b, a)):
                    if not (isinstance(name_node, ast.Name) and name_node.id in domains):
                        continue
                    known = domains[name_node.id]
                    for value in _string_constants(other):
                        if value not in known:
                            close = difflib.get_close_matches(value, known, n=1)
                            yield _warn(
                                plan.ruleset,
                                path,
                                f"{name_node.id} is never {value!r} in {expr.source!r}",
                                (f"did you mean {close[0]!r}? " if close else "")
                                + f"{name_node.id} is one of: {', '.join(known)}",
                            )


def _string_constants(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


# -- unused params and metrics -------------------------------------------------------------


def _used_names(plan: Plan) -> set[str]:
    """Every name read by a rule (``when``, ``require``, message), the score or pricing,
    following metrics to the names they read."""
    by_metric = {name: set(expr.names) for name, expr in plan.metrics if expr is not None}
    todo: list[str] = ["engagement", "cpe"]
    for compiled in plan.rules:
        todo += _rule_names(compiled)
    if plan.score is not None:
        todo += plan.score.names
    used: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo += by_metric.get(name, ())
    return used


def _rule_names(compiled: CompiledRule) -> list[str]:
    names = [*compiled.require.names, *compiled.template_names, *compiled.message_names]
    if compiled.when is not None:
        names += compiled.when.names
    return names


def _unused(plan: Plan) -> Iterator[RulesetIssue]:
    rs = plan.ruleset
    used = _used_names(plan)
    for section, names in (("params", rs.params), ("metrics", rs.metrics)):
        kind = section[:-1]
        for name in names:
            origin, _ = rs.origin((section, name))
            if name in used or origin is None or origin.file != rs.path:
                continue
            close = difflib.get_close_matches(name, [n for n in names if n in used], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield _warn(
                rs,
                (section, name),
                f"{kind} {name!r} is not used by any rule, metric, message or score",
                hint + "remove it, or use it in a rule",
            )


# -- overlays ----------------------------------------------------------------------------


def _near_inherited_ids(rs: Ruleset) -> Iterator[RulesetIssue]:
    if len(rs.chain) < 2:
        return
    inherited: list[tuple[int, str]] = []
    new: list[tuple[int, str]] = []
    for i, rule in enumerate(rs.rules):
        origin, _ = rs.origin(("rules", i))
        (new if origin is not None and origin.file == rs.path else inherited).append((i, rule.id))
    names = [rid for _, rid in inherited]
    for i, rid in new:
        close = difflib.get_close_matches(rid, names, n=1, cutoff=0.8)
        if close:
            yield _warn(
                rs,
                ("rules", i, "id"),
                f"new rule {rid!r} is next to the inherited rule {close[0]!r}",
                f"to change {close[0]!r}, use its id; to keep both, pick a more distinct id",
            )


# -- messages in each language -------------------------------------------------------------


def _untranslated(rs: Ruleset) -> Iterator[RulesetIssue]:
    """A rule without a message in a language that other rules of the ruleset give theirs
    in: output in that language would show its English one among translated ones. Only
    rules whose message the ruleset's own file sets (or leaves out) are named."""
    for lang in LANGS:
        if lang == DEFAULT_LANG:
            continue
        given = sum(lang in r.messages for r in rs.rules)
        if not given:
            continue
        for i, r in enumerate(rs.rules):
            if lang in r.messages:
                continue
            where: tuple[str | int, ...] = ("rules", i)
            if r.messages:  # a table: where its first language is written
                where = ("rules", i, "message", next(iter(r.messages)))
            elif r.message is not None:
                where = ("rules", i, "message")
            origin, _ = rs.origin(where)
            if origin is not None and origin.file != rs.path:
                continue
            yield _warn(
                rs,
                where,
                f"rule {r.id!r} has no {lang} message, though {given} other "
                f"rule{'s' if given > 1 else ''} give one: --lang {lang} shows its English one",
                f'add message.{lang} = "..." (a message given as a table: '
                f'message = {{ en = "...", {lang} = "..." }})',
            )
