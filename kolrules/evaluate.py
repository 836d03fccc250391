"""Run a compiled :class:`~kolrules.compile.Plan`: the "evaluate" step (scoring included,
since the score is one more compiled expression of the plan).

Two paths, one answer:

- :func:`evaluate_values` runs the plan's generated Python function on one normalised
  profile (no dataframe, no per-row plugin calls);
- :func:`evaluate_columns` runs the plan's polars expressions over a normalised frame in
  one lazy query, with no Python loop over rows. :func:`decisions_from_columns` turns its
  rows into :class:`~kolrules.types.Decision` objects when a caller wants objects.

Both build decisions with :func:`build_decision`, so findings, messages and verdicts are
produced by the same code from the same values.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import attrs

from kolrules.compile import (
    NOT_APPLICABLE,
    OUTCOMES,
    TEMP_PREFIX,
    UNKNOWN,
    CompiledRule,
    Plan,
    applied_expr,
    lacking,
    lacking_exprs,
    need_column,
    rule_column,
    verdict_of,
    verdict_reason,
    vetting,
)
from kolrules.findings.render import format_value
from kolrules.findings.words import DEFAULT_LANG, Lang, words_for
from kolrules.normalise import BAD, HAS_DATA_ERRORS, ROW
from kolrules.types import (
    Applied,
    DataError,
    Decision,
    Finding,
    PriceAssessment,
    PricePosition,
    RowError,
    RulesetRef,
    ToPass,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DECISION_COLUMNS",
    "REASONS",
    "build_decision",
    "decision_frame",
    "decisions_from_columns",
    "evaluate_columns",
    "evaluate_values",
    "format_value",
    "price_position",
    "to_pass_text",
    "to_pass_words",
]


@cache
def _pieces(template: str) -> tuple[tuple[str, str | None, str], ...]:
    return tuple(
        (lit, field, spec or "") for lit, field, spec, _ in string.Formatter().parse(template)
    )


def render(template: str, names: Mapping[str, Any], lang: str = DEFAULT_LANG) -> str:
    """Fill a message template (checked when the ruleset was compiled); a missing value
    shows in the words of ``lang``."""
    missing = words_for(lang).missing
    out = []
    for lit, field, spec in _pieces(template):
        out.append(lit)
        if field is not None:
            value = names.get(field)
            out.append(format_value(value, spec if value is not None else "", missing))
    return "".join(out)


def price_position(
    price: float | None, band_min: float | None, band_max: float | None
) -> PricePosition | None:
    """Where a quote sits against the tier's fair band."""
    if price is None or (band_min is None and band_max is None):
        return None
    if band_min is not None and price < band_min:
        return "below"
    if band_max is not None and price > band_max:
        return "above"
    return "within"


class _Names:
    """The names a message or a finding reads, looked up where they live (tier and band,
    then metrics, then params, then fields: the order in which they shadow each other)
    rather than merged into one dict per decision."""

    __slots__ = ("band_max", "band_min", "fields", "metrics", "params", "tier")

    def __init__(
        self,
        fields: Mapping[str, Any],
        params: Mapping[str, Any],
        metrics: Mapping[str, Any],
        tier: str | None,
        band_min: float | None,
        band_max: float | None,
    ) -> None:
        self.fields, self.params, self.metrics = fields, params, metrics
        self.tier, self.band_min, self.band_max = tier, band_min, band_max

    def get(self, name: str, default: Any = None) -> Any:
        if name == "tier":
            return self.tier
        if name == "band_min":
            return self.band_min
        if name == "band_max":
            return self.band_max
        for table in (self.metrics, self.params, self.fields):
            if name in table:
                return table[name]
        return default


def _not_applicable(r: CompiledRule, outcome: int, gaps: tuple[str, ...]) -> str:
    w = words_for(r.lang)
    if r.absent:  # not applied to any row (compile.without_inputs): its when cannot hold
        return w.na_no_column.format(fields=w.names(r.absent))
    if outcome == NOT_APPLICABLE:
        when = r.when.source if r.when else "when"
        return w.na_when_false.format(when=when) + (
            w.na_when_missing.format(names=w.names(gaps)) if gaps else ""
        )
    if gaps:
        return w.na_missing.format(names=w.names(gaps))
    return w.na_division.format(test=r.require.source)


#: Not-applicable findings of one rule by (outcome, missing names): they do not depend on
#: values, so each is made once per plan (see :func:`_made`).
_Made = dict[tuple[int, tuple[str, ...]], Finding]


def _made(plan: Plan) -> tuple[_Made, ...]:
    """The plan's not-applicable findings made so far, one table per rule."""
    return plan.memo("evaluate.not_applicable", lambda: tuple({} for _ in plan.rules))


_HOLDS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def to_pass(
    r: CompiledRule, need_values: Sequence[Any], now: Mapping[str, Any] | _Names
) -> tuple[ToPass, ...] | None:
    """What it would take for the failed rule ``r`` to pass: each need whose input does not
    meet it now, with the value it needs (``need_values``, computed by either path).
    ``None`` when nothing can be said (no need solved, or none computable here)."""
    found: list[ToPass] = []
    for need, value in zip(r.needs, need_values, strict=True):
        current = now.get(need.name)
        if need.op == "present":
            if current is None:
                found.append(ToPass(need.name, None, "present", None, need.part))
            continue
        if value is None:
            continue  # its guard does not hold for this profile
        if type(current) is type(value) and _HOLDS[need.op](current, value):
            continue  # this part of the rule holds already
        found.append(ToPass(need.name, current, need.op, value, need.part))
    return tuple(found) or None


