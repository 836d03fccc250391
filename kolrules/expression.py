"""The safe expression language of rulesets: parse, check, and compile two ways.

An expression is parsed with Python's own parser (``ast.parse(mode="eval")``) and then
only a small whitelist of node kinds is accepted: numbers, strings, names, ``+ - * /``,
comparisons, ``and``/``or``/``not``, ``in`` against a literal list, and calls of the
functions in :data:`FUNCTIONS`. Nothing is ever passed to ``eval`` as written: a checked
tree is compiled either to Python source for the one-profile path (:func:`to_python`) or
to a polars expression for the columnar path (:func:`to_polars`). Both implement the same
missing-value semantics, documented in ``docs/rulesets.md``:

- arithmetic, comparisons and functions with a missing input give missing;
- division by zero, a non-finite result and ``log`` of a non-positive number give missing;
- ``and`` / ``or`` / ``not`` follow three-valued (Kleene) logic.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import keyword
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from kolrules.errors import ExpressionError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "FUNCTIONS",
    "MAX_CODE_NESTING",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NUMBER",
    "RESERVED",
    "Expression",
    "Type",
    "parse",
]

Type = Literal["number", "text", "bool"]

#: Longest expression accepted, in characters (after folding whitespace).
MAX_LENGTH = 500
#: Deepest nesting of operations accepted.
MAX_DEPTH = 20
#: Largest number a literal may write (in size): the largest finite float, about 1.8e308.
#: A larger literal (``1e400``, a 400-digit integer) is refused, as it would be infinite.
MAX_NUMBER = sys.float_info.max
#: Deepest nesting of brackets in the Python code written for one expression (the
#: one-profile path). CPython refuses code nested more than 200 brackets deep; the
#: statement around an expression adds a few, so the limit stays well below.
MAX_CODE_NESTING = 150

#: Words that cannot be names in an expression (Python's keywords: expressions are read by
#: Python's parser), so no field, metric or param may be called so (docs/rulesets.md,
#: "Reserved words"). A column headed with one is read under another name via [columns].
RESERVED: frozenset[str] = frozenset(keyword.kwlist)

#: The functions an expression may call, with how many arguments each takes (min, max).
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "log": (1, 1),
    "missing": (1, 1),
    "present": (1, 1),
    "coalesce": (2, None),
    "clamp": (3, 3),
    "ifelse": (3, 3),
}

_BINOPS: Mapping[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
_CMPOPS: Mapping[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_REFUSED: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.name') is not allowed",
    ast.Subscript: "subscripts ('[...]') are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.IfExp: "'x if c else y' is not allowed; use ifelse(c, x, y)",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "assignments are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}
_REFUSED_OPS: Mapping[type[ast.AST], str] = {
    ast.Pow: "'**' is not allowed",
    ast.Mod: "'%' is not allowed",
    ast.FloorDiv: "'//' is not allowed; use '/'",
    ast.MatMult: "'@' is not allowed",
    ast.BitAnd: "'&' is not allowed; use 'and'",
    ast.BitOr: "'|' is not allowed; use 'or'",
    ast.BitXor: "'^' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.Invert: "'~' is not allowed; use 'not'",
    ast.Is: "'is' is not allowed; use missing(x) or ==",
    ast.IsNot: "'is not' is not allowed; use present(x) or !=",
}


def _fold(source: str) -> str:
    return " ".join(source.split())


def _number(value: Any) -> float:
    """A numeric literal of a checked tree as a float (infinite when too large: a checked
    tree holds none, see :data:`MAX_NUMBER`, but trees built by plugins may)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_source(value: float) -> str:
    """Python source for a float, including the non-finite ones (``repr`` writes ``inf``
    and ``nan``, which are not Python names)."""
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "float('nan')"
    return "float('inf')" if value > 0 else "-float('inf')"


