"""A run as a streaming reporter writes it (:class:`StreamedRun`), and the ``json`` and
``jsonl`` formats written from one, batch by batch, in bounded memory.

``jsonl``: a line per input row, in input order (``{"kind": "decision", ...}`` or
``{"kind": "error", ...}``), then the ``{"kind": "summary", ...}`` line. ``json``: the
document of :mod:`kolrules.formats.json_text`, its head once the first rows were read
(it says how their headers were read), the decisions written as they come, the row
errors (few) held until the end, the summary last.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING

from kolrules.formats.json_text import (
    FIRST_ITEM,
    NEXT_ITEM,
    document_head,
    document_tail,
    dumps,
    summary_line,
)
from kolrules.types import Columns, RulesetRef, Summary

if TYPE_CHECKING:
    import polars as pl

    from kolrules.ruleset import Rule

__all__ = ["StreamedRun", "write_json_batches", "write_jsonl_batches"]


class StreamedRun:
    """A run that a streaming reporter writes while it is evaluated: what
    :meth:`kolrules.Engine.evaluate_to_file` gives a reporter's ``write_batches``.

    Iterate it for one decision frame per input batch (the columns of the ``csv`` format,
    :func:`kolrules.evaluate.decision_frame`), or call :meth:`lines` for the decisions as
    JSON text (:func:`kolrules.formats.decision_lines`): one or the other, once, as the
    input is read. :meth:`summary` gives the counts once every frame was taken. A format
    that charts the inputs and metrics iterates :meth:`with_values` instead.
    """

    def __init__(
        self,
        frames: Callable[[], Iterator[pl.DataFrame]],
        lines: Callable[[bool], Iterator[pl.DataFrame]],
        *,
        ruleset: RulesetRef,
        source: str | None,
        summary: Callable[[], Summary],
        raw: bool = False,
        columns: Callable[[], Columns | None] = lambda: None,
        rules: Sequence[Rule] = (),
        valued: Callable[[], Iterator[pl.DataFrame]] | None = None,
        lang: str = "en",
    ) -> None:
        self._frames, self._lines, self._summary = frames, lines, summary
        self._columns = columns
        self._valued = valued
        #: The language of the run's texts (``Engine(lang=...)``): a format's own words
        #: can follow it.
        self.lang = lang
        self.ruleset = ruleset
        self.source = source
        #: Write text cells as they are: no neutralising of spreadsheet formulas (csv).
        self.raw = raw
        #: The ruleset's rules, in its order (their ids, stages, severities and
        #: descriptions, for a format that lists them: ``xlsx``).
        self.rules = tuple(rules)

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return self._frames()

    def with_values(self) -> Iterator[pl.DataFrame]:
        """The decision frames with the evaluated rows' inputs and metrics at the end
        (``value:<field>``, ``metric:<name>``: ``Engine.decision_frames(values=True)``);
        the plain frames where the run cannot give them."""
        return self._valued() if self._valued is not None else self._frames()

    def lines(self, *, kind: bool = True) -> Iterator[pl.DataFrame]:
        """The rows as JSON text, a frame of ``kind``, ``verdict`` and ``line`` at a time
        (:func:`kolrules.formats.decision_lines`); ``kind`` puts ``"kind"`` first in each."""
        return self._lines(kind)

    def summary(self) -> Summary:
        """Rows read and the counts: final once every frame was taken."""
        return self._summary()

    def columns(self) -> Columns | None:
        """How the input's headers were read: known once the first frame was taken."""
        return self._columns()


def _run(frames: Iterable[pl.DataFrame], name: str) -> StreamedRun:
    if not isinstance(frames, StreamedRun):
        raise TypeError(
            f"the {name} format streams a run evaluated by kolrules.Engine.evaluate_to_file "
            f"(a kolrules.formats.StreamedRun), not {type(frames).__name__}; to write a "
            "kolrules.Report, call the reporter's render"
        )
    return frames


def _write(stream: IO[str] | IO[bytes], text: str) -> None:
    if isinstance(stream, io.TextIOBase):
        stream.write(text)
    else:
        stream.write(text.encode("utf-8"))  # type: ignore[arg-type]


def _write_lines(lines: pl.DataFrame, stream: IO[str] | IO[bytes], end: str = "\n") -> None:
    """The ``line`` column of ``lines`` as it is, each followed by ``end``."""
    lines.select("line").write_csv(
        stream, include_header=False, quote_style="never", line_terminator=end
    )


def write_jsonl_batches(frames: Iterable[pl.DataFrame], stream: IO[bytes]) -> None:
    """The ``jsonl`` format's streaming form (``frames`` is a :class:`StreamedRun`): a
    line per input row, in input order, then the summary line."""
    run = _run(frames, "jsonl")
    for lines in run.lines(kind=True):
        _write_lines(lines, stream)
    summary = run.summary()
    _write(stream, dumps(summary_line(summary.summary(), run.ruleset, run.source)) + "\n")


def write_json_batches(frames: Iterable[pl.DataFrame], stream: IO[bytes]) -> None:
    """The ``json`` format's streaming form (``frames`` is a :class:`StreamedRun`): the
    document's head (once the first rows were read, for its ``columns``), each decision as
    it comes, then the row errors and the summary."""
    import polars as pl

    run = _run(frames, "json")
    batches = run.lines(kind=False)
    first = next(batches, None)
    _write(stream, document_head(run.ruleset, run.source, run.columns()))
    errors: list[str] = []
    written = False
    for lines in itertools.chain([] if first is None else [first], batches):
        is_error = pl.col("kind") == "error"
        errors += lines.filter(is_error).get_column("line").to_list()
        decisions = lines.filter(is_error.not_())
        if not decisions.height:
            continue
        # Each decision after the one before it, with no copy of the text: the last of
        # these lines waits for what follows it (another decision, or the list's end).
        _write(stream, NEXT_ITEM if written else FIRST_ITEM)
        _write_lines(decisions.head(-1), stream, NEXT_ITEM)
        _write_lines(decisions.tail(1), stream, "")
        written = True
    _write(stream, document_tail(written, errors, run.summary().summary()))
