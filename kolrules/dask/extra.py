"""The ``dask`` extra: what a call of :mod:`kolrules.dask` checks first."""

from __future__ import annotations

import importlib.util

from kolrules.errors import KolrulesError

__all__ = ["require_dask"]

#: The modules of the extra, each with the package that installs it.
_NEEDED = {"dask.dataframe": "dask[dataframe]", "distributed": "distributed", "pyarrow": "pyarrow"}


def require_dask() -> None:
    """Raise, saying what to install, when a package of the ``dask`` extra is missing."""
    missing = []
    for module, package in _NEEDED.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # the parent package is missing
            found = False
        if not found:
            missing.append(package)
    if missing:
        raise KolrulesError(
            f"kolrules.dask needs {', '.join(missing)}: pip install 'kolrules[dask]' "
            "(on the client and on every worker)"
        )
