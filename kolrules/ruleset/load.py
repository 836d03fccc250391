"""Load ruleset files: TOML in, a checked :class:`~kolrules.ruleset.model.Ruleset` out.

A ruleset may extend another (``extends`` in ``[ruleset]``): the chain of files is read
and merged (:mod:`kolrules.ruleset.overlay`), and every effective value remembers the file and
line that set it, so problems point at the file to edit.

Every structural problem of every file in the chain is found in one pass and raised
together as a :class:`~kolrules.errors.RulesetError`, each issue with the file, the TOML
key path, the line and a hint. Expressions, names and platform-specific checks happen
when the ruleset is compiled against its platform (:mod:`kolrules.compile`), which reports
in the same way; ``kolrules validate`` adds static checks (:mod:`kolrules.checks.static`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from kolrules.errors import RulesetError, RulesetIssue, UnknownKindError
from kolrules.findings.words import DEFAULT_LANG
from kolrules.hookspecs import hookimpl
from kolrules.ruleset.chain import chain_hash, resolve_chain
from kolrules.ruleset.locate import KeyPath
from kolrules.ruleset.model import Escalation, Rule, Ruleset
from kolrules.ruleset.overlay import merge
from kolrules.ruleset.source import SourceFile
from kolrules.types import Tier

__all__ = [
    "MAX_RULES",
    "LoadResult",
    "bundled_rulesets_dir",
    "find_rulesets",
    "kolrules_rulesets_register",
    "load_ruleset",
    "parse_ruleset",
    "resolve_ruleset",
    "resolve_source",
]


#: Most rules a ruleset may have, those it extends included. The bundled rulesets have
#: 9 to 14. Compiling and running a ruleset costs more than in proportion to its rules
#: (measured on 5 rows: 200 rules 2 s and 160 MB, 300 rules 4 s, 1,000 rules 20 s and
#: 1 GB), so a larger one is refused when it is loaded, before anything is compiled.
MAX_RULES = 200


@attrs.frozen
class LoadResult:
    """What loading found: the ruleset (``None`` when too broken to build) and every
    issue. ``dropped`` names the definitions left out because they broke the schema
    (``complete`` is false then), so that later checks do not report them again."""

    ruleset: Ruleset | None
    issues: tuple[RulesetIssue, ...] = ()
    dropped: frozenset[str] = frozenset()
    complete: bool = True


# -- finding files ----------------------------------------------------------------------


def bundled_rulesets_dir() -> Path:
    """The directory of the rulesets shipped with kolrules.

    In an installed wheel they live in ``kolrules/_bundled/rulesets``; in a source checkout
    (editable install) in the repository's ``rulesets/``.
    """
    package = Path(__file__).resolve().parents[1]
    wheel = package / "_bundled" / "rulesets"
    return wheel if wheel.is_dir() else package.parent / "rulesets"


@hookimpl
def kolrules_rulesets_register() -> Iterable[Path]:
    """kolrules' own named rulesets: ``red-default``, ``weibo-default``, ``wechat-default``."""
    return [bundled_rulesets_dir()]


def find_rulesets(dirs: Iterable[Path]) -> dict[str, Path]:
    """Named rulesets (file stem -> path) in ``dirs`` and their subdirectories (so
    ``rulesets/clients/beauty-startup.toml`` is ``beauty-startup``). Test files
    (``*.test.toml``) and hidden directories are skipped; a name found twice is an error."""
    found: dict[str, Path] = {}
    for d in dirs:
        for path in sorted(Path(d).rglob("*.toml")):
            rel = path.relative_to(d)
            if path.name.endswith(".test.toml") or any(p.startswith(".") for p in rel.parts):
                continue
            other = found.get(path.stem)
            if other is not None and other.resolve() != path.resolve():
                raise RulesetError(
                    [
                        RulesetIssue(
                            str(path),
                            "",
                            f"the ruleset name {path.stem!r} is ambiguous: "
                            f"{other} and {path} both give it",
                            hint="rename one of the files (a ruleset's name is its file stem)",
                        )
                    ]
                )
            found[path.stem] = path
    return found


