"""Impact diff: what a ruleset change does to real profiles before it ships.

:func:`impact` runs two rulesets (the *base*, in use now, and the *new* one) over the same
profiles on the columnar path and compares them: the verdict transition matrix (a row
error counts as the verdict ``error``), tier changes, score changes, and for each profile
whose verdict flipped, the rules responsible with their messages and values.

Everything counted over all rows is computed with polars expressions; Python only touches
the flipped profiles that are listed (``limit`` of them).

A rule is *responsible* for a flip when it fails under one ruleset and not under the other
(including a rule only one ruleset has), or fails under both with a different severity.
Outcome changes between pass and not applicable change no verdict and are not listed. A
flip with no responsible rule comes from the verdict policy (``[verdict]`` escalation or
``data_errors``) or a row error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kolrules.compile import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    UNKNOWN,
    CompiledRule,
    need_column,
    rule_column,
)
from kolrules.errors import KolrulesError
from kolrules.evaluate import evaluate_columns, render, to_pass, to_pass_words
from kolrules.normalise import ROW, SeenIds
from kolrules.read import BATCH_ROWS
from kolrules.types import RulesetRef

if TYPE_CHECKING:
    import polars as pl

    from kolrules.engine import Engine

__all__ = [
    "VERDICT_LABELS",
    "DiffResult",
    "Flip",
    "IncompatibleRulesetsError",
    "RuleChange",
    "ScoreChange",
    "TierChange",
    "impact",
]

#: Rows and columns of the transition matrix: the verdicts, then row errors.
VERDICT_LABELS = ("accept", "review", "reject", "error")
_OUTCOME = {PASS: "pass", FAIL: "fail", NOT_APPLICABLE: "not_applicable", UNKNOWN: "unknown"}
#: Score changes smaller than this are "unchanged" (float noise, not a change).
SCORE_EPSILON = 1e-9


class IncompatibleRulesetsError(KolrulesError):
    """The two rulesets cannot be compared on the same profiles (different platforms)."""


@attrs.frozen
class RuleChange:
    """One rule behind a flip: its outcome and severity under each ruleset (``None``
    where the ruleset has no such rule), its message where it failed (``None`` where it
    did not), and the values its expressions read, as ``name -> (base value, new value)``."""

    rule: str
    base: str | None
    new: str | None
    base_severity: str | None
    new_severity: str | None
    base_message: str | None
    new_message: str | None
    values: Mapping[str, tuple[Any, Any]] = attrs.field(factory=dict)
    #: Where the rule failed: what it would take to pass, in words
    #: (:func:`kolrules.evaluate.to_pass_words`); ``None`` where it did not fail.
    base_to_pass: str | None = None
    new_to_pass: str | None = None
    #: The names of ``values`` that one ruleset does not have at all (a field, metric or
    #: param only the other declares): their value there is not "missing", it is not read.
    base_lacks: tuple[str, ...] = ()
    new_lacks: tuple[str, ...] = ()


@attrs.frozen
class Flip:
    """A profile whose verdict differs between the rulesets (``error`` for a row error)."""

    row: int
    id: str | None
    base_verdict: str
    new_verdict: str
    base_tier: str | None
    new_tier: str | None
    base_score: float | None
    new_score: float | None
    rules: tuple[RuleChange, ...] = ()
    base_error: str | None = None
    new_error: str | None = None
    note: str = ""


@attrs.frozen
class TierChange:
    """How many profiles (evaluated by both) moved from one tier to another
    (``none``: no tier)."""

    base: str
    new: str
    count: int


@attrs.frozen
class ScoreChange:
    """Scores of the profiles evaluated by both rulesets. ``compared`` have a score under
    both; ``gained`` / ``lost`` have one under the new / base ruleset only."""

    compared: int
    up: int
    down: int
    unchanged: int
    mean_delta: float | None
    gained: int
    lost: int


@attrs.frozen
class DiffResult:
    """The impact of replacing ``base`` with ``new`` on ``rows`` profiles.

    ``verdicts[b][n]`` counts profiles with verdict ``b`` under base and ``n`` under new
    (labels :data:`VERDICT_LABELS`). ``flipped`` counts profiles whose verdict changed;
    ``flips`` lists the first of them, in input order. ``responsible`` counts, per rule,
    the flipped profiles it is responsible for, most first.
    """

    base: RulesetRef
    new: RulesetRef
    base_path: str
    new_path: str
    platform: str
    source: str | None
    rows: int
    verdicts: Mapping[str, Mapping[str, int]]
    tiers: tuple[TierChange, ...]
    tiers_unchanged: int
    scores: ScoreChange
    flipped: int
    flips: tuple[Flip, ...]
    responsible: Mapping[str, int]
    policy_flips: int
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()


@attrs.frozen
class _Side:
    """One ruleset's evaluation of the input."""

    engine: Engine
    out: pl.DataFrame
    errors: Mapping[int, tuple[str | None, str]]
    rules: Mapping[str, CompiledRule]


