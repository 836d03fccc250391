"""The plugin manager: kolrules' hooks, where each plugin came from and what was blocked,
the tables of core and first-party plugins, and the rules for blocking them.

Loading plugins into a manager, in the documented order, is :mod:`kolrules.plugins.loading`'s
job; the registry of the kinds they register is :mod:`kolrules.plugins.registry`'s.
Every engine gets its own :class:`PluginManager`: there is no import-time global state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs
import pluggy

from kolrules import hookspecs
from kolrules.errors import PluginError

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "ENV_AUTOLOAD_OFF",
    "ENV_DISABLED",
    "ENV_PLUGINS",
    "ESSENTIAL_PLUGINS",
    "PREFIX",
    "PluginInfo",
    "PluginManager",
    "PluginsDir",
    "Source",
    "check_blocks",
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
#: Set (to anything but an empty string) to load no entry points.
ENV_AUTOLOAD_OFF = "KOLRULES_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated plugin modules to load, as ``-p`` does.
ENV_PLUGINS = "KOLRULES_PLUGINS"
#: Comma-separated plugin names to block, as ``-p no:NAME`` does.
ENV_DISABLED = "KOLRULES_DISABLE_PLUGINS"

#: Hooks, and first-party plugin modules, are named with this prefix (``no:weibo`` also
#: blocks ``kolrules_weibo``).
PREFIX = "kolrules_"

#: Where a plugin came from, as ``kolrules plugins`` shows it.
Source = Literal["default", "entrypoint", "-p", "env", "plugins-dir"]


@attrs.frozen
class PluginsDir:
    """A directory of loose plugin files, as ``--plugins-dir DIR``; pass it in
    ``Engine(plugins=[...])``. Every ``*.py`` file in it (not in subdirectories, not
    hidden) is imported, in name order, as a module named after the file's stem and
    registered under that name. Meant for a one-off client tweak; anything reused belongs
    in an installable plugin."""

    path: Path = attrs.field(converter=Path)


@attrs.frozen
class PluginInfo:
    """What kolrules knows about one registered plugin: where it came from and which
    distribution provides it (``None`` until :meth:`PluginManager.distribution` looks
    it up, for a module loaded by name)."""

    name: str
    source: Source
    module: str
    path: str | None = None
    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None


class PluginManager(pluggy.PluginManager):
    """kolrules' hooks, plus where each plugin came from and what was blocked.

    Build one with :func:`make_plugin_manager`; every engine has its own.
    """

    def __init__(self) -> None:
        super().__init__("kolrules")
        self.add_hookspecs(hookspecs)
        #: Registered name -> :class:`PluginInfo`.
        self.info: dict[str, PluginInfo] = {}
        #: Name of a plugin that was not loaded -> what blocked it (``-p no:weibo``).
        self.blocked_plugins: dict[str, str] = {}
        self._top_level: Mapping[str, list[str]] | None = None

    def distribution(self, name: str) -> tuple[str | None, str | None]:
        """The distribution and version that provide plugin ``name``: kolrules' own for
        first-party plugins, the entry point's for entry points, the installed
        distribution a module belongs to for modules, else ``(None, None)``."""
        info = self.info.get(name)
        if info is None:
            return None, None
        if info.distribution is not None:
            return info.distribution, info.version
        if info.source in ("-p", "env") and info.path is not None:
            if self._top_level is None:
                try:
                    self._top_level = metadata.packages_distributions()
                except Exception:  # pragma: no cover - a broken installation
                    self._top_level = {}
            for dist in self._top_level.get(info.module.partition(".")[0], ()):
                try:
                    return dist, metadata.version(dist)
                except metadata.PackageNotFoundError:  # pragma: no cover
                    continue
        return None, None

    def label(self, name: str) -> str:
        """``'name' (distribution version)`` for messages, or ``'name'``."""
        dist, version = self.distribution(name)
        if dist is None:
            return repr(name)
        return f"{name!r} ({dist} {version})" if version else f"{name!r} ({dist})"


def _essential_for(name: str) -> str | None:
    """The core plugin ``name`` refers to (``kolrules.read``, ``read``), if any."""
    for module in ESSENTIAL_PLUGINS:
        short = module.rpartition(".")[2]
        if name in (module, short, PREFIX + short):
            return module
    return None


def check_blocks(names: Iterable[str], where: str) -> None:
    """Refuse to block a core plugin, or a block without a name. ``names`` are plugin
    names (without ``no:``); ``where`` says where they were given, for the message."""
    for name in names:
        if not name:
            raise PluginError(f"{where}: give the name of the plugin to block, like no:weibo")
        core = _essential_for(name)
        if core is not None:
            raise PluginError(
                f"{where}: {core!r} is part of kolrules' core and cannot be blocked; block a "
                "first-party or third-party plugin instead (`kolrules plugins` lists them)"
            )


# -- listing -------------------------------------------------------------------------
