"""Duplicate ids across partitions: the first pass of a Dask run.

On the streamed path (:meth:`kolrules.Engine.decision_frames`) a row is a duplicate when
an earlier row with the same id was *evaluated* (a row rejected for another reason does
not claim its id); batches are read in order, so a :class:`~kolrules.normalise.SeenIds`
carries the ids of the batches before. Dask evaluates the partitions at once, so this
module works out beforehand, for each partition, the only entries of that ``SeenIds`` it
can use: the ids it shares with an earlier partition that evaluated them first, each with
the (global) row that did.

1. :func:`partition_ids`, on each partition: its length and every distinct id in it with
   the partition's first evaluated row of it (null when no row of it is evaluated), found
   with the streamed path's own normalising, split into buckets by the id's hash
   (:func:`buckets`);
2. :func:`shared_ids`, on each bucket, across the partitions: the ``(part, id, row)`` of
   each id present in a partition after the one that first evaluated it;
3. :func:`seen_ids`, in each partition's second pass: a ``SeenIds`` holding its entries.

Only ids (not rows) move between workers, and what comes back to the client is one entry
per id repeated across partitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from kolrules.normalise import BAD, MAX_CELL, ROW, SeenIds, match_columns, normalise_frame

if TYPE_CHECKING:
    import polars as pl

    from kolrules.normalise import Schema

__all__ = ["PartitionIds", "buckets", "partition_ids", "seen_ids", "shared_ids"]

#: Seed of the hash that puts an id in its bucket (the same in every process of a run:
#: the recipe checks that the workers run the client's polars).
_BUCKET_SEED = 0x6B6F6C72


@attrs.frozen
class PartitionIds:
    """A partition's length and its ids by bucket: frames of ``id`` (distinct) and
    ``first`` (the partition's first evaluated row of it, from 1; null when none)."""

    rows: int
    buckets: tuple[pl.DataFrame, ...]


def partition_ids(
    df: pl.DataFrame, schema: Schema, *, batch_rows: int, bucket_count: int
) -> PartitionIds:
    """The ids of the partition ``df`` (see :class:`PartitionIds`), read batch by batch as
    the second pass will read it."""
    import polars as pl

    df = df.select(_deciding_columns(df, schema))
    seen = SeenIds()
    present: list[pl.DataFrame] = []
    evaluated: list[pl.DataFrame] = []
    for at in range(0, df.height, batch_rows):
        norm = normalise_frame(df.slice(at, batch_rows), schema, offset=at, seen=seen)
        named = norm.rows.select(ROW, "id", BAD).filter(pl.col("id").is_not_null())
        present.append(named.select("id"))
        evaluated.append(named.filter(pl.col(BAD).not_()).select("id", pl.col(ROW).alias("first")))
    if not present:
        empty = pl.DataFrame(schema={"id": pl.String, "first": pl.Int64})
        return PartitionIds(0, tuple(empty for _ in range(bucket_count)))
    ids = pl.concat(present).unique(maintain_order=True)
    firsts = ids.join(pl.concat(evaluated), on="id", how="left", maintain_order="left")
    return PartitionIds(df.height, buckets(firsts, bucket_count))


def _deciding_columns(df: pl.DataFrame, schema: Schema) -> list[str]:
    """The columns of ``df`` that decide a row's id and whether it can be evaluated: the
    id, the platform and the required fields (whose unreadable cells are row errors), and
    any other field's column holding a cell longer than :data:`MAX_CELL` bytes (a cell too
    long is a row error in any field); every column in strict mode (every unreadable cell
    is a row error). The other cells only make data errors, which do not change whether a
    row claims its id: normalising without them finds the same rows, faster."""
    import polars as pl

    if schema.strict:
        return df.columns
    mapping = match_columns(df.columns, schema)
    deciding = {"id", "platform", *schema.platform.required}
    keep = {header for field, header in mapping.items() if field in deciding}
    texts = [h for f, h in mapping.items() if f not in deciding and df.schema[h] == pl.String]
    if texts:
        longest = df.select(pl.col(h).str.len_bytes().max() for h in texts).row(0)
        keep.update(h for h, n in zip(texts, longest, strict=True) if (n or 0) > MAX_CELL)
    return [c for c in df.columns if c in keep]


def buckets(frame: pl.DataFrame, count: int) -> tuple[pl.DataFrame, ...]:
    """``frame`` split by its ``id``'s hash into ``count`` frames (some may be empty)."""
    import polars as pl

    at = (pl.col("id").hash(seed=_BUCKET_SEED) % count).alias("__bucket")
    split = frame.with_columns(at).partition_by("__bucket", as_dict=True, include_key=False)
    empty = frame.clear()
    return tuple(split.get((b,), empty) for b in range(count))


def shared_ids(pieces: Sequence[pl.DataFrame], lengths: Sequence[int]) -> pl.DataFrame:
    """From one bucket of every partition (``pieces[k]`` is partition ``k``'s, ``lengths``
    the partitions' lengths): ``part``, ``id`` and ``row`` for each id in partition
    ``part`` that an earlier partition evaluated first, at global row ``row``."""
    import polars as pl

    out_schema = {"part": pl.UInt32, "id": pl.String, "row": pl.Int64}
    offset = 0
    frames = []
    for part, (piece, length) in enumerate(zip(pieces, lengths, strict=True)):
        if piece.height:
            frames.append(
                piece.select(
                    pl.lit(part, dtype=pl.UInt32).alias("part"),
                    pl.col("id").cast(pl.String),
                    (pl.col("first").cast(pl.Int64) + offset).alias("first"),
                )
            )
        offset += length
    if not frames:
        return pl.DataFrame(schema=out_schema)
    every = pl.concat(frames).filter(pl.len().over("id") > 1)
    firsts = (
        every.filter(pl.col("first").is_not_null())
        .group_by("id")
        .agg(pl.col("part").min().alias("from"), pl.col("first").min().alias("row"))
    )
    return (
        every.join(firsts, on="id")
        .filter(pl.col("part") > pl.col("from"))
        .select("part", "id", "row")
        .sort("part", "row")
    )


def seen_ids(entries: pl.DataFrame) -> SeenIds:
    """A :class:`SeenIds` holding ``entries`` (``id`` and ``row``, as :func:`shared_ids`
    gives them for one partition): what the streamed path has seen of the partition's ids
    when it reaches it."""
    seen = SeenIds()
    seen.add(entries.get_column("id"), entries.get_column("row"))
    return seen
