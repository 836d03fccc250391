"""Rules measured against outcomes (``kolrules.measure``): the counts and the measures of
each rule and of the verdict, checked against scikit-learn computed from an independent
evaluation (``Engine.evaluate_frame``), rules that apply to part of the rows, rows left out
(row errors, empty labels), degenerate labels, the bootstrap intervals, redundant rules and
rules that add nothing to the verdict."""

from __future__ import annotations

import math
import random
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from kolrules.engine import Engine
from kolrules.measure import Confusion, LabelError, MeasureError, measure
from kolrules.measure.confusion import bootstrap

RULESET = """\
[ruleset]
name = "measure-test"
version = "1.0.0"
platform = "red"

[params]
min_posts = 20
min_ratio = 2
max_age = 1500

[metrics]
ratio = "total_likes / followers"

[[rules]]
id = "few-posts"
require = "posts >= min_posts"
severity = "reject"

[[rules]]
id = "low-ratio"
require = "ratio >= min_ratio"
severity = "review"

[[rules]]
id = "cross-young"
when = "origin == 'cross_platform'"
require = "account_age_days <= max_age"
severity = "warn"

[[rules]]
id = "few-posts-again"
require = "posts >= min_posts"
severity = "info"

[[rules]]
id = "never"
require = "followers >= 0"
severity = "warn"
"""


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def engine(tmp_path: Path, text: str = RULESET) -> Engine:
    path = tmp_path / "rules.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Engine(path)


def labelled_rows(n: int = 400, seed: int = 3) -> list[dict[str, str | None]]:
    """RED profiles whose outcome depends on posts and the likes ratio, with noise; a few
    row errors and empty labels."""
    rng = random.Random(seed)
    rows: list[dict[str, str | None]] = []
    for i in range(n):
        followers = rng.randint(2_000, 200_000)
        posts = rng.randint(0, 60)
        ratio = rng.uniform(0.2, 6)
        fake = posts < 15 or ratio < 1.5
        if rng.random() < 0.1:
            fake = not fake
        rows.append(
            {
                "id": f"k{i}",
                "followers": str(followers),
                "posts": str(posts),
                "total_likes": str(int(followers * ratio)),
                "origin": rng.choice(["homegrown", "cross_platform"]),
                "account_age_days": str(rng.randint(10, 3_000)),
                "outcome": " Fake " if fake else rng.choice(["real", "REAL", "ok"]),
            }
        )
    for i in range(0, n, 37):
        rows[i]["followers"] = "lots"  # a row error: left out
    for i in range(5, n, 41):
        rows[i]["outcome"] = rng.choice(["", "  ", None])  # no label: left out
    return rows


def write(tmp_path: Path, rows: list[dict[str, str | None]], name: str = "in.csv") -> Path:
    path = tmp_path / name
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(path)
    return path


