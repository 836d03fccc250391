"""An engine as a worker rebuilds it: :class:`EngineRecipe`.

An :class:`~kolrules.Engine` holds a plugin manager (modules, hook callers) and cannot be
pickled. What a worker needs to build the same engine is small and picklable: the
*resolved* ruleset (the :class:`~kolrules.ruleset.Ruleset` value, its ``extends`` chain
already merged: no file of the client's is read again), the plugins by module name, the
strict flag and whether entry points are loaded. A worker builds the engine from the
recipe once per process and keeps it (:meth:`EngineRecipe.engine`).

The worker checks that it runs the client's kolrules and polars, and that it loaded the
same plugins: a plugin missing on a worker, or one more there, would give other decisions
(or none) without anyone seeing why.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import attrs

from kolrules.engine import Engine
from kolrules.errors import KolrulesError, PluginError
from kolrules.plugins.manager import ENV_AUTOLOAD_OFF, PluginsDir
from kolrules.ruleset import Ruleset

if TYPE_CHECKING:
    from kolrules.types import RulesetRef

__all__ = ["EngineRecipe", "WorkerMismatchError"]


class WorkerMismatchError(KolrulesError):
    """A worker cannot build the client's engine as it is: another version of kolrules or
    polars, or other plugins."""


def _versions() -> tuple[str, str]:
    return metadata.version("kolrules"), metadata.version("polars")


def _plugin_names(engine: Engine) -> tuple[str, ...]:
    return tuple(sorted(name for name, _ in engine.plugin_manager.list_name_plugin()))


def _module_names(plugins: Sequence[object]) -> tuple[str, ...]:
    """``plugins`` as names a worker can import: module names and ``no:NAME`` as given, a
    module object by its name."""
    names = []
    for plugin in plugins:
        if isinstance(plugin, str):
            names.append(plugin)
        elif isinstance(plugin, PluginsDir | Path):
            raise PluginError(
                f"kolrules.dask cannot send the plugins directory {plugin} to the workers; "
                "make it an installed package (see docs/plugins/discovery.md) and install "
                "it on every worker, then name its module in plugins=[...]"
            )
        elif isinstance(plugin, ModuleType):
            names.append(plugin.__name__)
        else:
            raise PluginError(
                f"kolrules.dask takes plugins by module name (the workers import them), not "
                f"{type(plugin).__name__} objects; put the plugin in an installed module and "
                "name it in plugins=[...]"
            )
    return tuple(names)


#: The engines built in this process, by recipe, oldest first; at most :data:`MAX_ENGINES`.
_CACHE: dict[EngineRecipe, Engine] = {}
_LOCK = threading.Lock()
#: Engines a process keeps (a long-lived worker may serve runs of many rulesets).
MAX_ENGINES = 8


def _keep(recipe: EngineRecipe, engine: Engine) -> Engine:
    """``engine`` kept for ``recipe`` (or the one another thread kept first)."""
    with _LOCK:
        if recipe not in _CACHE and len(_CACHE) >= MAX_ENGINES:
            del _CACHE[next(iter(_CACHE))]
        return _CACHE.setdefault(recipe, engine)


@attrs.frozen
class EngineRecipe:
    """What a Dask worker needs to build the client's engine (see the module's doc).

    Make one with :meth:`of`; a worker calls :meth:`engine`. ``key`` is a digest of the
    recipe (the ruleset's pickled value included): the per-process cache is keyed by it."""

    ruleset: Ruleset = attrs.field(eq=False, repr=False)
    plugins: tuple[str, ...]
    load_entrypoints: bool
    strict: bool
    #: The plugins the client's engine loaded (registered names, sorted).
    loaded: tuple[str, ...] = attrs.field(eq=False)
    #: kolrules' and polars' versions on the client.
    versions: tuple[str, str] = attrs.field(eq=False)
    key: str = attrs.field(default="")

    @classmethod
    def of(
        cls,
        ruleset: Ruleset | str | Path = "red-default",
        *,
        plugins: Sequence[object] = (),
        load_entrypoints: bool | None = None,
        strict: bool = False,
    ) -> tuple[EngineRecipe, Engine]:
        """The recipe of an engine built here, on the client, and that engine (built
        first, so a ruleset or plugin error is raised here rather than on every worker)."""
        names = _module_names(plugins)
        if load_entrypoints is None:
            load_entrypoints = not os.environ.get(ENV_AUTOLOAD_OFF)
        engine = Engine(ruleset, plugins=names, load_entrypoints=load_entrypoints, strict=strict)
        parts = (engine.ruleset, names, load_entrypoints, strict, _plugin_names(engine))
        digest = hashlib.sha256(pickle.dumps(parts)).hexdigest()
        recipe = cls(*parts, versions=_versions(), key=digest)
        return recipe, _keep(recipe, engine)

    @property
    def ref(self) -> RulesetRef:
        """The ruleset's name, version, hash and files, as the client loaded it."""
        return self.ruleset.ref

    def engine(self) -> Engine:
        """The engine, built at the first call in this process and kept for the next."""
        with _LOCK:
            found = _CACHE.get(self)
        if found is not None:
            return found
        self._check_versions()
        built = Engine(
            self.ruleset,
            plugins=self.plugins,
            load_entrypoints=self.load_entrypoints,
            strict=self.strict,
        )
        self._check_plugins(built)
        return _keep(self, built)

    def _check_versions(self) -> None:
        here = _versions()
        if here != self.versions:
            raise WorkerMismatchError(
                f"worker {socket.gethostname()} runs kolrules {here[0]} with polars "
                f"{here[1]}, the client kolrules {self.versions[0]} with polars "
                f"{self.versions[1]}; install the client's versions on every worker"
            )

    def _check_plugins(self, engine: Engine) -> None:
        here = set(_plugin_names(engine))
        missing = sorted(set(self.loaded) - here)
        extra = sorted(here - set(self.loaded))
        if missing or extra:
            said = []
            if missing:
                said.append(f"lacks {', '.join(missing)} (install it on every worker)")
            if extra:
                said.append(
                    f"also loads {', '.join(extra)} (uninstall it there, or block it with "
                    "plugins=['no:NAME'] on the client)"
                )
            raise WorkerMismatchError(
                f"worker {socket.gethostname()} " + " and ".join(said) + ", so it would decide "
                "differently from the client"
            )