def resolve_source(source: str | Path, named: Mapping[str, Path]) -> Path:
    """A ruleset path from a path or a name."""
    path = Path(source)
    if path.is_file():
        return path
    text = str(source)
    if text in named:
        return named[text]
    if path.suffix == ".toml" or "/" in text or "\\" in text:
        raise RulesetError([RulesetIssue(text, "", "no such ruleset file")])
    raise UnknownKindError("ruleset", text, list(named))


def _parent_names(search: Iterable[Path] | None) -> tuple[dict[str, Path], dict[str, Path]]:
    """Names for the ruleset asked for (``search``, default the bundled rulesets), and
    names ``extends`` may use (those and always the bundled ones)."""
    dirs = list(search) if search is not None else [bundled_rulesets_dir()]
    named = find_rulesets(dirs)
    bundled = bundled_rulesets_dir()
    if any(Path(d).resolve() == bundled.resolve() for d in dirs):
        return named, named
    return named, find_rulesets([*dirs, bundled])


def load_ruleset(source: str | Path, search: Iterable[Path] | None = None) -> Ruleset:
    """Load a ruleset by path, or by name from ``search`` (default: the bundled rulesets).

    The files it extends are loaded too. Raises :class:`RulesetError` listing every
    problem found in any of them, or :class:`UnknownKindError` for an unknown name.
    """
    return _raise_or_return(resolve_ruleset(source, search))


def resolve_ruleset(source: str | Path, search: Iterable[Path] | None = None) -> LoadResult:
    """Like :func:`load_ruleset`, but returns the problems instead of raising them."""
    named, parents = _parent_names(search)
    return _load(resolve_source(source, named), parents)


