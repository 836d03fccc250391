"""Helpers shared by the hook tests (``test_hooks_register.py``, ``test_hooks_phases.py``):
an engine with autoloading off, files written from dedented text, the command line, and a
ruleset using a rule kind. The ``plugin_module`` fixture is in ``conftest.py``."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kolrules.cli import EXIT_OK, main
from kolrules.engine import Engine


def engine(ruleset: str | Path = "red-default", plugins: Iterable[object] = ()) -> Engine:
    return Engine(ruleset, plugins=list(plugins), load_entrypoints=False)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding=encoding)
    return path


def cli(args: list[str], code: int = EXIT_OK) -> Any:
    runner = CliRunner(
        **({"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {})
    )
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == code, f"{result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def kind_ruleset(tmp_path: Path, rule: str, name: str = "kinds") -> Path:
    return write(
        tmp_path / f"{name}.toml",
        """\
        [ruleset]
        name = "kinds"
        version = "1"
        extends = "red-default"

        [[rules]]
        id = "enough-posts"
        severity = "review"
        """
        + textwrap.dedent(rule),
    )
