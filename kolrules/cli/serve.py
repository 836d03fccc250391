"""``kolrules serve`` (the HTTP service) and ``kolrules replay`` (a decision log evaluated
again). Both need the ``serve`` extra; its packages are imported only when a command runs,
so that ``kolrules`` starts without them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import click

from kolrules.cli.errors import EPILOG, EXIT_USAGE, errors, fail

__all__ = ["EXIT_CHANGED", "REPLAY_EPILOG", "replay", "serve"]

#: ``kolrules replay`` exits 1 when a decision changed.
EXIT_CHANGED = 1

REPLAY_EPILOG = (
    "Exit codes: 0 no decision changed, 1 a decision changed, 2 usage, 3 bad ruleset, "
    "4 the log cannot be read, 5 plugin error."
)

_EXTRA = "pip install 'kolrules[serve]'"


def _need_extra(command: str) -> None:
    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        fail(
            f"kolrules {command} needs the serve extra ({', '.join(missing)} missing): {_EXTRA}",
            EXIT_USAGE,
        )


def _plugin_options(ctx: click.Context) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """The group's -p and --plugins-dir, as given (a worker process rebuilds them)."""
    root = ctx.find_root().params
    return tuple(root.get("plugins") or ()), tuple(root.get("plugins_dirs") or ())


@click.command(epilog=EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--rulesets",
    "rulesets_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    help="Serve the rulesets in DIR (and its subdirectories) by name, beside the bundled "
    "ones and those plugins register; they reload when their files change.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (each loads the rulesets; about one per core).",
)
@click.option(
    "--default-ruleset",
    default="red-default",
    show_default=True,
    help="The ruleset of a request that names none (it must load at start).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Require 'Authorization: Bearer TOKEN' on /v1, the token being this file's first "
    "line (else the KOLRULES_SERVE_TOKEN environment variable; else no authentication, "
    "and only a loopback --host).",
)
@click.option(
    "--allow-no-auth",
    is_flag=True,
    help="Listen on a --host other than loopback without a token (a trusted network only).",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every decision to FILE as a JSON line (replay it with `kolrules replay`).",
)
@click.option(
    "--decision-log-max-bytes",
    type=click.IntRange(min=1),
    default=100 << 20,
    show_default=True,
    help="Rotate the decision log (FILE.1, FILE.2, ...) before it grows over this size.",
)
@click.option(
    "--decision-log-backups",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many rotated decision logs to keep.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    default=32 << 20,
    show_default=True,
    help="The largest request body taken (413 above it).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="The most profiles taken in one request (413 above it).",
)
@click.option(
    "--batch-concurrency",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Large requests (over 64 KiB) a worker evaluates at once; the others wait.",
)
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between two looks at the ruleset files (0: never reload).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option("--access-log/--no-access-log", default=True, show_default=True)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    rulesets_dir: Path | None,
    workers: int,
    default_ruleset: str,
    token_file: Path | None,
    allow_no_auth: bool,
    decision_log: Path | None,
    decision_log_max_bytes: int,
    decision_log_backups: int,
    max_body_bytes: int,
    max_rows: int,
    batch_concurrency: int,
    reload_interval: float,
    log_level: str,
    access_log: bool,
) -> None:
    """Serve kolrules over HTTP (JSON, under /v1): evaluate and explain profiles with any
    served ruleset, list and validate rulesets, list plugins; /healthz, /readyz,
    /openapi.json and a docs page at /docs. Needs the serve extra:
    pip install 'kolrules[serve]'. See docs/service.md.

    \b
    Examples:
      kolrules serve
      kolrules serve --rulesets client-rulesets/ --decision-log decisions.jsonl
      kolrules serve --host 0.0.0.0 --token-file token.txt --workers 2
      curl -s -H 'Content-Type: text/csv' --data-binary @examples/candidates.csv \\
        'http://127.0.0.1:8000/v1/evaluate?ruleset=red-default'
    """
    _need_extra("serve")
    from kolrules.serve import Limits, Settings, run

    plugins, plugins_dirs = _plugin_options(ctx)
    settings = Settings(
        host=host,
        port=port,
        workers=workers,
        rulesets_dir=rulesets_dir,
        default_ruleset=default_ruleset,
        plugins=plugins,
        plugins_dirs=plugins_dirs,
        token_file=token_file,
        allow_no_auth=allow_no_auth,
        decision_log=decision_log,
        decision_log_max_bytes=decision_log_max_bytes,
        decision_log_backups=decision_log_backups,
        reload_interval=reload_interval,
        limits=Limits(max_body_bytes, max_rows, batch_concurrency),
    )
    with errors():
        try:
            run(
                settings,
                say=lambda s: click.echo(s, err=True),
                log_level=log_level,
                access_log=access_log,
            )
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
        except OSError as exc:
            fail(f"cannot start: {exc.strerror or exc}", EXIT_USAGE)


@click.command(epilog=REPLAY_EPILOG)
@click.argument(
    "logs",
    nargs=-1,
    required=True,
    metavar="LOG...",
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--ruleset",
    "-r",
    metavar="NAME|PATH",
    help="Evaluate every entry with this ruleset (default: each with the ruleset it was "
    "logged with, by name, as its files are now).",
)
@click.option(
    "--rulesets",
    "rulesets_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    help="Also know the rulesets in DIR by name (as kolrules serve --rulesets DIR did).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each change as a JSON line.")
@click.pass_context
def replay(
    ctx: click.Context,
    logs: tuple[Path, ...],
    ruleset: str | None,
    rulesets_dir: Path | None,
    as_json: bool,
) -> None:
    """Evaluate the inputs of a decision log (kolrules serve --decision-log) again, with
    the rulesets as they are now, and list every decision that changed (verdict, tier,
    score, price position or band, failed rules). Give rotated logs oldest first
    (LOG.2 LOG.1 LOG). Exits 1 when a decision changed, 0 when none did.

    \b
    Examples:
      kolrules replay decisions.jsonl
      kolrules replay decisions.jsonl.1 decisions.jsonl -r client-rulesets/acme.toml
      kolrules replay decisions.jsonl --rulesets client-rulesets/ --json > changed.jsonl
    """
    _need_extra("replay")
    from kolrules.serve import replay_log

    with errors():
        found = replay_log(
            logs,
            ruleset=ruleset,
            plugins=tuple(ctx.obj.get("plugins", ())),
            rulesets_dir=rulesets_dir,
        )
    for change in found.changes:
        if as_json:
            click.echo(json.dumps(change.to_dict(), ensure_ascii=False))
        else:
            click.echo(str(change))
    for name, (logged, now) in sorted(found.rulesets.items()):
        other = [h for h in logged if h != now]
        if other:
            click.echo(
                f"ruleset {name}: logged with hash {', '.join(h[:12] for h in other)}, "
                f"now {now[:12]}",
                err=True,
            )
    click.echo(found.summary_line(), err=True)
    if found.changes:
        sys.exit(EXIT_CHANGED)
