"""``kolrules plugins``: the loaded plugins, what each registers, and the blocked ones."""

from __future__ import annotations

import json
import sys

import click

from kolrules.cli.errors import EPILOG, errors

__all__ = ["list_plugins"]


@click.command("plugins", epilog=EPILOG)
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
    from kolrules.plugins.listing import print_plugins

    with errors():
        engine = Engine(plugins=tuple(ctx.obj.get("plugins", ())))
        rows = describe_plugins(engine.plugin_manager, engine.registry)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print_plugins(rows, getattr(engine.plugin_manager, "blocked_plugins", {}), sys.stdout)
