"""``kolrules replay``: evaluate the inputs of a decision log again, with the rulesets as
they are now, and list the decisions that changed: "would we still decide this today?".

The rows of one request are evaluated together, as the service evaluated them (so an id
repeated within a request is a row error again), with the body's headers when it held rows
(a column no row had leaves the rules that read it not applied, as then). Each row's
decision is compared on what it decided: the kind (decision or row error), the verdict,
the tier, the score, the price position and band, and the rules that failed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.formats import error_to_dict, jsonable
from kolrules.serve._rulesets import RulesetsDir
from kolrules.types import Decision, RowError

__all__ = ["COMPARED", "Change", "Replay", "outcome", "replay_log"]

#: What is compared of a row's decision, in the order changes are shown.
COMPARED = ("kind", "verdict", "tier", "score", "price_position", "band", "failed")


@attrs.frozen
class Change:
    """One logged decision that is decided otherwise now."""

    file: str
    line: int
    time: str
    request_id: str
    row: int
    id: str | None
    ruleset: str
    logged_hash: str
    hash: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]

    @property
    def changed(self) -> tuple[str, ...]:
        """The names of :data:`COMPARED` that differ."""
        return tuple(k for k in COMPARED if not _same(self.before.get(k), self.after.get(k)))

    def to_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "changed": list(self.changed)}

    def __str__(self) -> str:
        who = f" id {self.id}" if self.id else ""
        said = "; ".join(
            f"{k} {_shown(self.before.get(k))} -> {_shown(self.after.get(k))}" for k in self.changed
        )
        return f"{self.file}:{self.line} request {self.request_id} row {self.row}{who}: {said}"


@attrs.frozen
class Replay:
    """What a replay found: how many logged decisions and requests it evaluated again,
    the changes, and for each ruleset the hashes it was logged with and its hash now."""

    decisions: int
    requests: int
    changes: tuple[Change, ...]
    rulesets: Mapping[str, tuple[tuple[str, ...], str]]

    def summary_line(self) -> str:
        return (
            f"replayed {self.decisions} decisions of {self.requests} requests: "
            f"{len(self.changes)} changed"
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _shown(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


def outcome(entry: Mapping[str, Any] | Decision | RowError) -> dict[str, Any]:
    """What is compared of a decision or a row error (a logged ``output`` or a new one)."""
    if isinstance(entry, RowError):
        entry = {"kind": "error", **error_to_dict(entry)}
    elif isinstance(entry, Decision):
        entry = entry.to_dict()
    if "verdict" not in entry:  # a row error
        return {"kind": "error", "reason": entry.get("reason")}
    price = entry.get("price") or {}
    return {
        "kind": "decision",
        "verdict": entry["verdict"],
        "tier": entry.get("tier"),
        "score": entry.get("score"),
        "price_position": price.get("position"),
        "band": [price.get("band_min"), price.get("band_max")],
        "failed": sorted(f["rule"] for f in entry.get("findings", ()) if f["outcome"] == "fail"),
    }


@attrs.frozen
class _Entry:
    file: str
    line: int
    data: Mapping[str, Any]


def _entries(paths: Sequence[Path]) -> Iterator[_Entry]:
    needed = ("time", "request_id", "endpoint", "ruleset", "row", "input", "output")
    for path in paths:
        try:
            stream = path.open(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(
                f"cannot read the decision log {path}: {exc.strerror or exc}"
            ) from None
        with stream:
            for number, text in enumerate(stream, 1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                except (json.JSONDecodeError, RecursionError):
                    raise InputFileError(
                        f"decision log {path}, line {number}: not a JSON line; a decision log "
                        "is written by kolrules serve --decision-log"
                    ) from None
                missing = [k for k in needed if not isinstance(data, dict) or k not in data]
                if missing:
                    raise InputFileError(
                        f"decision log {path}, line {number}: no {', '.join(missing)}; a "
                        "decision log is written by kolrules serve --decision-log"
                    )
                yield _Entry(str(path), number, data)


def _requests(entries: Iterator[_Entry]) -> Iterator[list[_Entry]]:
    """The entries of each request (consecutive lines, one request id and endpoint)."""
    group: list[_Entry] = []
    for entry in entries:
        key = (entry.data["request_id"], entry.data["endpoint"])
        if group and key != (group[0].data["request_id"], group[0].data["endpoint"]):
            yield group
            group = []
        group.append(entry)
    if group:
        yield group


def replay_log(
    paths: Sequence[Path],
    *,
    ruleset: str | Path | None = None,
    plugins: Sequence[object] = (),
    rulesets_dir: Path | None = None,
) -> Replay:
    """Evaluate every logged input again (each with the ruleset it was logged with, by
    name, or with ``ruleset``) and compare the decisions. Give the rotated files oldest
    first. Raises :class:`~kolrules.errors.InputFileError` for a log that cannot be read,
    :class:`~kolrules.errors.RulesetError` for a ruleset that does not load."""
    extra = (*plugins, RulesetsDir(rulesets_dir)) if rulesets_dir is not None else tuple(plugins)
    engines: dict[str, Engine] = {}
    logged: dict[str, dict[str, None]] = {}
    changes: list[Change] = []
    decisions = requests = 0
    for group in _requests(_entries(paths)):
        requests += 1
        head = group[0].data["ruleset"]
        name = str(ruleset) if ruleset is not None else str(head["name"])
        engine = engines.get(name)
        if engine is None:
            engine = engines[name] = Engine(name, plugins=extra)
        logged.setdefault(name, {})[str(head.get("hash"))] = None
        columns = group[0].data.get("columns")  # rows read as a file's, or one profile
        report = engine.evaluate([e.data["input"] for e in group], headers=columns)
        now = {x.row: x for x in report.in_row_order() if x.row is not None}
        for n, entry in enumerate(group, 1):
            decisions += 1
            before = outcome(entry.data["output"])
            after = outcome(now[n])
            if all(_same(before.get(k), after.get(k)) for k in COMPARED):
                continue
            changes.append(
                Change(
                    entry.file,
                    entry.line,
                    str(entry.data["time"]),
                    str(entry.data["request_id"]),
                    int(entry.data["row"]),
                    entry.data["output"].get("id"),
                    name,
                    str(entry.data["ruleset"].get("hash")),
                    engine.ruleset.hash,
                    before,
                    after,
                )
            )
    hashes = {n: (tuple(h), engines[n].ruleset.hash) for n, h in logged.items()}
    return Replay(decisions, requests, tuple(changes), hashes)
