"""The one-profile path and the columnar path give the same decisions, bit for bit.

kolrules evaluates a profile two ways: one mapping at a time (``Engine.evaluate_one`` and
``Engine.evaluate``, a Python function generated per plan) and all rows at once
(``Engine.evaluate_frame``, ``Engine.decision_frames``, ``Engine.evaluate_file``: polars
expressions). The property test runs once per engine of ``targets()``
(tests/agree_strategies.py): every bundled ruleset, the client overlays included, and the
generated ones of tests/agree_rulesets.py (every function and operator of the expression
language, a plugin's rule kind and phase hooks, tests/agree_plugin.py), each with
``strict`` off and on. Hypothesis draws rows of the engine's platform under its own
headers, fed as text, as typed polars columns, or typed to one path and text to the other.

Each side's answer is read where it is made, not converted through a shared helper:

- the one-profile ``Decision`` is checked against a reference evaluation written in the
  tests (tests/agree_reference.py: tier, band, every metric, every rule's outcome and
  message, score, verdict with count rules and data errors, price position);
- the columnar cells are read straight from ``evaluate_frame`` and ``decision_frames``
  output, and the normalised fields and metrics from ``evaluate_columns``, and must equal
  the one-profile decision's, floats bit for bit. The decisions made from
  ``evaluate_columns``' rows must equal the one-profile ones too (what no frame holds:
  ``Finding.to_pass``, ``Decision.why``, ``Decision.score_missing``).

Normal runs are seeded (``derandomize``, no example database) and take about a minute on
two cores. With ``KOLRULES_FUZZ=1`` the property tests run unseeded with
``KOLRULES_FUZZ_EXAMPLES`` examples per engine (default 20 times as many), keeping
failures in Hypothesis' example database. The last test proves what one run exercised
(every verdict and tier of every ruleset, every platform, every function and operator,
escalations, edges and special inputs) or fails.

The disagreements found are pinned, each with its smallest example, by the strict xfail
tests under "disagreements found"; the strategies leave out what triggers them, so the
property keeps guarding everything else.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import agree_rulesets
import attrs
import polars as pl
import pytest
from agree_reference import (
    COVERAGE,
    JOIN,
    OUTCOME_NAMES,
    VERDICTS,
    Expected,
    decided_cells,
    differences,
    error_cells,
    position_of,
    reasons_of,
    superseded_of,
    to_pass_cell,
)
from agree_strategies import MODES, Case, Target, cases, target_keys, targets
from hypothesis import HealthCheck, Phase, event, given, settings, target
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from kolrules import Platform, hookimpl
from kolrules.engine import Engine, RowInputError
from kolrules.errors import InputFileError, RulesetError
from kolrules.evaluate import decisions_from_columns, evaluate_columns
from kolrules.normalise import ROW
from kolrules.ruleset import parse_ruleset

FUZZ = os.environ.get("KOLRULES_FUZZ", "") not in ("", "0")
_SLOW = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]


def agree_settings(examples: int) -> settings:
    """Seeded, ``examples`` examples (per engine, for the parametrized test), not shrunk; with
    ``KOLRULES_FUZZ`` unseeded, ``KOLRULES_FUZZ_EXAMPLES`` examples (default 20 times as
    many), failures kept in Hypothesis' example database (``.hypothesis/``)."""
    if FUZZ:
        many = int(os.environ.get("KOLRULES_FUZZ_EXAMPLES", "0") or 0) or examples * 20
        return settings(
            max_examples=many,
            derandomize=False,
            deadline=None,
            suppress_health_check=_SLOW,
            print_blob=True,
        )
    return settings(
        # No shrinking in the seeded run: a failure shows its whole example at once
        # (shrinking one of these examples took over 15 minutes); fuzz runs shrink.
        phases=(Phase.explicit, Phase.generate),
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=_SLOW,
        print_blob=True,
    )


def test_every_ruleset_platform_function_and_operator_is_under_test() -> None:
    all_targets = targets().values()
    bundled = set(Engine(load_entrypoints=False).named_rulesets())
    assert {t.name for t in all_targets} == bundled | set(agree_rulesets.GENERATED)
    assert {"beauty-startup", "luxury-brand"} <= bundled  # the client overlays
    assert {(t.name, t.strict) for t in all_targets} == {
        (n, s) for n in bundled | set(agree_rulesets.GENERATED) for s in (False, True)
    }
    assert {t.platform.name for t in all_targets} == {"red", "weibo", "wechat", "agreetest"}
    vocabulary = agree_rulesets.vocabulary()
    assert {"min()", "max()", "abs()", "ifelse()", "coalesce()", "present()", "in"} <= vocabulary
    for t in all_targets:
        if not t.generated:
            continue
        plan = t.plan
        trees = [expr.tree for _, expr in plan.metrics if expr is not None]
        trees += [e.tree for r in plan.rules for e in (r.when, r.require) if e is not None]
        assert vocabulary <= agree_rulesets.items_of_trees(trees), t.key
        assert set(plan.derived) == {"agree_reach", "agree_band", "agree_flag", "agree_handle_len"}
        assert any(r.rule.kind is not None for r in plan.rules)
        assert t.engine.phases is not None