def to_pass_words(entries: Sequence[ToPass] | None, lang: str = DEFAULT_LANG) -> str:
    """What it would take to pass, in the words of ``lang``: ``price at most 8,000 (now
    15,000)``; alternatives (one part) joined by "or", parts by "and"; "cannot be solved
    from the inputs" for ``None``."""
    w = words_for(lang)
    if entries is None:
        return w.unsolved
    parts: dict[int, list[str]] = {}
    for t in entries:
        if t.op == "present":
            said = w.given.format(name=t.name)
        else:
            said = f"{t.name} {w.ops[t.op]} {format_value(t.need, '', w.missing)}"
            said += w.now_open + format_value(t.now, "", w.missing) + w.now_close
        parts.setdefault(t.part, []).append(said)
    return w.both.join(w.either.join(p) for p in parts.values())


def to_pass_text(finding: Finding, lang: str = DEFAULT_LANG) -> str:
    """:func:`to_pass_words` for a failed finding; empty for one that did not fail."""
    return to_pass_words(finding.to_pass, lang) if finding.outcome == "fail" else ""


def looked_at(plan: Plan) -> tuple[tuple[tuple[str, ...], Mapping[str, Any]], ...]:
    """Per rule: the names it reads that are not params, and the params it reads with
    their values (the thresholds of its failed findings)."""

    def build() -> tuple[tuple[tuple[str, ...], Mapping[str, Any]], ...]:
        found = []
        for r in plan.rules:
            params = {n: plan.params[n] for n in r.reads if n in plan.params}
            found.append((tuple(n for n in r.reads if n not in params), params))
        return tuple(found)

    return plan.memo("evaluate.looked_at", build)


