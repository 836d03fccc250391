"""Messages rendered by one polars expression (kolrules.findings.render.message_expr) are,
character for character, what kolrules.evaluate.render gives for each row.

Compared for every spec rendered in polars and for the default, over Hypothesis' floats
(nan, infinities, -0.0, subnormals, the largest doubles), values on and beside rounding
ties at every precision, numbers about powers of ten and the default's thresholds,
integers to the ends of Int64, texts with braces and any unicode, booleans and nulls; and
for every message template of every bundled ruleset, over the ruleset's own test profiles
as the engine evaluates them and over edge values in the same columns.

Seeded and short by default; with ``KOLRULES_FUZZ=1`` unseeded, with
``KOLRULES_FUZZ_EXAMPLES`` examples (default 20 times as many), as in test_paths_agree.py.
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.evaluate import evaluate_columns, render
from kolrules.findings import message_expr
from kolrules.normalise import rows_to_frame

FUZZ = os.environ.get("KOLRULES_FUZZ", "") not in ("", "0")


def agreeing(examples: int) -> settings:
    """Seeded, ``examples`` examples; with ``KOLRULES_FUZZ`` unseeded,
    ``KOLRULES_FUZZ_EXAMPLES`` examples (default 20 times as many)."""
    slow = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
    if FUZZ:
        many = int(os.environ.get("KOLRULES_FUZZ_EXAMPLES", "0") or 0) or examples * 20
        return settings(
            max_examples=many, derandomize=False, deadline=None, suppress_health_check=slow
        )
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=slow,
    )


#: The specs of floats rendered in polars: every one the bundled rulesets use, and more.
FLOAT_SPECS = (
    "",
    ".0f",
    ",.0f",
    ".1f",
    ",.1f",
    ".2f",
    ",.2f",
    "_.2f",
    ".3f",
    ".4f",
    "f",
    "F",
    ".9f",
    ".15f",
    ".0%",
    ".1%",
    ",.1%",
    ".2%",
    ".3%",
    "%",
    "g",
    "G",
    ",g",
    ".0g",
    ".1g",
    ".2g",
    ".3g",
    ".4g",
    ".8g",
    ".15g",
)
INT_SPECS = ("", "d", ",", ",d", "_", "_d", ".0f", ",.0f", ".2f", ".1%", "g", ".3g")

BIG = 1.7976931348623157e308
EDGE_FLOATS = (
    *(0.125, 0.375, 2.675, 1.005, 0.5, 1.5, 2.5, -0.5, -2.5, 0.045, 0.0125, 0.0005),
    *(1e15 - 0.5, 1e15 - 1, 1e15, 1e15 + 2, 999.995, 99.995, 9.995, 0.9995, 0.99951),
    *(-0.0, 0.0, -0.001, -0.004, -0.005, 5e-324, -5e-324, 2.2250738585072014e-308),
    *(BIG, -BIG, math.nan, -math.nan, math.inf, -math.inf),
    # the default's thresholds: whole numbers, 100, 1
    *(99.99, 99.994, 99.999, 100.0, 100.5, 101.5, 0.9999, 1.0, 1.004, 1.015, 0.001, 1e-4),
    # g: about powers of ten, its switch to exponents, carries
    *(1e-5, 9.99995e-5, 0.0001, 999999.5, 9999995.0, 123456.0, 1234567.0, 9.9995, 1e16),
    *(1e22, 1e23, 1e-20, 3e-19, 1e100, 1e-300, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, math.pi),
    # exactness: 2**51, 2**52, 2**53 and Int64's end
    *(2.0**51 + 0.5, 2.0**52 + 1, 2.0**53, 2.0**53 + 2, 2.0**63 - 1024, 2.0**63, 2.0**64),
    *(123456789.125, 12345678.5, -9876543.21, 4503599627370495.5, 0.07, 1e15 / 3),
)
EDGE_INTS = (
    *(0, 1, -1, 7, -7, 999, 1000, -1000, 999_999, 1_000_000, 123_456_789, -123_456_789),
    *(10**15 - 1, 10**15, -(10**15) + 1, -(10**15), 2**53 + 1, 2**62, -(2**62)),
    *(2**63 - 1, -(2**63), 2**63 - 513, 2**63 - 512),
)
EDGE_TEXTS = ("", "a", "{}", "{x}", "{{", "}", "美妆 KOL", "é", "\U0001f600", " ", "missing")


def _near(x: float) -> st.SearchStrategy[float]:
    return st.sampled_from((math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)))


#: Floats of every kind, leaning on where rounding is hard.
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(EDGE_FLOATS),
    # on and beside ties at 0 to 9 decimals: k.5 / 10**d
    st.builds(
        lambda k, d: (k + 0.5) / 10**d, st.integers(-(10**9), 10**9), st.integers(0, 9)
    ).flatmap(_near),
    # decimal numbers as people write them
    st.builds(lambda k, d: k / 10**d, st.integers(-(10**12), 10**12), st.integers(0, 8)),
    # about powers of ten, for g and the default's thresholds
    st.builds(
        lambda m, e: m * 10.0**e,
        st.sampled_from((1.0, 9.5, 9.95, 9.9995, 9.99995)),
        st.integers(-25, 25),
    ).flatmap(_near),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-1, max_value=1),
)


def rendered(
    frame: pl.DataFrame, templates: Sequence[str], params: Mapping[str, Any] | None = None
) -> None:
    """Each template's expression over ``frame`` gives what ``render`` gives row by row."""
    params = params or {}
    exprs = []
    for i, template in enumerate(templates):
        expr = message_expr(template, params, frame.schema)
        assert expr is not None, template
        exprs.append(expr.alias(f"t{i}"))
    got = frame.select(exprs)
    rows = frame.to_dicts()
    for i, template in enumerate(templates):
        texts = got.get_column(f"t{i}").to_list()
        want = [render(template, {**row, **params}) for row in rows]
        bad = [(r, t, w) for r, t, w in zip(rows, texts, want, strict=True) if t != w]
        assert not bad, f"{template!r}: {bad[:5]}"


