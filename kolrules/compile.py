"""Compile a ruleset against its platform into a :class:`Plan`: the "compile" step.

Compiling checks every expression (names, types, dependency cycles) and reports all
problems at once as a :class:`~kolrules.errors.RulesetError`. The plan then holds:

- the metrics in dependency order, the rules, the tier table and the score expression;
- :attr:`Plan.scalar`, a Python function generated once from the plan (as attrs generates
  methods) that evaluates one profile with no interpretation overhead;
- :meth:`Plan.columns`, the same plan as polars expressions for the columnar path.

Both are written from the same checked expression trees, so they agree by construction;
the property tests check it.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import string
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from kolrules.errors import (
    ExpressionError,
    PluginError,
    RuleParamError,
    RulesetError,
    RulesetIssue,
    ScoringParamError,
)
from kolrules.expression import (
    MAX_CODE_NESTING,
    Expression,
    PythonWriter,
    Type,
    check,
    code_nesting,
    compile_expression,
    number_source,
    parse,
    suggest,
    to_polars,
)
from kolrules.findings import Need, solve
from kolrules.findings.words import DEFAULT_LANG, Lang, check_lang, words_for
from kolrules.normalise import HAS_DATA_ERRORS, Schema, claimed_twice
from kolrules.ruleset import Rule, Ruleset
from kolrules.types import CANONICAL_FIELDS, Platform, RuleKind, Scorer, Tier

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "FAIL",
    "MAX_FORMAT_PRECISION",
    "MAX_FORMAT_WIDTH",
    "MAX_INPUT_PLANS",
    "MAX_SCORER_DEPTH",
    "MAX_SCORER_LENGTH",
    "NOT_APPLICABLE",
    "PASS",
    "UNKNOWN",
    "CompiledRule",
    "Plan",
    "Vetting",
    "applied_expr",
    "compile_plan",
    "lacking",
    "lacking_exprs",
    "names_read",
    "rule_inputs",
    "vetting",
    "without_inputs",
]

T = TypeVar("T")

#: Outcome codes in plans and in ``rule:<id>`` columns. Not applicable is split by cause:
#: ``NOT_APPLICABLE`` when the rule's ``when`` is false, ``UNKNOWN`` when an input is missing.
PASS, FAIL, NOT_APPLICABLE, UNKNOWN = 0, 1, 2, 3
OUTCOMES = ("pass", "fail", "not_applicable", "not_applicable")
_MISSING_CODES = {"pass": PASS, "fail": FAIL, "not_applicable": UNKNOWN}
VERDICTS = ("accept", "review", "reject")
#: Names the tier table and pricing add to every ruleset's scope.
BUILTIN_NAMES: Mapping[str, Type] = {
    "tier": "text",
    "band_min": "number",
    "band_max": "number",
    "engagement": "number",
    "cpe": "number",
}
#: Longest expression a scoring strategy may build, in characters (a weighted score over
#: many metrics is long; the expression limits of rulesets are for what people write).
MAX_SCORER_LENGTH = 20_000
#: Deepest nesting of operations in the expression a scoring strategy builds.
MAX_SCORER_DEPTH = 200
_SCORER_LIMITS = {"max_length": MAX_SCORER_LENGTH, "max_depth": MAX_SCORER_DEPTH}
#: Widest field a message's format spec may ask for (``{handle:>100}``), in characters.
MAX_FORMAT_WIDTH = 100
#: Most digits after the point (or significant digits) a message's format spec may ask
#: for (``{rate:.20f}``); a float holds 17 significant digits.
MAX_FORMAT_PRECISION = 20


@attrs.frozen
class CompiledRule:
    """A rule with its expressions checked and its message template, in the plan's
    language, parsed."""

    rule: Rule
    when: Expression | None
    require: Expression
    template: str
    template_names: tuple[str, ...]
    missing_code: int
    #: The language of ``template`` (the plan's) and of what the engine says of the rule.
    lang: Lang = DEFAULT_LANG
    #: The names the message reads in any language (``template_names``: in ``lang``).
    message_names: tuple[str, ...] = ()
    #: What it would take to pass (:func:`kolrules.findings.solve`), for a failed rule.
    needs: tuple[Need, ...] = ()
    #: The input fields the rule reads that the input has no column for (see
    #: :func:`without_inputs`): the rule is then not applied to any of its rows.
    absent: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        """The names ``when`` and ``require`` read, in order, each once."""
        when = self.when.names if self.when is not None else ()
        return tuple(dict.fromkeys((*when, *self.require.names)))


@attrs.frozen
class Plan:
    """A ruleset compiled for its platform; evaluate it with :mod:`kolrules.evaluate`."""

    ruleset: Ruleset
    platform: Platform
    schema: Schema
    tiers: tuple[Tier, ...]
    scope: Mapping[str, Type]
    params: Mapping[str, float | str]
    metrics: tuple[tuple[str, Expression | None], ...]
    rules: tuple[CompiledRule, ...]
    score: Expression | None
    scalar: Callable[[Mapping[str, Any]], tuple[Any, ...]] = attrs.field(repr=False, eq=False)
    scalar_source: str = attrs.field(repr=False, eq=False)
    #: Per rule, ``needs(values, tier, band_min, band_max)``: the value of each of the
    #: rule's needs for one profile (``None`` for a rule without needs).
    scalar_needs: tuple[Callable[..., tuple[Any, ...]] | None, ...] = attrs.field(
        default=(), repr=False, eq=False
    )
    #: The metrics plugins derive (``kolrules_profiles_derive``), by name, with types.
    derived: Mapping[str, Type] = attrs.field(factory=dict)
    #: The fields the input has no column for (:func:`without_inputs`): rules reading one
    #: are not applied, and with no price column no row is a gifting candidate.
    absent: frozenset[str] = frozenset()
    #: The language of the messages and of the engine's words in decisions
    #: (:mod:`kolrules.findings.words`).
    lang: Lang = DEFAULT_LANG
    _memo: dict[Hashable, Any] = attrs.field(factory=dict, repr=False, eq=False, alias="_memo")

    @property
    def inputs(self) -> dict[str, Type]:
        """The names a profile brings: the schema's fields, then the derived metrics."""
        return {**self.schema.fields, **self.derived}

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """What ``build()`` returns, built once per plan and ``key``: the caches that the
        steps after compiling keep for a plan (the polars expressions, the one-profile
        decider) live here, each under its owner's key."""
        try:
            return cast("T", self._memo[key])
        except KeyError:
            found = self._memo[key] = build()
            return found

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.metrics)

    def columns(self) -> list[pl.Expr]:
        """The plan as polars expressions, in order, each aliased to its output column.

        Apply them one after the other (``with_columns`` in sequence or in one lazy query);
        later ones read the columns of earlier ones.
        """
        return list(self.memo("columns", lambda: _polars_plan(self)))

    def need_columns(self) -> list[pl.Expr]:
        """The values of each failed rule's needs (``need:<rule id>:<k>`` columns), as
        polars expressions to apply, in order, to a frame that :meth:`columns` evaluated."""
        return list(self.memo("need_columns", lambda: _polars_needs(self)))


