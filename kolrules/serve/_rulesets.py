"""The rulesets the service serves, by name: loaded once, looked at again every few seconds
and reloaded when one of their files changed.

Every load is validated first (as ``kolrules validate`` does: loading, compiling and the
static checks; warnings do not stop a ruleset). A ruleset that fails keeps serving its
last good version, if it had one, and its error is shown by ``GET /v1/rulesets`` and
logged; once its files are fixed, the next look loads it. A ruleset whose file is
removed is no longer served.

The named rulesets are those an engine knows (the bundled ones and those plugins
register) and, with ``--rulesets DIR``, those in DIR and its subdirectories, added as a
plugin that registers DIR (so that ``extends`` may name them too).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from kolrules.checks import validate
from kolrules.checks.display import validation_row
from kolrules.engine import Engine
from kolrules.errors import KolrulesError, RulesetError, RulesetIssue
from kolrules.formats import ruleset_dict
from kolrules.hookspecs import hookimpl
from kolrules.ruleset import Ruleset
from kolrules.ruleset.display import catalogue_row, resolved_json
from kolrules.serve._log import now_text
from kolrules.serve._problems import Problem

__all__ = ["Broken", "RulesetStore", "RulesetsDir", "Served"]

log = logging.getLogger("kolrules.serve")

#: A file as last seen: path, modification time (ns), size, inode.
Stamp = tuple[str, int, int, int]


class RulesetsDir:
    """The plugin that makes the rulesets of ``--rulesets DIR`` known by name."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.__name__ = f"rulesets-dir:{self.directory}"

    @hookimpl
    def kolrules_rulesets_register(self) -> list[Path]:
        return [self.directory]


@attrs.frozen
class Served:
    """A working version of a ruleset, with the engine that evaluates with it."""

    name: str
    path: Path
    ruleset: Ruleset
    engine: Engine = attrs.field(eq=False, repr=False)
    loaded_at: str
    stamps: tuple[Stamp, ...]


@attrs.frozen
class Broken:
    """A ruleset's files as they are now, which do not give a working ruleset."""

    name: str
    path: Path
    message: str
    issues: tuple[dict[str, Any], ...]
    failed_at: str
    stamps: tuple[Stamp, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "failed_at": self.failed_at, "issues": list(self.issues)}


