"""Read one ruleset file: UTF-8 text -> TOML -> a document checked against the JSON Schema.

Every problem is collected, not just the first. The parts of the document that break the
schema are dropped (a whole rule, the whole tier table, one param ...), so the rest of the
file, and the rest of its chain, can still be checked in the same pass.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import math
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kolrules.errors import RulesetIssue
from kolrules.expression import MAX_NUMBER, reserved_alternative
from kolrules.ruleset.known_valid import known_valid, remember_valid
from kolrules.ruleset.locate import KeyPath, format_path, index_lines, line_of

__all__ = ["MAX_TOML_DEPTH", "SourceFile", "parse_toml", "read_source"]

#: Deepest nesting of tables and arrays (inline or not) accepted in a ruleset file: a
#: ruleset needs five or so (``[scoring.params.metrics.er]``). Python's TOML parser
#: recurses once per level and fails at a few hundred; the limit is checked on the
#: parsed document, and a file too deep to parse at all gets the same error.
MAX_TOML_DEPTH = 32
#: Keys of a tier whose value may be ``inf``: no bound.
_UNBOUNDED = frozenset({"max_followers", "price_max"})
_TIER_NUMBERS = ("min_followers", "max_followers", "price_min", "price_max")

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
# What a scan of TOML text must step over to find the brackets that nest: strings
# (multi-line first), comments; and the brackets themselves.
_TOML_TOKEN = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]'
)
#: Sections where a schema error drops only the offending entry, not the whole section.
_KEYED = frozenset(
    {"ruleset", "params", "fields", "columns", "metrics", "pricing", "planning", "tier", "verdict"}
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
    doc, problem = parse_toml(text, path)
    if doc is None:
        return None, [problem] if problem is not None else []
    lines = index_lines(text)
    deep = _too_deep(doc)
    if deep is not None:
        return None, [_depth_issue(path, format_path(deep), line_of(lines, deep))]
    if known_valid(digest):
        found = []
    else:
        found = list(_schema_issues(doc, path, lines))
        if not found:
            remember_valid(digest)
    found += _number_issues(doc, path, lines)
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


def parse_toml(text: str, path: str) -> tuple[dict[str, Any] | None, RulesetIssue | None]:
    """The TOML document in ``text``, or ``None`` and the issue saying why not: invalid
    TOML (with its line), or nested too deeply for the parser (:data:`MAX_TOML_DEPTH`)."""
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else _end_line(text, msg)
        msg = _TOML_POS.sub("", msg).strip()
        hint = "see https://toml.io/en/v1.0.0"
        return None, RulesetIssue(path, "", f"invalid TOML: {msg}", line, hint)
    except RecursionError:
        return None, _depth_issue(path, "", _deep_line(text))
    except ValueError as exc:  # an integer of more than 4,300 digits (sys.int_info)
        digits = sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits
        long = re.search(f"[0-9_]{{{digits},}}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else None
        what = "a number cannot be read" if long else "the file cannot be read"
        hint = "write a smaller number" if long else "see https://toml.io/en/v1.0.0"
        return None, RulesetIssue(path, "", f"{what}: {str(exc).split(';')[0]}", line, hint)


def _depth_issue(path: str, key: str, line: int | None) -> RulesetIssue:
    return RulesetIssue(
        path,
        key,
        f"tables and arrays are nested more than {MAX_TOML_DEPTH} levels deep",
        line,
        "a ruleset needs a few levels: look for a [ or { that is never closed, or "
        "written many times over",
    )


def _deep_line(text: str) -> int | None:
    """The line where brackets in TOML ``text`` first nest more than
    :data:`MAX_TOML_DEPTH` deep (strings and comments skipped), or ``None``."""
    depth = 0
    for token in _TOML_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_TOML_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif bracket in ("]", "}"):
            depth -= 1
    return None


def _too_deep(doc: Mapping[str, Any]) -> KeyPath | None:
    """The key path of the first table or array nested more than
    :data:`MAX_TOML_DEPTH` deep in ``doc`` (walked without recursion), or ``None``."""
    stack: list[tuple[KeyPath, Any]] = [((), doc)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, dict):
            children: Iterable[tuple[str | int, Any]] = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if len(at) > MAX_TOML_DEPTH:
            return at
        stack.extend(((*at, key), child) for key, child in children)
    return None


def _number_issues(
    doc: Mapping[str, Any], path: str, lines: Mapping[KeyPath, int]
) -> list[tuple[KeyPath, RulesetIssue]]:
    """Numbers a ruleset cannot compute with: ``nan``, and integers beyond a float's range
    (about 1.8e308), anywhere but in tests; ``inf`` in ``[params]`` and in tiers, where
    only ``max_followers`` and ``price_max`` may be ``inf`` (no bound)."""
    found: list[tuple[KeyPath, RulesetIssue]] = []

    def check(at: KeyPath, value: Any, finite: bool) -> None:
        why = _bad_number(value, finite)
        if why is not None:
            name = f"param {at[1]!r}" if at[0] == "params" else str(at[-1])
            hint = "write a smaller number" if "large" in why else "write a finite number"
            if at[-1] in _UNBOUNDED:
                hint += ", or inf for no upper bound"
            found.append(_issue(path, lines, at, f"{name} {why}", hint))

    def walk(at: KeyPath, value: Any) -> None:  # the document is at most MAX_TOML_DEPTH deep
        if isinstance(value, dict):
            for key, child in value.items():
                walk((*at, key), child)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk((*at, index), child)
        else:
            check(at, value, finite=False)

    for key, value in doc.items():
        if key == "test":
            continue
        if key == "params" and isinstance(value, dict):
            for name, param in value.items():
                check(("params", name), param, finite=True)
            continue
        tiers = _tier_tables(key, value)
        for where, tier in tiers:
            for number in _TIER_NUMBERS:
                if number in tier:
                    at = (key, where, number)
                    check(at, tier[number], finite=number not in _UNBOUNDED)
        if not tiers:
            walk((key,), value)
    return found


def _tier_tables(key: str, value: Any) -> list[tuple[str | int, Mapping[str, Any]]]:
    """The tiers of ``[[tiers]]`` (by index) or the overlay's ``[tier.<name>]`` (by name)."""
    if key == "tiers" and isinstance(value, list):
        return [(i, t) for i, t in enumerate(value) if isinstance(t, dict)]
    if key == "tier" and isinstance(value, dict):
        return [(name, t) for name, t in value.items() if isinstance(t, dict)]
    return []