def spec_templates(specs: Sequence[str], name: str = "x") -> list[str]:
    return [f"<{{{name}:{spec}}}>" if spec else f"<{{{name}}}>" for spec in specs]


# -- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", FLOAT_SPECS)
def test_edge_floats_render_as_python_does(spec: str) -> None:
    frame = pl.DataFrame({"x": [*EDGE_FLOATS, None]}, schema={"x": pl.Float64})
    rendered(frame, spec_templates([spec]))


@agreeing(5)
@given(st.lists(st.one_of(floats, st.none()), min_size=1, max_size=400))
def test_floats_render_as_python_does(values: list[float | None]) -> None:
    frame = pl.DataFrame({"x": values}, schema={"x": pl.Float64})
    rendered(frame, spec_templates(FLOAT_SPECS))


def test_float32_renders_as_python_does() -> None:
    values = [0.1, 2.675, -0.0, 1e-40, 3.4e38, math.nan, -math.inf, None, 16777217.0]
    frame = pl.DataFrame({"x": values}, schema={"x": pl.Float32})
    rendered(frame, spec_templates(FLOAT_SPECS))


@agreeing(5)
@given(
    st.lists(
        st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(EDGE_INTS), st.none()),
        min_size=1,
        max_size=200,
    )
)
def test_integers_render_as_python_does(values: list[int | None]) -> None:
    frame = pl.DataFrame({"x": [*EDGE_INTS, *values]}, schema={"x": pl.Int64})
    rendered(frame, spec_templates(INT_SPECS))


@pytest.mark.parametrize(
    ("dtype", "values"),
    [
        (pl.Int8, [-128, 127, 0, None]),
        (pl.UInt32, [0, 4_294_967_295, 1000, None]),
        (pl.UInt64, [0, 2**64 - 1, 2**63, 10**15, 10**15 - 1, None]),
    ],
)
def test_other_integer_types_render_as_python_does(dtype: pl.DataType, values: list[Any]) -> None:
    frame = pl.DataFrame({"x": values}, schema={"x": dtype})
    rendered(frame, spec_templates(INT_SPECS))


# -- texts, booleans, nulls, params --------------------------------------------------------


@agreeing(10)
@given(st.lists(st.one_of(st.text(), st.sampled_from(EDGE_TEXTS), st.none()), min_size=1))
def test_texts_render_as_they_are(values: list[str | None]) -> None:
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    rendered(frame, ["{x}", "{{literal}} {x}, {x}!", "美妆 {x}"])
    rendered(frame.cast({"x": pl.Categorical}), ["category {x} does not fit"])


def test_booleans_and_nulls_render_as_python_does() -> None:
    frame = pl.DataFrame(
        {"b": [True, False, None], "n": [None, None, None]},
        schema={"b": pl.Boolean, "n": pl.Null},
    )
    # A boolean shows as true/false under any spec; a null as missing, its spec ignored.
    rendered(frame, ["{b} {n}", "{b:.2f} {n:,.0f}", "{b:>10} {n:%}"])


