"""``requires`` in ``[ruleset]``: the distributions (usually plugins) a ruleset needs.

Each entry is a requirement specifier (``"kolrules-douyin>=0.1"``), checked against the
installed distributions with :mod:`importlib.metadata` and :mod:`packaging`.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement

from kolrules.errors import RulesetIssue

if TYPE_CHECKING:
    from kolrules.ruleset.model import Ruleset

__all__ = ["requirement_issues"]


def requirement_issues(rs: Ruleset) -> Iterator[RulesetIssue]:
    """One error per requirement that is malformed, not installed or installed too old."""
    for i, text in enumerate(rs.requires):
        at = ("ruleset", "requires", i)
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            yield rs.issue(
                at,
                f"cannot read the requirement {text!r}: {exc}",
                "write a distribution name and a version specifier, like 'kolrules-douyin>=0.1'",
            )
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            yield rs.issue(
                at,
                f"the ruleset requires {text!r}, but {req.name!r} is not installed",
                f"install it: pip install '{text}'",
            )
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            yield rs.issue(
                at,
                f"the ruleset requires {text!r}, but {req.name} {installed} is installed",
                f"upgrade it: pip install --upgrade '{text}'",
            )
