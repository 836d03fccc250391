"""``kolrules evaluate``, ``kolrules explain`` and ``kolrules columns``: decisions for every
KOL of a file, every finding for one, and how the file's headers are read."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple, cast

import click

from kolrules.cli.errors import EPILOG, EXIT_INTERNAL, EXIT_USAGE, errors, fail
from kolrules.cli.options import (
    engine_for,
    input_format_option,
    lang_option,
    output_option,
    ruleset_option,
    sheet_option,
    stdin_or,
)
from kolrules.cli.progress import progress_bar, quiet_option

if TYPE_CHECKING:
    from collections.abc import Callable

    from kolrules.engine import Engine
    from kolrules.evaluate import Reasons
    from kolrules.types import Report, Summary

__all__ = ["columns", "evaluate", "explain"]


def _emit(
    write: Callable[[IO[str]], None],
    output: Path | None,
    run: Report | Summary,
    *,
    table: bool,
    lang: str = "en",
) -> None:
    """``write`` to stdout or to ``output``; then the summary line on stderr, in ``lang``
    (a table on stdout ends with its own), and a check that every row was accounted for."""
    if output is None:
        write(sys.stdout)
    else:
        try:
            fh = output.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
            return
        with fh:
            write(fh)
    if not table or output is not None:
        click.echo(_summary_line(run, lang), err=True)
    if not run.accounted():  # pragma: no cover - the engine guarantees it
        fail(
            "internal error: some rows were neither evaluated nor reported as errors", EXIT_INTERNAL
        )


def _summary_line(run: Report | Summary, lang: str) -> str:
    """``rows read 40 = accepted 20 + ...`` in ``lang``."""
    from kolrules.findings.words import words_for

    return words_for(lang).summary(run.rows_read, run.counts)


def _write(report: Report, engine: Engine, fmt: str, output: Path | None) -> None:
    reporter = engine.reporter(fmt)
    render = reporter.render
    _emit(
        lambda stream: render(report, stream),
        output,
        report,
        table=fmt == "table",
        lang=engine.lang,
    )


def _format_for(fmt: str | None, output: Path | None, engine: Engine) -> str:
    """``--format``, else the reporter whose extension is ``--output``'s suffix, else table."""
    if fmt:
        return fmt
    suffix = output.suffix.lower() if output is not None else ""
    if not suffix.lstrip("."):
        return "table"
    for reporter in engine.registry.reporters.values():
        if "." + reporter.extension.lower().lstrip(".") == suffix:
            return reporter.name
    return suffix.lstrip(".")


