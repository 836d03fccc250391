"""Loading plugins into a fresh :class:`~kolrules.plugins.manager.PluginManager`, in the
documented order, with every failure worded.

Load order (documented in ``docs/plugins/discovery.md``; later plugins' hooks run first,
as pluggy calls LIFO):

1. kolrules' core plugins (:data:`ESSENTIAL_PLUGINS`: readers, reporters, the bundled
   rulesets): always loaded, they cannot be blocked;
2. the first-party plugins in :data:`DEFAULT_PLUGINS` (RED, Weibo, WeChat, scoring),
   registered from this table under their short names, not from entry points, so they
   survive autoload being off;
3. third-party plugins from the ``kolrules`` entry-point group, unless
   ``KOLRULES_DISABLE_PLUGIN_AUTOLOAD`` is set;
4. the modules named in ``KOLRULES_PLUGINS`` (comma-separated);
5. the plugins given explicitly: ``-p MODULE`` on the command line, ``Engine(plugins=[...])``;
6. every ``*.py`` file of a plugins directory (``--plugins-dir DIR``, :class:`PluginsDir`).

``-p no:NAME`` (``"no:NAME"`` in ``plugins``) and ``KOLRULES_DISABLE_PLUGINS=NAME,NAME``
block plugins before anything is loaded. A plugin answers to its registered name (the
short name of a first-party plugin, an entry point's name, a module's name, a plugins-dir
file's stem) and to its module's name; ``NAME`` also blocks ``kolrules_NAME``.

Every engine gets its own :class:`PluginManager`: there is no import-time global state.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from kolrules.errors import PluginError, UnknownKindError
from kolrules.plugins.blame import IMPORT_FAILURES, import_error, label, plugin_label, same_file
from kolrules.plugins.manager import (
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    ENV_AUTOLOAD_OFF,
    ENV_DISABLED,
    ENV_PLUGINS,
    ESSENTIAL_PLUGINS,
    PREFIX,
    PluginInfo,
    PluginManager,
    PluginsDir,
    Source,
    check_blocks,
)

__all__ = ["make_plugin_manager"]

_BLOCK = "no:"
_IMPL_MARK = "kolrules_impl"
_SPEC_MARK = "kolrules_spec"


_HOW = {
    "default": "shipped with kolrules",
    "entrypoint": f"from the {ENTRY_POINT_GROUP!r} entry points",
    "-p": "from -p",
    "env": f"from {ENV_PLUGINS}",
    "plugins-dir": "from --plugins-dir",
}


def _split(values: str | None) -> list[str]:
    return [v.strip() for v in (values or "").split(",") if v.strip()]


def make_plugin_manager(
    plugins: Sequence[object] = (),
    *,
    load_entrypoints: bool | None = None,
    environ: Mapping[str, str] | None = None,
    third_party_only: bool = False,
) -> PluginManager:
    """A fresh plugin manager with kolrules' hooks and plugins loaded in the documented order.

    ``plugins`` are modules, objects, importable module names (or entry-point names),
    ``"no:NAME"`` to block a plugin, and :class:`PluginsDir` directories.
    ``load_entrypoints`` defaults to true unless ``KOLRULES_DISABLE_PLUGIN_AUTOLOAD`` is
    set. ``environ`` (default: ``os.environ``, read now) supplies ``KOLRULES_PLUGINS``,
    ``KOLRULES_DISABLE_PLUGINS`` and ``KOLRULES_DISABLE_PLUGIN_AUTOLOAD``.

    ``third_party_only`` leaves out kolrules' core and first-party plugins (steps 1 and 2),
    for a question only third-party plugins answer (which commands they add): it then
    imports neither polars nor the engine. A block naming a first-party plugin is not
    checked then; the command that builds an engine checks it.
    """
    env = os.environ if environ is None else environ
    if load_entrypoints is None:
        load_entrypoints = not env.get(ENV_AUTOLOAD_OFF)
    explicit: list[object] = []
    blocks: dict[str, str] = {}
    dirs: list[PluginsDir] = []
    for plugin in plugins:
        if isinstance(plugin, str) and plugin.startswith(_BLOCK):
            name = plugin[len(_BLOCK) :].strip()
            check_blocks([name], f"-p {plugin}")
            blocks.setdefault(name, f"-p {_BLOCK}{name}")
        elif isinstance(plugin, PluginsDir):
            dirs.append(plugin)
        else:
            explicit.append(plugin)
    env_blocks = _split(env.get(ENV_DISABLED))
    check_blocks(env_blocks, f"{ENV_DISABLED}={env.get(ENV_DISABLED)}")
    loader = _Loader(PluginManager(), blocks, {n: f"{ENV_DISABLED}={n}" for n in env_blocks})

    for name in () if third_party_only else ESSENTIAL_PLUGINS:
        loader.add(loader.import_module(name, "default"), name, "default", first_party=True)
    for short, module in {} if third_party_only else DEFAULT_PLUGINS.items():
        if not loader.skip(short, module):
            mod = loader.import_module(module, "default")
            loader.add(mod, short, "default", first_party=True)
    if load_entrypoints:
        for ep in loader.entry_points():
            if not loader.skip(ep.name, ep.module):
                loader.load_entry_point(ep, "entrypoint")
    for name in _split(env.get(ENV_PLUGINS)):
        if name.startswith(_BLOCK):
            raise PluginError(
                f"{ENV_PLUGINS}: {name!r}: this variable names plugins to load; "
                f"block a plugin with {ENV_DISABLED}={name[len(_BLOCK) :]} instead"
            )
        loader.load_by_name(name, "env")
    for plugin in explicit:
        if isinstance(plugin, str):
            loader.load_by_name(plugin, "-p")
        else:
            loader.add_object(plugin, "-p")
    for folder in dirs:
        loader.load_dir(folder.path)
    if not third_party_only:
        loader.check_unused_blocks()
    _check_unknown_hooks(loader.pm)
    return loader.pm


class _Loader:
    """Loads plugins into one manager, honouring the blocks, and words every failure."""

    def __init__(
        self, pm: PluginManager, blocks: Mapping[str, str], env_blocks: Mapping[str, str]
    ) -> None:
        self.pm = pm
        self.blocks = {**env_blocks, **blocks}  # name -> where it was given
        self.cli_blocks = set(blocks)
        self.used_blocks: set[str] = set()
        self._eps: list[metadata.EntryPoint] | None = None
        self._ep_clashes: dict[str, metadata.EntryPoint] = {}

    # -- blocks -------------------------------------------------------------------------

    def _block(self, *names: str | None) -> str | None:
        for block in self.blocks:
            if any(n is not None and n in (block, PREFIX + block) for n in names):
                return block
        return None

    def skip(self, name: str, module: str | None) -> bool:
        """Whether the plugin ``name`` (from ``module``) is blocked; remembers that it is."""
        block = self._block(name, module)
        if block is None:
            return False
        self.used_blocks.add(block)
        self.pm.blocked_plugins[name] = self.blocks[block]
        return True

    def check_unused_blocks(self) -> None:
        """A ``-p no:NAME`` that blocked nothing is most likely a typo. (Names in
        ``KOLRULES_DISABLE_PLUGINS`` may be plugins that this machine does not have.)"""
        unused = [b for b in self.blocks if b in self.cli_blocks and b not in self.used_blocks]
        if not unused:
            return
        names = {n for n in self.pm.info if n not in ESSENTIAL_PLUGINS}
        names.update(self.pm.blocked_plugins)
        modules = {i.module for n, i in self.pm.info.items() if n not in ESSENTIAL_PLUGINS}
        for ep in self.entry_points():  # installed but not loaded: autoload is off
            names.add(ep.name)
            modules.add(ep.module)
        for block in unused:
            if not ({block, PREFIX + block} & (names | modules)):
                raise UnknownKindError("plugin", block, sorted(names))

    # -- loading ------------------------------------------------------------------------

    def entry_points(self) -> list[metadata.EntryPoint]:
        if self._eps is None:
            found = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
            self._eps = []
            seen: dict[str, metadata.EntryPoint] = {}
            for ep in found:
                other = seen.get(ep.name)
                if other is None:
                    seen[ep.name] = ep
                    self._eps.append(ep)
                elif _dist_name(other) != _dist_name(ep):  # the same one twice is fine
                    self._ep_clashes.setdefault(ep.name, ep)
        return self._eps

    def load_entry_point(self, ep: metadata.EntryPoint, source: Source) -> None:
        other = self._ep_clashes.get(ep.name)
        if other is not None:
            raise PluginError(
                f"two distributions register the {ENTRY_POINT_GROUP!r} entry point "
                f"{ep.name!r}: {_dist_label(ep)} ({ep.value}) and {_dist_label(other)} "
                f"({other.value}); uninstall one, or block this name with -p no:{ep.name} "
                f"or {ENV_DISABLED}={ep.name}"
            )
        dist = _dist_label(ep)
        what = f"plugin {ep.name!r} ({dist}, entry point {ep.name} = {ep.value})"
        hint = (
            f"upgrade or reinstall {_dist_name(ep) or 'it'}, or skip it with "
            f"-p no:{ep.name} or {ENV_DISABLED}={ep.name}"
        )
        try:
            plugin = ep.load()
        except IMPORT_FAILURES as exc:
            raise import_error(exc, what, ep.module, hint, hint) from exc
        version = ep.dist.version if ep.dist is not None else None
        self.add(plugin, ep.name, source, dist=_dist_name(ep), version=version, entry_point=ep)

    def load_by_name(self, name: str, source: Source) -> None:
        """``-p NAME`` / ``KOLRULES_PLUGINS``: a plugin already loaded under that name or
        module is left as it is; else an entry point of that name; else a module."""
        self._refuse_blocked(name, None, source)
        if self.pm.has_plugin(name) or any(i.module == name for i in self.pm.info.values()):
            return
        for ep in self.entry_points():
            if ep.name == name:
                self.load_entry_point(ep, source)
                return
        self.add_object(self.import_module(name, source), source)

    def _refuse_blocked(self, name: str, module: str | None, source: Source) -> None:
        block = self._block(name, module)
        if block is not None:
            raise PluginError(
                f"plugin {name!r} is asked for ({_HOW[source]}) and blocked "
                f"({self.blocks[block]}); drop one of the two"
            )

    def import_module(self, name: str, source: Source) -> ModuleType:
        what = f"plugin {name!r} ({_HOW[source]})"
        install = "or install the distribution that provides it"
        if source == "default":
            what = f"kolrules' own plugin {name!r}"
            missing = broken = "reinstall kolrules"
        elif source == "env":
            missing = f"check {ENV_PLUGINS}, {install}"
            broken = f"fix the plugin, or remove it from {ENV_PLUGINS}"
        else:
            missing = f"check the name given to -p, {install}"
            broken = "fix the plugin, or stop loading it with -p"
        try:
            return importlib.import_module(name)
        except IMPORT_FAILURES as exc:
            raise import_error(exc, what, name, missing, broken) from exc

    def load_dir(self, folder: Path) -> None:
        if not folder.is_dir():
            state = "is not a directory" if folder.exists() else "does not exist"
            raise PluginError(
                f"plugins directory {str(folder)!r} {state}; give a directory that holds "
                "plugin *.py files"
            )
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith(".") or not path.is_file() or self.skip(path.stem, path.stem):
                continue
            self.add(self._exec_file(path), path.stem, "plugins-dir")

    def _exec_file(self, path: Path) -> ModuleType:
        name = path.stem
        what = f"plugin {name!r} ({_HOW['plugins-dir']}, file {path})"
        existing = sys.modules.get(name)
        if existing is not None:
            if same_file(getattr(existing, "__file__", None), path):
                return existing
            raise PluginError(
                f"{what}: a module named {name!r} is already imported "
                f"({getattr(existing, '__file__', None) or 'built in'}); rename the file"
            )
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a *.py file always has one
            raise PluginError(f"{what}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # as an import does: dataclasses, pickle need it
        try:
            spec.loader.exec_module(module)
        except IMPORT_FAILURES as exc:
            del sys.modules[name]
            hint = f"fix the file, or move it out of {str(path.parent)!r}"
            raise import_error(exc, what, name, hint, hint, str(path)) from exc
        return module

    def add_object(self, plugin: object, source: Source) -> None:
        if isinstance(plugin, ModuleType) and self.pm.is_registered(plugin):
            return  # a module asked for twice (``-p kolrules_red``) is loaded once
        # Name every plugin readably (pluggy would name an instance by its id()), so the
        # errors can say which plugin failed.
        label = name = plugin_label(plugin)
        if not isinstance(plugin, ModuleType):
            self._refuse_blocked(name, None, source)
        while self.pm.has_plugin(name):
            name = f"{label}#{len(self.pm.get_plugins())}"
        self.add(plugin, name, source)

    def add(
        self,
        plugin: object,
        name: str,
        source: Source,
        *,
        first_party: bool = False,
        dist: str | None = None,
        version: str | None = None,
        entry_point: metadata.EntryPoint | None = None,
    ) -> None:
        """Check ``plugin``'s hook implementations, register it and record where it came from."""
        if first_party:
            from kolrules import __version__

            dist, version = "kolrules", __version__
        module = getattr(plugin, "__name__", None)
        if not isinstance(module, str):
            module = type(plugin).__module__
        path = getattr(plugin, "__file__", None)
        if path is None and not isinstance(plugin, ModuleType):
            path = getattr(sys.modules.get(module), "__file__", None)
        info = PluginInfo(
            name=name,
            source=source,
            module=module,
            path=str(path) if path else None,
            distribution=dist,
            version=version,
            entry_point=f"{entry_point.name} = {entry_point.value}" if entry_point else None,
        )
        if self.pm.has_plugin(name):
            taken = self.pm.info.get(name)
            raise PluginError(
                f"plugin {name!r} ({_HOW[source]}): the name {name!r} is already taken by "
                f"plugin {label(self.pm, name)}"
                f"{f' ({_HOW[taken.source]})' if taken else ''}; rename one of them"
            )
        self.pm.info[name] = info

        def what() -> str:  # only worked out for a message: it may look up distributions
            return f"plugin {self.pm.label(name)} ({_HOW[source]})"

        try:
            if self.pm.is_registered(plugin):
                raise PluginError(
                    f"{what()} is already registered as {self.pm.get_name(plugin)!r}; "
                    "pass each plugin object once"
                )
            _check_impls(self.pm, plugin, what)
            try:
                self.pm.register(plugin, name=name)
            except pluggy.PluginValidationError as exc:
                raise PluginError(f"{what()} was refused: {exc}") from exc
        except PluginError:
            del self.pm.info[name]
            raise


