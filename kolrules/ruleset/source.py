"""Read one ruleset file: UTF-8 text -> TOML -> a document checked against the JSON Schema.

Every problem is collected, not just the first. The parts of the document that break the
schema are dropped (a whole rule, the whole tier table, one param ...), so the rest of the
file, and the rest of its chain, can still be checked in the same pass.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kolrules.errors import RulesetIssue
from kolrules.ruleset.known_valid import known_valid, remember_valid
from kolrules.ruleset.locate import KeyPath, format_path, index_lines, line_of

__all__ = ["SourceFile", "read_source"]

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
#: Sections where a schema error drops only the offending entry, not the whole section.
_KEYED = frozenset(
    {"ruleset", "params", "fields", "columns", "metrics", "pricing", "tier", "verdict"}
)


@attrs.frozen
class SourceFile:
    """One ruleset file as read: its document (minus the parts that broke the schema), the
    line of each key path, and the SHA-256 of its bytes."""

    path: str
    digest: str
    doc: Mapping[str, Any] = attrs.field(repr=False)
    lines: Mapping[KeyPath, int] = attrs.field(repr=False)
    #: Key paths dropped because they broke the schema.
    dropped: tuple[KeyPath, ...] = ()
    #: Names whose definition was dropped (rule ids, params, metrics, fields, tier names),
    #: so that later checks do not report them again as unknown.
    dropped_names: frozenset[str] = frozenset()

    @property
    def extends(self) -> str | None:
        head = self.doc.get("ruleset")
        value = head.get("extends") if isinstance(head, Mapping) else None
        return value if isinstance(value, str) else None

    def issue(self, path: KeyPath, message: str, hint: str | None = None) -> RulesetIssue:
        """An issue at ``path`` as written in this file."""
        return RulesetIssue(self.path, format_path(path), message, line_of(self.lines, path), hint)


def read_source(raw: bytes, path: str) -> tuple[SourceFile | None, list[RulesetIssue]]:
    """Read and schema-check one file. ``None`` when nothing usable is left (not UTF-8,
    not TOML, or no ``[ruleset]`` table); the issues say why."""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        issue = RulesetIssue(
            path, "", f"not UTF-8 text (byte {exc.start})", hint="save it as UTF-8"
        )
        return None, [issue]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else _end_line(text, msg)
        msg = _TOML_POS.sub("", msg).strip()
        hint = "see https://toml.io/en/v1.0.0"
        return None, [RulesetIssue(path, "", f"invalid TOML: {msg}", line, hint)]
    lines = index_lines(text)
    if known_valid(digest):
        found = []
    else:
        found = list(_schema_issues(doc, path, lines))
        if not found:
            remember_valid(digest)
    issues = [issue for _, issue in found]
    dropped = tuple(dict.fromkeys(_drop_point(at) for at, _ in found))
    names = frozenset(n for at in dropped if (n := _name_at(doc, at)))
    if dropped:
        doc = copy.deepcopy(doc)
        for at in dropped:
            if at:
                _drop(doc, at)
        _compact(doc)
    if not isinstance(doc.get("ruleset"), dict):
        return None, issues
    kept = tuple(p for p in dropped if p)
    return SourceFile(path, digest, doc, lines, kept, names), issues


def _end_line(text: str, msg: str) -> int | None:
    return len(text.splitlines()) if "end of document" in msg else None


def _drop_point(at: KeyPath) -> KeyPath:
    """What to drop for a schema error at ``at``: a whole rule, the whole tier table, the
    scoring table, or one entry of a keyed section."""
    if not at or at == ("ruleset",):
        return ()  # a key missing from [ruleset] is reported; what it leaves out is checked later
    head = at[0]
    if head == "rules" and len(at) >= 2:
        return at[:2]
    if head in _KEYED and len(at) >= 2:
        return at[:2]
    return at[:1]


def _name_at(doc: Mapping[str, Any], at: KeyPath) -> str | None:
    """The name an entry defines: a rule's id, a param's name, ...; ``tiers`` for the table."""
    if at[:1] == ("tiers",):
        return "tiers"
    if len(at) != 2:
        return None
    section, key = at
    if section == "rules" and isinstance(key, int):
        rules = doc.get("rules")
        rule = rules[key] if isinstance(rules, list) and key < len(rules) else None
        rid = rule.get("id") if isinstance(rule, dict) else None
        return rid if isinstance(rid, str) else None
    return str(key) if section in {"params", "metrics", "fields", "tier"} else None


def _drop(doc: dict[str, Any], at: KeyPath) -> None:
    """Remove the entry at ``at``; a dropped rule leaves ``None`` (see :func:`_compact`)."""
    parent: Any = doc
    for part in at[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    last = at[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = None


def _compact(doc: dict[str, Any]) -> None:
    if isinstance(doc.get("rules"), list):
        doc["rules"] = [r for r in doc["rules"] if r is not None]


def _schema_issues(
    doc: Mapping[str, Any], path: str, lines: Mapping[KeyPath, int]
) -> Iterable[tuple[KeyPath, RulesetIssue]]:
    from jsonschema import Draft202012Validator

    from kolrules.ruleset.file_schema import RULESET_SCHEMA

    validator = Draft202012Validator(RULESET_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        at: KeyPath = tuple(err.absolute_path)
        yield from _explain(err, at, path, lines)


def _issue(
    path: str, lines: Mapping[KeyPath, int], at: KeyPath, msg: str, hint: str | None = None
) -> tuple[KeyPath, RulesetIssue]:
    return at, RulesetIssue(path, format_path(at), msg, line_of(lines, at), hint)


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
) -> Iterable[tuple[KeyPath, RulesetIssue]]:
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
                yield _issue(path, lines, (*at, key), f"unknown key {key!r}", hint)
            else:
                yield _issue(path, lines, (*at, key), f"{err.message}")
        return
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        yield _issue(path, lines, at, f"missing required key {missing!r}", _required_hint(missing))
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
    if kind == "anyOf" and at[:1] == ("rules",) and len(at) == 2:
        yield _issue(
            path,
            lines,
            at,
            "missing required key 'require' (or 'kind')",
            "a rule needs require (its test) or kind (a rule kind a plugin adds, with params)",
        )
        return
    yield _issue(path, lines, at, err.message)


def _required_hint(key: str) -> str | None:
    if key in {"platform", "rules", "require", "severity"}:
        return "a ruleset without extends stands alone and needs it; an overlay may inherit it"
    return None
