"""What it would take to pass: a rule's ``require`` solved for each input it reads.

For a failed rule kolrules tells the reader the value each input would need, the others
held as they are: for ``price <= band_max`` "quote at most 8,000 RMB (now 15,000)"; for
``likes_per_follower >= fake_likes_per_follower`` with the metric
``likes_per_follower = total_likes / followers``, "total likes at least 50,000, or
followers at most 20,000".

This module works on checked expression trees, once per rule when a ruleset is compiled;
it never runs per profile. :func:`solve` returns :class:`Need` values whose ``value`` is
itself an expression tree (of the other inputs, the params and the tier's band), which the
compile step writes for both evaluation paths like any other expression, so both agree.

How a condition is solved:

- ``and`` (and a comparison chain ``a <= x <= b``): each part is solved on its own; at run
  time only the parts that do not hold are shown, and every one of them is needed;
- ``or``: the needs of every part are alternatives (any one is enough);
- ``not``: pushed inside (``not a < b`` is ``a >= b``; De Morgan for ``and``/``or``);
- a comparison ``left op right``: for each input read once, on one side only, through
  ``+ - * /`` and unary minus (metrics are expanded to their definitions), the comparison
  is turned around until the input stands alone; multiplying or dividing by a quantity
  holds only while that quantity is above zero, which the need's ``guard`` says;
- ``present(x)``: ``x`` must be given (op ``present``);
- anything else (``min``, ``max``, ``abs``, ``log``, ``clamp``, ``ifelse``, ``coalesce``,
  ``in``, text comparisons of computed names, an input read twice): not solved. The rule's
  finding then says it cannot be solved rather than guess.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Collection, Iterator, Mapping

import attrs

__all__ = ["FLIP", "Need", "solve"]

#: The comparison with its sides swapped (``a < b`` is ``b > a``).
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_CMP_NODE = {v: k for k, v in _CMP.items()}
#: Expansion of metrics stops at this depth (a guard against a definition that loops).
_MAX_EXPANSION = 20


@attrs.frozen
class Need:
    """One way for a part of a condition to hold: input ``name`` ``op`` ``value``, the
    others held. ``part`` numbers the parts of an ``and``: every part that does not hold
    is needed; the needs of one part are alternatives. ``value`` is ``None`` for
    ``present``. ``guard``, when given, must be true for ``value`` to mean anything (a
    divisor above zero); where it is not, the need cannot be computed for that profile."""

    part: int
    name: str
    op: str
    value: ast.expr | None = attrs.field(eq=False)
    guard: ast.expr | None = attrs.field(default=None, eq=False)
    #: ``ast.unparse`` of value and guard, for equality and display in tests.
    value_source: str = ""
    guard_source: str = ""


def solve(
    tree: ast.expr, definitions: Mapping[str, ast.expr], inputs: Collection[str]
) -> tuple[Need, ...]:
    """The needs of ``tree`` (a checked boolean expression) for each of ``inputs`` it
    reads, expanding the names in ``definitions`` (metrics). Empty when nothing can be
    solved."""
    expanded = _expand(tree, definitions, 0)
    if expanded is None:
        return ()
    found: list[Need] = []
    for part, condition in enumerate(_parts(_push_not(expanded, negate=False))):
        found.extend(_solve_part(condition, part, frozenset(inputs)))
    return tuple(found)


# -- preparing the tree ------------------------------------------------------------------


def _expand(node: ast.expr, definitions: Mapping[str, ast.expr], depth: int) -> ast.expr | None:
    """``node`` with every name in ``definitions`` replaced by its definition."""
    if depth > _MAX_EXPANSION:
        return None
    if isinstance(node, ast.Name) and node.id in definitions:
        return _expand(definitions[node.id], definitions, depth + 1)
    node = copy.copy(node)
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.expr):
            inner = _expand(value, definitions, depth)
            if inner is None:
                return None
            setattr(node, field, inner)
        elif isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, ast.expr):
                    inner = _expand(item, definitions, depth)
                    if inner is None:
                        return None
                    items.append(inner)
                else:
                    items.append(item)
            setattr(node, field, items)
    return node


def _push_not(node: ast.expr, negate: bool) -> ast.expr:
    """``node`` (or its negation) with ``not`` pushed down to the comparisons."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _push_not(node.operand, not negate)
    if isinstance(node, ast.BoolOp):
        op: ast.boolop = node.op
        if negate:
            op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return ast.BoolOp(op=op, values=[_push_not(v, negate) for v in node.values])
    if isinstance(node, ast.Compare):
        lefts = [node.left, *node.comparators[:-1]]
        pairs = list(zip(lefts, node.comparators, node.ops, strict=True))
        solvable = all(type(op) in _CMP for _, _, op in pairs)
        if len(pairs) > 1 and solvable:  # a chain: each link on its own
            links: list[ast.expr] = [
                ast.Compare(left=a, ops=[op], comparators=[b]) for a, b, op in pairs
            ]
            joined = ast.BoolOp(op=ast.And(), values=links)
            return _push_not(joined, negate)
        if negate and solvable:
            sym = _NEGATE[_CMP[type(node.ops[0])]]
            return ast.Compare(left=node.left, ops=[_CMP_NODE[sym]()], comparators=node.comparators)
        return node if not negate else ast.UnaryOp(op=ast.Not(), operand=node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and negate:
        name = node.func.id
        if name in ("present", "missing"):
            other = "missing" if name == "present" else "present"
            return ast.Call(func=ast.Name(id=other, ctx=ast.Load()), args=node.args, keywords=[])
    if negate:
        return ast.UnaryOp(op=ast.Not(), operand=node)
    return node


def _parts(node: ast.expr) -> Iterator[ast.expr]:
    """The parts of a top-level ``and``, each of which must hold."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        for value in node.values:
            yield from _parts(value)
    else:
        yield node


# -- solving one part --------------------------------------------------------------------


def _solve_part(node: ast.expr, part: int, inputs: frozenset[str]) -> Iterator[Need]:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        for value in node.values:  # alternatives: each is enough on its own
            yield from _solve_part(value, part, inputs)
        return
    if isinstance(node, ast.BoolOp):  # an ``and`` inside an ``or``: not solved
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "present"
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in inputs
    ):
        yield Need(part, node.args[0].id, "present", None)
        return
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP):
        return
    left, right, op = node.left, node.comparators[0], _CMP[type(node.ops[0])]
    for name in _names_read_once(node, inputs):
        if _reads(left, name):
            found = _isolate(left, op, right, name)
        else:
            found = _isolate(right, FLIP[op], left, name)
        if found is not None:
            sym, value, guards = found
            guard = _all(guards)
            yield Need(
                part,
                name,
                sym,
                value,
                guard,
                ast.unparse(value),
                ast.unparse(guard) if guard is not None else "",
            )


def _names_read_once(node: ast.expr, inputs: frozenset[str]) -> list[str]:
    counts: dict[str, int] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in inputs:
            counts[n.id] = counts.get(n.id, 0) + 1
    return [name for name, count in counts.items() if count == 1]


def _reads(node: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _isolate(
    side: ast.expr, op: str, other: ast.expr, name: str
) -> tuple[str, ast.expr, list[ast.expr]] | None:
    """Turn ``side op other`` around until ``name`` stands alone on the left:
    ``(op, value, guards)``, or ``None`` where a step cannot be inverted."""
    guards: list[ast.expr] = []
    while True:
        if isinstance(side, ast.Name):
            return (op, other, guards) if side.id == name else None
        if isinstance(side, ast.UnaryOp) and isinstance(side.op, ast.USub):
            side, op, other = side.operand, FLIP[op], _neg(other)
            continue
        if not isinstance(side, ast.BinOp):
            return None
        a, b = side.left, side.right
        in_a = _reads(a, name)
        kind = type(side.op)
        if kind is ast.Add:
            side, other = (a, _bin(other, ast.Sub(), b)) if in_a else (b, _bin(other, ast.Sub(), a))
        elif kind is ast.Sub:
            if in_a:  # a - b op g  ->  a op g + b
                side, other = a, _bin(other, ast.Add(), b)
            else:  # a - b op g  ->  b flip(op) a - g
                side, op, other = b, FLIP[op], _bin(a, ast.Sub(), other)
        elif kind is ast.Mult:
            factor = b if in_a else a
            guards.append(_positive(factor))  # dividing by it keeps op only when it is > 0
            side, other = (a if in_a else b), _bin(other, ast.Div(), factor)
        elif kind is ast.Div:
            if in_a:  # a / b op g  ->  a op g * b   (b > 0)
                guards.append(_positive(b))
                side, other = a, _bin(other, ast.Mult(), b)
            else:  # a / b op g  ->  b flip(op) a / g   (a > 0, g > 0, b > 0)
                guards += [_positive(a), _positive(other)]
                side, op, other = b, FLIP[op], _bin(a, ast.Div(), other)
        else:
            return None


def _bin(a: ast.expr, op: ast.operator, b: ast.expr) -> ast.expr:
    return ast.BinOp(left=a, op=op, right=b)


def _neg(a: ast.expr) -> ast.expr:
    return ast.UnaryOp(op=ast.USub(), operand=a)


def _positive(a: ast.expr) -> ast.expr:
    return ast.Compare(left=a, ops=[ast.Gt()], comparators=[ast.Constant(value=0)])


def _all(guards: list[ast.expr]) -> ast.expr | None:
    if not guards:
        return None
    return guards[0] if len(guards) == 1 else ast.BoolOp(op=ast.And(), values=guards)
