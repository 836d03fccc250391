"""Find the line of a TOML key path, so errors can point at it.

``tomllib`` gives values, not positions; this reads the text once and records the line of
every table header and ``key =`` it can see. It knows tables, arrays of tables, dotted keys
and multi-line strings; keys inside inline tables are found at the line of their parent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

KeyPath = tuple[str | int, ...]


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    for ch in text.strip():
        if quote:
            if ch == quote:
                quote = None
            else:
                buf.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return tuple(parts)


def _key_part(line: str) -> str | None:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return line[:i]
    return None


def _concrete(path: tuple[str, ...], arrays: Mapping[KeyPath, int]) -> KeyPath:
    """A table header's path with the index of the current element of every array of
    tables it passes through (``[test.expect]`` after a third ``[[test]]`` is
    ``("test", 2, "expect")``)."""
    out: KeyPath = ()
    for part in path:
        out = (*out, part)
        if out in arrays:
            out = (*out, arrays[out])
    return out


def index_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path found in ``text`` to its 1-based line."""
    found: dict[KeyPath, int] = {}
    table: KeyPath = ()
    counters: dict[KeyPath, int] = {}
    closing: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if closing:
            if closing in stripped:
                closing = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            path = _split_key(stripped[2 : stripped.find("]]")])
            array = (*_concrete(path[:-1], counters), path[-1])
            counters[array] = counters.get(array, -1) + 1
            table = (*array, counters[array])
            found.setdefault(table, lineno)
            continue
        if stripped.startswith("["):
            table = _concrete(_split_key(stripped[1 : stripped.find("]")]), counters)
            found.setdefault(table, lineno)
            continue
        key = _key_part(stripped)
        if key is None:
            continue
        found.setdefault((*table, *_split_key(key)), lineno)
        rest = stripped[len(key) + 1 :]
        for delim in ('"""', "'''"):
            if rest.count(delim) == 1:
                closing = delim
    return found


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path`` or of its nearest ancestor that was found."""
    for n in range(len(path), 0, -1):
        line = lines.get(path[:n])
        if line is not None:
            return line
    return None


def format_path(path: KeyPath) -> str:
    """``('rules', 2, 'require')`` -> ``rules[2].require``; a key with a space, a control
    character, a quote or a TOML separator is quoted as TOML writes it (``metrics."m\\n"``);
    other keys, Chinese ones included, are shown as they are."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + (part if _BARE.fullmatch(part) else _quoted(part))
    return out


_BARE = re.compile(r'[^\s\x00-\x1f\x7f"\\.\[\]=#]+')


def _quoted(key: str) -> str:
    """``key`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    body = "".join(
        c if c not in '"\\' and (c >= " " and c != "\x7f") else _ESCAPES.get(c, f"\\u{ord(c):04x}")
        for c in key
    )
    return f'"{body}"'


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