def test_params_render_once_as_python_does() -> None:
    frame = pl.DataFrame({"x": [0.5, None], "cap": [1.0, 2.0]})
    params = {"cap": 12_000.5, "rate": 0.0125, "none": None, "name": "{x}", "flag": True}
    templates = [
        "{x:.2%} of {rate:.1%} under {cap:,.0f}",  # the param cap shadows the column
        "{none} {none:.2f} {name} {flag} {rate} {cap}",
        "only params: {rate:g} {cap:,.2f}",
        "no fields at all",
        "",
    ]
    rendered(frame, templates, params)


def test_many_fields_in_one_template() -> None:
    frame = pl.DataFrame(
        {
            "price": [15_000.0, 2_500.5, None, math.inf],
            "band_min": [3_000.0, 2_999.5, 1.0, 0.0],
            "band_max": [8_000.0, 1e16, 2.0, -0.0],
            "tier": ["micro", None, "头部", "{x}"],
            "posts": [12, None, -3, 0],
        },
        schema_overrides={"posts": pl.Int64},
    )
    rendered(
        frame,
        [
            "quote {price:,.0f} RMB is above the {tier} band ({band_min:,.0f}-{band_max:,.0f})",
            "only {posts} notes ({posts:,}), {price} {band_max:g} {price:.1%}",
        ],
    )


def test_python_renders_only_what_polars_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    import kolrules.findings.render as render_module

    seen: list[Any] = []
    python = render_module.format_value

    def counted(value: Any, spec: str = "") -> str:
        seen.append(value)
        return python(value, spec)

    monkeypatch.setattr(render_module, "format_value", counted)
    values = [1.5, 2.675, 1e300, None, math.nan, 0.125, 12_345.678, 5e-324]
    frame = pl.DataFrame({"x": values})
    rendered(frame, ["{x:,.2f}", "{x:g}", "{x}"])
    # 1e300 under every spec, 5e-324 under g and the default (22 decades past its digits)
    assert sorted(seen) == sorted([1e300, 1e300, 1e300, 5e-324, 5e-324])


def test_streaming_and_lazy_give_the_same_text() -> None:
    values = [float(i) / 7 for i in range(-500, 500)] + [1e300, None, math.nan]
    frame = pl.DataFrame({"x": values})
    expr = message_expr("{x:,.3f} {x:g} {x}", {}, frame.schema)
    assert expr is not None
    eager = frame.select(expr).to_series()
    streamed = frame.lazy().select(expr).collect(engine="streaming").to_series()
    assert eager.to_list() == streamed.to_list()
    assert eager[0] == render("{x:,.3f} {x:g} {x}", {"x": values[0]})


# -- what is left to Python ------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "dtype"),
    [
        ("{x:>10}", pl.Float64),
        ("{x:+.2f}", pl.Float64),
        ("{x:e}", pl.Float64),
        ("{x:.2e}", pl.Float64),
        ("{x:#.2f}", pl.Float64),
        ("{x:10.2f}", pl.Float64),
        ("{x:010.2f}", pl.Float64),
        ("{x:*^9}", pl.Float64),
        ("{x:z.2f}", pl.Float64),
        ("{x:.2}", pl.Float64),
        ("{x:,}", pl.Float64),
        ("{x:d}", pl.Float64),
        ("{x:.20f}", pl.Float64),
        ("{x:.16g}", pl.Float64),
        ("{x:x}", pl.Int64),
        ("{x:.2d}", pl.Int64),
        ("{x:5}", pl.Int64),
        ("{x:.3}", pl.String),
        ("{x:>4}", pl.String),
        ("{x:{y}}", pl.Float64),
        ("{x}", pl.Date),
        ("{x}", pl.Decimal(10, 2)),
        ("{x}", pl.List(pl.Int64)),
        ("{unknown}", pl.Float64),
        ("{x:.2f", pl.Float64),
        ("{p:e}", pl.Float64),
        ("{p:.2f}", pl.Float64),
    ],
)
def test_what_polars_cannot_render_is_left_to_python(template: str, dtype: pl.DataType) -> None:
    # p is a param Python cannot render under these specs (a text under e or .2f).
    assert message_expr(template, {"p": "text"}, {"x": dtype, "y": pl.Int64}) is None


def test_importing_the_module_does_not_import_polars() -> None:
    import subprocess

    code = "import sys, kolrules.findings.render; print('polars' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- the bundled rulesets ------------------------------------------------------------------


def _bundled() -> dict[str, Path]:
    return Engine(load_entrypoints=False).named_rulesets()


