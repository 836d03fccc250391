"""kolrules on a Dask cluster: evaluate more profiles than one machine holds, partition by
partition on the columnar path, with exactly the decisions of the streamed path (rows
numbered across partitions, duplicate ids found across them), written as a partitioned
Parquet or CSV dataset. Needs the ``dask`` extra: ``pip install 'kolrules[dask]'``.

docs/scale.md says when to use it rather than the streamed CLI, and how to start a cluster.
"""

from __future__ import annotations

from kolrules.dask.recipe import EngineRecipe, WorkerMismatchError
from kolrules.dask.run import SUMMARY_FILE, DaskRun, OutputFormat, evaluate_to_dataset
from kolrules.dask.sources import CSV_BLOCKSIZE, read_profiles

__all__ = [
    "CSV_BLOCKSIZE",
    "SUMMARY_FILE",
    "DaskRun",
    "EngineRecipe",
    "OutputFormat",
    "WorkerMismatchError",
    "evaluate_to_dataset",
    "read_profiles",
]
