"""Reserved words (issue 17, bug 2): a field, metric or param cannot take one, an expression
using one as a name says so, and a column headed with one is read under another name."""

from __future__ import annotations

import keyword
from pathlib import Path

import pytest

from kolrules.engine import Engine
from kolrules.errors import ExpressionError, RulesetError
from kolrules.expression import RESERVED, parse
from kolrules.ruleset.file_schema import RULESET_SCHEMA

HEAD = """\
[ruleset]
name = "t"
version = "1"
extends = "weibo-default"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rs.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def test_reserved_words_are_pythons_keywords() -> None:
    assert frozenset(keyword.kwlist) == RESERVED
    assert {"class", "from", "and", "in", "True", "None"} <= RESERVED
    assert "match" not in RESERVED  # a soft keyword is a plain name in an expression
    names = RULESET_SCHEMA["properties"]["fields"]["propertyNames"]
    assert names["not"]["enum"] == sorted(RESERVED)


def test_field_metric_and_param_named_with_reserved_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[fields]\nclass = "number"\n\n[metrics]\ndef = "followers / 2"\n\n[params]\nfrom = 3\n',
    )
    with pytest.raises(RulesetError) as info:
        Engine(load_entrypoints=False).load_ruleset(path)
    got = {i.key: (i.line, i.message, i.hint) for i in info.value.issues}
    assert got == {
        "fields.class": (
            6,
            "'class' is a reserved word in expressions: no rule could use a field of that name",
            "call the field e.g. 'account_class' and map the header with "
            '[columns] account_class = ["class"]; docs/rulesets.md lists the reserved words',
        ),
        "metrics.def": (
            9,
            "'def' is a reserved word in expressions: no rule could use a metric of that name",
            "call the metric e.g. 'def_value'; docs/rulesets.md lists the reserved words",
        ),
        "params.from": (
            12,
            "'from' is a reserved word in expressions: no rule could use a param of that name",
            "call the param e.g. 'from_value'; docs/rulesets.md lists the reserved words",
        ),
    }


@pytest.mark.parametrize(
    ("source", "word", "position"),
    [
        ("class >= 4", "class", 0),
        ("followers > 10 and class >= 4", "class", 19),
        ("in > 3", "in", 0),
        ("'class' == category and from > 2", "from", 24),
        ("class + def > 1", "class", 0),
    ],
)
def test_an_expression_using_a_reserved_word_as_a_name(
    source: str, word: str, position: int
) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    err = info.value
    assert err.message == f"{word!r} is a reserved word and cannot be a name in an expression"
    assert err.position == position
    assert err.hint == (
        f"call the field, metric or param e.g. 'account_{word.lower()}' (a column headed "
        f'{word!r} is read with [columns] account_{word.lower()} = ["{word}"]); '
        "docs/rulesets.md lists the reserved words"
    )


@pytest.mark.parametrize("source", ["followers >= 4 and", "1 +", "(followers"])
def test_other_syntax_errors_are_not_blamed_on_reserved_words(source: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.message.startswith("cannot parse the expression: ")
    assert "reserved" not in str(info.value)


def test_rule_using_a_reserved_word_is_reported_at_its_require(tmp_path: Path) -> None:
    engine = Engine(load_entrypoints=False)
    path = write(tmp_path, '[[rules]]\nid = "lvl"\nrequire = "class >= 4"\nseverity = "review"\n')
    with pytest.raises(RulesetError) as info:
        engine.compile(engine.load_ruleset(path))
    [issue] = info.value.issues
    assert (issue.key, issue.line) == ("rules[0].require", 7)
    assert issue.message.startswith(
        "rule 'lvl' require: 'class' is a reserved word and cannot be a name in an expression"
    )


def test_a_column_headed_with_a_reserved_word_is_read_under_another_name(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        '[fields]\naccount_class = "number"\n\n[columns]\naccount_class = ["class"]\n\n'
        '[[rules]]\nid = "low-class"\nrequire = "account_class >= 4"\nseverity = "review"\n'
        'message = "account class {account_class:.0f} is below 4"\n'
        "\n[verdict]\nmin_applicable = 0  # these profiles are thin on purpose\n",
    )
    engine = Engine(path, load_entrypoints=False)
    low = engine.evaluate_one({"id": "w1", "followers": "5000", "class": "3"})
    high = engine.evaluate_one({"id": "w2", "followers": "5000", "class": "5"})
    assert (low.verdict, low.reasons[0]) == ("review", "account class 3 is below 4")
    assert high.verdict == "accept"
    csv = tmp_path / "in.csv"
    csv.write_text("id,followers,class\nw1,5000,3\nw2,5000,5\n", encoding="utf-8")
    report = engine.evaluate_file(csv)
    assert [d.verdict for d in report.decisions] == ["review", "accept"]
    assert report.decisions[0].reasons[0] == "account class 3 is below 4"