def _number_problem(value: Any) -> str | None:
    """Why a numeric literal cannot be used, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and math.isnan(value):
        return "is not a number"
    if abs(value) > MAX_NUMBER:  # inf, or an integer beyond the floats
        return f"is too large: a number may be at most {MAX_NUMBER:.4g} in size"
    return None


def suggest(name: str, candidates: Iterator[str] | list[str] | tuple[str, ...]) -> str | None:
    """The closest candidate to ``name``, or ``None``."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


@attrs.frozen
class Expression:
    """A parsed and checked expression.

    ``names`` are the names it reads (fields, metrics, params), ``type`` its result type.
    """

    source: str
    tree: ast.expr = attrs.field(repr=False, eq=False)
    names: tuple[str, ...]
    type: Type


def parse(
    source: str,
    *,
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
    max_nesting: int = MAX_CODE_NESTING,
) -> ast.expr:
    """Parse ``source`` and check that it only uses the allowed syntax, and that the code
    written for it stays within ``max_nesting`` (see :func:`code_nesting`).

    Names are not resolved here (see :func:`check`). Raises :class:`ExpressionError`.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, not {type(source).__name__}", "")
    text = _fold(source)
    if not text:
        raise ExpressionError("the expression is empty", text)
    if len(text) > max_length:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {max_length}",
            text[: max_length + 20] + ("..." if len(text) > max_length + 20 else ""),
            max_length,
            "split it into named metrics and refer to them by name",
        )
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        pos = (exc.offset or 0) - 1 if exc.offset else len(text)  # 0: the input ended early
        reserved = _reserved_name(text)
        if reserved is not None:
            raise reserved from None
        msg = exc.msg.replace("invalid syntax. ", "").rstrip(".")
        raise ExpressionError(f"cannot parse the expression: {msg}", text, pos) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "the expression is nested too deeply", text, 0, f"at most {max_depth} levels"
        ) from None
    _check_syntax(tree, text, 1, max_depth)
    nesting = code_nesting(tree)
    if nesting > max_nesting:
        raise ExpressionError(
            f"the expression is too complex: the Python code written for it would nest "
            f"{nesting} brackets deep; the limit is {max_nesting}",
            text,
            0,
            "split it into named metrics and refer to them by name",
        )
    return tree


_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
#: Reserved words an expression may use as such (or that Python reads as such), tried
#: one at a time as names; the others are also tried all at once (``class + def``).
_OPERATOR_WORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "for", "lambda", "True", "False", "None"}
)


def reserved_alternative(word: str) -> str:
    """A name to suggest instead of the reserved ``word`` (``class`` -> ``account_class``)."""
    return f"account_{word.lower()}"


def _reserved_name(text: str) -> ExpressionError | None:
    """The error for an expression that does not parse because it uses a reserved word as
    a name (``class >= 4``), or ``None``: the word is the culprit when putting a plain name
    of the same length in its place makes the expression parse."""
    masked = _STRINGS.sub(lambda m: " " * len(m.group()), text)
    words = [m for m in _WORD.finditer(masked) if m.group() in RESERVED]
    never = [m for m in words if m.group() not in _OPERATOR_WORDS]
    tries = [[m] for m in words] + ([never] if len(never) > 1 else [])
    for group in tries:
        named = text
        for m in group:
            named = named[: m.start()] + "_" * len(m.group()) + named[m.end() :]
        try:
            ast.parse(named, mode="eval")
        except SyntaxError:
            continue
        except (RecursionError, MemoryError):
            return None
        word = group[0].group()
        alt = reserved_alternative(word)
        return ExpressionError(
            f"{word!r} is a reserved word and cannot be a name in an expression",
            text,
            group[0].start(),
            f"call the field, metric or param e.g. {alt!r} (a column headed {word!r} is read "
            f'with [columns] {alt} = ["{word}"]); docs/rulesets.md lists the reserved words',
        )
    return None


def _check_syntax(node: ast.AST, source: str, depth: int, max_depth: int) -> None:
    pos = getattr(node, "col_offset", 0)
    if depth > max_depth:
        raise ExpressionError(
            f"the expression is nested more than {max_depth} levels deep",
            source,
            pos,
            "split it into named metrics and refer to them by name",
        )
    for kind, why in _REFUSED.items():
        if isinstance(node, kind):
            raise ExpressionError(why, source, pos)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            at = node.left.end_col_offset or pos
            while at < len(source) and source[at] in " )":
                at += 1
            raise ExpressionError(
                _REFUSED_OPS.get(type(node.op), "operator not allowed"), source, at
            )
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Invert):
            raise ExpressionError(_REFUSED_OPS[ast.Invert], source, pos)
    elif isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) in _REFUSED_OPS:
                raise ExpressionError(_REFUSED_OPS[type(op)], source, right.col_offset)
            if isinstance(op, ast.In | ast.NotIn):
                _check_literal_list(right, source)
    elif isinstance(node, ast.Call):
        _check_call_syntax(node, source)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool) or isinstance(node.value, complex):
            raise ExpressionError(f"literal {node.value!r} is not allowed", source, pos)
        _check_number(node, source)
    elif isinstance(node, ast.List | ast.Tuple):
        raise ExpressionError(
            "a list is only allowed on the right of 'in' or 'not in'", source, pos
        )
    elif not isinstance(node, ast.BoolOp | ast.Name):
        raise ExpressionError(f"{type(node).__name__} is not allowed here", source, pos)
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr_context | ast.operator | ast.cmpop | ast.unaryop):
            continue
        if isinstance(child, ast.boolop):
            continue
        if isinstance(node, ast.Compare) and isinstance(child, ast.List | ast.Tuple):
            continue
        if isinstance(node, ast.Call) and child is node.func:
            continue
        _check_syntax(child, source, depth + 1, max_depth)


def _check_literal_list(node: ast.expr, source: str) -> None:
    if not isinstance(node, ast.List | ast.Tuple):
        raise ExpressionError(
            "'in' needs a literal list on its right, like ['a', 'b']", source, node.col_offset
        )
    if not node.elts:
        raise ExpressionError("the list after 'in' is empty", source, node.col_offset)
    for i, elt in enumerate(node.elts):
        if (
            isinstance(elt, ast.UnaryOp)
            and isinstance(elt.op, ast.USub | ast.UAdd)
            and isinstance(elt.operand, ast.Constant)
            and isinstance(elt.operand.value, int | float)
            and not isinstance(elt.operand.value, bool)
        ):  # -1 is read as minus 1: the list holds the number -1
            value = elt.operand.value
            folded = ast.Constant(-value if isinstance(elt.op, ast.USub) else value)
            elt = node.elts[i] = ast.copy_location(folded, elt)
        ok = isinstance(elt, ast.Constant) and isinstance(elt.value, int | float | str)
        if not ok or isinstance(getattr(elt, "value", None), bool):
            raise ExpressionError(
                "the list after 'in' may only hold numbers or strings", source, elt.col_offset
            )
        assert isinstance(elt, ast.Constant)
        _check_number(elt, source)


def _check_number(node: ast.Constant, source: str) -> None:
    problem = _number_problem(node.value)
    if problem is None:
        return
    written = ast.get_source_segment(source, node) or repr(node.value)
    shown = written if len(written) <= 24 else f"{written[:12]}...{written[-6:]}"
    digits = f" ({len(written)} characters)" if len(written) > 24 else ""
    raise ExpressionError(
        f"the number {shown}{digits} {problem}",
        source,
        node.col_offset,
        "write a smaller number",
    )


def _check_call_syntax(node: ast.Call, source: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(
            "only the built-in functions can be called", source, node.func.col_offset
        )
    name = node.func.id
    if name not in FUNCTIONS:
        close = suggest(name, list(FUNCTIONS))
        hint = f"did you mean {close}()?" if close else "functions: " + ", ".join(FUNCTIONS)
        raise ExpressionError(f"unknown function {name!r}", source, node.func.col_offset, hint)
    if node.keywords:
        raise ExpressionError(
            f"{name}() takes no keyword arguments", source, node.keywords[0].col_offset
        )
    low, high = FUNCTIONS[name]
    n = len(node.args)
    if n < low or (high is not None and n > high):
        want = str(low) if low == high else f"at least {low}" if high is None else f"{low}-{high}"
        raise ExpressionError(
            f"{name}() takes {want} argument{'s' if want != '1' else ''}, not {n}",
            source,
            node.col_offset,
        )


# -- type checking ----------------------------------------------------------------------


def check(tree: ast.expr, source: str, scope: Mapping[str, Type]) -> tuple[Type, tuple[str, ...]]:
    """Resolve names against ``scope`` and infer types.

    Returns the expression's type and the names it reads, in first-use order.
    Raises :class:`ExpressionError` for an unknown name (with the closest known name) or
    a type mismatch.
    """
    used: dict[str, None] = {}
    t = _type_of(tree, source, scope, used)
    return t, tuple(used)


def compile_expression(source: str, scope: Mapping[str, Type], **limits: int) -> Expression:
    """Parse and check ``source`` in one go."""
    tree = parse(source, **limits)
    text = _fold(source)
    t, names = check(tree, text, scope)
    return Expression(text, tree, names, t)


def _expect(
    node: ast.expr,
    want: Type,
    source: str,
    scope: Mapping[str, Type],
    used: dict[str, None],
    what: str,
) -> None:
    got = _type_of(node, source, scope, used)
    if got != want:
        raise ExpressionError(f"{what} needs {_a(want)}, got {_a(got)}", source, node.col_offset)


def _a(t: Type) -> str:
    return {"number": "a number", "text": "text", "bool": "a true/false value"}[t]


def _type_of(node: ast.expr, source: str, scope: Mapping[str, Type], used: dict[str, None]) -> Type:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "bool"
        return "text" if isinstance(node.value, str) else "number"
    if isinstance(node, ast.Name):
        if node.id not in scope:
            close = suggest(node.id, list(scope))
            raise ExpressionError(
                f"unknown name {node.id!r}",
                source,
                node.col_offset,
                f"did you mean {close!r}?" if close else "see docs/rulesets.md for the names",
            )
        used.setdefault(node.id)
        return scope[node.id]
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            _expect(node.operand, "bool", source, scope, used, "'not'")
            return "bool"
        _expect(node.operand, "number", source, scope, used, "a sign")
        return "number"
    if isinstance(node, ast.BinOp):
        sym = _BINOPS[type(node.op)]
        _expect(node.left, "number", source, scope, used, f"'{sym}'")
        _expect(node.right, "number", source, scope, used, f"'{sym}'")
        return "number"
    if isinstance(node, ast.BoolOp):
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            _expect(value, "bool", source, scope, used, f"'{word}'")
        return "bool"
    if isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            lt = _type_of(left, source, scope, used)
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right, ast.List | ast.Tuple)
                for elt in right.elts:
                    et = _type_of(elt, source, scope, used)
                    if et != lt:
                        raise ExpressionError(
                            f"'in' compares {_a(lt)} with {_a(et)}", source, elt.col_offset
                        )
            else:
                rt = _type_of(right, source, scope, used)
                sym = _CMPOPS[type(op)]
                if sym in {"<", "<=", ">", ">="} and (lt != "number" or rt != "number"):
                    bad = left if lt != "number" else right
                    raise ExpressionError(
                        f"'{sym}' compares numbers, got {_a(lt)} and {_a(rt)}",
                        source,
                        bad.col_offset,
                    )
                if lt != rt:
                    raise ExpressionError(
                        f"'{sym}' compares {_a(lt)} with {_a(rt)}", source, right.col_offset
                    )
            left = right
        return "bool"
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return _type_of_call(node.func.id, node, source, scope, used)
    raise ExpressionError(f"{type(node).__name__} is not allowed", source, node.col_offset)


def _type_of_call(
    name: str, node: ast.Call, source: str, scope: Mapping[str, Type], used: dict[str, None]
) -> Type:
    args = node.args
    if name in {"missing", "present"}:
        _type_of(args[0], source, scope, used)
        return "bool"
    if name == "ifelse":
        _expect(args[0], "bool", source, scope, used, "ifelse()'s condition")
        t = _type_of(args[1], source, scope, used)
        _expect(args[2], t, source, scope, used, "ifelse()'s third argument")
        return t
    if name == "coalesce":
        t = _type_of(args[0], source, scope, used)
        for arg in args[1:]:
            _expect(arg, t, source, scope, used, "coalesce()")
        return t
    for arg in args:
        _expect(arg, "number", source, scope, used, f"{name}()")
    return "number"


# -- the one-profile path: Python source ------------------------------------------------


class PythonWriter:
    """Writes checked trees as Python source over local variables.

    ``names`` maps an expression name to the Python expression that reads it (usually a
    local variable). Temporaries are named ``_t<n>`` and assigned with ``:=`` so every
    sub-expression is evaluated once. The generated code needs ``_INF`` and ``_log``
    (``math.log``) in its globals.
    """

    def __init__(
        self, names: Mapping[str, str], constants: Mapping[str, float | str] | None = None
    ) -> None:
        self.names = names
        self.constants = constants or {}
        self._counter = itertools.count()

    def tmp(self) -> str:
        return f"_t{next(self._counter)}"

    def write(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool | str):
                return repr(v)
            return number_source(_number(v))
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            a, ta = self.write(node.operand), self.tmp()
            if isinstance(node.op, ast.Not):
                return f"(None if ({ta} := {a}) is None else not {ta})"
            if isinstance(node.op, ast.USub):
                return f"(None if ({ta} := {a}) is None else -{ta})"
            return a
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                folded, value = fold_constant(node.right, self.constants)
                if folded:
                    return self._div_by_constant(self.write(node.left), value)
            return self._binop(
                _BINOPS[type(node.op)], self.write(node.left), self.write(node.right)
            )
        if isinstance(node, ast.BoolOp):
            parts = [self.write(v) for v in node.values]
            return self._fold_bool(isinstance(node.op, ast.And), parts)
        if isinstance(node, ast.Compare):
            return self._fold_bool(True, list(self._comparisons(node)))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return self._call(node.func.id, [self.write(a) for a in node.args])
        raise TypeError(f"unexpected node {type(node).__name__}")  # pragma: no cover

    def _finite(self, expr: str) -> str:
        t = self.tmp()
        return f"({t} if -_INF < ({t} := {expr}) < _INF else None)"

    def _bind(self, sources: Sequence[str]) -> tuple[list[str], str]:
        """Names for ``sources`` and the test that one of them is missing. A literal
        (a number or a text) is used as it is: it is never missing."""
        names: list[str] = []
        tests: list[str] = []
        for source in sources:
            if _is_literal(source):
                names.append(source)
                continue
            t = self.tmp()
            names.append(t)
            tests.append(f"({t} := {source}) is None")
        return names, " or ".join(tests)

    def _binop(self, sym: str, a: str, b: str) -> str:
        (ta, tb), guard = self._bind((a, b))
        if sym == "/" and not _is_literal(tb):
            guard += f" or {tb} == 0"
        body = self._finite(f"{ta} {sym} {tb}")
        return f"(None if {guard} else {body})" if guard else body

    def _div_by_constant(self, a: str, divisor: float | None) -> str:
        recip = reciprocal(divisor)
        if recip is None:
            return "None"
        ta = self.tmp()
        factor = number_source(recip)
        return f"(None if ({ta} := {a}) is None else {self._finite(f'{ta} * {factor}')})"

    def _fold_bool(self, is_and: bool, parts: list[str]) -> str:
        """``parts`` joined by Kleene ``and`` (or ``or``) as a balanced tree: both are
        associative, and a balanced tree nests log2(n) levels deep where a chain of n
        parts would nest n (CPython refuses code nested 200 brackets deep)."""
        if len(parts) == 1:
            return parts[0]
        mid = len(parts) // 2
        a, b = self._fold_bool(is_and, parts[:mid]), self._fold_bool(is_and, parts[mid:])
        return self._and(a, b) if is_and else self._or(a, b)

    def _and(self, a: str, b: str) -> str:
        ta, tb = self.tmp(), self.tmp()
        return (
            f"(False if ({ta} := {a}) is False else (False if ({tb} := {b}) is False else "
            f"(None if {ta} is None or {tb} is None else True)))"
        )

    def _or(self, a: str, b: str) -> str:
        ta, tb = self.tmp(), self.tmp()
        return (
            f"(True if ({ta} := {a}) is True else (True if ({tb} := {b}) is True else "
            f"(None if {ta} is None or {tb} is None else False)))"
        )

    def _comparisons(self, node: ast.Compare) -> Iterator[str]:
        left = self.write(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            ta = self.tmp()
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right, ast.List | ast.Tuple)
                consts = tuple(
                    _number(e.value) if not isinstance(e.value, str) else e.value
                    for e in right.elts
                    if isinstance(e, ast.Constant)
                )
                neg = "not " if isinstance(op, ast.NotIn) else ""
                yield f"(None if ({ta} := {left}) is None else {ta} {neg}in {frozenset(consts)!r})"
                return
            r = self.write(right)
            sym = _CMPOPS[type(op)]
            (ta, tb), guard = self._bind((left, r))
            yield f"(None if {guard} else {ta} {sym} {tb})" if guard else f"({ta} {sym} {tb})"
            left = r

    def _coalesce(self, args: list[str]) -> str:
        """The first of ``args`` that is not missing, as a balanced tree (see
        :meth:`_fold_bool`): ``coalesce`` is associative."""
        if len(args) == 1:
            return args[0]
        mid = len(args) // 2
        first, rest = self._coalesce(args[:mid]), self._coalesce(args[mid:])
        t = self.tmp()
        return f"({t} if ({t} := {first}) is not None else {rest})"

    def _call(self, name: str, args: list[str]) -> str:
        if name in {"min", "max", "abs", "log", "clamp"}:
            temps, bind = self._bind(args)
            if not bind:  # only literals: constant
                bind = "False"
        else:
            temps, bind = [], ""
        if name == "missing":
            return f"({args[0]} is None)"
        if name == "present":
            return f"({args[0]} is not None)"
        if name == "coalesce":
            return self._coalesce(args)
        if name == "ifelse":
            return f"({args[1]} if ({args[0]}) is True else {args[2]})"
        if name in {"min", "max"}:
            inner = temps[0] if len(temps) == 1 else f"{name}({', '.join(temps)})"
            return f"(None if {bind} else {inner})"
        if name == "abs":
            return f"(None if {bind} else abs({temps[0]}))"
        if name == "log":
            t = temps[0]  # log of 0 or less, or of infinity, is missing (as in polars)
            return f"(None if {bind} or not 0 < {t} < _INF else _log({t}))"
        if name == "clamp":
            x, lo, hi = temps
            return f"(None if {bind} else ({lo} if {x} < {lo} else ({hi} if {x} > {hi} else {x})))"
        raise TypeError(f"unexpected function {name}")  # pragma: no cover


_LITERAL = re.compile(
    r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
)


class _AnyName(dict[str, str]):
    """Reads every name as one local variable: enough to measure the code's shape."""

    def __missing__(self, key: str) -> str:
        return "_v"