def reference(eng: Engine, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    """The rows measured, evaluated independently of kolrules.measure (the frame API),
    with ``y`` (the label is positive)."""
    df = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    out = eng.evaluate_frame(df, reasons="none")
    label = pl.col("outcome").str.strip_chars()
    return out.filter(
        (pl.col("status") == "evaluated") & label.is_not_null() & (label != "")
    ).with_columns((label.str.to_lowercase() == "fake").alias("y"))


def sklearn_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    precision = precision_score(y, predicted, zero_division=0)
    return {
        "precision": precision,
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
        "accuracy": accuracy_score(y, predicted),
        "mcc": matthews_corrcoef(y, predicted),
        "lift": precision / y.mean(),
    }


# -- the measures ------------------------------------------------------------------------


@pytest.mark.parametrize("predict", ["reject", "review"])
def test_every_measure_matches_scikit_learn(tmp_path: Path, predict: str) -> None:
    rows = labelled_rows()
    eng = engine(tmp_path)
    m = measure(eng, write(tmp_path, rows), label="outcome", positive=["fake"], predict=predict)  # type: ignore[arg-type]
    ref = reference(eng, rows)
    y = ref.get_column("y").to_numpy()
    assert (m.labelled, m.positives) == (ref.height, int(y.sum()))
    checked = 0
    for r in m.rules:
        predicted = (ref.get_column(f"rule:{r.rule}") == "fail").to_numpy()
        expected = sklearn_scores(y, predicted)
        for name, value in expected.items():
            assert r.measured.scores[name] == pytest.approx(value, abs=1e-9), (r.rule, name)
            checked += 1
    verdicts = ("reject",) if predict == "reject" else ("reject", "review")
    predicted = ref.get_column("verdict").is_in(verdicts).to_numpy()
    for name, value in sklearn_scores(y, predicted).items():
        assert m.verdict.scores[name] == pytest.approx(value, abs=1e-9), name
    assert checked == 6 * 5


def test_rows_left_out_are_counted(tmp_path: Path) -> None:
    rows = labelled_rows()
    m = measure(engine(tmp_path), write(tmp_path, rows), label="outcome", positive=["fake"])
    errors = len(range(0, 400, 37))
    empty = sum(1 for i in range(5, 400, 41) if i % 37)
    assert (m.rows, m.errors, m.unlabelled) == (400, errors, empty)
    assert m.labelled == 400 - errors - empty


def test_a_rule_not_applicable_for_part_of_the_rows(tmp_path: Path) -> None:
    """Eight rows by hand: cross-young applies to the four cross-platform ones only; where
    it does not apply it predicts negative."""
    rows = []
    for i, (origin, age, outcome) in enumerate(
        [
            ("cross_platform", 2000, "fake"),  # fails, positive: TP
            ("cross_platform", 2500, "real"),  # fails, negative: FP
            ("cross_platform", 100, "fake"),  # passes, positive: FN
            ("cross_platform", 200, "real"),  # passes, negative: TN
            ("homegrown", 3000, "fake"),  # not applicable, positive: FN
            ("homegrown", 3000, "real"),  # not applicable, negative: TN
            ("homegrown", 10, "real"),  # TN
            ("homegrown", 10, "fake"),  # FN
        ]
    ):
        rows.append(
            {
                "id": f"r{i}",
                "followers": "10000",
                "posts": "50",
                "total_likes": "50000",
                "origin": origin,
                "account_age_days": str(age),
                "outcome": outcome,
            }
        )
    m = measure(engine(tmp_path), write(tmp_path, rows), label="outcome", positive=["fake"])
    young = next(r for r in m.rules if r.rule == "cross-young")
    assert (young.applied, young.failed, young.not_applicable) == (4, 2, 4)
    assert young.measured.confusion == Confusion(tp=1, fp=1, tn=3, fn=3)
    assert young.measured.scores["precision"] == 0.5
    assert young.measured.scores["recall"] == 0.25
    assert young.measured.scores["lift"] == 1.0
    assert young.measured.scores["mcc"] == pytest.approx(0.0)


def test_a_measure_whose_denominator_is_zero_is_zero() -> None:
    never = Confusion(tp=0, fp=0, tn=6, fn=4).scores()
    assert (never["precision"], never["recall"], never["f1"], never["mcc"], never["lift"]) == (
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    )
    y = np.array([1] * 4 + [0] * 6)
    assert never["mcc"] == matthews_corrcoef(y, np.zeros(10))
    assert never["accuracy"] == 0.6
    always = Confusion(tp=4, fp=6, tn=0, fn=0).scores()
    assert always["mcc"] == matthews_corrcoef(y, np.ones(10)) == 0.0
    assert always["recall"] == 1.0
    assert always["lift"] == 1.0


def test_mcc_holds_on_counts_whose_product_passes_two_to_the_53() -> None:
    big = Confusion(tp=3_000_000, fp=1_000_000, tn=5_000_000, fn=1_000_000)
    exact = (3e6 * 5e6 - 1e6 * 1e6) / math.sqrt(4e6 * 4e6 * 6e6 * 6e6)
    assert big.scores()["mcc"] == pytest.approx(exact, abs=1e-12)


def test_flags_and_the_order_by_mcc(tmp_path: Path) -> None:
    rows = labelled_rows()
    m = measure(engine(tmp_path), write(tmp_path, rows), label="outcome", positive=["fake"])
    mccs = [r.measured.scores["mcc"] for r in m.rules]
    assert mccs == sorted(mccs, reverse=True)
    flags = {r.rule: r.flag for r in m.rules}
    assert flags["never"] == "never fails"
    assert flags["few-posts"] == ""
    everywhere = [{**row, "posts": "1"} for row in rows]  # every evaluated row fails few-posts
    m = measure(engine(tmp_path), write(tmp_path, everywhere), label="outcome", positive=["fake"])
    assert {r.rule: r.flag for r in m.rules}["few-posts"] == "always fails"


def test_redundant_pairs_and_rules_that_add_nothing(tmp_path: Path) -> None:
    rows = labelled_rows()
    m = measure(engine(tmp_path), write(tmp_path, rows), label="outcome", positive=["fake"])
    assert [(p.first, p.second, p.jaccard) for p in m.redundant] == [
        ("few-posts", "few-posts-again", 1.0)
    ]
    pair = m.redundant[0]
    assert pair.both == pair.either == next(r.failed for r in m.rules if r.rule == "few-posts")
    # info and never-failing rules cannot change the verdict; few-posts (reject) does
    assert {"few-posts-again", "never"} <= set(m.adds_nothing)
    assert "few-posts" not in m.adds_nothing
    few = next(r for r in m.rules if r.rule == "few-posts")
    assert few.verdict_mcc_without < m.verdict.scores["mcc"]


def test_the_verdict_without_a_rule_is_that_of_the_ruleset_less_the_rule(tmp_path: Path) -> None:
    rows = labelled_rows()
    m = measure(engine(tmp_path), write(tmp_path, rows), label="outcome", positive=["fake"])
    less = RULESET.replace('id = "low-ratio"', 'id = "low-ratio"\nenabled = false')
    tmp = tmp_path / "less"
    tmp.mkdir()
    ref = reference(engine(tmp, less), rows)
    y = ref.get_column("y").to_numpy()
    expected = matthews_corrcoef(y, (ref.get_column("verdict") == "reject").to_numpy())
    without = next(r for r in m.rules if r.rule == "low-ratio").verdict_mcc_without
    assert without == pytest.approx(expected, abs=1e-9)


# -- labels ------------------------------------------------------------------------------


def test_positive_values_are_several_and_compared_ignoring_case(tmp_path: Path) -> None:
    rows = labelled_rows()
    path = write(tmp_path, rows)
    one = measure(engine(tmp_path), path, label="outcome", positive=["FAKE"])
    two = measure(engine(tmp_path), path, label="OUTCOME ", positive=["fake", "ok"])
    ok = sum(
        1 for r in reference(engine(tmp_path), rows).iter_rows(named=True) if r["outcome"] == "ok"
    )
    assert two.positives == one.positives + ok
    assert two.label == "outcome"


def test_one_class_only_is_a_clear_error(tmp_path: Path) -> None:
    rows = [{**row, "outcome": "fake"} for row in labelled_rows(60)]
    path = write(tmp_path, rows)
    with pytest.raises(LabelError) as caught:
        measure(engine(tmp_path), path, label="outcome", positive=["fake"])
    assert str(caught.value) == (
        f"input file {path}: every labelled row is positive (58 labels in column 'outcome': "
        "'fake' (58)): measuring needs rows of both outcomes; label the accounts found "
        "genuine too, or check --positive"
    )
    with pytest.raises(LabelError) as caught:
        measure(engine(tmp_path), path, label="outcome", positive=["scam", "bot"])
    assert str(caught.value) == (
        f"input file {path}: no labelled row is positive: none of the 58 labels in column "
        "'outcome' is 'scam', 'bot' (the labels: 'fake' (58)); give the positive values "
        "with --positive"
    )


def test_no_labels_is_a_clear_error(tmp_path: Path) -> None:
    rows = [{**row, "outcome": ""} for row in labelled_rows(60)]
    path = write(tmp_path, rows)
    with pytest.raises(LabelError) as caught:
        measure(engine(tmp_path), path, label="outcome", positive=["fake"])
    assert str(caught.value) == (
        f"input file {path}: no row has a label: column 'outcome' is empty on all 58 "
        "evaluated rows; fill in the outcomes, or name the column that holds them with --label"
    )


def test_a_missing_label_column_names_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, labelled_rows(10))
    with pytest.raises(LabelError) as caught:
        measure(engine(tmp_path), path, label="result", positive=["fake"])
    assert str(caught.value) == (
        f"input file {path}: no label column 'result': the input's columns are 'id', "
        "'followers', 'posts', 'total_likes', 'origin', 'account_age_days', 'outcome'; name "
        "the column that holds the outcomes with --label"
    )


