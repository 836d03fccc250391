"""Literal expectations for kolrules.expression and the message templates of
kolrules.evaluate, written for mutants that survived ``tox -e mutation``
(docs/mutation.md)."""

from __future__ import annotations

import pytest

from kolrules.errors import ExpressionError
from kolrules.evaluate import render
from kolrules.expression import parse, suggest


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (
            "tier in x",
            "'in' needs a literal list on its right, like ['a', 'b']\n    tier in x\n            ^",
        ),
        ("tier in []", "the list after 'in' is empty\n    tier in []\n            ^"),
        (
            "tier in [1, True]",
            "the list after 'in' may only hold numbers or strings\n"
            "    tier in [1, True]\n                ^",
        ),
        (
            'tier in [1, "a", x]',
            "the list after 'in' may only hold numbers or strings\n"
            '    tier in [1, "a", x]\n                     ^',
        ),
        (
            "tier in [None]",
            "the list after 'in' may only hold numbers or strings\n"
            "    tier in [None]\n             ^",
        ),
    ],
)
def test_the_list_after_in_must_be_literal_numbers_or_strings(source: str, said: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert str(info.value) == said


def test_a_literal_list_or_tuple_after_in_is_accepted() -> None:
    parse("tier in (1, 2.5)")
    parse('tier in ["micro", "mid"]')
    parse("tier not in [3]")


def test_the_closest_name_is_suggested_only_when_close() -> None:
    assert suggest("folowers", ["followers", "following", "posts"]) == "followers"
    assert suggest("zzz", ["followers", "posts"]) is None
    # a cutoff of 0.6: "abcd" against "abxy" is 0.5, against "abcx" 0.75
    assert suggest("abcd", ["abxy"]) is None
    assert suggest("abcd", ["abxy", "abcx"]) == "abcx"
    assert suggest("posts", iter(["post", "posts_count"])) == "post"


def test_a_message_template_fills_values_and_says_missing_for_none() -> None:
    names = {"a": 1.25, "b": None, "c": "text", "d": 12345.0, "e": 0.5, "f": True}
    assert render("{a:.1f} and {b:.0f} x {c} {{lit}} {d:,.0f}", names) == (
        "1.2 and missing x text {lit} 12,345"
    )
    assert render("{d} {e} {f} {nope}", names) == "12,345 0.5 true missing"
    assert render("no fields", names) == "no fields"
    assert render("", names) == ""
    assert render("{a:.3f}", names) == "1.250"