_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")


def code_nesting(tree: ast.expr) -> int:
    """How deep brackets nest in the Python code :class:`PythonWriter` writes for the
    checked ``tree`` (the one-profile path), names read as local variables. A tree too
    deep to write at all counts as ``sys.maxsize``."""
    try:
        code = PythonWriter(_AnyName()).write(tree)
    except RecursionError:
        return sys.maxsize
    brackets = _NOT_BRACKET.sub("", _STRINGS.sub("''", code))
    depths = itertools.accumulate(1 if c in "([{" else -1 for c in brackets)
    return max(depths, default=0)


def _is_literal(source: str) -> bool:
    """Whether generated ``source`` is a number or text literal (never ``None``)."""
    return _LITERAL.fullmatch(source) is not None


def to_python(
    tree: ast.expr, names: Mapping[str, str], constants: Mapping[str, float | str] | None = None
) -> str:
    """Python source computing the checked ``tree`` (see :class:`PythonWriter`)."""
    return PythonWriter(names, constants).write(tree)


def _constant_source(value: float | str) -> str:
    return repr(value) if isinstance(value, str) else number_source(_number(value))


def fold_constant(tree: ast.expr, constants: Mapping[str, float | str]) -> tuple[bool, Any]:
    """``(True, value)`` when ``tree`` reads only ``constants`` (params), else ``(False, None)``.

    Used for divisions by a constant: polars divides a column by a scalar as a
    multiplication by its reciprocal, which can differ from true division in the last
    bit, so both paths compute ``x * (1 / constant)`` with the reciprocal taken once here.
    """
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not names <= set(constants):
        return False, None
    source = PythonWriter({k: _constant_source(v) for k, v in constants.items()}).write(tree)
    value = eval(source, {"_INF": math.inf, "_log": math.log})
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        return False, None  # not a number (a text): the type check refuses the division
    return True, value


