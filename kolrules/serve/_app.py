"""The ASGI app (Starlette): the routes, each request's id, authentication and problem
details, the ruleset reload task, and the decision log written before each answer."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from kolrules.formats import dumps
from kolrules.plugins import describe_plugins
from kolrules.serve._auth import BearerAuth
from kolrules.serve._docs import DOCS_PAGE
from kolrules.serve._evaluate import (
    MEDIA_TYPES,
    Evaluated,
    as_value,
    evaluate_rows,
    explain_profile,
    parse_json,
    read_request,
)
from kolrules.serve._log import DecisionLog, DecisionLogError, log_line, now_text
from kolrules.serve._problems import PROBLEM_JSON, Problem, problem_body
from kolrules.serve._rulesets import RulesetsDir, RulesetStore, Served
from kolrules.serve._settings import ENV_SETTINGS, Settings
from kolrules.serve.openapi import openapi_document

__all__ = ["Service", "app_from_environment", "create_app"]

log = logging.getLogger("kolrules.serve")

#: Bodies up to this size are read and evaluated in the event loop (a few profiles take
#: well under a millisecond); larger ones in a worker thread, a few at a time.
INLINE_BYTES = 64 << 10
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_TOML_TYPES = ("application/toml", "text/plain")


class Service:
    """What the routes share: the settings, the rulesets, the token check, the log."""

    def __init__(self, settings: Settings, store: RulesetStore | None = None) -> None:
        from kolrules import __version__

        self.settings = settings
        self.version = __version__
        self.auth = BearerAuth(settings.token())
        plugins = settings.plugin_args()
        if settings.rulesets_dir is not None:
            plugins = (*plugins, RulesetsDir(settings.rulesets_dir))
        if store is None:
            store = RulesetStore(plugins, settings.default_ruleset)
            store.scan()
        self.store = store
        self.decision_log: DecisionLog | None = None
        if settings.decision_log is not None:
            self.decision_log = DecisionLog(
                settings.decision_log,
                max_bytes=settings.decision_log_max_bytes,
                backups=settings.decision_log_backups,
            )
            self.decision_log.check()
        self.openapi = dumps(openapi_document(self.version, auth=self.auth.enabled)).encode()
        self._limiter: anyio.CapacityLimiter | None = None

    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.limits.batch_concurrency)
        return self._limiter

    def write_log(self, lines: list[str], request_id: str) -> None:
        if self.decision_log is None:
            return
        try:
            self.decision_log.append(lines)
        except DecisionLogError as exc:
            log.error("request %s: %s", request_id, exc)
            raise Problem(
                "decision-log-failed",
                f"{exc}; the request was not answered because its decisions could not be "
                "logged: the service's operator must fix the decision log (disk space, "
                "permissions), then send the request again",
            ) from None


# -- helpers --------------------------------------------------------------------------------


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(value).encode("utf-8"), status, headers=headers, media_type="application/json"
    )


def _problem(problem: Problem, request: Request, request_id: str) -> Response:
    headers = {"X-Request-ID": request_id}
    if problem.kind == "unauthorized":
        headers["WWW-Authenticate"] = 'Bearer realm="kolrules"'
    body = problem_body(problem, request.url.path, request_id)
    return Response(dumps(body).encode("utf-8"), problem.status, headers, PROBLEM_JSON)


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _ruleset_headers(served: Served) -> dict[str, str]:
    rs = served.ruleset
    return {
        "Kolrules-Ruleset-Name": quote(rs.name, safe=""),
        "Kolrules-Ruleset-Version": quote(rs.version, safe=""),
        "Kolrules-Ruleset-Hash": rs.hash,
    }


def _media_type(request: Request, accepted: tuple[str, ...]) -> str:
    given = request.headers.get("content-type", "")
    media = given.partition(";")[0].strip().lower()
    if media not in accepted:
        shown = f"{given!r}" if given else "no content type"
        raise Problem(
            "unsupported-media-type",
            f"the body was sent with {shown}; send it with one of: {', '.join(accepted)}",
        )
    return media


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = Problem(
        "body-too-large",
        f"the body is over the limit of {limit:,} bytes; send fewer profiles per request "
        "(the limit is the service's --max-body-bytes)",
        max_body_bytes=limit,
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", ""):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise Problem("bad-parameter", f"{name}={value!r} is neither true nor false", parameter=name)


Handler = Callable[[Request, str], Awaitable[Response]]


def _endpoint(
    service: Service, handler: Handler, *, secured: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` with the request's id, the token check, and every failure turned into
    problem details (an unexpected one logged with its traceback)."""

    async def endpoint(request: Request) -> Response:
        request_id = _request_id(request)
        try:
            if secured:
                service.auth.check(request.headers.get("authorization"))
            response = await handler(request, request_id)
        except Problem as problem:
            return _problem(problem, request, request_id)
        except Exception:
            log.exception("request %s to %s failed", request_id, request.url.path)
            failed = Problem(
                "internal-error",
                f"the service failed on this request (a bug: please report it); its log "
                f"holds the traceback under request id {request_id}",
            )
            return _problem(failed, request, request_id)
        response.headers["X-Request-ID"] = request_id
        return response

    return endpoint


