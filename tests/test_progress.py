"""Progress on long runs: the API's ``progress=`` callback (rows done so far, once per
batch) and the command line's bar on stderr, drawn only on a terminal and not with
``--quiet`` (:mod:`kolrules.cli.progress`)."""

from __future__ import annotations

import io
import itertools
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from kolrules import Engine
from kolrules.cli import main
from kolrules.cli.progress import progress_bar, shows_progress
from kolrules.diff import impact
from kolrules.ruletest import run as ruletest_run
from kolrules.ruletest import run_tests

ROOT = Path(__file__).resolve().parent.parent
HEADER = "达人ID,昵称,粉丝数,平均点赞,平台,备注\n"
#: A long note, so that a few thousand rows make several of the csv reader's batches
#: (its first is the file's first MiB, the next about ``batch_rows`` rows each).
NOTE = "备注" * 100


def write_rows(path: Path, n: int) -> Path:
    rows = (f"k{i},达人{i},{1000 + i},{10 + i % 50},小红书,{NOTE}\n" for i in range(n))
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "big.csv", 3000)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_entrypoints=False)


# -- the API's callback ----------------------------------------------------------------


def batch_ends(engine: Engine, path: Path, rows: int) -> list[int]:
    """The rows read so far after each batch the file's reader gives (csv batches are
    cut at record ends, so about ``rows`` each)."""
    reader = engine.reader(path)
    assert reader.batches is not None
    return list(itertools.accumulate(f.height for f in reader.batches(path, rows)))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx"])
def test_evaluate_to_file_reports_the_rows_done_after_each_batch(
    engine: Engine, big: Path, tmp_path: Path, fmt: str
) -> None:
    if fmt == "xlsx":
        pytest.importorskip("xlsxwriter")
    calls: list[int] = []
    out = tmp_path / f"out.{fmt}"
    summary = engine.evaluate_to_file(
        big, out, output_format=fmt, batch_rows=400, progress=calls.append
    )
    expected = batch_ends(engine, big, 400)
    assert len(expected) > 3  # several batches
    assert calls == expected
    assert calls[-1] == summary.rows_read == 3000


def test_a_json_input_in_exact_batches(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(f'{{"id": "k{i}", "followers": {1000 + i}}}\n' for i in range(1050)),
        encoding="utf-8",
    )
    calls: list[int] = []
    engine.evaluate_to_file(source, io.BytesIO(), batch_rows=250, progress=calls.append)
    assert calls == [250, 500, 750, 1000, 1050]


def test_the_callback_sees_a_batch_once_it_is_written(engine: Engine, big: Path) -> None:
    """Called after the batch's decisions reached the output, not when it is read."""
    out = io.BytesIO()
    written: list[tuple[int, int]] = []
    engine.evaluate_to_file(
        big, out, batch_rows=400, progress=lambda done: written.append((done, out.tell()))
    )
    sizes = [size for _, size in written]
    assert sizes == sorted(sizes) and sizes[0] > 0
    assert len(set(sizes)) == len(sizes)  # each batch wrote more before it was counted


def test_preview_and_evaluate_file(engine: Engine, big: Path) -> None:
    calls: list[int] = []
    report, whole = engine.preview(big, 10, batch_rows=400, progress=calls.append)
    assert calls == batch_ends(engine, big, 400) and whole.rows_read == 3000
    assert len(report.decisions) == 10
    calls.clear()
    engine.preview(big, 5000, progress=calls.append)  # one batch, evaluated whole
    assert calls == [3000]
    calls.clear()
    assert engine.evaluate_file(big, progress=calls.append).rows_read == 3000
    assert calls == [3000]  # read whole: once, at the end


def test_diff_reports_the_rows_both_rulesets_evaluated(engine: Engine, big: Path) -> None:
    frame = engine.reader(big).read(big).head(1050)
    calls: list[int] = []
    result = impact(
        engine, Engine(load_entrypoints=False), frame, batch_rows=250, progress=calls.append
    )
    assert calls == [250, 500, 750, 1000, 1050]
    assert result.rows == 1050 and result.flipped == 0
    # In slices or whole, the same comparison (ids seen across slices: a duplicate is one).
    doubled = pl.concat([frame.head(300), frame.head(300)])
    sliced = impact(engine, engine, doubled, batch_rows=250)
    whole = impact(engine, engine, doubled)
    assert sliced == whole and sliced.verdicts["error"]["error"] == 300