def compile_plan(
    ruleset: Ruleset,
    platform: Platform,
    scorer: Scorer | None,
    *,
    strict: bool = False,
    rule_kinds: Mapping[str, RuleKind] | None = None,
    derived: Mapping[str, Type] | None = None,
    schema: Schema | None = None,
    lang: str = DEFAULT_LANG,
) -> Plan:
    """Compile ``ruleset`` for ``platform`` with ``scorer`` (the ruleset's strategy).

    ``rule_kinds`` are the rule kinds plugins registered, by case-folded name; ``derived``
    the metrics the plugins' phase hooks derive (name and type), which the ruleset may
    use; ``schema`` the
    schema built from ``ruleset`` and ``platform``, when the caller has it already;
    ``lang`` the language of messages and of the engine's words (a rule's template in
    that language, else its English one; every language's template is checked). Raises
    :class:`RulesetError` with every problem found (:class:`UnknownKindError` for a
    language kolrules does not speak).
    """
    spoken = check_lang(lang)
    issues: list[RulesetIssue] = []
    derived = dict(derived or {})
    if schema is None:
        schema = Schema.build(platform, ruleset.fields, ruleset.columns, strict=strict)
    issues.extend(_header_clashes(ruleset, schema))
    issues.extend(_unknown_columns(ruleset, schema))
    issues.extend(_retyped_fields(ruleset, platform))
    tiers = ruleset.tiers if ruleset.tiers is not None else platform.tiers
    if not tiers:
        issues.append(
            ruleset.issue(
                ("tiers",),
                f"no tier table: platform {platform.name!r} has no default tiers",
                "add [[tiers]]",
            )
        )

    scope: dict[str, Type] = {**schema.fields, **derived}
    for name, value in ruleset.params.items():
        if name in scope or name in BUILTIN_NAMES:
            issues.append(
                ruleset.issue(("params", name), f"param {name!r} has the name of a field")
            )
        scope[name] = "text" if isinstance(value, str) else "number"
    scope.update(BUILTIN_NAMES)

    sources: dict[str, tuple[str, tuple[Any, ...], int]] = {}
    for name, src in platform.metrics.items():
        sources[name] = (src, ("platform", platform.name, "metrics", name), 1)
    for name, src in ruleset.metrics.items():
        sources[name] = (src, ("metrics", name), 0)
        if name in scope:
            issues.append(
                ruleset.issue(
                    ("metrics", name),
                    f"metric {name!r} has the name of a field or param",
                    "rename the metric",
                )
            )
    engagement_src = ruleset.engagement or (
        "engagement_per_post" if "engagement_per_post" in sources else None
    )
    if engagement_src is not None:
        sources["engagement"] = (engagement_src, ("pricing", "engagement"), 0)
    sources["cpe"] = ("price / engagement", ("pricing", "engagement"), 0)

    metrics, metric_issues = _compile_metrics(ruleset, platform, sources, scope)
    issues.extend(metric_issues)
    for name in sources:
        scope.setdefault(name, "number")  # a broken metric should not also break its users
    for name, expr in metrics:
        if expr is not None:
            scope[name] = expr.type
    rules = []
    for i, rule in enumerate(ruleset.rules):
        own_message = rule.kind is None or rule.message is not None
        if rule.kind is not None:
            built, kind_issues = _build_rule(ruleset, i, rule, rule_kinds or {})
            issues.extend(kind_issues)
            if built is None:
                continue
            rule = built
        compiled, rule_issues = _compile_rule(ruleset, i, rule, scope, own_message, spoken)
        issues.extend(rule_issues)
        if compiled is not None:
            rules.append(compiled)
    score, score_issues = _compile_score(ruleset, scorer, scope)
    issues.extend(score_issues)
    if issues:
        raise RulesetError(issues)
    inputs = {**schema.fields, **derived}
    definitions = {name: expr.tree for name, expr in metrics if expr is not None}
    rules = [
        attrs.evolve(r, needs=_writable(solve(r.require.tree, definitions, inputs))) for r in rules
    ]
    source, fn = _write_scalar(inputs, tiers, ruleset.params, metrics, rules, score)
    return Plan(
        ruleset=ruleset,
        platform=platform,
        schema=schema,
        tiers=tuple(tiers),
        scope=scope,
        params=dict(ruleset.params),
        metrics=tuple(metrics),
        rules=tuple(rules),
        score=score,
        scalar=fn,
        scalar_source=source,
        scalar_needs=_write_needs(inputs, ruleset.params, rules),
        derived=derived,
        lang=spoken,
    )