def _looked_at(
    r: CompiledRule, names: Mapping[str, Any] | _Names
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a failed rule saw (each name it reads that is not a param, with its value)
    and the params it compared with."""
    seen: dict[str, Any] = {}
    thresholds: dict[str, Any] = {}
    params = names.params if isinstance(names, _Names) else {}
    for n in r.reads:
        if n in params:
            thresholds[n] = params[n]
        else:
            seen[n] = names.get(n)
    return seen, thresholds


def _finding(
    r: CompiledRule,
    made: _Made,
    outcome: int,
    names: Mapping[str, Any] | _Names,
    message_of: Callable[..., str] | None = None,
    reads: Sequence[str] = (),
    need_values: Sequence[Any] = (),
) -> Finding:
    rule = r.rule
    if outcome == 1:
        if message_of is not None:
            message = message_of(*(names.get(n) for n in reads))
        else:
            message = render(r.template, names, r.lang)  # type: ignore[arg-type]
        solved = to_pass(r, need_values, names) if r.needs else None
        seen, thresholds = _looked_at(r, names)
        return Finding(
            rule.id, rule.stage, "fail", rule.severity, message, solved, None, seen, thresholds
        )
    if outcome in (NOT_APPLICABLE, UNKNOWN):
        # The same finding for the same missing names: made once per rule and gaps.
        read = (r.when.names if r.when else ()) if outcome == NOT_APPLICABLE else r.require.names
        gaps = tuple(n for n in read if names.get(n) is None)
        key = (outcome, gaps)
        found = made.get(key)
        if found is None:
            found = made[key] = Finding(
                rule.id,
                rule.stage,
                OUTCOMES[outcome],  # type: ignore[arg-type]
                rule.severity,
                _not_applicable(r, outcome, gaps),
            )
        return found
    message = words_for(r.lang).passed.format(test=r.require.source)
    return Finding(rule.id, rule.stage, OUTCOMES[outcome], rule.severity, message)  # type: ignore[arg-type]


def build_decision(
    plan: Plan,
    fields: Mapping[str, Any],
    tier: str | None,
    band_min: float | None,
    band_max: float | None,
    metric_values: Sequence[Any],
    outcomes: Sequence[int],
    score: float | None,
    *,
    row: int | None = None,
    data_errors: tuple[DataError, ...] = (),
    need_values: Sequence[Sequence[Any]] | None = None,
) -> Decision:
    """Assemble a decision from evaluated values (shared by both paths); ``need_values``
    holds, per rule, the values of its needs (see :func:`to_pass`)."""
    fixed = _fixed(plan)
    metrics = {d: fields.get(d) for d in fixed.derived}  # the plugins' metrics first
    metrics.update(zip(fixed.metric_names, metric_values, strict=True))
    findings: list[Finding] = []
    names: _Names | None = None
    made = _made(plan)
    for i, (r, o, same) in enumerate(zip(plan.rules, outcomes, fixed.same, strict=True)):
        if o < 3:
            # Passed, or not applicable with nothing missing: the same finding every time.
            found = same[o]
            if found is not None and (o != NOT_APPLICABLE or not _gaps(r, fields, metrics)):
                findings.append(found)
                continue
        if names is None:
            names = _Names(fields, plan.params, metrics, tier, band_min, band_max)
        needs = need_values[i] if need_values is not None and o == 1 else ()
        findings.append(_finding(r, made[i], o, names, need_values=needs))
    _mark_superseded(plan, findings, outcomes)
    price = fields.get("price")
    applied = applied_of(plan, outcomes, fields, metrics, tier, band_min, band_max)
    thin = applied is not None and not applied.enough
    return Decision(
        id=str(fields["id"]),
        platform=plan.platform.name,
        row=row,
        verdict=verdict_of(plan, outcomes, bool(data_errors), thin),  # type: ignore[arg-type]
        tier=tier,
        score=score,
        price=PriceAssessment(
            quote=price,
            band_min=band_min,
            band_max=band_max,
            position=price_position(price, band_min, band_max),
            cpe=metrics.get("cpe"),
            gifting=price is None and "price" not in plan.absent,
        ),
        findings=tuple(findings),
        data_errors=data_errors,
        ruleset=fixed.ref,
        metrics=metrics,
        why=_why(plan, tuple(outcomes), bool(data_errors), thin),
        score_missing=_score_missing(plan, score, fields, metrics),
        applied=applied,
    )


def _why(plan: Plan, outcomes: tuple[int, ...], has_data_errors: bool, thin: bool = False) -> str:
    """:func:`verdict_reason`, remembered per plan for each set of outcomes (a run sees
    few distinct ones), so the one-profile path does not pay for it on every profile."""
    seen: dict[tuple[tuple[int, ...], bool, bool], str] = plan.memo("evaluate.why", dict)
    key = (outcomes, has_data_errors, thin)
    found = seen.get(key)
    if found is None:
        found = seen[key] = verdict_reason(plan, outcomes, has_data_errors, thin)
    return found


def applied_of(
    plan: Plan,
    outcomes: Sequence[int],
    fields: Mapping[str, Any],
    metrics: Mapping[str, Any],
    tier: str | None,
    band_min: float | None,
    band_max: float | None,
) -> Applied | None:
    """How many of the plan's vetting rules these values let be applied
    (:func:`kolrules.compile.lacking`), which missing inputs kept the others from it, and
    whether that is enough for ``[verdict] min_applicable``; ``None`` without vetting
    rules. :func:`applied_frame` gives the same for every row of a frame."""
    v = vetting(plan)
    if not v.rules:
        return None
    known = {"tier": tier, "band_min": band_min, "band_max": band_max}
    lacks = 0
    kept: set[str] = set()
    for i, when, when_inputs, require_inputs in v.rules:
        o = outcomes[i]
        when_missing = o == NOT_APPLICABLE and any(
            (known[n] if n in known else metrics[n] if n in metrics else fields.get(n, 0)) is None
            for n in when
        )
        if lacking(o, when_missing):  # what kept it: its when's inputs, or its require's
            lacks += 1
            read = when_inputs if o == NOT_APPLICABLE else require_inputs
            kept.update(f for f in read if fields.get(f) is None)
    applied = len(v.rules) - lacks
    missing = tuple(f for f in plan.inputs if f in kept)
    made = _APPLIED[plan.lang]
    return made(applied, len(v.rules), missing, not v.checked or applied >= v.enough)


@attrs.frozen
class _AppliedZh(Applied):
    """:class:`Applied` of a plan in Chinese: the same values (and JSON), its
    :attr:`note`, among a decision's reasons, in Chinese as the batch path writes it
    (:func:`_thin_note`). The value objects' floor knows no words, so the words are
    chosen here, where the value is made."""

    @property
    def note(self) -> str:
        return words_for("zh").thin(self.rules, self.of, self.missing)


#: The :class:`Applied` of a plan's language.
_APPLIED: Mapping[Lang, type[Applied]] = {"en": Applied, "zh": _AppliedZh}


def applied_frame(plan: Plan) -> dict[str, pl.Expr] | None:
    """:func:`applied_of` over an evaluated frame, as expressions: ``rules`` (Int64),
    ``missing`` (a list of field names) and ``enough`` (Boolean); ``None`` without
    vetting rules. Built once per plan: the csv reasons, the JSON verdict and ``applied``
    of every batch read the same expressions."""
    return plan.memo("evaluate.applied_frame", lambda: _applied_frame(plan))


def _applied_frame(plan: Plan) -> dict[str, pl.Expr] | None:
    import polars as pl

    v = vetting(plan)
    if not v.rules:
        return None
    lacks = lacking_exprs(plan)
    missing = []
    for field in plan.inputs:
        readers = []
        for k, (i, _, when_inputs, require_inputs) in enumerate(v.rules):
            code = pl.col(rule_column(plan.rules[i].rule.id))
            if field in when_inputs:
                readers.append(lacks[k] & (code == NOT_APPLICABLE))
            if field in require_inputs:
                readers.append(lacks[k] & (code == UNKNOWN))
        if readers:
            kept = pl.col(field).is_null() & pl.any_horizontal(readers)
            missing.append(pl.when(kept).then(pl.lit(field)))
    applied = applied_expr(plan)
    return {
        "rules": applied,
        "missing": pl.concat_list(missing).list.drop_nulls()
        if missing
        else pl.lit([], dtype=pl.List(pl.String)),
        "enough": (applied >= v.enough) if v.checked else pl.lit(True),
    }


def _score_missing(
    plan: Plan, score: float | None, fields: Mapping[str, Any], metrics: Mapping[str, Any]
) -> str | None:
    """Why a ruleset that scores has no score for this profile: the missing inputs along
    the missing metrics the score reads (``None`` when there is a score, or when the
    ruleset does not score)."""
    if score is not None or plan.score is None:
        return None
    defs = {name: expr for name, expr in plan.metrics if expr is not None}
    gaps: list[str] = []
    seen: set[str] = set()
    todo = list(reversed(plan.score.names))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in defs:
            if metrics.get(name) is None:  # a missing metric: look at what it reads
                todo.extend(reversed(defs[name].names))
        elif name in plan.inputs and fields.get(name) is None:
            gaps.append(name)
    w = words_for(plan.lang)
    if gaps:
        return w.score_missing_inputs.format(fields=w.names(gaps))
    return w.score_missing_values


def _gaps(r: CompiledRule, fields: Mapping[str, Any], metrics: Mapping[str, Any]) -> bool:
    """Whether a name the rule's ``when`` reads is missing (fields and metrics only:
    params are never missing, and tier and band come from the followers field)."""
    if r.when is None:
        return False
    for n in r.when.names:
        if n in fields:
            if fields[n] is None:
                return True
        elif n in metrics:
            if metrics[n] is None:
                return True
        elif n in _BAND_NAMES:
            return True  # tier or band: the finding is worked out in full
    return False


_BAND_NAMES = frozenset({"tier", "band_min", "band_max"})


@attrs.frozen
class _Fixed:
    """What every decision of a plan shares, made once per plan: per rule, the finding
    for "passed" and for "not applicable" when nothing is missing (``None`` for a rule
    without ``when``; "unknown" findings name what is missing and are made each time)."""

    metric_names: tuple[str, ...]
    same: tuple[tuple[Finding | None, None, Finding | None], ...]
    ref: RulesetRef
    #: The metrics plugins derive: inputs of the plan, shown among the decision's metrics.
    derived: tuple[str, ...] = ()


def superseded_by(plan: Plan) -> tuple[tuple[int, ...], ...]:
    """Per rule of ``plan``, the indices of the rules that supersede it (their
    ``supersedes`` names it), in rule order; rules an overlay removed are not there."""

    def build() -> tuple[tuple[int, ...], ...]:
        at = {r.rule.id: i for i, r in enumerate(plan.rules)}
        over: list[list[int]] = [[] for _ in plan.rules]
        for j, r in enumerate(plan.rules):
            for other in r.rule.supersedes:
                if other in at:
                    over[at[other]].append(j)
        return tuple(tuple(sorted(js)) for js in over)

    return plan.memo("evaluate.superseded_by", build)


def _mark_superseded(plan: Plan, findings: list[Finding], outcomes: Sequence[int]) -> None:
    """Name, on each failed finding, the first failed rule that supersedes it."""
    for i, over in enumerate(superseded_by(plan)):
        if over and outcomes[i] == 1:
            j = next((j for j in over if outcomes[j] == 1), None)
            if j is not None:
                findings[i] = attrs.evolve(findings[i], superseded_by=plan.rules[j].rule.id)


def _fixed(plan: Plan) -> _Fixed:
    def build() -> _Fixed:
        same = tuple(
            (_finding(r, made, 0, {}), None, _finding(r, made, NOT_APPLICABLE, _NOTHING_MISSING))
            for r, made in zip(plan.rules, _made(plan), strict=True)
        )
        return _Fixed(plan.metric_names, same, plan.ruleset.ref, tuple(plan.derived))

    return plan.memo("evaluate.fixed", build)


class _Present(dict[str, Any]):
    """A mapping in which every name has a value: for findings that are the same
    whenever nothing is missing."""

    def get(self, key: str, default: Any = None) -> Any:
        return 0.0


_NOTHING_MISSING = _Present()


def evaluate_values(
    plan: Plan,
    values: Mapping[str, Any],
    *,
    row: int | None = None,
    data_errors: tuple[DataError, ...] = (),
) -> Decision:
    """Evaluate one normalised profile (every schema field present, numbers as floats).

    Runs a function generated once per plan (:func:`_decider`) that does what
    :func:`build_decision` does with the plan's own rules unrolled; the property tests
    check that both give equal decisions."""
    return plan.memo("evaluate.decide", lambda: _decider(plan))(values, row, data_errors)


def _decider(
    plan: Plan,
) -> Callable[[Mapping[str, Any], int | None, tuple[DataError, ...]], Decision]:
    """Generate ``decide(values, row, data_errors)`` for ``plan``: the scalar function,
    then the findings (a finding that never changes is made once, here), the verdict and
    the decision, with no loop over rules."""
    fixed = _fixed(plan)
    n = len(plan.rules)
    outs = [f"o{i}" for i in range(n)]
    lines = [
        "def decide(values, row, data_errors):",
        f"    tier, band_min, band_max, mv, ({', '.join(outs)}{',' if n == 1 else ''}), score"
        " = _scalar(values)",
        "    metrics = {"
        + "".join(f"{d!r}: values[{d!r}], " for d in fixed.derived)
        + ", ".join(f"{m!r}: mv[{i}]" for i, m in enumerate(fixed.metric_names))
        + "}",
        "    names = None",
    ]
    for i, r in enumerate(plan.rules):
        o = outs[i]
        lines.append(f"    if {o} == 0:\n        f{i} = _same[{i}][0]")
        if r.when is not None:
            lines.append(
                f"    elif {o} == 2 and not _gaps(_rules[{i}], values, metrics):\n"
                f"        f{i} = _same[{i}][2]"
            )
        lines += [
            "    else:",
            "        if names is None:",
            "            names = _Names(values, _params, metrics, tier, band_min, band_max)",
            f"        f{i} = _finding(_rules[{i}], _made[{i}], {o}, names, *_messages[{i}], "
            + (
                f"_needs[{i}](values, tier, band_min, band_max) if {o} == 1 else ())"
                if r.needs
                else "())"
            ),
        ]
    for i, over in enumerate(superseded_by(plan)):
        if over:  # said more strongly by a failed rule: see _mark_superseded
            lines.append(f"    if {outs[i]} == 1:")
            for k, j in enumerate(over):
                lines += [
                    f"        {'el' if k else ''}if {outs[j]} == 1:",
                    f"            f{i} = _evolve(f{i}, superseded_by={plan.rules[j].rule.id!r})",
                ]
    outcomes = f"({', '.join(outs)}{',' if n == 1 else ''})"
    lines += [
        f"    applied = _applied(_plan, {outcomes}, values, metrics, tier, band_min, band_max)",
        "    thin = applied is not None and not applied.enough",
        f"    verdict = _verdict(_plan, {outcomes}, bool(data_errors), thin)",
        "    price = values.get('price')",
        "    return _Decision(str(values['id']), _platform, row, verdict, tier, score,"
        " _Price(price, band_min, band_max, _position(price, band_min, band_max),"
        " metrics.get('cpe'), "
        + ("False" if "price" in plan.absent else "price is None")  # see decision_frame
        + "),"
        f" ({''.join(f'f{i}, ' for i in range(n))}), data_errors, _ref, metrics,"
        f" _why(_plan, {outcomes}, bool(data_errors), thin),"
        " _score_missing(_plan, score, values, metrics), applied)",
    ]
    messages = []
    for r in plan.rules:
        reads, message_of = _renderer(r.template, plan.params, r.lang)
        messages.append((message_of, tuple(reads)))
    scope: dict[str, Any] = {
        "_scalar": plan.scalar,
        "_same": fixed.same,
        "_rules": plan.rules,
        "_made": _made(plan),
        "_needs": plan.scalar_needs,
        "_gaps": _gaps,
        "_Names": _Names,
        "_params": dict(plan.params),
        "_messages": tuple(messages),
        "_finding": _finding,
        "_evolve": attrs.evolve,
        "_verdict": verdict_of,
        "_applied": applied_of,
        "_why": _why,
        "_score_missing": _score_missing,
        "_plan": plan,
        "_Decision": Decision,
        "_Price": PriceAssessment,
        "_position": price_position,
        "_platform": plan.platform.name,
        "_ref": fixed.ref,
    }
    exec(compile("\n".join(lines), f"<kolrules decide {plan.ruleset.name}>", "exec"), scope)
    return scope["decide"]  # type: ignore[no-any-return]


def evaluate_columns(plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
    """Evaluate a normalised frame; adds tier, band, metric, ``rule:<id>`` (0 pass,
    1 fail, 2 not applicable), score, verdict, price position and gifting columns."""
    import polars as pl

    lf = frame.lazy()
    if HAS_DATA_ERRORS not in frame.columns:
        lf = lf.with_columns(pl.lit(False).alias(HAS_DATA_ERRORS))
    for expr in plan.columns():
        lf = lf.with_columns(expr)
    price, bmin, bmax = pl.col("price"), pl.col("band_min"), pl.col("band_max")
    position = (
        pl.when(price.is_null() | (bmin.is_null() & bmax.is_null()))
        .then(None)
        .when(bmin.is_not_null() & (price < bmin))
        .then(pl.lit("below"))
        .when(bmax.is_not_null() & (price > bmax))
        .then(pl.lit("above"))
        .otherwise(pl.lit("within"))
    )
    # No quote is a gifting candidate, in an input with a price column (compile.Plan.absent).
    gifting = pl.lit(False) if "price" in plan.absent else price.is_null()
    lf = lf.with_columns(position.alias("price_position"), gifting.alias("gifting"))
    return lf.select(pl.exclude(f"^{TEMP_PREFIX}.*$")).collect()


def decisions_from_columns(
    plan: Plan, out: pl.DataFrame, data_errors: Mapping[int, tuple[DataError, ...]] | None = None
) -> Iterator[Decision]:
    """Decisions for the rows of :func:`evaluate_columns`' result, in order."""
    fields = list(plan.inputs)
    metrics = list(plan.metric_names)
    rules = [rule_column(r.rule.id) for r in plan.rules]
    needs = [need_column(r.rule.id, k) for r in plan.rules for k in range(len(r.needs))]
    if needs and needs[0] not in out.columns:  # what it would take: only for decisions
        lf = out.lazy()
        for expr in plan.need_columns():
            lf = lf.with_columns(expr)
        out = lf.collect()
    counts = [len(r.needs) for r in plan.rules]
    cols = [ROW, *fields, "tier", "band_min", "band_max", *metrics, *rules, *needs, "score"]
    nf, nm = len(fields), len(metrics)
    errors = data_errors or {}
    for rec in out.select(cols).iter_rows():
        row = rec[0]
        values = dict(zip(fields, rec[1 : 1 + nf], strict=True))
        at = 1 + nf
        tier, bmin, bmax = rec[at : at + 3]
        at += 3
        metric_values = rec[at : at + nm]
        at += nm
        outcomes = rec[at : at + len(rules)]
        at += len(rules)
        need_values = []
        for n in counts:
            need_values.append(rec[at : at + n])
            at += n
        yield build_decision(
            plan,
            values,
            tier,
            bmin,
            bmax,
            metric_values,
            outcomes,
            rec[-1],
            row=row,
            data_errors=errors.get(row, ()),
            need_values=need_values,
        )


