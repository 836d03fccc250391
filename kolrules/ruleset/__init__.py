"""The ruleset wing: TOML files in, a checked :class:`Ruleset` out.

- :mod:`~kolrules.ruleset.model`: the frozen values (:class:`Ruleset`, :class:`Rule`,
  :class:`Escalation`);
- :mod:`~kolrules.ruleset.load`: finding, reading and checking files (the bundled
  rulesets are registered here, as the core plugin ``kolrules.ruleset``);
- :mod:`~kolrules.ruleset.source`, :mod:`~kolrules.ruleset.chain`,
  :mod:`~kolrules.ruleset.overlay`: one file, the chain of files it extends, and their merge;
- :mod:`~kolrules.ruleset.locate`: TOML key paths and their lines;
- :mod:`~kolrules.ruleset.file_schema`: the JSON Schema of ruleset files;
- :mod:`~kolrules.ruleset.requires`: ``requires`` (the plugins a ruleset needs);
- :mod:`~kolrules.ruleset.display`: a resolved ruleset as TOML or JSON, and the list of
  named rulesets.

This module only hands names on.
"""

from __future__ import annotations

from kolrules.ruleset.load import (
    LoadResult,
    bundled_rulesets_dir,
    find_rulesets,
    kolrules_rulesets_register,
    load_ruleset,
    parse_ruleset,
    resolve_ruleset,
    resolve_source,
)
from kolrules.ruleset.model import Escalation, Rule, Ruleset

__all__ = [
    "Escalation",
    "LoadResult",
    "Rule",
    "Ruleset",
    "bundled_rulesets_dir",
    "find_rulesets",
    "kolrules_rulesets_register",
    "load_ruleset",
    "parse_ruleset",
    "resolve_ruleset",
    "resolve_source",
]