# -- the routes -----------------------------------------------------------------------------


def _routes(service: Service) -> list[Route]:
    settings = service.settings
    limits = settings.limits

    async def run(size: int, work: Callable[[], Any]) -> Any:
        """``work`` in the event loop for a small body, else in a worker thread."""
        if size <= INLINE_BYTES:
            return work()
        return await anyio.to_thread.run_sync(work, limiter=service.limiter())

    async def evaluate(request: Request, request_id: str) -> Response:
        served = service.store.get(request.query_params.get("ruleset"))
        fmt = MEDIA_TYPES[_media_type(request, tuple(MEDIA_TYPES))]
        data = await _body(request, limits.max_body_bytes)
        engine = served.engine
        keep = service.decision_log is not None

        def work() -> Evaluated:
            found = read_request(engine, data, fmt, limits.max_rows)
            done = evaluate_rows(engine, found, keep=keep)
            if keep:
                ref = _log_ruleset(served)
                when = now_text()
                service.write_log(
                    [
                        log_line(
                            when,
                            request_id,
                            "evaluate",
                            ref,
                            row,
                            kind,
                            given,
                            output,
                            done.headers,
                        )
                        for row, kind, given, output in done.rows
                    ],
                    request_id,
                )
            return done

        done: Evaluated = await run(len(data), work)
        return Response(
            done.document, headers=_ruleset_headers(served), media_type="application/json"
        )

    async def explain(request: Request, request_id: str) -> Response:
        served = service.store.get(request.query_params.get("ruleset"))
        _media_type(request, ("application/json",))
        data = await _body(request, limits.max_body_bytes)

        def work() -> dict[str, Any]:
            value = parse_json(data)
            if not isinstance(value, dict):
                raise Problem(
                    "unusable-input",
                    "explain takes one profile, a JSON object; to evaluate many, POST them "
                    "to /v1/evaluate",
                )
            profile = {str(k): as_value(v) for k, v in value.items()}
            shown = explain_profile(served.engine, profile)
            if service.decision_log is not None:
                kind = "decision" if shown["decision"] is not None else "error"
                output = dumps(shown["decision"] or shown["error"])
                line = log_line(
                    now_text(),
                    request_id,
                    "explain",
                    _log_ruleset(served),
                    1,
                    kind,
                    profile,
                    output,
                )
                service.write_log([line], request_id)
            return shown

        shown = await run(len(data), work)
        return _json(shown, headers=_ruleset_headers(served))

    async def list_rulesets(request: Request, request_id: str) -> Response:
        return _json(service.store.listing())

    async def show_ruleset(request: Request, request_id: str) -> Response:
        name = request.path_params["name"]
        detail = service.store.detail(name)
        served = service.store.get(name) if detail["ruleset"] is not None else None
        return _json(detail, headers=_ruleset_headers(served) if served else None)

    async def validate(request: Request, request_id: str) -> Response:
        strict = _flag(request, "strict")
        _media_type(request, _TOML_TYPES)
        data = await _body(request, limits.max_body_bytes)
        row = await anyio.to_thread.run_sync(
            service.store.validate_text, data, strict, limiter=service.limiter()
        )
        return _json(row)

    async def plugins(request: Request, request_id: str) -> Response:
        base = service.store.base
        rows = describe_plugins(base.plugin_manager, base.registry)
        blocked = dict(getattr(base.plugin_manager, "blocked_plugins", {}))
        return _json({"plugins": rows, "blocked": blocked})

    async def healthz(request: Request, request_id: str) -> Response:
        return _json({"status": "ok", "version": service.version})

    async def readyz(request: Request, request_id: str) -> Response:
        store = service.store
        if not store.ready:
            raise Problem(
                "ruleset-unavailable",
                f"the default ruleset {store.default!r} has no working version: "
                "GET /v1/rulesets says why",
            )
        listing = store.listing()["rulesets"]
        return _json(
            {
                "status": "ready",
                "default": store.default,
                "rulesets": sum(r["status"] != "error" for r in listing),
                "broken": sum(r["error"] is not None for r in listing),
            }
        )

    async def openapi(request: Request, request_id: str) -> Response:
        return Response(service.openapi, media_type="application/json")

    async def docs(request: Request, request_id: str) -> Response:
        return HTMLResponse(DOCS_PAGE)

    def route(path: str, handler: Handler, method: str, *, secured: bool = True) -> Route:
        return Route(path, _endpoint(service, handler, secured=secured), methods=[method])

    return [
        route("/v1/evaluate", evaluate, "POST"),
        route("/v1/explain", explain, "POST"),
        route("/v1/rulesets", list_rulesets, "GET"),
        route("/v1/rulesets/validate", validate, "POST"),
        route("/v1/rulesets/{name}", show_ruleset, "GET"),
        route("/v1/plugins", plugins, "GET"),
        route("/healthz", healthz, "GET", secured=False),
        route("/readyz", readyz, "GET", secured=False),
        route("/openapi.json", openapi, "GET", secured=False),
        route("/docs", docs, "GET", secured=False),
    ]


