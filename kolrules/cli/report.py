"""``kolrules report``: one self-contained HTML report of every KOL in a file, for the
people who decide (:mod:`kolrules.formats.html_report` draws it).

:func:`write_report` is ``Engine.evaluate_to_file`` with the ``html`` format and the
report's options (:func:`kolrules.formats.html_reporter`); ``kolrules evaluate -o
report.html`` writes the same report with the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kolrules.cli.errors import EPILOG, EXIT_INTERNAL, EXIT_USAGE, errors, fail
from kolrules.cli.options import (
    engine_for,
    input_format_option,
    lang_option,
    ruleset_option,
    sheet_option,
    stdin_or,
)
from kolrules.cli.progress import progress_bar, quiet_option

if TYPE_CHECKING:
    from datetime import datetime

    from kolrules.engine import Engine
    from kolrules.findings.words import Lang
    from kolrules.types import Summary

__all__ = ["report", "write_report"]


def write_report(
    engine: Engine,
    source: str | Path,
    target: str | Path,
    *,
    input_format: str | None = None,
    sheet: str | None = None,
    keep: Sequence[str] | None = None,
    lang: Lang | None = None,
    table_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
    now: datetime | None = None,
    scatter_points: int | None = None,
) -> Summary:
    """Evaluate the file ``source`` with ``engine`` and write its HTML report to
    ``target`` (through a ``.partial`` file, as ``Engine.evaluate_to_file`` writes every
    format: a run that fails leaves nothing under ``target``). Returns the counts.

    - ``keep``: input columns shown in the table (``None``: the nickname column, as
      :meth:`Engine.decision_frames` keeps it);
    - ``lang``: the report's own words, ``"en"`` or ``"zh"`` (default: the engine's
      language, that of the reasons);
    - ``table_rows``: how many evaluated KOLs the table lists (default
      :data:`~kolrules.formats.html_report.TABLE_ROWS`); ``scatter_points``: the most
      points the scatter chart draws (default
      :data:`~kolrules.formats.html_report.SCATTER_POINTS`);
    - ``progress``: called with the rows read so far, once per batch;
    - ``batch_rows``: the rows read at a time (default :data:`kolrules.read.BATCH_ROWS`);
      the report is the same whatever it is;
    - ``now``: when the report says it was run (default: now).
    """
    from kolrules.formats.html_report import SCATTER_POINTS, TABLE_ROWS, html_reporter
    from kolrules.read import BATCH_ROWS

    reporter = html_reporter(
        lang=lang,
        now=now,
        table_rows=TABLE_ROWS if table_rows is None else table_rows,
        scatter_points=SCATTER_POINTS if scatter_points is None else scatter_points,
    )
    return engine.evaluate_to_file(
        source,
        target,
        input_format=input_format,
        output_format=reporter,
        batch_rows=batch_rows or BATCH_ROWS,
        sheet=sheet,
        keep=keep,
        progress=progress,
    )


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


@click.command(epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@ruleset_option
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (one file, styles, script and data inlined).",
)
@input_format_option
@sheet_option
@click.option(
    "--keep",
    metavar="COL,...",
    help="Input columns (by header) shown in the table after id. Default: the name or "
    'nickname column (昵称) when INPUT has one; --keep "" shows none.',
)
@lang_option
@click.option(
    "--table-rows",
    type=click.IntRange(min=0),
    metavar="N",
    help="How many evaluated KOLs the table lists, the first in input order (default "
    "20,000); the counts and the charts cover every row.",
)
@quiet_option
@click.pass_context
def report(
    ctx: click.Context,
    input_file: Path,
    ruleset: str | None,
    output: Path,
    input_format: str | None,
    sheet: str | None,
    keep: str | None,
    lang: str,
    table_rows: int | None,
    quiet: bool,
) -> None:
    """Write one self-contained HTML report of every KOL in INPUT, to open in any
    browser, offline, from a chat or a mail: the counts by verdict and tier, the ruleset
    and its hash, charts (likes against followers with the 1x and 3x lines, each tier's
    quotes against its fair band, cost per engagement by tier, the rules failed most),
    and a table of the KOLs to sort, filter and open one by one.

    INPUT is read as kolrules evaluate reads it (csv, json, jsonl, Excel), batch by
    batch: a file of any size gives a report of bounded size (the table lists the first
    --table-rows KOLs; the scatter chart draws a sample of 5,000 and says so).

    \b
    Examples:
      kolrules report examples/candidates.csv -o report.html
      kolrules report export.xlsx -r weibo-default -o 报告.html --lang zh
    """
    with errors(), stdin_or(input_file, input_format) as input_file:
        engine = engine_for(ctx, ruleset, lang=lang)
        kept = None if keep is None else tuple(c.strip() for c in keep.split(",") if c.strip())
        with progress_bar(quiet, label="reporting") as progress:
            try:
                summary = write_report(
                    engine,
                    input_file,
                    output,
                    input_format=input_format,
                    sheet=sheet,
                    keep=kept,
                    table_rows=table_rows,
                    progress=progress,
                )
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
                return
        size = output.stat().st_size
        shown = f"{size / 1e6:,.1f} MB" if size >= 1e5 else f"{size / 1e3:,.1f} kB"
        click.echo(f"wrote {output} ({shown})", err=True)
        click.echo(summary.summary_line(), err=True)
        if not summary.accounted():  # pragma: no cover - the engine guarantees it
            fail(
                "internal error: some rows were neither evaluated nor reported as errors",
                EXIT_INTERNAL,
            )
