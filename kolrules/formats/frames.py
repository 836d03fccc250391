"""DataFrames in and out, for notebooks: pandas and Arrow beside polars.

kolrules works in polars. This module turns a pandas DataFrame or a pyarrow Table into the
polars frame the engine reads (:meth:`kolrules.Engine.evaluate_frame`), and a decision
frame into pandas or Arrow (:meth:`kolrules.types.Report.to_pandas`,
:meth:`~kolrules.types.Report.to_arrow`). pandas and pyarrow are the optional extra
``pandas`` (``pip install 'kolrules[pandas]'``): they are imported only here, when called,
and a call without them says what to install (:func:`require`).

What is missing in pandas is missing to kolrules: ``None``, a float NaN, ``pd.NA`` and
``pd.NaT``, in a typed column or in an object column that mixes them with text and
numbers, are empty cells, never data errors.
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "PANDAS_EXTRA",
    "arrow_of",
    "from_arrow",
    "from_pandas",
    "is_arrow_table",
    "is_pandas_frame",
    "pandas_of",
    "require",
    "with_decisions_arrow",
    "with_decisions_pandas",
]

#: What installs pandas and pyarrow with kolrules.
PANDAS_EXTRA = "pip install 'kolrules[pandas]'"


def require(what: str, *modules: str) -> None:
    """Raise :class:`ModuleNotFoundError` naming the extra when one of ``modules`` cannot
    be imported: ``Report.to_pandas() needs pandas and pyarrow, which are not installed:
    pip install 'kolrules[pandas]'``."""
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ModuleNotFoundError(
            f"{what} needs {' and '.join(missing)}, which {verb} not installed: {PANDAS_EXTRA}",
            name=missing[0],
        )


# -- in: pandas and Arrow to polars -----------------------------------------------------


def is_pandas_frame(value: object) -> bool:
    """Whether ``value`` is a pandas DataFrame (call it only when pandas is imported)."""
    import pandas as pd

    return isinstance(value, pd.DataFrame)


def is_arrow_table(value: object) -> bool:
    """Whether ``value`` is a pyarrow Table (call it only when pyarrow is imported)."""
    import pyarrow as pa

    return isinstance(value, pa.Table)


def from_pandas(frame: pd.DataFrame) -> pl.DataFrame:
    """``frame`` as a polars frame, column by column (the index is left out; a column name
    that is not a string is written with ``str``). A typed column is converted as it is,
    NaN as null. An object column is typed by Arrow when its cells have one type besides
    the missing ones (text, or numbers); one that mixes types (numbers and text, as a
    column read with ``dtype=object`` may), which Arrow refuses, is :func:`_mixed_column`."""
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    columns = []
    for i, name in enumerate(frame.columns):
        series = frame.iloc[:, i]
        if not pd.api.types.is_object_dtype(series.dtype):
            column = pl.from_pandas(series, nan_to_null=True)
        else:
            try:
                column = pl.Series(pa.array(series, from_pandas=True))
            except (pa.ArrowException, OverflowError):  # cells of several types
                column = _mixed_column(series.tolist())
        columns.append(column.alias(str(name)))
    return pl.DataFrame(columns, height=len(frame))


def _is_missing(value: Any) -> bool:
    """Whether a pandas cell is empty: ``None``, a float NaN, ``pd.NA`` or ``pd.NaT``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def _is_number(value: Any) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _mixed_column(values: list[Any]) -> pl.Series:
    """An object column of several types: the empty cells null; a Float64 column when
    every other cell is a number, else a String column, each number written as Python
    writes it (``12000``, ``3.5``, ``1e+20``: what the engine reads back as that number)
    and any other value with ``str`` (``True`` is then text: in a number field it is not
    a number, a data error, as a bool given one profile at a time is)."""
    import polars as pl

    cells = [None if _is_missing(v) else v for v in values]
    if all(v is None or _is_number(v) for v in cells):
        return pl.Series([None if v is None else float(v) for v in cells], dtype=pl.Float64)
    return pl.Series([None if v is None else _text(v) for v in cells], dtype=pl.String)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if _is_number(value):
        number = float(value)
        return str(int(value)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return str(value)


def from_arrow(table: pa.Table) -> pl.DataFrame:
    """A pyarrow Table as a polars frame (its nulls are missing; a NaN in a float column
    is missing too, as in any frame the engine reads)."""
    import polars as pl

    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a Table gives a frame
        raise TypeError(f"expected a pyarrow Table, got {type(table).__name__}")
    return frame


# -- out: a decision frame as pandas or Arrow -------------------------------------------


def arrow_of(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as a pyarrow Table: text as ``large_string`` (not ``string_view``, which
    pyarrow before 16 and many readers do not take), numbers ``double``, ``row``
    ``int64``, ``gifting`` ``bool``."""
    import polars as pl

    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def pandas_of(frame: pl.DataFrame) -> pd.DataFrame:
    """``frame`` as a pandas DataFrame with pandas' nullable dtypes, so that a missing
    value is ``pd.NA`` in every column and no column falls back to ``object``: ``Int64``,
    ``Float64``, ``boolean`` and ``string`` for polars' Int64, Float64, Boolean and
    String."""
    import pandas as pd
    import pyarrow as pa

    dtypes = {
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.large_string(): pd.StringDtype(),
        pa.string(): pd.StringDtype(),
    }
    converted: pd.DataFrame = arrow_of(frame).to_pandas(types_mapper=dtypes.get)
    return converted


def with_decisions_pandas(frame: pd.DataFrame, decided: pl.DataFrame) -> pd.DataFrame:
    """The caller's pandas ``frame`` as it was (its dtypes and index), then the columns of
    ``decided``, row for row."""
    import pandas as pd

    extra = decided.to_pandas()
    extra.index = frame.index
    return pd.concat([frame, extra], axis=1)


def with_decisions_arrow(table: pa.Table, decided: pl.DataFrame) -> pa.Table:
    """The caller's Arrow ``table`` as it was (its types and schema metadata), then the
    columns of ``decided``, row for row."""
    extra = arrow_of(decided)
    for name, column in zip(extra.column_names, extra.columns, strict=True):
        table = table.append_column(name, column)
    return table