def reciprocal(divisor: float | None) -> float | None:
    """``1 / divisor`` as both paths use it; ``None`` for a missing or zero divisor."""
    if divisor is None or divisor == 0:
        return None
    return 1.0 / divisor


# -- the columnar path: polars ----------------------------------------------------------


def to_polars(
    tree: ast.expr,
    resolve: Callable[[str], pl.Expr],
    constants: Mapping[str, float | str] | None = None,
    bind: Callable[[pl.Expr], pl.Expr] | None = None,
) -> pl.Expr:
    """A polars expression computing the checked ``tree``.

    ``resolve`` maps names to expressions (columns or literals); ``constants`` are the
    names that are params. ``bind`` receives a sub-expression that is read more than once
    and returns an expression reading it (the compiler stores it in a temporary column,
    so the expression tree never grows with nesting); by default it is kept inline.
    """
    import polars as pl

    consts = constants or {}
    share = bind or (lambda e: e)

    def leaf(node: ast.expr) -> bool:
        return isinstance(node, ast.Name | ast.Constant)

    def once(node: ast.expr) -> pl.Expr:
        """``node`` as an expression that may be read several times."""
        e = go(node)
        return e if leaf(node) else share(e)

    def go(node: ast.expr) -> pl.Expr:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return pl.lit(v, dtype=pl.Boolean)
            if isinstance(v, str):
                return pl.lit(v, dtype=pl.String)
            return pl.lit(_number(v), dtype=pl.Float64)
        if isinstance(node, ast.Name):
            return resolve(node.id)
        if isinstance(node, ast.UnaryOp):
            a = go(node.operand)
            if isinstance(node.op, ast.Not):
                return a.not_()
            return -a if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.BinOp):
            sym = _BINOPS[type(node.op)]
            if sym == "/":
                folded, divisor = fold_constant(node.right, consts)
                if folded:
                    recip = reciprocal(divisor)
                    if recip is None:
                        return pl.lit(None, dtype=pl.Float64)
                    return _finite(go(node.left) * pl.lit(recip, dtype=pl.Float64))
            a, b = go(node.left), go(node.right)
            if sym == "+":
                return _finite(a + b)
            if sym == "-":
                return _finite(a - b)
            if sym == "*":
                return _finite(a * b)
            if not isinstance(node.right, ast.Name):
                b = _full_length(b)
            return _finite(a / b)  # x / 0 is inf or NaN here, which _finite makes missing
        if isinstance(node, ast.BoolOp):
            parts = [go(v) for v in node.values]
            both = isinstance(node.op, ast.And)
            return _balanced(parts, (lambda a, b: a & b) if both else (lambda a, b: a | b))
        if isinstance(node, ast.Compare):
            results: list[pl.Expr] = []
            chained = len(node.ops) > 1
            left = once(node.left) if chained else go(node.left)
            last = len(node.ops) - 1
            for i, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
                if isinstance(op, ast.In | ast.NotIn):
                    assert isinstance(right, ast.List | ast.Tuple)
                    values = [
                        e.value if isinstance(e.value, str) else _number(e.value)
                        for e in right.elts
                        if isinstance(e, ast.Constant)
                    ]
                    hit = left.is_in(pl.lit(pl.Series(values)).implode())
                    results.append(hit.not_() if isinstance(op, ast.NotIn) else hit)
                    continue
                r = once(right) if chained and i < last else go(right)
                results.append(_compare(_CMPOPS[type(op)], left, r))
                left = r
            return _balanced(results, lambda a, b: a & b)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            if name in {"min", "max", "clamp"}:
                return _polars_call(name, [once(a) for a in node.args])
            return _polars_call(name, [go(a) for a in node.args])
        raise TypeError(f"unexpected node {type(node).__name__}")  # pragma: no cover

    return go(tree)


