"""The findings wing: what a finding can tell beyond pass or fail, and in which words.

- :mod:`~kolrules.findings.solve`: what it would take to pass, solved from a rule's
  ``require`` once per rule when a ruleset is compiled.
- :mod:`~kolrules.findings.render`: a rule's message template as one polars expression,
  for batch output (the same text as rendering each row in Python).
- :mod:`~kolrules.findings.words`: the words kolrules says to people, in English and
  Chinese (``Engine(lang=...)``, ``--lang``).

This module only hands names on.
"""

from __future__ import annotations

from kolrules.findings.render import format_value, message_expr
from kolrules.findings.solve import Need, solve
from kolrules.findings.words import LANGS, Lang, Words, words_for

__all__ = ["LANGS", "Lang", "Need", "Words", "format_value", "message_expr", "solve", "words_for"]
