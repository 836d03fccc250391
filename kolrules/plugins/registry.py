"""The registry of kinds: what the plugins of one plugin manager register (platforms,
scoring strategies, rule kinds, input readers, output formats, ruleset directories), collected once
per engine with the plugin that registered each, and looked up by name."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pluggy

from kolrules.errors import PluginError, UnknownKindError
from kolrules.plugins.blame import first_line, label, where
from kolrules.plugins.manager import ENV_DISABLED, ESSENTIAL_PLUGINS
from kolrules.types import Platform, Reader, Reporter, RuleKind, Scorer

__all__ = ["Registry", "collect_commands", "registered"]


K = TypeVar("K")


def registered(
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
            try:
                own = inspect.getsourcefile(impl.function)
            except TypeError:  # pragma: no cover - a builtin
                own = None
            raise PluginError(
                f"plugin {label(pm, plugin)} failed in its hook {hook}: "
                f"{first_line(exc)}{where(exc, own)}; fix the plugin, or block it with "
                f"-p no:{plugin}"
            ) from exc
        if result is None:
            continue
        if isinstance(result, str | bytes | os.PathLike) or not isinstance(result, Iterable):
            raise PluginError(
                f"plugin {label(pm, plugin)} returned {type(result).__name__} from {hook}; "
                "expected a list"
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
    for plugin, item in registered(pm, hook):
        if not isinstance(item, cls):
            raise PluginError(
                f"plugin {label(pm, plugin)} returned {type(item).__name__} from {hook}; "
                f"expected {cls.__name__}"
            )
        for name in names(item):
            key = name.casefold()
            if key in found and found[key] is not item:
                raise _clash(pm, kind, name, hook, owner[key], plugin)
            found[key] = item
            owner[key] = plugin
    return found, owner


def _clash(pm: pluggy.PluginManager, kind: str, name: str, hook: str, *plugins: str) -> PluginError:
    """Two plugins registered one name: both named, in load order, and how to pick one."""
    order = {n: i for i, (n, _) in enumerate(pm.list_name_plugin())}
    first, second = sorted(plugins, key=lambda n: order.get(n, len(order)))
    blockable = [n for n in (first, second) if n not in ESSENTIAL_PLUGINS]
    how = " or ".join(f"-p no:{n}" for n in blockable)
    return PluginError(
        f"{kind} name {name!r} is registered by plugin {label(pm, first)} and by plugin "
        f"{label(pm, second)} (hook {hook}); disable "
        f"{'one of them' if len(blockable) > 1 else 'the plugin'} with {how} "
        f"(or {ENV_DISABLED}), or rename the {kind} in one of them"
    )


def _ruleset_dirs(pm: pluggy.PluginManager) -> tuple[list[Path], dict[str, str]]:
    """Every plugin's ruleset directories, in registration order, and who registered each."""
    hook = "kolrules_rulesets_register"
    dirs: list[Path] = []
    owner: dict[str, str] = {}
    for plugin, item in registered(pm, hook, reverse=False):
        if not isinstance(item, str | os.PathLike):
            raise PluginError(
                f"plugin {label(pm, plugin)} returned {type(item).__name__} from {hook}; "
                "expected a directory"
            )
        path = Path(item)
        if not path.is_dir():
            raise PluginError(
                f"plugin {label(pm, plugin)} returned {str(path)!r} from {hook}: not a directory"
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
    rule_kinds: Mapping[str, RuleKind] = attrs.field(factory=dict)

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
        kinds, ko = _collect(
            pm, "kolrules_rule_kinds_register", "rule kind", RuleKind, lambda k: [k.name]
        )
        dirs, do = _ruleset_dirs(pm)
        owners: dict[tuple[str, str], str] = {}
        tables = {
            "platform": po,
            "scorer": so,
            "rule_kind": ko,
            "reader": ro,
            "reporter": eo,
            "ruleset_dir": do,
        }
        for kind, table in tables.items():
            owners.update({(kind, k): v for k, v in table.items()})
        return cls(platforms, scorers, readers, reporters, tuple(dirs), owners, kinds)

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


def collect_commands(pm: pluggy.PluginManager) -> tuple[dict[str, Any], dict[str, str]]:
    """The commands plugins add (``kolrules_commands_register``), by name, and the plugin
    that added each."""
    import click

    def names(command: click.Command) -> list[str]:
        if not command.name:
            raise PluginError(
                "a plugin returned a command without a name from kolrules_commands_register; "
                "give it one (@click.command('name'))"
            )
        return [command.name]

    return _collect(pm, "kolrules_commands_register", "command", click.Command, names)
