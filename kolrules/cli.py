"""The ``kolrules`` command line.

Exit codes do not depend on verdicts: a run that rejects every KOL still exits 0.

====  ==================================================================
0     success
1     an unexpected internal error (a bug: please report it); for
      ``kolrules test``: a test failed or coverage is below --min-coverage
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


_output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)
_input_format_option = click.option(
    "--input-format", metavar="FORMAT", help="csv, json or jsonl (default: from INPUT's suffix)."
)
_ruleset_option = click.option(
    "--ruleset",
    "-r",
    metavar="NAME|PATH",
    help="A bundled ruleset's name (see `kolrules rulesets`) or a ruleset file. "
    "Default: red-default.",
)


def _check_plugin_args(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """``-p no:`` without a name, or naming a core plugin, is a usage error (exit 2)."""
    blocks = [v[3:].strip() for v in values if v.startswith("no:")]
    if blocks:
        from kolrules.plugins import check_blocks

        try:
            check_blocks(blocks, "-p")
        except PluginError as exc:
            raise click.BadParameter(str(exc).removeprefix("-p: "), ctx, param) from None
    return values


def _check_plugins_dir(
    ctx: click.Context, param: click.Parameter, values: tuple[Path, ...]
) -> tuple[Path, ...]:
    for path in values:
        if not path.is_dir():
            state = "is not a directory" if path.exists() else "does not exist"
            raise click.BadParameter(
                f"{str(path)!r} {state}; give a directory that holds plugin *.py files",
                ctx,
                param,
            )
    return values


def _plugin_args(plugins: tuple[str, ...], plugins_dirs: tuple[Path, ...]) -> tuple[object, ...]:
    """What ``-p`` and ``--plugins-dir`` add to ``Engine(plugins=...)``."""
    if not plugins_dirs:
        return plugins
    from kolrules.plugins import PluginsDir

    return (*plugins, *(PluginsDir(d) for d in plugins_dirs))


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``: kolrules' version and the third-party plugins that would be loaded
    (those installed, and those -p, --plugins-dir and KOLRULES_PLUGINS add)."""
    if not value or ctx.resilient_parsing:
        return
    from kolrules.plugins import describe_plugins, make_plugin_manager

    click.echo(f"kolrules {__version__}")
    with _errors():
        args = _plugin_args(ctx.params.get("plugins", ()), ctx.params.get("plugins_dirs", ()))
        rows = [r for r in describe_plugins(make_plugin_manager(args)) if r["source"] != "default"]
    if not rows:
        click.echo("third-party plugins: none")
    else:
        click.echo("third-party plugins:")
        for r in rows:
            dist = f"{r['distribution']} {r['version']}" if r["distribution"] else "no distribution"
            where = r["path"] if r["source"] == "plugins-dir" else r["source"]
            click.echo(f"  {r['name']}: {dist} ({where})")
    ctx.exit(0)


