"""The engines kolrules is measured against, each implementing red-default by hand.

- :mod:`.hand_polars`: the rules as one lazy polars query (the practical limit for batch);
- :mod:`.hand_python`: the rules as a plain Python function (the practical limit for one
  profile), and the reference normaliser the other one-profile peers use;
- :mod:`.zen`: zen-engine (GoRules), a JDM decision graph built in code;
- :mod:`.rule_engine_peer`: rule-engine, one ``rule_engine.Rule`` per rule.

:mod:`._red` holds what they share: the thresholds, tiers and reading rules of red-default
and the RED platform, written out by hand (``run.py`` and the tests check them against the
ruleset kolrules loads).
"""

from __future__ import annotations