# -- decisions as a frame ------------------------------------------------------------------

#: The columns of a decision frame (:func:`decision_frame`); a ``rule:<id>`` column per
#: rule follows them.
DECISION_COLUMNS = (
    "row",
    "id",
    "platform",
    "status",
    "verdict",
    "tier",
    "score",
    "quote",
    "band_min",
    "band_max",
    "position",
    "cpe",
    "gifting",
    "reasons",
    "to_pass",
    "errors",
)
#: What joins several reasons or errors in one cell.
JOIN = " | "
#: What the ``reasons`` column holds: the messages (``text``, with ``to_pass``), the failed
#: rules' ids (``rules``, much faster on large inputs: no message is rendered), or nothing
#: (``none``: the rule columns still hold every outcome).
REASONS = ("text", "rules", "none")
Reasons = Literal["text", "rules", "none"]
_SEVERITY_ORDER = {"reject": 0, "review": 1, "warn": 2, "info": 3}


def decision_schema(plan: Plan) -> dict[str, pl.DataType]:
    """The dtypes of a decision frame's columns for ``plan``."""
    import polars as pl

    numbers = {"score", "quote", "band_min", "band_max", "cpe"}
    schema: dict[str, pl.DataType] = {}
    for name in DECISION_COLUMNS:
        if name == "row":
            schema[name] = pl.Int64()
        elif name == "gifting":
            schema[name] = pl.Boolean()
        else:
            schema[name] = pl.Float64() if name in numbers else pl.String()
    schema.update((rule_column(r.rule.id), pl.String()) for r in plan.rules)
    return schema


