"""A Dask run: every partition evaluated on the columnar path and written as one part
file of a partitioned Parquet or CSV dataset (:func:`evaluate_to_dataset`).

Two passes over the input, both on the cluster:

1. the ids (:mod:`kolrules.dask.dupes`): each partition's length (so every row gets the
   global number the streamed path gives it) and the ids shared across partitions (so a
   duplicate id in a later partition is found as the streamed path finds it);
2. the decisions: each partition read again, normalised with its starting row and its
   ``SeenIds`` entries, evaluated and written batch by batch, as
   :meth:`kolrules.Engine.evaluate_to_file` does for the batches of a file.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from kolrules.dask.dupes import PartitionIds, partition_ids, seen_ids, shared_ids
from kolrules.dask.extra import require_dask
from kolrules.dask.recipe import EngineRecipe
from kolrules.dask.sources import read_profiles, source_name, to_polars
from kolrules.errors import InputFileError, KolrulesError
from kolrules.read import BATCH_ROWS
from kolrules.report import write_csv
from kolrules.types import Summary

if TYPE_CHECKING:
    import dask.dataframe as dd
    import fsspec
    import pandas as pd
    import polars as pl

    from kolrules.engine import Engine
    from kolrules.evaluate import Reasons
    from kolrules.ruleset import Ruleset

__all__ = ["DaskRun", "OutputFormat", "evaluate_to_dataset"]

OutputFormat = Literal["parquet", "csv"]
_SUFFIX: dict[str, str] = {"parquet": "parquet", "csv": "csv"}
#: The file that a finished run writes last, beside its parts.
SUMMARY_FILE = "_summary.json"
#: Partitions per bucket of ids in the first pass.
_PARTS_PER_BUCKET = 8
_VERDICTS = {"accept": "accepted", "review": "review", "reject": "rejected", None: "errors"}


@attrs.frozen
class DaskRun:
    """What :func:`evaluate_to_dataset` did: the counts (as
    :meth:`kolrules.Engine.evaluate_to_file` gives them), the part files written in row
    order, how many ids the first pass found in a partition after the one that evaluated
    them first, and the wall time of each pass in seconds."""

    summary: Summary
    parts: tuple[str, ...]
    shared_ids: int
    first_pass_s: float
    second_pass_s: float


@attrs.frozen
class _Output:
    """Where and how part files are written (picklable: it goes to the workers)."""

    fs: fsspec.AbstractFileSystem
    root: str
    format: OutputFormat
    reasons: Reasons
    raw: bool
    batch_rows: int

    def path(self, part: int) -> str:
        return f"{self.root}/part-{part:05d}.{_SUFFIX[self.format]}"


def _named(part: int, exc: InputFileError) -> InputFileError:
    return InputFileError(f"partition {part}: {exc}")


def _first_pass(
    recipe: EngineRecipe, partition: pd.DataFrame, part: int, batch_rows: int, count: int
) -> PartitionIds:
    engine = recipe.engine()
    try:
        return partition_ids(
            to_polars(partition), engine.plan.schema, batch_rows=batch_rows, bucket_count=count
        )
    except InputFileError as exc:
        raise _named(part, exc) from None


def _bucket(ids: PartitionIds, bucket: int) -> pl.DataFrame:
    return ids.buckets[bucket]


def _rows(ids: PartitionIds) -> int:
    return ids.rows


def _write_part(
    recipe: EngineRecipe,
    partition: pd.DataFrame,
    part: int,
    offset: int,
    shared: pl.DataFrame,
    out: _Output,
) -> dict[str, int]:
    """Evaluate partition ``part`` (its rows numbered from ``offset + 1``, the ids of
    ``shared`` seen before it) and write its part file; its counts."""
    engine = recipe.engine()
    df = to_polars(partition)
    seen = seen_ids(shared)
    counts = dict.fromkeys(("accepted", "review", "rejected", "errors"), 0)
    batches = (df.slice(at, out.batch_rows) for at in range(0, max(df.height, 1), out.batch_rows))
    frames = engine.decision_frames(batches, reasons=out.reasons, offset=offset, seen=seen)
    with out.fs.open(out.path(part), "wb") as stream:
        writer = _Writer(stream, out)
        try:
            for frame in frames:
                for verdict, n in frame.get_column("verdict").value_counts().iter_rows():
                    counts[_VERDICTS[verdict]] += n
                writer.write(frame)
        except InputFileError as exc:
            raise _named(part, exc) from None
        writer.close()
    return {"rows": df.height, **counts}


class _Writer:
    """Decision frames into one part file: CSV as the csv format writes it (the header
    first), or Parquet a row group per frame."""

    def __init__(self, stream: IO[bytes], out: _Output) -> None:
        self._stream = stream
        self._out = out
        self._parquet: Any = None
        self._schema: Any = None
        self._frames = 0

    def write(self, frame: pl.DataFrame) -> None:
        if self._out.format == "csv":
            write_csv(frame, self._stream, header=self._frames == 0, raw=self._out.raw)
        else:
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self._stream, self._schema)
            self._parquet.write_table(table.cast(self._schema))
        self._frames += 1

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def _prepare(target: str | Path, overwrite: bool, storage_options: dict[str, Any]) -> Any:
    """The file system and root of ``target``, a folder made empty of an earlier run's
    parts (``overwrite``) or refused when it holds files."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(str(target), **storage_options)
    root = root.rstrip("/")
    if fs.exists(root):
        if not fs.isdir(root):
            raise InputFileError(f"output {target} is a file; give the path of a folder")
        found = fs.ls(root, detail=False)
        ours = [p for p in found if p.rsplit("/", 1)[-1].startswith("part-")]
        ours += [p for p in found if p.rsplit("/", 1)[-1] == SUMMARY_FILE]
        if found and not overwrite:
            raise InputFileError(
                f"output folder {target} is not empty; give a new folder, or "
                "overwrite=True to replace the part files of an earlier run"
            )
        if len(ours) != len(found):
            raise InputFileError(
                f"output folder {target} holds files other than a run's part files; "
                "give a new folder (overwrite=True replaces only part files)"
            )
        for path in ours:
            fs.rm(path)
    fs.makedirs(root, exist_ok=True)
    return fs, root


