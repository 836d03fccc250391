"""Running the service on uvicorn: the start-up checks and message, one process or N."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from kolrules.serve._settings import ENV_SETTINGS, ENV_TOKEN, Settings, is_loopback

__all__ = ["run", "startup_notes"]


def startup_notes(settings: Settings, token: str | None) -> list[str]:
    """What the service says as it starts (where it listens, whether it authenticates);
    raises ``ValueError`` for a host other than loopback without a token (unless
    ``allow_no_auth``)."""
    where = f"http://{settings.host}:{settings.port}"
    notes = [f"kolrules serve: listening on {where} (docs: {where}/docs)"]
    if token is not None:
        how = f"the token file {settings.token_file}" if settings.token_file else ENV_TOKEN
        notes.append(f"authentication: a bearer token is required on /v1 (from {how})")
    elif is_loopback(settings.host):
        notes.append(
            "authentication: none (no --token-file, no "
            f"{ENV_TOKEN}): listening on loopback only, so only this machine can connect"
        )
    elif settings.allow_no_auth:
        notes.append(
            f"authentication: NONE, on {settings.host}: anyone who can reach this address "
            "can use the service (--allow-no-auth)"
        )
    else:
        raise ValueError(
            f"refusing to listen on {settings.host} without authentication: give a token "
            f"(--token-file FILE, or the environment variable {ENV_TOKEN}), listen on "
            "127.0.0.1, or pass --allow-no-auth if the network is trusted"
        )
    if settings.decision_log is not None:
        notes.append(f"decision log: {settings.decision_log}")
    return notes


def run(
    settings: Settings,
    *,
    say: Callable[[str], None] = print,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Check the settings, load the rulesets, say so, and serve until stopped."""
    import uvicorn

    from kolrules.serve._app import create_app

    token = settings.token()
    notes = startup_notes(settings, token)
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:  %(name)s: %(message)s")
    app = create_app(settings)  # every ruleset loaded and checked before listening
    service = app.state.service
    listing = service.store.listing()["rulesets"]
    served = [r["name"] for r in listing if r["status"] != "error"]
    notes.append(f"rulesets: {', '.join(served)} (default {settings.default_ruleset})")
    broken = [r["name"] for r in listing if r["error"] is not None]
    if broken:
        notes.append(f"rulesets that do not load (see GET /v1/rulesets): {', '.join(broken)}")
    if settings.workers > 1:
        notes.append(f"workers: {settings.workers} processes")
    for note in notes:
        say(note)
    if settings.workers == 1:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            access_log=access_log,
            server_header=False,
        )
        return
    del app, service  # each worker process builds its own
    os.environ[ENV_SETTINGS] = settings.to_json()
    uvicorn.run(
        "kolrules.serve._app:app_from_environment",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        server_header=False,
    )