def _writable(needs: tuple[Need, ...]) -> tuple[Need, ...]:
    """``needs``, or none when the code of one of them would nest too deeply to compile
    (metrics expanded into a need can make it far deeper than any expression written):
    the rule then says that it cannot be solved, on both paths alike."""
    for need in needs:
        for tree in (need.value, need.guard):
            if tree is not None and code_nesting(tree) > MAX_CODE_NESTING:
                return ()
    return needs


def _located(rs: Ruleset, path: tuple[Any, ...], exc: ExpressionError, what: str) -> RulesetIssue:
    if path and path[0] == "platform":
        return RulesetIssue(
            f"platform {path[1]!r} (plugin data)",
            ".".join(map(str, path[2:])),
            f"{what}: {exc.render()}",
        )
    return rs.issue(path, f"{what}: {exc.render()}")


def _names_in(tree: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _compile_metrics(
    rs: Ruleset,
    platform: Platform,
    sources: Mapping[str, tuple[str, tuple[Any, ...], int]],
    scope: Mapping[str, Type],
) -> tuple[list[tuple[str, Expression | None]], list[RulesetIssue]]:
    issues: list[RulesetIssue] = []
    trees: dict[str, ast.expr] = {}
    for name, (src, path, _) in sources.items():
        try:
            trees[name] = parse(src)
        except ExpressionError as exc:
            issues.append(_located(rs, path, exc, f"metric {name!r}"))
    deps = {n: _names_in(t) & set(sources) for n, t in trees.items()}
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cycle = [*chain[chain.index(n) :], n]
            issues.append(
                rs.issue(
                    sources[n][1], "metrics refer to each other in a circle: " + " -> ".join(cycle)
                )
            )
            return
        state[n] = 1
        for d in sorted(deps.get(n, ())):
            if d in trees:
                visit(d, [*chain, n])
        state[n] = 2
        order.append(n)

    for n in trees:
        visit(n, [])
    if issues:
        return [], issues
    full_scope: dict[str, Type] = dict(scope)
    out: list[tuple[str, Expression | None]] = []
    all_names = [*scope, *sources]
    for n in order:
        src, path, _ = sources[n]
        text = " ".join(src.split())
        try:
            t, names = check(trees[n], text, full_scope)
        except ExpressionError as exc:
            if exc.message.startswith("unknown name"):
                close = suggest(exc.message.split("'")[1], all_names)
                hint = f"did you mean {close!r}?" if close else exc.hint
                exc = ExpressionError(exc.message, exc.source, exc.position, hint)
            issues.append(_located(rs, path, exc, f"metric {n!r}"))
            continue
        full_scope[n] = t
        out.append((n, Expression(text, trees[n], names, t)))
    if "engagement" not in sources:
        out.insert(0, ("engagement", None))
    return out, issues


def _check(
    rs: Ruleset,
    path: tuple[Any, ...],
    src: str,
    scope: Mapping[str, Type],
    want: Type,
    what: str,
    **limits: int,
) -> tuple[Expression | None, RulesetIssue | None]:
    try:
        expr = compile_expression(src, scope, **limits)
    except ExpressionError as exc:
        return None, _located(rs, path, exc, what)
    if expr.type != want:
        article = {"bool": "a true/false test", "number": "a number", "text": "text"}
        message = f"{what} must be {article[want]}, but {expr.source!r} is {article[expr.type]}"
        return None, rs.issue(path, message)
    return expr, None


def _build_rule(
    rs: Ruleset, i: int, rule: Rule, kinds: Mapping[str, RuleKind]
) -> tuple[Rule | None, list[RulesetIssue]]:
    """A rule of a plugin's kind, with the ``require``, ``when`` and ``message`` its kind
    builds from its ``params`` (the rule's own ``when`` is kept, joined with ``and``; its
    own ``message`` wins)."""
    name = rule.kind or ""
    kind = kinds.get(name.casefold())
    if kind is None:
        names = sorted({k.name for k in kinds.values()})
        close = suggest(name, names)
        return None, [
            rs.issue(
                ("rules", i, "kind"),
                f"rule {rule.id!r}: unknown rule kind {name!r}; known rule kinds: "
                f"{', '.join(names) or 'none'}",
                (f"did you mean {close!r}? " if close else "")
                + "install the plugin that adds it (kolrules plugins lists the kinds each "
                "plugin registers), or write the rule with require",
            )
        ]
    try:
        parts = kind.build(rule.params)
    except RuleParamError as exc:
        keys = exc.key.split(".") if exc.key else []
        where: tuple[str | int, ...] = ("rules", i, "params", *keys)
        return None, [rs.issue(where, f"rule {rule.id!r} (kind {kind.name!r}): {exc.message}")]
    when = rule.when
    if parts.when is not None:
        when = parts.when if when is None else f"({when}) and ({parts.when})"
    message = rule.message if rule.message is not None else parts.message
    return attrs.evolve(rule, require=parts.require, when=when, message=message), []


def _compile_rule(
    rs: Ruleset,
    i: int,
    rule: Rule,
    scope: Mapping[str, Type],
    own_message: bool = True,
    lang: Lang = DEFAULT_LANG,
) -> tuple[CompiledRule | None, list[RulesetIssue]]:
    issues: list[RulesetIssue] = []
    when = None
    # A rule of a plugin's kind: its expressions (and its message, unless the rule gives
    # one) were built, not written, so problems in them are located at its kind.
    message_at = ("rules", i, "message" if own_message else "kind")
    built = f" (kind {rule.kind!r})" if rule.kind else ""
    when_at = ("rules", i, "kind" if rule.kind else "when")
    require_at = ("rules", i, "kind" if rule.kind else "require")
    if rule.when is not None:
        when, issue = _check(rs, when_at, rule.when, scope, "bool", f"rule {rule.id!r}{built} when")
        if issue:
            issues.append(issue)
    require, issue = _check(
        rs, require_at, rule.require, scope, "bool", f"rule {rule.id!r}{built} require"
    )
    if issue:
        issues.append(issue)
    fallback = rule.message
    if fallback is None and require is not None:
        shown = ", ".join(f"{n} = {{{n}}}" for n in require.names if n not in rs.params)
        fallback = f"{rule.id}: needs {require.source}" + (f" ({shown})" if shown else "")
    # Every language's template is checked, whichever the plan speaks: a ruleset that
    # compiles in one language compiles in all.
    templates: dict[str, tuple[tuple[Any, ...], str]] = {}
    if fallback is not None:
        templates[DEFAULT_LANG] = (message_at, fallback)
    for code, text in rule.messages.items():
        templates[code] = (("rules", i, "message", code), text)
    names: dict[str, list[str]] = {}
    for code, (at, text) in templates.items():
        names[code], template_issues = _check_template(rs, at, text, scope)
        issues.extend(template_issues)
    if issues or require is None:
        return None, issues
    chosen = lang if lang in templates else DEFAULT_LANG
    return CompiledRule(
        rule,
        when,
        require,
        templates[chosen][1] if chosen in templates else "",
        tuple(dict.fromkeys(names.get(chosen, ()))),
        _MISSING_CODES[rule.missing],
        lang=lang,
        message_names=tuple(dict.fromkeys(n for found in names.values() for n in found)),
    ), []


def _check_template(
    rs: Ruleset, at: tuple[Any, ...], template: str, scope: Mapping[str, Type]
) -> tuple[list[str], list[RulesetIssue]]:
    """The names a message template reads, and its problems (located at ``at``): a name
    not in scope, a conversion, a format spec that fails or asks for too much."""
    issues: list[RulesetIssue] = []
    names: list[str] = []
    try:
        for _, field, spec, conv in string.Formatter().parse(template):
            if field is None:
                continue
            if field not in scope:
                close = suggest(field, list(scope))
                issues.append(
                    rs.issue(
                        at,
                        f"unknown name {{{field}}} in the message",
                        f"did you mean {{{close}}}?" if close else None,
                    )
                )
                continue
            if conv:
                issues.append(rs.issue(at, f"conversions like !{conv} are not allowed in messages"))
            sample: Any = (
                1.5 if scope[field] == "number" else ("x" if scope[field] == "text" else True)
            )
            too_big = _spec_problem(spec or "")
            if too_big is not None:
                issues.append(
                    rs.issue(
                        at,
                        f"bad format {{{field}:{_shorten(spec or '')}}}: {too_big}",
                        "a message is one line of a report: keep widths and decimals small",
                    )
                )
            else:
                try:
                    format(sample, spec or "")
                except ValueError as exc:
                    issues.append(rs.issue(at, f"bad format {{{field}:{spec}}}: {exc}"))
            names.append(field)
    except ValueError as exc:
        issues.append(
            rs.issue(
                at,
                f"cannot read the message template: {exc}",
                "write literal braces as {{ and }}",
            )
        )
    return names, issues


def _retyped_fields(ruleset: Ruleset, platform: Platform) -> list[RulesetIssue]:
    """A ``[fields]`` entry giving a field of kolrules or of the platform another type:
    everything that reads the field (metrics, messages, the platform's parsing) expects the
    type it has; said at the entry, not at each thing that breaks."""
    issues = []
    known = {**CANONICAL_FIELDS, **platform.fields}
    for name, kind in ruleset.fields.items():
        if name in known and known[name] != kind:
            whose = "kolrules" if name in CANONICAL_FIELDS else f"platform {platform.name!r}"
            issues.append(
                ruleset.issue(
                    ("fields", name),
                    f"field {name!r} is a {known[name]} field of {whose}; a ruleset cannot "
                    f"make it {kind}",
                    f"remove it from [fields], or read the column as a new field (e.g. "
                    f'{name}_{kind} = "{kind}" with [columns] {name}_{kind} = [...])',
                )
            )
    return issues


def _unknown_columns(ruleset: Ruleset, schema: Schema) -> list[RulesetIssue]:
    """A ``[columns]`` entry for a field that neither the platform nor ``[fields]``
    declares: its spellings would be silently ignored."""
    issues = []
    for field in ruleset.columns:
        if field not in schema.fields:
            close = difflib.get_close_matches(field, list(schema.fields), n=1)
            hint = (f"did you mean {close[0]!r}? " if close else "") + (
                f'declare it in [fields] ({field} = "number" or "text") to read it'
            )
            issues.append(
                ruleset.issue(
                    ("columns", field), f"[columns] names {field!r}, which is not a field", hint
                )
            )
    return issues


def _header_clashes(ruleset: Ruleset, schema: Schema) -> list[RulesetIssue]:
    """A header spelling that two fields claim: the ruleset's ``[columns]`` entry that
    does it, or the platform's own spellings (a problem of the platform plugin)."""
    issues = []
    for spelling, first, second in claimed_twice(schema):
        said = f"the header {spelling!r} would mean both {first!r} and {second!r}"
        mine = [f for f in (second, first) if spelling in ruleset.columns.get(f, ())]
        if mine:
            issues.append(
                ruleset.issue(
                    ("columns", mine[0]),
                    f"{said}: a header belongs to one field only",
                    f"remove {spelling!r} from [columns] {mine[0]}, or map it to one field",
                )
            )
        else:
            raise PluginError(
                f"platform {schema.platform.name!r}: {said} (its columns, and the canonical "
                "field names, may claim a header once); fix the platform's columns"
            )
    return issues


# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type].
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]+)?[,_]?(?:\.(?P<precision>[0-9]+))?[a-zA-Z%]?",
    re.DOTALL,
)