def _full_length(e: pl.Expr) -> pl.Expr:
    """``e`` as a column as long as the frame. A divisor that comes out as one value for a
    whole batch (``coalesce(price, 250)`` where every price is missing, an ``ifelse`` whose
    condition holds on every row) is divided by as a multiplication by its reciprocal,
    which can differ from true division in the last bit; adding a column of zeros (``x +
    0.0`` is ``x``, and a zero divisor stays a zero) keeps it a column, so both paths
    divide the same way."""
    import polars as pl

    return e + pl.int_range(pl.len(), dtype=pl.Int64).cast(pl.Float64) * 0.0


def _balanced(parts: list[pl.Expr], join: Callable[[pl.Expr, pl.Expr], pl.Expr]) -> pl.Expr:
    """``parts`` joined by an associative ``join`` as a balanced tree (log2(n) deep)."""
    if len(parts) == 1:
        return parts[0]
    mid = len(parts) // 2
    return join(_balanced(parts[:mid], join), _balanced(parts[mid:], join))


def _finite(e: pl.Expr) -> pl.Expr:
    """``e`` with infinities and NaN made missing (one reference to ``e``)."""
    # replace() reads e once; fill_nan() would expand to three reads and the tree would
    # grow exponentially with nesting.
    return e.replace([math.inf, -math.inf, math.nan], None)


