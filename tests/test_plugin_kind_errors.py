"""A registered kind that raises while kolrules uses it (a scoring strategy's ``build``, an
input format's ``read`` or ``batches``, an output format's ``render``) is a
:class:`PluginError` naming the kind, the plugin and what to do; kolrules' own errors
pass through unchanged."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl
import pytest
from click.testing import CliRunner

from kolrules import Engine, PluginError, Reader, Reporter, Scorer, hookimpl
from kolrules.cli import EXIT_PLUGIN, main
from kolrules.errors import InputFileError
from kolrules.report import Report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _broken_build(params: Any) -> str:
    raise RuntimeError("lost my weights")


def _broken_read(path: Path) -> pl.DataFrame:
    raise ValueError("not a real workbook")


def _rows(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    yield pl.DataFrame({"id": ["k1"], "followers": ["12000"]})
    raise OSError("disk went away")


def _broken_render(report: Report, stream: IO[str]) -> None:
    raise KeyError("colour")


def _input_error(path: Path) -> pl.DataFrame:
    raise InputFileError(f"input file {path} is empty")


class Broken:
    """One plugin with a broken kind of every sort."""

    @hookimpl
    def kolrules_scorers_register(self) -> Iterable[Scorer]:
        return [Scorer(name="boom", build=_broken_build)]

    @hookimpl
    def kolrules_readers_register(self) -> Iterable[Reader]:
        return [
            Reader(name="workbook", extensions=(".wb",), read=_broken_read),
            Reader(name="stream", extensions=(".st",), read=_broken_read, batches=_rows),
            Reader(name="honest", extensions=(".hn",), read=_input_error),
        ]

    @hookimpl
    def kolrules_reporters_register(self) -> Iterable[Reporter]:
        return [Reporter(name="fancy", extension=".fancy", render=_broken_render)]


def engine(ruleset: str | Path = "red-default") -> Engine:
    return Engine(ruleset, plugins=[Broken()], load_entrypoints=False)


def test_a_scoring_strategy_that_raises_names_its_plugin(tmp_path: Path) -> None:
    overlay = tmp_path / "client.toml"
    overlay.write_text(
        '[ruleset]\nname = "client"\nversion = "1"\nextends = "red-default"\n\n'
        '[scoring]\nstrategy = "boom"\n',
        encoding="utf-8",
    )
    with pytest.raises(PluginError) as info:
        engine(overlay)
    message = str(info.value)
    assert "scoring strategy 'boom' of plugin" in message
    assert "raised RuntimeError: lost my weights" in message
    assert "-p no:" in message


def test_an_input_format_that_raises_names_its_plugin(tmp_path: Path) -> None:
    path = tmp_path / "kols.wb"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(
        PluginError, match=r"input format 'workbook' of plugin .* raised ValueError"
    ):
        engine().evaluate_file(path)


def test_batches_that_fail_midway_name_their_plugin(tmp_path: Path) -> None:
    path = tmp_path / "kols.st"
    path.write_text("x", encoding="utf-8")
    target = tmp_path / "out.csv"
    with pytest.raises(PluginError, match=r"input format 'stream' .* raised OSError: disk went"):
        engine().evaluate_to_file(path, target)
    assert not target.exists()


def test_kolrules_errors_from_a_plugin_pass_through(tmp_path: Path) -> None:
    path = tmp_path / "kols.hn"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(InputFileError, match="is empty"):
        engine().evaluate_file(path)


def test_an_output_format_that_raises_names_its_plugin() -> None:
    e = engine()
    report = e.evaluate_file(EXAMPLES / "candidates.csv")
    with pytest.raises(PluginError, match=r"output format 'fancy' .* raised KeyError: 'colour'"):
        e.reporter("fancy").render(report, io.StringIO())
    # kolrules' own formats are not wrapped: a failure there is a kolrules bug
    assert e.reporter("json").render is e.registry.reporter("json").render


def test_cli_exits_5_when_an_output_format_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    module = types.ModuleType("kolrules_broken_test_plugin")
    module.kolrules_reporters_register = Broken().kolrules_reporters_register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = CliRunner().invoke(
        main, ["-p", module.__name__, "evaluate", str(EXAMPLES / "candidates.csv"), "-f", "fancy"]
    )
    assert result.exit_code == EXIT_PLUGIN, result.output
    assert "output format 'fancy' of plugin" in result.stderr