# -- the property ------------------------------------------------------------------------------


@attrs.frozen
class OneByOne:
    """What the one-profile path decided, by row: decisions, row errors, and for each
    decision its normalised profile and the reference evaluation of it."""

    report: Any
    decisions: dict[int, Any]
    errors: dict[int, Any]
    values: dict[int, dict[str, Any]]
    expected: dict[int, Expected]
    #: The plan of the input (``Engine.plan_for`` its headers).
    plan: Any


def _check_one_profile_path(
    engine: Engine, rows: list[dict[str, Any]], headers: list[str]
) -> OneByOne:
    """``evaluate`` and ``evaluate_one`` agree (on the first eight decisions and row
    errors), and every decision is what the reference evaluation of its normalised
    profile says, the profiles being the rows of an input with ``headers`` (a rule
    reading a field none of them gives is not applied: ``Engine.plan_for``)."""
    plan = engine.plan_for(headers)
    headers_read = set(engine.columns_read(headers).read)
    report = engine.evaluate(rows, headers=headers)
    assert report.accounted() and report.rows_read == len(rows)
    decisions = {d.row: d for d in report.decisions}
    errors = {e.row: e for e in report.errors}
    assert sorted([*decisions, *errors]) == list(range(1, len(rows) + 1))
    for n, e in list(errors.items())[:8]:
        if any(x.reason.startswith("duplicate id") for x in e.errors):
            continue  # a duplicate only within the whole input
        with pytest.raises(RowInputError) as info:
            engine.evaluate_one(rows[n - 1], headers=headers)
        alone = info.value.error.errors
        assert e.errors[: len(alone)] == alone
    expected: dict[int, Expected] = {}
    values: dict[int, dict[str, Any]] = {}
    for n, d in decisions.items():
        if len(expected) < 8:
            assert engine.evaluate_one(rows[n - 1], headers=headers) == attrs.evolve(d, row=None)
        norm = engine.normalise_row(rows[n - 1], n)
        assert norm.data_errors == d.data_errors and not norm.row_errors
        values[n] = norm.values
        exp = expected[n] = Expected(plan, norm.values, len(d.data_errors))
        got = {
            "id": d.id,
            "platform": d.platform,
            "tier": d.tier,
            "band_min": d.price.band_min,
            "band_max": d.price.band_max,
            "quote": d.price.quote,
            "position": d.price.position,
            "cpe": d.price.cpe,
            "gifting": d.price.gifting,
            "score": d.score,
            "verdict": d.verdict,
            "applied": None
            if d.applied is None
            else (d.applied.rules, d.applied.of, d.applied.missing, d.applied.enough),
            "findings": [
                (f.rule, f.stage, f.severity, f.outcome, f.message, f.superseded_by)
                for f in d.findings
            ],
            **{f"metric {k}": v for k, v in d.metrics.items()},
        }
        want = {
            "id": str(norm.values["id"]),
            "platform": plan.platform.name,
            "tier": exp.tier,
            "band_min": exp.band_min,
            "band_max": exp.band_max,
            "quote": norm.values["price"],
            "position": position_of(norm.values["price"], exp.band_min, exp.band_max),
            "cpe": exp.metrics.get("cpe"),
            "gifting": norm.values["price"] is None and "price" in headers_read,
            "score": exp.score,
            "verdict": exp.verdict,
            "applied": exp.applied,
            "findings": [
                (
                    r.rule.id,
                    r.rule.stage,
                    r.rule.severity,
                    OUTCOME_NAMES[min(o, 2)],
                    message,
                    superseded_of(d, _supersedes(engine))[r.rule.id],
                )
                for r, o, message in zip(plan.rules, exp.outcomes, exp.messages, strict=True)
            ],
            **{f"metric {k}": v for k, v in exp.metrics.items()},
        }
        assert set(got) == set(want)
        wrong = differences(want, got)
        assert not wrong, f"row {n}, one-profile path against the reference:\n" + "\n".join(wrong)
    return OneByOne(report, decisions, errors, values, expected, plan)


