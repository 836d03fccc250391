"""Every exception kolrules raises on purpose. All derive from :class:`KolrulesError`.

Messages say what went wrong, where, and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

__all__ = [
    "ExpressionError",
    "InputFileError",
    "KolrulesError",
    "PluginError",
    "RuleParamError",
    "RulesetError",
    "RulesetIssue",
    "ScoringParamError",
    "UnknownKindError",
]


class KolrulesError(Exception):
    """Base class of kolrules' own errors."""


class ExpressionError(KolrulesError):
    """An expression could not be parsed or checked.

    ``position`` is the 0-based column of the offending token in ``source``; ``str()``
    shows the source with a caret under it.
    """

    def __init__(
        self, message: str, source: str, position: int = 0, hint: str | None = None
    ) -> None:
        self.message = message
        self.source = source
        self.position = max(0, min(position, len(source)))
        self.hint = hint
        super().__init__(self.render())

    def render(self, indent: str = "    ") -> str:
        lines = [self.message, f"{indent}{self.source}", f"{indent}{' ' * self.position}^"]
        if self.hint:
            lines.append(f"{indent}{self.hint}")
        return "\n".join(lines)


@attrs.frozen
class RulesetIssue:
    """One problem in a ruleset file: where it is and what to do about it.

    ``severity`` is ``"error"`` (the ruleset cannot be used) or ``"warning"`` (a static
    check of ``kolrules validate`` found something suspicious; the ruleset still runs).
    """

    file: str
    key: str
    message: str
    line: int | None = None
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        key = f" [{self.key}]" if self.key else ""
        label = "warning: " if self.severity == "warning" else ""
        text = f"{where}{key}: {label}{self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class RulesetError(KolrulesError):
    """A ruleset file is malformed. ``issues`` lists every problem found, each with the
    file, the TOML key path and, where it could be found, the line."""

    def __init__(self, issues: Sequence[RulesetIssue]) -> None:
        self.issues = tuple(issues)
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in ruleset"
        super().__init__(head + ":\n" + "\n".join(str(i) for i in self.issues))


class ScoringParamError(KolrulesError):
    """Raised by a scorer's ``build`` for a bad ``[scoring.params]`` entry.

    ``key`` is the path below ``scoring.params`` (for example ``metrics.er.weight``).
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"scoring.params.{key}: {message}" if key else message)


class RuleParamError(KolrulesError):
    """Raised by a rule kind's ``build`` for a bad ``params`` entry of a rule.

    ``key`` is the path below the rule's ``params`` (for example ``window``; empty for the
    table as a whole).
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"params.{key}: {message}" if key else message)


class InputFileError(KolrulesError):
    """An input file cannot be used as a whole (unreadable, empty, a required column missing)."""


class UnknownKindError(KolrulesError):
    """A name (platform, scoring strategy, reader, reporter, ruleset) that no plugin provides."""

    def __init__(self, kind: str, name: str, known: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = tuple(known)
        listing = ", ".join(sorted(self.known)) or "none"
        kinds = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        super().__init__(f"unknown {kind} {name!r}; known {kinds}: {listing}")


class PluginError(KolrulesError):
    """A plugin failed: it could not be imported, broke a hook's contract, or clashed
    with another plugin. The message names the plugin and the hook."""
