"""Ruleset files known to pass the JSON Schema, remembered on disk.

Checking a file against the schema needs jsonschema, whose import and validator take
longer than everything else in building an engine (about 0.14 s of 0.25 s). Whether a
file passes depends only on its bytes and on the schema, so a pass is remembered as an
empty file named after both hashes and :data:`CHECKER_VERSION`; a later run that reads
the same bytes with the same schema and checker skips the check. A failure is never
remembered: it is reported every time.

The cache lives in ``$KOLRULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/kolrules``, else
``~/.cache/kolrules``; ``KOLRULES_NO_CACHE=1`` turns it off. A cache that cannot be written
(a read-only home) is ignored.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

__all__ = ["cache_dir", "known_valid", "remember_valid"]

ENV_DIR = "KOLRULES_CACHE_DIR"
ENV_OFF = "KOLRULES_NO_CACHE"
#: Raise when the way files are checked changes without the schema changing (a stricter
#: pattern, say): every pass remembered before is then checked again.
CHECKER_VERSION = 2


def cache_dir() -> Path | None:
    """Where passes are remembered; ``None`` when the cache is off."""
    if os.environ.get(ENV_OFF):
        return None
    chosen = os.environ.get(ENV_DIR)
    if chosen:
        return Path(chosen) / "valid"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kolrules" / "valid"


@cache
def _schema_digest() -> str:
    from kolrules.ruleset.file_schema import schema_json

    return hashlib.sha256(schema_json().encode("utf-8")).hexdigest()


def _entry(digest: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{digest}:{_schema_digest()}:{CHECKER_VERSION}".encode()).hexdigest()
    return folder / key


def known_valid(digest: str) -> bool:
    """Whether the file whose SHA-256 is ``digest`` passed the current schema before."""
    entry = _entry(digest)
    return entry is not None and entry.exists()


def remember_valid(digest: str) -> None:
    """Remember that the file whose SHA-256 is ``digest`` passes the current schema."""
    entry = _entry(digest)
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.touch()
    except OSError:
        pass  # a cache that cannot be written only costs time
