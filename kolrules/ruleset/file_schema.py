"""The JSON Schema of ruleset files (structure only; expressions are checked when compiled).

``kolrules schema`` prints it for editors (taplo / Even Better TOML, docs/editors.md). A file
with ``extends`` in ``[ruleset]`` is an overlay: it may leave out ``platform`` and
``[[rules]]``, and its rules need only an ``id`` (the other keys override the parent's).
"""

from __future__ import annotations

import json
from typing import Any

from kolrules.expression import RESERVED
from kolrules.findings.words import LANGS

__all__ = ["RULESET_SCHEMA", "SCHEMA_ID", "schema_json"]

#: The schema's ``$id``: a name, not a download address (the schema ships with kolrules).
SCHEMA_ID = "urn:kolrules:ruleset-schema:1"

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: A name expressions can use: letters, digits and '_', and not a reserved word.
_NAMES = {"pattern": _NAME, "not": {"enum": sorted(RESERVED)}}
_EXPR = {"type": "string", "minLength": 1, "description": "an expression (docs/rulesets.md)"}
_SEVERITY = {
    "enum": ["reject", "review", "warn", "info"],
    "description": "what a failure does: reject, review, warn (counted by escalate) or info",
}
_VERDICT = {"enum": ["accept", "review", "reject"]}
_COUNT = {"type": "number", "minimum": 0}


def _tier_keys() -> dict[str, Any]:
    return {
        "min_followers": {**_COUNT, "description": "lowest follower count in the tier (inclusive)"},
        "max_followers": {
            **_COUNT,
            "description": "follower count where the next tier starts (exclusive); "
            "leave out, or write inf, for no upper bound",
        },
        "price_min": {**_COUNT, "description": "fair price band: lowest RMB per post"},
        "price_max": {**_COUNT, "description": "fair price band: highest RMB per post"},
        "description": {"type": "string"},
    }


_RULE_KEYS: dict[str, Any] = {
    "id": {
        "type": "string",
        "pattern": r"^[a-z0-9][a-z0-9_-]*$",
        "description": "unique rule id; in an overlay, the id of the parent's rule to change",
    },
    "enabled": {
        "type": "boolean",
        "description": "false removes the rule (in an overlay: the parent's rule of this id)",
    },
    "stage": {"enum": ["vet", "price"], "description": "vet (is it real?) or price (is it fair?)"},
    "description": {"type": "string"},
    "source": {"type": "string", "description": "where the threshold comes from"},
    "when": {**_EXPR, "description": "precondition: the rule is not applicable when false"},
    "require": {**_EXPR, "description": "the rule passes when this is true"},
    "severity": _SEVERITY,
    "missing": {
        "enum": ["not_applicable", "pass", "fail"],
        "description": "the outcome when an input of require is missing",
    },
    "message": {
        "type": ["string", "object"],
        "description": "message template: {name} or {name:.1%}; text for every language, or "
        "a table of one template per language (en, zh)",
        "properties": {
            lang: {"type": "string", "description": f"the message template for --lang {lang}"}
            for lang in LANGS
        },
        "additionalProperties": False,
        "minProperties": 1,
    },
    "kind": {
        "type": "string",
        "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$",
        "description": "a rule kind a plugin adds; it builds require from params "
        "(kolrules plugins lists the kinds)",
    },
    "params": {"type": "object", "description": "passed to the rule kind"},
    "supersedes": {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "uniqueItems": True,
        "description": "ids of rules this one says more strongly: when both fail, only "
        "this rule's message is among the reasons",
    },
}

_PLANNING_KEYS: dict[str, Any] = {
    "budget": {"type": "number", "exclusiveMinimum": 0, "description": "RMB for paid posts"},
    "mix": {
        "type": "object",
        "description": "tier name = share of the budget; the shares add up to 1",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "mix_tolerance": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "description": "how far a tier's spend may be from its share, as a fraction of the "
        "budget (default 0.05)",
    },
    "objective": {"enum": ["engagement", "reach", "score"]},
    "pay": {"enum": ["quote", "offer"], "description": "what a booked KOL is paid"},
    "include_review": {"type": "boolean", "description": "KOLs in review may be booked"},
    "min_kols": {"type": "integer", "minimum": 0},
    "max_kols": {"type": "integer", "minimum": 1},
    "max_share": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 1,
        "description": "the most one KOL may take of the budget",
    },
    "must": {"type": "array", "items": {"type": "string"}, "description": "ids always booked"},
    "exclude": {"type": "array", "items": {"type": "string"}, "description": "ids never booked"},
    "seeding_products": {
        "type": "integer",
        "minimum": 1,
        "description": "products sent to each gifting candidate (default 1)",
    },
    "gap": {"type": "number", "minimum": 0, "maximum": 1},
    "time_limit": {"type": "number", "exclusiveMinimum": 0},
}