def _supersedes(engine: Engine) -> dict[str, tuple[str, ...]]:
    """What each rule of the engine's ruleset supersedes, as the ruleset file says."""
    return {r.id: tuple(r.supersedes) for r in engine.ruleset.rules}


def _check_evaluate_frame(
    engine: Engine,
    frame: pl.DataFrame,
    decisions: dict[int, Any],
    errors: dict[int, Any],
) -> None:
    rule_ids = [r.rule.id for r in engine.plan.rules]
    result = engine.evaluate_frame(frame)
    assert result.height == frame.height
    assert_frame_equal(result.select(frame.columns), frame)
    for n, got in enumerate(result.drop(frame.columns).rows(named=True), 1):
        if n in decisions:
            want = decided_cells(decisions[n], rule_ids)
            want["reasons"] = reasons_of(
                decisions[n], by_rule=False, supersedes=_supersedes(engine)
            )
        else:
            want = error_cells(errors[n], rule_ids)
        assert set(got) == set(want)
        wrong = differences(want, got)
        assert not wrong, f"row {n}, evaluate_frame against the one-profile path:\n" + "\n".join(
            wrong
        )


def _check_decision_frames(
    engine: Engine,
    case: Case,
    frame: pl.DataFrame,
    decisions: dict[int, Any],
    errors: dict[int, Any],
) -> None:
    rule_ids = [r.rule.id for r in engine.plan.rules]
    size = case.batch_rows
    batches = [frame.slice(at, size) for at in range(0, frame.height, size)]
    got_frame = pl.concat(list(engine.decision_frames(batches, reasons=case.reasons)))  # type: ignore[arg-type]
    assert got_frame.height == frame.height
    renamed = {"error": "errors", "price_position": "position"}
    for n, got in enumerate(got_frame.rows(named=True), 1):
        if n in decisions:
            d = decisions[n]
            cells = decided_cells(d, rule_ids)
            sup = _supersedes(engine)
            reasons = reasons_of(d, by_rule=case.reasons == "rules", supersedes=sup)
            extra = {
                "row": n,
                "id": d.id,
                "platform": d.platform,
                "quote": d.price.quote,
                "reasons": (JOIN.join(reasons) or None) if case.reasons != "none" else None,
                "to_pass": to_pass_cell(d, sup) if case.reasons == "text" else None,
            }
        else:
            e = errors[n]
            cells = error_cells(e, rule_ids)
            extra = {"row": n, "id": e.id, "platform": None, "quote": None, "reasons": None}
            extra["to_pass"] = None
        want = {renamed.get(k, k): v for k, v in cells.items()} | extra
        assert set(got) == set(want)
        wrong = differences(want, got)
        assert not wrong, f"row {n}, decision_frames against the one-profile path:\n" + "\n".join(
            wrong
        )


def _check_columns(
    engine: Engine,
    frame: pl.DataFrame,
    decisions: dict[int, Any],
    values: dict[int, dict[str, Any]],
) -> None:
    """The normalised fields and every metric of the columnar path, read from
    ``evaluate_columns``, are the one-profile path's; and the decisions made from its
    rows are equal to the one-profile ones, which also compares what no decision frame
    holds (``Finding.to_pass``, ``Decision.why``, ``Decision.score_missing``)."""
    plan = engine.plan_for(frame.columns)
    norm = engine.normalise_frame(frame)
    out = evaluate_columns(plan, norm.frame)
    assert out.get_column(ROW).to_list() == sorted(decisions)
    for rec in out.iter_rows(named=True):
        n = rec[ROW]
        want = {f"field {f}": values[n][f] for f in plan.inputs}
        want |= {f"metric {k}": v for k, v in decisions[n].metrics.items()}
        got = {f"field {f}": rec[f] for f in plan.inputs}
        got |= {f"metric {k}": rec[k] for k in decisions[n].metrics}
        wrong = differences(want, got)
        assert not wrong, f"row {n}, evaluate_columns against the one-profile path:\n" + "\n".join(
            wrong
        )
    for columnar in decisions_from_columns(plan, out, norm.data_errors):
        assert columnar == decisions[columnar.row], f"row {columnar.row}"


