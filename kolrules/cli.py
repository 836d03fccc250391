"""The ``kolrules`` command line.

Exit codes do not depend on verdicts: a run that rejects every KOL still exits 0.

====  ==================================================================
0     success
1     an unexpected internal error (a bug: please report it)
2     usage error (a bad option, an unknown format or ruleset name)
3     a ruleset is malformed (every problem is listed)
4     an input file cannot be used as a whole (unreadable, empty, a
      required column missing); bad *rows* are reported, not fatal
5     a plugin failed (import error, clashing names, broken hook)
====  ==================================================================
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from kolrules import __version__
from kolrules.errors import (
    InputFileError,
    KolrulesError,
    PluginError,
    RulesetError,
    UnknownKindError,
)

if TYPE_CHECKING:
    from kolrules.engine import Engine
    from kolrules.report import Report

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_RULESET, EXIT_INPUT, EXIT_PLUGIN = 0, 1, 2, 3, 4, 5

F = TypeVar("F", bound=Callable[..., Any])

_EPILOG = "Exit codes: 0 ok, 2 usage, 3 bad ruleset, 4 bad input file, 5 plugin error."


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn kolrules' errors into a message on stderr and the documented exit code."""
    try:
        yield
    except RulesetError as exc:
        _fail(str(exc), EXIT_RULESET)
    except UnknownKindError as exc:
        _fail(str(exc), EXIT_USAGE)
    except InputFileError as exc:
        _fail(str(exc), EXIT_INPUT)
    except PluginError as exc:
        _fail(str(exc), EXIT_PLUGIN)
    except KolrulesError as exc:  # pragma: no cover - every subclass is handled above
        _fail(str(exc), EXIT_INTERNAL)


def _engine(ctx: click.Context, ruleset: str | None = None, strict: bool = False) -> Engine:
    from kolrules.engine import DEFAULT_RULESET, Engine

    plugins = tuple(ctx.obj.get("plugins", ()))
    return Engine(ruleset or DEFAULT_RULESET, plugins=plugins, strict=strict)


_ruleset_option = click.option(
    "--ruleset",
    "-r",
    metavar="NAME|PATH",
    help="A bundled ruleset's name (see `kolrules rulesets`) or a ruleset file. "
    "Default: red-default.",
)


@click.group(epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="kolrules")
@click.option(
    "--plugin",
    "-p",
    "plugins",
    multiple=True,
    metavar="MODULE",
    help="Load a plugin module (repeatable), in addition to the installed ones.",
)
@click.pass_context
def main(ctx: click.Context, plugins: tuple[str, ...]) -> None:
    """Vet and price KOLs (influencers) on RED, Weibo, WeChat and more, with TOML rulesets.

    \b
    Example:
      kolrules evaluate examples/candidates.csv
      kolrules evaluate examples/candidates.csv -r weibo-default --format json -o out.json
    """
    ctx.ensure_object(dict)
    ctx.obj["plugins"] = plugins


