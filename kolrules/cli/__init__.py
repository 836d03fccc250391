"""The ``kolrules`` command line: the group in :mod:`~kolrules.cli.main`, the exit codes
and error mapping in :mod:`~kolrules.cli.errors`, the shared options in
:mod:`~kolrules.cli.options`, and one module per family of commands (``evaluate``,
``rulesets``, ``plugins``, ``ruletest``, ``diff``, ``measure``). Each command is glue: options, one
call, one render, the error mapping.

This module only hands names on; ``kolrules = "kolrules.cli:main"`` is the console script.
"""

from __future__ import annotations

from kolrules.cli.errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_PLUGIN,
    EXIT_RULESET,
    EXIT_TESTS_FAILED,
    EXIT_USAGE,
)
from kolrules.cli.main import main

__all__ = [
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PLUGIN",
    "EXIT_RULESET",
    "EXIT_TESTS_FAILED",
    "EXIT_USAGE",
    "main",
]
