"""The ``kolrules`` command group: the global options (``-p``, ``--plugins-dir``,
``--version``), the built-in commands, one module per family, and the commands plugins add.

Exit codes are in :mod:`kolrules.cli.errors`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kolrules.cli.diff import diff
from kolrules.cli.errors import EPILOG, EXIT_PLUGIN, errors, fail
from kolrules.cli.evaluate import columns, evaluate, explain
from kolrules.cli.measure import measure
from kolrules.cli.options import check_plugin_args, check_plugins_dir, plugin_args
from kolrules.cli.plan import plan
from kolrules.cli.plugins import list_plugins
from kolrules.cli.report import report
from kolrules.cli.rulesets import list_rulesets, schema, validate
from kolrules.cli.ruletest import test_rulesets
from kolrules.cli.serve import replay, serve
from kolrules.errors import PluginError

__all__ = ["main"]


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``: kolrules' version and the third-party plugins that would be loaded
    (those installed, and those -p, --plugins-dir and KOLRULES_PLUGINS add)."""
    if not value or ctx.resilient_parsing:
        return
    from kolrules import __version__
    from kolrules.plugins import describe_plugins, make_plugin_manager
    from kolrules.plugins.listing import print_third_party

    click.echo(f"kolrules {__version__}")
    with errors():
        args = plugin_args(ctx.params.get("plugins", ()), ctx.params.get("plugins_dirs", ()))
        rows = describe_plugins(make_plugin_manager(args))
    print_third_party(rows, sys.stdout)
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
            from kolrules.plugins import make_plugin_manager
            from kolrules.plugins.registry import collect_commands

            args = plugin_args(ctx.params.get("plugins", ()), ctx.params.get("plugins_dirs", ()))
            with errors():
                pm = make_plugin_manager(args, third_party_only=True)  # no polars, no engine
                commands, owners = collect_commands(pm)
            for name, owner in owners.items():
                if name in self.commands:
                    fail(
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


@click.group(cls=_Commands, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--plugin",
    "-p",
    "plugins",
    multiple=True,
    metavar="MODULE|no:NAME",
    is_eager=True,
    callback=check_plugin_args,
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
    callback=check_plugins_dir,
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
    ctx.obj["plugins"] = plugin_args(plugins, plugins_dirs)


for _command in (
    evaluate,
    explain,
    columns,
    report,
    validate,
    list_rulesets,
    schema,
    list_plugins,
    test_rulesets,
    diff,
    measure,
    plan,
    serve,
    replay,
):
    main.add_command(_command)
