"""What the agreement tests (tests/test_paths_agree.py) compare against, written here and
not taken from kolrules: a reference evaluation of a plan for one profile, the cells a
decision frame must hold for a decision, bit-for-bit equality, and the counts of what the
generated examples exercised.

The reference works from what both paths start from (the plan's checked expression trees,
its tiers, params and rules, and a normalised profile) and follows docs/rulesets.md:
missing inputs give missing, division by zero and non-finite results give missing, ``log``
of a non-positive number gives missing, ``and``/``or``/``not`` are three-valued, a rule whose
``when`` is not true is not applicable, its ``require`` when missing takes the rule's
``missing`` outcome, the score is clamped to 0..100, and the verdict is the worst failed
severity raised by the count rules and by data errors. It shares no code with either path:
no ``build_decision``, ``verdict_of``, ``format_value`` or message renderer.

One implementation choice of kolrules is followed on purpose: a division by a constant
(an expression of params only) multiplies by the constant's reciprocal, as both paths do
(see ``kolrules.expression.fold_constant``).
"""

from __future__ import annotations

import ast
import math
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import agree_rulesets

VERDICTS = ("accept", "review", "reject")
SEVERITY_ORDER = {"reject": 0, "review": 1, "warn": 2, "info": 3}
JOIN = " | "


# -- equality -------------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal bit for bit: floats by their bits (so 0.0 is not -0.0), everything else by
    type and value, containers element by element."""
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, float)
            and isinstance(b, float)
            and (a.hex() == b.hex() or (math.isnan(a) and math.isnan(b)))
        )
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return (
            isinstance(a, list | tuple)
            and isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


def differences(expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[str]:
    return [
        f"{k}: expected {expected[k]!r}, got {got.get(k, '<absent>')!r}"
        for k in expected
        if k not in got or not same(expected[k], got[k])
    ]


# -- the reference evaluation -------------------------------------------------------------


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


class Reference:
    """Evaluates checked expression trees over ``names``; records in ``seen`` the
    vocabulary items (tests/agree_rulesets.py) that gave a value (not missing)."""

    def __init__(self, names: Mapping[str, Any], params: Mapping[str, Any], seen: set[str]):
        self.names = names
        self.params = params
        self.seen = seen

    def __call__(self, node: ast.expr) -> Any:
        value = self._value(node)
        if value is not None:
            self.seen |= agree_rulesets.own_items(node)
        return value

    def _constant(self, node: ast.expr) -> tuple[bool, Any]:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if not names <= set(self.params):
            return False, None
        return True, Reference(self.params, self.params, set())(node)

    def _value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            v = node.value
            return v if isinstance(v, bool | str) else float(v)
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            a = self(node.operand)
            if a is None:
                return None
            if isinstance(node.op, ast.Not):
                return not a
            return -a if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                folded, divisor = self._constant(node.right)
                if folded:
                    a = self(node.left)
                    if a is None or divisor is None or divisor == 0:
                        return None
                    return _finite(a * (1.0 / divisor))
            a, b = self(node.left), self(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.Add):
                return _finite(a + b)
            if isinstance(node.op, ast.Sub):
                return _finite(a - b)
            if isinstance(node.op, ast.Mult):
                return _finite(a * b)
            return None if b == 0 else _finite(a / b)
        if isinstance(node, ast.BoolOp):
            values = [self(v) for v in node.values]
            combine = _and if isinstance(node.op, ast.And) else _or
            acc = values[0]
            for v in values[1:]:
                acc = combine(acc, v)
            return acc
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return self._call(node.func.id, node.args)
        raise TypeError(f"unexpected node {type(node).__name__}")

    def _compare(self, node: ast.Compare) -> Any:
        left = self(node.left)
        acc: Any = True
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right, ast.List | ast.Tuple)
                listed = [
                    e.value if isinstance(e.value, str) else float(e.value)
                    for e in right.elts
                    if isinstance(e, ast.Constant)
                ]
                hit = None if left is None else any(left == x for x in listed)
                if hit is not None and isinstance(op, ast.NotIn):
                    hit = not hit
                acc = _and(acc, hit)
                continue
            r = self(right)
            result = None
            if left is not None and r is not None:
                result = {
                    ast.Lt: lambda x, y: x < y,
                    ast.LtE: lambda x, y: x <= y,
                    ast.Gt: lambda x, y: x > y,
                    ast.GtE: lambda x, y: x >= y,
                    ast.Eq: lambda x, y: x == y,
                    ast.NotEq: lambda x, y: x != y,
                }[type(op)](left, r)
            acc = _and(acc, result)
            left = r
        return acc

    def _call(self, name: str, args: Sequence[ast.expr]) -> Any:
        if name == "ifelse":
            condition = self(args[0])
            return self(args[1]) if condition is True else self(args[2])
        values = [self(a) for a in args]
        if name == "missing":
            return values[0] is None
        if name == "present":
            return values[0] is not None
        if name == "coalesce":
            return next((v for v in values if v is not None), None)
        if any(v is None for v in values):
            return None
        if name == "min":
            return min(values)
        if name == "max":
            return max(values)
        if name == "abs":
            return abs(values[0])
        if name == "log":
            return None if values[0] <= 0 else _finite(math.log(values[0]))
        if name == "clamp":
            x, low, high = values
            return low if x < low else (high if x > high else x)
        raise TypeError(f"unexpected function {name}")


def tier_of(plan: Any, followers: float | None) -> tuple[str | None, float | None, float | None]:
    if followers is None:
        return None, None, None
    for t in plan.tiers:
        if t.min_followers <= followers and (
            t.max_followers is None or followers < t.max_followers
        ):
            return t.name, t.price_min, t.price_max
    return None, None, None


def position_of(price: float | None, low: float | None, high: float | None) -> str | None:
    if price is None or (low is None and high is None):
        return None
    if low is not None and price < low:
        return "below"
    if high is not None and price > high:
        return "above"
    return "within"


def shown(value: Any, spec: str) -> str:
    """A value in a message, as docs/rulesets.md describes it: ``missing``, true/false,
    numbers readable (``12,000``, ``3.46``, ``0.0123``) unless a format spec is given."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if spec:
            return format(value, spec)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    return format(value, spec) if spec else str(value)


