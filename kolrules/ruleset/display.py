"""Showing rulesets: the effective ruleset of a chain as TOML (every value commented with
the file and line that set it) or as JSON (``kolrules rulesets show --resolved``), and the
list of named rulesets (``kolrules rulesets``).

The TOML is a standalone ruleset: loading it gives the same rules, tiers and params.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kolrules.errors import RulesetError
from kolrules.ruleset.locate import KeyPath, format_path
from kolrules.ruleset.model import Ruleset
from kolrules.ruleset.overlay import Origin

__all__ = [
    "catalogue_row",
    "display_path",
    "print_catalogue",
    "resolved_json",
    "resolved_toml",
]

_ORDER = ("ruleset", "params", "fields", "columns", "tiers", "metrics", "pricing", "rules")


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it is below it, else as it is."""
    rel = os.path.relpath(file) if os.path.isabs(file) else file
    return file if rel.startswith("..") else rel


def _where(origin: Origin | None) -> str:
    if origin is None:
        return ""
    shown = display_path(origin.file)
    return f"{shown}:{origin.line}" if origin.line else shown


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return ("-inf" if v < 0 else "inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")  # pragma: no cover


def _key(k: str) -> str:
    bare = k and all((c.isalnum() and c.isascii()) or c in "-_" for c in k)
    return k if bare else json.dumps(k, ensure_ascii=False)


def _header(path: KeyPath) -> str:
    return ".".join(_key(str(p)) for p in path)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


class _Writer:
    def __init__(self, rs: Ruleset) -> None:
        self.rs = rs
        self.lines: list[str] = []

    def comment(self, path: KeyPath) -> str:
        origin = self.rs.origins.get(path)
        where = _where(origin)
        return f"  # {where}" if where else ""

    def table(
        self, path: KeyPath, doc_path: KeyPath, table: Mapping[str, Any], array: bool
    ) -> None:
        nested = [(k, v) for k, v in table.items() if isinstance(v, dict) or _is_table_array(v)]
        if array or len(nested) < len(table) or not nested:  # else the header is implied
            if self.lines:
                self.lines.append("")
            brackets = ("[[", "]]") if array else ("[", "]")
            self.lines.append(f"{brackets[0]}{_header(path)}{brackets[1]}{self.comment(doc_path)}")
        for k, v in table.items():
            if not (isinstance(v, dict) or _is_table_array(v)):
                self.lines.append(f"{_key(k)} = {_value(v)}{self.comment((*doc_path, k))}")
        for k, v in nested:
            self.section((*path, k), (*doc_path, k), v)

    def section(self, path: KeyPath, doc_path: KeyPath, value: Any) -> None:
        if _is_table_array(value):
            for i, item in enumerate(value):
                self.table(path, (*doc_path, i), item, array=True)
        elif isinstance(value, dict):
            self.table(path, doc_path, value, array=False)


def resolved_toml(rs: Ruleset) -> str:
    """The effective ruleset as TOML, each value commented with the file:line that set it."""
    w = _Writer(rs)
    w.lines += [
        f"# The effective ruleset {rs.name} {rs.version}, merged from: "
        + " -> ".join(map(display_path, rs.chain)),
        f"# hash {rs.hash}",
        "# Each value is followed by the file and line that set it.",
    ]
    w.lines += [f"# removed: {r.kind} {r.name!r} ({_where(r.origin)})" for r in rs.removed]
    for key in _sections(rs.document):
        w.section((key,), (key,), rs.document[key])
    return "\n".join(w.lines) + "\n"


def _sections(doc: Mapping[str, Any]) -> Iterator[str]:
    yield from (k for k in _ORDER if k in doc)
    yield from (k for k in doc if k not in _ORDER)


def resolved_json(rs: Ruleset) -> dict[str, Any]:
    """The effective ruleset and where each value came from, JSON-ready."""
    return {
        "name": rs.name,
        "version": rs.version,
        "platform": rs.platform,
        "hash": rs.hash,
        "chain": list(rs.chain),
        "ruleset": _jsonable(rs.document),
        "origins": {
            format_path(path): {"file": o.file, "line": o.line, "key": format_path(o.key)}
            for path, o in rs.origins.items()
        },
        "removed": [
            {"kind": r.kind, "name": r.name, "file": r.origin.file, "line": r.origin.line}
            for r in rs.removed
        ],
    }


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and math.isinf(v):
        return None
    return v


# -- the list of named rulesets (kolrules rulesets) --------------------------------------


def catalogue_row(name: str, path: Path, ruleset: Ruleset | RulesetError) -> dict[str, Any]:
    """One named ruleset for ``kolrules rulesets``: its name, platform, version, number of
    rules, the file it extends and its description; for one that does not load, the
    first problem, as ``INVALID: ...``."""
    if isinstance(ruleset, RulesetError):
        return {
            "name": name,
            "platform": None,
            "version": None,
            "rules": None,
            "extends": None,
            "description": f"INVALID: {ruleset.issues[0].message}",
            "path": str(path),
        }
    return {
        "name": name,
        "platform": ruleset.platform,
        "version": ruleset.version,
        "rules": len(ruleset.rules),
        "extends": ruleset.chain[1] if len(ruleset.chain) > 1 else None,
        "description": ruleset.description,
        "path": str(path),
    }


def print_catalogue(rows: list[dict[str, Any]]) -> None:
    """The named rulesets as a table on the terminal (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("name", "platform", "version", "rules", "extends", "description"):
        table.add_column(col, overflow="fold")
    for r in rows:
        extends = Path(r["extends"]).stem if r["extends"] else ""
        table.add_row(
            r["name"],
            str(r["platform"]),
            str(r["version"]),
            str(r["rules"]),
            extends,
            r["description"],
        )
    Console(highlight=False).print(table)
