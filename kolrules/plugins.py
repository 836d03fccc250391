"""Plugin loading and the registry of kinds each engine resolves once.

Load order (later plugins' hooks run first, as pluggy calls LIFO):

1. kolrules' essential plugins (readers, reporters, the bundled rulesets): always loaded;
2. the first-party plugins in :data:`DEFAULT_PLUGINS` (RED, Weibo, WeChat, scoring),
   registered from this tuple, not from entry points, so they survive autoload being off;
3. third-party plugins from the ``kolrules`` entry-point group, unless
   ``KOLRULES_DISABLE_PLUGIN_AUTOLOAD`` is set;
4. plugins passed explicitly (``Engine(plugins=[...])``).

Every engine gets its own plugin manager: there is no import-time global state.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import attrs
import pluggy

from kolrules import hookspecs
from kolrules.errors import PluginError, UnknownKindError
from kolrules.types import Platform, Reader, Reporter, Scorer

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "ESSENTIAL_PLUGINS",
    "Registry",
    "make_plugin_manager",
]

#: Loaded in every engine; they carry kolrules' own readers, reporters and rulesets.
ESSENTIAL_PLUGINS = ("kolrules.read", "kolrules.report", "kolrules.ruleset")
#: First-party plugins shipped in the kolrules wheel, registered under these short names.
DEFAULT_PLUGINS: Mapping[str, str] = {
    "red": "kolrules_red",
    "weibo": "kolrules_weibo",
    "wechat": "kolrules_wechat",
    "scoring": "kolrules_scoring",
}
#: The entry-point group third-party plugins register under.
ENTRY_POINT_GROUP = "kolrules"
_AUTOLOAD_OFF = "KOLRULES_DISABLE_PLUGIN_AUTOLOAD"


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise PluginError(f"error importing plugin {name!r}: {type(exc).__name__}: {exc}") from exc


def make_plugin_manager(
    plugins: Sequence[object] = (), *, load_entrypoints: bool | None = None
) -> pluggy.PluginManager:
    """A fresh plugin manager with kolrules' hooks and plugins loaded in the documented order.

    ``plugins`` are modules, objects or importable module names. ``load_entrypoints``
    defaults to true unless ``KOLRULES_DISABLE_PLUGIN_AUTOLOAD`` is set.
    """
    pm = pluggy.PluginManager("kolrules")
    pm.add_hookspecs(hookspecs)
    for name in ESSENTIAL_PLUGINS:
        pm.register(_import(name), name=name)
    for short, module in DEFAULT_PLUGINS.items():
        pm.register(_import(module), name=short)
    if load_entrypoints is None:
        load_entrypoints = not os.environ.get(_AUTOLOAD_OFF)
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:
            raise PluginError(
                f"error loading a plugin from the {ENTRY_POINT_GROUP!r} entry points: {exc}"
            ) from exc
    for plugin in plugins:
        obj = _import(plugin) if isinstance(plugin, str) else plugin
        # Name every plugin readably (pluggy would name an instance by its id()), so the
        # errors below can say which plugin failed.
        label = name = _plugin_label(obj)
        while pm.has_plugin(name):
            name = f"{label}#{len(pm.get_plugins())}"
        try:
            pm.register(obj, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"cannot register plugin {_plugin_label(obj)}: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {_plugin_label(exc.plugin)}: {exc}") from exc
    return pm


def _plugin_label(plugin: object) -> str:
    return getattr(plugin, "__name__", None) or type(plugin).__name__


K = TypeVar("K")


def _results(
    pm: pluggy.PluginManager, hook: str, reverse: bool = True
) -> Iterator[tuple[str, object]]:
    """Call one registration hook plugin by plugin, yielding ``(plugin name, item)``; a hook
    that raises or returns something other than a list is a :class:`PluginError`."""
    impls = getattr(pm.hook, hook).get_hookimpls()
    for impl in reversed(impls) if reverse else impls:
        plugin = impl.plugin_name
        try:
            result = impl.function()
        except Exception as exc:
            raise PluginError(
                f"plugin {plugin!r} failed in {hook}: {type(exc).__name__}: {exc}"
            ) from exc
        if result is None:
            continue
        if isinstance(result, str | bytes | os.PathLike) or not isinstance(result, Iterable):
            raise PluginError(
                f"plugin {plugin!r} returned {type(result).__name__} from {hook}; expected a list"
            )
        for item in result:
            yield plugin, item


def _collect(
    pm: pluggy.PluginManager,
    hook: str,
    kind: str,
    cls: type[K],
    names: Callable[[K], Iterable[str]],
) -> tuple[dict[str, K], dict[str, str]]:
    """Call one registration hook plugin by plugin; refuse a name claimed twice."""
    found: dict[str, K] = {}
    owner: dict[str, str] = {}
    for plugin, item in _results(pm, hook):
        if not isinstance(item, cls):
            raise PluginError(
                f"plugin {plugin!r} returned {type(item).__name__} from {hook}; "
                f"expected {cls.__name__}"
            )
        for name in names(item):
            key = name.casefold()
            if key in found and found[key] is not item:
                raise PluginError(
                    f"{kind} name {name!r} is registered by plugin {owner[key]!r} "
                    f"and by plugin {plugin!r}; disable one of them"
                )
            found[key] = item
            owner[key] = plugin
    return found, owner


def _ruleset_dirs(pm: pluggy.PluginManager) -> tuple[list[Path], dict[str, str]]:
    """Every plugin's ruleset directories, in registration order, and who registered each."""
    hook = "kolrules_rulesets_register"
    dirs: list[Path] = []
    owner: dict[str, str] = {}
    for plugin, item in _results(pm, hook, reverse=False):
        if not isinstance(item, str | os.PathLike):
            raise PluginError(
                f"plugin {plugin!r} returned {type(item).__name__} from {hook}; "
                "expected a directory"
            )
        path = Path(item)
        if not path.is_dir():
            raise PluginError(
                f"plugin {plugin!r} returned {str(path)!r} from {hook}: not a directory"
            )
        dirs.append(path)
        owner.setdefault(str(path), plugin)
    return dirs, owner


