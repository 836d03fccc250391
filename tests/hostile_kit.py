"""Helpers shared by the hostile-input tests (``tests/test_hostile*.py``): the command line
run in-process as a user would run it, the checks every hostile case passes, and a run in
a child process whose address space is capped with ``resource.setrlimit``."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from click.testing import CliRunner, Result

from kolrules.cli import main
from kolrules.normalise import ROW, Schema, normalise_frame, normalise_row

EXIT_OK, EXIT_RULESET, EXIT_INPUT, EXIT_PLUGIN = 0, 3, 4, 5
SUMMARY = re.compile(
    r"rows read (\d+) = accepted (\d+) \+ review (\d+) \+ rejected (\d+) \+ errors (\d+)"
)
#: The address space a child run may use: the bad cases of issue 12 ran out of 3 GiB;
#: a run of kolrules on a small file needs well under this with two polars threads.
MEMORY_LIMIT = 1536 << 20


def invoke(args: Sequence[str | Path]) -> Result:
    """Run the command line as a user would (exceptions caught, stderr kept apart)."""
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # pragma: no cover - click 8.1
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    else:
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


def check_exit(result: Result, code: int) -> None:
    """Exit ``code`` through ``sys.exit`` (0: by returning), with no traceback anywhere."""
    shown = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.exit_code == code, shown
    if code or result.exception is not None:
        assert isinstance(result.exception, SystemExit), (repr(result.exception), shown)
    assert "Traceback" not in result.stdout + result.stderr, shown


def counts(stderr: str) -> tuple[int, int]:
    """(rows read, rows accounted for: accepted + review + rejected + errors) from the
    summary line of ``kolrules evaluate``."""
    (found,) = SUMMARY.findall(stderr)
    read, *outcomes = map(int, found)
    return read, sum(outcomes)


_CHILD = textwrap.dedent(
    """
    import resource, sys
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from kolrules.cli import main
    sys.argv = ["kolrules", *sys.argv[2:]]
    main()
    """
)


def run_limited(
    args: Sequence[str | Path], cwd: Path, limit: int = MEMORY_LIMIT
) -> subprocess.CompletedProcess[str]:
    """Run ``kolrules args`` in a child process whose address space is at most ``limit``
    bytes (a run that needs more fails there: ``MemoryError`` or an abort)."""
    env = {**os.environ, "KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1", "POLARS_MAX_THREADS": "2"}
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(limit), *(str(a) for a in args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def normalised_alike(rows: Sequence[dict[str, Any]], schema: Schema) -> list[tuple[Any, ...]]:
    """Each row's (values, data errors, row errors) on the one-profile path, checked to be
    what the frame path gives for the same rows as text columns."""
    columns = dict.fromkeys((k for r in rows for k in r), pl.String)
    norm = normalise_frame(pl.DataFrame(rows, schema=columns), schema)
    framed = {r[ROW]: r for r in norm.frame.iter_rows(named=True)}
    got = []
    for i, raw in enumerate(rows, 1):
        one = normalise_row(raw, schema)
        if one.row_errors:
            assert norm.row_errors[i] == (one.values["id"], one.row_errors + one.data_errors)
        else:
            assert i not in norm.row_errors, norm.row_errors[i]
            assert {k: framed[i][k] for k in one.values} == one.values
            assert norm.data_errors.get(i, ()) == one.data_errors
        got.append((one.values, one.data_errors, one.row_errors))
    return got
