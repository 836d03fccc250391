"""The benchmark's data generator, its hand-written peers and its comparison (``benchmarks/``).

Fast checks only (no timing): the generator is deterministic and makes the mix issue 3 asks
for (and exports each bundled ruleset's platform reads), the peers' copy of red-default
matches the ruleset kolrules loads, every peer agrees with kolrules' decision frame on
generated rows on every column it computes (through the same workers and comparison as
``run.py``), kolrules' own paths agree on every bundled ruleset, and the comparison itself
fails when a peer drops, adds or repeats a row or changes one value. The benchmark itself is
``python benchmarks/run.py`` (``tox -e bench``, ``tox -e bench-small``).

zen-engine and rule-engine ("zen-engine>=2.1", "rule-engine>=5.0") are in the ``test``
dependency group so their tests run in CI; elsewhere they are skipped when not installed.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("numpy")
pl = pytest.importorskip("polars")

from kolrules import Engine  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
PEERS = "kolrules_benchmark_peers"
ROWS = 2_000
#: The generated data for the rulesets of each platform (as run.py picks it).
FLAVOUR_OF_PLATFORM = {"red": "red-extra", "weibo": "weibo", "wechat": "wechat"}


def _load(name: str, path: Path, *, package: bool = False) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load("kolrules_benchmark_generate", BENCH / "generate.py")


@pytest.fixture(scope="module")
def peers() -> ModuleType:
    return _load(PEERS, BENCH / "peers" / "__init__.py", package=True)


def peer(name: str) -> ModuleType:
    _load(PEERS, BENCH / "peers" / "__init__.py", package=True)
    return importlib.import_module(f"{PEERS}.{name}")


@pytest.fixture(scope="module")
def run() -> Iterator[ModuleType]:
    """``benchmarks/run.py``; its workers import the peers as ``peers``, as they do when
    run.py starts them, so ``benchmarks/`` is on ``sys.path`` while these tests run."""
    sys.path.insert(0, str(BENCH))
    try:
        yield _load("kolrules_benchmark_run", BENCH / "run.py")
    finally:
        sys.path.remove(str(BENCH))
        for name in [n for n in sys.modules if n == "peers" or n.startswith("peers.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


@pytest.fixture(scope="module")
def data(generate: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "profiles.csv"
    generate.write_csv(ROWS, 7, path)
    return path


def _worker(run: ModuleType, kind: str, *args: str) -> None:
    """One of run.py's workers, in this process (it prints its RESULT line)."""
    run.WORKERS[kind](run.parse(["--worker", kind, *args]))


