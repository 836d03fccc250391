"""The ruleset model: a :class:`Ruleset` and its :class:`Rule` and :class:`Escalation`
values, frozen, as loading (:mod:`kolrules.ruleset.load`) builds them. Nothing here reads
a file or knows a platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from kolrules.errors import RulesetIssue
from kolrules.ruleset.locate import KeyPath, format_path
from kolrules.ruleset.overlay import Origin, Removal
from kolrules.types import FieldType, RulesetRef, Severity, Tier, Verdict

__all__ = ["Escalation", "Rule", "Ruleset"]


@attrs.frozen
class Rule:
    """One rule as written in the ruleset (expressions still as text).

    A rule of a plugin's kind (``kind = "<name>"``) has an empty ``require`` and its
    ``params``; compiling builds its ``require`` (see :class:`kolrules.types.RuleKind`).

    ``message`` is the message template in English, and in every language ``messages``
    gives none for; ``messages`` holds the templates of a message given as a table, by
    language (``message = { en = "...", zh = "..." }``, its ``en`` also in ``message``).
    A message given as text is ``message`` alone.
    """

    id: str
    require: str
    severity: Severity
    stage: str = "vet"
    when: str | None = None
    missing: str = "not_applicable"
    message: str | None = None
    description: str = ""
    source: str = ""
    kind: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)
    #: Rules this one says more strongly: when both fail, their messages are left out of
    #: the reasons (their findings and outcomes stay, and so does the verdict).
    supersedes: tuple[str, ...] = ()
    messages: Mapping[str, str] = attrs.field(factory=dict)

    def message_in(self, lang: str) -> str | None:
        """The rule's own message template for ``lang``: the table's, else ``message``
        (``None`` when the rule gives none: its kind's, or one kolrules writes, is used)."""
        return self.messages.get(lang, self.message)


@attrs.frozen
class Escalation:
    """A count rule: ``count`` failures of ``severity`` make the verdict at least ``to``."""

    severity: Severity
    count: int
    to: Verdict


@attrs.frozen
class Ruleset:
    """A loaded ruleset: one file, or an overlay merged with the files it extends.

    ``tiers`` is ``None`` when no file gives a tier table (the platform's default tiers
    apply). ``path`` is the ruleset's own file and ``chain`` every file it was merged from,
    itself first. ``origins`` maps each key path of the effective ruleset to the file,
    line and key path that set it; ``lines`` is the line part of it. ``document`` is the
    effective ruleset as a TOML-shaped mapping (``kolrules rulesets show --resolved``).
    """

    name: str
    version: str
    platform: str
    path: str
    hash: str
    description: str = ""
    params: Mapping[str, float | str] = attrs.field(factory=dict)
    fields: Mapping[str, FieldType] = attrs.field(factory=dict)
    columns: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    tiers: tuple[Tier, ...] | None = None
    metrics: Mapping[str, str] = attrs.field(factory=dict)
    engagement: str | None = None
    rules: tuple[Rule, ...] = ()
    data_errors: Verdict = "review"
    escalate: tuple[Escalation, ...] = ()
    #: The least share of vetting rules a profile's values must let be applied; below it
    #: the profile goes to review (0: no such check).
    min_applicable: float = 0.0
    scoring_strategy: str | None = None
    scoring_params: Mapping[str, Any] = attrs.field(factory=dict)
    lines: Mapping[KeyPath, int] = attrs.field(factory=dict, repr=False, eq=False)
    chain: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    origins: Mapping[KeyPath, Origin] = attrs.field(factory=dict, repr=False, eq=False)
    removed: tuple[Removal, ...] = attrs.field(default=(), repr=False, eq=False)
    document: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    #: ``[pricing]``: RMB per expected engagement the client targets, how far above a
    #: tier's band it would go (a fraction of band_max) and the walk-away price as a
    #: multiple of the KOL's worth (:mod:`kolrules.planner.offers`); ``None``: not set.
    target_cpe: float | None = None
    max_over_band: float | None = None
    walk_away: float | None = None
    #: ``[pricing] target_cpr``: RMB per read the client targets (WeChat).
    target_cpr: float | None = None
    #: ``[planning]``: the client's defaults for ``kolrules plan`` (docs/plan.md).
    planning: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def ref(self) -> RulesetRef:
        """Name, version, hash and chain of files, as recorded in decisions."""
        return RulesetRef(self.name, self.version, self.hash, self.chain or (self.path,))

    def origin(self, path: KeyPath) -> tuple[Origin | None, KeyPath]:
        """The origin of ``path`` or of its nearest ancestor that has one, and the rest of
        ``path`` below that ancestor."""
        for n in range(len(path), 0, -1):
            found = self.origins.get(path[:n])
            if found is not None:
                return found, path[n:]
        return None, path

    def issue(
        self,
        path: KeyPath,
        message: str,
        hint: str | None = None,
        *,
        severity: Literal["error", "warning"] = "error",
    ) -> RulesetIssue:
        """An issue at ``path`` of the effective ruleset, located in the file (and at the
        line and key path there) that set the value."""
        found, rest = self.origin(path)
        if found is None:
            return RulesetIssue(self.path, format_path(path), message, None, hint, severity)
        key = format_path((*found.key, *rest))
        return RulesetIssue(found.file, key, message, found.line, hint, severity)
