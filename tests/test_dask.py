"""kolrules.dask on a distributed.LocalCluster of 2 workers: the decisions of every row
equal the local streamed path's (rows numbered across partitions, duplicate ids found
across them, bad rows), written as part files; the first pass's id logic alone; the
engine recipe a worker builds without the client's files; the errors a user sees."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pandas as pd
import polars as pl
import pytest

import kolrules
from kolrules.dask import (
    SUMMARY_FILE,
    EngineRecipe,
    WorkerMismatchError,
    evaluate_to_dataset,
    read_profiles,
)
from kolrules.dask.dupes import buckets, seen_ids, shared_ids
from kolrules.dask.recipe import MAX_ENGINES
from kolrules.errors import InputFileError, KolrulesError, PluginError
from kolrules.normalise import MAX_CELL, SeenIds
from kolrules.plugins import PluginsDir

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "candidates.csv"


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """2 workers of 1 thread each in this process (no processes to start or leak)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def _profiles() -> pl.DataFrame:
    """222 rows (the example file 6 times, ids made unique) with the cases a Dask run must
    get right planted at rows (from 1) far enough apart to fall in different partitions:
    a duplicate of row 11 at row 201; an id whose first row (21) is a row error, first
    evaluated at row 121 and repeated at row 211; two rows of one id side by side (122,
    123); unreadable followers (31); an empty id (41); an unknown origin (51); an id whose
    first row (61) has a category cell too long (a row error), first evaluated at row 161
    and repeated at row 181."""
    base = pl.read_csv(EXAMPLE, infer_schema=False)
    frames = [base.with_columns(pl.col("id") + f"-{rep}") for rep in range(6)]
    rows = pl.concat(frames).to_dicts()
    plant = {
        11: {"id": "dup-a"},
        201: {"id": "dup-a"},
        21: {"id": "dup-b", "followers": "-5"},
        121: {"id": "dup-b"},
        211: {"id": "dup-b"},
        122: {"id": "dup-c"},
        123: {"id": "dup-c"},
        31: {"followers": "abc"},
        41: {"id": None},
        51: {"origin": "martian"},
        61: {"id": "dup-d", "category": "美" * (MAX_CELL + 1)},
        161: {"id": "dup-d"},
        181: {"id": "dup-d"},
    }
    for row, cells in plant.items():
        rows[row - 1].update(cells)
        if rows[row - 1]["followers"] in (None, ""):
            rows[row - 1]["followers"] = "5000"  # so that each planted id row can be evaluated
    return pl.DataFrame(rows, schema=dict.fromkeys(base.columns, pl.String))


@pytest.fixture(scope="module")
def profiles_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask-in") / "profiles.csv"
    _profiles().write_csv(path)
    return path