def _renderer(
    template: str, params: Mapping[str, Any], lang: str = DEFAULT_LANG
) -> tuple[list[str], Callable[..., str]]:
    """The names a template reads beyond ``params``, and a function of their values that
    renders it as :func:`render` does in ``lang`` (generated once per rule, with the
    params' text filled in), for rendering one message per failed row."""
    missing = words_for(lang).missing
    names: list[str] = []
    parts: list[str] = []
    for lit, field, spec in _pieces(template):
        if lit:
            parts.append(repr(lit))
        if field is None:
            continue
        if field in params:
            value = params[field]
            parts.append(repr(format_value(value, spec if value is not None else "", missing)))
            continue
        if field not in names:
            names.append(field)
        v = f"v{names.index(field)}"
        parts.append(f"_value({v}, {spec!r}, {missing!r})")
    args = ", ".join(f"v{i}" for i in range(len(names)))
    source = f"def message({args}):\n    return ''.join(({', '.join(parts)},))\n"
    scope: dict[str, Any] = {"_value": format_value}
    exec(compile(source, f"<message of {template[:40]!r}>", "exec"), scope)
    return names, scope["message"]


def _failed_rows(out: pl.DataFrame, column: str) -> tuple[pl.Series, pl.Series]:
    """The positions of the evaluated rows where the rule of ``column`` failed, and an
    all-null text column as long as ``out`` to scatter what is said for them into."""
    import polars as pl

    at = out.select(((pl.col(column) == 1) & pl.col(BAD).not_()).arg_true()).to_series()
    return at, pl.Series(column, [None] * out.height, dtype=pl.String)