@pytest.mark.parametrize("key", target_keys())
@agree_settings(5)
@given(data=st.data())
def test_one_profile_and_columnar_paths_agree(key: str, data: st.DataObject) -> None:
    case = data.draw(cases(key), label="case")
    t = case.target
    engine = t.engine
    rows, frame = case.inputs()
    one = _check_one_profile_path(engine, rows, frame.columns)
    _check_evaluate_frame(engine, frame, one.decisions, one.errors)
    _check_decision_frames(engine, case, frame, one.decisions, one.errors)
    _check_columns(engine, frame, one.decisions, one.values)
    _record(case, t, one)


@pytest.mark.parametrize("key", target_keys())
@agree_settings(2)
@given(data=st.data())
def test_the_paths_agree_on_an_input_without_a_price_column(key: str, data: st.DataObject) -> None:
    """As above, on an input whose price column is left out (and whose other columns
    may be): a rule whose inputs the whole input lacks is not applied to any row, on
    every path alike (``Engine.plan_for``); every example has one such input, so that this
    is compared for every ruleset whatever the draws above give."""
    drawn = data.draw(cases(key), label="case")
    case = attrs.evolve(drawn, columns=tuple(c for c in drawn.columns if c.field != "price"))
    t = case.target
    engine = t.engine
    rows, frame = case.inputs()
    one = _check_one_profile_path(engine, rows, frame.columns)
    _check_evaluate_frame(engine, frame, one.decisions, one.errors)
    _check_decision_frames(engine, case, frame, one.decisions, one.errors)
    _check_columns(engine, frame, one.decisions, one.values)
    _record(case, t, one)


def _record(case: Case, t: Target, one: OneByOne) -> None:
    """Count what the example exercised (for the last test) and tell Hypothesis."""
    decisions, errors, values = one.decisions, one.errors, one.values
    c = COVERAGE
    c.examples += 1
    c.add("ruleset", t.name)
    c.add("engine", t.key)
    c.add("mode", case.mode)
    c.add("strict", t.strict)
    c.add("reasons", case.reasons)
    c.add("batches", "one" if case.batch_rows >= len(decisions) + len(errors) else "several")
    event(f"ruleset {t.key}")
    event(f"mode {case.mode}")
    plan = t.plan
    edges = {b for tier in plan.tiers for b in (tier.min_followers, tier.max_followers)}
    edges = {e for e in edges if e is not None and math.isfinite(e)}
    distance = math.inf
    warn_most = 0
    escalated = 0
    for n, d in decisions.items():
        exp = one.expected[n]
        c.add("decisions")
        c.add("platform", d.platform)
        c.add("verdict", t.name, d.verdict)
        c.add("tier", t.name, d.tier or "none")
        if d.score is not None:
            c.add("scored", t.name)
        event(f"verdict {d.verdict}")
        for item in exp.seen:
            c.add("expr", item)
        if exp.escalated:
            escalated += 1
            c.add("escalated", t.name)
            event("escalated")
        for e in plan.ruleset.escalate:
            k = exp.failed.get(e.severity, 0)
            if k in (e.count - 1, e.count, e.count + 1):
                c.add("failures near an escalation count", t.name, f"{e.severity} {e.count}", k)
        warn_most = max(warn_most, exp.failed.get("warn", 0))
        followers = values[n]["followers"]
        if followers is not None:
            near = min((abs(followers - e) for e in edges), default=math.inf)
            distance = min(distance, near)
            if near <= 1:
                c.add("followers on a tier edge", t.name)
        price, low, high = d.price.quote, d.price.band_min, d.price.band_max
        if price is not None and any(b is not None and abs(price - b) <= 1 for b in (low, high)):
            c.add("price on a band edge", t.name)
        if any(f.superseded_by for f in d.findings):
            c.add("superseded", t.name)
        if d.data_errors:
            c.add("data errors")
            if any(not e.column for e in d.data_errors):
                c.add("plugin problem")
        for r, o in zip(one.plan.rules, exp.outcomes, strict=True):
            c.add("outcome", OUTCOME_NAMES[min(o, 2)])
            if r.absent:
                c.add("not applied for the input", t.name)
            if r.rule.kind is not None and o in (0, 1):
                c.add("rule kind", OUTCOME_NAMES[o])
        for name in plan.derived:
            if values[n][name] is not None:
                c.add("derived", name)
    for e in errors.values():
        c.add("row errors")
        if any(x.reason.startswith("duplicate id") for x in e.errors):
            c.add("duplicate id")
    for _, cell in case.cells():
        _record_cell(cell)
    target(float(warn_most), label="warn failures in one profile")
    target(float(escalated), label="verdicts decided by a count rule")
    target(float(len({d.verdict for d in decisions.values()})), label="distinct verdicts")
    if math.isfinite(distance):
        target(-min(distance, 1e12), label="followers off a tier edge")
    assert one.report.accounted()


