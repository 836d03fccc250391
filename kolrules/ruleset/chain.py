"""Follow ``extends`` from ruleset file to ruleset file: the chain an overlay is merged from.

``extends`` is a path when it has a ``/`` or ends in ``.toml`` (relative to the extending
file), else a name: a named ruleset (bundled or from a plugin) or ``<name>.toml`` next to the
extending file; a name that means two different files is ambiguous. Every error names the
chain of files that led to it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from kolrules.errors import RulesetIssue
from kolrules.ruleset.source import SourceFile, read_source

__all__ = ["chain_hash", "describe", "resolve_chain"]


def describe(paths: Sequence[str]) -> str:
    """``a.toml -> b.toml -> c.toml``: a chain of files, the extending file first."""
    return " -> ".join(paths)


def resolve_chain(
    path: Path, named: Mapping[str, Path], first: bytes | None = None
) -> tuple[list[SourceFile], list[RulesetIssue]]:
    """Read ``path`` and every file it extends, the file itself first.

    ``named`` maps ruleset names to files; ``first`` is the text of ``path`` when it is
    already in memory. Stops at the first file that cannot be read or resolved.
    """
    chain: list[SourceFile] = []
    issues: list[RulesetIssue] = []
    seen: dict[str, int] = {}
    current: Path | None = path
    raw = first
    while current is not None:
        key = _identity(current)
        if key in seen:
            loop = [*(s.path for s in chain[seen[key] :]), str(current)]
            issues.append(
                chain[-1].issue(
                    ("ruleset", "extends"),
                    f"extends goes round in a circle: {describe(loop)}",
                    "a ruleset cannot extend itself, directly or through others: "
                    "remove one of these extends",
                )
            )
            break
        if raw is None:
            try:
                raw = current.read_bytes()
            except OSError as exc:
                where = f" (chain: {describe([*(s.path for s in chain), str(current)])})"
                issues.append(RulesetIssue(str(current), "", f"cannot read: {exc.strerror}{where}"))
                break
        src, found = read_source(raw, str(current))
        issues.extend(found)
        raw = None
        if src is None:
            break
        seen[key] = len(chain)
        chain.append(src)
        current = _parent(src, chain, named, issues) if src.extends else None
    return chain, issues


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:  # pragma: no cover - resolve() only fails on exotic file systems
        return os.path.abspath(path)


def _parent(
    src: SourceFile, chain: list[SourceFile], named: Mapping[str, Path], issues: list[RulesetIssue]
) -> Path | None:
    """The file ``src`` extends, or ``None`` (with an issue) when there is none or two."""
    ext = src.extends or ""
    here = Path(src.path).parent
    so_far = describe([s.path for s in chain] + [repr(ext)])
    if "/" in ext or "\\" in ext or ext.endswith(".toml"):
        candidate = Path(os.path.normpath(here / ext))
        if candidate.is_file():
            return candidate
        issues.append(
            src.issue(
                ("ruleset", "extends"),
                f"the parent ruleset {str(candidate)!r} does not exist (chain: {so_far})",
                "a path in extends is relative to the file that extends; "
                "a bare name (red-default) names a bundled or plugin ruleset",
            )
        )
        return None
    sibling = here / f"{ext}.toml"
    registered = named.get(ext)
    if registered is not None and sibling.is_file() and _identity(sibling) != _identity(registered):
        issues.append(
            src.issue(
                ("ruleset", "extends"),
                f"the name {ext!r} is ambiguous: it is the ruleset {str(registered)!r} and the "
                f"file {str(sibling)!r} next to this one (chain: {so_far})",
                f"write extends = './{ext}.toml' for the file next to this one, "
                "or rename that file to use the named ruleset",
            )
        )
        return None
    if registered is not None:
        return registered
    if sibling.is_file():
        return sibling
    close = difflib.get_close_matches(ext, list(named), n=1)
    known = ", ".join(sorted(named)) or "none"
    hint = (f"did you mean {close[0]!r}? " if close else "") + f"named rulesets: {known}"
    issues.append(
        src.issue(
            ("ruleset", "extends"),
            f"the parent ruleset {ext!r} is neither a named ruleset nor a file "
            f"{str(sibling)!r} (chain: {so_far})",
            hint,
        )
    )
    return None


def chain_hash(chain: Sequence[SourceFile]) -> str:
    """The hash decisions record: a lone file's SHA-256, or for an overlay the SHA-256 of
    the lines ``<SHA-256 of each file>``, from the root of the chain to the overlay."""
    if len(chain) == 1:
        return chain[0].digest
    text = "".join(f"{src.digest}\n" for src in reversed(chain))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
