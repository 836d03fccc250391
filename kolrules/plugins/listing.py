"""Listing plugins: what ``kolrules plugins`` and ``kolrules --version`` report of each
(:func:`describe_plugins`), and how they show it."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

import pluggy

from kolrules.plugins.blame import plugin_label
from kolrules.plugins.manager import PluginManager

if TYPE_CHECKING:
    from kolrules.plugins.registry import Registry

__all__ = ["describe_plugins", "print_plugins", "print_third_party"]


def describe_plugins(
    pm: pluggy.PluginManager, registry: Registry | None = None
) -> list[dict[str, Any]]:
    """Each plugin in registration order: its name, where it came from (``source``), its
    distribution and version, module and file, the hooks it implements and (given the
    ``registry``) the kinds it registered."""
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # pragma: no cover - kolrules blocks without registering None
            continue
        info = pm.info.get(name) if isinstance(pm, PluginManager) else None
        dist, version = pm.distribution(name) if isinstance(pm, PluginManager) else (None, None)
        kinds: dict[str, list[str]] = {}
        for (kind, key), owner in (registry.owners if registry else {}).items():
            if owner == name and registry is not None:
                shown = registry.platforms[key].name if kind == "platform" else key
                kinds.setdefault(kind + "s", [])
                if shown not in kinds[kind + "s"]:
                    kinds[kind + "s"].append(shown)
        out.append(
            {
                "name": name,
                "source": info.source if info else None,
                "distribution": dist,
                "version": version,
                "entry_point": info.entry_point if info else None,
                "module": info.module if info else plugin_label(plugin),
                "path": info.path if info else None,
                "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or ()),
                "registers": {k: sorted(v) for k, v in sorted(kinds.items())},
            }
        )
    return out


def print_plugins(rows: list[dict[str, Any]], blocked: dict[str, str], out: IO[str]) -> None:
    """``kolrules plugins``: each plugin (name, source, distribution, file, hooks and the
    kinds it registers), then the blocked ones."""
    for r in rows:
        dist = f"{r['distribution']} {r['version']}" if r["distribution"] else "no distribution"
        print(f"{r['name']}  ({r['source'] or '?'}; {dist})", file=out)
        if r["source"] != "default" and r["path"]:
            print(f"    file:  {r['path']}", file=out)
        print(f"    hooks: {', '.join(r['hooks']) or '-'}", file=out)
        for kind, names in r["registers"].items():
            print(f"    {kind}: {', '.join(names)}", file=out)
    if blocked:
        print("blocked: " + ", ".join(f"{n} ({how})" for n, how in blocked.items()), file=out)


def print_third_party(rows: list[dict[str, Any]], out: IO[str]) -> None:
    """``kolrules --version``'s list of the plugins that are not kolrules' own."""
    shown = [r for r in rows if r["source"] != "default"]
    if not shown:
        print("third-party plugins: none", file=out)
        return
    print("third-party plugins:", file=out)
    for r in shown:
        dist = f"{r['distribution']} {r['version']}" if r["distribution"] else "no distribution"
        where = r["path"] if r["source"] == "plugins-dir" else r["source"]
        print(f"  {r['name']}: {dist} ({where})", file=out)
