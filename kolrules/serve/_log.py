"""The decision log: every decision the service makes, appended as one JSON line before
the response is sent, the file rotated by size.

A line holds ``time`` (UTC, ISO 8601), ``request_id``, ``endpoint`` (``evaluate`` or
``explain``), ``ruleset`` (name, version, hash), ``row`` (the row in the request, from 1),
``kind`` (``decision`` or ``error``), ``input`` (the profile as the engine was given it:
each value as text as the readers read it, but a single object's numbers as numbers),
``columns`` (the body's headers when it held rows,
as a file does; null for a single profile: ``kolrules replay`` evaluates it again the same
way) and ``output`` (the decision, or the row error, as the ``json`` format writes it).

The lines of one request are written in one ``write``; worker processes writing the same
file take turns through a lock file beside it (``FILE.lock``, ``flock``). When a request's
lines would take the file over ``max_bytes``, it is rotated first: ``FILE`` becomes
``FILE.1``, ``FILE.1`` ``FILE.2``, and so on up to ``backups`` files; a request's lines
are never split between two files. A write that fails raises :class:`DecisionLogError`:
the request then fails with a problem response (it is never answered without its log
lines).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kolrules.formats import dumps

__all__ = ["DecisionLog", "DecisionLogError", "log_line", "now_text", "rotated_files"]


class DecisionLogError(Exception):
    """The decision log could not be written."""


def now_text() -> str:
    """The time now, UTC, as ``2026-12-02T15:30:00.123456Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def log_line(
    time: str,
    request_id: str,
    endpoint: str,
    ruleset: dict[str, Any],
    row: int,
    kind: str,
    given: Any,
    output: str,
    columns: Sequence[str] | None = None,
) -> str:
    """One line of the log (no newline); ``output`` is the decision's (or row error's)
    JSON text as the ``json`` format writes it, put in as it is."""
    head = dumps(
        {
            "time": time,
            "request_id": request_id,
            "endpoint": endpoint,
            "ruleset": ruleset,
            "row": row,
            "kind": kind,
            "input": given,
            "columns": None if columns is None else list(columns),
        }
    )
    return f'{head[:-1]},"output":{output}}}'


def rotated_files(path: Path, backups: int) -> list[Path]:
    """The files of a log, oldest first: ``FILE.<backups>`` ... ``FILE.1``, ``FILE`` (those
    that exist)."""
    found = [path.with_name(f"{path.name}.{n}") for n in range(backups, 0, -1)]
    return [p for p in [*found, path] if p.is_file()]


class DecisionLog:
    """An append-only JSON Lines file rotated by size (see the module's docstring)."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def check(self) -> None:
        """Open the log (and its lock file) now, so that a log that cannot be written
        stops the service at start-up rather than its first request."""
        with self._lock, self._locked():
            self._open()

    def append(self, lines: Sequence[str]) -> None:
        """Append ``lines`` (each without its newline) in one write, rotating first if they
        would take the file over its size. Raises :class:`DecisionLogError`."""
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with self._lock:
            try:
                with self._locked():
                    fd = self._open()
                    size = os.fstat(fd).st_size
                    if size and size + len(data) > self.max_bytes:
                        self._rotate()
                        fd, size = self._open(), 0
                    try:
                        _write_all(fd, data)
                    except OSError:
                        _truncate(fd, size)  # no half-written line is left behind
                        raise
            except OSError as exc:
                self._close()
                raise DecisionLogError(
                    f"cannot write the decision log {self.path}: {exc.strerror or exc}"
                ) from exc

    def close(self) -> None:
        with self._lock:
            self._close()

    # -- the file -----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Held while the file is looked at, rotated and written: across processes too
        (``flock`` on the lock file, where the platform has it)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: one process per log
            yield
            return
        fd = os.open(self._lock_path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _open(self) -> int:
        """The file's descriptor, opened again when another process rotated it."""
        try:
            st = os.stat(self.path)
            current: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            current = None
        if self._fd is None or current != self._inode:
            self._close()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            st = os.fstat(fd)
            self._fd, self._inode = fd, (st.st_dev, st.st_ino)
        assert self._fd is not None
        return self._fd

    def _rotate(self) -> None:
        self._close()
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{n + 1}"))
        if self.path.exists():
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # a descriptor that broke: closed anyway
                os.close(self._fd)
        self._fd = self._inode = None


def _truncate(fd: int, size: int) -> None:
    with contextlib.suppress(OSError):  # the file cannot even be cut back
        os.ftruncate(fd, size)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - os.write raises rather than write nothing
            raise OSError("the write wrote nothing")
        view = view[written:]
