"""What a Dask run reads: a Dask DataFrame, or a glob of CSV or Parquet files read into
one (:func:`read_profiles`), and its partitions as polars frames (:func:`to_polars`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kolrules.dask.extra import require_dask
from kolrules.errors import InputFileError

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    import polars as pl

__all__ = ["CSV_BLOCKSIZE", "read_profiles", "source_name", "to_polars"]

#: Bytes of CSV per partition: about 100,000 rows of a typical export (a batch of the
#: streamed path), whose decisions a worker builds in a few hundred MB; many partitions
#: keep every worker busy to the end.
CSV_BLOCKSIZE = 8_000_000

_CSV = {".csv": ",", ".txt": None, ".tsv": "\t"}
_PARQUET = (".parquet", ".pq")


def _suffix(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1]
    return Path(name.replace("*", "x")).suffix.casefold()


def read_profiles(
    source: str | Path,
    *,
    blocksize: int = CSV_BLOCKSIZE,
    encoding: str = "utf-8-sig",
    sep: str | None = None,
    engine: str = "pyarrow",
    storage_options: dict[str, Any] | None = None,
) -> dd.DataFrame:
    """A Dask DataFrame of the profiles in ``source``: a path, a glob or a URL that fsspec
    reads (``s3://bucket/exports/*.csv``) of CSV files (``.csv``, ``.tsv``, ``.txt``) or
    Parquet files (``.parquet``, ``.pq``). Several files are one input, in name order: rows
    are numbered across them and an id is a duplicate across them.

    CSV cells are read as text, exactly as written (an empty cell is missing), as
    kolrules' own reader reads them; ``blocksize`` bytes make a partition. ``encoding``
    (default UTF-8, with or without a byte-order mark: pass ``"gb18030"`` for a GBK export)
    and ``sep`` (default: a comma, a tab for ``.tsv``) are not sniffed as the CLI sniffs
    them. A cell holding a line break splits badly at a block's edge: give such files
    ``blocksize=None`` (a partition per file). ``engine`` is pandas' CSV parser:
    ``"pyarrow"`` (the default, about 3 times faster) or ``"c"`` (for an option pyarrow's
    parser does not take).
    """
    require_dask()
    import dask.dataframe as dd

    text = str(source)
    suffix = _suffix(text)
    options = storage_options or {}
    if suffix not in (*_PARQUET, *_CSV):
        raise InputFileError(
            f"input {text}: kolrules.dask reads CSV (.csv, .tsv, .txt) and Parquet (.parquet, "
            ".pq) files; read other formats into a Dask DataFrame (dask.dataframe.read_json) "
            "and pass that"
        )
    frame: dd.DataFrame
    try:
        if suffix in _PARQUET:
            frame = dd.read_parquet(text, storage_options=options)
        else:
            frame = dd.read_csv(
                text,
                blocksize=blocksize,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=sep or _CSV[suffix] or ",",
                engine=engine,
                storage_options=options,
            )
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"input {text} cannot be read: {exc}; check the path or glob (and, for a URL, "
            "that fsspec's package for it is installed)"
        ) from None
    return frame


def source_name(source: object) -> str:
    """How a run's source is named in its summary."""
    if isinstance(source, str | Path):
        return str(source)
    return f"dask DataFrame of {getattr(source, 'npartitions', '?')} partitions"


def to_polars(partition: pd.DataFrame | pl.DataFrame) -> pl.DataFrame:
    """A partition as the polars frame the engine reads (a pandas NaN or None is missing)."""
    import polars as pl

    if isinstance(partition, pl.DataFrame):
        return partition
    return pl.from_pandas(partition, include_index=False)
