"""``kolrules diff``: what changing the ruleset does to the KOLs of one input."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kolrules.cli.errors import EPILOG, EXIT_USAGE, errors, fail
from kolrules.cli.options import engine_for, input_format_option, output_option
from kolrules.cli.progress import progress_bar, quiet_option

__all__ = ["diff"]


@click.command("diff", epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--base",
    "-b",
    required=True,
    metavar="NAME|PATH",
    help="The ruleset in use now: a bundled name or a file.",
)
@click.option(
    "--ruleset",
    "-r",
    required=True,
    metavar="NAME|PATH",
    help="The changed ruleset (or an overlay of the base): a bundled name or a file.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json lists every changed profile, for tools.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="How many changed profiles the table lists.",
)
@output_option
@input_format_option
@quiet_option
@click.pass_context
def diff(
    ctx: click.Context,
    input_file: Path,
    base: str,
    ruleset: str,
    fmt: str,
    limit: int,
    output: Path | None,
    input_format: str | None,
    quiet: bool,
) -> None:
    """Show what changing the ruleset from --base to --ruleset does to the KOLs in INPUT.

    Both rulesets run over the same profiles. Shown: the verdict transition matrix (a
    row error counts as the verdict "error"), tier and score changes, the rules behind
    the changed verdicts, and for each changed profile the rules responsible with their
    messages and values. The rulesets must be for the same platform (else exit 2). The
    exit code does not depend on the changes. While both run, a progress bar (rows of
    INPUT compared, rows/s) is drawn on stderr when stderr is a terminal; -q draws none.
    See docs/diff.md.

    \b
    Examples:
      kolrules diff -b red-default -r rulesets/clients/beauty-startup.toml examples/candidates.csv
      kolrules diff -b red-default -r red-new.toml export.csv --format json -o impact.json
    """
    from kolrules.diff import IncompatibleRulesetsError, impact
    from kolrules.diff.display import diff_json, print_diff

    with errors():
        before = engine_for(ctx, base)
        after = engine_for(ctx, ruleset)
        frame = before.reader(input_file, input_format).read(input_file)
        try:
            with progress_bar(quiet, label="comparing", total=frame.height) as progress:
                result = impact(
                    before,
                    after,
                    frame,
                    limit=None if fmt == "json" else limit,
                    source=str(input_file),
                    progress=progress,
                )
        except IncompatibleRulesetsError as exc:
            fail(str(exc), EXIT_USAGE)
            return
    try:
        fh = sys.stdout if output is None else output.open("w", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        return
    try:
        if fmt == "json":
            fh.write(diff_json(result) + "\n")
        else:
            print_diff(result, fh)
    finally:
        if output is not None:
            fh.close()