def evaluate_to_dataset(
    source: dd.DataFrame | str | Path,
    target: str | Path,
    ruleset: Ruleset | str | Path = "red-default",
    *,
    output_format: OutputFormat = "parquet",
    plugins: Sequence[object] = (),
    load_entrypoints: bool | None = None,
    strict: bool = False,
    reasons: Reasons = "text",
    raw: bool = False,
    overwrite: bool = False,
    batch_rows: int = BATCH_ROWS,
    storage_options: dict[str, Any] | None = None,
) -> DaskRun:
    """Evaluate ``source`` (a Dask DataFrame of profiles, or a path, glob or URL of CSV or
    Parquet files read with :func:`~kolrules.dask.read_profiles`) with ``ruleset`` on the
    current Dask scheduler (the ``distributed.Client`` made last, else Dask's default),
    and write the decisions under the folder ``target``: a file ``part-NNNNN.parquet`` (or
    ``.csv``) per partition, in row order, then ``_summary.json``.

    The decisions are exactly those of :meth:`kolrules.Engine.evaluate_to_file` on the
    same rows: the columns of the ``csv`` format, rows numbered across the partitions,
    duplicate ids found across them. The CSV parts hold the csv format's text, each with
    the header: without the headers of all parts but the first, they join into the file
    the CLI writes. ``plugins`` are module names (or ``"no:NAME"``) that every worker can
    import; the workers build the engine from the resolved ruleset (see
    :class:`~kolrules.dask.EngineRecipe`), so they need none of the ruleset's files.

    The input is read twice: once for the ids and the partitions' lengths, once for the
    decisions.
    """
    require_dask()
    from dask.base import compute as dask_compute
    from dask.delayed import delayed as dask_delayed

    compute: Callable[..., tuple[Any, ...]] = dask_compute
    delayed: Callable[..., Any] = dask_delayed
    if output_format not in _SUFFIX:
        raise KolrulesError(
            f"output format {output_format!r}: kolrules.dask writes 'parquet' or 'csv'"
        )
    options = storage_options or {}
    recipe, engine = EngineRecipe.of(
        ruleset, plugins=plugins, load_entrypoints=load_entrypoints, strict=strict
    )
    frame = (
        read_profiles(source, storage_options=options) if isinstance(source, str | Path) else source
    )
    _check_columns(engine, [str(c) for c in frame.columns], source)
    fs, root = _prepare(target, overwrite, options)
    out = _Output(fs, root, output_format, reasons, raw, batch_rows)

    # The first pass: lengths and shared ids.
    started = time.perf_counter()
    partitions: Callable[[], list[Any]] = frame.to_delayed
    parts = partitions()
    count = max(1, math.ceil(len(parts) / _PARTS_PER_BUCKET))
    first = delayed(_first_pass, pure=True)
    ids = [first(recipe, p, k, batch_rows, count) for k, p in enumerate(parts)]
    lengths = [delayed(_rows, pure=True)(i) for i in ids]
    bucket = delayed(_bucket, pure=True)
    reduce = delayed(shared_ids, pure=True)
    shared_by_bucket = [reduce([bucket(i, b) for i in ids], lengths) for b in range(count)]
    rows, found = compute(lengths, shared_by_bucket)
    shared = _by_part(found, len(parts))

    # The second pass: the decisions, written.
    first_s = time.perf_counter() - started
    parts = partitions()
    write = delayed(_write_part, pure=False)
    offsets = [sum(rows[:k]) for k in range(len(parts))]
    tasks = [write(recipe, p, k, offsets[k], shared[k], out) for k, p in enumerate(parts)]
    results: list[dict[str, int]] = list(compute(*tasks))
    _check_lengths(rows, [r["rows"] for r in results])
    second_s = time.perf_counter() - started - first_s

    summary = _summary(results, recipe, source, target)
    paths = tuple(out.path(k) for k in range(len(parts)))
    _write_summary(out, summary, paths)
    return DaskRun(summary, paths, sum(s.height for s in shared), first_s, second_s)