def _record_cell(cell: Any) -> None:
    c = COVERAGE
    if cell is None:
        c.add("input", "missing")
    elif isinstance(cell, float) and math.isnan(cell):
        c.add("input", "NaN")
    elif isinstance(cell, float) and math.isinf(cell):
        c.add("input", "inf")
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        if cell == 0:
            c.add("input", "0")
        elif cell < 0:
            c.add("input", "negative")
        elif cell >= 1e15:
            c.add("input", "huge")
    elif isinstance(cell, str):
        for mark in ("亿", "万", "元", "¥", "%", "+"):
            if mark in cell:
                c.add("input", mark)
        if cell.strip().lower() in ("nan", "inf", "-inf", "1e999", "-1e999"):
            c.add("input", "NaN or inf as text")


# -- files -----------------------------------------------------------------------------------


@agree_settings(10)
@given(case=cases(max_rows=16))
def test_evaluate_file_agrees_with_the_one_profile_path(case: Case) -> None:
    """A CSV file of the example, evaluated by ``evaluate_file`` and written by
    ``evaluate_to_file``, decides what ``evaluate`` decides for the rows the reader reads."""
    engine = case.target.engine
    _, frame = case.inputs()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profiles.csv"
        frame.write_csv(path)
        rows = engine.reader(path).read(path).rows(named=True)
        one = engine.evaluate(rows, headers=frame.columns)
        read = engine.evaluate_file(path)
        assert read.rows_read == one.rows_read
        assert read.errors == one.errors
        assert read.decisions == one.decisions
        summary = engine.evaluate_to_file(path, Path(tmp) / "out.csv", batch_rows=5)
        assert dict(summary.counts) == one.counts


# -- disagreements found -----------------------------------------------------------------------


class _InfinitePlatform:
    """A platform whose one tier has no upper bound, written as infinity (a
    ``platform.toml`` with ``max_followers = inf`` gives the same)."""

    @hookimpl
    def kolrules_platforms_register(self) -> list[Platform]:
        tier = {"name": "all", "min_followers": 0, "max_followers": math.inf}
        return [Platform.from_mapping({"platform": {"name": "infinite"}, "tiers": [tier]})]


@pytest.mark.parametrize("where", ["tier", "param"])
def test_infinity_in_a_plan(where: str) -> None:
    """Infinity in the generated one-profile code (a platform tier with max_followers =
    inf, a param = inf) is written as float('inf'), and both paths decide alike. A
    ruleset file may not give a param inf (loading refuses it); one built in code may."""
    if where == "tier":
        source = '[ruleset]\nname = "r"\nversion = "1"\nplatform = "infinite"\n'
        rule = 'require = "present(tier)"'
    else:
        source = '[ruleset]\nname = "r"\nversion = "1"\nextends = "red-default"\n'
        rule = 'require = "log(big) > 0"'
        with pytest.raises(RulesetError) as refused:
            parse_ruleset(
                f'{source}[params]\nbig = inf\n[[rules]]\nid = "t"\n{rule}\nseverity = "review"\n',
                "tests/r.toml",
            )
        [issue] = refused.value.issues
        assert (issue.file, issue.key, issue.line) == ("tests/r.toml", "params.big", 6)
        assert issue.message == "param 'big' is inf (infinite)"
        source += "[params]\nbig = 1.0\n"
    ruleset = parse_ruleset(
        f'{source}[[rules]]\nid = "t"\n{rule}\nseverity = "review"\n', "tests/r.toml"
    )
    if where == "param":
        ruleset = attrs.evolve(ruleset, params={**ruleset.params, "big": math.inf})
    engine = Engine(ruleset, plugins=[_InfinitePlatform()], load_entrypoints=False)
    row = {"id": "a", "followers": 5}
    framed = engine.evaluate_frame(pl.DataFrame([row]))
    one = engine.evaluate_one(row)
    assert framed.select("verdict", "tier").row(0) == (one.verdict, one.tier)
    [outcome] = [f.outcome for f in one.findings if f.rule == "t"]
    if where == "tier":
        assert (one.tier, outcome) == ("all", "pass")
    else:  # log(inf) is not finite: missing, so the rule is not applicable
        assert (one.tier, outcome) == (None, "not_applicable")


