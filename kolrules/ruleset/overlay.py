"""Overlays: merge a chain of ruleset files (:mod:`kolrules.ruleset.chain` finds it), recording
for every effective value the file and line that set it.

Merge rules (docs/rulesets.md, "Overlays"), applied from the root of the chain down:

- ``[ruleset]``: ``name``, ``version`` and ``description`` are the overlay's own; the
  ``platform`` is inherited and may not change; ``requires`` add up.
- ``[params]``, ``[fields]``, ``[columns]``, ``[metrics]``, ``[pricing]``, ``[verdict]``
  and ``[scoring]`` merge key by key (tables inside them too); any other value, lists
  included, replaces the parent's. A ``[scoring]`` naming another strategy replaces it all.
- ``[planning]`` merges key by key too, except its ``mix``, which replaces the parent's
  whole (its shares add up to 1 on their own).
- ``[[rules]]`` merge by ``id``: the keys given override the parent rule's (its
  ``params`` table merges key by key, and so does a ``message`` given as a table, one
  template per language; a message given as text replaces the parent's in every
  language), ``enabled = false`` removes it, an id the parents do not have adds a rule (it
  then needs ``severity``, and ``require`` or ``kind``).
- ``[[tiers]]`` replaces the whole tier table; ``[tier.<name>]`` changes one tier's keys
  (``enabled = false`` removes it), or adds a tier of a name the table does not have (it
  then needs ``min_followers``; it goes where its ``min_followers`` puts it in the table).
- ``[[test]]`` cases belong to their file and are not inherited.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from kolrules.errors import RulesetIssue
from kolrules.ruleset.chain import describe
from kolrules.ruleset.locate import KeyPath, line_of
from kolrules.ruleset.source import SourceFile

__all__ = ["Origin", "Removal", "Resolved", "merge"]

#: Sections merged key by key.
_TABLES = ("params", "fields", "columns", "metrics", "pricing", "verdict")


@attrs.frozen
class Origin:
    """Where an effective value was set: the file, its line, and its key path there."""

    file: str
    line: int | None
    key: KeyPath


@attrs.frozen
class Removal:
    """A rule or tier an ``enabled = false`` removed, and where."""

    kind: str
    name: str
    origin: Origin


@attrs.frozen
class Resolved:
    """The merged document of a chain and the origin of each of its key paths."""

    document: Mapping[str, Any]
    origins: Mapping[KeyPath, Origin]
    removed: tuple[Removal, ...] = ()


# -- merging -------------------------------------------------------------------------------


def merge(chain: Sequence[SourceFile]) -> tuple[Resolved, list[RulesetIssue]]:
    """Merge ``chain`` (the extending file first, as :func:`kolrules.ruleset.chain.resolve_chain`
    returns it)."""
    merger = _Merger()
    dropped: set[str] = set()
    for depth, src in enumerate(reversed(chain)):
        merger.issues.extend(_duplicate_ids(src))
        merger.apply(src, depth == 0, [s.path for s in chain[len(chain) - depth :]], dropped)
        dropped |= src.dropped_names
    return merger.finish(), merger.issues


def _walk(value: Any, at: KeyPath = ()) -> Iterator[KeyPath]:
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*at, i))


def _duplicate_ids(src: SourceFile) -> Iterator[RulesetIssue]:
    seen: dict[str, int] = {}
    for i, rule in enumerate(src.doc.get("rules", ())):
        rid = rule["id"]
        if rid in seen:
            yield src.issue(
                ("rules", i, "id"),
                f"duplicate rule id {rid!r}, first used by rules[{seen[rid]}]",
                "give each rule its own id",
            )
        else:
            seen[rid] = i


class _Merger:
    def __init__(self) -> None:
        self.doc: dict[str, Any] = {}
        self.origins: dict[KeyPath, Origin] = {}
        self.issues: list[RulesetIssue] = []

    def put(self, at: KeyPath, value: Any, src: SourceFile, local: KeyPath) -> None:
        """Set ``at`` to ``value`` (as written at ``local`` in ``src``), replacing what the
        parents said there."""
        parent: Any = self.doc
        for part in at[:-1]:
            parent = parent[part]
        parent[at[-1]] = copy.deepcopy(value)
        n = len(at)
        for key in [k for k in self.origins if k[:n] == at]:
            del self.origins[key]
        for sub in _walk(value):
            self.origins[(*at, *sub)] = Origin(
                src.path, line_of(src.lines, (*local, *sub)), (*local, *sub)
            )

    def merge_table(
        self,
        at: KeyPath,
        table: Mapping[str, Any],
        src: SourceFile,
        local: KeyPath | None = None,
    ) -> None:
        """Merge ``table`` (written at ``local`` in ``src``, by default ``at``) into the
        table at ``at`` key by key, tables inside it too."""
        local = at if local is None else local
        parent: Any = self.doc
        for part in at[:-1]:
            parent = parent[part]
        if not isinstance(parent.get(at[-1]), dict):
            self.put(at, table, src, local)
            return
        for key, value in table.items():
            target = parent[at[-1]].get(key)
            if isinstance(value, dict) and isinstance(target, dict):
                self.merge_table((*at, key), value, src, (*local, key))
            else:
                self.put((*at, key), value, src, (*local, key))

    def apply(self, src: SourceFile, root: bool, parents: list[str], dropped: set[str]) -> None:
        doc = src.doc
        self._head(src, root, parents)
        for section in _TABLES:
            if isinstance(doc.get(section), dict):
                self.merge_table((section,), doc[section], src)
        planning = doc.get("planning")
        if isinstance(planning, dict):  # key by key, but a mix replaces the parent's whole
            self.merge_table(("planning",), {k: v for k, v in planning.items() if k != "mix"}, src)
            if "mix" in planning:
                self.put(("planning", "mix"), planning["mix"], src, ("planning", "mix"))
        scoring = doc.get("scoring")
        if isinstance(scoring, dict):
            current = self.doc.get("scoring")
            strategy = scoring.get("strategy")
            if current is None or (strategy is not None and strategy != current.get("strategy")):
                self.put(("scoring",), scoring, src, ("scoring",))
            else:
                self.merge_table(("scoring",), scoring, src)
        if "tiers" in doc:
            self.put(("tiers",), doc["tiers"], src, ("tiers",))
        if "tier" in doc:
            self._adjust_tiers(src, root, parents, dropped)
        self._rules(src, root, parents, dropped)

    def _head(self, src: SourceFile, root: bool, parents: list[str]) -> None:
        head = src.doc["ruleset"]
        if "ruleset" not in self.doc:
            self.put(("ruleset",), {}, src, ("ruleset",))
        for key in ("name", "version", "description"):
            if key in head:
                self.put(("ruleset", key), head[key], src, ("ruleset", key))
        platform = head.get("platform")
        inherited = self.doc["ruleset"].get("platform")
        if platform is not None:
            if root or inherited is None:
                self.put(("ruleset", "platform"), platform, src, ("ruleset", "platform"))
            elif platform.casefold() != inherited.casefold():
                self.issues.append(
                    src.issue(
                        ("ruleset", "platform"),
                        f"platform {platform!r} differs from {inherited!r}, the platform of "
                        f"the ruleset it extends (chain: {describe([src.path, *parents])})",
                        f"an overlay keeps its parent's platform: remove platform, "
                        f"or write {inherited!r}",
                    )
                )
        requires = head.get("requires")
        if requires:
            have = self.doc["ruleset"].setdefault("requires", [])
            for i, req in enumerate(requires):
                if req not in have:
                    have.append(req)
                    self.origins[("ruleset", "requires", len(have) - 1)] = Origin(
                        src.path,
                        line_of(src.lines, ("ruleset", "requires")),
                        ("ruleset", "requires", i),
                    )

    def _adjust_tiers(
        self, src: SourceFile, root: bool, parents: list[str], dropped: set[str]
    ) -> None:
        tiers = self.doc.get("tiers")
        for name, change in src.doc["tier"].items():
            at: KeyPath = ("tier", name)
            if root:
                self.issues.append(
                    src.issue(
                        at,
                        f"[tier.{name}] changes a tier of the ruleset this one extends, "
                        "but this file extends none",
                        "write the tier table with [[tiers]], or add extends to [ruleset]",
                    )
                )
                continue
            if tiers is None:
                if "tiers" not in dropped:
                    self.issues.append(
                        src.issue(
                            at,
                            f"[tier.{name}] changes a tier, but {describe(parents)} has no "
                            "tier table (the platform's default tiers apply)",
                            "write the whole tier table with [[tiers]]",
                        )
                    )
                continue
            names = [t["name"] for t in tiers]
            if name not in names and "min_followers" in change and change.get("enabled", True):
                self._add_tier(tiers, name, change, src, at)
                continue
            if name not in names:
                if "tiers" not in dropped:
                    close = difflib.get_close_matches(name, names, n=1)
                    hint = (f"did you mean {close[0]!r}? " if close else "") + (
                        "tiers: " + ", ".join(names) + "; a new tier needs min_followers"
                    )
                    self.issues.append(
                        src.issue(
                            at,
                            f"there is no tier {name!r} to change in {describe(parents)}",
                            hint,
                        )
                    )
                continue
            i = names.index(name)
            for key, value in change.items():
                self.put(("tiers", i, key), value, src, (*at, key))

    def _add_tier(
        self,
        tiers: list[dict[str, Any]],
        name: str,
        tier: Mapping[str, Any],
        src: SourceFile,
        at: KeyPath,
    ) -> None:
        """Insert the new tier ``name`` (written at ``at`` in ``src``) before the first tier
        that starts above it, moving the origins of the tiers after it along."""
        start = tier["min_followers"]
        i = next((k for k, t in enumerate(tiers) if t.get("min_followers", 0) > start), len(tiers))
        moved: dict[KeyPath, Origin] = {}
        for key, origin in self.origins.items():
            at_tier = key[1] if key[:1] == ("tiers",) and len(key) > 1 else None
            if isinstance(at_tier, int) and at_tier >= i:
                key = ("tiers", at_tier + 1, *key[2:])
            moved[key] = origin
        self.origins = moved
        tiers.insert(i, {})
        self.put(("tiers", i), {"name": name, **tier}, src, at)

    def _rules(self, src: SourceFile, root: bool, parents: list[str], dropped: set[str]) -> None:
        rules = self.doc.setdefault("rules", [])
        ids = {r["id"]: i for i, r in enumerate(rules)}
        here: set[str] = set()
        for j, entry in enumerate(src.doc.get("rules", ())):
            rid = entry["id"]
            if rid in here:
                continue  # a duplicate in one file, reported by _duplicate_ids
            here.add(rid)
            if rid in ids:
                for key, value in entry.items():
                    if key == "params" and isinstance(value, dict):
                        self.merge_table(
                            ("rules", ids[rid], "params"), value, src, ("rules", j, "params")
                        )
                    elif key == "message" and isinstance(value, dict):
                        self._message(ids[rid], value, src, j)
                    elif key != "id":
                        self.put(("rules", ids[rid], key), value, src, ("rules", j, key))
            elif root or (("require" in entry or "kind" in entry) and "severity" in entry):
                ids[rid] = len(rules)
                rules.append({})
                self.put(("rules", ids[rid]), entry, src, ("rules", j))
            elif rid not in dropped:
                close = difflib.get_close_matches(rid, list(ids), n=1)
                self.issues.append(
                    src.issue(
                        ("rules", j, "id"),
                        f"there is no rule {rid!r} to change in {describe(parents)}",
                        (f"did you mean {close[0]!r}? " if close else "")
                        + "a new rule needs severity, and require or kind",
                    )
                )

    def _message(self, i: int, table: Mapping[str, str], src: SourceFile, j: int) -> None:
        """A message table (``rules[j]`` of ``src``) over the message of the parent's rule
        ``i``: it changes the languages it names. A parent's message given as text is its
        message in every language, so it stays the English one, the fallback of the rest."""
        at: KeyPath = ("rules", i, "message")
        current = self.doc["rules"][i].get("message")
        if isinstance(current, str):
            self.doc["rules"][i]["message"] = {"en": current}
            self.origins[(*at, "en")] = self.origins[at]
        self.merge_table(at, table, src, ("rules", j, "message"))

    def finish(self) -> Resolved:
        removed: list[Removal] = []
        for section, label in (("rules", "id"), ("tiers", "name")):
            items = self.doc.get(section)
            if not isinstance(items, list):
                continue
            renumber: dict[int, int] = {}
            kept: list[dict[str, Any]] = []
            for i, item in enumerate(items):
                if item.get("enabled", True) is False:
                    origin = self.origins[(section, i, "enabled")]
                    removed.append(Removal(section[:-1], str(item[label]), origin))
                    continue
                renumber[i] = len(kept)
                kept.append({k: v for k, v in item.items() if k != "enabled"})
            self.doc[section] = kept
            moved: dict[KeyPath, Origin] = {}
            for key, origin in self.origins.items():
                if key[:1] != (section,) or len(key) < 2:
                    moved[key] = origin
                elif key[1] in renumber and key[2:] != ("enabled",):
                    moved[(section, renumber[key[1]], *key[2:])] = origin
            self.origins = moved
        scoring = self.doc.get("scoring")
        if isinstance(scoring, dict) and "strategy" not in scoring:
            origin = self.origins[("scoring",)]
            self.issues.append(
                RulesetIssue(
                    origin.file,
                    "scoring",
                    "[scoring] has no strategy, and no ruleset it extends gives one",
                    origin.line,
                    "add strategy = 'weighted' (or another scoring strategy)",
                )
            )
            del self.doc["scoring"]
        if not self.doc.get("rules"):
            self.doc.pop("rules", None)
        return Resolved(self.doc, self.origins, tuple(removed))
