"""The candidates of a plan: every row of an input, evaluated by an
:class:`~kolrules.engine.Engine` on the columnar path, as one frame of what planning needs.

:data:`CANDIDATE_COLUMNS`, one row per input row, in input order:

- ``row``, ``id``; ``status`` (``evaluated`` or ``error``), ``verdict``, ``tier``,
  ``score``, ``quote``, ``band_min``, ``band_max``, ``gifting``, as in the decisions;
- ``engagement`` (the ruleset's ``[pricing] engagement``, its expected engagement per post),
  ``followers`` and ``reads`` (average reads, ``avg_views``); a value that is not a finite
  number is missing;
- ``reason``: the first reason of the decision (the most severe), ``error``: why a row
  could not be evaluated;
- ``offer`` and ``walk_away`` (:mod:`kolrules.planner.offers`).

It is not the place that decides who may be booked (:mod:`kolrules.planner.screen`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kolrules.evaluate import decision_frame, evaluate_columns
from kolrules.planner.offers import offer_columns
from kolrules.planner.settings import Pricing

if TYPE_CHECKING:
    import polars as pl

    from kolrules.engine import Engine

__all__ = ["CANDIDATE_COLUMNS", "candidate_frame", "read_candidates"]

#: The columns taken as they are from the decision frame.
_DECIDED = (
    "row",
    "id",
    "status",
    "verdict",
    "tier",
    "score",
    "quote",
    "band_min",
    "band_max",
    "gifting",
)
CANDIDATE_COLUMNS = (
    *_DECIDED,
    "engagement",
    "followers",
    "reads",
    "reason",
    "error",
    "offer",
    "walk_away",
)


def read_candidates(
    engine: Engine,
    source: str | Path,
    pricing: Pricing,
    *,
    input_format: str | None = None,
    sheet: str | int | None = None,
) -> pl.DataFrame:
    """The candidates of the file ``source`` (any input format the engine reads)."""
    path = Path(source)
    return candidate_frame(
        engine, engine.reader(path, input_format, sheet=sheet).read(path), pricing
    )


def candidate_frame(engine: Engine, df: pl.DataFrame, pricing: Pricing) -> pl.DataFrame:
    """The candidates of a frame of raw rows (as read from a file)."""
    import polars as pl

    plan = engine.plan_for(df.columns)
    norm = engine.normalise_frame(df)
    out = evaluate_columns(plan, norm.rows)
    decided = decision_frame(
        plan, out, norm.row_errors, norm.data_errors, reasons="text", joined=False
    )

    def finite(name: str) -> pl.Expr:
        if name not in out.columns:
            return pl.lit(None, dtype=pl.Float64).alias(name)
        value = pl.col(name).cast(pl.Float64)
        return pl.when(value.is_finite()).then(value).alias(name)

    measures = out.select(
        finite("engagement"), finite("followers"), finite("avg_views").alias("reads")
    )
    frame = pl.concat(
        [
            decided.select(_DECIDED),
            measures,
            decided.select(
                pl.col("reasons").list.first().alias("reason"), pl.col("errors").alias("error")
            ),
        ],
        how="horizontal",
    )
    return frame.with_columns(offer_columns(pricing)).select(CANDIDATE_COLUMNS)
