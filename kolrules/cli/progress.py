"""The progress bar of long runs (``evaluate``, ``diff``, ``test``): rows done and rows
per second, drawn with rich on stderr while stderr is a terminal, and ``--quiet``
(``-q``), which turns it off.

A command wraps its run in :func:`progress_bar` and hands the callback it yields to the
API's ``progress=`` (``None`` when there is no bar, so a run whose stderr is a file or a
pipe pays nothing: rich is not even imported). The bar is transient: once the run ends it
is wiped, and what the command prints next (the summary line, a table) stands alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.progress import ProgressColumn

__all__ = ["progress_bar", "quiet_option", "shows_progress"]

#: ``--quiet`` / ``-q``: for every command that draws a progress bar.
quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Draw no progress bar (it is drawn on stderr, and only when stderr is a terminal).",
)


def _is_terminal(stream: IO[Any]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def shows_progress(quiet: bool, stream: IO[Any], beside: IO[Any] | None = None) -> bool:
    """Whether a bar is drawn on ``stream``: not ``quiet``, ``stream`` is a terminal, and
    ``beside`` (what the run writes to as it goes, if anything) is not one too, where the
    bar would break into its lines."""
    return not quiet and _is_terminal(stream) and (beside is None or not _is_terminal(beside))


@contextmanager
def progress_bar(
    quiet: bool,
    *,
    label: str = "evaluating",
    unit: str = "rows",
    total: int | None = None,
    beside: IO[Any] | None = None,
    stream: IO[str] | None = None,
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on ``stream`` (default stderr) while the block runs, when
    :func:`shows_progress`; yields the callback to give the API as ``progress=`` (it takes
    the number of ``unit`` done so far), or ``None`` when no bar is drawn.

    ``total``: how many there are, when known (a frame in memory): the bar then fills.
    Unknown (a file read batch by batch, whose rows are not counted before the run), it
    pulses, and the bar shows the count, the rate and the time elapsed."""
    out = sys.stderr if stream is None else stream
    if not shows_progress(quiet, out, beside):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        _rate_column(unit),
        TimeElapsedColumn(),
        console=Console(file=out, highlight=False),
        transient=True,
        redirect_stdout=False,  # the run's output is not the bar's business
        redirect_stderr=out is sys.stderr,  # a warning meanwhile is printed above the bar
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda done: bar.update(task, completed=done)


def _rate_column(unit: str) -> ProgressColumn:
    """A column of ``12,345 rows · 41,152 rows/s`` (``12,345/100,000 rows`` with a total):
    the average rate since the start, as steady as the batches are."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            done = int(task.completed)
            count = f"{done:,}" if task.total is None else f"{done:,}/{int(task.total):,}"
            elapsed = task.elapsed or 0.0
            rate = f"{done / elapsed:,.0f}" if elapsed > 0 else "-"
            return Text(f"{count} {unit} · {rate} {unit}/s")

    return Rate()
