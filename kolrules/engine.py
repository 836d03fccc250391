"""The :class:`Engine`: plugins + a compiled ruleset, ready to evaluate profiles.

It wires the steps together, each in the module named after it:
read (:mod:`kolrules.read`) -> normalise (:mod:`kolrules.normalise`) -> compile
(:mod:`kolrules.compile`) -> evaluate and score (:mod:`kolrules.evaluate`) -> report
(:mod:`kolrules.report`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kolrules.compile import OUTCOMES, Plan, compile_plan, rule_column
from kolrules.errors import KolrulesError, RulesetError, UnknownKindError
from kolrules.evaluate import decisions_from_columns, evaluate_columns, evaluate_values
from kolrules.normalise import ROW, NormalisedFrame, normalise_frame, normalise_row
from kolrules.plugins import Registry, make_plugin_manager
from kolrules.ruleset import Ruleset, find_rulesets, load_ruleset, resolve_source
from kolrules.types import DataError, Decision, RowError

if TYPE_CHECKING:
    import pluggy
    import polars as pl

    from kolrules.report import Report

__all__ = ["DEFAULT_RULESET", "Engine", "RowInputError"]

#: The ruleset used when none is named.
DEFAULT_RULESET = "red-default"


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
    modules or objects; ``load_entrypoints`` turns third-party autoloading on or off.
    ``strict=True`` makes every unreadable cell a row error instead of a data error.
    """

    def __init__(
        self,
        ruleset: Ruleset | str | Path = DEFAULT_RULESET,
        *,
        plugins: Sequence[object] = (),
        load_entrypoints: bool | None = None,
        strict: bool = False,
    ) -> None:
        self.plugin_manager: pluggy.PluginManager = make_plugin_manager(
            plugins, load_entrypoints=load_entrypoints
        )
        self.registry = Registry.collect(self.plugin_manager)
        self.ruleset = ruleset if isinstance(ruleset, Ruleset) else self.load_ruleset(ruleset)
        self.plan: Plan = self.compile(self.ruleset, strict=strict)

    # -- rulesets -----------------------------------------------------------------------

    def named_rulesets(self) -> dict[str, Path]:
        """Rulesets known by name: the bundled ones and those plugins register."""
        return find_rulesets(self.registry.ruleset_dirs)

    def load_ruleset(self, source: str | Path) -> Ruleset:
        """Load a ruleset by path or by name."""
        return load_ruleset(resolve_source(source, self.named_rulesets()), search=[])

    def compile(self, ruleset: Ruleset, *, strict: bool = False) -> Plan:
        """Compile ``ruleset`` with this engine's platforms and scorers."""
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
        return compile_plan(ruleset, platform, scorer, strict=strict)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate_one(self, profile: Mapping[str, Any]) -> Decision:
        """Evaluate one profile (keys in any spelling the platform knows, values as
        numbers or as exported text). Raises :class:`RowInputError` when it cannot be."""
        norm = normalise_row(profile, self.plan.schema)
        if norm.row_errors:
            raise RowInputError(RowError(1, norm.values.get("id"), norm.row_errors))
        return evaluate_values(self.plan, norm.values, row=None, data_errors=norm.data_errors)

    def evaluate(
        self, profiles: Iterable[Mapping[str, Any]], *, source: str | None = None
    ) -> Report:
        """Evaluate many profiles one by one (the one-profile path); duplicate ids and
        bad rows become row errors, so every profile is accounted for."""
        from kolrules.report import Report

        decisions: list[Decision] = []
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        n = 0
        for n, profile in enumerate(profiles, 1):
            norm = normalise_row(profile, self.plan.schema)
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
                evaluate_values(self.plan, norm.values, row=n, data_errors=norm.data_errors)
            )
        return Report(tuple(decisions), tuple(errors), n, self.ruleset.ref, source)

    def evaluate_file(self, path: str | Path, *, input_format: str | None = None) -> Report:
        """Read a file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; JSON; JSONL) and
        evaluate it on the columnar path."""
        from kolrules.read import reader_for

        path = Path(path)
        reader = reader_for(path, self.registry.readers, input_format)
        return self._report(reader.read(path), str(path))

    def _columns(self, df: pl.DataFrame) -> tuple[NormalisedFrame, pl.DataFrame]:
        """Normalise and evaluate a frame on the columnar path."""
        norm = normalise_frame(df, self.plan.schema)
        return norm, evaluate_columns(self.plan, norm.frame)

    def _report(self, df: pl.DataFrame, source: str | None) -> Report:
        from kolrules.report import Report

        norm, out = self._columns(df)
        decisions = tuple(decisions_from_columns(self.plan, out, norm.data_errors))
        errors = tuple(
            RowError(row, pid, errs) for row, (pid, errs) in sorted(norm.row_errors.items())
        )
        return Report(decisions, errors, norm.rows_read, self.ruleset.ref, source)

    def evaluate_frame(self, frame: Any) -> Any:
        """Evaluate a polars or pandas DataFrame; returns the same kind of DataFrame with
        one row per input row, in order: the input's columns, then ``status``
        (``evaluated`` or ``error``), ``error``, ``verdict``, ``tier``, ``score``,
        ``band_min``, ``band_max``, ``price_position``, ``cpe``, ``gifting``, ``reasons``
        and one ``rule:<id>`` column per rule (pass / fail / not_applicable)."""
        import polars as pl

        is_pandas = type(frame).__module__.startswith("pandas")
        df: pl.DataFrame = pl.from_pandas(frame) if is_pandas else frame
        if not isinstance(df, pl.DataFrame):
            raise TypeError(f"expected a polars or pandas DataFrame, got {type(frame).__name__}")
        result = self.frame_result(df)
        return result.to_pandas() if is_pandas else result

    def frame_result(self, df: pl.DataFrame) -> pl.DataFrame:
        """The DataFrame form of an evaluation (see :meth:`evaluate_frame`)."""
        import polars as pl

        norm, out = self._columns(df)
        rules = [rule_column(r.rule.id) for r in self.plan.rules]
        reasons = [
            list(d.reasons) for d in decisions_from_columns(self.plan, out, norm.data_errors)
        ]
        labels = dict(enumerate(OUTCOMES))
        decided = out.select(
            pl.col(ROW),
            pl.lit("evaluated").alias("status"),
            pl.lit(None, dtype=pl.String).alias("error"),
            "verdict",
            "tier",
            "score",
            "band_min",
            "band_max",
            "price_position",
            "cpe",
            "gifting",
            pl.Series("reasons", reasons, dtype=pl.List(pl.String)),
            *(pl.col(c).replace_strict(labels, return_dtype=pl.String) for c in rules),
        )
        errs = pl.DataFrame(
            {
                ROW: sorted(norm.row_errors),
                "status": ["error"] * len(norm.row_errors),
                "error": [
                    "; ".join(str(e) for e in norm.row_errors[r][1])
                    for r in sorted(norm.row_errors)
                ],
            },
            schema={ROW: pl.Int64, "status": pl.String, "error": pl.String},
        )
        combined = pl.concat([decided, errs], how="diagonal_relaxed")
        base = df.with_columns(pl.int_range(1, df.height + 1, dtype=pl.Int64).alias(ROW))
        return base.join(combined, on=ROW, how="left").sort(ROW).drop(ROW)

    # -- output -------------------------------------------------------------------------

    def reporter_names(self) -> list[str]:
        return sorted(self.registry.reporters)
