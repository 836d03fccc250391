"""Literal expectations for kolrules.report, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): the table, the explanation, the csv cells and the JSON
values of one small report, built by hand."""

from __future__ import annotations

import io
import json
import math

import pytest

from kolrules.report import (
    TABLE_WIDTH,
    jsonable,
    kolrules_reporters_register,
    render_csv,
    render_explanation,
    render_json,
    render_jsonl,
    render_table,
    to_pass_text,
)
from kolrules.types import (
    DataError,
    Decision,
    Finding,
    PriceAssessment,
    Report,
    RowError,
    RulesetRef,
    Summary,
    ToPass,
)

RULESET = RulesetRef(
    name="red-default", version="3", hash="0123456789abcdef0123", chain=("a.toml", "b.toml")
)
RULESET_JSON = {
    "name": "red-default",
    "version": "3",
    "hash": "0123456789abcdef0123",
    "chain": ["a.toml", "b.toml"],
}


def _price(
    quote: float | None = 12000.0,
    band_min: float | None = 5000.0,
    band_max: float | None = 8000.0,
    position: str | None = "above",
    cpe: float | None = 0.5,
    gifting: bool = False,
) -> PriceAssessment:
    return PriceAssessment(
        quote=quote,
        band_min=band_min,
        band_max=band_max,
        position=position,  # type: ignore[arg-type]
        cpe=cpe,
        gifting=gifting,
    )


ALICE = Decision(
    id="alice",
    platform="red",
    row=1,
    verdict="reject",
    tier="mid",
    score=71.25,
    price=_price(),
    findings=(
        Finding(
            "few-posts",
            "quality",
            "fail",
            "warn",
            "only 3 posts",
            (ToPass("posts", 3.0, ">=", 10.0),),
        ),
        Finding(
            "too-dear",
            "price",
            "fail",
            "reject",
            "quote 12,000 above band",
            (
                ToPass("price", 12000.0, "<=", 8000.0),
                ToPass("followers", 20000.0, ">=", 40000.0),
                ToPass("cpe", 0.5, "<", 0.25, part=1),
            ),
        ),
        Finding("has-email", "contact", "pass", "info", "email given"),
        Finding(
            "has-price",
            "price",
            "fail",
            "info",
            "price not given",
            (ToPass("price", None, "present", None),),
        ),
    ),
    data_errors=(DataError("likes", "abc", "not a number"),),
    ruleset=RULESET,
    metrics={"engagement": 0.0345, "avg_likes": 1500.0, "ok": True, "none": None},
    why="reject: too-dear",
)
BOB = Decision(
    id="bob",
    platform="weibo",
    row=3,
    verdict="accept",
    tier=None,
    score=None,
    price=_price(quote=None, band_min=None, band_max=None, position=None, cpe=None, gifting=True),
    findings=(Finding("unsolvable", "quality", "fail", "review", "odd", None),),
    data_errors=(),
    ruleset=RULESET,
    score_missing="score missing: avg_likes not in the input",
)
CAROL = Decision(
    id="carol",
    platform="red",
    row=4,
    verdict="review",
    tier="top",
    score=math.nan,
    price=_price(quote=300.0, band_min=None, band_max=900.0, position="below", cpe=1.5),
    findings=(),
    data_errors=(),
    ruleset=RULESET,
)
DAN = Decision(
    id="dan",
    platform="red",
    row=None,
    verdict="accept",
    tier="low",
    score=100.0,
    price=_price(quote=1234567.0, band_min=2000.0, band_max=None, position=None, cpe=None),
    findings=(),
    data_errors=(),
    ruleset=RULESET,
)
ERRORS = (
    RowError(
        row=2,
        id="x9",
        errors=(DataError("followers", None, "is required"), DataError("", None, "plugin says no")),
    ),
    RowError(row=5, id=None, errors=(DataError("id", "", "is empty"),)),
)


def _report(source: str | None = "in.csv") -> Report:
    return Report(
        decisions=(ALICE, BOB, CAROL, DAN),
        errors=ERRORS,
        rows_read=6,
        ruleset=RULESET,
        source=source,
    )


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("\n")]


