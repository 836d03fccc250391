"""The value objects that flow through kolrules: the ground floor, importing nothing else
of kolrules'.

Every class here is a frozen attrs class: plugins return them from hooks, the engine
passes them along, and nothing mutates them. The data flows one way:

``read`` (a :class:`Reader` turns a file into text columns) ->
``normalise`` (a :class:`Platform` maps headers and parses numbers) ->
``compile`` (a ruleset becomes a plan) -> ``evaluate`` -> ``score`` (a :class:`Scorer`) ->
``report`` (a :class:`Reporter` writes :class:`Decision` records).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "CANONICAL_FIELDS",
    "COUNT_FIELDS",
    "TEXT_FIELDS",
    "Applied",
    "Columns",
    "DataError",
    "Decision",
    "FieldType",
    "Finding",
    "Outcome",
    "Platform",
    "PriceAssessment",
    "PricePosition",
    "Reader",
    "Report",
    "Reporter",
    "RowError",
    "RuleKind",
    "RuleParts",
    "RulesetRef",
    "Scorer",
    "Severity",
    "Summary",
    "Tier",
    "ToPass",
    "Verdict",
]

Verdict = Literal["accept", "review", "reject"]
Outcome = Literal["pass", "fail", "not_applicable"]
Severity = Literal["reject", "review", "warn", "info"]
PricePosition = Literal["below", "within", "above"]
FieldType = Literal["number", "text"]

#: Canonical profile fields and their types. Every platform maps its export headers onto these.
CANONICAL_FIELDS: Mapping[str, FieldType] = {
    "id": "text",
    "platform": "text",
    "handle": "text",
    "followers": "number",
    "posts": "number",
    "total_likes": "number",
    "avg_likes": "number",
    "avg_comments": "number",
    "avg_collects": "number",
    "avg_shares": "number",
    "avg_views": "number",
    "price": "number",
    "account_age_days": "number",
    "origin": "text",
    "category": "text",
}
#: Text fields among the canonical ones.
TEXT_FIELDS = frozenset(k for k, v in CANONICAL_FIELDS.items() if v == "text")
#: Numeric fields that can never be negative (a negative value is a data error).
COUNT_FIELDS = frozenset(k for k, v in CANONICAL_FIELDS.items() if v == "number")
#: The values ``origin`` may take once normalised.
ORIGINS = ("homegrown", "cross_platform", "celebrity")


def _tuple_of_str(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _with_id(value: Any) -> tuple[str, ...]:
    return ("id", *(str(f) for f in value if f != "id"))


def _freeze_columns(value: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    return {str(k): _tuple_of_str(v) for k, v in value.items()}


@attrs.frozen
class Tier:
    """A follower tier and its fair price band (RMB per post).

    ``min_followers`` is inclusive, ``max_followers`` exclusive (``None``: no upper bound).
    ``price_min`` / ``price_max`` may be ``None`` where the ruleset gives no band.
    """

    name: str
    min_followers: float
    max_followers: float | None = None
    price_min: float | None = None
    price_max: float | None = None
    description: str = ""


@attrs.frozen
class Platform:
    """A social platform: how its exports look and what it derives.

    Registered by plugins through ``kolrules_platforms_register``. Usually built from a
    data file shipped in the plugin with :meth:`Platform.from_toml`.

    - ``columns`` maps a field (canonical or extra) to the export headers that mean it,
      matched case-insensitively after trimming.
    - ``fields`` declares platform-specific extra input fields and their types.
    - ``metrics`` are platform-specific derived metrics, as expressions in the kolrules
      expression language; every ruleset for this platform can use them.
    - ``units`` are the number suffixes exports use (``万`` = 10000); ``plus_adds`` is what a
      trailing ``+`` adds (``10万+`` is stored as 100001 by WeChat tools).
    - ``missing`` are the cell texts that mean "no value" (``-``, ``N/A``, ``暂无``).
    - ``non_negative`` are the extra number fields that cannot be below 0 (counts, prices,
      shares), as the canonical counts cannot: a negative cell is a data error.
    - ``origins`` maps export wording for the account's origin onto
      ``homegrown`` / ``cross_platform`` / ``celebrity``.
    - ``tiers`` is the platform's default tier table, used when a ruleset gives none.
    - ``required`` are the fields an input must have a column for (``id`` always; RED and
      Weibo also need ``followers``, WeChat does not, as follower counts are not public).
    """

    name: str
    label: str = ""
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    columns: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_freeze_columns)
    fields: Mapping[str, FieldType] = attrs.field(factory=dict)
    metrics: Mapping[str, str] = attrs.field(factory=dict)
    units: Mapping[str, float] = attrs.field(factory=dict)
    plus_adds: float = 0.0
    missing: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    origins: Mapping[str, str] = attrs.field(factory=dict)
    tiers: tuple[Tier, ...] = ()
    description: str = ""
    required: tuple[str, ...] = attrs.field(default=("id", "followers"), converter=_with_id)
    non_negative: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)

    @non_negative.validator
    def _check_non_negative(self, attribute: Any, value: tuple[str, ...]) -> None:
        wrong = [f for f in value if self.fields.get(f) != "number"]
        if wrong:
            raise ValueError(
                f"platform {self.name!r}: non_negative names {', '.join(map(repr, wrong))}, "
                "which are not number fields of its [fields] table; declare them there"
            )

    @classmethod
    def from_toml(cls, path: str | Path | Traversable) -> Platform:
        """Build a platform from a TOML data file shipped with a plugin.

        ``path`` may be a path or an ``importlib.resources`` traversable
        (``files(__name__) / "platform.toml"``). See ``docs/platforms.md`` for the keys.
        """
        if isinstance(path, str):
            path = Path(path)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Platform:
        """Build a platform from a mapping shaped like the TOML data file."""
        info = dict(data.get("platform", {}))
        numbers = dict(data.get("numbers", {}))
        tiers = tuple(
            Tier(
                name=str(t["name"]),
                min_followers=float(t.get("min_followers", 0)),
                max_followers=_opt_float(t.get("max_followers")),
                price_min=_opt_float(t.get("price_min")),
                price_max=_opt_float(t.get("price_max")),
                description=str(t.get("description", "")),
            )
            for t in data.get("tiers", ())
        )
        return cls(
            name=str(info["name"]),
            label=str(info.get("label", info["name"])),
            aliases=info.get("aliases", ()),
            description=str(info.get("description", "")),
            columns=data.get("columns", {}),
            fields={str(k): v for k, v in data.get("fields", {}).items()},
            metrics={str(k): str(v) for k, v in data.get("metrics", {}).items()},
            units={str(k): float(v) for k, v in numbers.get("units", {}).items()},
            plus_adds=float(numbers.get("plus_adds", 0.0)),
            missing=numbers.get("missing", ()),
            origins={str(k): str(v) for k, v in data.get("origins", {}).items()},
            tiers=tiers,
            required=tuple(info.get("required", ("id", "followers"))),
            non_negative=numbers.get("non_negative", ()),
        )

    def names(self) -> tuple[str, ...]:
        """The platform's name followed by its aliases."""
        return (self.name, *self.aliases)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@attrs.frozen
