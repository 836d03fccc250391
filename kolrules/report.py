"""The *report* step: the built-in output formats, and the table ``kolrules explain`` shows.

A :class:`~kolrules.types.Report` (a value object, in :mod:`kolrules.types`; imported
here too) holds what one run decided: a :class:`~kolrules.types.Decision` per evaluated
row and a :class:`~kolrules.types.RowError` per row that could not be evaluated, both in
input order. Every row read is one or the other, so
``rows_read == accepted + review + rejected + errors`` (:meth:`Report.accounted`).

The reporters ``table``, ``json``, ``jsonl``, ``csv``, ``xlsx`` and ``html`` are registered
through the ``kolrules_reporters_register`` hook like any plugin's. Each renders a whole
report to a text stream; ``csv``, ``json`` and ``jsonl`` also write a run batch by batch as
it is evaluated (``write_batches``: ``csv`` from its decision frames, ``json`` and ``jsonl``
from its decisions' JSON text, :mod:`kolrules.formats`). ``xlsx`` (an Excel workbook,
:mod:`kolrules.formats.xlsx`) and ``html`` (one HTML report with charts,
:mod:`kolrules.formats.html_report`) are only written batch by batch.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from kolrules.evaluate import DECISION_COLUMNS, JOIN, format_value, to_pass_text
from kolrules.findings.words import DEFAULT_LANG, Words, words_for
from kolrules.formats import (
    FIRST_ITEM,
    FORMULA_START,
    HTML,
    NEXT_ITEM,
    XLSX,
    decision_text,
    document_head,
    document_tail,
    dumps,
    error_to_dict,
    jsonable,
    neutralise,
    summary_line,
    write_json_batches,
    write_jsonl_batches,
)
from kolrules.formats.json_text import with_kept
from kolrules.hookspecs import hookimpl
from kolrules.types import (
    Columns,
    Decision,
    Report,
    Reporter,
    RowError,
    Summary,
)

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console

__all__ = [
    "CSV",
    "CSV_COLUMNS",
    "FORMULA_START",
    "HTML",
    "JSON",
    "JSONL",
    "TABLE",
    "XLSX",
    "Report",
    "Summary",
    "error_to_dict",
    "frame_of",
    "jsonable",
    "kolrules_reporters_register",
    "render_columns",
    "render_csv",
    "render_explanation",
    "render_json",
    "render_jsonl",
    "render_table",
    "table_console",
    "to_pass_text",
    "write_csv",
    "write_csv_batches",
]


# --------------------------------------------------------------------------------------
# json / jsonl (jsonable, error_to_dict, the document's layout and the streaming forms,
# built from the columnar evaluation, are in kolrules.formats)
# --------------------------------------------------------------------------------------


#: Input columns kept, by row number: ``{row: {header: text}}`` (``Engine.kept_values``).
Kept = Mapping[int, Mapping[str, str | None]]


def render_json(report: Report, stream: IO[str], *, kept: Kept | None = None) -> None:
    """One JSON document: ``ruleset``, ``source``, ``columns`` (how the input's headers
    were read, :meth:`Columns.to_dict`; null without headers), ``decisions``
    (:meth:`Decision.to_dict`), ``errors`` (:func:`error_to_dict`) and ``summary``
    (``rows_read`` and the counts),
    laid out as the streaming form writes it (:mod:`kolrules.formats.json_text`): one
    decision or row error per line, the summary last. ``kept``: each row's input columns
    kept, written as its ``"kept"`` after ``"id"``, as the streaming form writes them.

    UTF-8 text as is (``ensure_ascii=False``); NaN and infinity become null.
    """
    rows = kept or {}
    stream.write(document_head(report.ruleset, report.source, report.columns))
    for i, decision in enumerate(report.decisions):
        text = decision_text(decision, _kept_of(rows, decision.row))
        stream.write((NEXT_ITEM if i else FIRST_ITEM) + text)
    errors = [dumps(error_to_dict(e, _kept_of(rows, e.row))) for e in report.errors]
    stream.write(document_tail(bool(report.decisions), errors, report.summary()))


def _kept_of(kept: Kept, row: int | None) -> Mapping[str, str | None] | None:
    return None if row is None else kept.get(row)


def render_jsonl(report: Report, stream: IO[str], *, kept: Kept | None = None) -> None:
    """JSON Lines: a line per input row, in row order (:meth:`Report.in_row_order`):
    ``{"kind": "decision", ...}`` for a decision, ``{"kind": "error", ...}`` for a row
    error; then one ``{"kind": "summary", ...}`` line with the counts and ruleset.
    ``kept``: as in :func:`render_json`.
    """
    rows = kept or {}
    for entry in report.in_row_order():
        values = _kept_of(rows, entry.row)
        if isinstance(entry, RowError):
            stream.write(dumps({"kind": "error", **error_to_dict(entry, values)}) + "\n")
            continue
        said = jsonable(entry) if values is None else with_kept(jsonable(entry), dict(values))
        stream.write(dumps({"kind": "decision", **said}) + "\n")
    stream.write(dumps(summary_line(report.summary(), report.ruleset, report.source)) + "\n")


# --------------------------------------------------------------------------------------
# csv
# --------------------------------------------------------------------------------------

#: The fixed columns of the csv reporter; one ``rule:<id>`` column per rule follows.
CSV_COLUMNS = DECISION_COLUMNS
#: What joins several reasons or errors in one csv cell.
CSV_JOIN = JOIN


def frame_of(report: Report) -> pl.DataFrame:
    """The decisions and row errors of ``report`` as a decision frame (the shape
    :func:`kolrules.evaluate.decision_frame` gives), in row order; rule columns in the
    order rules were first seen."""
    import polars as pl

    rules = _rule_ids(report.decisions)
    records: list[dict[str, Any]] = []
    for entry in report.in_row_order():
        if isinstance(entry, RowError):
            records.append(
                {
                    "row": entry.row,
                    "id": entry.id,
                    "status": "error",
                    "errors": JOIN.join(str(e) for e in entry.errors),
                }
            )
            continue
        price = entry.price
        outcomes: dict[str, str] = {}
        for finding in entry.findings:
            outcomes.setdefault(f"rule:{finding.rule}", finding.outcome)
        records.append(
            {
                "row": entry.row,
                "id": entry.id,
                "platform": entry.platform,
                "status": "evaluated",
                "verdict": entry.verdict,
                "tier": entry.tier,
                "score": entry.score,
                "quote": price.quote,
                "band_min": price.band_min,
                "band_max": price.band_max,
                "position": price.position,
                "cpe": price.cpe,
                "gifting": price.gifting,
                "reasons": JOIN.join(entry.reasons) or None,
                "to_pass": JOIN.join(f"{f.rule}: {to_pass_text(f)}" for f in entry.said()) or None,
                "errors": JOIN.join(str(e) for e in entry.data_errors) or None,
                **outcomes,
            }
        )
    numbers = {"score", "quote", "band_min", "band_max", "cpe"}
    schema: dict[str, Any] = {
        c: pl.Int64
        if c == "row"
        else pl.Boolean
        if c == "gifting"
        else pl.Float64
        if c in numbers
        else pl.String
        for c in DECISION_COLUMNS
    }
    schema.update((f"rule:{r}", pl.String) for r in rules)
    return pl.DataFrame(records, schema=schema)


def _csv_number(column: str) -> pl.Expr:
    """A number as csv text: whole numbers without a decimal point, others rounded to 6
    decimals; nothing for a missing or non-finite value."""
    import polars as pl

    v = pl.col(column)
    whole = (v == v.round(0)) & (v.abs() < 1e15)
    return (
        pl.when(v.is_finite().not_())
        .then(None)
        .when(whole)
        .then(v.cast(pl.Int64).cast(pl.String))
        .otherwise(v.round(6).cast(pl.String))
        .alias(column)
    )


def write_csv(
    frame: pl.DataFrame, stream: IO[str] | IO[bytes], *, header: bool = True, raw: bool = False
) -> None:
    """Write a decision frame as csv: numbers as :func:`_csv_number` shows them,
    ``gifting`` as ``true``/``false``, minimal quoting, ``\\n`` line ends, UTF-8. Text
    cells that a spreadsheet would run as formulas are neutralised
    (:func:`kolrules.formats.neutralise`, as the ``xlsx`` format does) unless ``raw``."""
    import polars as pl

    numbers = [c for c, t in frame.schema.items() if t == pl.Float64]
    shown = frame if raw else neutralise(frame)
    shown.with_columns(*(_csv_number(c) for c in numbers)).write_csv(
        stream, include_header=header, line_terminator="\n", quote_style="necessary"
    )


def write_csv_batches(frames: Iterable[pl.DataFrame], stream: IO[bytes]) -> None:
    """The ``csv`` format's streaming form: each decision frame as it comes, the header
    once, before the first; formulas neutralised unless the run is ``raw``
    (:class:`kolrules.formats.StreamedRun`)."""
    raw = bool(getattr(frames, "raw", False))
    for i, frame in enumerate(frames):
        write_csv(frame, stream, header=i == 0, raw=raw)


def _rule_ids(decisions: Iterable[Decision]) -> list[str]:
    seen: dict[str, None] = {}
    for decision in decisions:
        for finding in decision.findings:
            seen.setdefault(finding.rule, None)
    return list(seen)


def render_csv(report: Report, stream: IO[str]) -> None:
    """One row per input row, in input order (decisions and row errors merged by row).

    Columns: :data:`CSV_COLUMNS`, then ``rule:<rule id>`` per rule (first-seen order across
    decisions) holding ``pass``/``fail``/``not_applicable``. ``status`` is ``evaluated`` or
    ``error``; ``reasons`` and ``errors`` join messages with ``" | "``. Minimal quoting,
    ``\\n`` line ends; the caller chooses the file encoding. The same text as
    :meth:`kolrules.Engine.evaluate_to_file` writes for the same rows.
    """
    buffer = io.BytesIO()
    write_csv(frame_of(report), buffer)
    stream.write(buffer.getvalue().decode("utf-8"))


# --------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------

#: Width of the table when the stream is not a terminal.
TABLE_WIDTH = 100
_VERDICT_STYLE = {"accept": "bold green", "review": "bold yellow", "reject": "bold red"}


def _money(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}"


def _band(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return "-"
    if high is None:
        return f"≥{_money(low)}"
    if low is None:
        return f"≤{_money(high)}"
    return f"{_money(low)}–{_money(high)}"


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def table_console(stream: IO[str], width: int | None = None) -> tuple[Console, Callable[[], None]]:
    """A rich console to draw a table for people on ``stream``, and what to call once it is
    drawn. On a terminal: its width (or ``width``) and colour. Elsewhere: ``width`` or
    :data:`TABLE_WIDTH`, no colour, drawn into a buffer whose lines lose rich's padding at
    their ends when written, so that saved tables diff cleanly. Cell text is never read as
    rich markup."""
    from rich.console import Console

    terminal = _is_terminal(stream)
    buffer = None if terminal else io.StringIO()
    console = Console(
        file=buffer or stream,
        width=width if width is not None or terminal else TABLE_WIDTH,
        color_system="auto" if terminal else None,
        force_terminal=terminal,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )

    def done() -> None:
        if buffer is not None:
            stream.write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))

    return console, done


def render_table(
    report: Report,
    stream: IO[str],
    *,
    width: int | None = None,
    whole: Summary | None = None,
    kept: Kept | None = None,
    lang: str = DEFAULT_LANG,
) -> None:
    """A human-readable table of the decisions, a table of the row errors (if any) and the
    summary line, drawn with rich, in the words of ``lang`` (the decisions' messages are
    in the language of the engine that made them). Each decision shows every reason, most
    severe first, with what it would take to pass under each that is not an info. ``kept``: input
    columns shown after ``id`` in both tables (the nickname, by default on the command
    line), by row (``Engine.kept_values``).

    ``whole`` is for a ``report`` of the first rows of a larger run
    (:meth:`kolrules.Engine.preview`): the table says how many rows it leaves out and the
    summary line is the whole run's. ``width`` defaults to the terminal's width, or
    :data:`TABLE_WIDTH` when ``stream`` is not a terminal; colour is used only on a
    terminal. Cell text is never read as rich markup.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    w = words_for(lang)
    console, done = table_console(stream, width)
    heading = w.heading.format(name=report.ruleset.name, version=report.ruleset.version)
    if report.source:
        heading += f" · {report.source}"
    console.print(Text(heading, style="bold"))
    if report.columns is not None:
        console.print(_columns_block(report.columns, w))
        console.print()

    if report.decisions:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        id_, tier, verdict, score_, quote, band, position_, reasons_ = w.table_columns
        table.add_column(id_, overflow="fold", max_width=18)
        for header in _kept_headers(kept):
            table.add_column(_kept_title(header), overflow="fold", max_width=16)
        table.add_column(tier, overflow="fold", max_width=10)  # celebrity on one line
        table.add_column(verdict, no_wrap=True)
        table.add_column(score_, justify="right", no_wrap=True)
        table.add_column(quote, justify="right", no_wrap=True)
        table.add_column(band, justify="right", no_wrap=True)
        table.add_column(position_, no_wrap=True)
        table.add_column(reasons_, overflow="fold")
        # An input without a price column has no quotes: not a table of gifting candidates.
        quoted = report.columns is None or "price" in report.columns.read
        for d in report.decisions:
            price = d.price
            position = (
                w.position(price.position)
                if price.position
                else (w.gifting if price.gifting and quoted else "-")
            )
            reasons = Text()
            for line in (f"data error: {e}" for e in d.data_errors):
                reasons.append(("\n" if reasons else "") + line)
            if d.applied is not None and not d.applied.enough:  # as the csv reasons say
                reasons.append(("\n" if reasons else "") + d.applied.note)
            for f in d.said():
                reasons.append(("\n" if reasons else "") + f.message)
                needed = to_pass_text(f, lang)
                if needed and f.severity != "info":  # "to pass: price given": only noise
                    reasons.append(w.to_pass_line.format(needed=needed), style="dim")
            score = "-" if d.score is None or not math.isfinite(d.score) else f"{d.score:.1f}"
            table.add_row(
                Text(d.id),
                *_kept_cells(kept, d.row),
                Text(w.tier(d.tier) if d.tier else "-"),
                Text(w.verdict(d.verdict), style=_VERDICT_STYLE.get(d.verdict, "")),
                Text(score),
                Text(_money(price.quote)),
                Text(_band(price.band_min, price.band_max)),
                Text(position),
                reasons or Text("-"),
            )
        console.print(table)
    else:
        console.print(Text(w.none_evaluated))

    if report.errors:
        console.print()
        errors = Table(
            title=w.errors_title,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        row_, id_, reason = w.error_columns
        errors.add_column(row_, justify="right", no_wrap=True)
        errors.add_column(id_, overflow="fold", max_width=18)
        for header in _kept_headers(kept):
            errors.add_column(_kept_title(header), overflow="fold", max_width=16)
        errors.add_column(reason, overflow="fold")
        for e in report.errors:
            errors.add_row(
                Text(str(e.row)), Text(e.id or "-"), *_kept_cells(kept, e.row), Text(e.reason)
            )
        console.print(errors)

    shown = len(report.decisions) + len(report.errors)
    if whole is not None and whole.rows_read > shown:
        console.print(Text(w.first_rows.format(shown=shown, total=whole.rows_read)))
    console.print()
    counted = whole or report
    console.print(Text(w.summary(counted.rows_read, counted.counts)))
    done()


#: The table's own column names: a kept input column of one of these names is shown as
#: ``input:<name>``, as in the csv.
_TABLE_WORDS = frozenset(("row", "id", "tier", "verdict", "score", "quote", "band", "position"))


def _kept_headers(kept: Kept | None) -> list[str]:
    """The kept columns' headers, in order (every row keeps the same columns)."""
    first = next(iter(kept.values()), None) if kept else None
    return [] if first is None else list(first)


def _kept_title(header: str) -> str:
    name = header.strip().casefold()
    return f"input:{header}" if name in _TABLE_WORDS or name.startswith("reason") else header


def _kept_cells(kept: Kept | None, row: int | None) -> list[Any]:
    """A row's kept values as cells (``-`` for none), one per :func:`_kept_headers`."""
    from rich.text import Text

    headers = _kept_headers(kept)
    values = (kept or {}).get(row, {}) if row is not None else {}
    return [Text(values.get(h) or "-") for h in headers]


def _read_as(field: str, header: str) -> str:
    """``粉丝数→followers``; just ``followers`` for a header spelled as its field."""
    return field if header.strip().casefold() == field.casefold() else f"{header}→{field}"


def _columns_block(columns: Columns, w: Words) -> Any:
    """The short block that opens the table: the fields read and their headers, the
    headers not used, the fields the rules read that the input lacks."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=box.SIMPLE, show_header=False, show_edge=False, pad_edge=False)
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    read = w.names(_read_as(f, h) for f, h in columns.read.items())
    grid.add_row(Text(w.columns_read), Text(read or w.none))
    if columns.unused:
        grid.add_row(Text(w.not_used), Text(w.names(columns.unused)))
    if columns.lacking:
        rules = len({r for ids in columns.lacking.values() for r in ids})
        lacking = w.lacking.format(
            fields=w.names(columns.lacking),
            n=rules,
            rules=w.pick("rule", rules),
            them=w.pick("it", len(columns.lacking)),
        )
        grid.add_row(Text(w.not_in_input), Text(lacking))
    if columns.not_applied:
        grid.add_row(Text(w.not_applied), Text(_not_applied(columns.not_applied, w)))
    return grid


def _not_applied(rules: tuple[str, ...], w: Words) -> str:
    """The file-level note of the rules whose inputs the input lacks."""
    reads = w.pick("reads", len(rules))
    return w.not_applied_note.format(rules=w.names(rules), reads=reads)


def render_columns(
    columns: Columns, stream: IO[str], *, heading: str = "", width: int | None = None
) -> None:
    """What ``kolrules columns`` prints: ``heading``, then a row per field read (its
    header), per field the rules read that no header gives (the rules), per required
    field none gives; then the headers no field reads."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width or TABLE_WIDTH, color_system=None, highlight=False, markup=False
    )
    if heading:
        stream.write(heading + "\n")  # a path is not wrapped
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("field", no_wrap=True)
    table.add_column("header", overflow="fold")
    table.add_column("note", overflow="fold")
    for field, header in columns.read.items():
        table.add_row(Text(field), Text(header), Text(""))
    for field in columns.required:
        table.add_row(Text(field), Text("-"), Text("required: not in the input, a run stops"))
    for field, rules in columns.lacking.items():
        if field not in columns.required:
            note = (
                f"not in the input; read by rule{'s' if len(rules) > 1 else ''} {', '.join(rules)}"
            )
            table.add_row(Text(field), Text("-"), Text(note))
    console.print(table)
    if columns.not_applied:
        console.print(
            Text(f"not applied: {_not_applied(columns.not_applied, words_for(DEFAULT_LANG))}")
        )
    console.print(Text(f"not used: {', '.join(columns.unused) or 'none'}"))
    stream.write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))