def test_ruleset_tests_report_cases_run(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [ROOT / "rulesets" / f"{name}.test.toml" for name in ("red-default", "weibo-default")]
    calls: list[int] = []
    done = run_tests(paths, progress=calls.append)
    first = len(run_tests(paths[:1]).results)
    assert calls == [first, len(done.results)]  # after each file
    monkeypatch.setattr(ruletest_run, "PROGRESS_CASES", 5)
    calls.clear()
    run_tests(paths[:1], progress=calls.append)
    assert calls == [*range(5, first + 1, 5), *([first] if first % 5 else [])]


# -- the bar ---------------------------------------------------------------------------


@pytest.fixture
def terminal() -> Iterator[tuple[int, io.TextIOWrapper]]:
    """A pseudo-terminal: its reading end (fd) and its writing end (a text file)."""
    master, slave = os.openpty()
    tty = open(slave, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        yield master, tty
    finally:
        tty.close()
        os.close(master)


def test_only_on_a_terminal_and_not_quiet(terminal: tuple[int, io.TextIOWrapper]) -> None:
    _, tty = terminal
    assert shows_progress(False, tty)
    assert not shows_progress(True, tty)
    assert not shows_progress(False, io.StringIO())
    assert not shows_progress(False, tty, beside=tty)  # the run writes to the terminal too
    assert shows_progress(False, tty, beside=io.BytesIO())
    with progress_bar(False, stream=io.StringIO()) as callback:
        assert callback is None
    with progress_bar(True, stream=tty) as callback:
        assert callback is None


def test_the_bar_counts_with_or_without_a_total(terminal: tuple[int, io.TextIOWrapper]) -> None:
    master, tty = terminal
    with progress_bar(False, stream=tty, unit="cases") as callback:
        assert callback is not None
        callback(1234)
    with progress_bar(False, stream=tty, total=5000) as callback:
        assert callback is not None
        callback(2500)
    data = b""
    while select.select([master], [], [], 0)[0]:
        data += os.read(master, 1 << 16)
    shown = data.decode("utf-8")
    assert "1,234 cases ·" in shown and "cases/s" in shown
    assert "2,500/5,000 rows ·" in shown


def run_on_a_terminal(*args: str | Path) -> tuple[str, bytes, int]:
    """``kolrules ARGS`` with stderr on a pseudo-terminal: what the terminal showed, the
    standard output and the exit code."""
    master, slave = os.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env["KOLRULES_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    child = subprocess.Popen(
        [sys.executable, "-m", "kolrules.cli", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    shown = b""
    try:
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # the child closed the terminal (Linux: EIO)
                break
            if not data:
                break
            shown += data
    finally:
        os.close(master)
    assert child.stdout is not None
    out = child.stdout.read()
    child.stdout.close()
    return shown.decode("utf-8"), out, child.wait(timeout=60)


SUMMARY = "rows read 3000 = accepted 3000 + review 0 + rejected 0 + errors 0"


def test_evaluate_draws_the_bar_on_a_terminal(big: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    shown, stdout, code = run_on_a_terminal("evaluate", big, "-o", out)
    assert code == 0 and stdout == b""
    assert "evaluating" in shown and "3,000 rows · " in shown and " rows/s" in shown
    assert "\x1b[?25l" in shown and "\x1b[?25h" in shown  # the cursor hidden, then back
    assert shown.rstrip().endswith(SUMMARY)  # the bar wiped, the summary stands alone
    assert pl.read_csv(out).height == 3000


def test_quiet_draws_nothing_on_a_terminal(big: Path, tmp_path: Path) -> None:
    shown, _, code = run_on_a_terminal("evaluate", big, "-o", tmp_path / "o.csv", "-q")
    assert code == 0
    assert shown == SUMMARY + "\r\n"


def test_diff_draws_rows_of_a_known_total(big: Path) -> None:
    shown, stdout, code = run_on_a_terminal("diff", "-b", "red-default", "-r", "red-default", big)
    assert code == 0
    assert "comparing" in shown and "3,000/3,000 rows · " in shown
    assert b"3000" in stdout.replace(b",", b"") and b"rows/s" not in stdout


def test_off_a_terminal_only_the_summary(big: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for extra in ([], ["--quiet"]):
        result = runner.invoke(main, ["evaluate", str(big), "-o", str(tmp_path / "o.csv"), *extra])
        assert result.exit_code == 0, result.output
        assert result.stderr == SUMMARY + "\n"
    result = runner.invoke(main, ["test", str(ROOT / "rulesets" / "red-default.test.toml")])
    assert result.exit_code == 0, result.output
    assert "cases/s" not in result.stderr and "cases/s" not in result.stdout
