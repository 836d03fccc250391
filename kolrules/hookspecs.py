"""The hooks a kolrules plugin can implement.

A plugin is a module (or object) with functions decorated by :data:`hookimpl` and named
after the specs below. Every hook is called once per engine, when the engine is built:
none is called per profile, so plugins never slow the evaluation of a row.

Registration hooks (``kolrules_*_register``) are *collected*: every plugin's results are
gathered and two plugins registering the same name is an error naming both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from kolrules.types import Platform, Reader, Reporter, Scorer

__all__ = ["hookimpl", "hookspec"]

#: Marks a hook specification; used by kolrules itself.
hookspec = pluggy.HookspecMarker("kolrules")
#: Marks a hook implementation in a plugin: ``@kolrules.hookimpl``.
hookimpl = pluggy.HookimplMarker("kolrules")


@hookspec
def kolrules_platforms_register() -> Iterable[Platform]:  # type: ignore[empty-body]
    """Register platforms (RED, Weibo, WeChat, ... are registered this way).

    Receives nothing. Returns an iterable of :class:`kolrules.types.Platform`.
    Collected: the platforms of all plugins are gathered; a name or alias that two
    platforms claim is an error naming both plugins.
    """


@hookspec
def kolrules_scorers_register() -> Iterable[Scorer]:  # type: ignore[empty-body]
    """Register scoring strategies, picked by a ruleset's ``[scoring] strategy``.

    Receives nothing. Returns an iterable of :class:`kolrules.types.Scorer`.
    Collected: the scorers of all plugins are gathered; a duplicate name is an error.
    """


@hookspec
def kolrules_readers_register() -> Iterable[Reader]:  # type: ignore[empty-body]
    """Register input formats (CSV, JSON, JSONL are registered this way).

    Receives nothing. Returns an iterable of :class:`kolrules.types.Reader`.
    Collected: a file is read by the reader whose ``extensions`` match its suffix,
    or by the one named with ``--input-format``; a duplicate name is an error.
    """


@hookspec
def kolrules_reporters_register() -> Iterable[Reporter]:  # type: ignore[empty-body]
    """Register output formats (table, json, jsonl, csv are registered this way).

    Receives nothing. Returns an iterable of :class:`kolrules.types.Reporter`.
    Collected: ``--format NAME`` picks one; a duplicate name is an error.
    """


@hookspec
def kolrules_rulesets_register() -> Iterable[Path]:  # type: ignore[empty-body]
    """Register directories of named rulesets (a client pack).

    Receives nothing. Returns an iterable of directories; every ``*.toml`` file in them is
    a ruleset named after the file's stem (``red-default.toml`` is ``red-default``).
    Collected: a name found in two directories is an error naming both files.
    """


@hookspec
def kolrules_commands_register() -> Iterable[click.Command]:  # type: ignore[empty-body]
    """Add commands to the ``kolrules`` command line (``kolrules NAME ...``).

    Receives nothing. Returns an iterable of :class:`click.Command` objects, each with its
    own ``--help`` text. Collected: every plugin's commands are added beside the built-in
    ones; a name that is a built-in command or another plugin's command is an error naming
    both. Called once, when the command line starts (after ``-p`` and ``--plugins-dir``
    are read), and only when the command asked for is not a built-in one or for
    ``kolrules --help``.
    """
