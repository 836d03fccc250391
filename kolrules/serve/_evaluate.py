"""What ``POST /v1/evaluate`` and ``POST /v1/explain`` do with a request's body: read the
profiles, evaluate them with the ruleset's engine and write the decision JSON that
``kolrules evaluate --format json`` writes, built by kolrules' own code.

- a JSON object is one profile; a JSON array (or an object with it under ``rows``,
  ``data`` or ``profiles``), JSON Lines and CSV are many, read by kolrules' own readers
  (the ``json``, ``jsonl`` and ``csv`` input formats), so a body is read as the same file
  would be;
- up to :data:`PYTHON_PATH_ROWS` rows are evaluated one by one (``Engine.evaluate``) and
  written by the ``json`` format's text functions (as ``render_json`` writes a report);
  more are evaluated on the columnar path and written by the ``json`` format's streaming
  form from :meth:`Engine.decision_lines` (the project's tests check that the two paths
  give the same text);
- every row is accounted for: a row that cannot be evaluated is a row error in the
  document's ``errors``, as in the CLI; a body of rows that cannot be used as a whole (a
  required column missing, two headers meaning one field) is refused, as a file would be.
  A single object is one profile, as ``Engine.evaluate_one`` takes it: a key left out is
  a missing value (a required one makes it a row error), and ``columns`` is null.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.formats import (
    FIRST_ITEM,
    NEXT_ITEM,
    StreamedRun,
    decision_text,
    document_head,
    document_tail,
    dumps,
    error_to_dict,
    jsonable,
    ruleset_dict,
)
from kolrules.normalise import match_columns, normalise_row
from kolrules.read import json_cell
from kolrules.serve._problems import Problem
from kolrules.types import Columns, Decision, RowError, Summary

__all__ = [
    "MEDIA_TYPES",
    "PYTHON_PATH_ROWS",
    "Evaluated",
    "Request",
    "as_value",
    "evaluate_rows",
    "explain_profile",
    "parse_json",
    "read_request",
]

#: The content types of a request's profiles, and the input format each is read with.
MEDIA_TYPES = {
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "text/csv": "csv",
}
#: Requests of at most this many rows are evaluated one profile at a time (quicker for
#: few rows), larger ones on the columnar path.
PYTHON_PATH_ROWS = 1_000

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _RepeatedKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(f"an object repeats the key {key!r}; give every field one key")
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; write null for a missing value")


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_no_constant)


def parse_json(data: bytes) -> Any:
    """The JSON value of a body (UTF-8, a byte-order mark allowed), or a problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(
            "malformed-json",
            f"the body is not UTF-8 text (byte {exc.start} cannot be decoded); send JSON "
            "encoded as UTF-8",
        ) from None
    try:
        value = _DECODER.decode(text)
    except _RepeatedKey as exc:
        raise Problem("unusable-input", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise Problem(
            "malformed-json",
            f"{exc.msg} at line {exc.lineno} column {exc.colno}; send one JSON object (a "
            "profile) or an array of them",
        ) from None
    except RecursionError:
        raise Problem(
            "malformed-json", "the body nests arrays and objects too deeply to be read"
        ) from None
    except ValueError as exc:  # a constant (NaN), or an integer of too many digits
        raise Problem("malformed-json", f"the body cannot be read: {exc}") from None
    if _SURROGATE_ESCAPE.search(data):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Problem(
                "unusable-input",
                "the body holds a \\ud800-\\udfff escape that is half of a UTF-16 surrogate "
                "pair with no other half, which is not a character; fix or remove it",
            ) from None
    return value


def as_value(value: Any) -> Any:
    """A JSON value of a single profile (an object) as the ``json`` input format reads it
    into a cell (:func:`kolrules.read.json_cell`), except that a finite number stays a
    number: normalising reads it as the same value as its text, without parsing that text
    (what most of a single profile's time went to)."""
    if (type(value) is int or type(value) is float) and math.isfinite(value):
        return value
    return json_cell(value)


@attrs.frozen
class Request:
    """The profiles of a request: one object given as JSON (``profile``), or a file's
    worth read by an input format (``rows``, a polars DataFrame of text)."""

    profile: dict[str, Any] | None = None
    rows: Any = None  # pl.DataFrame; Any keeps polars out of the annotations' imports


def read_request(engine: Engine, data: bytes, fmt: str, max_rows: int) -> Request:
    """The profiles of a body in the input format ``fmt`` (``json``, ``jsonl`` or
    ``csv``), or a problem."""
    if fmt == "json":
        value = parse_json(data)
        if isinstance(value, dict) and not any(k in value for k in ("rows", "data", "profiles")):
            return Request(profile={str(k): as_value(v) for k, v in value.items()})
        if isinstance(value, list) and len(value) > max_rows:
            raise _too_many(len(value), max_rows)
    rows = _read_as_file(engine, data, fmt)
    if rows.height > max_rows:
        raise _too_many(rows.height, max_rows)
    return Request(rows=rows)


def _too_many(n: int, limit: int) -> Problem:
    return Problem(
        "too-many-rows",
        f"the body holds {n:,} profiles; at most {limit:,} are taken in one request: send "
        "them in several requests",
        rows=n,
        max_rows=limit,
    )


def _read_as_file(engine: Engine, data: bytes, fmt: str) -> Any:
    """The body read by the input format ``fmt`` from a temporary file (readers read
    files); their messages name "the request body" instead of that file."""
    with tempfile.TemporaryDirectory(prefix="kolrules-serve-") as folder:
        path = Path(folder) / f"body.{fmt}"
        path.write_bytes(data)
        try:
            return engine.reader(path, fmt).read(path)
        except InputFileError as exc:
            said = str(exc).replace(f"input file {path}", "the request body")
            said = said.replace(str(path), "the request body")
            kind = "malformed-json" if "not valid JSON" in said and fmt == "json" else None
            raise Problem(kind or "unusable-input", said) from None


# -- evaluating ---------------------------------------------------------------------------


@attrs.frozen
class Evaluated:
    """The decision JSON document of a request (UTF-8), and each row's entry for the
    decision log: ``(row, kind, input, output text)``, when asked for; ``headers``: the
    body's headers for rows read as a file's, ``None`` for a single profile."""

    document: bytes
    rows: tuple[tuple[int, str, Mapping[str, Any], str], ...]
    headers: tuple[str, ...] | None = None


def evaluate_rows(engine: Engine, request: Request, *, keep: bool) -> Evaluated:
    """Evaluate the request's profiles; ``keep``: keep each row's input and output for
    the decision log."""
    if request.profile is not None:
        return _one_by_one(engine, [request.profile], None, keep)
    df = request.rows
    try:
        if df.height <= PYTHON_PATH_ROWS:
            # as the file paths do: a required column missing, or two headers that mean
            # one field, and the body cannot be used as a whole
            match_columns(df.columns, engine.plan.schema)
            return _one_by_one(engine, list(df.iter_rows(named=True)), df.columns, keep)
        return _columnar(engine, df, keep)
    except InputFileError as exc:
        raise Problem("unusable-input", f"the request body: {exc}") from None


def _one_by_one(
    engine: Engine,
    profiles: Sequence[Mapping[str, Any]],
    headers: Sequence[str] | None,
    keep: bool,
) -> Evaluated:
    """``Engine.evaluate``, written as ``render_json`` writes a report. ``headers``: the
    body's, for rows read from a body as from a file (a rule reading a field none of them
    gives is not applied, and ``columns`` say how they were read); ``None`` for a single
    object, a profile as ``Engine.evaluate_one`` takes it (a key left out is a missing
    value; ``columns`` is null)."""
    report = engine.evaluate(profiles, headers=None if headers is None else list(headers))
    decisions = [decision_text(d) for d in report.decisions]  # dumps(d.to_dict()), faster
    errors = [dumps(error_to_dict(e)) for e in report.errors]
    out = io.StringIO()
    out.write(document_head(report.ruleset, None, report.columns))
    for i, text in enumerate(decisions):
        out.write((NEXT_ITEM if i else FIRST_ITEM) + text)
    out.write(document_tail(bool(decisions), errors, report.summary()))
    rows: list[tuple[int, str, Mapping[str, Any], str]] = []
    if keep:
        by_row: dict[int, tuple[str, str]] = {}
        for d, text in zip(report.decisions, decisions, strict=True):
            by_row[d.row or 1] = ("decision", text)
        for e, text in zip(report.errors, errors, strict=True):
            by_row[e.row] = ("error", text)
        for n, given in enumerate(profiles, 1):
            kind, text = by_row[n]
            rows.append((n, kind, given, text))
    shown = None if headers is None else tuple(headers)
    return Evaluated(out.getvalue().encode("utf-8"), tuple(rows), shown)


def _columnar(engine: Engine, df: Any, keep: bool) -> Evaluated:
    """The columnar path, written by the ``json`` format's streaming form."""
    counts = dict.fromkeys(("accepted", "review", "rejected", "errors"), 0)
    names = {"accept": "accepted", "review": "review", "reject": "rejected", None: "errors"}
    kept: list[Any] = []

    def lines(kind: bool) -> Iterator[Any]:
        for frame in engine.decision_lines([df], kind=kind):
            for verdict, n in frame.get_column("verdict").value_counts().iter_rows():
                counts[names[verdict]] += n
            if keep:
                kept.append(frame)
            yield frame

    ref = engine.ruleset.ref
    run = StreamedRun(
        lambda: engine.decision_frames([df]),
        lines,
        ruleset=ref,
        source=None,
        summary=lambda: Summary(df.height, counts, ref),
        columns=lambda: engine.columns_read(df.columns),
    )
    write: Callable[[Any, Any], None] | None = engine.reporter("json").write_batches
    assert write is not None  # the json format streams
    out = io.BytesIO()
    write(run, out)
    rows: list[tuple[int, str, Mapping[str, Any], str]] = []
    if keep:
        n = 0
        given = df.iter_rows(named=True)
        for frame in kept:
            for kind, line in frame.select("kind", "line").iter_rows():
                n += 1
                rows.append((n, kind, next(given), line))
    return Evaluated(out.getvalue(), tuple(rows), tuple(df.columns))


def explain_profile(engine: Engine, profile: Mapping[str, str | None]) -> dict[str, Any]:
    """``POST /v1/explain``: the decision with every finding and the inputs beside the
    metrics (``kolrules explain --format json``), or the row error."""
    report = engine.evaluate([profile])
    decision: Decision | None = report.decisions[0] if report.decisions else None
    error: RowError | None = report.errors[0] if report.errors else None
    shown = None
    if decision is not None:
        columns: Columns = engine.columns_read(list(profile))
        values = normalise_row(profile, engine.plan.schema).values
        inputs = {field: values.get(field) for field in columns.read}
        shown = jsonable({**decision.to_dict(), "inputs": inputs})
    return {
        "ruleset": ruleset_dict(report.ruleset),
        "decision": shown,
        "error": error_to_dict(error) if error is not None else None,
    }
