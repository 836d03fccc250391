"""pytest support for kolrules, and helpers for plugin authors' tests.

Helpers (:mod:`~kolrules.testing.kit`; importing them does not register the pytest plugin)
    :func:`make_engine` builds an engine with autoloading off and the given plugins,
    :func:`make_profile` a valid RED-like profile, and :func:`check_plugin` registers a
    plugin on a fresh manager and checks its hooks and what it registers. See
    ``docs/plugins/testing.md``.

The pytest plugin (:mod:`~kolrules.testing.pytest_plugin`)
    Opt-in: ``pytest -p kolrules.testing``, or ``pytest_plugins = ["kolrules.testing"]``
    in a ``conftest.py``, collects ruleset tests (``*.test.toml``) as pytest items.

This module only hands names on (the pytest hooks among them, so that pytest finds them
when it registers ``kolrules.testing``).
"""

from __future__ import annotations

from kolrules.testing.kit import (
    DEFAULT_PROFILE,
    PluginCheck,
    PluginCheckError,
    check_plugin,
    make_engine,
    make_profile,
)
from kolrules.testing.pytest_plugin import (
    RulesetTestFailure,
    RulesetTestFile,
    RulesetTestItem,
    pytest_collect_file,
    pytest_configure,
    pytest_terminal_summary,
)

__all__ = [
    "DEFAULT_PROFILE",
    "PluginCheck",
    "PluginCheckError",
    "RulesetTestFailure",
    "RulesetTestFile",
    "RulesetTestItem",
    "check_plugin",
    "make_engine",
    "make_profile",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_terminal_summary",
]