# --------------------------------------------------------------------------------------
# one decision, explained (kolrules explain)
# --------------------------------------------------------------------------------------


def render_explanation(
    decision: Decision,
    stream: IO[str],
    inputs: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    lang: str = DEFAULT_LANG,
) -> None:
    """Every finding of one decision (rule, stage, outcome, severity, message), its
    metrics (beside its ``inputs``, the profile's input values, when given, each with the
    header it was read from, from ``headers``), tier, price assessment and ruleset, as
    tables drawn with rich, in the words of ``lang``."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    w = words_for(lang)

    def value(v: Any) -> str:
        return format_value(v, "", w.missing)

    console = Console(file=stream, width=120, highlight=False)
    p = decision.price
    score = w.missing if decision.score is None else f"{decision.score:.1f}"
    tier = w.tier(decision.tier) if decision.tier else w.unknown
    verdict = w.verdict(decision.verdict)
    console.print(
        w.explain_head.format(
            id=decision.id, platform=decision.platform, verdict=verdict, tier=tier, score=score
        )
    )
    if decision.why:
        console.print(w.why_line.format(why=escape(decision.why)))
    if decision.score_missing:
        console.print(escape(decision.score_missing))
    applied = decision.applied
    if applied is not None:
        said = w.applied_line.format(rules=applied.rules, of=applied.of)
        if applied.missing:
            said += w.applied_missing.format(fields=w.names(applied.missing))
        if not applied.enough:
            said += w.applied_thin
        console.print(escape(said))
    if headers is not None and "price" not in headers:
        quote = w.no_price_column
    elif p.gifting:
        quote = w.no_quote
    else:
        quote = w.quote.format(quote=value(p.quote))
    position = w.position(p.position) if p.position else w.no_position
    console.print(
        w.price_line.format(
            quote=quote, band=_fair_band(decision, w), position=position, cpe=value(p.cpe)
        )
    )
    ruleset = decision.ruleset
    console.print(
        w.ruleset_line.format(name=ruleset.name, version=ruleset.version, hash=ruleset.hash[:12])
    )
    for e in decision.data_errors:
        console.print(w.data_error.format(error=e))
    table = Table(title=w.findings_title, title_justify="left")
    for col in w.finding_columns:
        table.add_column(col, overflow="fold")
    colours = {"fail": "red", "pass": "green", "not_applicable": "dim"}
    for f in decision.findings:
        needed = to_pass_text(f, lang)
        message = escape(f.message) + (
            w.to_pass_bold.format(needed=escape(needed)) if needed else ""
        )
        if f.seen or f.thresholds:
            looked = w.item_sep.join(f"{k} = {value(v)}" for k, v in f.seen.items())
            compared = w.item_sep.join(f"{k} = {value(v)}" for k, v in f.thresholds.items())
            shown = w.seen.format(values=looked) + (
                w.thresholds.format(values=compared) if compared else ""
            )
            message += f"\n[dim]{escape(shown)}[/]"
        if f.superseded_by:
            message += f"\n[dim]{escape(w.said_by.format(rule=f.superseded_by))}[/]"
        table.add_row(
            f.rule,
            w.stage(f.stage),
            f"[{colours[f.outcome]}]{w.outcome(f.outcome)}[/]",
            w.severity(f.severity),
            message,
        )
    console.print(table)
    metrics = Table(title=w.metrics_title, title_justify="left")
    metric, number = w.metric_columns
    metrics.add_column(metric)
    metrics.add_column(number, justify="right")
    for name, v in decision.metrics.items():
        metrics.add_row(escape(name), escape(value(v)))
    if inputs is None:
        console.print(metrics)
        return
    given = Table(title=w.inputs_title, title_justify="left")
    field, number, header_ = w.input_columns
    given.add_column(field)
    given.add_column(number, justify="right")
    given.add_column(header_)
    for name, v in inputs.items():
        header = (headers or {}).get(name, "")
        shown = "" if header.strip().casefold() == name.casefold() else header
        given.add_row(escape(name), escape(value(v)), escape(shown))
    side = Table.grid(padding=(0, 2))
    side.add_row(given, metrics)
    console.print(side)


def _fair_band(decision: Decision, w: Words) -> str:
    """``fair band 500-8,000 RMB``, or why there is none."""
    low, high = decision.price.band_min, decision.price.band_max
    if low is None and high is None:
        return w.band_none_no_tier if decision.tier is None else w.band_none
    if high is None:
        return w.band_at_least.format(low=format_value(low))
    if low is None:
        return w.band_at_most.format(high=format_value(high))
    return w.band.format(low=format_value(low), high=format_value(high))


# --------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------


def _table(report: Report, stream: IO[str]) -> None:
    render_table(report, stream)


#: A rich table for people.
TABLE = Reporter(
    name="table",
    extension=".txt",
    render=_table,
    description="A table for people (colour on a terminal)",
)
#: One JSON document.
JSON = Reporter(
    name="json",
    extension=".json",
    render=render_json,
    description="One JSON document: ruleset, source, decisions, errors, summary",
    write_batches=write_json_batches,
)
#: JSON Lines: a line per decision or row error, in row order, then a summary line.
JSONL = Reporter(
    name="jsonl",
    extension=".jsonl",
    render=render_jsonl,
    description="JSON Lines: one line per decision and row error, then a summary line",
    write_batches=write_jsonl_batches,
)
#: One CSV row per input row, with a column per rule.
CSV = Reporter(
    name="csv",
    extension=".csv",
    render=render_csv,
    description="One CSV row per input row, with a pass/fail column per rule",
    write_batches=write_csv_batches,
)


@hookimpl
def kolrules_reporters_register() -> Iterable[Reporter]:
    """Register the built-in output formats: table, json, jsonl, csv, xlsx, html."""
    return (TABLE, JSON, JSONL, CSV, XLSX, HTML)
