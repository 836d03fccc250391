"""The ``html`` format: a run as one self-contained HTML report for people, gathered batch
by batch in bounded memory and written when the run ends.

What the page shows:

- the summary: rows read and the counts by verdict, a table of tiers by verdict, the
  ruleset (name, version, hash, chain of files), the input and when the report was run;
- four charts, SVG drawn here (no script needed to see them): total likes against
  followers on log axes, coloured by verdict, with the lines of likes = 1x and 3x
  followers; each tier's quotes against its fair band; cost per engagement by tier; the
  rules failed most;
- a table of the KOLs (the first :data:`TABLE_ROWS` evaluated, in input order), sortable
  and filterable by verdict, tier and failed rule, with their reasons and what it would
  take to pass, and each one's detail (every rule's outcome, the metrics) on a click;
- the rows not evaluated (the first :data:`ERROR_ROWS`).

What the report reads from the decision frames (:class:`~kolrules.formats.StreamedRun`):
the columns of :data:`kolrules.evaluate.DECISION_COLUMNS` and the ``rule:<id>`` columns;
kept input columns (the nickname, 昵称) as table columns; and, when the frames carry them,
``value:followers`` and ``value:total_likes`` (numbers, for the scatter chart and the
table) and ``metric:<name>`` columns (for the detail). ``kolrules report`` gives all of
these; a run without them draws the rest and says what is missing.

Bounded whatever the input's size: the counts are counts; the scatter chart draws at most
:data:`SCATTER_POINTS` points and each tier's percentiles come from at most
:data:`TIER_SAMPLE` values, both deterministic samples (the rows whose number hashes
lowest, so the same input draws the same points, said on the chart); the table's rows are
kept gzip-compressed as they come. The page loads nothing from the network: its style and
script are inlined (:mod:`kolrules.formats.html_report_assets`), its table rows are base64
text in the page, and every text from the input or the ruleset is escaped.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, cast

import attrs

from kolrules.evaluate import DECISION_COLUMNS, JOIN
from kolrules.formats.html_report_assets import LABELS, LANGS, SCRIPT, STYLE, Lang
from kolrules.formats.stream import StreamedRun
from kolrules.types import Report, Reporter

if TYPE_CHECKING:
    import polars as pl

    from kolrules.ruleset import Rule

__all__ = [
    "ERROR_ROWS",
    "HTML",
    "SCATTER_POINTS",
    "TABLE_ROWS",
    "TIER_SAMPLE",
    "html_reporter",
    "write_html_report",
]

#: The evaluated KOLs the table lists, the first in input order; the counts and charts
#: cover every row. About 130 bytes of the file per KOL (the rows are gzip-compressed).
TABLE_ROWS = 20_000
#: The rows not evaluated that the report lists, the first in input order.
ERROR_ROWS = 1_000
#: The most points the scatter chart draws (a deterministic sample beyond).
SCATTER_POINTS = 5_000
#: The most quotes (and costs per engagement) per tier the percentiles are taken from.
TIER_SAMPLE = 2_000
#: How many table rows the page shows at a time.
PAGE_ROWS = 100
#: Prefixes of the optional columns the report reads: input values, metrics.
VALUE, METRIC = "value:", "metric:"

_VERDICTS = ("accept", "review", "reject")
_OUTCOMES = ("fail", "pass", "not_applicable")
_CODES = {"pass": "p", "fail": "f", "not_applicable": "n"}
_VALUES = ("followers", "total_likes")
_LOCALES: Mapping[Lang, str] = {"en": "en", "zh": "zh-CN"}


# --------------------------------------------------------------------------------------
# What the report gathers, batch by batch
# --------------------------------------------------------------------------------------


def _hashed() -> pl.Expr:
    """A number per row, from its row number alone (Knuth's multiplicative hash, a
    one-to-one map of 32-bit numbers): the samples keep the rows it puts lowest."""
    import polars as pl

    return ((pl.col("row").cast(pl.UInt64) * 2_654_435_761) % 4_294_967_296).alias("h")


def _lowest(kept: pl.DataFrame | None, new: pl.DataFrame, k: int, over: str | None) -> Any:
    """The ``k`` rows of ``kept`` and ``new`` with the lowest ``h`` (per ``over``)."""
    import polars as pl

    both = new if kept is None else pl.concat([kept, new], how="vertical_relaxed")
    if over is None:
        return both.sort("h").head(k)
    return both.filter(pl.col("h").rank("ordinal").over(over) <= k)


def _finite(name: str) -> pl.Expr:
    import polars as pl

    x = pl.col(name).cast(pl.Float64)
    return pl.when(x.is_finite()).then(x)


class _Gathered:
    """What the report shows, gathered from the decision frames as they come: counts,
    bounded samples, and the first rows of the table (gzip-compressed)."""

    def __init__(self, table_rows: int, scatter_points: int) -> None:
        self.table_rows, self.scatter_points = table_rows, scatter_points
        self.evaluated = 0
        self.tiers: dict[tuple[str | None, str], int] = {}
        self.positions: dict[tuple[str | None, str | None], int] = {}
        self.bands: dict[str | None, tuple[float | None, float | None]] = {}
        self.outcomes: dict[str, dict[str, int]] = {}
        self.quotes: pl.DataFrame | None = None
        self.quoted: dict[str | None, int] = {}
        self.cpes: pl.DataFrame | None = None
        self.costed: dict[str | None, int] = {}
        self.points: pl.DataFrame | None = None
        self.plottable = 0
        #: Whether the frames carry followers and total likes (``value:`` columns).
        self.values = False
        self.kept: list[str] = []
        self.rules: list[str] = []
        self.metrics: list[str] = []
        self.listed = 0
        self._packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip stream
        self._packed: list[bytes] = [self._packer.compress(b"[")]
        self.errors: list[tuple[int, str | None, str]] = []
        self.error_count = 0
        self._started = False

    def add(self, frame: pl.DataFrame) -> None:
        import polars as pl

        if not self._started:  # the columns the report reads are the first frame's
            self._started = True
            special = (VALUE, METRIC, "rule:")
            self.kept = [
                c for c in frame.columns if c not in DECISION_COLUMNS and not c.startswith(special)
            ]
            self.rules = [c.removeprefix("rule:") for c in frame.columns if c.startswith("rule:")]
            self.metrics = [c.removeprefix(METRIC) for c in frame.columns if c.startswith(METRIC)]
            self.values = {f"{VALUE}followers", f"{VALUE}total_likes"} <= set(frame.columns)
        evaluated = pl.col("status") == "evaluated"
        ev = frame.filter(evaluated).with_columns(_hashed())
        self.evaluated += ev.height
        self._count(ev)
        self._sample(ev)
        self._list(ev)
        failed = frame.filter(evaluated.not_())
        self.error_count += failed.height
        room = ERROR_ROWS - len(self.errors)
        if room > 0 and failed.height:
            self.errors += failed.head(room).select("row", "id", "errors").iter_rows()

    def _count(self, ev: pl.DataFrame) -> None:
        import polars as pl

        for tier, verdict, n in ev.group_by("tier", "verdict").len().iter_rows():
            self.tiers[tier, verdict] = self.tiers.get((tier, verdict), 0) + n
        position = (
            pl.when(pl.col("position").is_null() & pl.col("gifting").fill_null(False))
            .then(pl.lit("gifting"))
            .otherwise(pl.col("position"))
        )
        for tier, where, n in ev.group_by("tier", position.alias("p")).len().iter_rows():
            self.positions[tier, where] = self.positions.get((tier, where), 0) + n
        bands = ev.group_by("tier").agg(
            pl.col("band_min").drop_nulls().first(), pl.col("band_max").drop_nulls().first()
        )
        for tier, low, high in bands.iter_rows():
            if self.bands.get(tier, (None, None)) == (None, None):
                self.bands[tier] = (low, high)
        rules = [f"rule:{r}" for r in self.rules]
        if not rules or not ev.height:
            return
        totals = ev.select(
            (pl.col(c) == o).sum().alias(f"{o}\0{c}") for c in rules for o in _OUTCOMES
        ).row(0)
        for i, rule in enumerate(self.rules):
            counts = self.outcomes.setdefault(rule, dict.fromkeys(_OUTCOMES, 0))
            for j, o in enumerate(_OUTCOMES):
                counts[o] += int(totals[i * len(_OUTCOMES) + j] or 0)

    def _sample(self, ev: pl.DataFrame) -> None:
        import polars as pl

        quotes = ev.select("tier", "h", _finite("quote").alias("v")).filter(pl.col("v") > 0)
        cpes = ev.select("tier", "h", _finite("cpe").alias("v")).filter(pl.col("v") >= 0)
        for tier, n in quotes.group_by("tier").len().iter_rows():
            self.quoted[tier] = self.quoted.get(tier, 0) + n
        for tier, n in cpes.group_by("tier").len().iter_rows():
            self.costed[tier] = self.costed.get(tier, 0) + n
        self.quotes = _lowest(self.quotes, quotes, TIER_SAMPLE, "tier")
        self.cpes = _lowest(self.cpes, cpes, TIER_SAMPLE, "tier")
        if not self.values:
            return
        points = ev.select(
            "h",
            "verdict",
            _finite(f"{VALUE}followers").alias("x"),
            _finite(f"{VALUE}total_likes").alias("y"),
        ).filter((pl.col("x") > 0) & (pl.col("y") > 0))
        self.plottable += points.height
        self.points = _lowest(self.points, points, self.scatter_points, None)

    def _list(self, ev: pl.DataFrame) -> None:
        """The next evaluated rows of the table, as JSON objects keyed by
        :meth:`table_columns`, into the gzip stream."""
        import polars as pl

        room = self.table_rows - self.listed
        if room <= 0 or not ev.height:
            return
        codes = [
            pl.col(f"rule:{r}").replace_strict(_CODES, default="-", return_dtype=pl.String)
            for r in self.rules
        ]
        metrics = [_finite(f"{METRIC}{m}").round_sig_figs(4) for m in self.metrics]
        values = [_finite(f"{VALUE}{v}").round(0) if self.values else pl.lit(None) for v in _VALUES]
        exprs = [
            pl.col("row"),
            pl.col("id"),
            *(pl.col(k).cast(pl.String) for k in self.kept),
            pl.col("verdict"),
            pl.col("tier"),
            _finite("score").round(1),
            *values,
            *(_finite(c).round(2) for c in ("quote", "band_min", "band_max")),
            pl.col("position"),
            _finite("cpe").round(2),
            pl.col("gifting"),
            pl.col("reasons"),
            pl.col("to_pass"),
            pl.col("errors"),
            pl.concat_str([c.fill_null("-") for c in codes]) if codes else pl.lit(""),
            pl.concat_list(metrics) if metrics else pl.lit(None),
        ]
        keys = self.table_columns()
        shown = ev.head(room).select(e.alias(k) for e, k in zip(exprs, keys, strict=True))
        # One object a line, with no line break inside one (JSON escapes them in text).
        text = shown.write_ndjson().rstrip("\n").replace("\n", ",")
        self._packed.append(self._packer.compress((("," if self.listed else "") + text).encode()))
        self.listed += shown.height

    def table_columns(self) -> list[str]:
        """The keys of a table row (the page's script reads them)."""
        return [
            "row",
            "id",
            *(f"kept:{k}" for k in self.kept),
            "verdict",
            "tier",
            "score",
            "followers",
            "total_likes",
            "quote",
            "band_min",
            "band_max",
            "position",
            "cpe",
            "gifting",
            "reasons",
            "to_pass",
            "errors",
            "outcomes",
            "metrics",
        ]

    def packed_rows(self) -> str:
        """The table's rows: a JSON array of objects, gzip-compressed, as base64 text."""
        data = b"".join([*self._packed, self._packer.compress(b"]"), self._packer.flush()])
        return base64.b64encode(data).decode("ascii")

    def tier_order(self) -> list[str | None]:
        """The tiers seen, cheapest fair band first, those without a band then by name,
        no tier last."""
        seen = {t for t, _ in self.tiers}

        def key(tier: str | None) -> tuple[bool, float, str]:
            low, high = self.bands.get(tier, (None, None))
            start = low if low is not None else high if high is not None else math.inf
            return (tier is None, start, tier or "")

        return sorted(seen, key=key)


# --------------------------------------------------------------------------------------
# The charts: SVG text
# --------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _group(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _short(value: float, lang: Lang) -> str:
    """A power of ten as an axis shows it: ``10k``, ``1M`` (``1万``, ``100万`` in Chinese)."""
    steps = (
        ((1e8, "亿"), (1e4, "万"), (1e3, "千"))
        if lang == "zh"
        else ((1e9, "B"), (1e6, "M"), (1e3, "k"))
    )
    for size, unit in steps:
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def _decades(low: float, high: float) -> tuple[int, int]:
    """The whole powers of ten around ``low`` and ``high`` (both above zero)."""
    a, b = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return a, max(b, a + 1)


def _percentiles(values: pl.Series, qs: Sequence[float]) -> list[float]:
    return [float(cast(float, values.quantile(q, interpolation="linear"))) for q in qs]


class _Svg:
    """An SVG chart being written: its size, and text appended part by part."""

    def __init__(self, width: int, height: int, label: str) -> None:
        self.parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}">']

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, words: str, attrs: str = "") -> None:
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}"{attrs}>{_e(words)}</text>')

    def done(self) -> str:
        return "".join([*self.parts, "</svg>"])


