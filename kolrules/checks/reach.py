"""What values an expression can take: a sound over-approximation for static checks.

Numbers are tracked as intervals, text as a set of possible strings (or "any"),
true/false as the set of possible truth values; each may also be missing. The checks in
:mod:`kolrules.checks.static` only report what this proves (a ``when`` that can never be true,
a ``require`` that can never pass or never fail), so an imprecise answer only means a
missed warning, never a false alarm.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

__all__ = ["Bool", "Num", "Text", "Value", "evaluate", "impossible", "narrow"]

_INF = math.inf


@attrs.frozen
class Num:
    """A number in ``[lo, hi]`` (empty when ``lo > hi``), or missing if ``missing``."""

    lo: float = -_INF
    hi: float = _INF
    missing: bool = True

    @property
    def empty(self) -> bool:
        return self.lo > self.hi


@attrs.frozen
class Text:
    """A string among ``values`` (``None``: any string), or missing if ``missing``."""

    values: frozenset[str] | None = None
    missing: bool = True


@attrs.frozen
class Bool:
    """True and/or false (``values``), or missing if ``missing``."""

    values: frozenset[bool] = frozenset({True, False})
    missing: bool = True


Value = Num | Text | Bool
_ANY_BOOL = Bool()
_NOTHING = Num(_INF, -_INF, True)


def constant(value: Any) -> Value:
    """The value of a literal or a param."""
    if isinstance(value, bool):
        return Bool(frozenset({value}), False)
    if isinstance(value, str):
        return Text(frozenset({value}), False)
    return Num(float(value), float(value), False)


def evaluate(node: ast.expr, env: Mapping[str, Value]) -> Value:
    """The possible values of a checked expression tree, given those of its names."""
    if isinstance(node, ast.Constant):
        return constant(node.value)
    if isinstance(node, ast.Name):
        return env.get(node.id, Num())
    if isinstance(node, ast.UnaryOp):
        inner = evaluate(node.operand, env)
        if isinstance(node.op, ast.Not) and isinstance(inner, Bool):
            return Bool(frozenset(not v for v in inner.values), inner.missing)
        if isinstance(node.op, ast.USub) and isinstance(inner, Num):
            return Num(-inner.hi, -inner.lo, inner.missing)
        return inner
    if isinstance(node, ast.BinOp):
        return _arith(node.op, _num(evaluate(node.left, env)), _num(evaluate(node.right, env)))
    if isinstance(node, ast.BoolOp):
        parts = [_bool(evaluate(v, env)) for v in node.values]
        return _and(parts) if isinstance(node.op, ast.And) else _or(parts)
    if isinstance(node, ast.Compare):
        return _and(list(_comparisons(node, env)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node.func.id, node.args, env)
    return _ANY_BOOL  # pragma: no cover - checked trees hold nothing else


def _num(v: Value) -> Num:
    return v if isinstance(v, Num) else Num()


def _bool(v: Value) -> Bool:
    return v if isinstance(v, Bool) else _ANY_BOOL


def _and(parts: list[Bool]) -> Bool:
    values: set[bool] = set()
    if all(True in p.values for p in parts):
        values.add(True)
    if any(False in p.values for p in parts):
        values.add(False)
    return Bool(frozenset(values), any(p.missing for p in parts))


def _or(parts: list[Bool]) -> Bool:
    values: set[bool] = set()
    if any(True in p.values for p in parts):
        values.add(True)
    if all(False in p.values for p in parts):
        values.add(False)
    return Bool(frozenset(values), any(p.missing for p in parts))


def _arith(op: ast.operator, a: Num, b: Num) -> Num:
    if a.empty or b.empty:
        return _NOTHING
    if isinstance(op, ast.Add):
        lo, hi = a.lo + b.lo, a.hi + b.hi
    elif isinstance(op, ast.Sub):
        lo, hi = a.lo - b.hi, a.hi - b.lo
    elif isinstance(op, ast.Mult):
        corners = [0.0 if x == 0 or y == 0 else x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        lo, hi = min(corners), max(corners)
    else:
        if b.lo == b.hi == 0:
            return _NOTHING  # division by zero: always missing
        if b.lo <= 0 <= b.hi or any(math.isinf(x) for x in (a.lo, a.hi, b.lo, b.hi)):
            return Num()
        quotients = [x / y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        lo, hi = min(quotients), max(quotients)
    if math.isnan(lo) or math.isnan(hi):
        return Num()  # inf - inf
    return Num(lo, hi, a.missing or b.missing or math.isinf(lo) or math.isinf(hi))


_ORDER: Mapping[type[ast.cmpop], Callable[[Num, Num], tuple[bool, bool]]] = {
    ast.Lt: lambda a, b: (a.lo < b.hi, a.hi >= b.lo),
    ast.LtE: lambda a, b: (a.lo <= b.hi, a.hi > b.lo),
    ast.Gt: lambda a, b: (a.hi > b.lo, a.lo <= b.hi),
    ast.GtE: lambda a, b: (a.hi >= b.lo, a.lo < b.hi),
}


def _comparisons(node: ast.Compare, env: Mapping[str, Value]) -> Iterable[Bool]:
    left = evaluate(node.left, env)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            assert isinstance(right_node, ast.List | ast.Tuple)
            consts = [e.value for e in right_node.elts if isinstance(e, ast.Constant)]
            yes, no = _member(left, consts)
            if isinstance(op, ast.NotIn):
                yes, no = no, yes
            yield _truth(yes, no, left.missing)
            return
        right = evaluate(right_node, env)
        missing = left.missing or right.missing
        if type(op) in _ORDER:
            a, b = _num(left), _num(right)
            if a.empty or b.empty:
                yield Bool(frozenset(), True)
            else:
                yield _truth(*_ORDER[type(op)](a, b), missing)
        else:
            yes, no = _equal(left, right)
            if isinstance(op, ast.NotEq):
                yes, no = no, yes
            yield _truth(yes, no, missing)
        left = right


def _truth(yes: bool, no: bool, missing: bool) -> Bool:
    return Bool(frozenset(v for v, ok in ((True, yes), (False, no)) if ok), missing)


def _member(value: Value, consts: list[Any]) -> tuple[bool, bool]:
    if isinstance(value, Text):
        if value.values is None:
            return True, True
        wanted = {c for c in consts if isinstance(c, str)}
        return bool(value.values & wanted), bool(value.values - wanted)
    if isinstance(value, Num):
        numbers = [float(c) for c in consts if not isinstance(c, str)]
        yes = any(value.lo <= c <= value.hi for c in numbers)
        no = not (value.lo == value.hi and value.lo in numbers)
        return yes, no
    return True, True


def _equal(a: Value, b: Value) -> tuple[bool, bool]:
    if isinstance(a, Num) and isinstance(b, Num):
        if a.empty or b.empty:
            return False, False
        yes = a.lo <= b.hi and b.lo <= a.hi
        return yes, not (a.lo == a.hi == b.lo == b.hi)
    if isinstance(a, Text) and isinstance(b, Text):
        if a.values is None or b.values is None:
            return True, True
        one = len(a.values) == 1 and a.values == b.values
        return bool(a.values & b.values), not one
    if isinstance(a, Bool) and isinstance(b, Bool):
        one = len(a.values) == 1 and a.values == b.values
        return bool(a.values & b.values), not one
    return True, True


def _call(name: str, args: list[ast.expr], env: Mapping[str, Value]) -> Value:
    vals = [evaluate(a, env) for a in args]
    if name in {"missing", "present"}:
        v = vals[0]
        present = not (isinstance(v, Num) and v.empty) and not (
            isinstance(v, Bool | Text) and not _has_value(v)
        )
        yes, no = (v.missing, present) if name == "missing" else (present, v.missing)
        return _truth(yes, no, False)
    if name == "ifelse":
        cond = _bool(vals[0])
        branches = []
        if True in cond.values:
            branches.append(vals[1])
        if False in cond.values or cond.missing:
            branches.append(vals[2])
        return _union(branches) if branches else vals[1]
    if name == "coalesce":
        joined = _union(vals)
        return attrs.evolve(joined, missing=all(v.missing for v in vals))
    nums = [_num(v) for v in vals]
    missing = any(n.missing for n in nums)
    if any(n.empty for n in nums):
        return _NOTHING
    if name == "min":
        return Num(min(n.lo for n in nums), min(n.hi for n in nums), missing)
    if name == "max":
        return Num(max(n.lo for n in nums), max(n.hi for n in nums), missing)
    if name == "abs":
        (n,) = nums
        lo = 0.0 if n.lo <= 0 <= n.hi else min(abs(n.lo), abs(n.hi))
        return Num(lo, max(abs(n.lo), abs(n.hi)), missing)
    if name == "log":
        (n,) = nums
        if n.hi <= 0:
            return _NOTHING
        lo = math.log(n.lo) if n.lo > 0 and not math.isinf(n.lo) else -_INF
        return Num(lo, math.log(n.hi) if not math.isinf(n.hi) else _INF, missing or n.lo <= 0)
    if name == "clamp":
        return Num(min(n.lo for n in nums), max(n.hi for n in nums), missing)
    return Num()  # pragma: no cover - checked trees call nothing else


def _has_value(v: Bool | Text) -> bool:
    if isinstance(v, Bool):
        return bool(v.values)
    return v.values is None or bool(v.values)


def _union(vals: list[Value]) -> Value:
    first = vals[0]
    missing = any(v.missing for v in vals)
    if all(isinstance(v, Num) for v in vals):
        nums = [v for v in vals if isinstance(v, Num) and not v.empty]
        if not nums:
            return _NOTHING
        return Num(min(n.lo for n in nums), max(n.hi for n in nums), missing)
    if all(isinstance(v, Text) for v in vals):
        sets = [v.values for v in vals if isinstance(v, Text)]
        if any(s is None for s in sets):
            return Text(None, missing)
        return Text(frozenset().union(*(s for s in sets if s is not None)), missing)
    if all(isinstance(v, Bool) for v in vals):
        return Bool(frozenset().union(*(v.values for v in vals if isinstance(v, Bool))), missing)
    return attrs.evolve(first, missing=True)  # pragma: no cover - checked trees agree


# -- narrowing: what a true `when` says about its names ---------------------------------


def impossible(env: Mapping[str, Value]) -> list[str]:
    """The names left with no possible value (after narrowing by contradictory tests)."""
    out = []
    for name, v in env.items():
        if (isinstance(v, Num) and v.empty and not v.missing) or (
            isinstance(v, Text) and v.values is not None and not v.values and not v.missing
        ):
            out.append(name)
    return out


def narrow(node: ast.expr, env: Mapping[str, Value]) -> dict[str, Value]:
    """``env`` refined by knowing that ``node`` is true: each ``name <op> constant`` (or
    ``name in [...]``, ``present(name)``) in a top-level ``and`` narrows ``name``."""
    out = dict(env)
    parts = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    for part in parts:
        if isinstance(part, ast.Compare):
            _narrow_compare(part, out)
        elif (
            isinstance(part, ast.Call)
            and isinstance(part.func, ast.Name)
            and part.func.id == "present"
            and isinstance(part.args[0], ast.Name)
        ):
            name = part.args[0].id
            if name in out:
                out[name] = attrs.evolve(out[name], missing=False)
    return out


_FLIP: Mapping[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.LtE: ast.GtE,
    ast.Gt: ast.Lt,
    ast.GtE: ast.LtE,
    ast.Eq: ast.Eq,
    ast.NotEq: ast.NotEq,
}


def _narrow_compare(node: ast.Compare, env: dict[str, Value]) -> None:
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        a, b = operands[i], operands[i + 1]
        if (
            isinstance(op, ast.In)
            and isinstance(a, ast.Name)
            and isinstance(b, ast.List | ast.Tuple)
        ):
            consts = frozenset(e.value for e in b.elts if isinstance(e, ast.Constant))
            current = env.get(a.id)
            if isinstance(current, Text):
                texts = frozenset(c for c in consts if isinstance(c, str))
                values = texts if current.values is None else current.values & texts
                env[a.id] = Text(values, False)
            continue
        if type(op) not in _FLIP:
            continue
        if isinstance(a, ast.Name):
            _narrow_name(a.id, type(op), evaluate(b, env), env)
        if isinstance(b, ast.Name):
            _narrow_name(b.id, _FLIP[type(op)], evaluate(a, env), env)


def _narrow_name(name: str, op: type[ast.cmpop], bound: Value, env: dict[str, Value]) -> None:
    current = env.get(name)
    if current is None:
        return
    if isinstance(current, Num) and isinstance(bound, Num) and not bound.empty:
        lo, hi = current.lo, current.hi
        if op in (ast.Lt, ast.LtE):
            hi = min(hi, bound.hi)
        elif op in (ast.Gt, ast.GtE):
            lo = max(lo, bound.lo)
        elif op is ast.Eq:
            lo, hi = max(lo, bound.lo), min(hi, bound.hi)
        env[name] = Num(lo, hi, False)
    elif isinstance(current, Text) and isinstance(bound, Text):
        values = current.values
        if op is ast.Eq and bound.values is not None:
            values = bound.values if values is None else values & bound.values
        env[name] = Text(values, False)
    else:
        env[name] = attrs.evolve(current, missing=False)