def _spec_problem(spec: str) -> str | None:
    """Why a message's format spec asks for too much (width or precision), or ``None``
    (Python's ``format`` then checks the rest)."""
    found = _FORMAT_SPEC.fullmatch(spec)
    if found is None:
        return None
    width, precision = found["width"], found["precision"]
    if _above(width, MAX_FORMAT_WIDTH):
        return f"the width {_shorten(width)} is above the limit of {MAX_FORMAT_WIDTH}"
    if _above(precision, MAX_FORMAT_PRECISION):
        return f"the precision .{_shorten(precision)} is above the limit of {MAX_FORMAT_PRECISION}"
    return None


def _above(digits: str | None, limit: int) -> bool:
    """Whether the decimal ``digits`` (if given) are above ``limit``; never converts a
    number longer than the limit's own digits (``int()`` refuses 4,300 digits or more)."""
    if digits is None:
        return False
    significant = digits.lstrip("0")
    return len(significant) > len(str(limit)) or int(significant or "0") > limit


def _shorten(text: str, keep: int = 24) -> str:
    return text if len(text) <= keep else f"{text[: keep // 2]}...{text[-6:]}"


def _compile_score(
    rs: Ruleset, scorer: Scorer | None, scope: Mapping[str, Type]
) -> tuple[Expression | None, list[RulesetIssue]]:
    if rs.scoring_strategy is None or scorer is None:
        return None, []
    try:
        src = scorer.build(rs.scoring_params)
    except ScoringParamError as exc:
        where = ("scoring", "params", *exc.key.split(".")) if exc.key else ("scoring", "params")
        return None, [rs.issue(where, exc.message)]
    try:
        tree = parse(src, **_SCORER_LIMITS)
        t, names = check(tree, src, scope)
    except ExpressionError as exc:
        path: tuple[Any, ...] = ("scoring", "params")
        if exc.message.startswith("unknown name"):
            bad = exc.message.split("'")[1]
            metrics = rs.scoring_params.get("metrics")
            if isinstance(metrics, Mapping) and bad in metrics:
                path = ("scoring", "params", "metrics", bad)
                close = suggest(bad, list(scope))
                hint = f"did you mean {close!r}?" if close else "name a field or metric"
                return None, [rs.issue(path, f"unknown metric {bad!r}", hint)]
        return None, [
            rs.issue(
                path,
                f"scoring strategy {scorer.name!r} built an expression that does not compile: "
                f"{exc.message}",
            )
        ]
    if t != "number":
        return None, [
            rs.issue(("scoring",), f"scoring strategy {scorer.name!r} must give a number")
        ]
    return Expression(src, tree, names, t), []