def _compare(sym: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    if sym == "<":
        return a < b
    if sym == "<=":
        return a <= b
    if sym == ">":
        return a > b
    if sym == ">=":
        return a >= b
    if sym == "==":
        return a == b
    return a != b


def _polars_call(name: str, args: list[pl.Expr]) -> pl.Expr:
    import polars as pl

    if name == "missing":
        return args[0].is_null()
    if name == "present":
        return args[0].is_not_null()
    if name == "coalesce":
        return pl.coalesce(args)
    if name == "ifelse":
        return pl.when(args[0]).then(args[1]).otherwise(args[2])
    any_null = args[0].is_null()
    for a in args[1:]:
        any_null = any_null | a.is_null()
    if name in {"min", "max"}:
        combined = pl.min_horizontal(args) if name == "min" else pl.max_horizontal(args)
        return pl.when(any_null.not_()).then(combined)
    if name == "abs":
        return args[0].abs()
    if name == "log":
        return _finite(args[0].log())  # log(0) is -inf, log(-1) NaN: both missing
    if name == "clamp":
        x, lo, hi = args
        return pl.when(any_null).then(None).when(x < lo).then(lo).when(x > hi).then(hi).otherwise(x)
    raise TypeError(f"unexpected function {name}")  # pragma: no cover
