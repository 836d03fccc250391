"""The plugin machinery: the manager, loading plugins in the documented order, the registry
of the kinds they register, the phase hooks, and the words that blame a plugin.

- :mod:`~kolrules.plugins.manager`: :class:`PluginManager`, the tables of core and
  first-party plugins, blocking;
- :mod:`~kolrules.plugins.loading`: :func:`make_plugin_manager` (load order in its docstring);
- :mod:`~kolrules.plugins.registry`: the kinds each engine collects once;
- :mod:`~kolrules.plugins.phases`: calling the validate and derive hooks;
- :mod:`~kolrules.plugins.blame`: naming the plugin at fault;
- :mod:`~kolrules.plugins.listing`: what ``kolrules plugins`` shows.

The plugin *contract* (the hooks) is :mod:`kolrules.hookspecs`. This module only hands
names on.
"""

from __future__ import annotations

from kolrules.plugins.listing import describe_plugins
from kolrules.plugins.loading import make_plugin_manager
from kolrules.plugins.manager import (
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    ENV_AUTOLOAD_OFF,
    ENV_DISABLED,
    ENV_PLUGINS,
    ESSENTIAL_PLUGINS,
    PluginInfo,
    PluginManager,
    PluginsDir,
    check_blocks,
)

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "ENV_AUTOLOAD_OFF",
    "ENV_DISABLED",
    "ENV_PLUGINS",
    "ESSENTIAL_PLUGINS",
    "PluginInfo",
    "PluginManager",
    "PluginsDir",
    "check_blocks",
    "describe_plugins",
    "make_plugin_manager",
]
