"""kolrules: a rules engine for vetting and pricing KOLs on Chinese social platforms."""

from __future__ import annotations

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
    "DataError",
    "Decision",
    "ExpressionError",
    "Finding",
    "InputFileError",
    "KolrulesError",
    "Platform",
    "PluginError",
    "PriceAssessment",
    "Reader",
    "Reporter",
    "RowError",
    "RulesetError",
    "RulesetIssue",
    "RulesetRef",
    "Scorer",
    "ScoringParamError",
    "Tier",
    "UnknownKindError",
    "__version__",
    "hookimpl",
]