def _write(report: Report, engine: Engine, fmt: str, output: Path | None) -> None:
    reporter = engine.registry.reporter(fmt)
    if output is None:
        reporter.render(report, sys.stdout)
    else:
        try:
            fh = output.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
            return
        with fh:
            reporter.render(report, fh)
    if fmt != "table" or output is not None:
        click.echo(report.summary_line(), err=True)
    if not report.accounted():  # pragma: no cover - the engine guarantees it
        _fail(
            "internal error: some rows were neither evaluated nor reported as errors", EXIT_INTERNAL
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


@main.command(epilog=_EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@_ruleset_option
@click.option(
    "--format",
    "-f",
    "fmt",
    metavar="FORMAT",
    help="table, json, jsonl or csv (default: from --output's suffix, else table).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)
@click.option(
    "--input-format", metavar="FORMAT", help="csv, json or jsonl (default: from INPUT's suffix)."
)
@click.option(
    "--strict", is_flag=True, help="Treat any unreadable cell as a row error, not a data error."
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    input_file: Path,
    ruleset: str | None,
    fmt: str | None,
    output: Path | None,
    input_format: str | None,
    strict: bool,
) -> None:
    """Evaluate every KOL in INPUT: verdict, tier, price assessment, score and reasons.

    INPUT is CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; Chinese headers are recognised),
    JSON or JSONL. Every row is accounted for: evaluated, or listed as an error with its
    row number. The summary line reads rows read = accepted + review + rejected + errors.

    \b
    Examples:
      kolrules evaluate examples/candidates.csv
      kolrules evaluate examples/candidates-gbk.csv -r rulesets/red-default.toml -f json
      kolrules evaluate export.csv -r weibo-default -o decisions.csv
    """
    with _errors():
        engine = _engine(ctx, ruleset, strict)
        chosen = _format_for(fmt, output, engine)
        engine.registry.reporter(chosen)  # fail on a bad format before reading the input
        report = engine.evaluate_file(input_file, input_format=input_format)
        _write(report, engine, chosen, output)


@main.command(epilog=_EPILOG)
@click.argument("input_file", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--id", "kol_id", required=True, help="The KOL's id, as in the input's id column.")
@_ruleset_option
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--input-format", metavar="FORMAT", help="csv, json or jsonl (default: from INPUT's suffix)."
)
@click.pass_context
def explain(
    ctx: click.Context,
    input_file: Path,
    kol_id: str,
    ruleset: str | None,
    fmt: str,
    input_format: str | None,
) -> None:
    """Show every finding for one KOL: each rule's outcome and message, the metrics,
    the tier and the price assessment.

    \b
    Example:
      kolrules explain examples/candidates.csv --id red-011
    """
    with _errors():
        engine = _engine(ctx, ruleset)
        report = engine.evaluate_file(input_file, input_format=input_format)
        decision = next((d for d in report.decisions if d.id == kol_id), None)
        if decision is None:
            error = next((e for e in report.errors if e.id == kol_id), None)
            if error is not None:
                click.echo(f"{kol_id} was not evaluated: {error}")
                return
            known = ", ".join(d.id for d in report.decisions[:8])
            _fail(
                f"no KOL with id {kol_id!r} in {input_file}; ids there include {known}", EXIT_USAGE
            )
            return
        if fmt == "json":
            from kolrules.report import jsonable

            click.echo(json.dumps(jsonable(decision.to_dict()), ensure_ascii=False, indent=2))
            return
        _explain_table(decision, sys.stdout)


def _explain_table(decision: Any, stream: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from kolrules.evaluate import format_value

    console = Console(file=stream, width=120, highlight=False)
    p = decision.price
    score = "missing" if decision.score is None else f"{decision.score:.1f}"
    console.print(
        f"[bold]{decision.id}[/] ({decision.platform}): verdict [bold]{decision.verdict}[/], "
        f"tier {decision.tier or 'unknown'}, score {score}"
    )
    quote = "no quote (gifting candidate)" if p.gifting else f"quote {format_value(p.quote)} RMB"
    console.print(
        f"{quote}; fair band {format_value(p.band_min)}-{format_value(p.band_max)} RMB; "
        f"position {p.position or 'n/a'}; CPE {format_value(p.cpe)}"
    )
    console.print(
        f"ruleset {decision.ruleset.name} {decision.ruleset.version} ({decision.ruleset.hash[:12]})"
    )
    for e in decision.data_errors:
        console.print(f"[yellow]data error[/]: {e}")
    table = Table(title="findings", title_justify="left")
    for col in ("rule", "stage", "outcome", "severity", "message"):
        table.add_column(col, overflow="fold")
    colours = {"fail": "red", "pass": "green", "not_applicable": "dim"}
    for f in decision.findings:
        table.add_row(
            f.rule, f.stage, f"[{colours[f.outcome]}]{f.outcome}[/]", f.severity, f.message
        )
    console.print(table)
    metrics = Table(title="metrics", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name, value in decision.metrics.items():
        metrics.add_row(name, format_value(value))
    console.print(metrics)


@main.command(epilog=_EPILOG)
@click.argument("rulesets", nargs=-1, required=True, metavar="RULESET...")
@click.pass_context
def validate(ctx: click.Context, rulesets: tuple[str, ...]) -> None:
    """Check ruleset files (or bundled names): TOML, keys, types, expressions, names,
    tiers, scoring. Every problem is listed with its file, line and key path.

    \b
    Example:
      kolrules validate rulesets/red-default.toml weibo-default
    """
    from kolrules.engine import Engine

    failed = False
    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        for source in rulesets:
            try:
                rs = engine.load_ruleset(source)
                plan = engine.compile(rs)
            except (RulesetError, UnknownKindError) as exc:
                failed = True
                click.echo(f"FAIL {source}\n{exc}", err=True)
                continue
            click.echo(
                f"ok   {rs.path}: {rs.name} {rs.version} for {plan.platform.name}, "
                f"{len(plan.rules)} rules, {len(plan.tiers)} tiers, {len(plan.metrics)} metrics"
            )
    if failed:
        sys.exit(EXIT_RULESET)


@main.command("rulesets", epilog=_EPILOG)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_rulesets(ctx: click.Context, as_json: bool) -> None:
    """List the rulesets known by name (bundled, and those plugins add).

    \b
    Example:
      kolrules rulesets
    """
    from kolrules.engine import Engine

    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rows: list[dict[str, Any]] = []
        for name, path in sorted(engine.named_rulesets().items()):
            try:
                rs = engine.load_ruleset(path)
                rows.append(
                    {
                        "name": name,
                        "platform": rs.platform,
                        "version": rs.version,
                        "rules": len(rs.rules),
                        "description": rs.description,
                        "path": str(path),
                    }
                )
            except RulesetError as exc:
                rows.append(
                    {
                        "name": name,
                        "platform": None,
                        "version": None,
                        "rules": None,
                        "description": f"INVALID: {exc.issues[0].message}",
                        "path": str(path),
                    }
                )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("name", "platform", "version", "rules", "description"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["name"], str(r["platform"]), str(r["version"]), str(r["rules"]), r["description"]
        )
    Console(highlight=False).print(table)


@main.command("plugins", epilog=_EPILOG)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_plugins(ctx: click.Context, as_json: bool) -> None:
    """List the loaded plugins: name, distribution and version, the hooks each
    implements and the kinds it registers (platforms, scorers, readers, reporters).

    \b
    Example:
      kolrules plugins --json
    """
    from kolrules.engine import Engine
    from kolrules.plugins import describe_plugins

    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rows = describe_plugins(engine.plugin_manager, engine.registry)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("plugin", "distribution", "hooks", "registers"):
        table.add_column(col, overflow="fold")
    for r in rows:
        dist = f"{r['distribution']} {r['version']}" if r["distribution"] else "-"
        kinds = "; ".join(f"{k}: {', '.join(v)}" for k, v in r["registers"].items()) or "-"
        table.add_row(r["name"], dist, "\n".join(r["hooks"]), kinds)
    Console(highlight=False).print(table)


if __name__ == "__main__":  # pragma: no cover
    main()