@pytest.fixture(scope="module")
def reference(run: ModuleType, data: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """kolrules' decision frame of ``data`` (the reference of every comparison), made by
    run.py's reference worker."""
    out = tmp_path_factory.mktemp("reference") / "reference.parquet"
    _worker(run, "kolrules-reference", "--input", str(data), "--output", str(out))
    frame = pl.read_parquet(out)
    assert frame.height == ROWS
    assert frame.get_column("row").to_list() == list(range(1, ROWS + 1))
    return frame


def _agrees(comparison: Any) -> None:
    """Assert that a comparison found nothing, showing what it found if it did."""
    assert comparison.ok, "\n".join([comparison.line(), *comparison.examples])
    assert comparison.mismatches == 0
    assert comparison.reference_rows == comparison.peer_rows == comparison.rows


def _fold(label: str | None) -> str | None:
    """kolrules shows an unknown outcome (a missing input) as not applicable."""
    return "not_applicable" if label == "unknown" else label


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- the generator ----------------------------------------------------------------------


def test_generator_is_deterministic(generate: ModuleType) -> None:
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    generate.write_csv(3_000, 11, first)
    generate.write_csv(3_000, 11, second)
    generate.write_csv(3_000, 12, other)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue() != other.getvalue()
    header = first.getvalue().split(b"\n", 1)[0].decode()
    assert header.split(",") == list(generate.COLUMNS)


def test_generator_streams_in_chunks(generate: ModuleType) -> None:
    sizes = [c.height for c in generate.chunks(2 * generate.CHUNK_ROWS + 5, 1)]
    assert sizes == [generate.CHUNK_ROWS, generate.CHUNK_ROWS, 5]


def test_generator_makes_the_mix(generate: ModuleType, peers: ModuleType) -> None:
    red = peer("_red")
    n = 40_000
    df = generate.frame(n, 3, labels=True)
    missing = sorted(red.MISSING)

    def share(expr: Any) -> float:
        return float(df.select(expr.mean()).item())

    assert share(pl.col("_fake")) == pytest.approx(0.15, abs=0.01)
    assert share(pl.col("avg_views").is_null() | pl.col("avg_views").is_in(missing)) == (
        pytest.approx(0.40, abs=0.015)
    )
    assert share(pl.col("price").is_null()) == pytest.approx(0.20, abs=0.015)
    assert share(pl.col("_dirty").is_not_null()) == pytest.approx(0.01, abs=0.003)
    kinds = set(df["_dirty"].drop_nulls())
    assert {"negative_followers", "text_followers", "zero_followers", "empty_id"} <= kinds
    # followers are log-normal between 1k and 20M (dirty rows aside)
    clean = df.filter(pl.col("_dirty").is_null() & pl.col("followers").str.contains(r"^\d+$"))
    followers = clean["followers"].cast(pl.Float64)
    assert followers.min() >= 1_000 and followers.max() <= 20_000_000
    assert 5_000 < followers.median() < 60_000
    # fake accounts have fewer total likes than followers
    fake = clean.filter(pl.col("_fake")).select(
        (pl.col("total_likes").cast(pl.Float64) < pl.col("followers").cast(pl.Float64)).mean()
    )
    assert fake.item() > 0.95
    # export spellings kolrules must read
    assert df["followers"].str.contains("万").any()
    assert df["price"].str.contains(",").any()


@pytest.mark.parametrize(
    ("flavour", "ruleset"),
    [("red-extra", "beauty-startup"), ("weibo", "weibo-default"), ("wechat", "wechat-default")],
)
def test_other_platforms_exports(generate: ModuleType, flavour: str, ruleset: str) -> None:
    """The exports of the other rulesets' checks: deterministic, every column a field of
    the platform, the rules' inputs exercised, and the benchmark's own data untouched."""
    first, second = io.BytesIO(), io.BytesIO()
    generate.write_csv(2_000, 11, first, flavour=flavour)
    generate.write_csv(2_000, 11, second, flavour=flavour)
    assert first.getvalue() == second.getvalue()
    df = pl.read_csv(first.getvalue(), infer_schema=False)
    assert tuple(df.columns) == generate.FLAVOURS[flavour][0]
    engine = Engine(ruleset, load_entrypoints=False)
    assert engine.normalise_frame(df).extra_columns == ()  # every header is known
    decided = pl.concat(list(engine.decision_frames([df])))
    assert set(decided["verdict"].drop_nulls()) >= {"accept", "review"}
    assert decided["status"].value_counts().height == 2  # some rows are row errors
    for rule in [c for c in decided.columns if c.startswith("rule:")]:
        # every rule both passes and fails somewhere
        assert {"pass", "fail"} <= set(decided[rule].drop_nulls()), rule
    if flavour == "red-extra":  # the benchmark's RED rows (categories aside), plus columns
        red = generate.frame(2_000, 11)
        assert df.drop("category", *generate.RED_EXTRA_COLUMNS).equals(red.drop("category"))


def test_dirty_rows_are_what_kolrules_calls_them(
    generate: ModuleType, engine: Engine, tmp_path: Path
) -> None:
    df = generate.frame(8_000, 5, labels=True)
    path = tmp_path / "dirty.csv"
    df.drop("_fake", "_dirty").write_csv(path)
    report = engine.evaluate_file(path)
    errors = {e.row for e in report.errors}
    verdicts = {d.row: d.verdict for d in report.decisions}
    row_errors = {"negative_followers", "text_followers", "empty_id"}
    for row, kind in enumerate(df["_dirty"].to_list(), 1):
        if kind in row_errors:
            assert row in errors, (row, kind)
        elif kind is not None and kind != "duplicate_id":
            assert verdicts[row] in ("review", "reject"), (row, kind)


# -- the peers --------------------------------------------------------------------------


def test_peers_implement_red_default_as_kolrules_loads_it(engine: Engine) -> None:
    assert peer("_red").differences(engine) == []


def test_hand_python_agrees_with_kolrules(
    run: ModuleType, data: Path, reference: Any, tmp_path: Path
) -> None:
    out = tmp_path / "hand-python.csv"
    _worker(run, "hand-python", "--input", str(data), "--output", str(out))
    comparison = run.compare("hand-python", reference, out, data)
    _agrees(comparison)
    # everything it computes: 12 decision columns (errors as kolrules words them) + 14 rules
    assert comparison.columns == 12 + len(peer("_red").RULE_IDS)
    assert "errors" in run.SPECS["hand-python"].exact
    assert reference.get_column("errors").drop_nulls().len() > 0  # the texts are exercised


def test_hand_python_one_profile_matches_evaluate_one(data: Path, engine: Engine) -> None:
    hand_python = peer("hand_python")
    checked = 0
    for raw in _raw_rows(data)[:300]:
        try:
            values, data_errors = hand_python.normalise(raw)
        except hand_python.RowInputError:
            continue
        mine = hand_python.decide(raw)
        theirs = engine.evaluate_one(raw)
        assert (mine.verdict, mine.tier) == (theirs.verdict, theirs.tier)
        assert [_fold(f[1]) for f in mine.findings] == [f.outcome for f in theirs.findings]
        assert mine.score == theirs.score  # bit for bit (None when there is none)
        price = theirs.price
        assert (mine.quote, mine.band_min, mine.band_max, mine.position, mine.cpe) == (
            price.quote,
            price.band_min,
            price.band_max,
            price.position,
            price.cpe,
        )
        typed = engine.evaluate_one(values)  # numbers instead of text: same rules
        assert typed.tier == theirs.tier
        assert data_errors or typed.verdict == theirs.verdict
        checked += 1
    assert checked > 250


def test_hand_polars_agrees_with_kolrules(
    run: ModuleType, data: Path, reference: Any, tmp_path: Path
) -> None:
    """Both of the peer's modes: the same reason and to_pass texts as kolrules, and no
    reasons."""
    hand_polars = peer("hand_polars")
    for write in (hand_polars.run, hand_polars.run_in_memory):
        for reasons, engine, n in (("text", "hand-polars", 14), ("none", "hand-polars-none", 12)):
            out = tmp_path / f"{write.__name__}-{reasons}.csv"
            write(data, out, reasons=reasons)
            comparison = run.compare(engine, reference, out, data)
            _agrees(comparison)
            assert comparison.columns == n + len(peer("_red").RULE_IDS)


def test_kolrules_paths_agree_with_its_decision_frame(
    run: ModuleType, data: Path, reference: Any, tmp_path: Path
) -> None:
    """evaluate_one on every row, evaluate_frame and evaluate_to_file (as run.py checks
    them on every bundled ruleset), every column."""
    one, framed = tmp_path / "one.csv", tmp_path / "frame.parquet"
    batch, ref = tmp_path / "batch.csv", tmp_path / "reference.parquet"
    _worker(run, "kolrules-one", "--input", str(data), "--output", str(one))
    _worker(
        run,
        "kolrules-reference",
        *("--input", str(data), "--output", str(ref)),
        *("--frame-output", str(framed), "--csv-output", str(batch)),
    )
    ref_csv = run.reference_csv(ref, tmp_path / "reference.csv")
    rules = len(peer("_red").RULE_IDS)
    for name, theirs, ours, columns in (
        ("kolrules-one", reference, one, 15 + rules),
        ("kolrules-frame", reference, framed, 11 + rules),
        ("kolrules-batch", ref_csv, batch, 15 + rules),
    ):
        comparison = run.compare(name, theirs, ours, data)
        _agrees(comparison)
        assert comparison.columns == columns, name


def test_zen_agrees_with_kolrules(
    run: ModuleType, data: Path, reference: Any, tmp_path: Path
) -> None:
    pytest.importorskip("zen", reason="zen-engine is not installed (pip install 'zen-engine>=2.1')")
    out = tmp_path / "zen.csv"
    _worker(run, "zen", "--input", str(data), "--output", str(out))
    _agrees(run.compare("zen", reference, out, data))
    # its batch call gives what its one-profile call gives
    zen = peer("zen")
    hand_python = peer("hand_python")
    engine = zen.make_engine()
    contexts = [
        hand_python.context(*r.values)
        for r in hand_python.read_rows(_raw_rows(data)[:500])
        if r.values is not None
    ]
    batch = list(zen.evaluate_batch(engine, contexts))
    assert batch == [zen.evaluate(engine, ctx) for ctx in contexts]


def test_rule_engine_agrees_with_kolrules(
    run: ModuleType, data: Path, reference: Any, tmp_path: Path
) -> None:
    pytest.importorskip(
        "rule_engine", reason="rule-engine is not installed (pip install 'rule-engine>=5.0')"
    )
    out = tmp_path / "rule-engine.csv"
    _worker(run, "rule-engine", "--input", str(data), "--output", str(out), "--limit", "800")
    comparison = run.compare("rule-engine", reference, out, data, limit=800)
    _agrees(comparison)
    assert comparison.rows == 800


def test_every_bundled_ruleset_agrees_with_itself(
    run: ModuleType, generate: ModuleType, tmp_path: Path
) -> None:
    """For the rulesets the peers do not implement: kolrules' one-profile path and its
    columnar paths against its decision frame on every column, on generated data of the
    ruleset's platform (what run.py checks on 10,000 rows)."""
    names = Engine(load_entrypoints=False).named_rulesets()
    assert {"red-default", "weibo-default", "wechat-default"} <= set(names)
    checked = []
    for name in sorted(names):
        if name == "red-default":
            continue
        platform = Engine(name, load_entrypoints=False).ruleset.platform
        flavour = run.FLAVOUR_OF_PLATFORM.get(platform)
        assert flavour is not None, f"no generated data for {name}'s platform {platform}"
        data = tmp_path / f"{flavour}.csv"
        if not data.exists():
            generate.write_csv(1_500, 5, data, flavour=flavour)
        ref, framed = tmp_path / f"{name}.parquet", tmp_path / f"{name}-frame.parquet"
        one, batch = tmp_path / f"{name}-one.csv", tmp_path / f"{name}-batch.csv"
        _worker(
            run,
            "kolrules-reference",
            *("--ruleset", name, "--input", str(data), "--output", str(ref)),
            *("--frame-output", str(framed), "--csv-output", str(batch)),
            *("--one-output", str(one)),
        )
        reference = run.load_decisions(ref)
        ref_csv = run.reference_csv(ref, tmp_path / f"{name}-reference.csv")
        for engine_name, theirs, ours in (
            ("kolrules-one", reference, one),
            ("kolrules-frame", reference, framed),
            ("kolrules-batch", ref_csv, batch),
        ):
            _agrees(run.compare(engine_name, theirs, ours, data, ruleset=name))
        checked.append(name)
    assert {"weibo-default", "wechat-default", "beauty-startup", "luxury-brand"} <= set(checked)


# -- the comparison can fail --------------------------------------------------------------


@pytest.fixture(scope="module")
def hand(data: Path) -> Any:
    """hand polars' decisions of ``data``, as a frame (text columns, as read from its CSV)."""
    buffer = io.BytesIO()
    peer("hand_polars").decisions(peer("hand_polars").scan(data)).collect().write_csv(buffer)
    return pl.read_csv(buffer.getvalue(), infer_schema=False)


def _compare(run: ModuleType, reference: Any, frame: Any, data: Path) -> Any:
    return run.compare_frames("hand-polars", reference, frame, run.SPECS["hand-polars"], data=data)


def test_comparison_of_the_unchanged_peer_finds_nothing(
    run: ModuleType, reference: Any, hand: Any, data: Path
) -> None:
    _agrees(_compare(run, reference, hand, data))


def test_a_dropped_row_is_a_mismatch(
    run: ModuleType, reference: Any, hand: Any, data: Path
) -> None:
    c = _compare(run, reference, hand.filter(pl.col("row") != "1234"), data)
    assert not c.ok
    assert (c.mismatches, c.missing_rows, c.extra_rows) == (1, 1, 0)
    assert (c.reference_rows, c.peer_rows) == (ROWS, ROWS - 1)
    assert c.examples[0].startswith("row 1234: missing from the peer's output")


def test_an_added_or_repeated_row_is_a_mismatch(
    run: ModuleType, reference: Any, hand: Any, data: Path
) -> None:
    extra = hand.tail(1).with_columns(pl.lit(str(ROWS + 1)).alias("row"))
    c = _compare(run, reference, pl.concat([hand, extra]), data)
    assert not c.ok
    assert (c.mismatches, c.extra_rows, c.rows) == (1, 1, ROWS + 1)
    c = _compare(run, reference, pl.concat([hand, hand.slice(10, 1)]), data)
    assert not c.ok
    assert (c.mismatches, c.repeated_rows) == (1, 1)
    assert "given more than once" in c.examples[0]


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("verdict", lambda v: "accept" if v != "accept" else "reject"),
        ("tier", lambda v: "top" if v != "top" else "mid"),
        ("status", lambda v: "error"),
        # one ulp: scores and CPEs are compared bit for bit
        ("score", lambda v: repr(math.nextafter(float(v), 200.0))),
        ("cpe", lambda v: repr(math.nextafter(float(v), 0.0))),
        ("band_max", lambda v: None),
        ("position", lambda v: "within" if v != "within" else "above"),
        ("gifting", lambda v: "true" if v == "false" else "false"),
        ("has_errors", lambda v: "true" if v == "false" else "false"),
        ("rule:few-posts", lambda v: "fail" if v != "fail" else "pass"),
        ("id", lambda v: v + "x"),
    ],
)
def test_one_changed_value_is_a_mismatch(
    run: ModuleType, reference: Any, hand: Any, data: Path, column: str, change: Any
) -> None:
    # a row where every column has a value
    at = hand.with_row_index("i").filter(
        pl.col("status") == "evaluated",
        pl.col("score").is_not_null(),
        pl.col("cpe").is_not_null(),
        pl.col("band_max").is_not_null(),
    )["i"][3]
    changed = hand.with_columns(
        pl.when(pl.int_range(pl.len()) == at)
        .then(pl.lit(change(hand[column][at]), dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )
    c = _compare(run, reference, changed, data)
    assert not c.ok
    assert c.mismatches == 1
    row = int(hand["row"][at])
    assert c.examples[0].startswith(f"row {row}: ")
    compared = "errors" if column == "has_errors" else column
    assert c.by_column[compared] == 1
    assert [name for name, n in c.by_column.items() if n] == [compared]


def test_a_missing_column_is_a_mismatch(
    run: ModuleType, reference: Any, hand: Any, data: Path
) -> None:
    c = _compare(run, reference, hand.drop("position"), data)
    assert not c.ok
    assert c.by_column["position"] == reference.get_column("position").drop_nulls().len() > 0
    c = _compare(run, reference, hand.drop("rule:few-posts"), data)
    assert not c.ok
    assert c.by_column["rule:few-posts"] > 0


def test_a_tolerance_is_only_where_stated(run: ModuleType, reference: Any, data: Path) -> None:
    """zen's CPE may be an ulp off (its decimals); any other column must be exact."""
    frame = reference.with_columns(
        pl.col("cpe").map_elements(lambda v: math.nextafter(v, 0.0), return_dtype=pl.Float64)
    )
    spec = run.SPECS["zen"]
    c = run.compare_frames("zen", reference, frame, spec)
    _agrees(c)
    assert c.within_tolerance["cpe"] > 0
    c = run.compare_frames("rule-engine", reference, frame, run.SPECS["rule-engine"])
    assert not c.ok
    assert c.by_column["cpe"] > 0