class Scorer:
    """A scoring strategy, picked by a ruleset's ``[scoring] strategy = "<name>"``.

    ``build(params)`` receives the ruleset's ``[scoring.params]`` table and returns the score
    as an expression in the kolrules expression language (a string). The engine compiles
    that expression once, for both the one-profile path and the columnar path, so a scorer
    never runs per row and both paths give the same score. The expression may use every
    field and metric and the names ``tier``, ``band_min``, ``band_max``, ``cpe`` and
    ``engagement``; the engine clamps its value to 0..100.

    ``build`` raises :class:`kolrules.errors.ScoringParamError` for bad parameters.
    """

    name: str
    build: Callable[[Mapping[str, Any]], str]
    description: str = ""


@attrs.frozen
class RuleParts:
    """What a :class:`RuleKind` builds for one rule: its ``require`` test, and optionally a
    ``when`` precondition and a default ``message`` template, all in the kolrules
    expression language (docs/rulesets.md). The rule's own ``when`` and ``message`` in the
    ruleset, when given, take precedence (its ``when`` is combined with ``and``)."""

    require: str
    when: str | None = None
    message: str | None = None


@attrs.frozen
class RuleKind:
    """A kind of rule, picked by ``kind = "<name>"`` in a ruleset's ``[[rules]]`` entry.

    ``build(params)`` receives the rule's ``params`` table and returns a :class:`RuleParts`.
    The engine compiles what it returns once, like a rule written with ``require``, for
    both the one-profile and the columnar path: a rule kind never runs per row. ``build``
    raises :class:`kolrules.errors.RuleParamError` for bad parameters.
    """

    name: str
    build: Callable[[Mapping[str, Any]], RuleParts]
    description: str = ""