#: From how many failed rows a message is rendered by a polars expression
#: (:func:`kolrules.findings.message_expr`) rather than by Python row by row: below it,
#: planning the expression costs more than it saves.
POLARS_MESSAGES_FROM = 2_000


def failed_messages(plan: Plan, out: pl.DataFrame, r: CompiledRule) -> pl.Series:
    """The rule's message on the rows where it failed, null elsewhere, rendered only for
    those rows: by one polars expression when they are many, else in Python (the same
    text either way; tests/test_render.py checks it)."""
    import polars as pl

    column = rule_column(r.rule.id)
    at, messages = _failed_rows(out, column)
    if not at.len():
        return messages
    names, message = plan.memo(
        ("evaluate.renderer", r.rule.id), lambda: _renderer(r.template, plan.params, r.lang)
    )
    picked = out.select(names)[at] if names else None
    expr = None
    if picked is not None and at.len() >= POLARS_MESSAGES_FROM:
        expr = _message_expr(plan, r, picked.schema)
    if picked is not None and expr is not None:
        rendered = picked.select(expr.alias(column)).to_series()
    elif picked is not None:
        texts = list(map(message, *(picked.get_column(n).to_list() for n in names)))
        rendered = pl.Series(texts, dtype=pl.String)
    else:
        rendered = pl.Series([message()] * at.len(), dtype=pl.String)
    return messages.scatter(at, rendered)


def _message_expr(plan: Plan, r: CompiledRule, schema: Mapping[str, Any]) -> pl.Expr | None:
    """:func:`kolrules.findings.message_expr` of the rule's template, made once per plan,
    rule and column types."""
    from kolrules.findings import message_expr

    key = (r.rule.id, tuple(schema.items()))
    made: dict[Any, pl.Expr | None] = plan.memo("evaluate.message_expr", dict)
    if key not in made:
        made[key] = message_expr(r.template, plan.params, schema, words_for(r.lang).missing)
    return made[key]


