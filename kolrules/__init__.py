"""kolrules: a rules engine for vetting and pricing KOLs on Chinese social platforms."""

from __future__ import annotations

from kolrules.engine import DEFAULT_RULESET, Engine, RowInputError
from kolrules.errors import (
    ExpressionError,
    InputFileError,
    KolrulesError,
    PluginError,
    RulesetError,
    RulesetIssue,
    ScoringParamError,
    UnknownKindError,
)
from kolrules.hookspecs import hookimpl
from kolrules.report import Report
from kolrules.ruleset import Rule, Ruleset, load_ruleset, parse_ruleset
from kolrules.types import (
    DataError,
    Decision,
    Finding,
    Platform,
    PriceAssessment,
    Reader,
    Reporter,
    RowError,
    RulesetRef,
    Scorer,
    Tier,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RULESET",
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
    "Ruleset",
    "RulesetError",
    "RulesetIssue",
    "RulesetRef",
    "Scorer",
    "ScoringParamError",
    "Tier",
    "UnknownKindError",
    "__version__",
    "hookimpl",
    "load_ruleset",
    "parse_ruleset",
]
