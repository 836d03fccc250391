"""Literal expectations for kolrules.expression, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): what an expression error says, where it points and what
it suggests."""

from __future__ import annotations

from typing import Any

import pytest

from kolrules.errors import ExpressionError
from kolrules.expression import compile_expression, parse

SCOPE: dict[str, Any] = {"x": "number", "t": "text", "b": "bool"}


def _parse_error(source: str) -> tuple[str, str, int, str | None]:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    e = info.value
    return e.message, e.source, e.position, e.hint


def _check_error(source: str) -> tuple[str, str, int, str | None]:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, SCOPE)
    e = info.value
    return e.message, e.source, e.position, e.hint


def test_an_expression_may_nest_20_levels_and_no_more() -> None:
    parse("-" * 19 + "x")  # the name is the 20th level
    assert _parse_error("-" * 20 + "x") == (
        "the expression is nested more than 20 levels deep",
        "-" * 20 + "x",
        20,
        "split it into named metrics and refer to them by name",
    )


def test_refused_syntax_points_at_itself() -> None:
    assert _parse_error("~x") == ("'~' is not allowed; use 'not'", "~x", 0, None)
    assert _parse_error("x + ~x") == ("'~' is not allowed; use 'not'", "x + ~x", 4, None)
    assert _parse_error("x + [1]") == (
        "a list is only allowed on the right of 'in' or 'not in'",
        "x + [1]",
        4,
        None,
    )
    assert _parse_error("x +") == ("cannot parse the expression: invalid syntax", "x +", 3, None)


def test_comparing_or_computing_with_text_says_what_it_got_and_where() -> None:
    assert _check_error("x < t") == (
        "'<' compares numbers, got a number and text",
        "x < t",
        4,
        None,
    )
    assert _check_error("abs(t)") == ("abs() needs a number, got text", "abs(t)", 4, None)
    assert _check_error("min(x, t)") == ("min() needs a number, got text", "min(x, t)", 7, None)
    assert _check_error("coalesce(t < 1, x)") == (
        "'<' compares numbers, got text and a number",
        "coalesce(t < 1, x)",
        9,
        None,
    )