class _Huge:
    """Derives ``huge``: followers times 1e305, infinite from 1,800 followers."""

    @hookimpl
    def kolrules_profiles_derive(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select((pl.col("followers") * 1e305).alias("huge"))


def test_log_of_an_infinite_metric() -> None:
    """log of infinity is not finite, so missing on both paths (docs/rulesets.md): a
    plugin deriving huge = followers * 1e305 (inf at 20,000 followers), a reject rule
    require = 'log(huge) < 1000' is not applicable and the profile is accepted."""
    ruleset = parse_ruleset(
        '[ruleset]\nname = "r"\nversion = "1"\nextends = "red-default"\n[[rules]]\n'
        'id = "log-huge"\nrequire = "log(huge) < 1000"\nseverity = "reject"\n',
        "tests/r.toml",
    )
    engine = Engine(ruleset, plugins=[_Huge()], load_entrypoints=False)
    row = {"id": "a", "followers": 20_000}
    one = engine.evaluate_one(row)
    framed = engine.evaluate_frame(pl.DataFrame([row]))
    assert framed.select("verdict", "rule:log-huge").row(0) == (
        one.verdict,
        next(f.outcome for f in one.findings if f.rule == "log-huge"),
    )
    assert one.verdict == "accept"
    assert next(f.outcome for f in one.findings if f.rule == "log-huge") == "not_applicable"


def test_information_separators_around_a_cell() -> None:
    """U+001C-U+001F are not white space on either path (they were on the one-profile
    path only): a number holding one is not a number, an id keeps it."""
    engine = Engine("red-default", load_entrypoints=False)
    row = {"id": "a", "followers": "20000\x1f"}
    with pytest.raises(RowInputError, match="'20000\\\\x1f': not a number"):
        engine.evaluate_one(row)
    (framed,) = engine.decision_frames([pl.DataFrame([row])])
    assert framed.select("status", "errors").row(0) == (
        "error",
        "column 'followers' '20000\\x1f': not a number",
    )
    row = {"id": "a\x1f", "followers": "20000"}
    one = engine.evaluate_one(row)
    (framed,) = engine.decision_frames([pl.DataFrame([row])])
    assert framed.select("status", "id", "tier").row(0) == ("evaluated", "a\x1f", "micro")
    assert (one.id, one.tier) == ("a\x1f", "micro")


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "origin (and platform) cells are matched with str.casefold() on the one-profile "
        "path and str.to_lowercase() on the columnar path. red-default, {'id': 'a', "
        "'followers': '20000', 'origin': 'croſs-platform'} (a long s): evaluate_one reads "
        "cross_platform and accepts; evaluate_frame finds an unknown origin (a data "
        "error) and sends the row to review"
    ),
)
def test_an_origin_that_only_casefolds_to_a_known_one() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    row = {"id": "a", "followers": "20000", "origin": "croſs-platform"}
    one = engine.evaluate_one(row)
    framed = engine.evaluate_frame(pl.DataFrame([row]))
    assert framed.select("verdict", "error").row(0) == (one.verdict, None)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "min and max of -0.0 and 0.0: the one-profile path (Python's min and max) gives "
        "the first argument, the columnar path (min_horizontal, max_horizontal) the "
        "other; a message with a format spec shows it. red-default plus metric low = "
        "'min(avg_likes, avg_comments)' and an info rule require = 'low > 0', message "
        "'lowest {low:.0f}', {'id': 'a', 'followers': '20000', 'avg_likes': '-0', "
        "'avg_comments': '0'}: 'lowest -0' one by one, 'lowest 0' in a frame"
    ),
)
def test_min_and_max_of_zeros_of_both_signs() -> None:
    ruleset = parse_ruleset(
        '[ruleset]\nname = "r"\nversion = "1"\nextends = "red-default"\n[metrics]\n'
        'low = "min(avg_likes, avg_comments)"\n[[rules]]\nid = "low"\nrequire = "low > 0"\n'
        'severity = "info"\nmessage = "lowest {low:.0f}"\n',
        "tests/r.toml",
    )
    engine = Engine(ruleset, load_entrypoints=False)
    row = {"id": "a", "followers": "20000", "avg_likes": "-0", "avg_comments": "0"}
    one = engine.evaluate_one(row)
    (framed,) = engine.decision_frames([pl.DataFrame([row])])
    assert framed.get_column("reasons").to_list() == [
        JOIN.join(reasons_of(one, by_rule=False, supersedes=_supersedes(engine)))
    ]