@attrs.frozen
class Reader:
    """An input format. ``read(path)`` returns a polars DataFrame whose columns are the
    file's columns, in order, all of dtype String (cells as written; ``None`` for empty).
    It raises :class:`kolrules.errors.InputFileError` when the file cannot be read.

    ``batches(path, rows)``, when given, reads the same frame as a sequence of frames of
    about ``rows`` rows each, so that files larger than memory can be evaluated; without it
    the engine reads the whole file with ``read`` and evaluates it in slices.
    """

    name: str
    extensions: tuple[str, ...]
    read: Callable[[Path], pl.DataFrame]
    description: str = ""
    batches: Callable[[Path, int], Iterator[pl.DataFrame]] | None = None


@attrs.frozen
class Reporter:
    """An output format. ``render(report, stream)`` writes a :class:`Report` (the whole
    run) to a text stream.

    ``write_batches(frames, stream)``, when given, writes the same decisions batch by
    batch, as :class:`Reader`'s ``batches`` reads them: ``frames`` yields one decision
    frame per input batch, in input order (the columns of the ``csv`` format: see
    :data:`kolrules.evaluate.DECISION_COLUMNS`, then a ``rule:<id>`` column per rule), and
    ``stream`` is a binary stream. A reporter with it writes files larger than memory;
    without it the engine collects the run into a :class:`Report` and calls ``render``.
    """

    name: str
    extension: str
    render: Callable[[Report, IO[str]], None]
    description: str = ""
    write_batches: Callable[[Iterable[pl.DataFrame], IO[bytes]], None] | None = None


@attrs.frozen
class RulesetRef:
    """Which ruleset made a decision: its name, version and hash, and its chain of files.

    ``hash`` is the SHA-256 of the ruleset file; for an overlay (``extends``), the SHA-256
    of the SHA-256s of every file in its chain (docs/rulesets.md, "Overlays"). ``chain``
    lists the files, the ruleset's own file first, then the file it extends, and so on.
    """

    name: str
    version: str
    hash: str
    chain: tuple[str, ...] = ()


@attrs.frozen
class ToPass:
    """What one input would need for a failed rule to pass, the other inputs held:
    ``name`` ``op`` ``need`` (``op`` one of ``<=``, ``>=``, ``<``, ``>``, ``==``, ``!=``,
    ``present``; ``need`` is ``None`` for ``present``), where the value is ``now``.

    ``part`` numbers the parts of the rule (``a and b``, ``lo <= x <= hi``) that do not
    hold: every part is needed, and the entries of one part are alternatives.
    """

    name: str
    now: float | str | None
    op: str
    need: float | str | None
    part: int = 0


@attrs.frozen
class Finding:
    """What one rule said about one profile.

    ``to_pass`` is for a failed rule: what it would take to pass, each entry one input's
    bound with the others held (entries of one part are alternatives; see
    docs/rulesets.md, "What it would take"); ``None`` when kolrules cannot solve the rule
    for its inputs; empty for a rule that did not fail. ``superseded_by`` names the failed
    rule that says the same more strongly (its ``supersedes`` lists this one): the finding
    stays, but its message is not among the decision's reasons.

    A failed finding is data: ``seen`` holds each input, metric, tier or band the rule
    reads, with the value it saw, and ``thresholds`` the params it compared them with
    (both empty for a finding that did not fail).
    """

    rule: str
    stage: str
    outcome: Outcome
    severity: Severity
    message: str
    to_pass: tuple[ToPass, ...] | None = ()
    superseded_by: str | None = None
    seen: Mapping[str, Any] = attrs.field(factory=dict)
    thresholds: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class PriceAssessment:
    """The quoted price against the fair band of the profile's tier.

    ``position`` is ``None`` when there is no quote (``gifting`` is then true) or the tier
    has no band. ``cpe`` is the cost per engagement (quote / expected engagements per post).
    """

    quote: float | None
    band_min: float | None
    band_max: float | None
    position: PricePosition | None
    cpe: float | None
    gifting: bool


@attrs.frozen
class DataError:
    """A cell that could not be used: its column, the value as written and why.

    ``column`` is empty for a problem of the whole profile, found by a plugin's
    ``kolrules_profiles_validate`` hook; ``reason`` then names the plugin."""

    column: str
    value: str | None
    reason: str

    def __str__(self) -> str:
        if not self.column:  # a problem of the whole profile (a plugin's check)
            return self.reason
        shown = "" if self.value is None else f" {self.value!r}"
        return f"column {self.column!r}{shown}: {self.reason}"


@attrs.frozen
class RowError:
    """An input row that was not evaluated, with its 1-based row number and the reasons."""

    row: int
    id: str | None
    errors: tuple[DataError, ...]

    @property
    def reason(self) -> str:
        return "; ".join(str(e) for e in self.errors)

    def __str__(self) -> str:
        who = f" (id {self.id})" if self.id else ""
        return f"row {self.row}{who}: {self.reason}"