class _Evaluating:
    """One ruleset's evaluation of the input, slice by slice (rows numbered and ids seen
    across slices, as :meth:`kolrules.Engine.decision_frames` does)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen = SeenIds()
        self.outs: list[pl.DataFrame] = []
        self.errors: dict[int, tuple[str | None, str]] = {}

    def add(self, part: pl.DataFrame, offset: int) -> None:
        norm = self.engine.normalise_frame(part, offset=offset, seen=self.seen)
        self.outs.append(evaluate_columns(self.engine.plan, norm.frame))
        for row, (pid, errs) in norm.row_errors.items():
            self.errors[row] = (pid, "; ".join(str(e) for e in errs))

    def side(self) -> _Side:
        import polars as pl

        out = self.outs[0] if len(self.outs) == 1 else pl.concat(self.outs, how="diagonal_relaxed")
        rules = {r.rule.id: r for r in self.engine.plan.rules}
        return _Side(self.engine, out, self.errors, rules)


def _evaluate(
    base: Engine,
    new: Engine,
    df: pl.DataFrame,
    batch_rows: int,
    progress: Callable[[int], None] | None,
) -> tuple[_Side, _Side]:
    """Both rulesets' evaluations of ``df``, ``batch_rows`` rows at a time; ``progress``
    is told the rows evaluated by both so far after each slice."""
    sides = (_Evaluating(base), _Evaluating(new))
    for at in range(0, max(df.height, 1), batch_rows):
        part = df.slice(at, batch_rows)
        for side in sides:
            side.add(part, at)
        if progress is not None:
            progress(at + part.height)
    return sides[0].side(), sides[1].side()


def _side_frame(side: _Side, prefix: str) -> pl.DataFrame:
    """ROW, id, verdict (``error`` for row errors), tier, score and rule codes, prefixed."""
    import polars as pl

    cols = [rule_column(r) for r in side.rules]
    evaluated = side.out.select(
        pl.col(ROW),
        pl.col("id").cast(pl.String),
        pl.col("verdict").cast(pl.String),
        pl.col("tier").cast(pl.String),
        pl.col("score").cast(pl.Float64),
        *(pl.col(c) for c in cols),
    )
    rows = sorted(side.errors)
    errors = pl.DataFrame(
        {
            ROW: rows,
            "id": [side.errors[r][0] for r in rows],
            "verdict": ["error"] * len(rows),
        },
        schema={ROW: pl.Int64, "id": pl.String, "verdict": pl.String},
    )
    both = pl.concat([evaluated, errors], how="diagonal_relaxed")
    return both.rename({c: f"{prefix}{c}" for c in both.columns if c != ROW})


def impact(
    base: Engine,
    new: Engine,
    df: pl.DataFrame,
    *,
    limit: int | None = 20,
    source: str | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> DiffResult:
    """Compare ``base`` and ``new`` on the profiles of ``df`` (as a reader returns them).
    ``limit`` caps the flips listed (``None``: all). Raises
    :class:`IncompatibleRulesetsError` when the rulesets are for different platforms.

    Both rulesets evaluate ``df`` ``batch_rows`` rows at a time, as
    :meth:`kolrules.Engine.evaluate_to_file` reads a file; ``progress`` is called after
    each slice with the number of rows both have evaluated so far (cumulative; of
    ``df.height``), so once per slice, never per row."""
    import polars as pl

    bp, np_ = base.plan.platform.name, new.plan.platform.name
    if bp != np_:
        raise IncompatibleRulesetsError(
            f"cannot compare {base.ruleset.name} (platform {bp!r}) with {new.ruleset.name} "
            f"(platform {np_!r}): a diff runs both rulesets on the same profiles, so they "
            "must be for the same platform; compare each with a ruleset for its own platform"
        )
    b, n = _evaluate(base, new, df, batch_rows, progress)
    rows = pl.DataFrame({ROW: pl.int_range(1, df.height + 1, dtype=pl.Int64, eager=True)})
    joined = rows.join(_side_frame(b, "b:"), on=ROW, how="left").join(
        _side_frame(n, "n:"), on=ROW, how="left"
    )
    flipped = pl.col("b:verdict") != pl.col("n:verdict")
    joined = joined.with_columns(flipped.alias("flipped"))

    matrix = joined.group_by("b:verdict", "n:verdict").len()
    verdicts = {v: dict.fromkeys(VERDICT_LABELS, 0) for v in VERDICT_LABELS}
    for bv, nv, count in matrix.iter_rows():
        verdicts[bv][nv] = count

    both = joined.filter((pl.col("b:verdict") != "error") & (pl.col("n:verdict") != "error"))
    tier_counts = (
        both.select(
            pl.col("b:tier").fill_null("none").alias("base"),
            pl.col("n:tier").fill_null("none").alias("new"),
        )
        .group_by("base", "new")
        .len()
        .sort(["len", "base", "new"], descending=[True, False, False])
    )
    tiers = tuple(TierChange(bt, nt, c) for bt, nt, c in tier_counts.iter_rows() if bt != nt)
    unchanged = sum(c for bt, nt, c in tier_counts.iter_rows() if bt == nt)

    responsible_exprs, added, removed = _responsibility(b, n)
    counts = joined.select(
        pl.col("flipped").sum().alias("flipped"),
        *(e.sum() for e in responsible_exprs.values()),
        (
            pl.col("flipped")
            & ~pl.any_horizontal(list(responsible_exprs.values()) or [pl.lit(False)])
        )
        .sum()
        .alias("policy"),
    ).row(0, named=True)
    responsible = {
        rule: int(counts[f"resp:{rule}"]) for rule in responsible_exprs if counts[f"resp:{rule}"]
    }
    responsible = dict(sorted(responsible.items(), key=lambda kv: (-kv[1], kv[0])))

    listed = joined.filter(pl.col("flipped"))
    if limit is not None:
        listed = listed.head(limit)
    return DiffResult(
        base=base.ruleset.ref,
        new=new.ruleset.ref,
        base_path=base.ruleset.path,
        new_path=new.ruleset.path,
        platform=bp,
        source=source,
        rows=df.height,
        verdicts=verdicts,
        tiers=tiers,
        tiers_unchanged=unchanged,
        scores=_scores(both),
        flipped=int(counts["flipped"] or 0),
        flips=_flips(listed, b, n),
        responsible=responsible,
        policy_flips=int(counts["policy"] or 0),
        rules_added=added,
        rules_removed=removed,
    )


def _responsibility(
    b: _Side, n: _Side
) -> tuple[dict[str, pl.Expr], tuple[str, ...], tuple[str, ...]]:
    """Per rule, a boolean expression: the row flipped and this rule is responsible."""
    import polars as pl

    exprs: dict[str, pl.Expr] = {}
    flipped = pl.col("flipped")
    for rule_id in dict.fromkeys([*b.rules, *n.rules]):
        col = rule_column(rule_id)
        in_b, in_n = rule_id in b.rules, rule_id in n.rules
        b_fail = (pl.col(f"b:{col}") == FAIL).fill_null(False) if in_b else pl.lit(False)
        n_fail = (pl.col(f"n:{col}") == FAIL).fill_null(False) if in_n else pl.lit(False)
        differs = b_fail != n_fail
        if in_b and in_n and b.rules[rule_id].rule.severity != n.rules[rule_id].rule.severity:
            differs = differs | (b_fail & n_fail)
        exprs[rule_id] = (flipped & differs).alias(f"resp:{rule_id}")
    added = tuple(r for r in n.rules if r not in b.rules)
    removed = tuple(r for r in b.rules if r not in n.rules)
    return exprs, added, removed


def _scores(both: pl.DataFrame) -> ScoreChange:
    import polars as pl

    bs, ns = pl.col("b:score"), pl.col("n:score")
    delta = ns - bs
    s = both.select(
        (bs.is_not_null() & ns.is_not_null()).sum().alias("compared"),
        (delta > SCORE_EPSILON).sum().alias("up"),
        (delta < -SCORE_EPSILON).sum().alias("down"),
        (delta.abs() <= SCORE_EPSILON).sum().alias("unchanged"),
        delta.mean().alias("mean"),
        (bs.is_null() & ns.is_not_null()).sum().alias("gained"),
        (bs.is_not_null() & ns.is_null()).sum().alias("lost"),
    ).row(0, named=True)
    return ScoreChange(
        compared=int(s["compared"]),
        up=int(s["up"]),
        down=int(s["down"]),
        unchanged=int(s["unchanged"]),
        mean_delta=None if s["mean"] is None else float(s["mean"]),
        gained=int(s["gained"]),
        lost=int(s["lost"]),
    )


# -- the listed flips: per-row Python on a few rows --------------------------------------


def _values(side: _Side, rows: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The evaluated values (fields, metrics, tier, band, params) of ``rows``, by row."""
    import polars as pl

    params = dict(side.engine.plan.params)
    wanted = {n for r in side.rules.values() for n in (*_names(r), *r.template_names)}
    wanted.update(n.name for r in side.rules.values() for n in r.needs)
    columns = [c for c in side.out.columns if c in wanted and c not in params]
    lf = side.out.filter(pl.col(ROW).is_in(list(rows))).lazy()
    for expr in side.engine.plan.need_columns():  # what each failed rule would need
        lf = lf.with_columns(expr)
    out = lf.collect()
    needs = [c for c in out.columns if c.startswith("need:")]
    out = out.select(ROW, *columns, *needs)
    return {values[ROW]: {**params, **values} for values in out.iter_rows(named=True)}