def _check_columns(engine: Engine, columns: list[str], source: object) -> None:
    """The input's columns checked on the client, as the local path checks a file's
    headers (a required field without a column), before any partition is read."""
    import polars as pl

    try:
        engine.normalise_frame(pl.DataFrame(schema=dict.fromkeys(columns, pl.String)))
    except InputFileError as exc:
        raise InputFileError(f"input {source_name(source)}: {exc}") from None


def _check_lengths(first: Sequence[int], second: Sequence[int]) -> None:
    """The partitions had the same lengths in both passes, or the rows were numbered (and
    their duplicates found) wrong: say so rather than leave a wrong dataset behind."""
    for part, (a, b) in enumerate(zip(first, second, strict=True)):
        if a != b:
            raise KolrulesError(
                f"partition {part} gave {a} rows in the first pass and {b} in the second: "
                "the source must give the same rows each time it is computed (read it from "
                "files, or persist it first); the output folder is incomplete"
            )


def _by_part(found: Sequence[pl.DataFrame], parts: int) -> list[pl.DataFrame]:
    """The shared ids of each partition (``id`` and ``row``), from every bucket's."""
    import polars as pl

    every = pl.concat(found)
    split = every.partition_by("part", as_dict=True, include_key=False)
    empty = every.drop("part").clear()
    return [split.get((k,), empty) for k in range(parts)]


def _summary(
    results: Sequence[dict[str, int]], recipe: EngineRecipe, source: object, target: str | Path
) -> Summary:
    counts = {
        key: sum(r[key] for r in results) for key in ("accepted", "review", "rejected", "errors")
    }
    rows = sum(r["rows"] for r in results)
    return Summary(rows, counts, recipe.ref, source_name(source), str(target))


def _write_summary(out: _Output, summary: Summary, paths: Sequence[str]) -> None:
    ref = summary.ruleset
    doc = {
        "summary": summary.summary(),
        "ruleset": {"name": ref.name, "version": ref.version, "hash": ref.hash},
        "source": summary.source,
        "format": out.format,
        "parts": [p.rsplit("/", 1)[-1] for p in paths],
    }
    with out.fs.open(f"{out.root}/{SUMMARY_FILE}", "w", encoding="utf-8") as stream:
        json.dump(doc, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