# -- code generation: the one-profile path ----------------------------------------------


def _var(prefix: str, name: str) -> str:
    """The local variable holding ``name`` in generated code. A name that would not make
    an identifier (a plugin's field ``"a b"``, say: ruleset names are checked when
    loaded) is spelled by its code points instead (after ``<prefix>X``, which no plain
    spelling starts with), so the code still compiles."""
    plain = f"{prefix}_{name}"
    if plain.isidentifier() and unicodedata.normalize("NFKC", plain) == plain:
        return plain
    return f"{prefix}X_" + "_".join(f"{ord(c):x}" for c in name)


def _scalar_names(inputs: Mapping[str, Type], params: Mapping[str, float | str]) -> dict[str, str]:
    """How generated one-profile code reads each name: inputs as local variables, params
    as literals, the tier and its band as ``_tier``, ``_band_min``, ``_band_max``."""
    names: dict[str, str] = {f: _var("f", f) for f in inputs}
    names.update(
        {
            p: repr(v) if isinstance(v, str) else number_source(_as_float(v))
            for p, v in params.items()
        }
    )
    names.update({"tier": "_tier", "band_min": "_band_min", "band_max": "_band_max"})
    return names


def _as_float(value: float) -> float:
    """A param as a float; one too large for a float is infinite (loading refuses both,
    but a ruleset built in code may hold them)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _bound(value: float | None) -> str:
    """Source for a tier's bound or band: ``None`` or a number, infinity included."""
    return "None" if value is None else number_source(_as_float(value))


def _write_scalar(
    inputs: Mapping[str, Type],
    tiers: Iterable[Tier],
    params: Mapping[str, float | str],
    metrics: list[tuple[str, Expression | None]],
    rules: list[CompiledRule],
    score: Expression | None,
) -> tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]:
    names = _scalar_names(inputs, params)
    names.update({m: _var("m", m) for m, _ in metrics})
    writer = PythonWriter(names, params)  # one writer: temporaries are unique in the whole function
    lines = ["def _evaluate(v):"]
    lines += [f"    {names[f]} = v[{f!r}]" for f in inputs]
    lines.append(f"    if {names['followers']} is None:")
    lines.append("        _tier = _band_min = _band_max = None")
    for t in tiers:
        cond = f"{_bound(t.min_followers)} <= {names['followers']}"
        if t.max_followers is not None:
            cond += f" < {_bound(t.max_followers)}"
        lines.append(f"    elif {cond}:")
        band = f"{_bound(t.price_min)}, {_bound(t.price_max)}"
        lines.append(f"        _tier, _band_min, _band_max = {t.name!r}, {band}")
    lines.append("    else:")
    lines.append("        _tier = _band_min = _band_max = None")
    for m, expr in metrics:
        lines.append(f"    {names[m]} = {'None' if expr is None else writer.write(expr.tree)}")
    outcomes = []
    for i, r in enumerate(rules):
        req = writer.write(r.require.tree)
        code = f"(0 if (_r{i} := {req}) is True else (1 if _r{i} is False else {r.missing_code}))"
        if r.when is not None:
            code = f"(2 if ({writer.write(r.when.tree)}) is not True else {code})"
        lines.append(f"    _o{i} = {code}")
        outcomes.append(f"_o{i}")
    if score is None:
        lines.append("    _score = None")
    else:
        lines.append(f"    _s = {writer.write(score.tree)}")
        lines.append(
            "    _score = None if _s is None else "
            "(0.0 if _s <= 0.0 else (100.0 if _s > 100.0 else _s))"  # <=: no score -0.0
        )
    metric_tuple = "".join(f"{names[m]}, " for m, _ in metrics)
    outcome_tuple = "".join(f"{o}, " for o in outcomes)
    lines.append(
        f"    return (_tier, _band_min, _band_max, ({metric_tuple}), ({outcome_tuple}), _score)"
    )
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {"_INF": math.inf, "_log": math.log}
    exec(compile(source, "<kolrules plan>", "exec"), namespace)
    return source, namespace["_evaluate"]