def failed_to_pass(plan: Plan, out: pl.DataFrame, r: CompiledRule) -> pl.Series:
    """``<rule id>: <what it would take>`` (:func:`to_pass_words`) on the rows where the
    rule failed, null elsewhere; ``out`` holds the plan's need columns
    (:meth:`~kolrules.compile.Plan.need_columns`). Written by a function generated once
    per rule (:func:`_to_pass_writer`) over the failed rows' values: the words hold
    numbers in the default format, which Python writes as fast as polars (measured), and
    the writer makes neither a :class:`ToPass` nor a dict per row."""
    import polars as pl

    column = rule_column(r.rule.id)
    at, said = _failed_rows(out, column)
    if not at.len():
        return said
    if not r.needs:
        unsolved = f"{r.rule.id}: {to_pass_words(None, r.lang)}"
        return said.scatter(at, pl.Series([unsolved] * at.len()))
    names = list(dict.fromkeys(n.name for n in r.needs))
    needs = [need_column(r.rule.id, k) for k in range(len(r.needs))]
    picked = out.select(*names, *needs)[at]
    write = plan.memo(("evaluate.to_pass_writer", r.rule.id), lambda: _to_pass_writer(r, names))
    texts = write(*(picked.get_column(c).to_list() for c in picked.columns))
    return said.scatter(at, pl.Series(texts, dtype=pl.String))


def _to_pass_writer(r: CompiledRule, names: Sequence[str]) -> Callable[..., list[str]]:
    """A function of the columns ``names`` and of the rule's need columns (as lists, one
    item per failed row) writing ``<rule id>: <words>`` for each row, as
    :func:`to_pass_words` of :func:`to_pass` does in the rule's language (the needs come
    part by part, so the parts show in the order of their first need)."""
    w = words_for(r.lang)
    parts = [need.part for need in r.needs]
    now = {name: f"v{i}" for i, name in enumerate(names)}
    needs = [f"n{k}" for k in range(len(r.needs))]
    groups = list(dict.fromkeys(parts))
    columns = [f"{v}s" for v in [*now.values(), *needs]]
    lines = [
        f"def write({', '.join(columns)}):",
        "    out = []",
        "    said = out.append",
        f"    for {', '.join([*now.values(), *needs])} in zip({', '.join(columns)}):",
    ]
    lines += [f"        p{g} = []" for g in groups]
    for k, need in enumerate(r.needs):
        v, n = now[need.name], needs[k]
        if need.op == "present":
            lines += [
                f"        if {v} is None:",
                f"            p{need.part}.append({w.given.format(name=need.name)!r})",
            ]
            continue
        words = f"{need.name} {w.ops[need.op]} "
        met = f"type({v}) is type({n}) and {v} {need.op} {n}"
        text = (
            f"{words!r} + _value({n}, '', {w.missing!r}) + {w.now_open!r} "
            f"+ _value({v}, '', {w.missing!r}) + {w.now_close!r}"
        )
        lines += [
            f"        if {n} is not None and not ({met}):",
            f"            p{need.part}.append({text})",
        ]
    joined = ", ".join(f"p{g}" for g in groups)
    head, unsolved = f"{r.rule.id}: ", w.unsolved
    lines += [
        f"        found = [{w.either!r}.join(p) for p in ({joined},) if p]",
        f"        said({head!r} + ({w.both!r}.join(found) if found else {unsolved!r}))",
        "    return out",
    ]
    scope: dict[str, Any] = {"_value": format_value}
    exec(compile("\n".join(lines) + "\n", f"<to_pass of {r.rule.id[:40]!r}>", "exec"), scope)
    return scope["write"]  # type: ignore[no-any-return]


def _python_type(dtype: pl.DataType) -> type | None:
    """The Python type of a column's values (``None``: never compared as equal types)."""
    import polars as pl

    if dtype.is_float():
        return float
    if dtype.is_integer():
        return int
    if dtype == pl.Boolean:
        return bool
    if dtype == pl.String:
        return str
    return None


def _holds_expr(now: pl.Expr, need: pl.Expr, op: str, floats: bool) -> pl.Expr:
    """``now op need`` as Python compares (polars orders NaN above every number and equal
    to itself; Python's comparisons with NaN are false, but ``!=``)."""
    held: pl.Expr = _HOLDS[op](now, need)  # type: ignore[assignment]
    if not floats:
        return held
    nan = now.is_nan() | need.is_nan()
    return (held | nan) if op == "!=" else (held & ~nan)


def need_unmet(
    now: pl.Expr, value: pl.Expr, op: str, now_type: pl.DataType, value_type: pl.DataType
) -> pl.Expr:
    """Where a need (``now op value``, not ``present``) is among what it would take, as
    :func:`to_pass` decides it: its value is known, and the input does not meet it (they
    are compared only when of one Python type, as ``type(now) is type(value)``)."""
    shown = value.is_not_null()
    kind = _python_type(now_type)
    if kind is not None and kind is _python_type(value_type):
        held = _holds_expr(now, value, op, kind is float)
        shown = shown & ~(now.is_not_null() & held).fill_null(False)
    return shown


def _thin_note(plan: Plan) -> pl.Expr | None:
    """:attr:`kolrules.types.Applied.note` where too few vetting rules could be applied
    (null elsewhere); ``None`` when the plan does not check it."""
    import polars as pl

    found = applied_frame(plan)
    if found is None or not vetting(plan).checked:
        return None
    w = words_for(plan.lang)
    missing = found["missing"]
    # The note's template around the count of rules applied (Words.thin writes it whole).
    before, _, after = w.thin_note.replace("{of}", str(len(vetting(plan).rules))).partition(
        "{rules}"
    )
    fields_before, _, fields_after = w.thin_missing.partition("{fields}")
    said = pl.concat_str(
        pl.lit(before),
        found["rules"].cast(pl.String),
        pl.lit(after),
        pl.when(missing.list.len() > 0).then(
            pl.concat_str(pl.lit(fields_before), missing.list.join(w.sep), pl.lit(fields_after))
        ),
        ignore_nulls=True,
    )
    return pl.when(found["enough"].not_()).then(said)


