"""Load ruleset files: TOML in, a checked :class:`Ruleset` out.

Every structural problem of a file is found in one pass and raised together as a
:class:`~kolrules.errors.RulesetError`, each issue with the file, the TOML key path, the
line and a hint. Expressions, names and platform-specific checks happen when the ruleset
is compiled against its platform (:mod:`kolrules.compile`), which reports in the same way.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from kolrules._locate import KeyPath, format_path, index_lines, line_of
from kolrules.errors import RulesetError, RulesetIssue, UnknownKindError
from kolrules.hookspecs import hookimpl
from kolrules.types import FieldType, RulesetRef, Severity, Tier, Verdict

__all__ = [
    "Escalation",
    "Rule",
    "Ruleset",
    "bundled_rulesets_dir",
    "find_rulesets",
    "load_ruleset",
    "parse_ruleset",
]


@attrs.frozen
class Rule:
    """One rule as written in the ruleset (expressions still as text)."""

    id: str
    require: str
    severity: Severity
    stage: str = "vet"
    when: str | None = None
    missing: str = "not_applicable"
    message: str | None = None
    description: str = ""
    source: str = ""


@attrs.frozen
class Escalation:
    """A count rule: ``count`` failures of ``severity`` make the verdict at least ``to``."""

    severity: Severity
    count: int
    to: Verdict


@attrs.frozen
class Ruleset:
    """A loaded ruleset file. ``tiers`` is ``None`` when the file gives none (the
    platform's default tiers apply)."""

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
    scoring_strategy: str | None = None
    scoring_params: Mapping[str, Any] = attrs.field(factory=dict)
    lines: Mapping[KeyPath, int] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ref(self) -> RulesetRef:
        """Name, version and content hash, as recorded in decisions."""
        return RulesetRef(self.name, self.version, self.hash)

    def issue(self, path: KeyPath, message: str, hint: str | None = None) -> RulesetIssue:
        """An issue located at ``path`` in this ruleset's file."""
        return RulesetIssue(self.path, format_path(path), message, line_of(self.lines, path), hint)


# -- finding files ----------------------------------------------------------------------


def bundled_rulesets_dir() -> Path:
    """The directory of the rulesets shipped with kolrules.

    In an installed wheel they live in ``kolrules/_bundled/rulesets``; in a source checkout
    (editable install) in the repository's ``rulesets/``.
    """
    here = Path(__file__).resolve().parent
    wheel = here / "_bundled" / "rulesets"
    return wheel if wheel.is_dir() else here.parent / "rulesets"


@hookimpl
def kolrules_rulesets_register() -> Iterable[Path]:
    """kolrules' own named rulesets: ``red-default``, ``weibo-default``, ``wechat-default``."""
    return [bundled_rulesets_dir()]


def find_rulesets(dirs: Iterable[Path]) -> dict[str, Path]:
    """Named rulesets (file stem -> path) in ``dirs``; a name found twice is an error."""
    found: dict[str, Path] = {}
    for d in dirs:
        for path in sorted(Path(d).glob("*.toml")):
            if path.name.endswith(".test.toml"):
                continue
            if path.stem in found and found[path.stem].resolve() != path.resolve():
                raise RulesetError(
                    [
                        RulesetIssue(
                            str(path),
                            "",
                            f"ruleset name {path.stem!r} is also given by {found[path.stem]}",
                            hint="rename one of the files",
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


def load_ruleset(source: str | Path, search: Iterable[Path] | None = None) -> Ruleset:
    """Load a ruleset by path, or by name from ``search`` (default: the bundled rulesets).

    Raises :class:`RulesetError` listing every problem found, or
    :class:`UnknownKindError` for an unknown name.
    """
    named = find_rulesets(search if search is not None else [bundled_rulesets_dir()])
    path = resolve_source(source, named)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesetError([RulesetIssue(str(path), "", f"cannot read: {exc.strerror}")]) from None
    return parse_ruleset(data, str(path))


# -- parsing ----------------------------------------------------------------------------

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_ruleset(data: bytes | str, path: str = "<string>") -> Ruleset:
    """Parse and check the text of a ruleset file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesetError(
            [RulesetIssue(path, "", f"not UTF-8 text (byte {exc.start})", hint="save it as UTF-8")]
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else _end_line(text, msg)
        msg = _TOML_POS.sub("", msg).strip()
        raise RulesetError(
            [RulesetIssue(path, "", f"invalid TOML: {msg}", line, "see https://toml.io/en/v1.0.0")]
        ) from None
    lines = index_lines(text)
    issues = list(_schema_issues(doc, path, lines))
    if issues:
        raise RulesetError(issues)
    rs = _build(doc, path, digest, lines)
    issues = list(_semantic_issues(rs))
    if issues:
        raise RulesetError(issues)
    return rs


def _end_line(text: str, msg: str) -> int | None:
    return len(text.splitlines()) if "end of document" in msg else None


def _schema_issues(
    doc: Mapping[str, Any], path: str, lines: Mapping[KeyPath, int]
) -> Iterable[RulesetIssue]:
    from jsonschema import Draft202012Validator

    from kolrules._schema import RULESET_SCHEMA

    validator = Draft202012Validator(RULESET_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        at: KeyPath = tuple(err.absolute_path)
        yield from _explain(err, at, path, lines)


def _issue(
    path: str, lines: Mapping[KeyPath, int], at: KeyPath, msg: str, hint: str | None = None
) -> RulesetIssue:
    return RulesetIssue(path, format_path(at), msg, line_of(lines, at), hint)


_TYPE_WORDS = {
    "string": "text (in quotes)",
    "number": "a number",
    "integer": "a whole number",
    "object": "a table",
    "array": "a list",
    "boolean": "true or false",
}


def _explain(
    err: Any, at: KeyPath, path: str, lines: Mapping[KeyPath, int]
) -> Iterable[RulesetIssue]:
    schema = err.schema
    kind = err.validator
    if kind == "additionalProperties" and isinstance(err.instance, dict):
        valid = list(schema.get("properties", {}))
        for key in err.instance:
            if key in valid:
                continue
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            if valid:
                hint = (hint + " " if hint else "") + "valid keys: " + ", ".join(valid)
            if not valid:
                yield _issue(path, lines, (*at, key), f"{err.message}")
            else:
                yield _issue(path, lines, (*at, key), f"unknown key {key!r}", hint)
        return
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        yield _issue(path, lines, at, f"missing required key {missing!r}")
        return
    if kind == "type":
        want = schema["type"]
        wants = want if isinstance(want, list) else [want]
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wants)
        yield _issue(path, lines, at, f"expected {words}, got {err.instance!r}")
        return
    if kind == "enum":
        options = [str(o) for o in schema["enum"]]
        close = difflib.get_close_matches(str(err.instance), options, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        yield _issue(path, lines, at, f"{err.instance!r} is not one of {', '.join(options)}", hint)
        return
    if kind == "pattern" and at and at[-1] == "id":
        yield _issue(
            path,
            lines,
            at,
            f"rule id {err.instance!r} may only use lower-case letters, digits, '-' and '_'",
        )
        return
    if kind == "pattern" and isinstance(err.instance, str) and len(at) == 1:
        yield _issue(
            path,
            lines,
            (*at, err.instance),
            f"{err.instance!r} is not a valid name (letters, digits, '_')",
        )
        return
    if kind in {"minimum", "minItems", "minLength"}:
        yield _issue(path, lines, at, f"{err.instance!r}: {err.message}")
        return
    yield _issue(path, lines, at, err.message)


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
            require=r["require"],
            severity=r["severity"],
            stage=r.get("stage", "vet"),
            when=r.get("when"),
            missing=r.get("missing", "not_applicable"),
            message=r.get("message"),
            description=r.get("description", ""),
            source=r.get("source", ""),
        )
        for r in doc["rules"]
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
        rules=rules,
        data_errors=verdict.get("data_errors", "review"),
        escalate=tuple(
            Escalation(e["severity"], int(e["count"]), e["to"]) for e in verdict.get("escalate", ())
        ),
        scoring_strategy=None if scoring is None else scoring["strategy"],
        scoring_params=dict(scoring.get("params", {})) if scoring else {},
        lines=lines,
    )


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _semantic_issues(rs: Ruleset) -> Iterable[RulesetIssue]:
    seen: dict[str, int] = {}
    for i, rule in enumerate(rs.rules):
        if rule.id in seen:
            yield rs.issue(
                ("rules", i, "id"),
                f"duplicate rule id {rule.id!r}, first used by rules[{seen[rule.id]}]",
                "give each rule its own id",
            )
        else:
            seen[rule.id] = i
    yield from tier_issues(rs)


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
            )
        if t.price_min is not None and t.price_max is not None and t.price_min > t.price_max:
            yield rs.issue(
                ("tiers", i, "price_min"),
                f"price_min {t.price_min:g} is above price_max {t.price_max:g}",
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
