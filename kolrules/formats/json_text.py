"""The JSON formats' text, in Python: values made JSON-ready, the dicts of a row error and a
ruleset, and the layout of the ``json`` document, shared by the reporters that write a
whole :class:`~kolrules.types.Report` and those that stream a run batch by batch
(:mod:`kolrules.formats.decision_json` builds the decisions' text with polars).

The ``json`` document is laid out so that it can be written as a run goes, one decision
per line, the few row errors held until the end and the summary, known only then, last
(``columns``, how the input's headers were read, is known once its first rows are)::

    {
      "ruleset": {...},
      "source": "kols.csv",
      "columns": {"read": {...}, "unused": [...], "lacking": {...}, "not_applied": [...]},
      "decisions": [
        {...},
        {...}
      ],
      "errors": [
        {...}
      ],
      "summary": {...}
    }
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kolrules.types import Columns, DataError, Decision, Finding, RowError, RulesetRef

__all__ = [
    "FIRST_ITEM",
    "NEXT_ITEM",
    "data_error_dict",
    "decision_text",
    "document_head",
    "document_tail",
    "dumps",
    "error_to_dict",
    "jsonable",
    "ruleset_dict",
    "summary_line",
    "with_kept",
]

#: What comes before the first decision (or row error) of the document's lists, and
#: before each of the others.
FIRST_ITEM = "\n    "
NEXT_ITEM = ",\n    "


#: The field names of each attrs class :func:`jsonable` met, in field order.
_FIELDS: dict[type, tuple[str, ...]] = {}


def jsonable(value: Any) -> Any:
    """``value`` with mappings as dicts, sequences as lists, attrs instances as dicts of
    their fields (as ``attrs.asdict``) and NaN/infinity as ``None``, in one pass: a
    decision is made JSON-ready without ``asdict``'s copy first (the service writes one per
    request)."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        return value if math.isfinite(value) else None
    if t is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [jsonable(v) for v in value]
    names = _FIELDS.get(t)
    if names is None and attrs.has(t):
        names = _FIELDS[t] = tuple(a.name for a in attrs.fields(t))
    if names is not None:
        return {name: jsonable(getattr(value, name)) for name in names}
    return _jsonable_other(value)


def _jsonable_other(value: Any) -> Any:
    """:func:`jsonable` of a value of another type (a subclass, a mapping, a set)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if attrs.has(type(value)):
        return jsonable(attrs.asdict(value, recurse=True))
    return str(value)


def dumps(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON text (:func:`jsonable` first): UTF-8 characters as they are,
    compact unless ``indent`` is given."""
    separators = None if indent else (",", ":")
    return json.dumps(
        jsonable(value),
        ensure_ascii=False,
        indent=indent,
        allow_nan=False,
        separators=separators,
    )


def with_kept(entry: Mapping[str, Any], kept: Any) -> dict[str, Any]:
    """``entry`` (a decision's or a row error's dict) with ``"kept"`` (the input columns
    kept, ``{header: text}``) right after ``"id"``: where both the ``json`` and ``jsonl``
    formats put it, on the whole-report and the streamed paths."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        out[key] = value
        if key == "id":
            out["kept"] = kept
    return out


def decision_text(decision: Decision, kept: Mapping[str, str | None] | None = None) -> str:
    """``dumps(decision)``, the same text, faster: a finding that is not a failure (a pass,
    a not applicable) is, on both paths, one object made once per plan and rule, so its
    text is kept (:data:`_FINDING_TEXTS`) rather than written again for every decision
    (what the service does for each request). ``kept``: its input columns kept
    (:func:`with_kept`)."""
    fields = _FIELDS.get(Decision) or _decision_fields()
    at = fields.index("findings")
    before = {name: getattr(decision, name) for name in fields[:at]}
    if kept is not None:
        before = with_kept(before, dict(kept))
    after = {name: getattr(decision, name) for name in fields[at + 1 :]}
    found = ",".join(_finding_text(f) for f in decision.findings)
    return f'{dumps(before)[:-1]},"findings":[{found}],{dumps(after)[1:]}'


def _decision_fields() -> tuple[str, ...]:
    names = _FIELDS[Decision] = tuple(a.name for a in attrs.fields(Decision))
    return names


#: The text of findings that are not failures, by identity (each kept alive with its text,
#: so an id is never reused while it is here); emptied when it holds this many.
_FINDING_TEXTS: dict[int, tuple[Finding, str]] = {}
_FINDING_TEXTS_MOST = 4096


def _finding_text(finding: Finding) -> str:
    if finding.outcome == "fail":  # made for its decision: its values, its needs
        return dumps(finding)
    kept = _FINDING_TEXTS.get(id(finding))
    if kept is not None and kept[0] is finding:
        return kept[1]
    text = dumps(finding)
    if len(_FINDING_TEXTS) >= _FINDING_TEXTS_MOST:
        _FINDING_TEXTS.clear()
    _FINDING_TEXTS[id(finding)] = (finding, text)
    return text


def data_error_dict(error: DataError) -> dict[str, Any]:
    """A data error as ``{"column", "value", "reason"}``."""
    return {"column": error.column, "value": error.value, "reason": error.reason}


def error_to_dict(error: RowError, kept: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """A row error as ``{"row", "id", "errors": [{"column", "value", "reason"}], "reason"}``
    (with ``"kept"`` after ``"id"`` when ``kept`` is given: :func:`with_kept`)."""
    said = {
        "row": error.row,
        "id": error.id,
        "errors": [data_error_dict(e) for e in error.errors],
        "reason": error.reason,
    }
    return said if kept is None else with_kept(said, dict(kept))


def ruleset_dict(ruleset: RulesetRef) -> dict[str, Any]:
    """The ruleset a run used, as ``{"name", "version", "hash", "chain"}``."""
    return {
        "name": ruleset.name,
        "version": ruleset.version,
        "hash": ruleset.hash,
        "chain": list(ruleset.chain),
    }


def summary_line(
    summary: Mapping[str, int], ruleset: RulesetRef, source: str | None
) -> dict[str, Any]:
    """The last line of the ``jsonl`` format: ``{"kind": "summary", "rows_read", ...the
    counts, "ruleset", "source"}``."""
    return {"kind": "summary", **summary, "ruleset": ruleset_dict(ruleset), "source": source}


def document_head(ruleset: RulesetRef, source: str | None, columns: Columns | None = None) -> str:
    """The ``json`` document up to its list of decisions, opened; ``columns`` is null when
    the run had no headers (profiles given one by one)."""
    read = None if columns is None else columns.to_dict()
    return (
        f'{{\n  "ruleset": {dumps(ruleset_dict(ruleset))},\n'
        f'  "source": {dumps(source)},\n  "columns": {dumps(read)},\n  "decisions": ['
    )


def document_tail(any_decision: bool, errors: Iterable[str], summary: Mapping[str, Any]) -> str:
    """The rest of the ``json`` document: the list of decisions closed (``any_decision``:
    whether one was written), the row errors (each as JSON text) and the summary."""
    listed = "".join((NEXT_ITEM if i else FIRST_ITEM) + e for i, e in enumerate(errors))
    return (
        ("\n  ]" if any_decision else "]")
        + f',\n  "errors": [{listed}'
        + ("\n  ]" if listed else "]")
        + f',\n  "summary": {dumps(summary)}\n}}\n'
    )