def test_the_table_off_a_terminal_is_100_wide_and_has_no_trailing_blanks() -> None:
    out = io.StringIO()
    render_table(_report(), out)
    assert TABLE_WIDTH == 100
    pad = " " * 63  # where the reasons column starts
    assert out.getvalue().split("\n") == [
        "ruleset red-default 3 · in.csv",
        "id     tier  verdict  score      quote         band  position  reasons",
        "─" * 100,
        "alice  mid   reject    71.2     12,000  5,000–8,000  above     "
        "data error: column 'likes' 'abc': not",
        pad + "a number",
        pad + "quote 12,000 above band",
        pad + "  to pass: price at most 8,000 (now",
        pad + "12,000) or followers at least 40,000",
        pad + "(now 20,000) and cpe below 0.25 (now",
        pad + "0.5)",
        pad + "only 3 posts",
        pad + "  to pass: posts at least 10 (now 3)",
        pad + "price not given",
        "bob    -     accept       -          -            -  gifting   odd",
        pad + "  to pass: cannot be solved from the",
        pad + "inputs",
        "carol  top   review       -        300         ≤900  below     -",
        "dan    low   accept   100.0  1,234,567       ≥2,000  -         -",
        "",
        "rows not evaluated",
        "row  id  reason",
        "─" * 56,
        "  2  x9  column 'followers': is required; plugin says no",
        "  5  -   column 'id' '': is empty",
        "",
        "rows read 6 = accepted 2 + review 1 + rejected 1 + errors 2",
        "",
    ]


def test_the_table_of_the_first_rows_of_a_run_counts_the_whole_run() -> None:
    out = io.StringIO()
    whole = Summary(
        rows_read=1234,
        counts={"accepted": 1000, "review": 200, "rejected": 30, "errors": 4},
        ruleset=RULESET,
    )
    render_table(_report(source=None), out, width=160, whole=whole)
    lines = out.getvalue().split("\n")
    assert lines[0] == "ruleset red-default 3"
    assert lines[2] == "─" * 160
    assert lines[3] == (
        "alice  mid   reject    71.2     12,000  5,000–8,000  above     "
        "data error: column 'likes' 'abc': not a number"
    )
    assert lines[5] == (
        "                                                                 to pass: price at most "
        "8,000 (now 12,000) or followers at least 40,000 (now 20,000) and cpe"
    )
    assert lines[-4:] == [
        "(the first 6 of 1,234 rows; --limit N shows more, "
        "-o FILE.csv or -f jsonl writes them all)",
        "",
        "rows read 1234 = accepted 1000 + review 200 + rejected 30 + errors 4",
        "",
    ]


def test_the_table_says_nothing_of_the_first_rows_when_they_are_the_whole_run() -> None:
    out = io.StringIO()
    whole = Summary(
        rows_read=6,
        counts={"accepted": 2, "review": 1, "rejected": 1, "errors": 2},
        ruleset=RULESET,
    )
    render_table(_report(), out, whole=whole)
    assert "the first" not in out.getvalue()
    assert out.getvalue().endswith(
        "\n\nrows read 6 = accepted 2 + review 1 + rejected 1 + errors 2\n"
    )


def test_an_empty_table_says_no_profile_was_evaluated() -> None:
    out = io.StringIO()
    render_table(Report(decisions=(), errors=(), rows_read=0, ruleset=RULESET), out)
    assert out.getvalue() == (
        "ruleset red-default 3\n"
        "no profiles were evaluated\n"
        "\n"
        "rows read 0 = accepted 0 + review 0 + rejected 0 + errors 0\n"
    )