def _write_needs(
    inputs: Mapping[str, Type], params: Mapping[str, float | str], rules: list[CompiledRule]
) -> tuple[Callable[..., tuple[Any, ...]] | None, ...]:
    """Per rule, a generated ``needs(v, tier, band_min, band_max)`` giving the value of each
    of its needs (``None`` where the need's guard does not hold), written like the plan."""
    names = _scalar_names(inputs, params)
    found: list[Callable[..., tuple[Any, ...]] | None] = []
    for r in rules:
        if not r.needs:
            found.append(None)
            continue
        writer = PythonWriter(names, params)
        read = {n.id for need in r.needs for n in _need_nodes(need) if isinstance(n, ast.Name)}
        read &= set(inputs)
        lines = ["def _needs(v, _tier, _band_min, _band_max):"]
        lines += [f"    {names[f]} = v.get({f!r})" for f in sorted(read)]
        values = []
        for k, need in enumerate(r.needs):
            value = "None" if need.value is None else writer.write(need.value)
            if need.guard is not None:
                value = f"({value} if ({writer.write(need.guard)}) is True else None)"
            lines.append(f"    _n{k} = {value}")
            values.append(f"_n{k}, ")
        lines.append(f"    return ({''.join(values)})")
        namespace: dict[str, Any] = {"_INF": math.inf, "_log": math.log}
        exec(compile("\n".join(lines) + "\n", "<kolrules needs>", "exec"), namespace)
        found.append(namespace["_needs"])
    return tuple(found)


def _need_nodes(need: Need) -> Iterable[ast.AST]:
    for tree in (need.value, need.guard):
        if tree is not None:
            yield from ast.walk(tree)


# -- code generation: the columnar path -------------------------------------------------


#: Prefix of the temporary columns a plan's polars expressions use; dropped at the end.
TEMP_PREFIX = "__k"


def _polars_writer(
    plan: Plan, out: list[pl.Expr], prefix: str
) -> tuple[Callable[[ast.expr], pl.Expr], Callable[[pl.Expr], pl.Expr]]:
    """Writes checked trees as polars expressions over the plan's columns and params; a
    sub-expression read more than once goes to a temporary column ``<prefix><n>``,
    appended to ``out`` (by the second function returned, ``bind``)."""
    import polars as pl

    params = plan.params
    counter = iter(range(1_000_000))

    def resolve(name: str) -> pl.Expr:
        if name in params:
            v = params[name]
            return (
                pl.lit(v, dtype=pl.String)
                if isinstance(v, str)
                else pl.lit(float(v), dtype=pl.Float64)
            )
        return pl.col(name)

    def bind(e: pl.Expr) -> pl.Expr:
        name = f"{prefix}{next(counter)}"
        out.append(e.alias(name))
        return pl.col(name)

    return (lambda tree: to_polars(tree, resolve, params, bind)), bind


def _polars_plan(plan: Plan) -> list[pl.Expr]:
    import polars as pl

    out: list[pl.Expr] = []
    compiled, bind = _polars_writer(plan, out, TEMP_PREFIX)

    followers = pl.col("followers")
    tier: Any = pl
    band_min: Any = pl
    band_max: Any = pl
    for t in plan.tiers:
        cond = followers >= t.min_followers
        if t.max_followers is not None:
            cond = cond & (followers < t.max_followers)
        tier = tier.when(cond).then(pl.lit(t.name, dtype=pl.String))
        band_min = band_min.when(cond).then(pl.lit(t.price_min, dtype=pl.Float64))
        band_max = band_max.when(cond).then(pl.lit(t.price_max, dtype=pl.Float64))
    out += [tier.alias("tier"), band_min.alias("band_min"), band_max.alias("band_max")]
    for name, expr in plan.metrics:
        if expr is None:
            out.append(pl.lit(None, dtype=pl.Float64).alias(name))
        else:
            out.append(compiled(expr.tree).alias(name))
    for r in plan.rules:
        # True -> 0 (pass), False -> 1 (fail), missing -> the rule's missing outcome
        code = (1 - compiled(r.require.tree).cast(pl.Int8)).fill_null(r.missing_code)
        if r.when is not None:
            w = compiled(r.when.tree)
            code = pl.when(w.fill_null(False)).then(code).otherwise(NOT_APPLICABLE)
        out.append(code.cast(pl.UInt8).alias(rule_column(r.rule.id)))
    score: pl.Expr = pl.lit(None, dtype=pl.Float64)
    if plan.score is not None:
        s = bind(compiled(plan.score.tree))
        # <=: a score of -0.0 (from zeros of both signs) is 0.0 on both paths.
        score = pl.when(s <= 0.0).then(0.0).when(s > 100.0).then(100.0).otherwise(s)
    out.append(score.alias("score"))
    out.append(_verdict_expr(plan).alias("verdict"))
    return out


def _polars_needs(plan: Plan) -> list[pl.Expr]:
    """The values of every rule's needs, where it failed, as polars expressions over the
    evaluated frame (fields, tier and band, ``rule:<id>`` columns). Built only when
    decisions are made from a frame, so the columnar path pays for them only then."""
    import polars as pl

    out: list[pl.Expr] = []
    compiled, _ = _polars_writer(plan, out, f"{TEMP_PREFIX}need")
    for r in plan.rules:
        fails = pl.col(rule_column(r.rule.id)) == FAIL
        for k, need in enumerate(r.needs):
            value = pl.lit(None, dtype=pl.Float64) if need.value is None else compiled(need.value)
            if need.guard is not None:
                value = pl.when(compiled(need.guard).fill_null(False)).then(value)
            out.append(pl.when(fails).then(value).alias(need_column(r.rule.id, k)))
    return out


