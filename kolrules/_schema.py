"""The JSON Schema of ruleset files (structure only; expressions are checked when compiled)."""

from __future__ import annotations

from typing import Any

_NUMBER = {"type": "number"}
_EXPR = {"type": "string", "minLength": 1, "description": "an expression (docs/rulesets.md)"}
_SEVERITY = {"enum": ["reject", "review", "warn", "info"]}
_VERDICT = {"enum": ["accept", "review", "reject"]}

RULESET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "kolrules ruleset",
    "type": "object",
    "additionalProperties": False,
    "required": ["ruleset", "rules"],
    "properties": {
        "ruleset": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version", "platform"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                "version": {"type": "string", "minLength": 1},
                "platform": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
            },
        },
        "params": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"type": ["number", "string"]},
        },
        "fields": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"enum": ["number", "text"]},
        },
        "columns": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "tiers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "min_followers"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "min_followers": {"type": "number", "minimum": 0},
                    "max_followers": {"type": "number", "minimum": 0},
                    "price_min": {"type": "number", "minimum": 0},
                    "price_max": {"type": "number", "minimum": 0},
                    "description": {"type": "string"},
                },
            },
        },
        "metrics": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": _EXPR,
        },
        "pricing": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"engagement": _EXPR},
        },
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "require", "severity"],
                "properties": {
                    "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
                    "stage": {"enum": ["vet", "price"]},
                    "description": {"type": "string"},
                    "source": {"type": "string"},
                    "when": _EXPR,
                    "require": _EXPR,
                    "severity": _SEVERITY,
                    "missing": {"enum": ["not_applicable", "pass", "fail"]},
                    "message": {"type": "string"},
                },
            },
        },
        "verdict": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "data_errors": _VERDICT,
                "escalate": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["severity", "count", "to"],
                        "properties": {
                            "severity": _SEVERITY,
                            "count": {"type": "integer", "minimum": 1},
                            "to": {"enum": ["review", "reject"]},
                        },
                    },
                },
            },
        },
        "scoring": {
            "type": "object",
            "additionalProperties": False,
            "required": ["strategy"],
            "properties": {
                "strategy": {"type": "string", "minLength": 1},
                "params": {"type": "object"},
            },
        },
    },
}
