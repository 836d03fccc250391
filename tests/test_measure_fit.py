"""Thresholds fitted to outcomes (``kolrules measure --suggest``): the fitted value lands
where the synthetic data was made to put it, for each comparison and each measure; the
sweep finds the best cut a brute-force search finds; rules that apply to part of the rows,
too few rows, one outcome only, rules that cannot be fitted; and the overlay it writes
loads, validates, diffs and measures as the fit said."""

from __future__ import annotations

import math
import random
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score, matthews_corrcoef

from kolrules.cli import main
from kolrules.engine import Engine
from kolrules.measure import measure
from kolrules.measure.confusion import Confusion
from kolrules.measure.fit import candidates
from kolrules.measure.overlay import applied_suggestions, overlay_text
from kolrules.measure.sweep import best_threshold, confusion_at, roundest
from kolrules.ruleset import load_ruleset

RULESET = """\
[ruleset]
name = "fit-test"
version = "2.0.0"
platform = "red"

[params]
min_posts = 10
max_price = 9000
min_ratio = 1
max_age = 800
text_param = "x"
lo = 1
hi = 5

[metrics]
ratio = "total_likes / followers"
scaled = "ratio * lo"

[[rules]]
id = "few-posts"
require = "min_posts <= posts"
severity = "reject"

[[rules]]
id = "dear"
require = "price <= max_price"
severity = "warn"

[[rules]]
id = "low-ratio"
require = "ratio >= min_ratio"
severity = "review"

[[rules]]
id = "cross-young"
when = "origin == 'cross_platform' and account_age_days <= 2400"
require = "account_age_days > max_age"
severity = "warn"

[[rules]]
id = "band"
require = "lo <= ratio <= hi"
severity = "info"

[[rules]]
id = "literal"
require = "posts >= 3"
severity = "info"

[[rules]]
id = "equal"
require = "posts != min_posts"
severity = "info"

[[rules]]
id = "both"
require = "posts >= min_posts and ratio >= min_ratio"
severity = "info"

[[rules]]
id = "text"
require = "origin != text_param"
severity = "info"

[[rules]]
id = "own-when"
when = "posts >= hi"
require = "ratio <= hi"
severity = "info"

[[rules]]
id = "metric-reads"
require = "scaled >= lo"
severity = "info"
"""


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def engine(folder: Path, text: str = RULESET) -> Engine:
    path = folder / "fit-test.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Engine(path)