def test_the_explanation_of_a_decision_with_every_kind_of_finding() -> None:
    out = io.StringIO()
    render_explanation(ALICE, out)
    assert _lines(out.getvalue()) == [
        "alice (red): verdict reject, tier mid, score 71.2",
        "why: reject: too-dear",
        "quote 12,000 RMB; fair band 5,000-8,000 RMB; position above; CPE 0.5",
        "ruleset red-default 3 (0123456789ab)",
        "data error: column 'likes' 'abc': not a number",
        "findings",
        "┏━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳" + "━" * 75 + "┓",
        "┃ rule      ┃ stage   ┃ outcome ┃ severity ┃ message (and what it would take)"
        + " " * 42
        + "┃",
        "┡━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇" + "━" * 75 + "┩",
        "│ few-posts │ quality │ fail    │ warn     │ only 3 posts" + " " * 62 + "│",
        "│           │         │         │          │ to pass: posts at least 10 (now 3)"
        + " " * 40
        + "│",
        "│ too-dear  │ price   │ fail    │ reject   │ quote 12,000 above band" + " " * 51 + "│",
        "│           │         │         │          │ to pass: price at most 8,000 (now 12,000) or "
        "followers at least 40,000    │",
        "│           │         │         │          │ (now 20,000) and cpe below 0.25 (now 0.5)"
        + " " * 33
        + "│",
        "│ has-email │ contact │ pass    │ info     │ email given" + " " * 63 + "│",
        "│ has-price │ price   │ fail    │ info     │ price not given" + " " * 59 + "│",
        "│           │         │         │          │ to pass: price given" + " " * 54 + "│",
        "└───────────┴─────────┴─────────┴──────────┴" + "─" * 75 + "┘",
        "metrics",
        "┏━━━━━━━━━━━━┳━━━━━━━━━┓",
        "┃ metric     ┃   value ┃",
        "┡━━━━━━━━━━━━╇━━━━━━━━━┩",
        "│ engagement │  0.0345 │",
        "│ avg_likes  │   1,500 │",
        "│ ok         │    true │",
        "│ none       │ missing │",
        "└────────────┴─────────┘",
        "",
    ]


def test_the_explanation_of_a_gifting_candidate_without_score_or_tier() -> None:
    out = io.StringIO()
    render_explanation(BOB, out)
    lines = _lines(out.getvalue())
    assert lines[:5] == [
        "bob (weibo): verdict accept, tier unknown, score missing",
        "score missing: avg_likes not in the input",
        "no quote (gifting candidate); no fair band: no tier; position n/a; CPE missing",
        "ruleset red-default 3 (0123456789ab)",
        "findings",
    ]
    assert "│ unsolvable │ quality │ fail    │ review   │ odd" in lines[8]
    assert lines[9].endswith("│ to pass: cannot be solved from the inputs │")


def test_the_explanation_says_which_rule_superseded_a_finding() -> None:
    superseded = Finding(
        "few-likes", "quality", "fail", "warn", "few likes", superseded_by="no-reach"
    )
    decision = Decision(
        id="erin",
        platform="red",
        row=1,
        verdict="review",
        tier="mid",
        score=50.0,
        price=_price(),
        findings=(superseded,),
        data_errors=(),
        ruleset=RULESET,
    )
    out = io.StringIO()
    render_explanation(decision, out)
    text = out.getvalue()
    assert "erin (red): verdict review, tier mid, score 50.0\n" in text
    assert "(said by no-reach: not repeated among the reasons)" in text
    assert "why:" not in text


def test_what_it_would_take_in_words() -> None:
    assert to_pass_text(ALICE.findings[0]) == "posts at least 10 (now 3)"
    assert to_pass_text(ALICE.findings[1]) == (
        "price at most 8,000 (now 12,000) or followers at least 40,000 (now 20,000) "
        "and cpe below 0.25 (now 0.5)"
    )
    assert to_pass_text(ALICE.findings[2]) == ""
    assert to_pass_text(ALICE.findings[3]) == "price given"
    assert to_pass_text(BOB.findings[0]) == "cannot be solved from the inputs"
    other = Finding(
        "r",
        "s",
        "fail",
        "warn",
        "m",
        (ToPass("a", 1.0, ">", 2.0), ToPass("b", "x", "==", "y"), ToPass("c", 5.0, "!=", 5.0)),
    )
    assert to_pass_text(other) == (
        "a above 2 (now 1) or b equal to y (now x) or c other than 5 (now 5)"
    )
    not_applicable = Finding("r", "s", "not_applicable", "warn", "m", None)
    assert to_pass_text(not_applicable) == ""