def need_column(rule_id: str, k: int) -> str:
    """The column of the ``k``-th need of rule ``rule_id`` (its value where the rule failed)."""
    return f"need:{rule_id}:{k}"


def rule_column(rule_id: str) -> str:
    """The output column holding a rule's outcome."""
    return f"rule:{rule_id}"


def verdict_of(
    plan: Plan, outcomes: tuple[int, ...], has_data_errors: bool, thin: bool = False
) -> str:
    """The verdict from rule outcomes (the one-profile path; see :func:`_verdict_expr`);
    ``thin``: too few vetting rules could be applied (``[verdict] min_applicable``)."""
    rank = 1 if thin else 0
    counts: dict[str, int] = {}
    if FAIL not in outcomes:
        # Nothing failed: nothing to count or escalate (escalation counts are >= 1).
        if has_data_errors:
            rank = max(rank, VERDICTS.index(plan.ruleset.data_errors))
        return VERDICTS[rank]
    for r, o in zip(plan.rules, outcomes, strict=True):
        if o == FAIL:
            sev = r.rule.severity
            counts[sev] = counts.get(sev, 0) + 1
            if sev == "reject":
                rank = 2
            elif sev == "review":
                rank = max(rank, 1)
    for e in plan.ruleset.escalate:
        if counts.get(e.severity, 0) >= e.count:
            rank = max(rank, VERDICTS.index(e.to))
    if has_data_errors:
        rank = max(rank, VERDICTS.index(plan.ruleset.data_errors))
    return VERDICTS[rank]


def verdict_reason(
    plan: Plan, outcomes: tuple[int, ...], has_data_errors: bool, thin: bool = False
) -> str:
    """Why :func:`verdict_of` gives its verdict: the failed rules of the severity that set
    it, the escalation that raised it, the data errors, or too few vetting rules applied;
    for ``accept``, that nothing that changes the verdict failed. In the plan's language."""
    w = words_for(plan.lang)
    failed: dict[str, list[str]] = {}
    for r, o in zip(plan.rules, outcomes, strict=True):
        if o == FAIL:
            failed.setdefault(r.rule.severity, []).append(r.rule.id)
    verdict = verdict_of(plan, outcomes, has_data_errors, thin)
    shown = w.verdict(verdict)
    said: list[str] = []
    if verdict in ("reject", "review") and failed.get(verdict):
        said.append(w.why_failed.format(ids=w.names(failed[verdict])))
    for e in plan.ruleset.escalate:
        ids = failed.get(e.severity, [])
        if e.to == verdict and len(ids) >= e.count:
            said.append(
                w.why_escalate.format(
                    n=len(ids),
                    counted=w.counted[e.severity],
                    to=w.verdict(e.to),
                    count=e.count,
                    ids=w.names(ids),
                )
            )
    if has_data_errors and plan.ruleset.data_errors == verdict and verdict != "accept":
        said.append(w.why_data_errors.format(verdict=shown))
    if thin and verdict == "review":
        said.append(w.why_thin.format(share=f"{plan.ruleset.min_applicable:g}"))
    if not said:
        warned = failed.get("warn", []) + failed.get("info", [])
        if warned:
            return w.why_only_warnings.format(verdict=shown, ids=w.names(warned))
        return w.why_none_failed.format(verdict=shown)
    return w.why_head.format(verdict=shown) + w.why_sep.join(said)


def _verdict_expr(plan: Plan) -> pl.Expr:
    import polars as pl

    def failures(severity: str) -> pl.Expr:
        cols = [
            (pl.col(rule_column(r.rule.id)) == FAIL).cast(pl.Int32)
            for r in plan.rules
            if r.rule.severity == severity
        ]
        return pl.sum_horizontal(cols) if cols else pl.lit(0, dtype=pl.Int32)

    ranks = [
        pl.when(failures("reject") > 0).then(2).otherwise(0),
        pl.when(failures("review") > 0).then(1).otherwise(0),
    ]
    for e in plan.ruleset.escalate:
        ranks.append(
            pl.when(failures(e.severity) >= e.count).then(VERDICTS.index(e.to)).otherwise(0)
        )
    ranks.append(
        pl.when(pl.col(HAS_DATA_ERRORS)).then(VERDICTS.index(plan.ruleset.data_errors)).otherwise(0)
    )
    if vetting(plan).checked:
        ranks.append(pl.when(applied_expr(plan) < vetting(plan).enough).then(1).otherwise(0))
    rank = pl.max_horizontal(ranks)
    return (
        pl.when(rank == 2)
        .then(pl.lit("reject"))
        .when(rank == 1)
        .then(pl.lit("review"))
        .otherwise(pl.lit("accept"))
    )


# -- an input without some columns -------------------------------------------------------


#: The most plans for inputs without some columns kept per plan (:func:`without_inputs`):
#: a long-running service given bodies of ever other columns stays bounded.
MAX_INPUT_PLANS = 64
#: The names the tier table gives, from the followers.
_TIER_NAMES = frozenset({"tier", "band_min", "band_max"})


def rule_inputs(plan: Plan) -> tuple[tuple[str, ...], ...]:
    """Per rule of ``plan``, the input fields (schema fields and derived metrics) its
    ``when`` and ``require`` read, themselves or through metrics, in field order."""
    return plan.memo(
        "compile.rule_inputs",
        lambda: tuple(tuple(f for f in plan.inputs if f in seen) for seen in _rule_names(plan)),
    )


def _rule_names(plan: Plan) -> tuple[frozenset[str], ...]:
    """Per rule, every name its ``when`` and ``require`` read, themselves or through
    metrics."""
    metrics = {name: expr.names for name, expr in plan.metrics if expr is not None}
    out = []
    for compiled in plan.rules:
        seen: set[str] = set()
        todo = list(compiled.reads)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(metrics.get(name, ()))
        out.append(frozenset(seen))
    return tuple(out)