def rows(
    n: int = 1_000, seed: int = 11, noise: float = 0.0, by: str = "any"
) -> list[dict[str, str]]:
    """Profiles whose label is made by the thresholds the tests expect to find: a row is
    positive ("bad") when it has fewer than 37 posts (``by="posts"``), a quote above 5,000
    (``price``), a likes ratio below 1.5 (``ratio``), or is cross-platform and younger
    than 200 days (``age``); with ``by="any"`` each row is made by one of them, at random;
    every other value is drawn apart from the label. ``noise`` of the labels flipped."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        followers = rng.randint(5_000, 100_000)
        posts = rng.randint(0, 99)
        price = 100 * rng.randint(5, 100)
        ratio = rng.uniform(0.5, 4.0)
        cross = rng.random() < 0.5
        age = rng.randint(1, 2_000)
        kind = by if by != "any" else rng.choice(["posts", "price", "ratio", "age"])
        bad = {
            "posts": posts < 37,
            "price": price > 5_000,
            "ratio": ratio < 1.5,
            "age": cross and age < 200,
        }[kind]
        if rng.random() < noise:
            bad = not bad
        out.append(
            {
                "id": f"p{i}",
                "followers": str(followers),
                "posts": str(posts),
                "total_likes": f"{followers * ratio:.0f}",
                "price": str(price),
                "origin": "cross_platform" if cross else "homegrown",
                "account_age_days": str(age),
                "label": "bad" if bad else "good",
            }
        )
    return out


def write(folder: Path, data: list[dict[str, str]]) -> Path:
    path = folder / "labelled.csv"
    pl.DataFrame(data).write_csv(path)
    return path


def suggestions(folder: Path, data: list[dict[str, str]], **options: object) -> dict[str, object]:
    m = measure(engine(folder), write(folder, data), label="label", positive=["bad"], **options)  # type: ignore[arg-type]
    return {s.rule: s for s in m.suggestions}


# -- the fitted value lands where the data put it ---------------------------------------


@pytest.mark.parametrize("fit", ["mcc", "f1", "youden"])
@pytest.mark.parametrize(
    ("by", "rule", "op", "expected"),
    [
        ("posts", "few-posts", ">=", 37),  # min_posts <= posts: the param on the left
        ("price", "dear", "<=", 5_000),
        ("age", "cross-young", ">", 200),  # applies to cross-platform accounts only
    ],
)
def test_each_threshold_lands_where_the_data_was_made(
    tmp_path: Path, fit: str, by: str, rule: str, op: str, expected: float
) -> None:
    found = suggestions(tmp_path, rows(by=by), suggest=fit)[rule]
    assert (found.op, found.suggested, found.status) == (op, expected, "suggested")  # type: ignore[attr-defined]
    assert found.after == pytest.approx(1.0)  # type: ignore[attr-defined]
    assert found.cross_validated > 0.95  # type: ignore[attr-defined]


def test_a_continuous_metric_lands_between_the_values_either_side(tmp_path: Path) -> None:
    data = rows(by="ratio")
    ratio = suggestions(tmp_path, data, suggest="mcc")["low-ratio"]
    values = [int(r["total_likes"]) / int(r["followers"]) for r in data]
    below = max(v for v, r in zip(values, data, strict=True) if r["label"] == "bad")
    above = min(v for v, r in zip(values, data, strict=True) if r["label"] == "good")
    assert below < ratio.suggested <= above  # type: ignore[attr-defined]
    assert 1.49 < ratio.suggested <= 1.51  # type: ignore[attr-defined]


def test_with_noisy_labels_the_threshold_lands_near(tmp_path: Path) -> None:
    for by, rule, low, high in (
        ("posts", "few-posts", 34, 40),
        ("price", "dear", 4_500, 5_500),
        ("ratio", "low-ratio", 1.35, 1.65),
    ):
        found = suggestions(tmp_path, rows(3_000, noise=0.1, by=by), suggest="mcc")[rule]
        assert low <= found.suggested <= high, rule  # type: ignore[attr-defined]
        assert 0.6 < found.cross_validated <= found.after + 1e-12  # type: ignore[attr-defined]


def test_the_fit_is_scored_on_every_labelled_row_as_the_report_scores_the_rule(
    tmp_path: Path,
) -> None:
    """cross-young applies to some cross-platform rows only: the sweep compares those, the
    others keep their outcome (not applicable: negative), and ``after`` is the MCC of the
    rule with the fitted value, measured again on the same file."""
    data = rows()
    found = suggestions(tmp_path, data, suggest="mcc")
    young = found["cross-young"]
    applies = [r for r in data if r["origin"] == "cross_platform"]
    assert young.support == sum(1 for r in applies if int(r["account_age_days"]) <= 2_400)  # type: ignore[attr-defined]
    assert young.support < len(data)  # type: ignore[attr-defined]
    refit = RULESET.replace("max_age = 800", f"max_age = {young.suggested}")  # type: ignore[attr-defined]
    again = tmp_path / "again"
    again.mkdir()
    m = measure(engine(again, refit), write(again, data), label="label", positive=["bad"])
    assert next(r for r in m.rules if r.rule == "cross-young").measured.scores[
        "mcc"
    ] == pytest.approx(young.after, abs=1e-12)  # type: ignore[attr-defined]


def test_a_value_already_best_is_kept(tmp_path: Path) -> None:
    text = RULESET.replace("min_posts = 10", "min_posts = 36.5")
    folder = tmp_path / "kept"
    folder.mkdir()
    m = measure(
        engine(folder, text), write(folder, rows()), label="label", positive=["bad"], suggest="mcc"
    )
    posts = next(s for s in m.suggestions if s.rule == "few-posts")
    assert (posts.status, posts.suggested, posts.before) == ("unchanged", 36.5, posts.after)


def test_too_few_rows_and_one_outcome_are_refused(tmp_path: Path) -> None:
    found = suggestions(tmp_path, rows(300), suggest="mcc", min_support=200)
    young = found["cross-young"]
    assert young.status == "refused"  # type: ignore[attr-defined]
    assert young.reason == (  # type: ignore[attr-defined]
        f"compared on {young.support} labelled rows, fewer than --min-support 200"  # type: ignore[attr-defined]
    )
    assert young.suggested is None  # type: ignore[attr-defined]
    assert found["few-posts"].status == "suggested"  # type: ignore[attr-defined]
    one = [{**r, "label": "bad" if r["origin"] == "cross_platform" else "good"} for r in rows()]
    found = suggestions(tmp_path, one, suggest="mcc")
    assert found["cross-young"].reason == (  # type: ignore[attr-defined]
        "every labelled row it compares is positive: no threshold separates them"
    )


def test_rules_that_cannot_be_fitted_say_why(tmp_path: Path) -> None:
    _, why = candidates(engine(tmp_path).plan)
    assert why == {
        "band": "a band of two params (lo <= x <= hi): not fitted, fit each end by hand",
        "literal": "it compares no metric or field with a [params] value",
        "equal": "!= is not a threshold",
        "both": "its condition is not one comparison",
        "text": "it compares no metric or field with a [params] value",
        "own-when": "its when reads hi too: a new value would change where it applies",
        "metric-reads": "scaled reads lo too: a new value would change what is compared",
    }


def test_a_param_other_rules_read_is_named(tmp_path: Path) -> None:
    found = suggestions(tmp_path, rows(), suggest="mcc")
    assert found["cross-young"].shared == ()  # type: ignore[attr-defined]
    assert found["few-posts"].shared == ("equal", "both")  # type: ignore[attr-defined]
    assert found["low-ratio"].shared == ("both",)  # type: ignore[attr-defined]


# -- the sweep ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sweep_finds_the_best_cut_a_brute_force_search_finds(op: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(0, 1, 300), 1)  # ties on purpose
    labels = rng.random(300) < 1 / (1 + np.exp(3 * values))  # low values mostly positive
    fixed = Confusion(tp=7, fp=3, tn=20, fn=9)
    compare = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}[op]
    y = np.concatenate([labels, [True] * 16, [False] * 23])
    for fit, score in (("mcc", matthews_corrcoef), ("f1", f1_score)):
        best = -2.0
        for t in [-math.inf, *np.unique(values), math.inf]:
            fails = ~compare(values, t)
            predicted = np.concatenate([fails, [True] * 7, [False] * 9, [True] * 3, [False] * 20])
            best = max(best, score(y, predicted))
        threshold, found = best_threshold(values, labels, op, fixed, fit, current=0.05)
        assert found.scores()[fit] == pytest.approx(best, abs=1e-9)
        assert confusion_at(values, labels, op, threshold, fixed) == found


def test_the_roundest_number_that_makes_the_cut() -> None:
    assert roundest(40, 41, (False, True)) == 41  # posts >= 41 fails 40 and passes 41
    assert roundest(40, 41, (True, False)) == 40
    assert roundest(0.9874, 1.0123, (False, True)) == 1
    assert roundest(1234.5, 1240, (True, False)) == 1237
    assert roundest(-5, -3, (True, False)) == -4
    assert roundest(-math.inf, 7.3, (False, True)) == 0
    assert roundest(12.5, math.inf, (True, False)) == 20
    assert roundest(0.01982, 0.019835, (False, True)) == 0.01983


# -- the overlay -------------------------------------------------------------------------


def test_the_overlay_loads_validates_diffs_and_measures_as_fitted(tmp_path: Path) -> None:
    data = rows(noise=0.05)
    eng = engine(tmp_path)
    source = write(tmp_path, data)
    m = measure(eng, source, label="label", positive=["bad"], suggest="mcc")
    set_ = applied_suggestions(m)
    assert {s.rule for s in set_} == {"few-posts", "dear", "low-ratio", "cross-young"}
    target = tmp_path / "calibrated.toml"
    target.write_text(overlay_text(m, extends="fit-test.toml", name="calibrated"), "utf-8")
    overlay = load_ruleset(target)
    assert overlay.ref.name == "calibrated"
    assert overlay.ref.version == "2.0.0-calibrated"
    for s in set_:
        assert overlay.params[s.param] == s.suggested  # type: ignore[index]
    text = target.read_text("utf-8")
    assert "# few-posts (posts >= min_posts): compared on 1,000 of the 1,000 labelled rows" in text
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(target)])
    assert checked.exit_code == 0, checked.output
    diffed = runner.invoke(
        main, ["diff", "-b", str(tmp_path / "fit-test.toml"), "-r", str(target), str(source)]
    )
    assert diffed.exit_code == 0, diffed.output
    assert "verdict changed" in diffed.output
    again = measure(Engine(target), source, label="label", positive=["bad"])
    for s in set_:
        measured = next(r for r in again.rules if r.rule == s.rule).measured.scores["mcc"]
        assert measured == pytest.approx(s.after, abs=1e-12), s.rule


def test_a_fit_no_better_out_of_sample_is_listed_not_set(tmp_path: Path) -> None:
    rng = random.Random(4)
    data = [{**r, "label": rng.choice(["bad", "good"])} for r in rows(400)]  # pure noise
    eng = engine(tmp_path)
    m = measure(eng, write(tmp_path, data), label="label", positive=["bad"], suggest="mcc")
    held = [s for s in m.suggestions if s.status == "suggested" and s not in applied_suggestions(m)]
    assert held
    text = overlay_text(m, extends="fit-test.toml")
    for s in held:
        assert f"# - {s.rule} ({s.param}):" in text
        assert f"\n{s.param} = " not in text


def test_a_ruleset_with_nothing_to_fit_says_so_for_every_rule(tmp_path: Path) -> None:
    text = """\
    [ruleset]
    name = "nothing"
    version = "1"
    platform = "red"

    [[rules]]
    id = "posts-known"
    require = "present(posts)"
    severity = "review"

    [[rules]]
    id = "literal"
    require = "posts >= 3"
    severity = "info"
    """
    source = write(tmp_path, rows(100, by="posts"))
    eng = engine(tmp_path, text)
    m = measure(eng, source, label="label", positive=["bad"], suggest="mcc")
    assert [(s.rule, s.status, s.reason) for s in m.suggestions] == [
        ("posts-known", "not fitted", "its condition is not one comparison"),
        ("literal", "not fitted", "it compares no metric or field with a [params] value"),
    ]