def test_csv_cells_of_decisions_and_row_errors_in_row_order() -> None:
    out = io.StringIO()
    render_csv(_report(), out)
    lines = out.getvalue().split("\n")
    assert lines[0] == (
        "row,id,platform,status,verdict,tier,score,quote,band_min,band_max,position,cpe,gifting,"
        "reasons,to_pass,errors,rule:few-posts,rule:too-dear,rule:has-email,rule:has-price,"
        "rule:unsolvable"
    )
    assert lines[1] == (
        "1,alice,red,evaluated,reject,mid,71.25,12000,5000,8000,above,0.5,false,"
        "\"data error: column 'likes' 'abc': not a number | quote 12,000 above band | "
        'only 3 posts | price not given",'
        '"too-dear: price at most 8,000 (now 12,000) or followers at least 40,000 (now 20,000) '
        "and cpe below 0.25 (now 0.5) | few-posts: posts at least 10 (now 3) | "
        'has-price: price given",'
        "column 'likes' 'abc': not a number,fail,fail,pass,fail,"
    )
    assert lines[2:] == [
        "2,x9,,error,,,,,,,,,,,,column 'followers': is required | plugin says no,,,,,",
        "3,bob,weibo,evaluated,accept,,,,,,,,true,odd,"
        "unsolvable: cannot be solved from the inputs,,,,,,fail",
        "4,carol,red,evaluated,review,top,,300,,900,below,1.5,false,,,,,,,,",
        "5,,,error,,,,,,,,,,,,column 'id' '': is empty,,,,,",
        ",dan,red,evaluated,accept,low,100,1234567,2000,,,,false,,,,,,,,",
        "",
    ]


def test_json_values_of_the_document() -> None:
    out = io.StringIO()
    render_json(_report(), out)
    assert out.getvalue().endswith("\n")
    document = json.loads(out.getvalue())
    assert document["ruleset"] == RULESET_JSON
    assert document["source"] == "in.csv"
    assert document["summary"] == {
        "rows_read": 6,
        "accepted": 2,
        "review": 1,
        "rejected": 1,
        "errors": 2,
    }
    assert [d["id"] for d in document["decisions"]] == ["alice", "bob", "carol", "dan"]
    assert document["decisions"][2]["score"] is None  # NaN is written as null
    assert document["decisions"][0]["metrics"] == {
        "engagement": 0.0345,
        "avg_likes": 1500.0,
        "ok": True,
        "none": None,
    }
    assert document["decisions"][0]["findings"][1]["to_pass"][2] == {
        "name": "cpe",
        "now": 0.5,
        "op": "<",
        "need": 0.25,
        "part": 1,
    }
    assert document["errors"] == [
        {
            "row": 2,
            "id": "x9",
            "errors": [
                {"column": "followers", "value": None, "reason": "is required"},
                {"column": "", "value": None, "reason": "plugin says no"},
            ],
            "reason": "column 'followers': is required; plugin says no",
        },
        {
            "row": 5,
            "id": None,
            "errors": [{"column": "id", "value": "", "reason": "is empty"}],
            "reason": "column 'id' '': is empty",
        },
    ]


def test_json_lines_hold_each_decision_and_error_once_then_the_summary() -> None:
    out = io.StringIO()
    render_jsonl(_report(), out)
    text = out.getvalue()
    assert text.endswith("}\n")
    assert text.splitlines()[-1] == (
        '{"kind":"summary","rows_read":6,"accepted":2,"review":1,"rejected":1,"errors":2,'
        '"ruleset":{"name":"red-default","version":"3","hash":"0123456789abcdef0123",'
        '"chain":["a.toml","b.toml"]},"source":"in.csv"}'
    )
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 7
    assert lines[-1] == {
        "kind": "summary",
        "rows_read": 6,
        "accepted": 2,
        "review": 1,
        "rejected": 1,
        "errors": 2,
        "ruleset": RULESET_JSON,
        "source": "in.csv",
    }
    kinds = sorted((line["kind"], line.get("id") or "") for line in lines[:-1])
    assert kinds == [
        ("decision", "alice"),
        ("decision", "bob"),
        ("decision", "carol"),
        ("decision", "dan"),
        ("error", ""),
        ("error", "x9"),
    ]
    bob = next(line for line in lines if line.get("id") == "bob")
    assert bob["price"] == {
        "quote": None,
        "band_min": None,
        "band_max": None,
        "position": None,
        "cpe": None,
        "gifting": True,
    }
    assert bob["findings"][0]["to_pass"] is None