def _dist_name(ep: metadata.EntryPoint) -> str | None:
    return ep.dist.name if ep.dist is not None else None


def _dist_label(ep: metadata.EntryPoint) -> str:
    if ep.dist is None:
        return "distribution unknown"
    return f"distribution {ep.dist.name} {ep.dist.version}"


def _hook_names(pm: pluggy.PluginManager) -> list[str]:
    return sorted(n for n in vars(pm.hook) if n.startswith(PREFIX))


def _did_you_mean(name: str, hooks: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, hooks, n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


def _members(plugin: object) -> Iterator[tuple[str, Any]]:
    """The plugin's attributes named ``kolrules_*`` (no other attribute is touched)."""
    for attr in dir(plugin):
        if not attr.startswith(PREFIX):
            continue
        try:
            value = getattr(plugin, attr)
        except Exception:  # an attribute that cannot be read is no hook
            continue
        yield attr, value


def _check_impls(pm: pluggy.PluginManager, plugin: object, what: Callable[[], str]) -> None:
    """Refuse an undecorated ``kolrules_*`` function and a hook implementation taking
    arguments its spec does not pass, with a message saying how to fix either."""
    hooks = _hook_names(pm)
    for attr, obj in _members(plugin):
        if not inspect.isroutine(obj) or hasattr(obj, _SPEC_MARK):
            continue
        caller = getattr(pm.hook, attr, None)
        spec = caller.spec if caller is not None else None
        if not hasattr(obj, _IMPL_MARK):
            guess = "" if spec is not None else _did_you_mean(attr, hooks)
            raise PluginError(
                f"{what()}: {attr} is not decorated with @kolrules.hookimpl, so kolrules "
                f"would ignore it; {guess}add @kolrules.hookimpl above `def {attr}`, or "
                f"rename it if it is not a hook (names starting with {PREFIX} are kept "
                "for hooks)"
            )
        if spec is None:
            continue  # an unknown hook: reported once all plugins are loaded
        try:
            params = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):  # pragma: no cover - a builtin
            continue
        takes = [
            p.name
            for p in params
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        extra = [a for a in takes if a not in spec.argnames]
        if extra:
            passes = ", ".join(spec.argnames)
            raise PluginError(
                f"{what()}: hook {attr} has the wrong signature: it takes "
                f"{', '.join(extra)}, which kolrules does not pass (it passes "
                f"{'(' + passes + ')' if passes else 'no arguments'}); write "
                f"`def {attr}({passes})` (an implementation may take fewer of the hook's "
                "arguments, never others)"
            )


def _check_unknown_hooks(pm: PluginManager) -> None:
    """A ``@hookimpl`` whose name no spec has (a misspelled hook) is an error naming the
    plugin and the closest hook; pluggy's ``check_pending`` backs this up."""
    hooks = [h for h in _hook_names(pm) if getattr(pm.hook, h).has_spec()]
    for name, plugin in pm.list_name_plugin():
        for caller in pm.get_hookcallers(plugin) or ():
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not impl.optionalhook:
                    raise PluginError(
                        f"plugin {pm.label(name)} ({_HOW[pm.info[name].source]}): "
                        f"{caller.name} is not a kolrules hook; {_did_you_mean(caller.name, hooks)}"
                        f"the hooks are: {', '.join(hooks)} (see kolrules/hookspecs.py)"
                    )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # pragma: no cover - caught above
        raise PluginError(f"plugin {plugin_label(exc.plugin)}: {exc}") from exc
