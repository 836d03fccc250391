"""Blame: the words that name the plugin at fault, shared by every module that reports a
plugin's failure (loading, the registry, the phase hooks, the engine's guarded kinds)."""

from __future__ import annotations

import traceback
from pathlib import Path

import pluggy

from kolrules.errors import PluginError
from kolrules.plugins.manager import PluginManager

__all__ = [
    "IMPORT_FAILURES",
    "first_line",
    "import_error",
    "kind_failed",
    "label",
    "plugin_label",
    "same_file",
    "where",
]


def label(pm: pluggy.PluginManager, name: str) -> str:
    """``'name' (distribution version)`` for a kolrules plugin manager, else ``'name'``."""
    return pm.label(name) if isinstance(pm, PluginManager) else repr(name)


def plugin_label(plugin: object) -> str:
    """A plugin object's name for messages: its module's name, else its class's."""
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def same_file(a: str | None, b: Path) -> bool:
    """Whether the path ``a`` (``None``: no) names the file ``b``."""
    try:
        return a is not None and Path(a).resolve() == b.resolve()
    except OSError:  # pragma: no cover
        return False


def first_line(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (the rest of a long message is noise here)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def where(exc: BaseException, prefer: str | None = None) -> str:
    """`` (at file:line)``: the line of the plugin's own file that raised, if there is
    one, else the innermost line that is not importlib's."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" (at {exc.filename}:{exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    if prefer is not None:
        own = [f for f in frames if same_file(f.filename, Path(prefer))]
        frames = own or frames
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


#: What a plugin's import may raise that is the plugin's failure: its errors, and a
#: ``KeyboardInterrupt`` or ``SystemExit`` raised by its own code while it is imported.
IMPORT_FAILURES = (Exception, KeyboardInterrupt, SystemExit)


def import_error(
    exc: BaseException,
    what: str,
    module: str,
    if_missing: str,
    if_broken: str,
    file: str | None = None,
) -> PluginError:
    """Tell "the plugin's module does not exist" from "it raised while being imported";
    ``if_missing`` and ``if_broken`` say what to do in either case."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if missing and (module == missing or module.startswith(missing + ".")):
        return PluginError(f"{what}: no module named {missing!r} (searched sys.path); {if_missing}")
    hint = if_broken
    if missing:  # a module the plugin imports
        hint = f"install {missing!r}, which the plugin needs; or {if_broken}"
    return PluginError(f"{what} failed to import: {first_line(exc)}{where(exc, file)}; {hint}")


def kind_failed(
    pm: pluggy.PluginManager, kind: str, name: str, owner: str | None, exc: BaseException
) -> str:
    """What to say when a registered kind's callable (a scorer's ``build``, a reader's
    ``read``, ...) raises: the ``kind`` (``"input format"``) and its ``name``, the plugin
    that registered it with its distribution, and the way out."""
    if owner is None:  # pragma: no cover - every registered kind has an owner
        return f"{kind} {name!r} raised {first_line(exc)}"
    dist, version = pm.distribution(owner) if isinstance(pm, PluginManager) else (None, None)
    source = f" ({dist} {version})" if dist else ""
    return (
        f"{kind} {name!r} of plugin {owner!r}{source} raised {first_line(exc)}; fix or "
        f"update the plugin, or leave it out with -p no:{owner}"
    )