def decision_frame(
    plan: Plan,
    out: pl.DataFrame,
    row_errors: Mapping[int, RowError | tuple[str | None, tuple[DataError, ...]]],
    data_errors: Mapping[int, tuple[DataError, ...]],
    *,
    reasons: Reasons = "text",
    joined: bool = True,
) -> pl.DataFrame:
    """Decisions as one row per input row, in ``out``'s order (the input's): the columns
    of :data:`DECISION_COLUMNS`, typed as :func:`decision_schema` says, then a ``rule:<id>``
    column per rule (``pass``/``fail``/``not_applicable``).

    ``out`` is :func:`evaluate_columns` run over *every* normalised row (with the
    :data:`~kolrules.normalise.BAD` column); rows marked bad get ``status`` ``error``, the
    reasons of ``row_errors`` in ``errors`` and nothing else. The values are those of the
    :class:`~kolrules.types.Decision` that :func:`build_decision` makes for the row.
    ``reasons`` and ``errors`` join several messages with :data:`JOIN`; with
    ``joined=False``, ``reasons`` is a list of strings instead. ``reasons`` says what the
    ``reasons`` column holds (:data:`REASONS`); with ``none`` it is empty (null).
    """
    import polars as pl

    rules = list(plan.rules)
    labels = dict(enumerate(OUTCOMES))
    order = sorted(range(len(rules)), key=lambda i: _SEVERITY_ORDER[rules[i].rule.severity])
    failed: list[pl.Expr] = []
    over = superseded_by(plan)
    solved: list[pl.Expr] = []
    if reasons == "text" and any(r.needs for r in rules):
        lf = out.lazy()
        for expr in plan.need_columns():
            lf = lf.with_columns(expr)
        out = lf.collect()
    for i in order if reasons != "none" else ():
        r = rules[i]
        said = pl.lit(failed_messages(plan, out, r)) if reasons == "text" else pl.lit(r.rule.id)
        hit = pl.col(rule_column(r.rule.id)) == 1
        if over[i]:  # left out when a rule that supersedes it failed too
            hit = hit & ~pl.any_horizontal(
                pl.col(rule_column(rules[j].rule.id)) == 1 for j in over[i]
            )
        failed.append(pl.when(hit).then(said))
        if reasons == "text":
            solved.append(pl.when(hit).then(pl.lit(failed_to_pass(plan, out, r))))
    # Data errors and row errors: a few rows, joined in Python.
    noted = {
        at: [f"data error: {e}" for e in errs]
        for at, errs in data_errors.items()
        if errs and reasons != "none"
    }
    errors_text = {at: JOIN.join(str(e) for e in errs) for at, errs in data_errors.items() if errs}
    for at, entry in row_errors.items():
        errs = entry.errors if isinstance(entry, RowError) else entry[1]
        errors_text[at] = JOIN.join(str(e) for e in errs)
    row = pl.col(ROW)
    bad = pl.col(BAD)
    thin = _thin_note(plan) if reasons != "none" else None
    if thin is not None:
        failed.insert(0, thin)
    if joined:  # concat_str is much faster than building lists and joining them
        noted_text = {at: JOIN.join(errs) for at, errs in noted.items()}
        lookup = row.replace_strict(noted_text, default=None, return_dtype=pl.String)
        text = pl.concat_str([lookup, *failed], separator=JOIN, ignore_nulls=True)
        any_reason = text != ""
    else:
        text = (
            pl.concat_list(*failed).list.drop_nulls() if failed else pl.lit([], pl.List(pl.String))
        )
        if noted:
            listed = row.replace_strict(noted, default=None, return_dtype=pl.List(pl.String))
            text = pl.when(listed.is_null()).then(text).otherwise(pl.concat_list(listed, text))
        any_reason = pl.lit(True)
    ok = bad.not_()
    price, bmin, bmax = pl.col("price"), pl.col("band_min"), pl.col("band_max")

    def kept(expr: pl.Expr) -> pl.Expr:
        return pl.when(ok).then(expr)

    frame = out.select(
        row.alias("row"),
        pl.col("id"),
        kept(pl.lit(plan.platform.name)).alias("platform"),
        pl.when(bad).then(pl.lit("error")).otherwise(pl.lit("evaluated")).alias("status"),
        kept(pl.col("verdict")).alias("verdict"),
        kept(pl.col("tier")).alias("tier"),
        kept(pl.col("score")).alias("score"),
        kept(price).alias("quote"),
        kept(bmin).alias("band_min"),
        kept(bmax).alias("band_max"),
        kept(pl.col("price_position")).alias("position"),
        kept(pl.col("cpe")).alias("cpe"),
        kept(pl.col("gifting")).alias("gifting"),
        kept(pl.when(any_reason).then(text)).alias("reasons"),
        (
            kept(pl.concat_str(solved, separator=JOIN, ignore_nulls=True).replace("", None))
            if solved
            else pl.lit(None, dtype=pl.String)
        ).alias("to_pass"),
        (
            row.replace_strict(errors_text, default=None, return_dtype=pl.String)
            if errors_text
            else pl.lit(None, dtype=pl.String)
        ).alias("errors"),
        *(
            kept(pl.col(c).replace_strict(labels, return_dtype=pl.String)).alias(c)
            for c in (rule_column(r.rule.id) for r in rules)
        ),
    )
    if reasons == "none":
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("reasons"))
    schema = decision_schema(plan)
    if not joined:
        schema["reasons"] = pl.List(pl.String())
    return frame.cast(schema)  # type: ignore[arg-type]