def without_inputs(plan: Plan, absent: Iterable[str]) -> Plan:
    """``plan`` for an input that has no column for the fields ``absent``: a rule whose
    inputs (the fields it reads, itself or through metrics; the tier and band read the
    followers) are all among them is not applied to any row, instead of judging each row
    on a value no row could have (a file without a price column is not a file of gifting
    candidates). A rule that says what a missing value means (``missing = "pass"`` or
    ``"fail"``) keeps its word, and a rule with some of its inputs is judged row by row.

    Such a rule's ``when`` becomes ``present(field) and (its when)``, which no row meets,
    so both paths, the vetting share and the messages treat it as any rule whose ``when``
    reads a missing value; :attr:`CompiledRule.absent` names the fields, and
    :attr:`Plan.absent` all of them. ``plan`` itself when none is a field. Made once per
    plan and set of fields (at most :data:`MAX_INPUT_PLANS` kept)."""
    gone = frozenset(absent) & set(plan.schema.fields)
    if not gone:
        return plan
    made: dict[frozenset[str], Plan] = plan.memo("compile.without_inputs", dict)
    found = made.get(gone)
    if found is None:
        if len(made) >= MAX_INPUT_PLANS:  # inputs of ever new columns (a service's bodies)
            made.clear()
        found = made[gone] = _without_inputs(plan, gone)
    return found


def _without_inputs(plan: Plan, gone: frozenset[str]) -> Plan:
    rules = []
    names = _rule_names(plan)
    for k, (compiled, reads) in enumerate(zip(plan.rules, rule_inputs(plan), strict=True)):
        lacks = tuple(f for f in reads if f in gone)
        by_tier = not _TIER_NAMES.isdisjoint(names[k])  # reads the followers, always there
        own_word = compiled.missing_code != UNKNOWN  # missing = "pass" or "fail"
        if lacks and len(lacks) == len(reads) and not by_tier and not own_word:
            guard = " and ".join(f"present({f})" for f in lacks)
            source = f"{guard} and ({compiled.when.source})" if compiled.when else guard
            # The rule compiled within the limits; the guard adds a name per field.
            limits = {"max_length": len(source), "max_nesting": MAX_CODE_NESTING + 2}
            when = compile_expression(source, plan.scope, **limits)
            compiled = attrs.evolve(compiled, when=when, absent=lacks)
        rules.append(compiled)
    if all(a is b for a, b in zip(rules, plan.rules, strict=True)):
        return attrs.evolve(plan, absent=gone, _memo={})
    inputs = plan.inputs
    source, fn = _write_scalar(
        inputs, plan.tiers, plan.params, list(plan.metrics), rules, plan.score
    )
    return attrs.evolve(
        plan,
        rules=tuple(rules),
        scalar=fn,
        scalar_source=source,
        scalar_needs=_write_needs(inputs, plan.params, rules),
        absent=gone,
        _memo={},
    )


# -- how much could be checked ---------------------------------------------------------


@attrs.frozen
class Vetting:
    """The vetting rules (``stage = "vet"``) of a plan, for how many of them a profile's
    values let be applied (``[verdict] min_applicable``): per rule, its index, the names
    its ``when`` reads (params left out: never missing), and the input fields its
    ``when`` and its ``require`` read, themselves or through metrics."""

    rules: tuple[tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
    #: The fewest rules applied that are enough (``ceil(min_applicable * rules)``).
    enough: int
    #: Whether ``min_applicable`` asks for a check at all.
    checked: bool


def vetting(plan: Plan) -> Vetting:
    """:class:`Vetting` of ``plan``, made once."""
    return plan.memo("compile.vetting", lambda: _vetting(plan))


def names_read(plan: Plan, names: Iterable[str]) -> set[str]:
    """``names`` and every name they read through the plan's metrics, at any depth."""
    metrics = plan.memo(
        "compile.metric_names_read",
        lambda: {name: expr.names for name, expr in plan.metrics if expr is not None},
    )
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(metrics.get(name, ()))
    return seen


def _vetting(plan: Plan) -> Vetting:
    fields = list(plan.inputs)

    def inputs(names: Iterable[str]) -> tuple[str, ...]:
        seen = names_read(plan, names)
        return tuple(f for f in fields if f in seen)

    found = []
    for i, r in enumerate(plan.rules):
        if r.rule.stage != "vet":
            continue
        when = r.when.names if r.when is not None else ()
        found.append(
            (
                i,
                tuple(n for n in when if n not in plan.params),
                inputs(when),
                inputs(r.require.names),
            )
        )
    share = plan.ruleset.min_applicable
    return Vetting(tuple(found), math.ceil(share * len(found) - 1e-9), share > 0 and bool(found))


def lacking(outcome: int, when_missing: bool) -> bool:
    """Whether a rule could not be applied for lack of values: its ``require`` could not
    be computed, or it is not applicable and a name its ``when`` reads is missing (so
    whether it applies could not be told)."""
    return outcome == UNKNOWN or (outcome == NOT_APPLICABLE and when_missing)


def lacking_exprs(plan: Plan) -> list[pl.Expr]:
    """Per vetting rule, :func:`lacking` over an evaluated frame (its ``rule:<id>``
    columns and the columns of the names its ``when`` reads)."""
    import polars as pl

    out = []
    for i, when, _, _ in vetting(plan).rules:
        code = pl.col(rule_column(plan.rules[i].rule.id))
        missing = pl.any_horizontal(pl.col(n).is_null() for n in when) if when else pl.lit(False)
        out.append((code == UNKNOWN) | ((code == NOT_APPLICABLE) & missing))
    return out


def applied_expr(plan: Plan) -> pl.Expr:
    """How many vetting rules could be applied, per row of an evaluated frame."""
    import polars as pl

    lacks = lacking_exprs(plan)
    total = len(vetting(plan).rules)
    if not lacks:
        return pl.lit(total, dtype=pl.Int64)
    return pl.lit(total, dtype=pl.Int64) - pl.sum_horizontal(x.cast(pl.Int64) for x in lacks)