@click.command(epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@ruleset_option
@lang_option
@click.option(
    "--format",
    "-f",
    "fmt",
    metavar="FORMAT",
    help="table, json, jsonl, csv, xlsx or html (default: from --output's suffix, else "
    "table; xlsx needs -o FILE and the extra kolrules[excel]; html is the report of "
    "kolrules report, without its scatter chart).",
)
@output_option
@input_format_option
@sheet_option
@click.option(
    "--keep",
    metavar="COL,...",
    help="Input columns (by header) carried into the decisions, right after id: csv and "
    'xlsx columns, "kept": {header: value} in json and jsonl, table columns. Default: the '
    'name or nickname column (昵称) when INPUT has one; --keep "" keeps none.',
)
@click.option(
    "--bom/--no-bom",
    default=None,
    help="csv only: start the output with a UTF-8 byte-order mark, so that Excel shows "
    "Chinese text correctly. Default: on when writing a csv file (-o), off on standard output.",
)
@click.option(
    "--strict", is_flag=True, help="Treat any unreadable cell as a row error, not a data error."
)
@click.option(
    "--reasons",
    type=click.Choice(["text", "rules", "none"]),
    default="text",
    show_default=True,
    help="csv only: the reasons column holds the messages and to_pass what it would take "
    "(text), the failed rules' ids (rules: faster on millions of rows), or nothing (none: "
    "the fastest); the rule:<id> columns hold every outcome either way.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="csv only: write text cells as they are. By default a cell a spreadsheet would "
    "run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a "
    "leading ' so that Excel shows it as text.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="table only: how many rows the table lists; the summary counts every row "
    "(the file is read batch by batch, so a table of millions of rows is quick).",
)
@quiet_option
@click.pass_context
def evaluate(
    ctx: click.Context,
    input_file: Path,
    ruleset: str | None,
    lang: str,
    fmt: str | None,
    output: Path | None,
    input_format: str | None,
    sheet: str | None,
    keep: str | None,
    bom: bool | None,
    strict: bool,
    reasons: str,
    raw: bool,
    limit: int,
    quiet: bool,
) -> None:
    """Evaluate every KOL in INPUT: verdict, tier, price assessment, score and reasons.

    INPUT is CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; Chinese headers are recognised),
    JSON, JSONL or an Excel workbook (.xlsx, .xls; --sheet; needs kolrules[excel]); -
    reads standard input (csv, or --input-format). Every row is accounted for:
    evaluated, or listed as an error with its row number (data rows from 1; for a
    workbook, stderr says which sheet row the header is on). The summary line reads
    rows read = accepted + review + rejected + errors.

    csv, json, jsonl and xlsx output (and a plugin's format that can stream) is written
    batch by batch as the input is read, so files larger than memory can be evaluated; the
    table lists the first rows and counts every row. While it runs, a progress bar (rows,
    rows/s) is drawn on stderr when stderr is a terminal; -q draws none.

    \b
    Examples:
      kolrules evaluate examples/candidates.csv
      kolrules evaluate examples/candidates-gbk.csv -r rulesets/red-default.toml -f json
      kolrules evaluate export.csv -r weibo-default -o decisions.csv
      kolrules evaluate export.csv -o decisions.xlsx
      kolrules evaluate ten-million.csv -o decisions.csv --reasons rules
      kolrules evaluate ten-million.csv --limit 20
      export-tool | kolrules evaluate - -f jsonl
    """
    with errors(), stdin_or(input_file, input_format) as input_file:
        engine = engine_for(ctx, ruleset, strict, lang)
        chosen = _format_for(fmt, output, engine)
        reporter = engine.registry.reporter(chosen)  # fail on a bad format before reading
        if chosen == "xlsx":
            _xlsx_ready(output)
        if bom and chosen != "csv":
            fail(f"--bom is for csv output; {chosen} output has no byte-order mark", EXIT_USAGE)
        if keep and reporter.write_batches is None and chosen != "table":
            fail(
                f"--keep reaches csv, xlsx, json, jsonl and the table, not {chosen}: that "
                "format is rendered from a whole report, which carries no input columns",
                EXIT_USAGE,
            )
        kept = None if keep is None else tuple(c.strip() for c in keep.split(",") if c.strip())
        _sheet_note(engine, input_file, input_format, sheet)
        if reporter.write_batches is not None:  # streamed, batch by batch
            with_bom = bom if bom is not None else chosen == "csv" and output is not None
            options = _Options(reasons, raw, sheet, with_bom, kept, quiet)
            _stream(engine, chosen, input_file, output, input_format, options)
            return
        if chosen == "table":  # the first rows and the whole file's counts
            options = _Options(reasons, raw, sheet, False, kept, quiet)
            _table(engine, input_file, output, input_format, limit, options)
            return
        with progress_bar(quiet) as progress:
            report = engine.evaluate_file(
                input_file, input_format=input_format, sheet=sheet, progress=progress
            )
        _write(report, engine, chosen, output)


def _sheet_note(engine: Engine, source: Path, input_format: str | None, sheet: str | None) -> None:
    """For a workbook, which sheet row its header is on (row numbers in errors count the
    data rows below it) on stderr; a bad ``--sheet`` fails here, before the run."""
    from kolrules.read import sheet_header

    reader = engine.reader(source, input_format, sheet=sheet)
    if reader.name != "xlsx":
        return
    spellings = [s for names in engine.plan.schema.aliases.values() for s in names]
    click.echo(sheet_header(source, sheet, spellings).note(), err=True)


def _xlsx_ready(output: Path | None) -> None:
    """Refuse an xlsx run that cannot be written, before reading: to standard output (a
    workbook is a binary file), or without xlsxwriter (say what to install)."""
    from kolrules.formats import require_xlsxwriter

    if output is None:
        fail("xlsx is a binary workbook: write it to a file, -o decisions.xlsx", EXIT_USAGE)
    try:
        require_xlsxwriter()
    except ModuleNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)


def _table(
    engine: Engine,
    source: Path,
    output: Path | None,
    input_format: str | None,
    limit: int,
    options: _Options,
) -> None:
    from kolrules.report import render_table

    sheet = options.sheet
    with progress_bar(options.quiet) as progress:
        report, whole = engine.preview(
            source, limit, input_format=input_format, sheet=sheet, progress=progress
        )
    kept = engine.kept_values(
        source, options.keep, rows=limit, input_format=input_format, sheet=sheet
    )
    _emit(
        lambda stream: render_table(report, stream, whole=whole, kept=kept, lang=engine.lang),
        output,
        whole,
        table=True,
        lang=engine.lang,
    )


class _Options(NamedTuple):
    """What ``evaluate`` passes on to a streamed run."""

    reasons: str
    raw: bool
    sheet: str | None
    bom: bool
    keep: tuple[str, ...] | None
    quiet: bool