@pytest.mark.parametrize("price", ["absent", "empty"])
def test_a_divisor_that_is_one_value_for_the_whole_batch(price: str) -> None:
    """``x / coalesce(price, 250)`` where no row has a price: polars divides by a value
    that is one for the whole batch as a multiplication by its reciprocal, which differs
    from true division in the last bit for 9, 13, 18, ... (found by the agreement test on
    an input without a price column); both paths now divide alike."""
    ruleset = parse_ruleset(
        '[ruleset]\nname = "r"\nversion = "1"\nextends = "red-default"\n[metrics]\n'
        'per_rmb = "avg_likes / coalesce(price, 250)"\n',
        "tests/r.toml",
    )
    engine = Engine(ruleset, load_entrypoints=False)
    likes = [9, 13, 18, 26, 36, 43, 51, 52]
    frame = pl.DataFrame(
        {
            "id": [f"k{n}" for n in likes],
            "followers": ["20000"] * len(likes),
            "avg_likes": [str(n) for n in likes],
            **({"price": [None] * len(likes)} if price == "empty" else {}),
        },
        schema_overrides={"price": pl.String},
    )
    report = engine._report(frame, None)
    got = [d.metrics["per_rmb"] for d in report.decisions]
    assert got == [n / 250 for n in likes]
    one = [engine.evaluate_one(r, headers=frame.columns) for r in frame.rows(named=True)]
    assert [d.metrics["per_rmb"] for d in one] == got


class _FlagsEveryProfile:
    @hookimpl
    def kolrules_profiles_validate(self, frame: pl.DataFrame) -> pl.Series:
        return pl.Series("problem", ["flagged"] * frame.height, dtype=pl.String)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "a duplicate id in a row a plugin flags: Engine.evaluate lists the plugin's "
        "problem in the duplicate's row error ('duplicate id, first seen at row 1', "
        "'flagged (plugin ...)'); the columnar path ignores a plugin's problems on rows "
        "that cannot be evaluated, as docs/plugins/hooks.md says, and gives the duplicate "
        "only. red-default, a validate hook flagging every row, rows [{'id': 'a', "
        "'followers': 20000}] * 2"
    ),
)
def test_a_duplicate_id_that_a_plugin_flags() -> None:
    engine = Engine("red-default", plugins=[_FlagsEveryProfile()], load_entrypoints=False)
    rows = [{"id": "a", "followers": 20_000}, {"id": "a", "followers": 20_000}]
    (one,) = engine.evaluate(rows).errors
    (framed,) = engine.decision_frames([pl.DataFrame(rows)])
    assert framed.get_column("errors").to_list()[1] == JOIN.join(str(e) for e in one.errors)


@pytest.mark.xfail(
    strict=True,
    raises=pl.exceptions.DuplicateError,
    reason=(
        "evaluate_frame raises polars DuplicateError for an input column named like one "
        "of its outputs (tier, score, verdict, cpe, status, error, reasons, rule:<id>, ...): "
        "Engine('red-default').evaluate_frame(pl.DataFrame({'id': ['a'], 'followers': "
        "[20000], 'tier': ['gold']})), while evaluate_one and decision_frames decide it"
    ),
)
def test_an_input_column_named_like_an_output_column() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    row = {"id": "a", "followers": 20_000, "tier": "gold"}
    one = engine.evaluate_one(row)
    (framed,) = engine.decision_frames([pl.DataFrame([row])])
    assert framed.get_column("verdict").to_list() == [one.verdict]
    result = engine.evaluate_frame(pl.DataFrame([row]))
    assert result.get_column("verdict").to_list() == [one.verdict]


@pytest.mark.xfail(
    strict=True,
    raises=InputFileError,
    reason=(
        "two keys meaning one field: evaluate_one({'id': 'a', 'followers': 20000, "
        "'posts': 5, 'notes': 50}) on red-default uses 'posts' (the first spelling) and "
        "decides; the columnar path refuses the same row: columns 'posts' and 'notes' "
        "both mean 'posts'"
    ),
)
def test_two_spellings_of_one_field() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    row = {"id": "a", "followers": 20_000, "posts": 5, "notes": 50}
    try:
        one: Any = engine.evaluate_one(row)
    except (RowInputError, InputFileError) as exc:
        one = type(exc)
    framed = engine.evaluate_frame(pl.DataFrame([row]))
    assert one is not RowInputError and one is not InputFileError
    assert framed.get_column("verdict").to_list() == [one.verdict]


@pytest.mark.xfail(
    strict=True,
    raises=InputFileError,
    reason=(
        "a required column missing: evaluate_one({'id': 'a', 'posts': 50}) on red-default "
        "(RED requires followers) decides review with no tier; the columnar path refuses "
        "the same row: no 'followers' column"
    ),
)
def test_a_profile_without_a_required_field() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    row = {"id": "a", "posts": 50}
    one = engine.evaluate_one(row)
    framed = engine.evaluate_frame(pl.DataFrame([row]))
    assert framed.get_column("verdict").to_list() == [one.verdict]


