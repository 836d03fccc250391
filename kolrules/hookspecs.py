"""The hooks a kolrules plugin can implement.

A plugin is a module (or object) with functions decorated by :data:`hookimpl` and named
after the specs below. A hook implementation may take fewer arguments than its spec.

Registration hooks (``kolrules_*_register``) are called once per engine, when it is built.
They are *collected*: every plugin's results are gathered, and two plugins registering the
same name is an error naming both.

Phase hooks act on every profile, after normalisation and before the ruleset's metrics:
``kolrules_profiles_validate`` and ``kolrules_profiles_derive`` take a whole batch (a polars
DataFrame of normalised fields), so the columnar path calls them once per batch, never per
row. Their row forms, ``kolrules_profile_validate`` and ``kolrules_profile_derive``, serve
the one-profile path (``Engine.evaluate_one``) and are optional: without one, that path
calls the batch form with a one-row frame. A plugin that gives a row form must give the
batch form too. An exception raised in a phase hook is a :class:`kolrules.PluginError`
naming the plugin, the hook and the row (or rows of the batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import polars as pl

    from kolrules.types import Platform, Reader, Reporter, RuleKind, Scorer

__all__ = ["hookimpl", "hookspec"]

#: Marks a hook specification; used by kolrules itself.
hookspec = pluggy.HookspecMarker("kolrules")
#: Marks a hook implementation in a plugin: ``@kolrules.hookimpl``.
hookimpl = pluggy.HookimplMarker("kolrules")


# -------------------------------------------------------------------------
# Registration hooks: called once per engine (or command line), collected
# -------------------------------------------------------------------------


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
def kolrules_rule_kinds_register() -> Iterable[RuleKind]:  # type: ignore[empty-body]
    """Register rule kinds, picked by ``kind = "<name>"`` in a ruleset's ``[[rules]]``.

    Receives nothing. Returns an iterable of :class:`kolrules.types.RuleKind`. Collected:
    the rule kinds of all plugins are gathered; a duplicate name is an error naming both
    plugins. A ruleset naming a kind no plugin registers is a ruleset error listing the
    kinds available.
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


# -------------------------------------------------------------------------
# Phase hooks: called for every batch of profiles (and their row forms for
# one profile), after normalise and before the ruleset's metrics
# -------------------------------------------------------------------------


@hookspec
def kolrules_profiles_validate(frame: pl.DataFrame, platform: Platform) -> pl.Series | None:
    """Check a batch of profiles (the batch form of :func:`kolrules_profile_validate`).

    Receives ``frame``, one row per profile of the batch with one column per field of the
    schema (canonical fields, the platform's and the ruleset's ``[fields]``), numbers as
    Float64 and missing values as null, and the ruleset's ``platform``. Rows that cannot
    be evaluated (an unreadable follower count, say) are included; what is returned for
    them is ignored. Also called once with an empty frame when a ruleset is compiled.

    Returns ``None`` (nothing to say about this platform) or a String Series as long as
    ``frame``: null where the profile is fine, else the problem. A plugin that returns
    ``None`` for the empty frame is asked again about the first profiles it sees, and is
    called no more if it says nothing of them either; what it raises there (or later)
    ends the run as a plugin error (exit 5) naming the plugin, the hook and the rows. A
    profile with a problem keeps being evaluated, with the problem as a data error naming
    the plugin (its verdict is at least the ruleset's ``[verdict] data_errors``, in strict
    mode too). Collected: every plugin's problems are kept.
    """


@hookspec
def kolrules_profile_validate(
    profile: Mapping[str, Any], platform: Platform
) -> Iterable[str] | None:
    """Check one profile (the row form of :func:`kolrules_profiles_validate`, optional).

    Receives ``profile``, a mapping of every field of the schema to its normalised value
    (a float, a str or ``None``), and the ruleset's ``platform``. Returns ``None`` or the
    problems found, as strings; it must agree with the plugin's batch form. Called for each
    profile of ``Engine.evaluate_one`` and ``Engine.evaluate``; never on the columnar path.
    Collected: every plugin's problems are kept.
    """


@hookspec
def kolrules_profiles_derive(frame: pl.DataFrame, platform: Platform) -> pl.DataFrame | None:
    """Derive extra metrics for a batch of profiles (batch form of
    :func:`kolrules_profile_derive`).

    Receives the same ``frame`` and ``platform`` as :func:`kolrules_profiles_validate`.
    Returns ``None`` (nothing for this platform) or a DataFrame as long as ``frame``, one
    column per metric; rules, metrics and messages use them by name. Numeric columns are
    numbers, String columns text and Boolean columns true/false tests; null is missing.
    kolrules calls it once with an empty frame when it compiles a ruleset, to learn the
    names and types, so give every column a dtype (``pl.Series(name, values,
    dtype=pl.Float64)``) and return the same columns for every batch. Collected: every
    plugin's columns are added; a name that a field or another plugin's metric already has
    is an error naming the plugin.
    """


@hookspec
def kolrules_profile_derive(
    profile: Mapping[str, Any], platform: Platform
) -> Mapping[str, Any] | None:
    """Derive extra metrics for one profile (row form of :func:`kolrules_profiles_derive`,
    optional).

    Receives the same ``profile`` and ``platform`` as :func:`kolrules_profile_validate`.
    Returns ``None`` or a mapping with the same names as the plugin's batch form gives,
    values as float, str, bool or ``None``; it must agree with the batch form. Called for
    each profile of ``Engine.evaluate_one`` and ``Engine.evaluate``; never on the columnar
    path. Collected.
    """