def _to_pass(rule: CompiledRule, values: Mapping[str, Any]) -> str:
    """What it would take for ``rule``, failed on the profile of ``values``, to pass."""
    found = [values.get(need_column(rule.rule.id, k)) for k in range(len(rule.needs))]
    return to_pass_words(to_pass(rule, found, values) if rule.needs else None)


def _names(rule: CompiledRule | None) -> list[str]:
    if rule is None:
        return []
    return [*(rule.when.names if rule.when else ()), *rule.require.names]


def _flips(listed: pl.DataFrame, b: _Side, n: _Side) -> tuple[Flip, ...]:
    rows = listed.get_column(ROW).to_list()
    bd, nd = _values(b, rows), _values(n, rows)
    flips = []
    for rec in listed.iter_rows(named=True):
        row = rec[ROW]
        changes = []
        for rule_id in dict.fromkeys([*b.rules, *n.rules]):
            change = _rule_change(rule_id, rec, b, n, bd.get(row), nd.get(row))
            if change is not None:
                changes.append(change)
        base_error = b.errors[row][1] if row in b.errors else None
        new_error = n.errors[row][1] if row in n.errors else None
        note = ""
        if not changes and base_error is None and new_error is None:
            note = "no rule changed: the verdict policy did ([verdict] escalate or data_errors)"
        flips.append(
            Flip(
                row=row,
                id=rec["b:id"] if rec["b:id"] is not None else rec["n:id"],
                base_verdict=rec["b:verdict"],
                new_verdict=rec["n:verdict"],
                base_tier=rec.get("b:tier"),
                new_tier=rec.get("n:tier"),
                base_score=rec.get("b:score"),
                new_score=rec.get("n:score"),
                rules=tuple(changes),
                base_error=base_error,
                new_error=new_error,
                note=note,
            )
        )
    return tuple(flips)


