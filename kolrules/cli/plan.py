"""``kolrules plan``: the best set of KOLs to book for a budget, the offer to make each,
and the seeding list (docs/plan.md).

Glue: the options, one call (:func:`kolrules.planner.plan`), one render
(:mod:`kolrules.planner.display`), the error mapping. Nothing of the planner (nor polars)
is imported before the command runs, so ``kolrules --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import click

from kolrules.cli.errors import EXIT_USAGE, errors, fail
from kolrules.cli.options import (
    engine_for,
    input_format_option,
    output_option,
    ruleset_option,
    sheet_option,
    stdin_or,
)

__all__ = ["EXIT_INFEASIBLE", "PLAN_EPILOG", "plan"]

#: No plan meets the request (the message names the constraint and the way out).
EXIT_INFEASIBLE = 6

PLAN_EPILOG = (
    "Exit codes: 0 a plan was made, 2 usage, 3 bad ruleset, 4 bad input file, 5 plugin "
    "error, 6 no plan meets the constraints."
)

#: The planner's objectives and ways to pay (kolrules.planner.settings; a test checks
#: they agree), written here so that the command's options import nothing heavy.
OBJECTIVES = ("engagement", "reach", "score")
PAYS = ("quote", "offer")
#: Formats a plan is not written in yet: refused with a way out, not half written.
_LATER = ("xlsx", "html")


def _format_for(fmt: str | None, output: Path | None) -> str:
    if fmt:
        return fmt
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return suffix if suffix in ("json", "csv", *_LATER) else "table"


@click.command(epilog=PLAN_EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--budget",
    type=float,
    metavar="RMB",
    help="RMB to spend at most on paid posts (gifting is not paid from it). "
    "Default: budget in the ruleset's [planning] table.",
)
@ruleset_option
@click.option(
    "--mix",
    metavar="TIER=SHARE,...",
    help="Shares of the budget by tier, adding up to 1 (micro=0.6,mid=0.3,top=0.1); each "
    "tier's spend stays within --mix-tolerance of its share, and tiers left out are not "
    "booked.",
)
@click.option(
    "--mix-tolerance",
    type=float,
    metavar="SHARE",
    help="How far a tier's spend may be from its share, as a share of the budget (default 0.05).",
)
@click.option(
    "--objective",
    type=click.Choice(OBJECTIVES),
    help="What to maximise: expected engagement (default), reach (followers) or score "
    "(engagement weighted by score).",
)
@click.option(
    "--pay",
    type=click.Choice(PAYS),
    help="Pay each KOL its quote (default) or the offer ([pricing] target_cpe or target_cpr).",
)
@click.option(
    "--include-review/--no-include-review",
    default=None,
    help="Also book KOLs whose verdict is review (rejected ones never are).",
)
@click.option("--min-kols", type=int, metavar="N", help="Book at least N KOLs.")
@click.option("--max-kols", type=int, metavar="N", help="Book at most N KOLs.")
@click.option(
    "--max-share",
    type=float,
    metavar="SHARE",
    help="The most one KOL may take of the budget (0.3: 30 %).",
)
@click.option("--must", metavar="ID,...", help="Ids to book in any case.")
@click.option("--exclude", metavar="ID,...", help="Ids never to book.")
@click.option(
    "--gap",
    type=float,
    metavar="GAP",
    help="Stop once the plan is proven within this relative gap of the best (default "
    "0.0001; 0: prove the best).",
)
@click.option(
    "--time-limit",
    type=float,
    metavar="SECONDS",
    help="Give the best plan found after this long, with its gap (default 120).",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json", "csv", *_LATER]),
    help="table, json or csv (default: from --output's suffix, else table).",
)
@output_option
@input_format_option
@sheet_option
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    input_file: Path,
    ruleset: str | None,
    fmt: str | None,
    output: Path | None,
    input_format: str | None,
    sheet: str | None,
    **settings: Any,
) -> None:
    """Choose the KOLs of INPUT to book for a budget: the set that maximises the
    objective within the budget, the tier mix and the other constraints, solved exactly
    as an integer program (scipy's HiGHS; the extra kolrules[plan]). Gifting candidates
    (no quote) are listed apart with the products to send; every other KOL is listed
    with why it is out. A client's defaults can live in the ruleset's [planning] table;
    an option given here overrides it.

    \b
    Example:
      kolrules plan examples/candidates.csv --budget 30000
      kolrules plan examples/candidates.csv --budget 30000 --mix micro=0.7,mid=0.3 \\
          --max-share 0.3 -f json -o plan.json
    """
    fmt = _format_for(fmt, output)
    if fmt in _LATER:
        fail(
            f"a plan is not written as {fmt} yet: use -f csv (Excel opens it), -f json or -f table",
            EXIT_USAGE,
        )
    from kolrules.planner import InfeasiblePlanError, PlanRequestError, SolverMissingError
    from kolrules.planner import plan as make_plan
    from kolrules.planner.display import headline, render_csv, render_json, render_table

    with errors():
        try:
            engine = engine_for(ctx, ruleset)
            with stdin_or(input_file, input_format) as source:
                found = make_plan(
                    source, engine=engine, input_format=input_format, sheet=sheet, **settings
                )
        except PlanRequestError as exc:
            fail(f"--{exc.option.replace('_', '-')}: {exc.message}", EXIT_USAGE)
            return
        except InfeasiblePlanError as exc:
            fail(str(exc), EXIT_INFEASIBLE)
            return
        except SolverMissingError as exc:
            fail(str(exc), EXIT_USAGE)
            return
    render = {"table": render_table, "json": render_json, "csv": render_csv}[fmt]
    if output is None:
        render(found, sys.stdout)
    else:
        try:
            stream: IO[str] = output.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
            return
        with stream:
            render(found, stream)
    if fmt != "table" or output is not None:
        click.echo(headline(found), err=True)
