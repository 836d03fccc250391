"""schemathesis against the service's OpenAPI document, in process: every endpoint, with
generated requests (valid and not), gets no server error, and every response matches the
status codes, content types and schemas the document declares. Bounded: a few examples per
operation, so the whole run takes seconds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

pytest.importorskip("starlette")
pytest.importorskip("schemathesis")

import schemathesis

from kolrules.serve import Limits, Settings, create_app

# Made as the module is collected: schemathesis makes one test per operation from it.
APP = create_app(Settings(reload_interval=0, limits=Limits(max_body_bytes=100_000, max_rows=200)))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
TEXT_BODIES = {"text/csv", "application/x-ndjson", "application/toml", "text/plain"}


@schemathesis.serializer("application/x-ndjson", "application/toml")
def _as_text(context: Any, value: Any) -> bytes:
    """Bodies of these types are text: sent as generated (a string)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


@SCHEMA.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_endpoint_keeps_its_contract(case: Any) -> None:
    # Left out: "a schema-valid request is accepted". A CSV or JSON Lines body is any text
    # to JSON Schema, and text that holds no readable profiles is refused (422), as the
    # CLI refuses such a file. For a text body (CSV, JSON Lines, TOML), "a schema-violating
    # request is refused" is left out too: a "non-string" body goes on the wire as text,
    # which is a valid body. Every other check runs: no server error, and the status, the
    # content type, the headers and the body as documented.
    excluded = [schemathesis.checks.positive_data_acceptance]
    if case.media_type in TEXT_BODIES:
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded)


def test_the_document_lists_every_endpoint() -> None:
    operations = {
        (op.method.upper(), op.path) for op in (r.ok() for r in SCHEMA.get_all_operations())
    }
    assert operations == {
        ("POST", "/v1/evaluate"),
        ("POST", "/v1/explain"),
        ("GET", "/v1/rulesets"),
        ("GET", "/v1/rulesets/{name}"),
        ("POST", "/v1/rulesets/validate"),
        ("GET", "/v1/plugins"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    }
