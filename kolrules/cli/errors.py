"""Exit codes, and kolrules' errors turned into a message and the documented exit code.

Exit codes do not depend on verdicts: a run that rejects every KOL still exits 0.

====  ==================================================================
0     success
1     an unexpected internal error (a bug: please report it); for
      ``kolrules test``: a test failed or coverage is below --min-coverage
2     usage error (a bad option, an unknown format or ruleset name)
3     a ruleset is malformed (every problem is listed)
4     an input file cannot be used as a whole (unreadable, empty, a
      required column missing); bad *rows* are reported, not fatal
5     a plugin failed (import error, clashing names, broken hook)
141   the reader of the output closed the pipe (``| head``): quiet, as
      other Unix tools end on SIGPIPE
====  ==================================================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from kolrules.errors import (
    InputFileError,
    KolrulesError,
    PluginError,
    RulesetError,
    UnknownKindError,
)

__all__ = [
    "EPILOG",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_PLUGIN",
    "EXIT_RULESET",
    "EXIT_TESTS_FAILED",
    "EXIT_USAGE",
    "TEST_EPILOG",
    "errors",
    "fail",
]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_RULESET, EXIT_INPUT, EXIT_PLUGIN = 0, 1, 2, 3, 4, 5


EPILOG = "Exit codes: 0 ok, 2 usage, 3 bad ruleset, 4 bad input file, 5 plugin error."


def fail(message: str, code: int) -> None:
    """``error: message`` on stderr, then exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn kolrules' errors into a message on stderr and the documented exit code."""
    try:
        yield
    except BrokenPipeError:
        pipe_closed()
    except RulesetError as exc:
        fail(str(exc), EXIT_RULESET)
    except UnknownKindError as exc:
        fail(str(exc), EXIT_USAGE)
    except InputFileError as exc:
        fail(str(exc), EXIT_INPUT)
    except PluginError as exc:
        fail(str(exc), EXIT_PLUGIN)
    except KolrulesError as exc:  # pragma: no cover - every subclass is handled above
        fail(str(exc), EXIT_INTERNAL)


#: The reader of our output went away (``kolrules evaluate big.csv | head``): a normal
#: end in a shell pipeline, exited quietly with the status of a process ended by SIGPIPE.
EXIT_PIPE = 128 + 13


def pipe_closed() -> NoReturn:
    """Exit quietly because stdout's reader closed the pipe: nothing more is written to it
    (Python would complain flushing it at exit) and nothing is said on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    raise SystemExit(EXIT_PIPE)


#: ``kolrules test`` exits 1 when a test fails or coverage is below ``--min-coverage``.
EXIT_TESTS_FAILED = 1


TEST_EPILOG = (
    "Exit codes: 0 all tests pass, 1 a test failed or coverage is below --min-coverage, "
    "2 usage, 3 a ruleset or test file is malformed, 5 plugin error."
)