def _edge_frame(schema: Mapping[str, pl.DataType], rows: int) -> pl.DataFrame:
    """Edge values in every column of ``schema`` (cycled so that columns differ)."""
    columns: dict[str, list[Any]] = {}
    for i, (name, dtype) in enumerate(schema.items()):
        if dtype.is_float():
            pool: Sequence[Any] = [*EDGE_FLOATS, None]
        elif dtype.is_integer():
            pool = [v for v in EDGE_INTS if -(2**63) <= v < 2**63] + [None]
        elif dtype == pl.Boolean:
            pool = [True, False, None]
        elif dtype == pl.String:
            pool = [*EDGE_TEXTS, None]
        else:
            pool = [None]
        columns[name] = [pool[(i + k) % len(pool)] for k in range(rows)]
    return pl.DataFrame(columns, schema=dict(schema))


@pytest.mark.parametrize("name", sorted(_bundled()))
def test_every_bundled_message_renders_as_python_does(name: str) -> None:
    engine = Engine(name, load_entrypoints=False)
    plan = engine.plan
    path = _bundled()[name]
    tests = tomllib.loads(path.with_suffix(".test.toml").read_text(encoding="utf-8"))
    by_headers: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for case in tests["test"]:  # one frame per set of headers: exports spell them apart
        profile = case.get("profile", {})
        by_headers.setdefault(tuple(sorted(profile)), []).append(profile)
    outs = []
    for profiles in by_headers.values():
        try:
            norm = engine.normalise_frame(rows_to_frame(profiles))
        except InputFileError:  # a test of a missing column
            continue
        outs.append(evaluate_columns(plan, norm.frame))
    out = pl.concat(outs, how="vertical_relaxed")
    assert out.height >= len(tests["test"]) // 2
    templates = [r.template for r in plan.rules]
    assert templates
    for template in templates:
        assert message_expr(template, plan.params, out.schema) is not None, template
    read = sorted({n for r in plan.rules for n in r.template_names if n not in plan.params})
    rendered(out.select(read), templates, plan.params)
    edges = _edge_frame(out.select(read).schema, len(EDGE_FLOATS) + 1)
    rendered(edges, templates, plan.params)


def test_batch_reasons_and_to_pass_rendered_by_polars_are_the_decisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enough failed rows that the batch path renders messages with polars
    (``POLARS_MESSAGES_FROM``): its reasons are each decision's, bit for bit."""
    import random

    from kolrules import Engine
    from kolrules.evaluate import JOIN, POLARS_MESSAGES_FROM

    rng = random.Random(11)
    rows = []
    for i in range(3 * POLARS_MESSAGES_FROM):
        followers = rng.choice([rng.randint(1_000, 2_000_000), 30_000, 2.675e4])
        rows.append(
            {
                "id": f"k{i}",
                "followers": followers,
                "total_likes": followers * rng.uniform(0.1, 6),
                "avg_likes": rng.uniform(0, 900),
                "avg_comments": rng.choice([None, rng.uniform(0, 90)]),
                "avg_collects": rng.uniform(0, 300),
                "avg_views": rng.choice([None, rng.uniform(100, 90_000)]),
                "posts": rng.randint(0, 40),
                "price": rng.choice([None, rng.uniform(100, 90_000), 2.675, 1e16]),
                "origin": rng.choice(["homegrown", "cross_platform", "celebrity"]),
                "account_age_days": rng.randint(1, 900),
            }
        )
    import kolrules.evaluate

    made: list[object] = []
    real = kolrules.evaluate._message_expr

    def spy(*args: Any) -> Any:
        made.append(found := real(*args))
        return found

    monkeypatch.setattr(kolrules.evaluate, "_message_expr", spy)
    engine = Engine("red-default", load_entrypoints=False)
    frame = pl.concat(list(engine.decision_frames([pl.DataFrame(rows)])))
    assert made and all(expr is not None for expr in made)  # polars rendered them
    report = engine.evaluate(rows)
    assert {d.row: JOIN.join(d.reasons) or None for d in report.decisions} == dict(
        zip(frame.get_column("row"), frame.get_column("reasons"), strict=True)
    )
    from kolrules.report import frame_of

    by_decisions = frame_of(report).select("row", "to_pass").sort("row")
    assert frame.select("row", "to_pass").sort("row").to_dicts() == by_decisions.to_dicts()
    failed = frame.get_column("rule:price-above-tier-band").eq("fail").sum()
    assert failed >= POLARS_MESSAGES_FROM  # the polars renderer did the work