def test_jsonable_turns_containers_and_non_finite_numbers_into_json() -> None:
    assert jsonable(math.inf) is None
    assert jsonable(-math.inf) is None
    assert jsonable(math.nan) is None
    assert jsonable(1.5) == 1.5
    assert jsonable(True) is True
    assert jsonable(3) == 3
    assert jsonable("x") == "x"
    assert jsonable(None) is None
    assert jsonable((1, [2.0, math.nan])) == [1, [2.0, None]]
    assert jsonable(frozenset({"a"})) == ["a"]
    assert jsonable({1: {"b": math.inf}}) == {"1": {"b": None}}
    assert jsonable(DataError("c", None, "r")) == {"column": "c", "value": None, "reason": "r"}
    assert jsonable(RulesetRef("n", "1", "h")) == {
        "name": "n",
        "version": "1",
        "hash": "h",
        "chain": [],
    }


def test_the_built_in_reporters_and_their_extensions() -> None:
    reporters = {r.name: r for r in kolrules_reporters_register()}
    assert sorted(reporters) == ["csv", "html", "json", "jsonl", "table", "xlsx"]
    assert {n: r.extension for n, r in reporters.items()} == {
        "table": ".txt",
        "json": ".json",
        "jsonl": ".jsonl",
        "csv": ".csv",
        "xlsx": ".xlsx",
        "html": ".html",
    }
    assert reporters["csv"].write_batches is not None
    out = io.StringIO()
    reporters["table"].render(Report(decisions=(), errors=(), rows_read=0, ruleset=RULESET), out)
    assert out.getvalue().startswith("ruleset red-default 3\nno profiles were evaluated\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_table_is_in_colour_and_as_wide_as_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "90")
    for name in ("COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    out = _Terminal()
    report = Report(
        decisions=(ALICE, CAROL, DAN), errors=(), rows_read=3, ruleset=RULESET, source="x.csv"
    )
    render_table(report, out)
    lines = out.getvalue().split("\n")
    bold, red, yellow, green, dim, end = (
        "\x1b[1m",
        "\x1b[1;31m",
        "\x1b[1;33m",
        "\x1b[1;32m",
        "\x1b[2m",
        "\x1b[0m",
    )
    assert lines[0] == f"{bold}ruleset red-default 3 · x.csv{end}"
    assert lines[1].startswith(f"{bold}id   {end}{bold} {end} {bold}tier{end}")
    assert lines[2] == "─" * 90
    assert lines[3] == (
        f"alice  mid   {red}reject {end}   71.2     12,000  5,000–8,000  above     "
        "data error: column 'likes' "
    )
    assert lines[4] == " " * 63 + "'abc': not a number" + " " * 8
    assert lines[6] == " " * 63 + f"{dim}  to pass: price at most {end}  "
    assert lines[-5].startswith(f"carol  top   {yellow}review {end}      -        300")
    assert lines[-4].startswith(f"dan    low   {green}accept {end}  100.0  1,234,567")
    assert lines[-3:] == ["", "rows read 3 = accepted 1 + review 1 + rejected 1 + errors 0", ""]


def test_long_ids_and_tiers_fold_within_their_columns() -> None:
    import attrs

    long = attrs.evolve(CAROL, id="a-very-long-account-id-0123456789", tier="celebrity-plus")
    error = RowError(
        row=9,
        id="another-very-long-id-9876543210",
        errors=(DataError("followers", "lots and lots", "not a number"),),
    )
    out = io.StringIO()
    render_table(Report(decisions=(long,), errors=(error,), rows_read=2, ruleset=RULESET), out)
    assert out.getvalue().split("\n") == [
        "ruleset red-default 3",
        "id                  tier        verdict  score  quote  band  position  reasons",
        "─" * 78,
        "a-very-long-accoun  celebrity-  review       -    300  ≤900  below     -",
        "t-id-0123456789     plus",
        "",
        "rows not evaluated",
        "row  id                  reason",
        "─" * 73,
        "  9  another-very-long-  column 'followers' 'lots and lots': not a number",
        "     id-9876543210",
        "",
        "rows read 2 = accepted 0 + review 1 + rejected 0 + errors 1",
        "",
    ]


def test_csv_batches_are_written_with_one_header() -> None:
    import polars as pl

    from kolrules.report import write_csv_batches

    first = pl.DataFrame({"id": ["a"], "score": [1.5], "n": [2.0]})
    second = pl.DataFrame({"id": ["b"], "score": [float("inf")], "n": [1e15]})
    out = io.BytesIO()
    write_csv_batches([first, second, second.head(0)], out)
    assert out.getvalue().decode() == "id,score,n\na,1.5,2\nb,,1000000000000000.0\n"
