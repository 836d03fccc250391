"""The formats wing: the output formats' text, built for the report step.

- :mod:`~kolrules.formats.json_text`: JSON-ready values, the dicts of a row error and a
  ruleset, the layout of the ``json`` document (Python);
- :mod:`~kolrules.formats.decision_json`: decisions as JSON text, built with polars from
  the columnar evaluation, batch by batch;
- :mod:`~kolrules.formats.stream`: a run as a streaming reporter writes it
  (:class:`StreamedRun`), and the ``json`` and ``jsonl`` formats written from one;
- :mod:`~kolrules.formats.html_table`: a report or a decision as an HTML table, for
  notebooks (``_repr_html_``);
- :mod:`~kolrules.formats.formulas`: text cells a spreadsheet would run as formulas,
  neutralised (the ``csv`` and ``xlsx`` formats);
- :mod:`~kolrules.formats.xlsx`: the ``xlsx`` format, an Excel workbook written batch by
  batch (xlsxwriter, the optional extra ``excel``);
- :mod:`~kolrules.formats.html_report`: the ``html`` format, one self-contained HTML
  report (summary, SVG charts, a table of the KOLs) gathered batch by batch; its words,
  style and script are in :mod:`~kolrules.formats.html_report_assets`;
- :mod:`~kolrules.formats.frames`: pandas and Arrow in and out (``evaluate_frame``,
  ``Report.to_pandas`` and ``to_arrow``).

This module only hands names on.
"""

from __future__ import annotations

from kolrules.formats.decision_json import LINE_ROWS, decision_lines
from kolrules.formats.formulas import (
    FIXED_WORDS,
    FORMULA_START,
    neutralise,
    safe_cell,
    safe_text,
)
from kolrules.formats.html_report import HTML, html_reporter, write_html_report
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
from kolrules.formats.xlsx import EXCEL_EXTRA, XLSX, require_xlsxwriter, write_xlsx_batches

__all__ = [
    "EXCEL_EXTRA",
    "FIRST_ITEM",
    "FIXED_WORDS",
    "FORMULA_START",
    "HTML",
    "LINE_ROWS",
    "NEXT_ITEM",
    "XLSX",
    "StreamedRun",
    "data_error_dict",
    "decision_lines",
    "decision_text",
    "document_head",
    "document_tail",
    "dumps",
    "error_to_dict",
    "html_reporter",
    "jsonable",
    "neutralise",
    "require_xlsxwriter",
    "ruleset_dict",
    "safe_cell",
    "safe_text",
    "summary_line",
    "write_html_report",
    "write_json_batches",
    "write_jsonl_batches",
    "write_xlsx_batches",
]
