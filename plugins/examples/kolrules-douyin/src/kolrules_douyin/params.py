"""Checking the parameters a ruleset gives this plugin's rule kind and scorer.

Each check raises the error the caller names (``kolrules.RuleParamError`` for a rule's
``params``, ``kolrules.ScoringParamError`` for ``[scoring.params]``); kolrules reports it
against the ruleset's key, with the file and line.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["check_keys", "literal", "number"]

#: What the checks raise: ``ParamError(key, message)``.
ParamError = Callable[[str, str], Exception]


def check_keys(params: Mapping[str, Any], valid: Iterable[str], error: ParamError) -> None:
    """Refuse a key that is not in ``valid``, naming the closest valid one."""
    valid = tuple(valid)
    for key in params:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(valid)}"
            raise error(str(key), f"unknown parameter {key!r}; {hint}")


def number(params: Mapping[str, Any], key: str, default: float, error: ParamError) -> float:
    """A finite number (an int or a float, never a bool) from ``params``, or ``default``."""
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(key, f"must be a number, not {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise error(key, f"must be a finite number, not {value!r}")
    return float(value)


def literal(value: float) -> str:
    """``value`` as a plain decimal literal of the expression language (never ``1e-05``);
    a negative one in parentheses."""
    text = format(Decimal(repr(float(value))), "f")
    if "." not in text:
        text += ".0"
    return f"({text})" if text.startswith("-") else text