# -- what one run exercised (keep last) --------------------------------------------------------


def _reachable_verdicts(plan: Any) -> list[str]:
    """The verdicts a plan can give: accept, and those of its rules' severities, its
    count rules and its data errors (weibo-default and wechat-default never reject)."""
    ranks = {0, VERDICTS.index(plan.ruleset.data_errors)}
    ranks |= {VERDICTS.index(e.to) for e in plan.ruleset.escalate}
    ranks |= {{"reject": 2, "review": 1}.get(r.rule.severity, 0) for r in plan.rules}
    return [VERDICTS[r] for r in sorted(ranks)]


def test_every_verdict_tier_platform_and_function_occurred() -> None:
    """Over the examples of this run: every verdict a ruleset can give and every tier (and
    no tier) of every ruleset, a score from every ruleset that scores, every platform,
    every function and operator computed to a value, escalation by each ruleset with count
    rules, failures just below and at each count, followers on a tier edge and quotes on a
    band edge for every ruleset, NaN, infinity, 亿, 万, 元, ¥, %, +, huge, negative, zero
    and missing inputs, every input mode, strict on and off, both kinds of reasons, several
    batches, row errors, duplicate ids, data errors, the plugin's problems, its derived
    metrics and its rule kind passing and failing. Prints the counts (``pytest -s``).
    Skipped unless the property test ran for every engine (not under ``-k``)."""
    c = COVERAGE
    skipped = [key for key in target_keys() if not c.counts.get(("engine", key))]
    if skipped:
        pytest.skip(f"test_one_profile_and_columnar_paths_agree did not run for {skipped}")
    all_targets = {t.name: t for t in targets().values()}
    needed: list[tuple[Any, ...]] = []
    for name, t in sorted(all_targets.items()):
        plan = t.plan
        needed += [("verdict", name, v) for v in _reachable_verdicts(plan)]
        needed += [("tier", name, tier.name) for tier in plan.tiers] + [("tier", name, "none")]
        needed.append(("followers on a tier edge", name))
        if any(tier.price_min is not None or tier.price_max is not None for tier in plan.tiers):
            needed.append(("price on a band edge", name))
        if plan.ruleset.escalate:
            needed.append(("escalated", name))
        if plan.score is not None:
            needed.append(("scored", name))
        if any(r.rule.supersedes for r in plan.rules):
            needed.append(("superseded", name))
        if "gifting-candidate" in {r.rule.id for r in plan.rules}:
            needed.append(("not applied for the input", name))
        for e in plan.ruleset.escalate:
            needed += [
                ("failures near an escalation count", name, f"{e.severity} {e.count}", k)
                for k in (e.count - 1, e.count)
            ]
    needed += [("platform", p) for p in sorted({t.platform.name for t in all_targets.values()})]
    needed += [("expr", item) for item in sorted(agree_rulesets.vocabulary())]
    needed += [("mode", m) for m in MODES] + [("strict", s) for s in (False, True)]
    needed += [("reasons", r) for r in ("text", "rules", "none")] + [("batches", "several")]
    needed += [
        ("input", mark)
        for mark in ("NaN", "inf", "亿", "万", "元", "¥", "%", "+", "huge", "negative", "0")
    ]
    needed += [("input", "missing"), ("input", "NaN or inf as text")]
    needed += [("row errors",), ("duplicate id",), ("data errors",), ("plugin problem",)]
    needed += [("rule kind", "pass"), ("rule kind", "fail")]
    needed += [("derived", name) for name in ("agree_reach", "agree_band", "agree_flag")]
    needed += [("derived", "agree_handle_len")]
    needed += [("outcome", o) for o in OUTCOME_NAMES]
    print(f"\n{c.examples} examples, {c.counts[('decisions',)]} decisions")
    for first in (
        "verdict",
        "tier",
        "platform",
        "scored",
        "expr",
        "escalated",
        "failures near an escalation count",
        "followers on a tier edge",
        "price on a band edge",
        "superseded",
        "not applied for the input",
        "input",
        "mode",
        "strict",
        "engine",
    ):
        print(f"{first}: {c.table(first)}")
    print({k: n for k, n in c.counts.items() if len(k) == 1 or k[0] in ("derived", "rule kind")})
    missing = [k for k in needed if not c.counts.get(k)]
    assert not missing, f"never exercised in {c.examples} examples: {missing}"
