"""The OpenAPI 3.1 document of the service (``GET /openapi.json``): every endpoint, its
parameters, its request body, and the JSON Schema of every response, the decision JSON
and problem details included. The test suite runs schemathesis against it, so a response
that does not match its schema fails the tests."""

from __future__ import annotations

from typing import Any

from kolrules.formats import dumps
from kolrules.serve._problems import PROBLEM_JSON, PROBLEMS

__all__ = ["SCHEMAS", "openapi_document"]

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """A closed object: every key of ``required`` present, those of ``optional`` allowed."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_NUM_OR_NULL = {"type": ["number", "null"]}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_STRINGS = {"type": "array", "items": _STR}
_SCALAR = {"type": ["number", "string", "boolean", "null"]}

_DECISION_PARTS: dict[str, Any] = {
    "RulesetRef": _object(
        {"name": _STR, "version": _STR, "hash": _STR, "chain": _STRINGS},
    ),
    "DataError": _object({"column": _STR, "value": _STR_OR_NULL, "reason": _STR}),
    "RowError": {
        **_object(
            {
                "row": _INT,
                "id": _STR_OR_NULL,
                "errors": {"type": "array", "items": _ref("DataError")},
                "reason": _STR,
            }
        ),
        "description": "A row that was not evaluated, with its row number (from 1) and why.",
    },
    "ToPass": _object(
        {
            "name": _STR,
            "now": {"type": ["number", "string", "null"]},
            "op": {"enum": ["<=", ">=", "<", ">", "==", "!=", "present"]},
            "need": {"type": ["number", "string", "null"]},
            "part": _INT,
        }
    ),
    "Finding": _object(
        {
            "rule": _STR,
            "stage": _STR,
            "outcome": {"enum": ["pass", "fail", "not_applicable"]},
            "severity": {"enum": ["reject", "review", "warn", "info"]},
            "message": _STR,
            "to_pass": _nullable({"type": "array", "items": _ref("ToPass")}),
            "superseded_by": _STR_OR_NULL,
            "seen": _ANY_OBJECT,
            "thresholds": _ANY_OBJECT,
        }
    ),
    "PriceAssessment": _object(
        {
            "quote": _NUM_OR_NULL,
            "band_min": _NUM_OR_NULL,
            "band_max": _NUM_OR_NULL,
            "position": {"enum": ["below", "within", "above", None]},
            "cpe": _NUM_OR_NULL,
            "gifting": _BOOL,
        }
    ),
    "Applied": _object(
        {"rules": _INT, "of": _INT, "missing": _STRINGS, "enough": _BOOL},
    ),
    "Decision": {
        **_object(
            {
                "id": _STR,
                "platform": _STR,
                "row": {"type": ["integer", "null"]},
                "verdict": {"enum": ["accept", "review", "reject"]},
                "tier": _STR_OR_NULL,
                "score": _NUM_OR_NULL,
                "price": _ref("PriceAssessment"),
                "findings": {"type": "array", "items": _ref("Finding")},
                "data_errors": {"type": "array", "items": _ref("DataError")},
                "ruleset": _ref("RulesetRef"),
                "metrics": {"type": "object", "additionalProperties": _SCALAR},
                "why": _STR,
                "score_missing": _STR_OR_NULL,
                "applied": _nullable(_ref("Applied")),
            }
        ),
        "description": "The engine's answer for one profile (Decision.to_dict()); `why` is "
        "the verdict's reason, each failed finding's `to_pass` what it would take to pass.",
    },
    "Columns": {
        "type": "object",
        "description": "How the body's headers (a single object's keys) were read "
        "(Columns.to_dict()).",
        "properties": {
            "read": {"type": "object", "additionalProperties": _STR},
            "unused": _STRINGS,
            "lacking": {"type": "object", "additionalProperties": _STRINGS},
            "required": _STRINGS,
        },
        "required": ["read", "unused", "lacking"],
    },
    "Summary": _object(
        {"rows_read": _INT, "accepted": _INT, "review": _INT, "rejected": _INT, "errors": _INT}
    ),
    "DecisionDocument": {
        **_object(
            {
                "ruleset": _ref("RulesetRef"),
                "source": _STR_OR_NULL,
                "columns": _nullable(_ref("Columns")),
                "decisions": {"type": "array", "items": _ref("Decision")},
                "errors": {"type": "array", "items": _ref("RowError")},
                "summary": _ref("Summary"),
            }
        ),
        "description": "The document `kolrules evaluate --format json` writes: decisions "
        "in input order, then the row errors, then the counts (`source` is null).",
    },
}

#: What GET /v1/rulesets says of each ruleset (and GET /v1/rulesets/{name}, with more).
_STATE: dict[str, Any] = {
    "name": _STR,
    "platform": _STR_OR_NULL,
    "version": _STR_OR_NULL,
    "rules": {"type": ["integer", "null"]},
    "extends": _STR_OR_NULL,
    "description": _STR_OR_NULL,
    "path": _STR,
    "status": {"enum": ["ok", "stale", "error"]},
    "hash": _STR_OR_NULL,
    "chain": _STRINGS,
    "loaded_at": _STR_OR_NULL,
    "error": _ref("RulesetError"),
}

SCHEMAS: dict[str, Any] = {
    **_DECISION_PARTS,
    "Problem": {
        "type": "object",
        "description": "Problem details (RFC 9457).",
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": _STR,
            "status": _INT,
            "detail": _STR,
            "instance": _STR,
            "request_id": _STR,
        },
        "required": ["type", "title", "status", "detail", "request_id"],
    },
    "Profile": {
        "type": "object",
        "description": "One KOL's profile: fields in any spelling the platform knows "
        "(Chinese headers too), values as numbers or as exported text (`1.2万`).",
        "additionalProperties": True,
    },
    "Explanation": _object(
        {
            "ruleset": _ref("RulesetRef"),
            "decision": _nullable(
                _object({**_DECISION_PARTS["Decision"]["properties"], "inputs": _ANY_OBJECT})
            ),
            "error": _nullable(_ref("RowError")),
        }
    ),
    "RulesetError": _nullable(
        _object(
            {
                "message": _STR,
                "failed_at": _STR,
                "issues": {"type": "array", "items": _ref("Issue")},
            }
        )
    ),
    "Issue": _object(
        {
            "severity": {"enum": ["error", "warning"]},
            "file": _STR,
            "line": {"type": ["integer", "null"]},
            "key": _STR,
            "message": _STR,
            "hint": _STR_OR_NULL,
        }
    ),
    "RulesetState": _object(_STATE),
    "RulesetList": _object(
        {
            "default": _STR,
            "rulesets": {"type": "array", "items": _ref("RulesetState")},
            "error": _STR_OR_NULL,
        }
    ),
    "RulesetDetail": _object(
        {
            **_STATE,
            "ruleset": _nullable(_ref("RulesetRef")),
            "resolved": _nullable(
                _object(
                    {
                        "name": _STR,
                        "version": _STR,
                        "platform": _STR,
                        "hash": _STR,
                        "chain": _STRINGS,
                        "ruleset": _ANY_OBJECT,
                        "origins": _ANY_OBJECT,
                        "removed": {"type": "array", "items": _ANY_OBJECT},
                    }
                )
            ),
        }
    ),
    "Validation": _object(
        {
            "source": _STR,
            "ok": _BOOL,
            "name": _STR_OR_NULL,
            "chain": _STRINGS,
            "errors": _INT,
            "warnings": _INT,
            "issues": {"type": "array", "items": _ref("Issue")},
            "ruleset": _nullable(_ref("RulesetRef")),
        }
    ),
    "Plugin": _object(
        {
            "name": _STR,
            "source": _STR_OR_NULL,
            "distribution": _STR_OR_NULL,
            "version": _STR_OR_NULL,
            "entry_point": _STR_OR_NULL,
            "module": _STR_OR_NULL,
            "path": _STR_OR_NULL,
            "hooks": _STRINGS,
            "registers": {"type": "object", "additionalProperties": _STRINGS},
        }
    ),
    "PluginList": _object(
        {
            "plugins": {"type": "array", "items": _ref("Plugin")},
            "blocked": {"type": "object", "additionalProperties": _STR},
        }
    ),
    "Health": _object({"status": {"const": "ok"}, "version": _STR}),
    "Ready": _object(
        {"status": {"const": "ready"}, "default": _STR, "rulesets": _INT, "broken": _INT}
    ),
}


def _problems(*kinds: str) -> dict[str, Any]:
    """The responses of problems of ``kinds`` (several kinds may share a status)."""
    out: dict[str, Any] = {}
    for kind in kinds:
        status, title = PROBLEMS[kind]
        entry = out.setdefault(
            str(status),
            {"description": "", "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}},
        )
        entry["description"] = (entry["description"] + "; " if entry["description"] else "") + (
            f"{title} (urn:kolrules:problem:{kind})"
        )
    return out


def _ok(schema: str, description: str, *, ruleset_headers: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if ruleset_headers:
        said = {
            "Name": "The ruleset's name (percent-encoded, as a name may hold any character).",
            "Version": "The ruleset's version (percent-encoded).",
            "Hash": "The ruleset's hash (SHA-256, hex).",
        }
        response["headers"] = {
            f"Kolrules-Ruleset-{part}": {"description": text, "schema": _STR}
            for part, text in said.items()
        }
    return {"200": response}


_RULESET_QUERY = {
    "name": "ruleset",
    "in": "query",
    "required": False,
    "description": "The name of a served ruleset (GET /v1/rulesets); default: the service's "
    "default ruleset.",
    "schema": _STR,
}
_AUTH = ("unauthorized",)
_BODY = ("body-too-large", "unsupported-media-type")


#: A profile as an export gives it (examples/candidates.csv), the example of the bodies.
EXAMPLE_PROFILE: dict[str, Any] = {
    "id": "red-001",
    "handle": "小鹿爱美妆",
    "platform": "red",
    "followers": "1.2万",
    "posts": 86,
    "total_likes": 48000,
    "avg_likes": 300,
    "avg_comments": 25,
    "avg_collects": 120,
    "avg_shares": 15,
    "avg_views": 15000,
    "price": 2500,
    "account_age_days": 900,
    "origin": "homegrown",
    "category": "beauty",
}
_EXAMPLE_CSV = (
    "id,handle,followers,posts,total_likes,avg_likes,avg_comments,avg_collects,price\n"
    "red-001,小鹿爱美妆,1.2万,86,48000,300,25,120,2500\n"
    "red-002,阿June的厨房,4500,140,16200,95,12,60,800\n"
)
_EXAMPLE_RULESET = (
    '[ruleset]\nname = "my-client"\nversion = "1.0.0"\nextends = "red-default"\n\n'
    "[params]\nmin_engagement_rate = 0.05\n"
)


def _profiles_body(many: bool) -> dict[str, Any]:
    if not many:
        return {
            "required": True,
            "description": "One profile, as a JSON object.",
            "content": {
                "application/json": {"schema": _ref("Profile"), "example": EXAMPLE_PROFILE}
            },
        }
    text = {"type": "string"}
    return {
        "required": True,
        "description": "One profile (a JSON object) or many: a JSON array of objects (or an "
        "object holding it under `rows`, `data` or `profiles`), JSON Lines "
        "(application/x-ndjson) or CSV (text/csv; UTF-8, UTF-8 with BOM, GBK/GB18030).",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        _ref("Profile"),
                        {"type": "array", "items": _ref("Profile"), "minItems": 1},
                    ]
                },
                "example": [EXAMPLE_PROFILE, {**EXAMPLE_PROFILE, "id": "red-002", "price": None}],
            },
            "application/x-ndjson": {
                "schema": text,
                "example": dumps(EXAMPLE_PROFILE) + "\n",
            },
            "text/csv": {"schema": text, "example": _EXAMPLE_CSV},
        },
    }


def openapi_document(version: str, *, auth: bool) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``auth``: the /v1 endpoints need a bearer token."""
    secured: dict[str, Any] = {"security": [{"bearer": []}]} if auth else {}
    auth_problems = _AUTH if auth else ()

    def v1(operation: dict[str, Any]) -> dict[str, Any]:
        return {**operation, **secured}

    paths: dict[str, Any] = {
        "/v1/evaluate": {
            "post": v1(
                {
                    "operationId": "evaluate",
                    "summary": "Evaluate one profile or many",
                    "description": "The decisions for every profile of the body, as "
                    "`kolrules evaluate --format json` writes them. A row that cannot be "
                    "evaluated is a row error in `errors`.",
                    "parameters": [_RULESET_QUERY],
                    "requestBody": _profiles_body(True),
                    "responses": {
                        **_ok("DecisionDocument", "The decisions", ruleset_headers=True),
                        **_problems(
                            "malformed-json",
                            *auth_problems,
                            "unknown-ruleset",
                            *_BODY,
                            "too-many-rows",
                            "unusable-input",
                            "ruleset-unavailable",
                            "decision-log-failed",
                        ),
                    },
                }
            )
        },
        "/v1/explain": {
            "post": v1(
                {
                    "operationId": "explain",
                    "summary": "Explain the decision for one profile",
                    "description": "Every finding, the metrics and the input values as "
                    "read (`kolrules explain --format json`), or the row error.",
                    "parameters": [_RULESET_QUERY],
                    "requestBody": _profiles_body(False),
                    "responses": {
                        **_ok("Explanation", "The explanation", ruleset_headers=True),
                        **_problems(
                            "malformed-json",
                            *auth_problems,
                            "unknown-ruleset",
                            *_BODY,
                            "unusable-input",
                            "ruleset-unavailable",
                            "decision-log-failed",
                        ),
                    },
                }
            )
        },
        "/v1/rulesets": {
            "get": v1(
                {
                    "operationId": "listRulesets",
                    "summary": "The served rulesets",
                    "description": "Every named ruleset: `ok`, `stale` (its files are "
                    "broken; the last good version is served, `error` says why) or `error` "
                    "(never loaded).",
                    "responses": {
                        **_ok("RulesetList", "The rulesets"),
                        **_problems(*auth_problems),
                    },
                }
            )
        },
        "/v1/rulesets/{name}": {
            "get": v1(
                {
                    "operationId": "getRuleset",
                    "summary": "One ruleset, resolved, with provenance",
                    "description": "Its state, and the served version resolved (after "
                    "merging the files it extends), each value with the file and line that "
                    "set it (`kolrules rulesets show NAME --resolved --json`).",
                    "parameters": [
                        {"name": "name", "in": "path", "required": True, "schema": _STR}
                    ],
                    "responses": {
                        **_ok("RulesetDetail", "The ruleset", ruleset_headers=True),
                        **_problems(*auth_problems, "unknown-ruleset"),
                    },
                }
            )
        },
        "/v1/rulesets/validate": {
            "post": v1(
                {
                    "operationId": "validateRuleset",
                    "summary": "Validate a ruleset file's text",
                    "description": "Every error and warning (`kolrules validate --json`); "
                    "the file is named `<request>`, and `extends` may name a served ruleset.",
                    "parameters": [
                        {
                            "name": "strict",
                            "in": "query",
                            "required": False,
                            "description": "Warnings fail too (`ok` is false).",
                            "schema": {"type": "boolean"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/toml": {"schema": _STR, "example": _EXAMPLE_RULESET},
                            "text/plain": {"schema": _STR, "example": _EXAMPLE_RULESET},
                        },
                    },
                    "responses": {
                        **_ok("Validation", "The validation"),
                        **_problems("bad-parameter", *auth_problems, *_BODY),
                    },
                }
            )
        },
        "/v1/plugins": {
            "get": v1(
                {
                    "operationId": "listPlugins",
                    "summary": "The loaded plugins",
                    "description": "As `kolrules plugins --json`, and the blocked ones.",
                    "responses": {
                        **_ok("PluginList", "The plugins"),
                        **_problems(*auth_problems),
                    },
                }
            )
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "The process is up",
                "responses": _ok("Health", "Up"),
            }
        },
        "/readyz": {
            "get": {
                "operationId": "ready",
                "summary": "The default ruleset is loaded: requests can be served",
                "responses": {
                    **_ok("Ready", "Ready"),
                    "503": {
                        "description": "Not ready: the default ruleset has no working version",
                        "content": {PROBLEM_JSON: {"schema": _ref("Problem")}},
                    },
                },
            }
        },
    }
    components: dict[str, Any] = {"schemas": SCHEMAS}
    if auth:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kolrules",
            "version": version,
            "description": "Vet and price KOLs with kolrules rulesets over HTTP "
            "(docs/service.md). Every refused request gets problem details (RFC 9457).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "components": components,
    }