@attrs.frozen
class Applied:
    """How many of a ruleset's vetting rules a profile's values let be applied: ``rules``
    of ``of``; ``missing``, the input fields (in field order) whose absence kept the others
    from being applied; ``enough``, whether that meets ``[verdict] min_applicable`` (a
    profile that does not goes to review, with :attr:`note` among its reasons)."""

    rules: int
    of: int
    missing: tuple[str, ...] = ()
    enough: bool = True

    @property
    def note(self) -> str:
        """``only 2 of 9 vetting rules could be applied: missing avg_likes, price``."""
        said = f"only {self.rules} of {self.of} vetting rules could be applied"
        return said + (f": missing {', '.join(self.missing)}" if self.missing else "")


@attrs.frozen
class Decision:
    """The engine's answer for one profile."""

    id: str
    platform: str
    row: int | None
    verdict: Verdict
    tier: str | None
    score: float | None
    price: PriceAssessment
    findings: tuple[Finding, ...]
    data_errors: tuple[DataError, ...]
    ruleset: RulesetRef
    metrics: Mapping[str, float | str | bool | None] = attrs.field(factory=dict)
    #: Why the verdict is what it is: the rules, the escalation or the data errors that
    #: made it (``"review: 2 warnings escalate to review: few-comments, few-posts"``).
    why: str = ""
    #: Why there is no score, when the ruleset scores and this profile has none
    #: (``"score missing: avg_likes, avg_comments not in the input"``); else ``None``.
    score_missing: str | None = None
    #: How many vetting rules could be applied (``None``: the ruleset has none).
    applied: Applied | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is what it is: the data errors, then, when too few vetting rules
        could be applied, how many were, then the messages of the findings that failed,
        worst severity first (in rule order within a severity), leaving out those another
        failed rule supersedes."""
        thin = () if self.applied is None or self.applied.enough else (self.applied.note,)
        errors = (f"data error: {e}" for e in self.data_errors)
        return (*errors, *thin, *(f.message for f in self.said()))

    def said(self) -> tuple[Finding, ...]:
        """The failed findings that the reasons say: worst severity first (in rule order
        within a severity), without those another failed rule supersedes."""
        order = {"reject": 0, "review": 1, "warn": 2, "info": 3}
        return tuple(
            sorted(
                (f for f in self.findings if f.outcome == "fail" and f.superseded_by is None),
                key=lambda f: order[f.severity],
            )
        )

    def failed(self) -> Iterator[Finding]:
        """The findings whose rule failed."""
        return (f for f in self.findings if f.outcome == "fail")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (docs/python-api.md lists the keys): nested
        values as dicts, tuples as lists, and a number that is not finite (NaN or
        infinity, which a plugin's derived metric may give) as ``None``, as the ``json``
        format writes it, so that ``json.dumps(decision.to_dict(), allow_nan=False)``
        works and ``json.loads`` of it gives the dict back."""
        from kolrules.formats.json_text import jsonable  # the json format's own

        out: dict[str, Any] = jsonable(self)
        return out

    def _repr_html_(self) -> str:
        """The decision as an HTML table, for Jupyter (:mod:`kolrules.formats.html_table`):
        its verdict in colour, reasons with what it would take to pass, every finding."""
        from kolrules.formats.html_table import decision_html

        return decision_html(self)


class _Counted:
    """The summary of a run, from ``rows_read`` and ``counts`` (accepted, review, rejected,
    errors), shared by :class:`Report` and :class:`Summary`."""

    __slots__ = ()
    rows_read: int
    if TYPE_CHECKING:  # each class has its own counts: computed (Report) or given (Summary)

        @property
        def counts(self) -> Mapping[str, int]: ...

    def summary_line(self) -> str:
        """``rows read 40 = accepted 20 + review 11 + rejected 5 + errors 4``."""
        c = self.counts
        return (
            f"rows read {self.rows_read} = accepted {c['accepted']} + review {c['review']} "
            f"+ rejected {c['rejected']} + errors {c['errors']}"
        )

    def accounted(self) -> bool:
        """Whether every row read is either a decision or a row error."""
        return self.rows_read == sum(self.counts.values())

    def summary(self) -> dict[str, Any]:
        """``rows_read`` and the counts, as a JSON-ready dict."""
        return {"rows_read": self.rows_read, **self.counts}