def _figure(title: str, body: str, notes: Sequence[str], legend: str = "") -> str:
    said = "".join(f"<p>{_e(n)}</p>" for n in notes if n)
    caption = f"<figcaption>{said}</figcaption>" if said else ""
    return f"<figure><h3>{_e(title)}</h3>{legend}{body}{caption}</figure>"


def _scatter(g: _Gathered, words: Mapping[str, str], lang: Lang) -> str:
    title = words["scatter_title"]
    if not g.values:
        return _figure(title, "", [words["scatter_no_values"]])
    left_out = g.evaluated - g.plottable
    notes = [words["scatter_left_out"].format(n=_group(left_out)) if left_out else ""]
    points = g.points
    if points is None or not points.height:
        return _figure(title, "", [words["scatter_none"], *notes])
    shown = points.height
    notes.insert(
        0,
        words["scatter_sample"].format(shown=_group(shown), total=_group(g.plottable))
        if shown < g.plottable
        else words["scatter_all"].format(total=_group(g.plottable)),
    )
    xs, ys = points.get_column("x"), points.get_column("y")
    x0, x1 = _decades(float(cast(float, xs.min())), float(cast(float, xs.max())))
    y0, y1 = _decades(float(cast(float, ys.min())), float(cast(float, ys.max())))
    width, height, ml, mr, mt, mb = 640, 430, 58, 12, 10, 46
    pw, ph = width - ml - mr, height - mt - mb

    def px(v: float) -> float:
        return ml + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return mt + ph - (v - y0) / (y1 - y0) * ph

    svg = _Svg(width, height, title)
    svg.add(f'<defs><clipPath id="scatter-plot"><rect x="{ml}" y="{mt}" width="{pw}" ')
    svg.add(f'height="{ph}"/></clipPath></defs><g class="grid">')
    xstep, ystep = max(1, (x1 - x0) // 7), max(1, (y1 - y0) // 7)
    for d in range(x0, x1 + 1, xstep):
        svg.add(f'<line x1="{px(d):.1f}" x2="{px(d):.1f}" y1="{mt}" y2="{mt + ph}"/>')
        svg.text(px(d), mt + ph + 15, _short(10.0**d, lang), ' class="tick" text-anchor="middle"')
    for d in range(y0, y1 + 1, ystep):
        svg.add(f'<line x1="{ml}" x2="{ml + pw}" y1="{py(d):.1f}" y2="{py(d):.1f}"/>')
        svg.text(ml - 6, py(d) + 4, _short(10.0**d, lang), ' class="tick" text-anchor="end"')
    svg.add(f'</g><rect class="frame" x="{ml}" y="{mt}" width="{pw}" height="{ph}"/>')
    svg.add('<g clip-path="url(#scatter-plot)">')
    for times, kind in ((1, "fake"), (3, "usual")):
        lift = math.log10(times)
        svg.add(
            f'<line class="line-{kind}" x1="{px(x0):.1f}" y1="{py(x0 + lift):.1f}" '
            f'x2="{px(x1):.1f}" y2="{py(x1 + lift):.1f}"/>'
        )
    import polars as pl

    drawn = points.with_columns(
        pl.col("x").log10().alias("lx"), pl.col("y").log10().alias("ly")
    ).sort("h")
    for verdict in _VERDICTS:
        svg.add(f'<g class="p-{verdict}">')
        for lx, ly in drawn.filter(pl.col("verdict") == verdict).select("lx", "ly").iter_rows():
            svg.add(f'<circle cx="{px(lx):.1f}" cy="{py(ly):.1f}" r="2.3"/>')
        svg.add("</g>")
    svg.add("</g>")
    svg.text(ml + pw / 2, height - 6, words["scatter_x"], ' text-anchor="middle"')
    svg.text(
        14,
        mt + ph / 2,
        words["scatter_y"],
        f' text-anchor="middle" transform="rotate(-90 14 {mt + ph / 2:.1f})"',
    )
    counts = {
        v: n for v, n in drawn.get_column("verdict").value_counts().iter_rows() if v is not None
    }
    legend = "".join(
        f'<span><i class="sw p-{v}"></i>{_e(LABELS[lang]["verdict"].get(v, v))} '
        f"{_group(counts.get(v, 0))}</span>"
        for v in _VERDICTS
    )
    legend += f'<span><i class="dash line-fake"></i>{_e(words["line_fake"])}</span>'
    legend += f'<span><i class="dash line-usual"></i>{_e(words["line_usual"])}</span>'
    return _figure(title, svg.done(), notes, f'<div class="legend">{legend}</div>')


def _tier_word(tier: str | None, lang: Lang) -> str:
    if tier is None:
        return LABELS[lang]["words"]["no_tier"]
    return LABELS[lang]["tier"].get(tier, tier)


def _quotes(g: _Gathered, words: Mapping[str, str], lang: Lang) -> str:
    import polars as pl

    title = words["quotes_title"]
    sample = g.quotes
    tiers = [t for t in g.tier_order() if g.quoted.get(t) or any(g.bands.get(t, (None, None)))]
    if sample is None or not sample.height or not tiers:
        return _figure(title, "", [words["quotes_none"]])
    stats: dict[str | None, list[float]] = {}
    ends: list[float] = []
    for tier in tiers:
        values = sample.filter(pl.col("tier").eq_missing(tier)).get_column("v")
        if values.len():
            stats[tier] = _percentiles(values, (0.1, 0.25, 0.5, 0.75, 0.9))
            ends += [stats[tier][0], stats[tier][-1]]
        ends += [b for b in g.bands.get(tier, (None, None)) if b is not None and b > 0]
    lo, hi = _decades(min(ends), max(ends))
    row_h, ml, pw, top = 40, 110, 330, 8
    width, height = ml + pw + 250, top + row_h * len(tiers) + 28

    def px(v: float) -> float:
        return ml + (math.log10(max(v, 10.0**lo)) - lo) / (hi - lo) * pw

    svg = _Svg(width, height, title)
    svg.add('<g class="grid">')
    for d in range(lo, hi + 1):
        svg.add(f'<line x1="{px(10.0**d):.1f}" x2="{px(10.0**d):.1f}" y1="{top}" ')
        svg.add(f'y2="{height - 24}"/>')
        svg.text(
            px(10.0**d), height - 8, _short(10.0**d, lang), ' class="tick" text-anchor="middle"'
        )
    svg.add("</g>")
    for i, tier in enumerate(tiers):
        mid = top + row_h * i + row_h / 2
        low, high = g.bands.get(tier, (None, None))
        if low is not None or high is not None:
            a = px(low) if low is not None else ml
            b = px(high) if high is not None else ml + pw
            svg.add(f'<rect class="band" x="{a:.1f}" y="{mid - 11:.1f}" width="{b - a:.1f}" ')
            svg.add('height="22"/>')
            if high is None:
                svg.text(b - 4, mid + 4, words["band_open"], ' class="tick" text-anchor="end"')
        svg.text(ml - 8, mid - 2, _tier_word(tier, lang), ' text-anchor="end"')
        quoted = g.quoted.get(tier, 0)
        svg.text(
            ml - 8,
            mid + 12,
            words["quotes_n"].format(n=_group(quoted)),
            ' class="tick" text-anchor="end"',
        )
        if tier in stats:
            p10, p25, p50, p75, p90 = (px(v) for v in stats[tier])
            svg.add(f'<line class="whisker" x1="{p10:.1f}" x2="{p90:.1f}" y1="{mid}" y2="{mid}"/>')
            svg.add(
                f'<rect class="box" x="{p25:.1f}" y="{mid - 7:.1f}" '
                f'width="{max(p75 - p25, 1):.1f}" height="14"/>'
            )
            svg.add(f'<line class="median" x1="{p50:.1f}" x2="{p50:.1f}" y1="{mid - 9:.1f}" ')
            svg.add(f'y2="{mid + 9:.1f}"/>')
        where = {p: g.positions.get((tier, p), 0) for p in ("below", "within", "above", "gifting")}
        said = words["quotes_counts"].format(**{k: _group(v) for k, v in where.items()})
        svg.text(ml + pw + 10, mid - 2, said, ' class="tick"')
        if where["gifting"]:
            gifting = words["quotes_gifting"].format(n=_group(where["gifting"]))
            svg.text(ml + pw + 10, mid + 12, gifting, ' class="tick"')
    notes = [words["quotes_key"]]
    if any(n > TIER_SAMPLE for n in g.quoted.values()):
        notes.append(words["sample_note"].format(k=_group(TIER_SAMPLE), what=words["quotes_what"]))
    return _figure(title, svg.done(), notes)


def _nice(top: float) -> float:
    """A round step for about four ticks up to ``top``."""
    raw = top / 4
    power = 10.0 ** math.floor(math.log10(raw))
    return next(s * power for s in (1.0, 2.0, 2.5, 5.0, 10.0) if s * power >= raw)


def _cpe(g: _Gathered, words: Mapping[str, str], lang: Lang) -> str:
    import polars as pl

    title = words["cpe_title"]
    sample = g.cpes
    stats: dict[str | None, list[float]] = {}
    for tier in g.tier_order():
        if sample is None:
            break
        values = sample.filter(pl.col("tier").eq_missing(tier)).get_column("v")
        if values.len():
            stats[tier] = _percentiles(values, (0.25, 0.5, 0.75))
    if not stats:
        return _figure(title, "", [words["cpe_none"]])
    top = max(max(s) for s in stats.values()) or 1.0
    step = _nice(top)
    end = step * math.ceil(top / step)
    row_h, ml, pw, margin = 32, 118, 380, 8
    width, height = ml + pw + 120, margin + row_h * len(stats) + 28

    def px(v: float) -> float:
        return ml + v / end * pw

    svg = _Svg(width, height, title)
    svg.add('<g class="grid">')
    tick = 0.0
    while tick <= end * 1.0001:
        svg.add(f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{margin}" ')
        svg.add(f'y2="{height - 24}"/>')
        svg.text(px(tick), height - 8, f"{tick:,.4g}", ' class="tick" text-anchor="middle"')
        tick += step
    svg.add("</g>")
    for i, (tier, (p25, p50, p75)) in enumerate(stats.items()):
        mid = margin + row_h * i + row_h / 2
        svg.text(ml - 8, mid + 4, _tier_word(tier, lang), ' text-anchor="end"')
        svg.add(f'<rect class="bar" x="{ml}" y="{mid - 9:.1f}" width="{px(p50) - ml:.1f}" ')
        svg.add('height="18"/>')
        svg.add(f'<line class="whisker" x1="{px(p25):.1f}" x2="{px(p75):.1f}" y1="{mid}" ')
        svg.add(f'y2="{mid}"/>')
        label = f"¥{p50:,.2f} ({_group(g.costed.get(tier, 0))})"
        svg.text(max(px(p50), px(p75)) + 6, mid + 4, label, ' class="tick"')
    notes = [words["cpe_key"]]
    if any(n > TIER_SAMPLE for n in g.costed.values()):
        notes.append(words["sample_note"].format(k=_group(TIER_SAMPLE), what=words["cpe_what"]))
    return _figure(title, svg.done(), notes)


#: The most rules the rules chart draws; the others are named below it.
CHART_RULES = 15


def _rules(g: _Gathered, words: Mapping[str, str], known: Mapping[str, Rule], lang: Lang) -> str:
    title = words["rules_title"]
    failed = sorted(
        ((r, c["fail"]) for r, c in g.outcomes.items() if c["fail"]), key=lambda p: -p[1]
    )
    clean = [r for r in g.rules if not g.outcomes.get(r, {}).get("fail")]
    notes = [words["rules_key"].format(n=_group(g.evaluated))]
    if clean:
        notes.append(words["rules_clean"].format(rules=", ".join(clean)))
    if not failed:
        return _figure(title, "", [words["rules_none"], *notes[1:]])
    drawn, more = failed[:CHART_RULES], failed[CHART_RULES:]
    if more:
        notes.append(words["rules_more"].format(n=len(more), rules=", ".join(r for r, _ in more)))
    row_h, ml, pw, margin = 24, 200, 300, 6
    width, height = ml + pw + 120, margin * 2 + row_h * len(drawn)
    most = drawn[0][1]
    svg = _Svg(width, height, title)
    for i, (rule, n) in enumerate(drawn):
        mid = margin + row_h * i + row_h / 2
        shown = rule if len(rule) <= 30 else rule[:29] + "…"
        svg.add(f'<text x="{ml - 8}" y="{mid + 4:.1f}" text-anchor="end"><title>{_e(rule)}')
        svg.add(f"</title>{_e(shown)}</text>")
        severity = known[rule].severity if rule in known else "info"
        length = max(n / most * pw, 1.0)
        svg.add(f'<rect class="s-{_e(severity)}" x="{ml}" y="{mid - 8:.1f}" ')
        svg.add(f'width="{length:.1f}" height="16"/>')
        share = n / g.evaluated if g.evaluated else 0.0
        svg.text(ml + length + 6, mid + 4, f"{_group(n)} ({share:.1%})", ' class="tick"')
    severities = dict.fromkeys(known[r].severity if r in known else "info" for r, _ in drawn)
    legend = "".join(
        f'<span><i class="sw s-{_e(s)}"></i>{_e(LABELS[lang]["severity"].get(s, s))}</span>'
        for s in severities
    )
    return _figure(title, svg.done(), notes, f'<div class="legend">{legend}</div>')


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def _summary(run: StreamedRun, g: _Gathered, words: Mapping[str, str], lang: Lang) -> str:
    summary = run.summary()
    read = summary.rows_read
    names = {"accept": "accepted", "review": "review", "reject": "rejected", "error": "errors"}
    cards = [
        f'<div class="card"><span class="n">{_group(read)}</span>{_e(words["rows_read"])}</div>'
    ]
    for kind, key in names.items():
        n = summary.counts.get(key, 0)
        share = words["of_rows"].format(pct=f"{n / read:.1%}" if read else "-")
        cards.append(
            f'<div class="card {kind}"><span class="n">{_group(n)}</span>'
            f'{_e(words[kind])}<br><span class="p">{_e(share)}</span></div>'
        )
    verdicts = LABELS[lang]["verdict"]
    head = "".join(f'<th class="num">{_e(verdicts.get(v, v))}</th>' for v in _VERDICTS)
    rows = []
    for tier in g.tier_order():
        counts = [g.tiers.get((tier, v), 0) for v in _VERDICTS]
        cells = "".join(f'<td class="num">{_group(n)}</td>' for n in [*counts, sum(counts)])
        rows.append(f"<tr><td>{_e(_tier_word(tier, lang))}</td>{cells}</tr>")
    table = (
        f'<table><thead><tr><th>{_e(words["tier"])}</th>{head}<th class="num">'
        f"{_e(words['total'])}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        f'<section id="summary"><h2>{_e(words["summary"])}</h2><div class="cards">'
        f"{''.join(cards)}</div><h3>{_e(words['by_tier'])}</h3>{table}</section>"
    )


def _heading(run: StreamedRun, words: Mapping[str, str], now: datetime) -> str:
    rs = run.ruleset
    facts = [
        (words["ruleset"], f"{rs.name} {rs.version}"),
        (words["hash"], rs.hash[:12]),
        (words["input"], run.source or "-"),
        (words["run_at"], now.isoformat(sep=" ", timespec="seconds")),
    ]
    shown = "".join(f"<span>{_e(k)}: <b>{_e(v)}</b></span>" for k, v in facts)
    return f'<header><h1>{_e(words["title"])}</h1><p class="meta">{shown}</p></header>'


def _table(g: _Gathered, words: Mapping[str, str]) -> str:
    listed = (
        words["listed_all"].format(n=_group(g.evaluated))
        if g.listed >= g.evaluated
        else words["listed_some"].format(listed=_group(g.listed), total=_group(g.evaluated))
    )
    controls = "".join(
        f'<label>{_e(words[k])}<select id="f-{k.removeprefix("filter_")}"></select></label>'
        for k in ("filter_verdict", "filter_tier", "filter_rule")
    )
    controls += f'<label>{_e(words["filter_search"])}<input id="f-search" type="search"></label>'
    return (
        f'<section id="kols"><h2>{_e(words["kols"])}</h2><p class="note">{_e(listed)}</p>'
        f'<noscript><p class="warn">{_e(words["noscript"])}</p></noscript>'
        f'<div class="controls">{controls}</div>'
        f'<div class="pager"><button id="prev" type="button">{_e(words["previous"])}</button>'
        f'<span id="count" aria-live="polite"></span>'
        f'<button id="next" type="button">{_e(words["next"])}</button></div>'
        '<div id="detail" hidden></div>'
        '<div class="scroll"><table id="kol-table"><thead><tr></tr></thead><tbody></tbody>'
        "</table></div></section>"
    )


def _errors(g: _Gathered, words: Mapping[str, str]) -> str:
    if not g.error_count:
        return ""
    rows = "".join(
        f'<tr><td class="num">{row}</td><td>{_e(pid or "-")}</td>'
        f"<td>{_e((reasons or '').replace(JOIN, '; '))}</td></tr>"
        for row, pid, reasons in g.errors
    )
    more = g.error_count - len(g.errors)
    note = f'<p class="note">{_e(words["errors_more"].format(n=_group(more)))}</p>' if more else ""
    head = "".join(f"<th>{_e(words[k])}</th>" for k in ("col_row", "col_id", "reason"))
    return (
        f'<section id="errors"><h2>{_e(words["errors_title"])} ({_group(g.error_count)})</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}</section>"
    )


def _meta(g: _Gathered, known: Mapping[str, Rule], lang: Lang) -> str:
    """The JSON the page's script reads: its words, the table's columns, the rules."""
    verdicts = [v for v in _VERDICTS if any(k[1] == v for k in g.tiers)]
    data = {
        "labels": LABELS[lang],
        "locale": _LOCALES[lang],
        "join": JOIN,
        "page_rows": PAGE_ROWS,
        "columns": g.table_columns(),
        "kept": g.kept,
        "values": g.values,
        "verdicts": verdicts,
        "tiers": g.tier_order(),
        "metrics": g.metrics,
        "rules": [
            {
                "id": r,
                "stage": known[r].stage if r in known else "",
                "severity": known[r].severity if r in known else "",
                "description": (known[r].description or known[r].message or "")
                if r in known
                else "",
            }
            for r in g.rules
        ],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # In a <script> element: no "</script>" or "<!--" can end or change it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("kolrules")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "(unknown version)"


def _page(run: StreamedRun, g: _Gathered, lang: Lang, now: datetime) -> Iterable[str]:
    words = LABELS[lang]["words"]
    known = {r.id: r for r in run.rules}
    rs = run.ruleset
    chain = "".join(f"<li>{_e(f)}</li>" for f in rs.chain)
    charts = [_scatter(g, words, lang), _quotes(g, words, lang), _cpe(g, words, lang)]
    charts.append(_rules(g, words, known, lang))
    yield (
        f'<!doctype html>\n<html lang="{_LOCALES[lang]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="kolrules {_e(_version())}">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(words['title'])} · {_e(rs.name)}</title><style>{STYLE}{_CHART_STYLE}"
        "</style></head><body>"
    )
    yield _heading(run, words, now)
    yield _summary(run, g, words, lang)
    yield f'<section id="charts"><h2>{_e(words["charts"])}</h2><div class="figs">'
    yield from charts
    yield "</div></section>"
    yield _table(g, words)
    yield _errors(g, words)
    yield (
        f"<footer><p>{_e(words['chain'])} ({_e(words['hash'])} <code>{_e(rs.hash)}</code>):</p>"
        f"<ul>{chain}</ul><p>{_e(words['written_by'].format(version=_version()))}</p></footer>"
    )
    yield f'<script type="application/json" id="kol-meta">{_meta(g, known, lang)}</script>'
    yield f'<script type="application/octet-stream" id="kol-rows">{g.packed_rows()}</script>'
    yield f"<script>{SCRIPT}</script></body></html>\n"


_CHART_STYLE = """
.p-accept{fill:var(--accept);background:var(--accept);fill-opacity:.55}
.p-review{fill:var(--review);background:var(--review);fill-opacity:.6}
.p-reject{fill:var(--reject);background:var(--reject);fill-opacity:.7}
.line-fake{stroke:var(--reject);border-color:var(--reject);stroke-width:1.6;stroke-dasharray:6 4}
.line-usual{stroke:var(--accept);border-color:var(--accept);stroke-width:1.6;
stroke-dasharray:2 3}
svg .band{fill:var(--band)}svg .box{fill:#fff;stroke:var(--ink)}
svg .whisker{stroke:var(--ink);stroke-width:1.2}svg .median{stroke:var(--ink);stroke-width:2.5}
svg .bar{fill:#60a5fa}
.s-reject{fill:var(--reject);background:var(--reject)}
.s-review{fill:var(--review);background:var(--review)}
.s-warn{fill:#eab308;background:#eab308}.s-info{fill:#9ca3af;background:#9ca3af}
"""


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def write_html_report(
    frames: Iterable[pl.DataFrame],
    stream: IO[bytes],
    *,
    lang: Lang | None = None,
    now: datetime | None = None,
    table_rows: int = TABLE_ROWS,
    scatter_points: int = SCATTER_POINTS,
) -> None:
    """Write the report of a run (``frames``, a :class:`~kolrules.formats.StreamedRun`)
    to the binary ``stream`` as UTF-8 HTML: each decision frame, with the inputs and
    metrics the charts and the detail show (:meth:`StreamedRun.with_values`), is gathered
    as it comes (bounded memory); the page is written once the run is done.

    ``lang``: the report's own words, ``"en"`` or ``"zh"`` (default: the run's, that of
    its reasons). ``now``: when the report says it was run (default: the local time when
    writing starts). ``table_rows`` and ``scatter_points``: the bounds of the table and
    of the scatter chart."""
    if not isinstance(frames, StreamedRun):
        raise TypeError(
            "the html format streams a run evaluated by kolrules.Engine.evaluate_to_file "
            f"(a kolrules.formats.StreamedRun), not {type(frames).__name__}; "
            "kolrules report INPUT -o report.html writes one from a file"
        )
    words = lang if lang is not None else frames.lang
    if words not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {words!r}")
    if table_rows < 0 or scatter_points < 0:
        raise ValueError("table_rows and scatter_points must be 0 or more")
    given: object = stream  # a caller may hand a text stream over, whatever the type says
    if isinstance(given, io.TextIOBase):
        raise TypeError("the html format writes UTF-8 bytes: give it a binary stream")
    started = now or datetime.now().astimezone()
    gathered = _Gathered(table_rows, scatter_points)
    for frame in frames.with_values():
        gathered.add(frame)
    for part in _page(frames, gathered, words, started):
        stream.write(part.encode("utf-8"))


def html_reporter(
    *,
    lang: Lang | None = None,
    now: datetime | None = None,
    table_rows: int = TABLE_ROWS,
    scatter_points: int = SCATTER_POINTS,
) -> Reporter:
    """The ``html`` format with these options of :func:`write_html_report`, to give
    :meth:`kolrules.Engine.evaluate_to_file` as its ``output_format`` (``kolrules
    report`` does); the registered ``html`` format is ``html_reporter()``."""
    return attrs.evolve(
        HTML,
        write_batches=functools.partial(
            write_html_report,
            lang=lang,
            now=now,
            table_rows=table_rows,
            scatter_points=scatter_points,
        ),
    )


def _render(report: Report, stream: IO[str]) -> None:
    raise TypeError(
        "the html format is gathered as a run is evaluated: call "
        "kolrules.Engine.evaluate_to_file(source, 'report.html', output_format='html'), "
        "or kolrules report INPUT -o report.html"
    )


#: One self-contained HTML report: summary, charts, a table of the KOLs.
HTML = Reporter(
    name="html",
    extension=".html",
    render=_render,
    description="One self-contained HTML report: summary, charts, a sortable table of the KOLs",
    write_batches=write_html_report,
)
