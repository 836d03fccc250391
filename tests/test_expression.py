"""The expression language: what it accepts, what it refuses (with a caret), and that the
Python and polars compilations agree."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kolrules.errors import ExpressionError
from kolrules.expression import MAX_DEPTH, MAX_LENGTH, compile_expression, to_polars, to_python

SCOPE: dict[str, Any] = {
    "a": "number",
    "b": "number",
    "followers": "number",
    "s": "text",
    "c": "bool",
}


def caret_column(exc: ExpressionError) -> int:
    lines = str(exc).splitlines()
    return lines[2].index("^") - 4


@pytest.mark.parametrize(
    ("source", "message", "at"),
    [
        ("folowers > 3", "unknown name 'folowers'", 0),
        ("a + followrs", "unknown name 'followrs'", 4),
        ("a.real > 1", "attribute access", 0),
        ("a[0] > 1", "subscripts", 0),
        ("__import__('os')", "unknown function '__import__'", 0),
        ("open('x')", "unknown function 'open'", 0),
        ("[x for x in b]", "comprehensions are not allowed", 0),
        ("(lambda: 1)()", "only the built-in functions can be called", 1),
        ("a ** 2", "'**' is not allowed", 2),
        ("a % 2", "'%' is not allowed", 2),
        ("a // 2", "'//' is not allowed", 2),
        ("a > 1 & b > 2", "'&' is not allowed", 6),
        ("a is None", "'is' is not allowed", 5),
        ("1 if a else 2", "use ifelse", 0),
        ("a > ", "cannot parse the expression", 3),
        ("", "the expression is empty", 0),
        ("min()", "min() takes at least 1 argument", 0),
        ("abs(a, b)", "abs() takes 1 argument", 0),
        ("log(x=a)", "takes no keyword arguments", 4),
        ("a in b", "'in' needs a literal list", 5),
        ("a in []", "the list after 'in' is empty", 5),
        ("a + s", "'+' needs a number, got text", 4),
        ("a > s", "'>' compares numbers", 4),
        ("s == 1", "'==' compares text with a number", 5),
        ("a and c", "'and' needs a true/false value, got a number", 0),
        ("not a", "'not' needs a true/false value", 4),
        ("s in [1, 2]", "'in' compares text with a number", 6),
        ("ifelse(c, a, s)", "ifelse()'s third argument needs a number", 13),
        ("{'a': 1}", "dicts are not allowed", 0),
        ("f'{a}'", "f-strings are not allowed", 0),
        ("(b := 1)", "assignments are not allowed", 1),
    ],
)
def test_refused_with_message_and_caret(source: str, message: str, at: int) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, SCOPE)
    assert message in info.value.message
    assert caret_column(info.value) == at


def test_unknown_name_suggests_the_closest_field() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("folowers >= 1000", SCOPE)
    assert info.value.hint == "did you mean 'followers'?"
    assert str(info.value).splitlines()[1:3] == ["    folowers >= 1000", "    ^"]


def test_unknown_function_suggests_the_closest_one() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("mni(a, b) > 1", SCOPE)
    assert info.value.hint == "did you mean min()?"


def test_length_and_depth_are_bounded() -> None:
    long = " + ".join(["a"] * (MAX_LENGTH // 4 + 1))
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_LENGTH}"):
        compile_expression(long, SCOPE)
    deep = "abs(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nested more than"):
        compile_expression(deep, SCOPE)
    ok = "abs(" * (MAX_DEPTH - 2) + "a" + ")" * (MAX_DEPTH - 2)
    assert compile_expression(ok, SCOPE).type == "number"


def test_names_and_types_are_reported() -> None:
    e = compile_expression("b / a > 3 and s in ['x', 'y'] or missing(followers)", SCOPE)
    assert e.type == "bool"
    assert e.names == ("b", "a", "s", "followers")


def test_whitespace_and_newlines_are_folded() -> None:
    e = compile_expression("a >\n   3", SCOPE)
    assert e.source == "a > 3"


def run_both(source: str, rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    e = compile_expression(source, SCOPE)
    code = to_python(e.tree, {k: k for k in SCOPE})
    fn = eval("lambda a, b, followers, s, c: " + code, {"_INF": math.inf, "_log": math.log})
    py = [fn(**r) for r in rows]
    frame = pl.DataFrame(
        rows,
        schema={
            "a": pl.Float64,
            "b": pl.Float64,
            "followers": pl.Float64,
            "s": pl.String,
            "c": pl.Boolean,
        },
    )
    col = frame.select(to_polars(e.tree, pl.col).alias("r"))["r"].to_list()
    return py, col


ROWS = [
    {"a": 1.0, "b": 2.0, "followers": 0.0, "s": "x", "c": True},
    {"a": None, "b": 0.0, "followers": None, "s": None, "c": None},
    {"a": -1.0, "b": None, "followers": 10.0, "s": "z", "c": False},
    {"a": 1e308, "b": 1e308, "followers": 1e-308, "s": "y", "c": True},
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a / followers", [None, None, -0.1, None]),  # zero, missing, -1/10, overflow -> missing
        ("a + b", [3.0, None, None, None]),  # 1e308 + 1e308 overflows -> missing
        ("a > 0 and c", [True, None, False, True]),
        ("a > 0 or c", [True, None, False, True]),
        ("not c", [False, None, True, False]),
        ("missing(a)", [False, True, False, False]),
        ("present(b)", [True, True, False, True]),
        ("coalesce(a, b, 7)", [1.0, 0.0, -1.0, 1e308]),
        ("log(a)", [0.0, None, None, math.log(1e308)]),
        ("clamp(a, 0, 1)", [1.0, None, 0.0, 1.0]),
        ("ifelse(c, a, b)", [1.0, 0.0, None, 1e308]),
        ("min(a, b)", [1.0, None, None, 1e308]),
        ("max(a, 0)", [1.0, None, 0.0, 1e308]),
        ("abs(a)", [1.0, None, 1.0, 1e308]),
        ("s in ['x', 'y']", [True, None, False, True]),
        ("s not in ['x']", [False, None, True, True]),
        ("0 <= a < 2", [True, None, False, False]),
        ("-a", [-1.0, None, 1.0, -1e308]),
    ],
)
def test_semantics_on_both_paths(source: str, expected: list[Any]) -> None:
    py, col = run_both(source, ROWS)
    assert py == expected
    assert col == expected


numbers = st.one_of(
    st.none(),
    st.just(0.0),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(-(10**6), 10**9).map(float),
)
row = st.fixed_dictionaries(
    {
        "a": numbers,
        "b": numbers,
        "followers": numbers,
        "s": st.one_of(st.none(), st.sampled_from(["x", "y", "z"])),
        "c": st.one_of(st.none(), st.booleans()),
    }
)
SOURCES = [
    "a / followers * 100 - b",
    "(a + b) / (followers - a) >= 3 or not c",
    "clamp(log(a) / log(b), 0, 1) * 100",
    "min(a, b, followers) <= max(a, 1) and s in ['x', 'z']",
    "ifelse(present(b) and b > 0, a / b, coalesce(a, followers, 0))",
    "abs(a - b) / max(abs(b), 1) < 0.5 or missing(a)",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(row, min_size=1, max_size=20))
def test_python_and_polars_agree(rows: list[dict[str, Any]]) -> None:
    for source in SOURCES:
        py, col = run_both(source, rows)
        assert py == col, source


def test_negative_numbers_in_a_literal_list(tmp_path: Path) -> None:
    """``-1`` in a list is the number -1 (Python reads it as minus 1), on both paths."""
    from kolrules import Engine

    path = tmp_path / "neg.toml"
    path.write_text(
        '[ruleset]\nname = "neg"\nversion = "1"\nplatform = "red"\n\n[[rules]]\nid = "odd"\n'
        'require = "not (posts in [-1, -2.5, +3])"\nseverity = "review"\n',
        encoding="utf-8",
    )
    engine = Engine(path, load_entrypoints=False)
    for posts, verdict in ((-1, "review"), (-2.5, "review"), (3, "review"), (4, "accept")):
        row = {"id": "a", "followers": 20_000, "posts": posts}
        framed = engine.evaluate_frame(pl.DataFrame([row])).get_column("verdict")[0]
        assert (engine.evaluate_one(row).verdict, framed) == (verdict, verdict), posts
