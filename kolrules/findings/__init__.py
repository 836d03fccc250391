"""The findings wing: what a finding can tell beyond pass or fail.

- :mod:`~kolrules.findings.solve`: what it would take to pass, solved from a rule's
  ``require`` once per rule when a ruleset is compiled.

This module only hands names on.
"""

from __future__ import annotations

from kolrules.findings.solve import Need, solve

__all__ = ["Need", "solve"]
