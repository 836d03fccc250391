"""kolrules: a rules engine for vetting and pricing KOLs on Chinese social platforms.

The public names below are imported when first used (PEP 562), so that ``import
kolrules`` and ``kolrules --help`` stay fast: polars is loaded only when a ruleset is
compiled or a file is read.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kolrules.engine import DEFAULT_RULESET, Engine, RowInputError
    from kolrules.errors import (
        ExpressionError,
        InputFileError,
        KolrulesError,
        PluginError,
        RuleParamError,
        RulesetError,
        RulesetIssue,
        ScoringParamError,
        UnknownKindError,
    )
    from kolrules.hookspecs import hookimpl
    from kolrules.planner import plan
    from kolrules.report import Report, Summary
    from kolrules.ruleset import Rule, Ruleset, load_ruleset, parse_ruleset
    from kolrules.types import (
        Applied,
        Columns,
        DataError,
        Decision,
        Finding,
        Platform,
        PriceAssessment,
        Reader,
        Reporter,
        RowError,
        RuleKind,
        RuleParts,
        RulesetRef,
        Scorer,
        Tier,
        ToPass,
    )

__version__ = "0.1.0"

#: Where each public name lives.
_HOMES = {
    "DEFAULT_RULESET": "engine",
    "Engine": "engine",
    "RowInputError": "engine",
    "ExpressionError": "errors",
    "InputFileError": "errors",
    "KolrulesError": "errors",
    "PluginError": "errors",
    "RuleParamError": "errors",
    "RulesetError": "errors",
    "RulesetIssue": "errors",
    "ScoringParamError": "errors",
    "UnknownKindError": "errors",
    "hookimpl": "hookspecs",
    "plan": "planner",
    "Report": "report",
    "Summary": "report",
    "Rule": "ruleset",
    "Ruleset": "ruleset",
    "load_ruleset": "ruleset",
    "parse_ruleset": "ruleset",
    "Applied": "types",
    "Columns": "types",
    "DataError": "types",
    "Decision": "types",
    "Finding": "types",
    "Platform": "types",
    "PriceAssessment": "types",
    "Reader": "types",
    "Reporter": "types",
    "RowError": "types",
    "RuleKind": "types",
    "RuleParts": "types",
    "RulesetRef": "types",
    "Scorer": "types",
    "Tier": "types",
    "ToPass": "types",
}

__all__ = [
    "DEFAULT_RULESET",
    "Applied",
    "Columns",
    "DataError",
    "Decision",
    "Engine",
    "ExpressionError",
    "Finding",
    "InputFileError",
    "KolrulesError",
    "Platform",
    "PluginError",
    "PriceAssessment",
    "Reader",
    "Report",
    "Reporter",
    "RowError",
    "RowInputError",
    "Rule",
    "RuleKind",
    "RuleParamError",
    "RuleParts",
    "Ruleset",
    "RulesetError",
    "RulesetIssue",
    "RulesetRef",
    "Scorer",
    "ScoringParamError",
    "Summary",
    "Tier",
    "ToPass",
    "UnknownKindError",
    "__version__",
    "hookimpl",
    "load_ruleset",
    "parse_ruleset",
    "plan",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kolrules' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kolrules.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
