"""The checks wing (``kolrules validate``): every problem of a ruleset and its chain, and
the warnings a careful reader would give.

- :mod:`~kolrules.checks.validate`: :func:`validate` runs loading, compiling and the
  static checks as far as the ruleset allows (a :class:`Validation`);
- :mod:`~kolrules.checks.static`: the warnings (tier gaps, falling bands, rules that can
  never apply, pass or fail, unused names);
- :mod:`~kolrules.checks.reach`: the interval reasoning behind "can never";
- :mod:`~kolrules.checks.display`: how a validation is shown.

This module only hands names on.
"""

from __future__ import annotations

from kolrules.checks.static import static_checks
from kolrules.checks.validate import Validation, validate

__all__ = ["Validation", "static_checks", "validate"]