def test_no_positive_value_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, labelled_rows(10))
    with pytest.raises(MeasureError, match=r"no positive label value given: say which labels"):
        measure(engine(tmp_path), path, label="outcome", positive=[" ", ""])


# -- the bootstrap -----------------------------------------------------------------------


def test_the_bootstrap_is_seeded_and_brackets_the_estimate(tmp_path: Path) -> None:
    rows = labelled_rows()
    path = write(tmp_path, rows)
    a = measure(engine(tmp_path), path, label="outcome", positive=["fake"], seed=1)
    b = measure(engine(tmp_path), path, label="outcome", positive=["fake"], seed=1)
    c = measure(engine(tmp_path), path, label="outcome", positive=["fake"], seed=2)
    assert a.verdict.intervals == b.verdict.intervals
    assert a.verdict.intervals != c.verdict.intervals
    for r in a.rules:
        if r.failed:
            i = r.measured.intervals["mcc"]
            assert i.low < r.measured.scores["mcc"] < i.high, r.rule


def test_the_bootstrap_of_the_cells_is_that_of_the_rows() -> None:
    """Drawing the four cells from a multinomial is resampling the rows: the intervals
    agree with a row bootstrap of the same size to within the resampling noise."""
    cells = Confusion(tp=60, fp=25, tn=300, fn=40)
    fast = bootstrap(cells, seed=0, key="x", resamples=20_000)["mcc"]
    rows = np.repeat(np.arange(4), [60, 25, 300, 40])
    rng = np.random.default_rng(5)
    mccs = []
    for _ in range(4_000):
        drawn = np.bincount(rng.choice(rows, rows.size), minlength=4).astype(float)
        mccs.append(Confusion(*map(int, drawn)).scores()["mcc"])
    low, high = np.percentile(mccs, [2.5, 97.5])
    assert fast.low == pytest.approx(low, abs=0.015)
    assert fast.high == pytest.approx(high, abs=0.015)


