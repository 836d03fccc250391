"""The :class:`Engine`: plugins + a compiled ruleset, ready to evaluate profiles.

It wires the steps together, each in the module named after it:
read (:mod:`kolrules.read`) -> normalise (:mod:`kolrules.normalise`) -> compile
(:mod:`kolrules.compile`) -> evaluate and score (:mod:`kolrules.evaluate`) -> report
(:mod:`kolrules.report`).
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import attrs

from kolrules.compile import Plan, compile_plan, rule_column, rule_inputs, without_inputs
from kolrules.errors import (
    InputFileError,
    KolrulesError,
    PluginError,
    RulesetError,
    UnknownKindError,
)
from kolrules.evaluate import (
    Reasons,
    decision_frame,
    decisions_from_columns,
    evaluate_columns,
    evaluate_values,
)
from kolrules.formats import StreamedRun, decision_lines
from kolrules.normalise import (
    BAD,
    MAX_CELL,
    ROW,
    SHOWN_CHARS,
    NormalisedFrame,
    NormalisedRow,
    Schema,
    SeenIds,
    match_columns,
    normalise_frame,
    normalise_row,
    read_headers,
    shown,
)
from kolrules.plugins.blame import kind_failed
from kolrules.plugins.loading import make_plugin_manager
from kolrules.plugins.manager import ESSENTIAL_PLUGINS
from kolrules.plugins.phases import Phases
from kolrules.plugins.registry import Registry
from kolrules.read import BATCH_ROWS, Rows, csv_batches, reader_for, small_csv
from kolrules.ruleset import Ruleset, find_rulesets, load_ruleset, resolve_source
from kolrules.types import (
    Columns,
    DataError,
    Decision,
    Reader,
    Report,
    Reporter,
    RowError,
    RuleKind,
    RuleParts,
    Summary,
)

if TYPE_CHECKING:
    import pluggy
    import polars as pl

__all__ = ["DEFAULT_RULESET", "Engine", "RowInputError"]

T = TypeVar("T")

#: The ruleset used when none is named.
DEFAULT_RULESET = "red-default"


#: How many rows :meth:`Engine.preview` (and the table format) shows by default.
PREVIEW_ROWS = 50

#: The most rows of a CSV file that :meth:`Engine.preview` (the table) reads without polars
#: and evaluates one by one, on the one-profile path, as :meth:`Engine.kept_values` reads
#: it: polars' import alone takes longer than that (0: never). Both paths decide alike
#: (tests/test_paths_agree.py, tests/test_startup.py).
SMALL_ROWS = 2_000


class RowInputError(KolrulesError):
    """A profile given to :meth:`Engine.evaluate_one` cannot be evaluated; ``error``
    holds the reasons."""

    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(str(error))


class Engine:
    """Evaluate KOL profiles with one ruleset.

    ``ruleset`` is a :class:`~kolrules.ruleset.Ruleset`, a path, or the name of a bundled
    (or plugin-provided) ruleset; default ``red-default``. ``plugins`` are extra plugin
    modules, objects or module names, ``"no:NAME"`` to block a plugin and
    :class:`kolrules.plugins.PluginsDir` for a directory of loose plugin files (see
    docs/plugins/discovery.md); ``load_entrypoints`` turns third-party autoloading on or off.
    ``strict=True`` makes every unreadable cell a row error instead of a data error.
    ``lang`` (``"en"`` or ``"zh"``) is the language of the decisions' texts: each rule's
    message in that language (else its English one) and the engine's own words
    (:mod:`kolrules.findings.words`); values and names other programs read stay English.
    """

    def __init__(
        self,
        ruleset: Ruleset | str | Path = DEFAULT_RULESET,
        *,
        plugins: Sequence[object] = (),
        load_entrypoints: bool | None = None,
        strict: bool = False,
        lang: str = "en",
    ) -> None:
        #: The language of the decisions' texts (see the class docstring).
        self.lang = lang
        self.plugin_manager: pluggy.PluginManager = make_plugin_manager(
            plugins, load_entrypoints=load_entrypoints
        )
        self.registry = Registry.collect(self.plugin_manager)
        self.ruleset = ruleset if isinstance(ruleset, Ruleset) else self.load_ruleset(ruleset)
        #: The plugins' phase hooks (validate, derive), run after normalising; ``None``
        #: when no plugin has one for this ruleset's platform.
        self.phases: Phases | None = None
        self.plan: Plan = self.compile(self.ruleset, strict=strict)

    # -- rulesets -----------------------------------------------------------------------

    def named_rulesets(self) -> dict[str, Path]:
        """Rulesets known by name: the bundled ones and those plugins register."""
        return find_rulesets(self.registry.ruleset_dirs)

    def load_ruleset(self, source: str | Path) -> Ruleset:
        """Load a ruleset by path or by name."""
        return load_ruleset(
            resolve_source(source, self.named_rulesets()), search=self.registry.ruleset_dirs
        )

    def _guarded(self, kind: str, label: str, name: str, fn: Callable[..., T]) -> Callable[..., T]:
        """``fn`` (a registered kind's callable) with any exception it raises, other than
        kolrules' own errors, turned into a :class:`PluginError` naming the kind, the
        plugin and its distribution, and what to do."""
        owner = self.registry.owners.get((kind, name))
        if owner is None or owner in ESSENTIAL_PLUGINS:
            return fn  # kolrules' own formats: a failure there is a kolrules bug

        def call(*args: Any, **kwargs: Any) -> T:
            try:
                return fn(*args, **kwargs)
            except (KolrulesError, StopIteration):
                raise
            except Exception as exc:
                raise PluginError(
                    kind_failed(self.plugin_manager, label, name, owner, exc)
                ) from exc

        return call

    def reader(
        self, path: str | Path, input_format: str | None = None, *, sheet: str | int | None = None
    ) -> Reader:
        """The input format for ``path`` (``input_format``, else its suffix); what it
        raises names its plugin.

        A reader whose ``read`` takes the keyword ``sheet`` (a workbook's) is given
        ``sheet``, and one that takes ``headers`` the header spellings this engine's
        schema knows (to find a header row below title rows); ``sheet`` given to any other
        reader is an :class:`InputFileError`."""
        from kolrules.read import reader_for

        found = reader_for(Path(path), self.registry.readers, input_format)
        options = _reader_options(found, sheet, self.plan.schema.aliases.values())
        if sheet is not None and "sheet" not in options:
            raise InputFileError(
                f"input file {path} is read as {found.name}, which has no sheets; a sheet is "
                "chosen only in an Excel workbook (.xlsx, .xls)"
            )
        if options:
            found = attrs.evolve(found, read=functools.partial(found.read, **options))
        batches = found.batches
        return attrs.evolve(
            found,
            read=self._guarded("reader", "input format", found.name, found.read),
            batches=None if batches is None else self._guarded_batches(found.name, batches),
        )

    def _guarded_batches(
        self, name: str, batches: Callable[[Path, int], Iterator[pl.DataFrame]]
    ) -> Callable[[Path, int], Iterator[pl.DataFrame]]:
        """A reader's ``batches`` whose failures, while called or while iterated, name
        its plugin (see :meth:`_guarded`)."""
        start = self._guarded("reader", "input format", name, batches)

        def read(path: Path, rows: int) -> Iterator[pl.DataFrame]:
            source = iter(start(path, rows))
            step = self._guarded("reader", "input format", name, next)
            while True:
                try:
                    yield step(source)
                except StopIteration:
                    return

        return read

    def reporter(self, name: str) -> Reporter:
        """The output format ``name``; what it raises names its plugin."""
        found = self.registry.reporter(name)
        guarded = self._guarded("reporter", "output format", found.name, found.render)
        batches = found.write_batches
        if batches is not None:
            batches = self._guarded("reporter", "output format", found.name, batches)
        return attrs.evolve(found, render=guarded, write_batches=batches)

    def compile(self, ruleset: Ruleset, *, strict: bool = False) -> Plan:
        """Compile ``ruleset`` with this engine's platforms, scorers and language."""
        try:
            platform = self.registry.platform(ruleset.platform)
        except UnknownKindError as exc:
            raise RulesetError(
                [
                    ruleset.issue(
                        ("ruleset", "platform"), str(exc), "install the plugin that adds it"
                    )
                ]
            ) from None
        scorer = None
        if ruleset.scoring_strategy is not None:
            try:
                scorer = self.registry.scorer(ruleset.scoring_strategy)
            except UnknownKindError as exc:
                raise RulesetError([ruleset.issue(("scoring", "strategy"), str(exc))]) from None
            build = self._guarded("scorer", "scoring strategy", scorer.name, scorer.build)
            scorer = attrs.evolve(scorer, build=build)
        kinds = {key: self._rule_kind(kind) for key, kind in self.registry.rule_kinds.items()}
        schema = Schema.build(platform, ruleset.fields, ruleset.columns, strict=strict)
        phases = Phases(self.plugin_manager, platform, schema.fields)
        plan = compile_plan(
            ruleset,
            platform,
            scorer,
            strict=strict,
            rule_kinds=kinds,
            derived=phases.derived if phases.active else None,
            schema=schema,
            lang=self.lang,
        )
        self.phases = phases if phases.active else None
        return plan

    def _rule_kind(self, kind: RuleKind) -> RuleKind:
        """``kind`` with its ``build`` guarded (see :meth:`_guarded`) and its result checked."""
        build = self._guarded("rule_kind", "rule kind", kind.name, kind.build)
        owner = self.registry.owners.get(("rule_kind", kind.name.casefold()))

        def checked(params: Mapping[str, Any]) -> RuleParts:
            parts = build(params)
            if not isinstance(parts, RuleParts):
                raise PluginError(
                    f"rule kind {kind.name!r} of plugin "
                    f"{self.plugin_manager.label(owner) if owner else '?'} returned "
                    f"{type(parts).__name__} from build; expected kolrules.RuleParts"
                )
            return parts

        return attrs.evolve(kind, build=checked)

    # -- normalise, then the phase hooks ----------------------------------------------

    def normalise_row(self, raw: Mapping[str, Any], row: int = 1) -> NormalisedRow:
        """Normalise one profile (:func:`kolrules.normalise.normalise_row`), then run the
        plugins' phase hooks on it (row forms)."""
        norm = normalise_row(raw, self.plan.schema)
        return norm if self.phases is None else self.phases.apply_row(norm, row)

    def columns_read(self, headers: Sequence[str]) -> Columns:
        """How an input with ``headers`` is read: each field and its header, the headers
        no field reads, the fields the rules read that none gives (with the rules), and
        the required fields none gives."""
        read, unused = read_headers(headers, self.plan.schema)
        lacking = {f: ids for f, ids in _rule_inputs(self.plan).items() if f not in read}
        required = tuple(f for f in self.plan.platform.required if f not in read)
        not_applied = tuple(r.rule.id for r in self.plan_for(headers).rules if r.absent)
        return Columns(read, unused, lacking, required, not_applied)

    def plan_for(self, headers: Sequence[str]) -> Plan:
        """The plan an input with ``headers`` is evaluated with: the engine's, except that
        a rule whose inputs no header gives is not applied to any row
        (:func:`kolrules.compile.without_inputs`; the report's ``columns`` name those
        rules once for the whole input, in ``not_applied``)."""
        read, _ = read_headers(headers, self.plan.schema)
        return without_inputs(self.plan, (f for f in self.plan.schema.fields if f not in read))

    def read_columns(
        self,
        source: str | Path,
        *,
        input_format: str | None = None,
        sheet: str | int | None = None,
    ) -> Columns:
        """How the file ``source`` is read (:meth:`columns_read` of its headers), from its
        first rows only (``sheet``: a workbook's sheet, see :meth:`reader`)."""
        path = Path(source)
        batches = _batches(self.reader(path, input_format, sheet=sheet), path, PREVIEW_ROWS)
        try:
            first = next(batches, None)
        finally:
            _close(batches)
        return self.columns_read(first.columns if first is not None else [])

    def profile_inputs(
        self,
        source: str | Path,
        row: int,
        *,
        input_format: str | None = None,
        sheet: str | int | None = None,
    ) -> dict[str, Any]:
        """The input values of the profile in data row ``row`` (from 1) of the file
        ``source``, normalised, for each field the file has (what ``kolrules explain``
        shows beside the metrics)."""
        path = Path(source)
        df = self.reader(path, input_format, sheet=sheet).read(path)
        values = normalise_row(df.row(row - 1, named=True), self.plan.schema).values
        return {field: values.get(field) for field in self.columns_read(df.columns).read}

    def normalise_frame(
        self, df: pl.DataFrame, *, offset: int = 0, seen: SeenIds | None = None
    ) -> NormalisedFrame:
        """Normalise a frame (:func:`kolrules.normalise.normalise_frame`), then run the
        plugins' phase hooks on it (batch forms, once per frame)."""
        norm = normalise_frame(df, self.plan.schema, offset=offset, seen=seen)
        return norm if self.phases is None else self.phases.apply_frame(norm)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate_one(
        self, profile: Mapping[str, Any], *, headers: Sequence[str] | None = None
    ) -> Decision:
        """Evaluate one profile (keys in any spelling the platform knows, values as
        numbers or as exported text). Raises :class:`RowInputError` when it cannot be.

        ``headers``: when the profile is a row of a file, the file's headers; a rule
        reading a field none of them gives is then not applied, as on the file paths
        (:meth:`plan_for`). Without them a key left out is a missing value."""
        plan = self.plan if headers is None else self.plan_for(headers)
        norm = self.normalise_row(profile)
        if norm.row_errors:
            raise RowInputError(RowError(1, norm.values.get("id"), norm.row_errors))
        return evaluate_values(plan, norm.values, row=None, data_errors=norm.data_errors)

    def evaluate(
        self,
        profiles: Iterable[Mapping[str, Any]],
        *,
        source: str | None = None,
        headers: Sequence[str] | None = None,
    ) -> Report:
        """Evaluate many profiles one by one (the one-profile path); duplicate ids and
        bad rows become row errors, so every profile is accounted for.

        ``headers``: when the profiles are the rows of a file, the file's headers; a rule
        reading a field none of them gives is then not applied, as on the file paths
        (:meth:`plan_for`), and the report's ``columns`` say how they were read."""
        plan = self.plan if headers is None else self.plan_for(headers)
        decisions: list[Decision] = []
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        n = 0
        for n, profile in enumerate(profiles, 1):
            norm = self.normalise_row(profile, n)
            pid = norm.values.get("id")
            problems = list(norm.row_errors)
            if isinstance(pid, str) and pid in seen:
                problems.append(
                    DataError(norm.id_column, pid, f"duplicate id, first seen at row {seen[pid]}")
                )
            if problems:
                errors.append(RowError(n, pid, (*problems, *norm.data_errors)))
                continue
            seen[str(pid)] = n
            decisions.append(
                evaluate_values(plan, norm.values, row=n, data_errors=norm.data_errors)
            )
        columns = None if headers is None else self.columns_read(headers)
        return Report(tuple(decisions), tuple(errors), n, self.ruleset.ref, source, columns)

    def evaluate_file(
        self,
        path: str | Path,
        *,
        input_format: str | None = None,
        sheet: str | int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Report:
        """Read a file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; JSON; JSONL; a
        workbook's ``sheet``, with the excel extra) and evaluate it on the columnar path.

        ``progress``: called with the number of rows done (see :meth:`evaluate_to_file`);
        the file is read and evaluated whole, so once, at the end."""
        path = Path(path)
        with _naming(path):
            df = self.reader(path, input_format, sheet=sheet).read(path)
            report = self._report(df, str(path))
        if progress is not None:
            progress(report.rows_read)
        return report

    def _report(self, df: pl.DataFrame, source: str | None) -> Report:
        plan = self.plan_for(df.columns)
        norm = self.normalise_frame(df)
        out = evaluate_columns(plan, norm.frame)
        decisions = tuple(decisions_from_columns(plan, out, norm.data_errors))
        errors = tuple(
            RowError(row, pid, errs) for row, (pid, errs) in sorted(norm.row_errors.items())
        )
        columns = self.columns_read(df.columns)
        return Report(decisions, errors, norm.rows_read, self.ruleset.ref, source, columns)

    def evaluate_frame(self, frame: Any, *, reasons: Reasons = "text") -> Any:
        """Evaluate a polars or pandas DataFrame or a pyarrow Table; returns the same kind
        of frame with one row per input row, in order: the input's columns, then
        ``status`` (``evaluated`` or ``error``), ``error``, ``verdict``, ``tier``,
        ``score``, ``band_min``, ``band_max``, ``price_position``, ``cpe``, ``gifting``,
        ``reasons`` and one ``rule:<id>`` column per rule (pass / fail / not_applicable).

        A pandas frame or an Arrow table is given back as it came (a pandas frame keeps
        its index and dtypes) with those columns added. In pandas, ``None``, NaN,
        ``pd.NA`` and ``pd.NaT`` are missing values, also in an object column mixing them
        with text and numbers (:mod:`kolrules.formats.frames`).

        ``reasons``: ``"text"`` (the messages, a list per row), ``"rules"`` (the failed
        rules' ids, faster) or ``"none"`` (an empty column, the fastest)."""
        import polars as pl

        from kolrules.formats import frames

        if isinstance(frame, pl.DataFrame):
            return self.frame_result(frame, reasons=reasons)
        kind = type(frame).__module__.partition(".")[0]  # neither is imported unless given
        if kind == "pandas" and frames.is_pandas_frame(frame):
            df = frames.from_pandas(frame)
            decided = self.frame_result(df, reasons=reasons).drop(df.columns)
            return frames.with_decisions_pandas(frame, decided)
        if kind == "pyarrow" and frames.is_arrow_table(frame):
            df = frames.from_arrow(frame)
            decided = self.frame_result(df, reasons=reasons).drop(df.columns)
            return frames.with_decisions_arrow(frame, decided)
        raise TypeError(
            f"expected a polars or pandas DataFrame or a pyarrow Table, got {type(frame).__name__}"
        )

    def frame_result(self, df: pl.DataFrame, *, reasons: Reasons = "text") -> pl.DataFrame:
        """The DataFrame form of an evaluation (see :meth:`evaluate_frame`)."""
        import polars as pl

        plan = self.plan_for(df.columns)
        norm = self.normalise_frame(df)
        out = evaluate_columns(plan, norm.rows)
        decided = decision_frame(
            plan, out, norm.row_errors, norm.data_errors, reasons=reasons, joined=False
        ).select(
            "status",
            pl.col("errors").alias("error"),
            "verdict",
            "tier",
            "score",
            "band_min",
            "band_max",
            pl.col("position").alias("price_position"),
            "cpe",
            "gifting",
            "reasons",
            *(rule_column(r.rule.id) for r in self.plan.rules),
        )
        return pl.concat([df, decided], how="horizontal")

    def evaluate_to_file(
        self,
        source: str | Path,
        target: str | Path | IO[str] | IO[bytes],
        *,
        input_format: str | None = None,
        output_format: str | Reporter = "csv",
        batch_rows: int = BATCH_ROWS,
        reasons: Reasons = "text",
        raw: bool = False,
        sheet: str | int | None = None,
        bom: bool = False,
        keep: Sequence[str] | None = (),
        progress: Callable[[int], None] | None = None,
    ) -> Summary:
        """Evaluate a file and write the decisions to ``target`` (a path or a binary
        stream) in ``output_format`` (default ``csv``: a registered format's name, or a
        :class:`Reporter` made for this run, such as
        :func:`kolrules.formats.html_reporter` with its options), one row per input row,
        in input order. Returns the counts.

        A format with a streaming form (``Reporter.write_batches``, as ``csv``, ``json``
        and ``jsonl`` have; it is given a :class:`~kolrules.formats.StreamedRun`) is
        written batch by batch as the input is read: memory stays bounded by
        ``batch_rows`` whatever the file's size. Any other format is rendered from the
        whole run. ``reasons="rules"`` lists the failed rules' ids in the ``reasons``
        column instead of their messages, which is faster on large files. The csv format
        neutralises text cells a spreadsheet would run as formulas (a ``'`` before a leading
        ``=``, ``+``, ``-``, ``@``, tab or carriage return) unless ``raw``. A path is
        written through a ``.partial`` file, so a run that fails leaves nothing under it.
        ``sheet``: a workbook's sheet (:meth:`reader`). ``bom``: the output starts with a
        UTF-8 byte-order mark, which Excel needs to read a csv file's Chinese text as UTF-8.
        ``keep``: input columns carried into the decision frames (:meth:`decision_frames`),
        so into the formats written from them (csv, xlsx), and into json and jsonl as each
        decision's and row error's ``"kept"`` (:meth:`decision_lines`); not into a format
        rendered from a whole :class:`Report`, which carries no input columns.

        ``progress``: called after each batch is written with the number of input rows
        done so far (cumulative, not the batch's), so at most once per batch, never per
        row; a file's rows are not counted before the run, so there is no total.
        """
        path = Path(source)
        reporter = self.reporter(output_format) if isinstance(output_format, str) else output_format
        reader = self.reader(path, input_format, sheet=sheet)
        named = None if not isinstance(target, str | Path) else str(target)
        if reporter.write_batches is None:
            report = self.evaluate_file(
                path, input_format=input_format, sheet=sheet, progress=progress
            )
            with _output(target, bom) as stream:
                _render_to(reporter, report, stream)
            return Summary(report.rows_read, report.counts, self.ruleset.ref, str(path), named)
        tally = _Tally(progress=progress)
        batches = _batches(reader, path, batch_rows)
        read = tally.read(batches)
        run = StreamedRun(
            lambda: tally.decided(self.decision_frames(read, reasons=reasons, keep=keep)),
            lambda kind: tally.decided(self.decision_lines(read, kind=kind, keep=keep)),
            ruleset=self.ruleset.ref,
            source=str(path),
            summary=lambda: Summary(tally.rows, tally.counts, self.ruleset.ref, str(path), named),
            raw=raw,
            columns=lambda: None if tally.headers is None else self.columns_read(tally.headers),
            rules=[r.rule for r in self.plan.rules],
            valued=lambda: tally.decided(
                self.decision_frames(read, reasons=reasons, keep=keep, values=True)
            ),
            lang=self.lang,
        )
        try:
            with _naming(path), _output(target, bom) as stream:
                reporter.write_batches(run, stream)  # type: ignore[arg-type]
        finally:
            _close(batches)
        return run.summary()

    def preview(
        self,
        source: str | Path,
        rows: int = PREVIEW_ROWS,
        *,
        input_format: str | None = None,
        batch_rows: int = BATCH_ROWS,
        sheet: str | int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[Report, Summary]:
        """The decisions of the first ``rows`` rows of a file (a :class:`Report`, with
        every finding) and the counts of the whole file (a :class:`Summary`), reading it
        batch by batch: what a table shows of a file of any size, in bounded memory. A
        file of at most ``rows`` rows is evaluated once, into the report. ``progress``:
        as in :meth:`evaluate_to_file`, once per batch."""
        path = Path(source)
        reader = self.reader(path, input_format, sheet=sheet)
        with _naming(path):
            # One by one where that decides as the columnar path: no plugin phase hooks (a
            # plugin's row and batch forms are its own), and that path's errors first (a
            # required column missing, two headers meaning one field).
            small = None if self.phases is not None else self._small_rows(path, input_format)
            if small is not None:
                match_columns(small[0], self.plan.schema)
                return self._preview_rows(*small, path, rows, progress)
        tally = _Tally(keep=rows, progress=progress)
        batches = _batches(reader, path, batch_rows)
        try:
            with _naming(path):
                return self._preview(batches, path, rows, tally)
        finally:
            _close(batches)

    def _small_rows(self, path: Path, input_format: str | None) -> tuple[list[str], Rows] | None:
        """The headers and rows of a small CSV file (up to :data:`SMALL_ROWS` rows) read
        without polars, by kolrules' own CSV reader (:func:`kolrules.read.small_csv`), as
        its batches would give them; ``None`` for any other file or reader."""
        if SMALL_ROWS <= 0:
            return None
        if reader_for(path, self.registry.readers, input_format).batches is not csv_batches:
            return None
        return small_csv(path, SMALL_ROWS)

    def _preview_rows(
        self,
        headers: list[str],
        rows: Rows,
        path: Path,
        limit: int,
        progress: Callable[[int], None] | None,
    ) -> tuple[Report, Summary]:
        """:meth:`preview` of the rows :meth:`_small_rows` read, evaluated one by one
        (:meth:`evaluate`). A row is a duplicate only of an earlier row, so the decisions
        and errors of the first ``limit`` rows are the whole run's first ones."""
        whole = self.evaluate(rows, source=str(path), headers=headers)
        if progress is not None:
            progress(whole.rows_read)
        summary = Summary(whole.rows_read, whole.counts, whole.ruleset, str(path))
        if whole.rows_read <= limit:
            return whole, summary
        head = attrs.evolve(
            whole,
            decisions=tuple(d for d in whole.decisions if d.row is not None and d.row <= limit),
            errors=tuple(e for e in whole.errors if e.row <= limit),
            rows_read=limit,
        )
        return head, summary

    def _preview(
        self, batches: Iterator[pl.DataFrame], path: Path, rows: int, tally: _Tally
    ) -> tuple[Report, Summary]:
        first = next(batches, None)
        more = next(batches, None) if first is not None else None
        if more is None and (first is None or first.height <= rows):
            report = self._report(first if first is not None else tally.head(), str(path))
            if tally.progress is not None:
                tally.progress(report.rows_read)
            return report, Summary(report.rows_read, report.counts, report.ruleset, str(path))
        assert first is not None  # a file of several batches, or more than rows
        read = itertools.chain([first], [more] if more is not None else [], batches)
        for _ in tally.decided(self.decision_frames(tally.read(read), reasons="none")):
            pass
        report = self._report(tally.head(), str(path))
        return report, Summary(tally.rows, tally.counts, self.ruleset.ref, str(path))

    def decision_frames(
        self,
        batches: Iterable[pl.DataFrame],
        *,
        reasons: Reasons = "text",
        offset: int = 0,
        seen: SeenIds | None = None,
        keep: Sequence[str] | None = (),
        values: bool = False,
    ) -> Iterator[pl.DataFrame]:
        """Evaluate frames of raw rows that are consecutive parts of one input (rows are
        numbered across them, and an id seen in an earlier frame is a duplicate in a later
        one); yield a decision frame for each (the columns of the csv format, see
        :func:`kolrules.evaluate.decision_frame`). ``offset`` and ``seen``: the rows of the
        input before ``batches`` and their evaluated ids, when ``batches`` do not start it
        (:mod:`kolrules.dask` evaluates a partition so).

        ``keep``: input columns carried into every decision frame, right after ``id``, as
        read (text), for every row, error rows too; each named by its input header, or
        ``input:<header>`` when a decision column has that name. A header is found as
        written, else ignoring case and surrounding spaces; one the input lacks is an
        :class:`InputFileError`. ``None``: the column the platform's ``handle`` field
        (the name or nickname, 昵称) is read from, when the input has one.

        ``values``: each frame ends with the evaluated rows' normalised inputs
        (``value:<field>``, every field the plan reads) and metrics (``metric:<name>``),
        null on a row error's row: what a format that charts them needs (``html``)."""
        kept: list[tuple[str, str]] | None = None
        for plan, df, norm, out in self._evaluated(batches, offset=offset, seen=seen):
            frame = decision_frame(plan, out, norm.row_errors, norm.data_errors, reasons=reasons)
            if kept is None:
                kept = self._kept_columns(df.columns, keep)
            if kept:
                frame = _with_kept(frame, df, kept)
            yield _with_values(plan, frame, out) if values else frame

    def _kept_columns(
        self, headers: Sequence[str], keep: Sequence[str] | None
    ) -> list[tuple[str, str]]:
        """``(input header, output name)`` of the columns ``keep`` names (see
        :meth:`decision_frames`)."""
        from kolrules.evaluate import DECISION_COLUMNS

        if keep is None:
            handle = read_headers(headers, self.plan.schema)[0].get("handle")
            wanted: list[str] = [] if handle is None else [handle]
        else:
            wanted = []
            for name in keep:
                found = name if name in headers else None
                if found is None:
                    same = [h for h in headers if h.strip().casefold() == name.strip().casefold()]
                    found = same[0] if len(same) == 1 else None
                if found is None:
                    raise InputFileError(
                        f"no column {name!r} to keep: the input's columns are "
                        + ", ".join(repr(h) for h in headers)
                    )
                wanted.append(found)
        taken = {*DECISION_COLUMNS, *(rule_column(r.rule.id) for r in self.plan.rules)}
        names = dict.fromkeys(wanted)
        return [(h, f"input:{h}" if h in taken else h) for h in names]

    def decision_lines(
        self,
        batches: Iterable[pl.DataFrame],
        *,
        kind: bool = True,
        keep: Sequence[str] | None = (),
    ) -> Iterator[pl.DataFrame]:
        """As :meth:`decision_frames`, the decisions and row errors of each frame as JSON
        text, in input order (:func:`kolrules.formats.decision_lines`: frames of ``kind``,
        ``verdict`` and ``line``), for the ``json`` and ``jsonl`` formats.

        ``keep``: as in :meth:`decision_frames`; each decision and row error then holds
        ``"kept": {header: text, ...}`` right after ``"id"``, keyed by the input's own
        headers (no ``input:`` prefix: the object holds nothing else)."""
        kept: list[tuple[str, str]] | None = None
        for plan, df, norm, out in self._evaluated(batches):
            if kept is None:
                kept = [(h, h) for h, _ in self._kept_columns(df.columns, keep)]
            values = _kept_text(df, kept) if kept else None
            yield from decision_lines(
                plan, out, norm.row_errors, norm.data_errors, kind=kind, kept=values
            )

    def kept_values(
        self,
        source: str | Path,
        keep: Sequence[str] | None = None,
        *,
        rows: int | None = None,
        input_format: str | None = None,
        sheet: str | int | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> dict[int, dict[str, str | None]]:
        """The input columns ``keep`` names (``None``: the name or nickname column, as in
        :meth:`decision_frames`) of the file's first ``rows`` rows (``None``: every row),
        by row number (from 1), each as ``{header: text as read}``: what the ``json``,
        ``jsonl`` and ``table`` renderers take as ``kept=`` for a :class:`Report` of the
        same file (:meth:`evaluate_file`, :meth:`preview`), which carries no input
        columns. Empty when nothing is kept. Reads the file again, from its start."""
        path = Path(source)
        found: dict[int, dict[str, str | None]] = {}
        if rows == 0:
            return found
        reader = self.reader(path, input_format, sheet=sheet)
        with _naming(path):
            small = self._small_rows(path, input_format)
            if small is not None:
                return _kept_rows(small[1], self._kept_columns(small[0], keep), rows)
        size = batch_rows if rows is None else min(rows, batch_rows)
        batches = _batches(reader, path, size)
        kept: list[tuple[str, str]] | None = None
        try:
            with _naming(path):
                for df in batches:
                    if kept is None:
                        kept = [(h, h) for h, _ in self._kept_columns(df.columns, keep)]
                    if not kept:
                        break
                    part = df if rows is None else df.head(rows - len(found))
                    at = len(found) + 1
                    for i, values in enumerate(_kept_text(part, kept).iter_rows(named=True)):
                        found[at + i] = values
                    if rows is not None and len(found) >= rows:
                        break
        finally:
            _close(batches)
        return found

    def _evaluated(
        self, batches: Iterable[pl.DataFrame], *, offset: int = 0, seen: SeenIds | None = None
    ) -> Iterator[tuple[Plan, pl.DataFrame, NormalisedFrame, pl.DataFrame]]:
        """Each frame (given back) normalised (rows numbered across frames, ids seen across
        them) and evaluated on the columnar path, every row kept, with the plan of the
        input (the first frame's headers: :meth:`plan_for`)."""
        seen = SeenIds() if seen is None else seen
        plan: Plan | None = None
        for df in batches:
            if plan is None:
                plan = self.plan_for(df.columns)
            norm = self.normalise_frame(df, offset=offset, seen=seen)
            yield plan, df, norm, evaluate_columns(plan, norm.rows)
            offset += df.height

    # -- output -------------------------------------------------------------------------

    def reporter_names(self) -> list[str]:
        return sorted(self.registry.reporters)


class _Tally:
    """Rows read counted from the input and verdicts from the decision frames, so a row
    lost on the way shows as a Summary that is not accounted for; keeps the first
    ``keep`` input rows; calls ``progress`` with the rows read so far once each frame
    read was taken further (evaluated, written) and the next is asked for."""

    def __init__(self, keep: int = 0, progress: Callable[[int], None] | None = None) -> None:
        self.rows = 0
        self.progress = progress
        self.counts = dict.fromkeys(("accepted", "review", "rejected", "errors"), 0)
        self._keep = keep
        self._kept: list[pl.DataFrame] = []
        #: The input's headers, once its first frame was read.
        self.headers: list[str] | None = None

    def read(self, frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for frame in frames:
            if self.headers is None:
                self.headers = frame.columns
            if self.rows < self._keep or not self._kept:  # the header, at least
                self._kept.append(frame.head(max(self._keep - self.rows, 0)))
            self.rows += frame.height
            yield frame
            if self.progress is not None:
                self.progress(self.rows)

    def decided(self, frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        names = {"accept": "accepted", "review": "review", "reject": "rejected", None: "errors"}
        for frame in frames:
            for verdict, n in frame.get_column("verdict").value_counts().iter_rows():
                self.counts[names[verdict]] += n
            yield frame

    def head(self) -> pl.DataFrame:
        """The first rows kept (an empty frame when the input had none)."""
        import polars as pl

        return pl.concat(self._kept, how="diagonal_relaxed") if self._kept else pl.DataFrame()


def _rule_inputs(plan: Plan) -> dict[str, tuple[str, ...]]:
    """The input fields the rules read, themselves or through metrics, each with the ids
    of the rules that read it, in field order."""
    readers: dict[str, list[str]] = {}
    for compiled, reads in zip(plan.rules, rule_inputs(plan), strict=True):
        for name in reads:
            readers.setdefault(name, []).append(compiled.rule.id)
    return {f: tuple(readers[f]) for f in plan.schema.fields if f in readers}


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """An input error about the file's contents raised without its name (normalising a
    frame does not know where it came from: "no 'followers' column") names it."""
    try:
        yield
    except InputFileError as exc:
        if str(exc).startswith("input file "):
            raise
        raise InputFileError(f"input file {path}: {exc}") from None


def _batches(reader: Reader, path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The input in frames of at most ``batch_rows`` rows."""
    if reader.batches is not None:
        return reader.batches(path, batch_rows)
    whole = reader.read(path)
    return iter([whole.slice(at, batch_rows) for at in range(0, max(whole.height, 1), batch_rows)])


def _close(batches: Iterator[pl.DataFrame]) -> None:
    """A run that fails half way cleans up its reader (temporary files) at once."""
    close = getattr(batches, "close", None)
    if close is not None:
        close()


def _render_to(reporter: Reporter, report: Report, stream: IO[str] | IO[bytes]) -> None:
    """``reporter.render`` (which writes text) into ``stream``, text or binary (UTF-8)."""
    if isinstance(stream, io.TextIOBase):
        reporter.render(report, stream)
        return
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")  # type: ignore[type-var]
    try:
        reporter.render(report, text)
        text.flush()
    finally:
        text.detach()


def _with_values(plan: Plan, frame: pl.DataFrame, out: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the inputs and metrics of its evaluated rows (``out``, the columnar
    evaluation) as ``value:<field>`` and ``metric:<name>`` (see
    :meth:`Engine.decision_frames`), joined on the row number."""
    import polars as pl

    fields = [f for f in plan.inputs if f in out.columns]
    metrics = [m for m in dict.fromkeys([*plan.derived, *plan.metric_names]) if m in out.columns]
    evaluated = out.filter(~pl.col(BAD)) if BAD in out.columns else out
    extra = evaluated.select(
        pl.col(ROW).alias("row"),
        *(pl.col(f).alias(f"value:{f}") for f in fields),
        *(pl.col(m).alias(f"metric:{m}") for m in metrics),
    )
    return frame.join(extra, on="row", how="left", maintain_order="left")


def _with_kept(frame: pl.DataFrame, df: pl.DataFrame, kept: list[tuple[str, str]]) -> pl.DataFrame:
    """``frame`` (one row per row of ``df``, in order) with ``kept`` columns of ``df``
    (:func:`_kept_text`) right after ``id``."""
    import polars as pl

    if frame.height != df.height:  # pragma: no cover - decision_frame keeps every row
        raise AssertionError("a decision frame lost rows")
    values = _kept_text(df, kept)
    at = frame.columns.index("id") + 1
    return pl.concat(
        [frame.select(frame.columns[:at]), values, frame.select(frame.columns[at:])],
        how="horizontal",
    )


def _kept_rows(
    rows: Rows, kept: list[tuple[str, str]], limit: int | None
) -> dict[int, dict[str, str | None]]:
    """What :meth:`Engine.kept_values` gives from :func:`_kept_text`, from rows read
    without polars (:meth:`Engine._small_rows`), the ``kept`` columns under their input
    headers."""
    if not kept:
        return {}
    taken = rows if limit is None else rows[:limit]
    return {
        n: {h: None if (cell := row[h]) is None else shown(cell) for h, _ in kept}
        for n, row in enumerate(taken, 1)
    }


def _kept_text(df: pl.DataFrame, kept: list[tuple[str, str]]) -> pl.DataFrame:
    """The ``kept`` columns of ``df`` (``(input header, name)``) as text, named; a cell
    longer than ``MAX_CELL`` (its row is a row error) cut as a data error shows it
    (:func:`kolrules.normalise.shown`), not written out whole."""
    import polars as pl

    def bounded(h: str) -> pl.Expr:
        text = pl.col(h).cast(pl.String)
        cut = pl.concat_str(text.str.slice(0, SHOWN_CHARS), pl.lit("…"))
        return pl.when(text.str.len_chars() > MAX_CELL).then(cut).otherwise(text)

    return df.select(bounded(h).alias(name) for h, name in kept)


def _reader_options(
    reader: Reader, sheet: str | int | None, spellings: Iterable[Sequence[str]]
) -> dict[str, Any]:
    """The keywords of ``sheet`` and ``headers`` that ``reader.read`` takes."""
    import inspect

    try:
        takes = inspect.signature(reader.read).parameters
    except (TypeError, ValueError):  # pragma: no cover - a callable without a signature
        return {}
    options: dict[str, Any] = {}
    if "sheet" in takes and sheet is not None:
        options["sheet"] = sheet
    if "headers" in takes:
        options["headers"] = tuple(s for names in spellings for s in names)
    return options


@contextmanager
def _output(
    target: str | Path | IO[str] | IO[bytes], bom: bool = False
) -> Iterator[IO[str] | IO[bytes]]:
    """The stream to write to: ``target`` itself, or for a path a ``.partial`` file beside
    it, renamed to the path when the run succeeds and removed when it fails, so a failed
    run never leaves half a decisions file under the name asked for. ``bom``: a UTF-8
    byte-order mark is written first."""
    if not isinstance(target, str | Path):
        if bom:
            if isinstance(target, io.TextIOBase):
                target.write("\ufeff")
            else:
                target.write(b"\xef\xbb\xbf")  # type: ignore[arg-type]
        yield target
        return
    final = Path(target)
    partial = final.with_name(final.name + ".partial")
    try:
        with partial.open("wb") as stream:
            if bom:
                stream.write(b"\xef\xbb\xbf")
            yield stream
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
