"""``kolrules measure``: how good each rule and the verdict are against labelled outcomes,
and (``--suggest``) which thresholds fit them, as an overlay ruleset (``-o``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kolrules.cli.errors import EPILOG, EXIT_USAGE, errors, fail
from kolrules.cli.options import (
    engine_for,
    input_format_option,
    ruleset_option,
    sheet_option,
    stdin_or,
)
from kolrules.cli.progress import progress_bar, quiet_option

if TYPE_CHECKING:
    from kolrules.measure import Measurement

__all__ = ["measure"]


@click.command("measure", epilog=EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--label",
    "-l",
    required=True,
    metavar="COLUMN",
    help="The input column that holds the outcomes (by header; case and surrounding spaces "
    "ignored). Rows where it is empty are counted and left out.",
)
@click.option(
    "--positive",
    required=True,
    metavar="VALUE[,VALUE...]",
    help="The labels that mean positive (a fake account, a campaign that did not pay off), "
    "ignoring case; every other non-empty label is negative.",
)
@ruleset_option
@click.option(
    "--predict",
    type=click.Choice(["reject", "review"]),
    default="reject",
    show_default=True,
    help="What counts as the verdict predicting positive: reject, or review (reject and "
    "review). A rule predicts positive where it fails.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="json and csv have every measure with its 95 % interval, for tools.",
)
@click.option(
    "--min-support",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="--suggest fits no threshold for a rule compared on fewer than N labelled rows.",
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Fit each threshold a rule compares a metric or field with (a [params] value) to "
    "the outcomes, with k-fold cross-validation.",
)
@click.option(
    "--fit",
    type=click.Choice(["mcc", "f1", "youden"]),
    default=None,
    help="What --suggest maximises (default mcc; youden: recall + specificity - 1).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Folds of --suggest's cross-validation (stratified by outcome).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the bootstrap intervals and of the folds: the same seed, the same figures.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.toml",
    help="With --suggest: write an overlay ruleset (it extends the measured one) setting the "
    "thresholds whose fit holds out of sample, each with its evidence. The report still "
    "goes to standard output.",
)
@input_format_option
@sheet_option
@quiet_option
@click.pass_context
def measure(
    ctx: click.Context,
    input_file: Path,
    label: str,
    positive: str,
    ruleset: str | None,
    predict: str,
    fmt: str,
    min_support: int,
    suggest: bool,
    fit: str | None,
    folds: int,
    seed: int,
    output: Path | None,
    input_format: str | None,
    sheet: str | None,
    quiet: bool,
) -> None:
    """Measure each rule and the verdict against the outcomes in INPUT's --label column.

    Every row is evaluated. For each rule: how often it applied, failed and was not
    applicable; TP, FP, TN, FN taking "the rule failed" as predicting positive (where it
    does not apply it predicts negative); precision, recall, F1, accuracy, MCC and lift,
    with 95 % bootstrap intervals (2,000 resamples); rules sorted by MCC; rules that
    never fail, or always fail where they apply, flagged. Then the verdict against the label
    (--predict), pairs of rules that almost always fail together, and the rules that add
    nothing to the verdict's MCC. A measure whose denominator is 0 is 0. Rows that are
    errors and rows without a label are counted and left out. Needs the extra
    kolrules[measure] (numpy). See docs/measure.md.

    \b
    Examples:
      kolrules measure examples/labelled.csv --label outcome --positive fake
      kolrules measure history.csv -l 结果 --positive 假号,刷量 -r acme.toml -f json
      kolrules measure examples/labelled.csv -l outcome --positive fake --suggest \\
          -o client-calibrated.toml
    """
    from kolrules.measure import MeasureError
    from kolrules.measure import measure as run

    if output is not None and not suggest:
        fail(
            "-o writes the overlay of the thresholds --suggest fits: add --suggest "
            "(the report goes to standard output; redirect it with >)",
            EXIT_USAGE,
        )
    if fit is not None and not suggest:
        fail("--fit says what --suggest fits: add --suggest", EXIT_USAGE)
    with errors():
        engine = engine_for(ctx, ruleset)
        try:
            with (
                stdin_or(input_file, input_format) as path,
                progress_bar(quiet, label="measuring") as progress,
            ):
                result = run(
                    engine,
                    path,
                    label=label,
                    positive=positive.split(","),
                    predict="review" if predict == "review" else "reject",
                    suggest=(fit or "mcc") if suggest else None,
                    folds=folds,
                    min_support=min_support,
                    seed=seed,
                    input_format=input_format,
                    sheet=sheet,
                    progress=progress,
                )
        except MeasureError as exc:
            fail(str(exc), EXIT_USAGE)
            return
    _show(result, fmt)
    if output is not None:
        _write_overlay(result, output, ruleset)


def _show(result: Measurement, fmt: str) -> None:
    from kolrules.measure.display import measurement_csv, measurement_json, print_measurement

    if fmt == "json":
        sys.stdout.write(measurement_json(result) + "\n")
    elif fmt == "csv":
        measurement_csv(result, sys.stdout)
    else:
        print_measurement(result, sys.stdout)


def _write_overlay(result: Measurement, output: Path, ruleset: str | None) -> None:
    from kolrules.engine import DEFAULT_RULESET
    from kolrules.measure.overlay import applied_suggestions, overlay_text

    given = ruleset or DEFAULT_RULESET
    if "/" in given or given.endswith(".toml"):  # a path: relative to the overlay's folder
        parent = Path(result.ruleset_path).resolve()
        extends = os.path.relpath(parent, output.resolve().parent)
        if "/" not in extends and not extends.endswith(".toml"):  # pragma: no cover
            extends = f"./{extends}"
    else:
        extends = given
    text = overlay_text(result, extends=extends, name=output.stem)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        return
    n = len(applied_suggestions(result))
    click.echo(
        f"wrote {output}: {n} threshold{'s' if n != 1 else ''} set; check it with "
        f"`kolrules validate {output}` and `kolrules diff -b {given} -r {output} "
        f"{result.source}`",
        err=True,
    )
