"""The benchmark's data generator and its hand-written peers (``benchmarks/``).

Fast checks only (no timing): the generator is deterministic and makes the mix issue 3 asks
for, the peers' copy of red-default matches the ruleset kolrules loads, and every peer gives
kolrules' verdict, tier and rule outcomes on generated rows. The benchmark itself is
``python benchmarks/run.py`` (``tox -e bench``, ``tox -e bench-small``).
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import sys
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
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


@pytest.fixture(scope="module")
def data(generate: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "profiles.csv"
    generate.write_csv(ROWS, 7, path)
    return path


@pytest.fixture(scope="module")
def expected(engine: Engine, data: Path) -> dict[int, tuple[Any, ...]]:
    """kolrules' (status, verdict, tier, rule outcomes) by row, from its file path."""
    report = engine.evaluate_file(data)
    out: dict[int, tuple[Any, ...]] = {e.row: ("error", None, None, None) for e in report.errors}
    for d in report.decisions:
        assert d.row is not None
        outcomes = tuple(f.outcome for f in d.findings)
        out[d.row] = ("evaluated", d.verdict, d.tier, outcomes)
    assert sorted(out) == list(range(1, ROWS + 1))
    return out


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


def test_hand_python_agrees_with_kolrules(data: Path, expected: dict[int, tuple[Any, ...]]) -> None:
    hand_python = peer("hand_python")
    labels = peer("_red").OUTCOME_LABELS
    got = {}
    for r in hand_python.evaluate_rows(_raw_rows(data)):
        outcomes = None if r.outcomes is None else tuple(_fold(labels[o]) for o in r.outcomes)
        got[r.row] = (r.status, r.verdict, r.tier, outcomes)
    assert got == expected


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
        if theirs.score is None:
            assert mine.score is None
        else:
            assert mine.score == pytest.approx(theirs.score, abs=1e-9)
        typed = engine.evaluate_one(values)  # numbers instead of text: same rules
        assert typed.tier == theirs.tier
        assert data_errors or typed.verdict == theirs.verdict
        checked += 1
    assert checked > 250


def test_hand_polars_agrees_with_kolrules(
    data: Path, expected: dict[int, tuple[Any, ...]], tmp_path: Path
) -> None:
    hand_polars = peer("hand_polars")
    rules = [f"rule:{r}" for r in peer("_red").RULE_IDS]
    for run in (hand_polars.run, hand_polars.run_in_memory):
        out = tmp_path / f"{run.__name__}.csv"
        run(data, out)
        got = {}
        for rec in pl.read_csv(out, infer_schema=False).iter_rows(named=True):
            evaluated = rec["status"] == "evaluated"
            outcomes = tuple(_fold(rec[c]) for c in rules) if evaluated else None
            got[int(rec["row"])] = (rec["status"], rec["verdict"], rec["tier"], outcomes)
        assert got == expected


def _typed(data: Path) -> list[tuple[int, Any]]:
    """(row, typed values) of the rows kolrules evaluates, as the one-profile peers get them."""
    hand_python = peer("hand_python")
    out = []
    seen = set()
    for n, raw in enumerate(_raw_rows(data), 1):
        try:
            values = hand_python.normalise(raw)
        except hand_python.RowInputError:
            continue
        if values.values["id"] not in seen:
            seen.add(values.values["id"])
            out.append((n, values))
    return out


def test_zen_agrees_with_kolrules(data: Path, expected: dict[int, tuple[Any, ...]]) -> None:
    pytest.importorskip("zen")
    zen = peer("zen")
    labels = peer("_red").OUTCOME_LABELS
    engine = zen.make_engine()
    typed = _typed(data)
    context = peer("hand_python").context
    contexts = [context(v.values, v.data_errors) for _, v in typed]
    batch = list(zen.evaluate_batch(engine, contexts))
    for (row, _), ctx, batched in zip(typed, contexts, batch, strict=True):
        verdict, tier, codes = zen.evaluate(engine, ctx)
        assert (verdict, tier, codes) == batched
        outcomes = tuple(_fold(labels[c]) for c in codes)
        assert ("evaluated", verdict, tier, outcomes) == expected[row], row


def test_rule_engine_agrees_with_kolrules(data: Path, expected: dict[int, tuple[Any, ...]]) -> None:
    pytest.importorskip("rule_engine")
    context = peer("hand_python").context
    labels = peer("_red").OUTCOME_LABELS
    rules = peer("rule_engine_peer").Peer()
    for row, values in _typed(data)[:600]:
        verdict, tier, codes = rules.evaluate(context(values.values, values.data_errors))
        outcomes = tuple(_fold(labels[c]) for c in codes)
        assert ("evaluated", verdict, tier, outcomes) == expected[row], row