def render(template: str, lookup: Callable[[str], Any]) -> str:
    out = []
    for literal, field, spec, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(shown(lookup(field), spec or ""))
    return "".join(out)


class Expected:
    """What a plan must decide for one normalised profile (``values``: every field of
    the schema and every derived metric) with ``data_errors`` (how many)."""

    def __init__(self, plan: Any, values: Mapping[str, Any], data_errors: int) -> None:
        self.seen: set[str] = set()
        self.tier, self.band_min, self.band_max = tier_of(plan, values.get("followers"))
        names: dict[str, Any] = dict(values)
        names.update(plan.params)
        names.update(tier=self.tier, band_min=self.band_min, band_max=self.band_max)
        ref = Reference(names, plan.params, self.seen)
        self.metrics: dict[str, Any] = {d: values[d] for d in plan.derived}
        for name, expr in plan.metrics:
            names[name] = self.metrics[name] = None if expr is None else ref(expr.tree)
        self.outcomes: list[int] = []
        for r in plan.rules:
            if r.when is not None and ref(r.when.tree) is not True:
                self.outcomes.append(2)
                continue
            result = ref(r.require.tree)
            self.outcomes.append(0 if result is True else 1 if result is False else r.missing_code)
        self.score = None
        if plan.score is not None:
            s = ref(plan.score.tree)
            self.score = None if s is None else (0.0 if s < 0.0 else (100.0 if s > 100.0 else s))

        def lookup(name: str) -> Any:
            if name in ("tier", "band_min", "band_max"):
                return getattr(self, name)
            for table in (self.metrics, plan.params, values):
                if name in table:
                    return table[name]
            return None

        self.messages = [
            self._message(r, o, lookup) for r, o in zip(plan.rules, self.outcomes, strict=True)
        ]
        failed = Counter(
            r.rule.severity for r, o in zip(plan.rules, self.outcomes, strict=True) if o == 1
        )
        self.failed = failed
        rank = max((2 if s == "reject" else 1 if s == "review" else 0) for s in [*failed, "info"])
        if data_errors:
            rank = max(rank, VERDICTS.index(plan.ruleset.data_errors))
        raised = max(
            (
                VERDICTS.index(e.to)
                for e in plan.ruleset.escalate
                if failed.get(e.severity, 0) >= e.count
            ),
            default=0,
        )
        self.applied = self._applied(plan, values, lookup)
        if self.applied is not None and not self.applied[3]:
            rank = max(rank, 1)  # too few vetting rules applied: [verdict] min_applicable
        self.escalated = raised > rank
        self.verdict = VERDICTS[max(rank, raised)]

    def _applied(
        self, plan: Any, values: Mapping[str, Any], lookup: Callable[[str], Any]
    ) -> tuple[int, int, tuple[str, ...], bool] | None:
        """(rules applied, vetting rules, missing inputs, enough), as docs/rulesets.md
        says: a vetting rule is not applied when its require could not be computed and its
        missing outcome is the default, or when it is not applicable while a name its
        when reads is missing; the missing inputs are those such a when or require reads,
        itself or through metrics, in field order."""
        definitions = {n: e.names for n, e in plan.metrics if e is not None}

        def inputs(names: Sequence[str]) -> set[str]:
            found, todo = set(), list(names)
            while todo:
                name = todo.pop()
                if name not in found:
                    found.add(name)
                    todo.extend(definitions.get(name, ()))
            return found

        vet = [
            (r, o) for r, o in zip(plan.rules, self.outcomes, strict=True) if r.rule.stage == "vet"
        ]
        if not vet:
            return None
        kept: set[str] = set()
        lacking = 0
        for r, o in vet:
            when = [n for n in (r.when.names if r.when else ()) if n not in plan.params]
            if o == 3:
                read = inputs(r.require.names)
            elif o == 2 and any(lookup(n) is None for n in when):
                read = inputs(when)
            else:
                continue
            lacking += 1
            kept |= {f for f in read if f in values and values[f] is None}
        applied = len(vet) - lacking
        share = plan.ruleset.min_applicable
        enough = share <= 0 or applied / len(vet) >= share - 1e-12
        missing = tuple(f for f in values if f in kept)
        return applied, len(vet), missing, enough

    @staticmethod
    def _message(r: Any, outcome: int, lookup: Callable[[str], Any]) -> str:
        if outcome == 0:
            return f"passed: {r.require.source}"
        if outcome == 1:
            return render(r.template, lookup)
        if r.absent:  # a rule of Engine.plan_for: its input has no column for these
            return f"not applicable: the input has no column for {', '.join(r.absent)}"
        if outcome == 2:
            gaps = [n for n in r.when.names if lookup(n) is None]
            text = f"not applicable: {r.when.source} is false"
            return text + (f" (missing {', '.join(gaps)})" if gaps else "")
        gaps = [n for n in r.require.names if lookup(n) is None]
        if gaps:
            return "not applicable: missing " + ", ".join(gaps)
        return f"not applicable: {r.require.source} cannot be computed (division by zero)"


