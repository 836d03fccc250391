"""The formats wing: the output formats' text, built for the report step.

- :mod:`~kolrules.formats.json_text`: JSON-ready values, the dicts of a row error and a
  ruleset, the layout of the ``json`` document (Python);
- :mod:`~kolrules.formats.decision_json`: decisions as JSON text, built with polars from
  the columnar evaluation, batch by batch;
- :mod:`~kolrules.formats.stream`: a run as a streaming reporter writes it
  (:class:`StreamedRun`), and the ``json`` and ``jsonl`` formats written from one;
- :mod:`~kolrules.formats.html_table`: a report or a decision as an HTML table, for
  notebooks (``_repr_html_``);
- :mod:`~kolrules.formats.frames`: pandas and Arrow in and out (``evaluate_frame``,
  ``Report.to_pandas`` and ``to_arrow``).

This module only hands names on.
"""

from __future__ import annotations

from kolrules.formats.decision_json import LINE_ROWS, decision_lines
from kolrules.formats.json_text import (
    FIRST_ITEM,
    NEXT_ITEM,
    data_error_dict,
    decision_text,
    document_head,
    document_tail,
    dumps,
    error_to_dict,
    jsonable,
    ruleset_dict,
    summary_line,
)
from kolrules.formats.stream import StreamedRun, write_json_batches, write_jsonl_batches

__all__ = [
    "FIRST_ITEM",
    "LINE_ROWS",
    "NEXT_ITEM",
    "StreamedRun",
    "data_error_dict",
    "decision_lines",
    "decision_text",
    "document_head",
    "document_tail",
    "dumps",
    "error_to_dict",
    "jsonable",
    "ruleset_dict",
    "summary_line",
    "write_json_batches",
    "write_jsonl_batches",
]