def parse_ruleset(data: bytes | str, path: str = "<string>") -> Ruleset:
    """Parse and check the text of a ruleset file (``extends`` is relative to ``path``)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _, parents = _parent_names(None)
    return _raise_or_return(_load(Path(path), parents, raw))


def _raise_or_return(result: LoadResult) -> Ruleset:
    if result.issues or result.ruleset is None:
        raise RulesetError(result.issues)
    return result.ruleset


def _load(path: Path, named: Mapping[str, Path], first: bytes | None = None) -> LoadResult:
    chain, issues = resolve_chain(path, named, first)
    dropped = frozenset().union(*(src.dropped_names for src in chain))
    complete = not any(src.dropped for src in chain)
    if not chain or chain[-1].extends is not None:  # the chain is broken
        return LoadResult(None, tuple(issues), dropped, complete)
    crowded = [_too_many_in_file(src) for src in chain if _rule_entries(src) > MAX_RULES]
    if crowded:  # refused before merging, whose cost grows with the square of the rules
        return LoadResult(None, (*issues, *crowded), dropped, False)
    resolved, merge_issues = merge(chain)
    issues.extend(merge_issues)
    doc = resolved.document
    head = doc.get("ruleset", {})
    if not all(isinstance(head.get(k), str) for k in ("name", "version", "platform")):
        return LoadResult(None, tuple(issues), dropped, False)
    lines = {k: o.line for k, o in resolved.origins.items() if o.line is not None}
    rs = attrs.evolve(
        _build(doc, chain[0].path, chain_hash(chain), lines),
        chain=tuple(src.path for src in chain),
        origins=resolved.origins,
        removed=resolved.removed,
        document=doc,
    )
    if len(rs.rules) > MAX_RULES:  # nothing else is checked: it would not be compiled
        return LoadResult(None, (*issues, _too_many_rules(rs)), dropped, False)
    issues.extend(_semantic_issues(rs, dropped))
    return LoadResult(rs, tuple(issues), dropped, complete)


# -- building -----------------------------------------------------------------------------


def _build(doc: Mapping[str, Any], path: str, digest: str, lines: Mapping[KeyPath, int]) -> Ruleset:
    head = doc["ruleset"]
    tiers = None
    if "tiers" in doc:
        tiers = tuple(
            Tier(
                name=t["name"],
                min_followers=float(t["min_followers"]),
                max_followers=_opt(t.get("max_followers")),
                price_min=_opt(t.get("price_min")),
                price_max=_opt(t.get("price_max")),
                description=t.get("description", ""),
            )
            for t in doc["tiers"]
        )
    rules = tuple(
        Rule(
            id=r["id"],
            require=r.get("require", ""),
            severity=r["severity"],
            stage=r.get("stage", "vet"),
            when=r.get("when"),
            missing=r.get("missing", "not_applicable"),
            message=_message(r.get("message")),
            description=r.get("description", ""),
            source=r.get("source", ""),
            kind=r.get("kind"),
            params=dict(r.get("params", {})),
            supersedes=tuple(r.get("supersedes", ())),
            messages=dict(r["message"]) if isinstance(r.get("message"), dict) else {},
        )
        for r in doc.get("rules", ())
    )
    verdict = doc.get("verdict", {})
    scoring = doc.get("scoring")
    return Ruleset(
        name=head["name"],
        version=head["version"],
        platform=head["platform"],
        description=head.get("description", ""),
        path=path,
        hash=digest,
        params=dict(doc.get("params", {})),
        fields=dict(doc.get("fields", {})),
        columns={k: tuple(v) for k, v in doc.get("columns", {}).items()},
        tiers=tiers,
        metrics=dict(doc.get("metrics", {})),
        engagement=doc.get("pricing", {}).get("engagement"),
        target_cpe=_opt(doc.get("pricing", {}).get("target_cpe")),
        max_over_band=_opt(doc.get("pricing", {}).get("max_over_band")),
        walk_away=_opt(doc.get("pricing", {}).get("walk_away")),
        target_cpr=_opt(doc.get("pricing", {}).get("target_cpr")),
        planning=dict(doc.get("planning", {})),
        rules=rules,
        data_errors=verdict.get("data_errors", "review"),
        min_applicable=float(verdict.get("min_applicable", 0.0)),
        escalate=tuple(
            Escalation(e["severity"], int(e["count"]), e["to"]) for e in verdict.get("escalate", ())
        ),
        scoring_strategy=None if scoring is None else scoring["strategy"],
        scoring_params=dict(scoring.get("params", {})) if scoring else {},
        lines=lines,
        requires=tuple(head.get("requires", ())),
    )


def _message(given: str | Mapping[str, str] | None) -> str | None:
    """A rule's ``message``: the text, or a table's English template."""
    return given.get(DEFAULT_LANG) if isinstance(given, Mapping) else given


def _rule_entries(src: SourceFile) -> int:
    rules = src.doc.get("rules")
    return len(rules) if isinstance(rules, list) else 0


def _too_many_in_file(src: SourceFile) -> RulesetIssue:
    """One file with more ``[[rules]]`` than :data:`MAX_RULES`: the ruleset it makes has
    more too (an entry changing a rule of the parent names one of its rules)."""
    return src.issue(
        ("rules", MAX_RULES),
        f"the file has {_rule_entries(src):,} [[rules]]; a ruleset may have at most "
        f"{MAX_RULES}, and this is rule {MAX_RULES + 1}",
        _SPLIT,
    )


_SPLIT = (
    "split it into rulesets run one after the other, or join rules that test one thing "
    "into one require with and/or"
)


def _too_many_rules(rs: Ruleset) -> RulesetIssue:
    """The issue of a ruleset over :data:`MAX_RULES`, at the first rule over it."""
    return rs.issue(
        ("rules", MAX_RULES),
        f"the ruleset has {len(rs.rules):,} rules (those it extends included); the limit "
        f"is {MAX_RULES}, and this is rule {MAX_RULES + 1}",
        _SPLIT,
    )


def _opt(value: Any) -> float | None:
    """A bound as a float; ``None`` when absent or ``inf`` (no bound)."""
    return None if value is None or math.isinf(value) else float(value)


def _semantic_issues(rs: Ruleset, dropped: frozenset[str]) -> Iterable[RulesetIssue]:
    if "tiers" not in dropped:
        yield from tier_issues(rs)
    if rs.requires:  # packaging is imported only for a ruleset that has requires
        from kolrules.ruleset.requires import requirement_issues

        yield from requirement_issues(rs)
    yield from rule_kind_issues(rs)
    yield from supersedes_issues(rs)


def supersedes_issues(rs: Ruleset) -> Iterable[RulesetIssue]:
    """A rule may supersede only other rules of the ruleset, and none of them may
    supersede it back (one of the two messages must be said)."""
    ids = {r.id: r for r in rs.rules}
    removed = {x.name for x in rs.removed if x.kind == "rule"}  # an overlay may remove one
    for i, r in enumerate(rs.rules):
        for k, other in enumerate(r.supersedes):
            where = ("rules", i, "supersedes", k)
            if other == r.id:
                yield rs.issue(where, f"rule {r.id!r} supersedes itself", "remove it from the list")
            elif other not in ids and other not in removed:
                known = ", ".join(sorted(ids))
                yield rs.issue(
                    where,
                    f"rule {r.id!r} supersedes {other!r}, which is not a rule of this ruleset",
                    f"use one of: {known}",
                )
            elif other in ids and r.id in ids[other].supersedes:
                yield rs.issue(
                    where,
                    f"rules {r.id!r} and {other!r} supersede each other: neither message "
                    "would be said when both fail",
                    "keep supersedes on one of them only",
                )


def rule_kind_issues(rs: Ruleset) -> Iterable[RulesetIssue]:
    """A rule needs ``require`` or a ``kind`` (which builds it), not both; ``params`` are
    for a kind. (Whether a plugin provides the kind is checked when compiling.)"""
    for i, r in enumerate(rs.rules):
        if r.kind is not None and r.require:
            yield rs.issue(
                ("rules", i, "require"),
                f"rule {r.id!r} is of kind {r.kind!r}, which builds its own require",
                "remove require, or remove kind and params to write the test yourself",
            )
        elif r.kind is None and not r.require:
            yield rs.issue(
                ("rules", i),
                f"rule {r.id!r} has neither require nor kind",
                "add require = '<test>', or kind = '<rule kind>' with its params",
            )
        if r.kind is None and r.params:
            yield rs.issue(
                ("rules", i, "params"),
                f"rule {r.id!r} has params but no kind: params are passed to a rule kind",
                "add kind = '<rule kind>', or remove params",
            )


def tier_issues(rs: Ruleset) -> Iterable[RulesetIssue]:
    """Inverted bounds, duplicate names and overlapping follower ranges in the tier table."""
    if not rs.tiers:
        return
    names: set[str] = set()
    for i, t in enumerate(rs.tiers):
        if t.name in names:
            yield rs.issue(("tiers", i, "name"), f"duplicate tier name {t.name!r}")
        names.add(t.name)
        if t.max_followers is not None and t.max_followers <= t.min_followers:
            yield rs.issue(
                ("tiers", i, "max_followers"),
                f"max_followers {t.max_followers:g} is not above min_followers {t.min_followers:g}",
                f"tier {t.name!r} holds no follower count: raise max_followers "
                "or lower min_followers",
            )
        if t.price_min is not None and t.price_max is not None and t.price_min > t.price_max:
            yield rs.issue(
                ("tiers", i, "price_min"),
                f"price_min {t.price_min:g} is above price_max {t.price_max:g}",
                f"the fair band of tier {t.name!r} is empty: swap or correct them",
            )
    ordered = sorted(enumerate(rs.tiers), key=lambda it: it[1].min_followers)
    for (_, a), (j, b) in itertools.pairwise(ordered):
        upper = a.max_followers
        if upper is None or upper > b.min_followers:
            yield rs.issue(
                ("tiers", j, "min_followers"),
                f"tier {b.name!r} starts at {b.min_followers:g} followers, inside tier {a.name!r}",
                "tiers must not overlap: set each tier's max_followers to the next tier's "
                "min_followers",
            )
