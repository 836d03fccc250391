"""``kolrules validate``, ``kolrules rulesets`` (list, ``show``) and ``kolrules schema``:
the commands about ruleset files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kolrules.cli.errors import EPILOG, EXIT_RULESET, EXIT_USAGE, errors, fail
from kolrules.errors import RulesetError

__all__ = ["list_rulesets", "schema", "show_ruleset", "validate"]


@click.command(epilog=EPILOG)
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
    from kolrules.checks import validate as validate_one
    from kolrules.checks.display import print_validation, validation_row
    from kolrules.engine import Engine

    failed = False
    rows: list[dict[str, Any]] = []
    with errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        for source in rulesets:
            result = validate_one(engine, source, tuple(ctx.obj.get("plugins", ())))
            bad = bool(result.errors) or (strict and bool(result.warnings))
            failed = failed or bad
            if as_json:
                rows.append(validation_row(result, bad))
            else:
                print_validation(result, bad, sys.stdout, sys.stderr)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    if failed:
        sys.exit(EXIT_RULESET)


@click.group("rulesets", epilog=EPILOG, invoke_without_command=True)
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
    from kolrules.ruleset.display import catalogue_row, print_catalogue

    with errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rows: list[dict[str, Any]] = []
        for name, path in sorted(engine.named_rulesets().items()):
            try:
                rows.append(catalogue_row(name, path, engine.load_ruleset(path)))
            except RulesetError as exc:
                rows.append(catalogue_row(name, path, exc))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print_catalogue(rows)


@list_rulesets.command("show", epilog=EPILOG)
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
    from kolrules.engine import Engine
    from kolrules.ruleset import load_ruleset
    from kolrules.ruleset.display import display_path, resolved_json, resolved_toml

    with errors():
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


@click.command("schema", epilog=EPILOG)
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
    from kolrules.ruleset.file_schema import schema_json

    text = schema_json()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