@pytest.fixture(scope="module")
def local_csv(profiles_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The decisions file the streamed path (what ``kolrules evaluate -o`` runs) writes."""
    out = tmp_path_factory.mktemp("dask-local") / "decisions.csv"
    kolrules.Engine("red-default").evaluate_to_file(profiles_csv, out)
    return out.read_bytes()


def _joined(parts: tuple[str, ...]) -> bytes:
    """CSV part files joined into one file: the header of the first part only."""
    texts = [Path(p).read_bytes() for p in parts]
    return texts[0] + b"".join(t.split(b"\n", 1)[1] for t in texts[1:])


def test_the_planted_cases_are_in_the_local_decisions(local_csv: bytes) -> None:
    """The reference the Dask runs are compared with has what the data was made for."""
    local = pl.read_csv(local_csv, infer_schema=False)
    errors = dict(zip(local["row"], local["errors"], strict=True))
    assert local.height == 222
    assert "duplicate id, first seen at row 11" in errors["201"]
    assert "duplicate id" not in (errors["121"] or "")  # row 21, its first, was an error
    assert "duplicate id, first seen at row 121" in errors["211"]
    assert "duplicate id, first seen at row 122" in errors["123"]
    assert "abc" in errors["31"]
    assert "empty id" in errors["41"]
    assert "martian" in errors["51"]
    assert "over the limit of 32,767" in errors["61"] and "duplicate id" not in (
        errors["161"] or ""
    )
    assert "duplicate id, first seen at row 161" in errors["181"]


def test_csv_parts_join_into_the_file_the_local_path_writes(
    client: distributed.Client, profiles_csv: Path, local_csv: bytes, tmp_path: Path
) -> None:
    source = read_profiles(profiles_csv, blocksize=5_000)
    assert source.npartitions >= 4  # the planted rows fall in different partitions
    run = evaluate_to_dataset(source, tmp_path / "out", output_format="csv", batch_rows=40)
    assert len(run.parts) == source.npartitions
    assert all(Path(p).is_file() for p in run.parts)
    assert _joined(run.parts) == local_csv
    # Counts as the local path's summary gives them; dup-a and dup-b cross partitions.
    local = kolrules.Engine("red-default").evaluate_to_file(profiles_csv, tmp_path / "l.csv")
    assert run.summary.rows_read == local.rows_read == 222
    assert run.summary.counts == local.counts
    assert run.summary.accounted()
    assert run.shared_ids >= 2
    assert run.first_pass_s > 0 and run.second_pass_s > 0
    assert (tmp_path / "out" / SUMMARY_FILE).is_file()


def test_parquet_parts_hold_the_local_decision_frames(
    client: distributed.Client, tmp_path: Path
) -> None:
    """A Dask DataFrame made in memory, 5 partitions, with reasons given as rule ids."""
    profiles = _profiles()
    engine = kolrules.Engine("red-default")
    expected = pl.concat(list(engine.decision_frames([profiles], reasons="rules")))
    source = dd.from_pandas(profiles.to_pandas(), npartitions=5)
    run = evaluate_to_dataset(source, tmp_path / "out", reasons="rules")
    assert [Path(p).suffix for p in run.parts] == [".parquet"] * 5
    got = pl.concat([pl.read_parquet(p) for p in run.parts])
    assert got["row"].to_list() == list(range(1, 223))
    assert got.equals(expected)


def test_a_glob_of_files_is_one_input_in_name_order(
    client: distributed.Client, tmp_path: Path
) -> None:
    """Rows numbered across the files; an id of the first file repeated in the second is a
    duplicate there; the result equals the local path on the files joined."""
    profiles = _profiles()
    (tmp_path / "in").mkdir()
    profiles.head(150).write_csv(tmp_path / "in" / "a.csv")
    profiles.tail(72).write_csv(tmp_path / "in" / "b.csv")
    profiles.write_csv(tmp_path / "whole.csv")
    kolrules.Engine("red-default").evaluate_to_file(tmp_path / "whole.csv", tmp_path / "l.csv")
    run = evaluate_to_dataset(str(tmp_path / "in" / "*.csv"), tmp_path / "out", output_format="csv")
    assert _joined(run.parts) == (tmp_path / "l.csv").read_bytes()
    assert run.summary.source == str(tmp_path / "in" / "*.csv")


def test_an_output_folder_with_files_is_refused_unless_overwritten(
    client: distributed.Client, tmp_path: Path
) -> None:
    source = dd.from_pandas(_profiles().head(20).to_pandas(), npartitions=2)
    out = tmp_path / "out"
    evaluate_to_dataset(source, out, output_format="csv")
    with pytest.raises(InputFileError, match="not empty; give a new folder, or overwrite=True"):
        evaluate_to_dataset(source, out, output_format="csv")
    # overwrite: the earlier run's 2 parts are replaced by 1
    run = evaluate_to_dataset(
        dd.from_pandas(_profiles().head(5).to_pandas(), npartitions=1), out, overwrite=True
    )
    assert sorted(p.name for p in out.iterdir()) == [SUMMARY_FILE, "part-00000.parquet"]
    assert run.summary.rows_read == 5
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputFileError, match="other than a run's part files"):
        evaluate_to_dataset(source, out, overwrite=True)


def test_an_input_without_a_required_column_is_refused_before_it_is_read(
    client: distributed.Client, tmp_path: Path
) -> None:
    source = dd.from_pandas(_profiles().drop("followers").to_pandas(), npartitions=2)
    said = r"input dask DataFrame of 2 partitions: no 'followers' column"
    with pytest.raises(InputFileError, match=said):
        evaluate_to_dataset(source, tmp_path / "out")


def test_files_of_another_format_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"reads CSV .* and Parquet .*read_json"):
        read_profiles(tmp_path / "*.jsonl")
    with pytest.raises(InputFileError, match="cannot be read"):
        read_profiles(tmp_path / "none-*.csv")


# -- the first pass's id logic, without a cluster ---------------------------------------


def _piece(ids: list[str], firsts: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "first": firsts}, schema={"id": pl.String, "first": pl.Int64})


def test_shared_ids_are_those_evaluated_first_in_an_earlier_partition() -> None:
    pieces = [
        _piece(["a", "b", "c"], [3, None, 1]),  # rows 1-10; b is not evaluated here
        _piece(["b", "d"], [2, 5]),  # rows 11-15: b is first evaluated at row 12
        _piece(["a", "b", "d", "e"], [None, 1, 1, 4]),  # rows 16-20
    ]
    got = shared_ids(pieces, [10, 5, 5]).sort("part", "id")
    assert got.rows() == [(2, "a", 3), (2, "b", 12), (2, "d", 15)]
    assert shared_ids([_piece([], [])], [4]).height == 0
    assert shared_ids(pieces[:1], [10]).height == 0


def test_buckets_split_by_id_and_keep_every_row() -> None:
    frame = _piece([f"id{n}" for n in range(100)], list(range(100)))
    split = buckets(frame, 3)
    assert len(split) == 3 and all(part.height for part in split)
    assert pl.concat(split).sort("first").equals(frame)
    again = buckets(frame, 3)
    assert all(a.equals(b) for a, b in zip(split, again, strict=True))


def test_seen_ids_answer_as_the_streamed_path_would() -> None:
    seen = seen_ids(_piece(["x", "y"], [7, 9]).rename({"first": "row"}))
    assert seen.first_rows(pl.Series(["y", "z", "x"])).to_list() == [9, None, 7]


def test_decision_frames_continue_an_input_from_an_offset_and_seen_ids() -> None:
    """The engine's hook for a partition: frames that do not start the input, given the
    rows before them and the ids those evaluated, decide as in one run."""
    profiles = _profiles()
    engine = kolrules.Engine("red-default")
    whole = pl.concat(list(engine.decision_frames([profiles])))
    seen = SeenIds()
    head = list(engine.decision_frames([profiles.head(150)], seen=seen))
    tail = list(engine.decision_frames([profiles.tail(72)], offset=150, seen=seen))
    assert pl.concat([*head, *tail]).equals(whole)
    alone = pl.concat(list(engine.decision_frames([profiles.tail(72)], offset=150)))
    assert not alone.equals(whole.tail(72))  # without the ids seen, row 201 is no duplicate


# -- the engine recipe -----------------------------------------------------------------


def test_a_worker_rebuilds_the_engine_without_the_ruleset_files(tmp_path: Path) -> None:
    """The recipe holds the resolved ruleset: its files may be gone where it is built."""
    base = (REPO / "rulesets" / "red-default.toml").read_text(encoding="utf-8")
    path = tmp_path / "client.toml"
    path.write_text(base.replace('name = "red-default"', 'name = "client"', 1), encoding="utf-8")
    recipe, engine = EngineRecipe.of(path)
    path.unlink()
    shipped = pickle.loads(pickle.dumps(recipe))
    assert shipped == recipe and shipped.engine() is engine  # the process's cache
    fresh = attrs.evolve(shipped, key="not cached").engine()  # built as on a new worker
    assert fresh is not engine
    assert fresh.ruleset.ref == engine.ruleset.ref
    profiles = _profiles()
    assert pl.concat(list(fresh.decision_frames([profiles]))).equals(
        pl.concat(list(engine.decision_frames([profiles])))
    )


def test_a_worker_with_other_plugins_or_versions_refuses_to_decide() -> None:
    recipe, _ = EngineRecipe.of("red-default")
    more = attrs.evolve(recipe, loaded=(*recipe.loaded, "kolrules_douyin"), key="k1")
    with pytest.raises(WorkerMismatchError, match=r"lacks kolrules_douyin \(install it"):
        more.engine()
    fewer = attrs.evolve(recipe, loaded=recipe.loaded[1:], key="k2")
    with pytest.raises(WorkerMismatchError, match=f"also loads {recipe.loaded[0]}"):
        fewer.engine()
    older = attrs.evolve(recipe, versions=("0.0.1", recipe.versions[1]), key="k3")
    with pytest.raises(WorkerMismatchError, match=r"client kolrules 0\.0\.1"):
        older.engine()


def test_a_process_keeps_a_few_engines_not_every_one() -> None:
    recipe, engine = EngineRecipe.of("red-default")
    assert recipe.engine() is engine
    others = [attrs.evolve(recipe, key=f"other {n}") for n in range(MAX_ENGINES)]
    kept = [other.engine() for other in others]
    assert others[-1].engine() is kept[-1]  # kept
    assert recipe.engine() is not engine  # the oldest was let go: built again


def test_plugins_go_to_the_workers_by_module_name(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="cannot send the plugins directory"):
        EngineRecipe.of("red-default", plugins=[PluginsDir(tmp_path)])
    with pytest.raises(PluginError, match="by module name"):
        EngineRecipe.of("red-default", plugins=[object()])
    import kolrules_scoring

    recipe, _ = EngineRecipe.of("red-default", plugins=[kolrules_scoring, "no:wechat"])
    assert recipe.plugins == ("kolrules_scoring", "no:wechat")
    assert "wechat" not in recipe.loaded


def test_the_core_does_not_import_dask() -> None:
    code = (
        "import sys, kolrules, kolrules.cli\n"
        "kolrules.Engine('red-default')\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) "
        "for m in sys.modules), sorted(m for m in sys.modules if 'dask' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_pandas_nan_and_none_are_missing_in_a_partition(
    client: distributed.Client, tmp_path: Path
) -> None:
    frame = _profiles().head(6).to_pandas()
    frame.loc[2, "avg_views"] = float("nan")
    frame.loc[3, "avg_views"] = None
    source = dd.from_pandas(frame, npartitions=2)
    run = evaluate_to_dataset(source, tmp_path / "out")
    got = pl.concat([pl.read_parquet(p) for p in run.parts])
    expected = pl.concat(
        list(kolrules.Engine("red-default").decision_frames([pl.from_pandas(frame)]))
    )
    assert got.equals(expected)
    assert got["errors"][2] is None and got["errors"][3] is None
    assert isinstance(frame, pd.DataFrame)


def test_a_gbk_export_reads_with_its_encoding(client: distributed.Client, tmp_path: Path) -> None:
    source = REPO / "examples" / "candidates-gbk.csv"
    kolrules.Engine("red-default").evaluate_to_file(source, tmp_path / "l.csv")
    frame = read_profiles(source, encoding="gb18030", blocksize=1_000)
    assert frame.npartitions > 1
    run = evaluate_to_dataset(frame, tmp_path / "out", output_format="csv")
    assert _joined(run.parts) == (tmp_path / "l.csv").read_bytes()


def test_a_source_that_changes_between_the_passes_is_an_error(
    client: distributed.Client, tmp_path: Path
) -> None:
    """Row numbers come from the first pass's lengths: a source giving other rows the
    second time (here, a partition that grows at every read) must not pass silently."""
    profiles = _profiles().head(10).to_pandas()
    log = tmp_path / "reads"  # a file: the function is copied into each task it runs in
    log.touch()

    def grows(frame: pd.DataFrame) -> pd.DataFrame:
        with log.open("a") as reads:
            reads.write("read\n")
        done = len(log.read_text().splitlines())
        return frame if done <= 2 else pd.concat([frame, frame.head(1)])

    source = dd.from_pandas(profiles, npartitions=2).map_partitions(grows, meta=profiles.head(0))
    with pytest.raises(KolrulesError, match="gave 5 rows in the first pass and 6 in the second"):
        evaluate_to_dataset(source, tmp_path / "out")
    assert not (tmp_path / "out" / SUMMARY_FILE).exists()


# dask's Parquet reader (2026.8) calls DataFrame.reset_index(inplace=True), which pandas 3.1
# deprecates: third-party noise, raised in the worker's task (the same process here).
@pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.reset_index is deprecated:pandas.errors.Pandas4Warning"
)
def test_parquet_files_with_typed_columns_read_as_polars_reads_them(
    client: distributed.Client, tmp_path: Path
) -> None:
    """Numbers stored as numbers (a missing one too) decide as when polars reads them."""
    profiles = _profiles().with_columns(
        pl.col("posts").cast(pl.Int64, strict=False),
        pl.col("avg_views").cast(pl.Float64, strict=False),
    )
    assert profiles["posts"].null_count() and profiles["avg_views"].null_count()
    (tmp_path / "in").mkdir()
    profiles.head(100).write_parquet(tmp_path / "in" / "a.parquet")
    profiles.tail(122).write_parquet(tmp_path / "in" / "b.parquet")
    run = evaluate_to_dataset(str(tmp_path / "in" / "*.parquet"), tmp_path / "out")
    got = pl.concat([pl.read_parquet(p) for p in run.parts])
    engine = kolrules.Engine("red-default")
    assert got.equals(pl.concat(list(engine.decision_frames([profiles]))))
    assert len(run.parts) == 2