def _rule_change(
    rule_id: str,
    rec: Mapping[str, Any],
    b: _Side,
    n: _Side,
    bv: Mapping[str, Any] | None,
    nv: Mapping[str, Any] | None,
) -> RuleChange | None:
    col = rule_column(rule_id)
    b_code, n_code = rec.get(f"b:{col}"), rec.get(f"n:{col}")
    br, nr = b.rules.get(rule_id), n.rules.get(rule_id)
    b_fail, n_fail = b_code == FAIL, n_code == FAIL
    severity_changed = br is not None and nr is not None and br.rule.severity != nr.rule.severity
    if b_fail == n_fail and not (b_fail and severity_changed):
        return None
    names = dict.fromkeys([*_names(br), *_names(nr)])
    values = {
        name: (None if bv is None else bv.get(name), None if nv is None else nv.get(name))
        for name in names
    }
    return RuleChange(
        rule=rule_id,
        base=None if br is None or b_code is None else _OUTCOME[b_code],
        new=None if nr is None or n_code is None else _OUTCOME[n_code],
        base_severity=None if br is None else br.rule.severity,
        new_severity=None if nr is None else nr.rule.severity,
        base_message=render(br.template, bv) if br is not None and b_fail and bv else None,
        new_message=render(nr.template, nv) if nr is not None and n_fail and nv else None,
        values=values,
        base_to_pass=_to_pass(br, bv) if br is not None and b_fail and bv else None,
        new_to_pass=_to_pass(nr, nv) if nr is not None and n_fail and nv else None,
        base_lacks=tuple(name for name in names if name not in _known(b)),
        new_lacks=tuple(name for name in names if name not in _known(n)),
    )


def _known(side: _Side) -> frozenset[str]:
    """Every name an expression of the side's ruleset may read: its inputs, metrics and
    params, the tier and the band."""
    plan = side.engine.plan
    return frozenset(
        (*plan.inputs, *plan.metric_names, *plan.params, "tier", "band_min", "band_max")
    )