@attrs.frozen
class Registry:
    """Every kind the plugins registered, resolved once per engine."""

    platforms: Mapping[str, Platform]
    scorers: Mapping[str, Scorer]
    readers: Mapping[str, Reader]
    reporters: Mapping[str, Reporter]
    ruleset_dirs: tuple[Path, ...]
    owners: Mapping[tuple[str, str], str]

    @classmethod
    def collect(cls, pm: pluggy.PluginManager) -> Registry:
        platforms, po = _collect(
            pm, "kolrules_platforms_register", "platform", Platform, Platform.names
        )
        scorers, so = _collect(
            pm, "kolrules_scorers_register", "scoring strategy", Scorer, lambda s: [s.name]
        )
        readers, ro = _collect(
            pm, "kolrules_readers_register", "input format", Reader, lambda r: [r.name]
        )
        reporters, eo = _collect(
            pm, "kolrules_reporters_register", "output format", Reporter, lambda r: [r.name]
        )
        dirs, do = _ruleset_dirs(pm)
        owners: dict[tuple[str, str], str] = {}
        tables = {"platform": po, "scorer": so, "reader": ro, "reporter": eo, "ruleset_dir": do}
        for kind, table in tables.items():
            owners.update({(kind, k): v for k, v in table.items()})
        return cls(platforms, scorers, readers, reporters, tuple(dirs), owners)

    def platform(self, name: str) -> Platform:
        """A platform by name or alias (case-insensitive)."""
        found = self.platforms.get(name.casefold())
        if found is None:
            known = sorted({p.name for p in self.platforms.values()})
            raise UnknownKindError("platform", name, known)
        return found

    def scorer(self, name: str) -> Scorer:
        return _get(self.scorers, name, "scoring strategy")

    def reader(self, name: str) -> Reader:
        return _get(self.readers, name, "input format")

    def reporter(self, name: str) -> Reporter:
        return _get(self.reporters, name, "output format")


def _get(table: Mapping[str, K], name: str, kind: str) -> K:
    found = table.get(name.casefold())
    if found is None:
        raise UnknownKindError(kind, name, sorted(table))
    return found


def _first_party(plugin: object) -> bool:
    """Whether ``plugin`` is shipped in the kolrules wheel (a third-party module may well be
    called ``kolrules_something`` too)."""
    name = getattr(plugin, "__name__", "")
    return name == "kolrules" or name.startswith("kolrules.") or name in DEFAULT_PLUGINS.values()


def describe_plugins(pm: pluggy.PluginManager, registry: Registry) -> list[dict[str, Any]]:
    """Each plugin's name, distribution and version, hooks, and the kinds it registered."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        if dist is not None:
            dist_name, version = dist.project_name, dist.version
        elif _first_party(plugin):
            from kolrules import __version__

            dist_name, version = "kolrules", __version__
        else:
            dist_name, version = None, None
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ())
        kinds: dict[str, list[str]] = {}
        for (kind, key), owner in registry.owners.items():
            if owner == name:
                shown = registry.platforms[key].name if kind == "platform" else key
                kinds.setdefault(kind + "s", [])
                if shown not in kinds[kind + "s"]:
                    kinds[kind + "s"].append(shown)
        out.append(
            {
                "name": name,
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "distribution": dist_name,
                "version": version,
                "hooks": hooks,
                "registers": {k: sorted(v) for k, v in sorted(kinds.items())},
            }
        )
    return out