# -- the cells of decision frames -----------------------------------------------------------

OUTCOME_NAMES = ("pass", "fail", "not_applicable")


def error_text(error: Any) -> str:
    """A data error as docs and outputs show it: ``column 'x' 'cell': reason``, or the
    reason alone for a problem a plugin found in the whole profile."""
    if not error.column:
        return str(error.reason)
    cell = "" if error.value is None else f" {error.value!r}"
    return f"column {error.column!r}{cell}: {error.reason}"


def said_of(decision: Any, supersedes: Mapping[str, Sequence[str]]) -> list[Any]:
    """The failed findings a decision's reasons say: worst severity first (rule order
    within a severity), leaving out each one that another failed rule's ``supersedes``
    (``supersedes``: rule id -> the ids it names) lists."""
    failed = [f for f in decision.findings if f.outcome == "fail"]
    failed_ids = {f.rule for f in failed}
    quiet = {x for rid in failed_ids for x in supersedes.get(rid, ()) if x in failed_ids}
    return sorted(
        (f for f in failed if f.rule not in quiet), key=lambda f: SEVERITY_ORDER[f.severity]
    )


def superseded_of(decision: Any, supersedes: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Per finding, the first failed rule (in rule order) whose ``supersedes`` lists it,
    where the finding failed too; ``None`` elsewhere."""
    failed = [f.rule for f in decision.findings if f.outcome == "fail"]
    return {
        f.rule: next((g for g in failed if f.rule in supersedes.get(g, ())), None)
        if f.outcome == "fail"
        else None
        for f in decision.findings
    }


def reasons_of(
    decision: Any, by_rule: bool, supersedes: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """The reasons of a decision: its data errors, then what :func:`said_of` says; the
    failed rules' ids ``by_rule``."""
    applied = decision.applied
    thin = [] if applied is None or applied.enough else [applied.note]
    return [
        *(f"data error: {error_text(e)}" for e in decision.data_errors),
        *thin,
        *((f.rule if by_rule else f.message) for f in said_of(decision, supersedes or {})),
    ]


_WORDS = {"<=": "at most", ">=": "at least", "<": "below", ">": "above", "==": "equal to"}
_WORDS["!="] = "other than"


def to_pass_cell(decision: Any, supersedes: Mapping[str, Sequence[str]]) -> str | None:
    """The csv's ``to_pass`` cell as docs/rulesets.md and the README describe it: for
    each reason's rule, ``<rule>: <what it would take>``, joined like the reasons."""
    cells = []
    for f in said_of(decision, supersedes):
        if f.to_pass is None:
            words = "cannot be solved from the inputs"
        else:
            parts: dict[int, list[str]] = {}
            for t in f.to_pass:
                if t.op == "present":
                    part = f"{t.name} given"
                else:
                    part = f"{t.name} {_WORDS[t.op]} {shown(t.need, '')} (now {shown(t.now, '')})"
                parts.setdefault(t.part, []).append(part)
            words = " and ".join(" or ".join(p) for p in parts.values())
        cells.append(f"{f.rule}: {words}")
    return JOIN.join(cells) or None


def decided_cells(decision: Any, rule_ids: Sequence[str]) -> dict[str, Any]:
    """The cells both frames hold for a decision, by ``Engine.evaluate_frame``'s names."""
    price = decision.price
    errors = JOIN.join(error_text(e) for e in decision.data_errors) or None
    cells: dict[str, Any] = {
        "status": "evaluated",
        "error": errors,
        "verdict": decision.verdict,
        "tier": decision.tier,
        "score": decision.score,
        "band_min": price.band_min,
        "band_max": price.band_max,
        "price_position": price.position,
        "cpe": price.cpe,
        "gifting": price.gifting,
    }
    outcomes = {f.rule: f.outcome for f in decision.findings}
    cells.update((f"rule:{r}", outcomes[r]) for r in rule_ids)
    return cells


def error_cells(row_error: Any, rule_ids: Sequence[str]) -> dict[str, Any]:
    cells: dict[str, Any] = dict.fromkeys(
        (
            "verdict",
            "tier",
            "score",
            "band_min",
            "band_max",
            "price_position",
            "cpe",
            "gifting",
            "reasons",
        )
    )
    cells["status"] = "error"
    cells["error"] = JOIN.join(error_text(e) for e in row_error.errors)
    cells.update((f"rule:{r}", None) for r in rule_ids)
    return cells


# -- what the examples exercised -------------------------------------------------------------


class Coverage:
    """Counts, over the examples of one run, of what they exercised, by key (a tuple)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[Any, ...]] = Counter()
        self.examples = 0

    def add(self, *key: Any, n: int = 1) -> None:
        self.counts[key] += n

    def table(self, first: str) -> dict[str, int]:
        return {
            " / ".join(map(str, k[1:])): n for k, n in sorted(self.counts.items()) if k[0] == first
        }


COVERAGE = Coverage()
