"""The one-profile path and the columnar path give the same decisions and findings.

Hypothesis draws random profiles (missing, zero, negative, huge and ordinary values, text
in export formats, duplicate and empty ids) and every bundled ruleset evaluates them both
ways: one mapping at a time through the generated Python function, and all at once as a
polars frame. Everything must match exactly: verdicts, tiers, scores, price assessments,
every finding with its message, every metric, and the row errors.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from kolrules.engine import Engine
from kolrules.normalise import rows_to_frame
from kolrules.report import frame_of

RULESETS = ["red-default", "weibo-default", "wechat-default"]


@pytest.fixture(scope="module")
def engines() -> dict[str, Engine]:
    return {name: Engine(name, load_entrypoints=False) for name in RULESETS}


counts = st.one_of(
    st.none(),
    st.just(0),
    st.just(0.0),
    st.integers(-5, 50),
    st.integers(0, 30_000_000),
    st.floats(min_value=-1e6, max_value=1e12, allow_nan=False),
    st.floats(min_value=1e200, max_value=1e308),
    st.sampled_from(["1.2万", "3.5w", "10万+", "1,234", "¥8,000", "暂无", "-", "abc", ""]),
)
profile = st.fixed_dictionaries(
    {
        "id": st.one_of(
            st.sampled_from(["a", "b", "c", "", "  "]),
            st.text("xyz0123456789", min_size=1, max_size=6),
        ),
        "followers": counts,
        "posts": counts,
        "total_likes": counts,
        "avg_likes": counts,
        "avg_comments": counts,
        "avg_collects": counts,
        "avg_shares": counts,
        "avg_views": counts,
        "price": counts,
        "account_age_days": counts,
        "origin": st.sampled_from(
            [None, "homegrown", "cross_platform", "celebrity", "明星", "跨平台", "martian"]
        ),
        "category": st.sampled_from([None, "beauty", "food", "美妆"]),
    }
)


def as_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a CSV export of the same rows would hold: text cells (repr keeps floats exact)."""
    return [
        {
            k: (None if v is None else repr(v) if isinstance(v, float) else str(v))
            for k, v in r.items()
        }
        for r in rows
    ]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(profile, min_size=1, max_size=25))
def test_scalar_and_columnar_paths_agree(
    engines: dict[str, Engine], rows: list[dict[str, Any]]
) -> None:
    for engine in engines.values():
        one_by_one = engine.evaluate(rows)
        columnar = engine._report(rows_to_frame(as_text(rows)), None)
        assert one_by_one.errors == columnar.errors
        assert len(one_by_one.decisions) == len(columnar.decisions)
        for a, b in zip(one_by_one.decisions, columnar.decisions, strict=True):
            assert a == b
        assert one_by_one.accounted()
        assert columnar.accounted()
        assert columnar.rows_read == len(rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(profile, min_size=1, max_size=25), size=st.integers(1, 6))
def test_batches_give_the_decisions_of_the_one_profile_path(
    engines: dict[str, Engine], rows: list[dict[str, Any]], size: int
) -> None:
    """The streaming path (frames of ``size`` rows, ids remembered across them) writes
    what the one-profile path decides, row for row and cell for cell."""
    whole = rows_to_frame(as_text(rows))
    batches = [whole.slice(at, size) for at in range(0, whole.height, size)]
    for engine in engines.values():
        expected = frame_of(engine.evaluate(rows))
        got = pl.concat(list(engine.decision_frames(batches)))
        # With no decision, frame_of knows no rules: their columns are empty in both.
        absent = [c for c in got.columns if c not in expected.columns]
        expected = expected.with_columns(pl.lit(None, pl.String).alias(c) for c in absent)
        assert_frame_equal(got, expected.select(got.columns))