def _third_party(ctx: click.Context) -> bool:
    """Whether a third-party plugin could be loaded (only those add commands): one named
    by -p, --plugins-dir or KOLRULES_PLUGINS, or an installed entry point."""
    import os

    if ctx.params.get("plugins") or ctx.params.get("plugins_dirs"):
        return True
    if os.environ.get("KOLRULES_PLUGINS", "").strip():
        return True
    if os.environ.get("KOLRULES_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    from importlib import metadata

    return bool(metadata.entry_points(group="kolrules"))


class _Commands(click.Group):
    """The built-in commands, then those plugins add (``kolrules_commands_register``).

    Plugins are loaded for this only when the command asked for is not a built-in one, or
    for the list in ``kolrules --help`` when a third-party plugin could be loaded (the
    first-party plugins add no commands), so built-in commands and a plain ``--help``
    start as fast as before."""

    def _added(self, ctx: click.Context) -> dict[str, click.Command]:
        found: dict[str, click.Command] | None = ctx.meta.get("kolrules.commands")
        if found is None:
            from kolrules._registry import collect_commands
            from kolrules.plugins import make_plugin_manager

            args = _plugin_args(ctx.params.get("plugins", ()), ctx.params.get("plugins_dirs", ()))
            with _errors():
                commands, owners = collect_commands(make_plugin_manager(args))
            for name, owner in owners.items():
                if name in self.commands:
                    _fail(
                        f"plugin {owner!r} adds a command {name!r}, but kolrules has a built-in "
                        f"command of that name; rename the plugin's command, or leave the "
                        f"plugin out with -p no:{owner}",
                        EXIT_PLUGIN,
                    )
            found = ctx.meta["kolrules.commands"] = commands
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        if not _third_party(ctx):  # kolrules' own plugins add no commands: stay fast
            return sorted(self.commands)
        return sorted({*self.commands, *self._added(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name) or self._added(ctx).get(cmd_name.casefold())


@click.group(
    cls=_Commands, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--plugin",
    "-p",
    "plugins",
    multiple=True,
    metavar="MODULE|no:NAME",
    is_eager=True,
    callback=_check_plugin_args,
    help="Load a plugin module or entry point by name (repeatable; also KOLRULES_PLUGINS=a,b). "
    "-p no:NAME blocks the plugin NAME (also KOLRULES_DISABLE_PLUGINS=a,b).",
)
@click.option(
    "--plugins-dir",
    "plugins_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    is_eager=True,
    callback=_check_plugins_dir,
    help="Load every *.py file in DIR as a plugin (a one-off client tweak; repeatable).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    callback=_show_version,
    help="Show kolrules' version and the third-party plugins, then exit.",
)
@click.pass_context
def main(ctx: click.Context, plugins: tuple[str, ...], plugins_dirs: tuple[Path, ...]) -> None:
    """Vet and price KOLs (influencers) on RED, Weibo, WeChat and more, with TOML rulesets.

    Plugins load in this order: kolrules' own, installed ones (the kolrules entry
    points; KOLRULES_DISABLE_PLUGIN_AUTOLOAD=1 skips them), KOLRULES_PLUGINS, -p, then
    --plugins-dir. See `kolrules plugins`.

    \b
    Example:
      kolrules evaluate examples/candidates.csv
      kolrules evaluate examples/candidates.csv -r weibo-default --format json -o out.json
      kolrules -p no:weibo --plugins-dir ./tweaks evaluate examples/candidates.csv
    """
    import os

    disabled = os.environ.get("KOLRULES_DISABLE_PLUGINS", "")
    if disabled.strip():
        from kolrules.plugins import ENV_DISABLED, check_blocks

        try:
            check_blocks([n.strip() for n in disabled.split(",") if n.strip()], ENV_DISABLED)
        except PluginError as exc:
            raise click.UsageError(str(exc), ctx) from None
    ctx.ensure_object(dict)
    ctx.obj["plugins"] = _plugin_args(plugins, plugins_dirs)


def _write(report: Report, engine: Engine, fmt: str, output: Path | None) -> None:
    reporter = engine.reporter(fmt)
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
@_output_option
@_input_format_option
@click.option(
    "--strict", is_flag=True, help="Treat any unreadable cell as a row error, not a data error."
)
@click.option(
    "--reasons",
    type=click.Choice(["text", "rules"]),
    default="text",
    show_default=True,
    help="csv only: the reasons column holds the messages (text) or the failed rules' ids "
    "(rules: faster on millions of rows; the rule:<id> columns hold every outcome either way).",
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
    reasons: str,
) -> None:
    """Evaluate every KOL in INPUT: verdict, tier, price assessment, score and reasons.

    INPUT is CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; Chinese headers are recognised),
    JSON or JSONL. Every row is accounted for: evaluated, or listed as an error with its
    row number. The summary line reads rows read = accepted + review + rejected + errors.

    csv output is written batch by batch as the input is read, so files larger than
    memory can be evaluated; the other formats hold the whole run in memory.

    \b
    Examples:
      kolrules evaluate examples/candidates.csv
      kolrules evaluate examples/candidates-gbk.csv -r rulesets/red-default.toml -f json
      kolrules evaluate export.csv -r weibo-default -o decisions.csv
      kolrules evaluate ten-million.csv -o decisions.csv --reasons rules
    """
    with _errors():
        engine = _engine(ctx, ruleset, strict)
        chosen = _format_for(fmt, output, engine)
        reporter = engine.registry.reporter(chosen)  # fail on a bad format before reading
        from kolrules.report import CSV as BUILTIN_CSV

        if reporter is BUILTIN_CSV:  # streamed, batch by batch
            _stream_csv(engine, input_file, output, input_format, reasons)
            return
        report = engine.evaluate_file(input_file, input_format=input_format)
        _write(report, engine, chosen, output)


def _stream_csv(
    engine: Engine, source: Path, output: Path | None, input_format: str | None, reasons: str
) -> None:
    target: Path | IO[bytes] = output if output is not None else sys.stdout.buffer
    try:
        summary = engine.evaluate_to_file(
            source,
            target,
            input_format=input_format,
            reasons="rules" if reasons == "rules" else "text",
        )
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        return
    if output is None:
        sys.stdout.flush()
    click.echo(summary.summary_line(), err=True)


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
@_input_format_option
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
@click.option("--strict", is_flag=True, help="Fail (exit 3) on warnings too, as on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print every error and warning as JSON.")
@click.pass_context
def validate(ctx: click.Context, rulesets: tuple[str, ...], strict: bool, as_json: bool) -> None:
    """Check ruleset files (or names) and every file they extend, and list every problem
    at once, each with its file, line, key path and a hint.

    Errors (exit 3): TOML, keys and types (the JSON Schema, see `kolrules schema`),
    extends (missing, circular or ambiguous parents, unknown rule ids or tiers),
    overlapping or inverted tiers, unmet requires, expressions and names.
    Warnings (exit 0 unless --strict): gaps between tiers, price bands that fall as
    tiers rise, rules that can never apply, pass or fail, unused params and metrics.
    A file of ruleset tests (NAME.test.toml) is checked against its ruleset.

    \b
    Examples:
      kolrules validate rulesets/red-default.toml weibo-default
      kolrules validate --strict rulesets/clients/beauty-startup.toml
    """
    from kolrules._validate import validate as validate_one
    from kolrules.engine import Engine

    failed = False
    rows: list[dict[str, Any]] = []
    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        for source in rulesets:
            result = validate_one(engine, source, tuple(ctx.obj.get("plugins", ())))
            bad = bool(result.errors) or (strict and bool(result.warnings))
            failed = failed or bad
            if as_json:
                rows.append(_validation_row(result, bad))
            else:
                _print_validation(result, bad)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    if failed:
        sys.exit(EXIT_RULESET)


def _print_validation(result: Any, bad: bool) -> None:
    warnings = result.warnings
    if result.errors:
        click.echo(f"FAIL {result.source}\n{RulesetError(result.errors)}", err=True)
    elif bad:
        plural = "s" if len(warnings) != 1 else ""
        click.echo(f"FAIL {result.source}: {len(warnings)} warning{plural} (--strict)", err=True)
    elif result.cases is not None:
        click.echo(f"ok   {result.source}: {result.cases} test cases for {result.tested}")
    else:
        rs, plan = result.ruleset, result.plan
        from kolrules._render import display_path

        parents = " -> ".join(map(display_path, rs.chain[1:]))
        extends = f", extends {parents}" if parents else ""
        noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        click.echo(
            f"ok   {rs.path}: {rs.name} {rs.version} for {plan.platform.name}, "
            f"{len(plan.rules)} rules, {len(plan.tiers)} tiers, {len(plan.metrics)} metrics"
            f"{extends}{noted}"
        )
    for w in warnings:
        click.echo(str(w), err=True)


def _validation_row(result: Any, bad: bool) -> dict[str, Any]:
    rs = result.ruleset
    return {
        "source": result.source,
        "ok": not bad,
        "name": rs.name if rs else None,
        "chain": list(rs.chain) if rs else [],
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "issues": [
            {
                "severity": i.severity,
                "file": i.file,
                "line": i.line,
                "key": i.key,
                "message": i.message,
                "hint": i.hint,
            }
            for i in result.issues
        ],
    }


@main.group("rulesets", epilog=_EPILOG, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_rulesets(ctx: click.Context, as_json: bool) -> None:
    """List the rulesets known by name (bundled, and those plugins add), or show one
    with `kolrules rulesets show`. Client rulesets in subdirectories (rulesets/clients/)
    are known by their file name too.

    \b
    Examples:
      kolrules rulesets
      kolrules rulesets show beauty-startup --resolved
    """
    if ctx.invoked_subcommand is not None:
        return
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
                        "extends": rs.chain[1] if len(rs.chain) > 1 else None,
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
                        "extends": None,
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
    for col in ("name", "platform", "version", "rules", "extends", "description"):
        table.add_column(col, overflow="fold")
    for r in rows:
        extends = Path(r["extends"]).stem if r["extends"] else ""
        table.add_row(
            r["name"],
            str(r["platform"]),
            str(r["version"]),
            str(r["rules"]),
            extends,
            r["description"],
        )
    Console(highlight=False).print(table)


@list_rulesets.command("show", epilog=_EPILOG)
@click.argument("source", metavar="FILE|NAME")
@click.option(
    "--resolved",
    is_flag=True,
    help="Show the effective ruleset after merging the files it extends, each value "
    "commented with the file:line that set it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show_ruleset(ctx: click.Context, source: str, resolved: bool, as_json: bool) -> None:
    """Show a ruleset file as written, with the chain of files it extends; with
    --resolved, the effective ruleset as TOML, each value commented with the file and
    line that set it (a standalone ruleset: it loads as it is).

    \b
    Examples:
      kolrules rulesets show beauty-startup
      kolrules rulesets show rulesets/clients/luxury-brand.toml --resolved
      kolrules rulesets show luxury-brand --resolved --json
    """
    from kolrules._render import display_path, resolved_json, resolved_toml
    from kolrules.engine import Engine
    from kolrules.ruleset import load_ruleset

    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rs = load_ruleset(source, engine.registry.ruleset_dirs)
        text = Path(rs.path).read_text(encoding="utf-8")
    if resolved:
        if as_json:
            click.echo(json.dumps(resolved_json(rs), ensure_ascii=False, indent=2))
        else:
            click.echo(resolved_toml(rs), nl=False)
        return
    if as_json:
        info: dict[str, Any] = {"name": rs.name, "version": rs.version, "platform": rs.platform}
        info |= {"hash": rs.hash, "path": rs.path, "chain": list(rs.chain), "text": text}
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    parents = " -> ".join(map(display_path, rs.chain[1:]))
    click.echo(f"# {rs.path}" + (f" (extends {parents})" if parents else ""))
    click.echo(text, nl=not text.endswith("\n"))


@main.command("schema", epilog=_EPILOG)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the schema to FILE instead of printing it.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema (draft 2020-12) of ruleset files, for completion and checks
    in editors: taplo / Even Better TOML read it from a `#:schema ./ruleset.schema.json`
    first line or from a taplo config (docs/editors.md).

    \b
    Examples:
      kolrules schema -o ruleset.schema.json
      kolrules schema > rulesets/ruleset.schema.json
    """
    from kolrules._schema import schema_json

    text = schema_json()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)


@main.command("plugins", epilog=_EPILOG)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the list as JSON: one object per plugin."
)
@click.pass_context
def list_plugins(ctx: click.Context, as_json: bool) -> None:
    """List the loaded plugins, in load order: name, where each came from (default,
    entrypoint, -p, env, plugins-dir), distribution and version, the hooks each
    implements and the kinds it registers (platforms, scorers, rule kinds, readers, reporters,
    ruleset dirs); then the plugins that were blocked.

    \b
    Examples:
      kolrules plugins --json
      kolrules -p no:weibo --plugins-dir ./tweaks plugins
    """
    from kolrules.engine import Engine
    from kolrules.plugins import describe_plugins

    with _errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rows = describe_plugins(engine.plugin_manager, engine.registry)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        dist = f"{r['distribution']} {r['version']}" if r["distribution"] else "no distribution"
        click.echo(f"{r['name']}  ({r['source'] or '?'}; {dist})")
        if r["source"] != "default" and r["path"]:
            click.echo(f"    file:  {r['path']}")
        click.echo(f"    hooks: {', '.join(r['hooks']) or '-'}")
        for kind, names in r["registers"].items():
            click.echo(f"    {kind}: {', '.join(names)}")
    blocked = getattr(engine.plugin_manager, "blocked_plugins", {})
    if blocked:
        click.echo("blocked: " + ", ".join(f"{n} ({how})" for n, how in blocked.items()))


# -- ruleset tests and impact diff (kolrules test, kolrules diff) -------------------------

#: ``kolrules test`` exits 1 when a test fails or coverage is below ``--min-coverage``.
EXIT_TESTS_FAILED = 1

_TEST_EPILOG = (
    "Exit codes: 0 all tests pass, 1 a test failed or coverage is below --min-coverage, "
    "2 usage, 3 a ruleset or test file is malformed, 5 plugin error."
)


@main.command("test", epilog=_TEST_EPILOG)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="PATH...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the results as JUnit XML (a testsuite per file), for CI.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="PERCENT",
    help="Fail (exit 1) when rule coverage over all rulesets is below PERCENT.",
)
@click.option("--verbose", "-v", is_flag=True, help="List every test and every rule's coverage.")
@click.pass_context
def test_rulesets(
    ctx: click.Context,
    paths: tuple[Path, ...],
    junit_xml: Path | None,
    min_coverage: float | None,
    verbose: bool,
) -> None:
    """Run ruleset tests (like `opa test`) and report rule coverage.

    PATH is a test file (NAME.test.toml beside NAME.toml), a ruleset (its [[test]] tables
    and the test file beside it) or a directory, searched recursively for both. Each
    failing test is shown as expected-versus-got for its verdict, tier, score and
    findings. Coverage: every rule must pass in some test and fail in some test, and a
    rule with a `when` must also be not applicable in some test; every ruleset found
    counts, tested or not. See docs/testing-rulesets.md.

    \b
    Examples:
      kolrules test rulesets/
      kolrules test rulesets/ --min-coverage 100 --junit-xml test-results.xml
      kolrules test rulesets/red-default.test.toml -v
    """
    from kolrules._ruletest_report import print_coverage, print_run, write_junit
    from kolrules.ruletest import run_tests

    with _errors():
        run = run_tests(paths, plugins=tuple(ctx.obj.get("plugins", ())))
    if not run.files and not run.coverage and not run.issues:
        _fail(
            f"no tests or rulesets in {', '.join(map(str, paths))}: test files are named "
            "NAME.test.toml, next to the ruleset NAME.toml",
            EXIT_USAGE,
        )
    print_run(run, sys.stdout, sys.stderr, verbose=verbose)
    print_coverage(run.coverage, sys.stdout, verbose=verbose)
    if junit_xml is not None:
        try:
            write_junit(run, junit_xml, min_coverage=min_coverage)
        except OSError as exc:
            _fail(f"cannot write {junit_xml}: {exc.strerror or exc}", EXIT_USAGE)
    if run.has_errors:
        sys.exit(EXIT_RULESET)
    if run.count("fail"):
        sys.exit(EXIT_TESTS_FAILED)
    if min_coverage is not None and run.coverage_percent < min_coverage:
        _fail(
            f"rule coverage {run.coverage_percent:.1f}% is below --min-coverage "
            f"{min_coverage:g}%: add tests for the gaps listed above",
            EXIT_TESTS_FAILED,
        )


@main.command("diff", epilog=_EPILOG)
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
@_output_option
@_input_format_option
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
) -> None:
    """Show what changing the ruleset from --base to --ruleset does to the KOLs in INPUT.

    Both rulesets run over the same profiles. Shown: the verdict transition matrix (a
    row error counts as the verdict "error"), tier and score changes, the rules behind
    the changed verdicts, and for each changed profile the rules responsible with their
    messages and values. The rulesets must be for the same platform (else exit 2). The
    exit code does not depend on the changes. See docs/diff.md.

    \b
    Examples:
      kolrules diff -b red-default -r rulesets/clients/beauty-startup.toml examples/candidates.csv
      kolrules diff -b red-default -r red-new.toml export.csv --format json -o impact.json
    """
    from kolrules._diff_report import diff_json, print_diff
    from kolrules.diff import IncompatibleRulesetsError, impact

    with _errors():
        before = _engine(ctx, base)
        after = _engine(ctx, ruleset)
        frame = before.reader(input_file, input_format).read(input_file)
        try:
            result = impact(
                before, after, frame, limit=None if fmt == "json" else limit, source=str(input_file)
            )
        except IncompatibleRulesetsError as exc:
            _fail(str(exc), EXIT_USAGE)
            return
    try:
        fh = sys.stdout if output is None else output.open("w", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        return
    try:
        if fmt == "json":
            fh.write(diff_json(result) + "\n")
        else:
            print_diff(result, fh)
    finally:
        if output is not None:
            fh.close()


if __name__ == "__main__":  # pragma: no cover
    main()