@pytest.mark.parametrize("rule", ["likes-per-view-band", "few-comments", "few-posts"])
def test_the_verdict_without_a_rule_counts_the_vetting_share_as_the_ruleset_less_it(
    tmp_path: Path, rule: str
) -> None:
    """With ``[verdict] min_applicable``, a missing value a vetting rule's ``when`` reads
    makes that rule not count as applied; dropping the rule changes the share."""
    source = Path(__file__).resolve().parent.parent / "examples" / "labelled.csv"
    share = '[ruleset]\nname = "share"\nversion = "1"\nextends = "red-default"\n'
    share += "[verdict]\nmin_applicable = 0.75\n"
    m = measure(
        engine(tmp_path, share), source, label="outcome", positive=["fake"], predict="review"
    )
    less = tmp_path / "less"
    less.mkdir()
    dropped = share + f'[[rules]]\nid = "{rule}"\nenabled = false\n'
    df = pl.read_csv(source, infer_schema=False)
    out = engine(less, dropped).evaluate_frame(df, reasons="none")
    label = pl.col("outcome")
    ref = out.filter((pl.col("status") == "evaluated") & label.is_not_null())
    y = (ref.get_column("outcome") == "fake").to_numpy()
    predicted = ref.get_column("verdict").is_in(["reject", "review"]).to_numpy()
    without = next(r for r in m.rules if r.rule == rule).verdict_mcc_without
    assert without == pytest.approx(matthews_corrcoef(y, predicted), abs=1e-9)
    assert without != pytest.approx(m.verdict.scores["mcc"], abs=1e-6)