def _log_ruleset(served: Served) -> dict[str, str]:
    rs = served.ruleset
    return {"name": rs.name, "version": rs.version, "hash": rs.hash}


async def _http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, a method the path does not take)."""
    assert isinstance(exc, HTTPException)
    request_id = _request_id(request)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        problem = Problem(
            "method-not-allowed",
            f"{request.method} is not allowed on {request.url.path}; use {allowed or 'another'}",
        )
    elif exc.status_code == 404:
        problem = Problem(
            "not-found",
            f"there is nothing at {request.url.path}; GET /docs lists the endpoints",
        )
    else:  # pragma: no cover - the router raises only 404 and 405
        problem = Problem("bad-parameter", str(exc.detail), status=exc.status_code)
    response = _problem(problem, request, request_id)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def create_app(settings: Settings, *, store: RulesetStore | None = None) -> Starlette:
    """The service's ASGI app: rulesets loaded (and checked) now, reloaded while it runs
    every ``settings.reload_interval`` seconds. Raises ``ValueError`` for a token file that
    cannot be read, :class:`~kolrules.errors.KolrulesError` for a default ruleset that
    does not load, ``OSError`` for a decision log that cannot be opened."""
    service = Service(settings, store)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if settings.reload_interval > 0:
                tasks.start_soon(_reload, service.store, settings.reload_interval)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
        if service.decision_log is not None:
            service.decision_log.close()

    app = Starlette(
        routes=_routes(service),
        exception_handlers={HTTPException: _http_problem},
        lifespan=lifespan,
    )
    app.state.service = service
    return app


async def _reload(store: RulesetStore, interval: float) -> None:
    """Look at the ruleset files every ``interval`` seconds, in a worker thread."""
    while True:
        await anyio.sleep(interval)
        try:
            await anyio.to_thread.run_sync(store.scan)
        except Exception:  # pragma: no cover - scan reports its own failures
            log.exception("reloading the rulesets failed; trying again in %s s", interval)


def app_from_environment() -> Starlette:
    """The app of a worker process of ``kolrules serve --workers N``: the settings come
    through the environment variable :data:`~kolrules.serve._settings.ENV_SETTINGS`."""
    text = os.environ.get(ENV_SETTINGS)
    if not text:
        raise RuntimeError(
            f"{ENV_SETTINGS} is not set: start the service with `kolrules serve`, which sets it"
        )
    return create_app(Settings.from_json(text))