def _bad_number(value: Any, finite: bool) -> str | None:
    """Why ``value`` is a number a ruleset cannot hold, or ``None``; ``finite`` refuses
    ``inf`` too (``-inf`` is refused as below zero by the schema where it matters)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "is nan (not a number)"
        if finite and math.isinf(value):
            return f"is {value} (infinite)"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        digits = len(str(abs(value))) if abs(value).bit_length() < 14_000 else None
        size = f"{digits} digits" if digits else "thousands of digits"
        return f"is too large ({size}); a number may be at most {MAX_NUMBER:.4g}"
    return None


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
    from kolrules.ruleset.file_schema import RULESET_SCHEMA

    validator = _validator_class()(RULESET_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        at: KeyPath = tuple(err.absolute_path)
        yield from _explain(err, at, path, lines)


@functools.cache
def _validator_class() -> Any:
    """The JSON Schema validator, with ``pattern`` read as JSON Schema means it (ECMA-262):
    ``$`` matches only at the very end. Python's ``$`` also matches before a final newline,
    which let a name such as ``"m\\n"`` through (and broke the code written for it)."""
    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator: Any, regex: str, instance: Any, schema: Any) -> Iterable[Any]:
        if not validator.is_type(instance, "string"):
            return
        if regex.endswith("$") and not regex.endswith("\\$"):
            regex = regex[:-1] + r"\Z"
        if re.search(regex, instance) is None:
            yield ValidationError(f"{instance!r} does not match {regex!r}")

    return validators.extend(Draft202012Validator, {"pattern": pattern})


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


#: Keys people write for a key of another name (other rule engines' words, plain English,
#: other spellings of a language), suggested before a key that is merely spelled alike:
#: ``condition`` looks like ``description`` but means ``require``.
_MEANT = {
    "condition": "require",
    "conditions": "require",
    "expr": "require",
    "expression": "require",
    "check": "require",
    "rule": "require",
    "requires": "require",
    "if": "when",
    "only_if": "when",
    "applies_when": "when",
    "level": "severity",
    "action": "severity",
    "msg": "message",
    "text": "message",
    "reason": "message",
    "name": "id",
    "disabled": "enabled",
    "default": "missing",
    # the languages of a message table
    "cn": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hans": "zh",
    "chinese": "zh",
    "english": "en",
    "en-us": "en",
    "en_us": "en",
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
            meant = _MEANT.get(key.lower())
            close = [meant] if meant in valid else difflib.get_close_matches(key, valid, n=1)
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
    if kind == "not" and isinstance(err.instance, str) and len(at) == 1:
        yield _issue(path, lines, (*at, err.instance), *_reserved(str(at[0]), err.instance))
        return
    if kind == "minProperties" and at[-1:] == ("message",):
        yield _issue(
            path,
            lines,
            at,
            "the message table gives no template",
            'give one per language: message = { en = "...", zh = "..." }; or the message '
            "as text, for every language",
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


def _reserved(section: str, name: str) -> tuple[str, str]:
    """The message and hint for a field, metric or param named with a reserved word."""
    what = {"fields": "field", "metrics": "metric", "params": "param"}.get(section, "name")
    alt = reserved_alternative(name) if what == "field" else f"{name.lower()}_value"
    hint = f"call the {what} e.g. {alt!r}"
    if what == "field":
        hint += f' and map the header with [columns] {alt} = ["{name}"]'
    return (
        f"{name!r} is a reserved word in expressions: no rule could use a {what} of that name",
        hint + "; docs/rulesets.md lists the reserved words",
    )


def _required_hint(key: str) -> str | None:
    if key in {"platform", "rules", "require", "severity"}:
        return "a ruleset without extends stands alone and needs it; an overlay may inherit it"
    return None