def _stamps(files: Sequence[str | Path]) -> tuple[Stamp, ...]:
    found = []
    for f in files:
        try:
            st = Path(f).stat()
            found.append((str(f), st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            found.append((str(f), -1, -1, -1))
    return tuple(found)


class RulesetStore:
    """The served rulesets (see the module's docstring). :meth:`scan` looks at the files
    and (re)loads what changed; it runs once at start and then from the reload task. The
    maps are replaced whole, never changed in place, so readers need no lock."""

    def __init__(self, plugins: Sequence[object], default: str) -> None:
        self.plugins = tuple(plugins)
        self.default = default
        #: The engine that knows the named rulesets and validates them (and lists plugins).
        self.base = Engine(default, plugins=self.plugins)
        self._served: dict[str, Served] = {}
        self._broken: dict[str, Broken] = {}
        self._scan_error: str | None = None
        self._scanning = threading.Lock()

    # -- reading -----------------------------------------------------------------------

    def get(self, name: str | None) -> Served:
        """The working version of the ruleset ``name`` (default: the default ruleset)."""
        name = name or self.default
        served = self._served.get(name)
        if served is not None:
            return served
        broken = self._broken.get(name)
        if broken is not None:
            raise Problem(
                "ruleset-unavailable",
                f"the ruleset {name!r} has never loaded: {broken.message}; fix its file "
                f"({broken.path}); it is loaded again when it changes",
                ruleset=name,
            )
        raise Problem(
            "unknown-ruleset",
            f"no ruleset named {name!r} is served; the served rulesets are: "
            f"{', '.join(self.names()) or 'none'} (GET /v1/rulesets lists them)",
            ruleset=name,
        )

    def names(self) -> list[str]:
        return sorted({*self._served, *self._broken})

    @property
    def ready(self) -> bool:
        """Whether the default ruleset has a working version."""
        return self.default in self._served

    def listing(self) -> dict[str, Any]:
        """``GET /v1/rulesets``: every named ruleset with its state."""
        return {
            "default": self.default,
            "rulesets": [self.row(name) for name in self.names()],
            "error": self._scan_error,
        }

    def row(self, name: str) -> dict[str, Any]:
        """One ruleset's state: ``ok`` (its files load), ``stale`` (its files are broken:
        the last good version is served) or ``error`` (broken, never loaded)."""
        served, broken = self._served.get(name), self._broken.get(name)
        if served is not None:
            row = catalogue_row(name, served.path, served.ruleset)
            row |= {
                "status": "stale" if broken is not None else "ok",
                "hash": served.ruleset.hash,
                "chain": list(served.ruleset.chain),
                "loaded_at": served.loaded_at,
            }
        else:
            assert broken is not None
            row = catalogue_row(name, broken.path, RulesetError(_issues_of(broken)))
            row |= {"status": "error", "hash": None, "chain": [], "loaded_at": None}
        row["error"] = broken.to_dict() if broken is not None else None
        return row

    def detail(self, name: str) -> dict[str, Any]:
        """``GET /v1/rulesets/{name}``: the state, and the working version resolved, every
        value with the file and line that set it."""
        if name not in self._served and name not in self._broken:
            self.get(name)  # raises: unknown
        served = self._served.get(name)
        return {
            **self.row(name),
            "ruleset": ruleset_dict(served.ruleset.ref) if served else None,
            "resolved": resolved_json(served.ruleset) if served else None,
        }

    # -- loading -----------------------------------------------------------------------

    def scan(self) -> list[str]:
        """Look at the ruleset files; load those that are new or changed. Returns what
        changed, one line each (also logged)."""
        with self._scanning:
            try:
                named = self.base.named_rulesets()
            except (KolrulesError, OSError) as exc:
                if self._scan_error != str(exc):
                    log.error("the named rulesets cannot be listed (nothing reloaded): %s", exc)
                self._scan_error = str(exc)
                return []
            self._scan_error = None
            served, broken = dict(self._served), dict(self._broken)
            said: list[str] = []
            for name, path in sorted(named.items()):
                known: Served | Broken | None = broken.get(name) or served.get(name)
                if (
                    known is not None
                    and known.path == path
                    and _stamps([s[0] for s in known.stamps]) == known.stamps
                ):
                    continue
                loaded = self._load(name, path)
                if isinstance(loaded, Served):
                    again = name in served
                    served[name] = loaded
                    broken.pop(name, None)
                    said.append(
                        f"{'reloaded' if again else 'loaded'} ruleset {name} "
                        f"{loaded.ruleset.version} ({loaded.ruleset.hash[:12]}) from {path}"
                    )
                    log.info("%s", said[-1])
                else:
                    broken[name] = loaded
                    keeps = served.get(name)
                    kept = (
                        f"; still serving version {keeps.ruleset.version} "
                        f"({keeps.ruleset.hash[:12]}), loaded at {keeps.loaded_at}"
                        if keeps is not None
                        else "; not served until it is fixed"
                    )
                    said.append(f"ruleset {name} ({path}) does not load{kept}: {loaded.message}")
                    log.error("%s", said[-1])
            for name in sorted({*served, *broken} - set(named)):
                served.pop(name, None)
                broken.pop(name, None)
                said.append(f"ruleset {name} is no longer served: its file is gone")
                log.warning("%s", said[-1])
            self._served, self._broken = served, broken
            return said

    def _load(self, name: str, path: Path) -> Served | Broken:
        """Validate the ruleset at ``path`` and build its engine; or what is wrong."""
        first = _stamps([path])
        try:
            result = validate(self.base, path, self.plugins)
        except (KolrulesError, OSError) as exc:
            return Broken(name, path, str(exc), (), now_text(), first)
        rs = result.ruleset
        stamps = _stamps(rs.chain) if rs is not None else first
        if result.errors or rs is None:
            issues = tuple(validation_row(result, True)["issues"])
            errors = result.errors or ()
            message = str(RulesetError(errors)) if errors else "the ruleset does not load"
            return Broken(name, path, message, issues, now_text(), stamps)
        try:
            engine = Engine(rs, plugins=self.plugins)
        except KolrulesError as exc:
            return Broken(name, path, str(exc), (), now_text(), stamps)
        return Served(name, path, rs, engine, now_text(), stamps)

    # -- validating a posted ruleset ----------------------------------------------------

    def validate_text(self, data: bytes, strict: bool) -> dict[str, Any]:
        """``POST /v1/rulesets/validate``: the ``kolrules validate --json`` row of a
        ruleset file's text, its file named ``<request>``; ``extends`` may name a served
        ruleset."""
        with tempfile.TemporaryDirectory(prefix="kolrules-serve-") as folder:
            path = Path(folder) / "ruleset.toml"
            path.write_bytes(data)
            result = validate(self.base, path, self.plugins)
            bad = bool(result.errors) or (strict and bool(result.warnings))
            row = validation_row(result, bad)
            rs = result.ruleset
            row["ruleset"] = ruleset_dict(rs.ref) if rs is not None else None
            renamed: dict[str, Any] = _renamed(row, str(path), "<request>")
            return renamed


def _issues_of(broken: Broken) -> list[Any]:
    issues = [
        RulesetIssue(
            i.get("file") or str(broken.path), i.get("key") or "", i["message"], i.get("line")
        )
        for i in broken.issues
    ]
    return issues or [RulesetIssue(str(broken.path), "", broken.message)]


def _renamed(value: Any, old: str, new: str) -> Any:
    """``value`` (JSON-ready) with ``old`` replaced by ``new`` in every string."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, Mapping):
        return {k: _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(v, old, new) for v in value]
    return value