RULESET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "kolrules ruleset",
    "description": "A kolrules ruleset: tiers, params, metrics and rules for vetting and "
    "pricing KOLs. See docs/rulesets.md.",
    "type": "object",
    "additionalProperties": False,
    "required": ["ruleset"],
    "properties": {
        "ruleset": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                    "description": "the ruleset's name, recorded in every decision",
                },
                "version": {"type": "string", "minLength": 1},
                "platform": {
                    "type": "string",
                    "minLength": 1,
                    "description": "a platform name or alias (red, weibo, wechat, ...); "
                    "an overlay inherits its parent's",
                },
                "description": {"type": "string"},
                "extends": {
                    "type": "string",
                    "minLength": 1,
                    "description": "the parent ruleset: a name (red-default) or a path "
                    "relative to this file (../base.toml)",
                },
                "requires": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "description": "distributions the ruleset needs, as requirement "
                    'specifiers: ["kolrules-douyin>=0.1"]',
                },
            },
        },
        "params": {
            "type": "object",
            "description": "named constants for expressions and messages",
            "propertyNames": _NAMES,
            "additionalProperties": {"type": ["number", "string"]},
        },
        "fields": {
            "type": "object",
            "description": "extra input columns and their type",
            "propertyNames": _NAMES,
            "additionalProperties": {"enum": ["number", "text"]},
        },
        "columns": {
            "type": "object",
            "description": "extra header spellings per field",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "tiers": {
            "type": "array",
            "description": "the tier table; in an overlay it replaces the parent's",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "min_followers"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    **_tier_keys(),
                },
            },
        },
        "tier": {
            "type": "object",
            "description": "overlay only: [tier.<name>] changes one of the parent's tiers, "
            "removes it (enabled = false), or adds a tier of a new name (with min_followers)",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **_tier_keys(),
                    "enabled": {"type": "boolean", "description": "false removes the tier"},
                },
            },
        },
        "metrics": {
            "type": "object",
            "description": "named metrics (expressions); they may use each other",
            "propertyNames": _NAMES,
            "additionalProperties": _EXPR,
        },
        "pricing": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "engagement": _EXPR,
                "target_cpe": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 1_000_000,
                    "description": "RMB the client pays per expected engagement: a KOL's "
                    "worth is target_cpe x expected engagement, and the offer is the lower "
                    "of the quote and the worth (docs/plan.md)",
                },
                "target_cpr": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 1_000_000,
                    "description": "RMB the client pays per read (WeChat articles are bought "
                    "per read): a KOL with a read count is worth target_cpr x average reads, "
                    "before target_cpe (docs/plan.md)",
                },
                "max_over_band": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 100,
                    "description": "how far above the top of the tier's fair band the client "
                    "would go, as a fraction of band_max (default 0): bounds the walk-away price",
                },
                "walk_away": {
                    "type": "number",
                    "minimum": 1,
                    "maximum": 100,
                    "description": "the walk-away price as a multiple of the KOL's worth "
                    "(default 1: walk away above what the KOL is worth)",
                },
            },
        },
        "planning": {
            "type": "object",
            "additionalProperties": False,
            "description": "the client's defaults for kolrules plan; each is overridden by "
            "the option of the same name (docs/plan.md)",
            "properties": _PLANNING_KEYS,
        },
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id"],
                "properties": _RULE_KEYS,
            },
        },
        "verdict": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "data_errors": {
                    **_VERDICT,
                    "description": "the least verdict of a row with unreadable cells",
                },
                "min_applicable": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "the least share (0 to 1) of vetting rules a profile's "
                    "values must let be applied, else it goes to review (default 0: no check)",
                },
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
            "properties": {
                "strategy": {
                    "type": "string",
                    "minLength": 1,
                    "description": "a scoring strategy: weighted, cost_efficiency, or a plugin's",
                },
                "params": {"type": "object", "description": "passed to the strategy"},
            },
        },
        "test": {
            "type": "array",
            "description": "test cases (kolrules test); not inherited by overlays",
            "items": {"type": "object"},
        },
    },
    # A file without `extends` stands alone: it names its platform, has rules, and every
    # rule is complete. An overlay may leave these to its parent.
    "if": {"properties": {"ruleset": {"required": ["extends"]}}},
    "else": {
        "required": ["rules"],
        "properties": {
            "ruleset": {"required": ["platform"]},
            "scoring": {"required": ["strategy"]},
            "rules": {
                "items": {
                    "required": ["severity"],
                    "anyOf": [{"required": ["require"]}, {"required": ["kind"]}],
                }
            },
        },
    },
}


def schema_json() -> str:
    """The schema as the JSON text ``kolrules schema`` prints (and the shipped file holds)."""
    return json.dumps(RULESET_SCHEMA, indent=2, ensure_ascii=False) + "\n"