@attrs.frozen
class Columns:
    """What was read from an input's headers (``kolrules columns``; the table's columns
    block and the json format's ``columns``):

    - ``read``: each field found, in field order, and the header it was read from;
    - ``unused``: the headers no field reads, in file order;
    - ``lacking``: the fields the rules read (themselves or through metrics) that no
      header gives, each with the ids of the rules that read it;
    - ``required``: the platform's required fields that no header gives (a run stops);
    - ``not_applied``: the rules not applied to any row, as every input they read is
      lacking (``Engine.plan_for``): said here once rather than on every row.
    """

    read: Mapping[str, str]
    unused: tuple[str, ...]
    lacking: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    required: tuple[str, ...] = ()
    not_applied: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``read``, ``unused``, ``lacking``, ``not_applied`` (and
        ``required``, when a required field is lacking)."""
        out: dict[str, Any] = {
            "read": dict(self.read),
            "unused": list(self.unused),
            "lacking": {field: list(rules) for field, rules in self.lacking.items()},
            "not_applied": list(self.not_applied),
        }
        if self.required:
            out["required"] = list(self.required)
        return out


@attrs.frozen
class Report(_Counted):
    """The outcome of one run: decisions and row errors, both in input order.

    ``rows_read`` counts the data rows read from the input; ``source`` names the input
    (a path), when there was one; ``columns`` how its headers were read, for a file or
    frame (not for mappings given one by one).
    """

    decisions: tuple[Decision, ...]
    errors: tuple[RowError, ...]
    rows_read: int
    ruleset: RulesetRef
    source: str | None = None
    columns: Columns | None = attrs.field(default=None, eq=False)

    @property
    def counts(self) -> dict[str, int]:
        """``{"accepted": n, "review": n, "rejected": n, "errors": n}``."""
        verdicts = [d.verdict for d in self.decisions]
        return {
            "accepted": verdicts.count("accept"),
            "review": verdicts.count("review"),
            "rejected": verdicts.count("reject"),
            "errors": len(self.errors),
        }

    def in_row_order(self) -> Iterator[Decision | RowError]:
        """Decisions and row errors merged by row number (stable; rowless decisions last)."""
        entries: list[Decision | RowError] = [*self.decisions, *self.errors]
        order = sorted(
            range(len(entries)),
            key=lambda i: (entries[i].row is None, entries[i].row or 0, i),
        )
        return (entries[i] for i in order)

    def to_polars(self) -> pl.DataFrame:
        """The decisions and row errors as a polars DataFrame, one row per input row in
        input order: the csv format's columns (:data:`kolrules.evaluate.DECISION_COLUMNS`,
        then a ``rule:<id>`` column per rule), the same values, typed (``row`` Int64;
        ``score``, ``quote``, ``band_min``, ``band_max``, ``cpe`` Float64; ``gifting``
        Boolean; the rest String). A row error has ``status`` ``error`` and its reasons in
        ``errors``."""
        from kolrules.report import frame_of

        return frame_of(self)

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`to_polars` as a pandas DataFrame with pandas' nullable dtypes (``Int64``,
        ``Float64``, ``boolean``, ``string``; a missing value is ``pd.NA``). Needs pandas
        and pyarrow: ``pip install 'kolrules[pandas]'``."""
        from kolrules.formats.frames import pandas_of, require

        require("Report.to_pandas()", "pandas", "pyarrow")
        return pandas_of(self.to_polars())

    def to_arrow(self) -> pa.Table:
        """:meth:`to_polars` as a pyarrow Table (``int64``, ``double``, ``bool``,
        ``large_string``). Needs pyarrow: ``pip install 'kolrules[pandas]'``."""
        from kolrules.formats.frames import arrow_of, require

        require("Report.to_arrow()", "pyarrow")
        return arrow_of(self.to_polars())

    def to_html(self, rows: int | None = None) -> str:
        """The report as HTML (what Jupyter shows, :meth:`_repr_html_`): the ruleset,
        the counts by verdict, the first ``rows`` decisions and row errors (default
        :data:`kolrules.formats.html_table.HTML_ROWS`, 50), and how many more there are."""
        from kolrules.formats.html_table import HTML_ROWS, report_html

        return report_html(self, HTML_ROWS if rows is None else rows)

    def _repr_html_(self) -> str:
        return self.to_html()


@attrs.frozen
class Summary(_Counted):
    """What a run that wrote its decisions straight to a file decided, in counts
    (:meth:`kolrules.Engine.evaluate_to_file`)."""

    rows_read: int
    counts: Mapping[str, int]
    ruleset: RulesetRef
    source: str | None = None
    target: str | None = None