def _broken_pipe(exc: OSError) -> bool:
    """Whether writing failed because stdout's reader went away (polars' writers raise a
    plain OSError that says "os error 32")."""
    return (
        isinstance(exc, BrokenPipeError)
        or exc.errno == errno.EPIPE
        or f"(os error {errno.EPIPE})" in str(exc)
    )


def _stream(
    engine: Engine,
    fmt: str,
    source: Path,
    output: Path | None,
    input_format: str | None,
    options: _Options,
) -> None:
    target: Path | IO[bytes] = output if output is not None else sys.stdout.buffer
    beside = sys.stdout if output is None else None  # a bar would break into its lines
    try:
        with progress_bar(options.quiet, beside=beside) as progress:
            summary = engine.evaluate_to_file(
                source,
                target,
                input_format=input_format,
                output_format=fmt,
                reasons=cast("Reasons", options.reasons),
                raw=options.raw,
                sheet=options.sheet,
                bom=options.bom,
                keep=options.keep,
                progress=progress,
            )
    except OSError as exc:
        if _broken_pipe(exc):
            raise BrokenPipeError(errno.EPIPE, "the reader closed the pipe") from exc
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        return
    if output is None:
        sys.stdout.flush()
    click.echo(_summary_line(summary, engine.lang), err=True)
    if not summary.accounted():  # pragma: no cover - the engine guarantees it
        fail(
            "internal error: some rows were neither evaluated nor reported as errors", EXIT_INTERNAL
        )


@click.command(epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--id", "kol_id", required=True, help="The KOL's id, as in the input's id column.")
@ruleset_option
@lang_option
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@input_format_option
@sheet_option
@click.pass_context
def explain(
    ctx: click.Context,
    input_file: Path,
    kol_id: str,
    ruleset: str | None,
    lang: str,
    fmt: str,
    input_format: str | None,
    sheet: str | None,
) -> None:
    """Show every finding for one KOL: each rule's outcome and message, the input
    values beside the metrics, the tier and the price assessment.

    \b
    Example:
      kolrules explain examples/candidates.csv --id red-011
    """
    with errors(), stdin_or(input_file, input_format) as input_file:
        engine = engine_for(ctx, ruleset, lang=lang)
        report = engine.evaluate_file(input_file, input_format=input_format, sheet=sheet)
        decision = next((d for d in report.decisions if d.id == kol_id), None)
        if decision is None:
            error = next((e for e in report.errors if e.id == kol_id), None)
            if error is not None:
                click.echo(f"{kol_id} was not evaluated: {error}")
                return
            known = ", ".join(d.id for d in report.decisions[:8])
            fail(
                f"no KOL with id {kol_id!r} in {input_file}; ids there include {known}", EXIT_USAGE
            )
            return
        inputs = None
        if decision.row is not None:
            inputs = engine.profile_inputs(
                input_file, decision.row, input_format=input_format, sheet=sheet
            )
        if fmt == "json":
            from kolrules.report import jsonable

            shown = {**decision.to_dict(), "inputs": inputs}
            click.echo(json.dumps(jsonable(shown), ensure_ascii=False, indent=2))
            return
        from kolrules.report import render_explanation

        headers = report.columns.read if report.columns is not None else None
        render_explanation(decision, sys.stdout, inputs, headers, lang=lang)


@click.command(epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@ruleset_option
@input_format_option
@sheet_option
@click.option("--json", "as_json", is_flag=True, help="Print the mapping as JSON.")
@click.pass_context
def columns(
    ctx: click.Context,
    input_file: Path,
    ruleset: str | None,
    input_format: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Show how INPUT's headers are read, without evaluating it: the field each header
    gives (by the platform's spellings and the ruleset's [columns]), the headers no
    field reads, and the fields the rules read that INPUT lacks. Only the first rows
    are read, so it is quick on any file; check an export with it before a run.

    \b
    Examples:
      kolrules columns examples/candidates-gbk.csv
      kolrules columns export.csv -r weibo-default --json
    """
    with errors(), stdin_or(input_file, input_format) as input_file:
        engine = engine_for(ctx, ruleset)
        found = engine.read_columns(input_file, input_format=input_format, sheet=sheet)
        rs = engine.ruleset
        if as_json:
            shown = {
                "ruleset": {"name": rs.name, "version": rs.version},
                "platform": engine.plan.platform.name,
                "source": str(input_file),
                **found.to_dict(),
            }
            click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
            return
        from kolrules.report import render_columns

        platform = engine.plan.platform.name
        heading = (
            f"columns of {input_file} for ruleset {rs.name} {rs.version} (platform {platform})"
        )
        render_columns(found, sys.stdout, heading=heading)
