"""The limits of issue 12, item 8 (cell size, columns, rules), and what is missing in a
cell (items 13 and 14): each on the command line and on both evaluation paths.

The limits are listed in docs/limits.md; what is missing in docs/platforms.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from hostile_kit import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_RULESET,
    check_exit,
    counts,
    invoke,
    normalised_alike,
    run_limited,
)

from kolrules import Platform, hookimpl
from kolrules.engine import Engine, RowInputError
from kolrules.normalise import (
    MAX_CELL,
    NOT_A_NUMBER,
    NOT_FINITE,
    NOT_TEXT,
    SHOWN_CHARS,
    SPACE,
    Schema,
    normalise_row,
    too_long_reason,
)
from kolrules.read import MAX_COLUMNS
from kolrules.ruleset import load_ruleset
from kolrules.ruleset.load import MAX_RULES
from kolrules.types import DataError

HEAD = '[ruleset]\nname = "many"\nversion = "1"\nextends = "red-default"\n'


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def _rules(n: int, first: int = 0) -> str:
    return "".join(
        f'[[rules]]\nid = "r{i}"\nseverity = "review"\nrequire = "followers > {i}"\n'
        for i in range(first, first + n)
    )


# -- cell size ----------------------------------------------------------------------------

LONG = "x" * (MAX_CELL + 1)
CUT = "x" * SHOWN_CHARS + "…"


def _long_rows() -> list[dict[str, str]]:
    return [
        {"id": "a", "handle": LONG, "followers": "20000"},
        {"id": LONG, "handle": "b", "followers": "20000"},
        {"id": "c", "handle": "x" * MAX_CELL, "followers": "20000"},  # at the limit: read
        {"id": "d", "handle": "d", "followers": "1" * (MAX_CELL + 1)},
        {"id": "e", "handle": "e", "followers": "20000"},
    ]


def test_a_cell_over_the_limit_is_a_row_error_naming_its_column(tmp_path: Path) -> None:
    data = tmp_path / "long.csv"
    pl.DataFrame(_long_rows()).write_csv(data)
    result = invoke(["evaluate", "-f", "csv", data])
    check_exit(result, EXIT_OK)
    assert counts(result.stderr) == (5, 5)
    out = pl.read_csv(result.stdout.encode(), infer_schema=False)
    assert out["status"].to_list() == ["error", "error", "evaluated", "error", "evaluated"]
    reason = too_long_reason(MAX_CELL + 1)
    assert reason == (
        "32,768 characters long, over the limit of 32,767 for one cell; shorten it, or "
        "rename its column if kolrules should not read it"
    )
    assert out["errors"].to_list()[:2] == [
        f"column 'handle' '{CUT}': {reason}",
        f"column 'id' '{CUT}': {reason}",  # not "empty id" as well
    ]
    assert out["errors"][3] == f"column 'followers' '{'1' * SHOWN_CHARS}…': {reason}"
    assert out["id"].to_list()[:2] == ["a", None]  # the long id is not written out


def test_both_paths_agree_on_long_cells() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    rows = _long_rows()
    report = engine.evaluate(rows)
    framed = engine._report(pl.DataFrame(rows), None)
    assert [(e.row, e.id, e.errors) for e in report.errors] == [
        (e.row, e.id, e.errors) for e in framed.errors
    ]
    assert [(e.row, e.id) for e in report.errors] == [(1, "a"), (2, None), (4, "d")]
    assert report.counts == framed.counts
    with pytest.raises(RowInputError, match="32,768 characters long"):
        engine.evaluate_one(rows[0])


def test_a_long_cell_of_a_column_kolrules_does_not_read_is_kept() -> None:
    engine = Engine("red-default", load_entrypoints=False)
    rows = [{"id": "a", "followers": "20000", "unread_column": LONG}]
    assert engine.evaluate(rows).errors == ()
    assert engine._report(pl.DataFrame(rows), None).errors == ()


# -- columns ------------------------------------------------------------------------------


def _wide_csv(path: Path, extra: int) -> Path:
    header = ["id", "followers", *(f"c{i}" for i in range(extra))]
    path.write_text(",".join(header) + "\n" + ",".join(["a", "20000", *["1"] * extra]) + "\n")
    return path


def test_a_file_over_the_column_limit_is_an_input_error(tmp_path: Path) -> None:
    wide = _wide_csv(tmp_path / "wide.csv", MAX_COLUMNS - 1)
    result = invoke(["evaluate", "-f", "csv", wide])
    check_exit(result, EXIT_INPUT)
    assert (
        f"error: input file {wide}, line 1: the header has 1,001 columns; the limit is 1,000. "
        "Keep only the columns of the profiles" in result.stderr
    )
    assert result.stdout == ""
    at_limit = _wide_csv(tmp_path / "ok.csv", MAX_COLUMNS - 2)
    result = invoke(["evaluate", "-f", "csv", at_limit])
    check_exit(result, EXIT_OK)
    assert counts(result.stderr) == (1, 1)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_over_the_column_limit_is_an_input_error(tmp_path: Path, suffix: str) -> None:
    first = {"id": "a", "followers": 5}
    wide = {"id": "b", **{f"c{i}": 1 for i in range(MAX_COLUMNS)}}
    path = tmp_path / f"wide{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps([first, wide]))
        where = "item 2 of the top-level array"
    else:
        path.write_text(json.dumps(first) + "\n" + json.dumps(wide) + "\n")
        where = "line 2"
    result = invoke(["evaluate", "-f", "csv", path])
    check_exit(result, EXIT_INPUT)
    assert (
        f"error: input file {path}, {where}: the profiles up to here have 1,002 different "
        "keys (columns); the limit is 1,000." in result.stderr
    )


# -- rules --------------------------------------------------------------------------------


def test_a_file_over_the_rule_limit_is_a_ruleset_error(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(HEAD + _rules(MAX_RULES + 1), encoding="utf-8")
    line = 5 + 4 * MAX_RULES  # each rule takes four lines
    for args in (["validate", path], ["evaluate", "-r", path, "-f", "csv", _csv(tmp_path)]):
        result = invoke(args)
        check_exit(result, EXIT_RULESET)
        assert (
            f"{path}:{line} [rules[200]]: the file has 201 [[rules]]; a ruleset may have at "
            "most 200, and this is rule 201" in result.stderr
        )


def test_a_ruleset_over_the_rule_limit_with_its_parent_is_a_ruleset_error(
    tmp_path: Path,
) -> None:
    parent = len(load_ruleset("red-default").rules)
    path = tmp_path / "many.toml"
    path.write_text(HEAD + _rules(MAX_RULES - parent + 1), encoding="utf-8")
    result = invoke(["validate", path])
    check_exit(result, EXIT_RULESET)
    line = 5 + 4 * (MAX_RULES - parent)
    assert (
        f"{path}:{line} [rules[{MAX_RULES - parent}]]: the ruleset has 201 rules (those it "
        "extends included); the limit is 200, and this is rule 201" in result.stderr
    )
    path.write_text(HEAD + _rules(MAX_RULES - parent), encoding="utf-8")
    assert len(load_ruleset(path).rules) == MAX_RULES


def _csv(tmp_path: Path) -> Path:
    data = tmp_path / "kols.csv"
    data.write_text("id,followers,posts\na,20000,50\nb,500,3\n", encoding="utf-8")
    return data


# -- memory: the cases that ran out of 3 GiB, in a child process with a cap ----------------


def test_the_item_8_cases_stay_under_the_memory_cap(tmp_path: Path) -> None:
    big = "x" * 1_000_000
    cell = tmp_path / "cell.csv"
    cell.write_text(f"id,handle,followers\na,{big},1000\n{big},h,1000\nc,h,1000\n")
    wide = tmp_path / "wide.csv"
    wide.write_text("id,followers," + ",".join(f"c{i}" for i in range(100_000)) + "\n")
    many = tmp_path / "many.toml"
    many.write_text(
        HEAD
        + "".join(
            f'[[rules]]\nid = "r{i}"\nseverity = "review"\n'
            f'require = "followers > {i} and posts >= {i % 7}"\n'
            f'message = "followers {{followers}} under {i}"\n'
            for i in range(3_000)
        )
    )
    data = _csv(tmp_path)
    out = tmp_path / "out.csv"
    done = run_limited(["evaluate", "-f", "csv", cell, "-o", out], tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert "rows read 3 = accepted 1 + review 0 + rejected 0 + errors 2" in done.stderr
    assert out.stat().st_size < 10_000  # the long cells are not written out
    done = run_limited(["evaluate", "-f", "csv", wide, "-o", out], tmp_path)
    assert (done.returncode, "Traceback" in done.stderr) == (EXIT_INPUT, False), done.stderr
    assert "the header has 100,002 columns" in done.stderr
    done = run_limited(["evaluate", "-r", many, "-f", "csv", data, "-o", out], tmp_path)
    assert (done.returncode, "Traceback" in done.stderr) == (EXIT_RULESET, False), done.stderr
    assert "the file has 3,000 [[rules]]" in done.stderr


# -- what is missing: the same on both paths (item 13) -------------------------------------


@pytest.mark.parametrize(
    ("cell", "handle"),
    [
        ("\x1ch\x1f", "\x1ch\x1f"),  # information separators: not white space on either path
        ("\u3000h\u00a0", "h"),  # ideographic and no-break space: stripped on both
        (" \u3000\t", None),  # only white space: missing
        ("\u2028h\u205f", "h"),
    ],
)
def test_both_paths_strip_the_same_white_space(cell: str, handle: str | None) -> None:
    schema = Schema.build(Platform("bare"))
    rows = [{"id": "k", "followers": "5", "handle": cell}]
    [(values, _, _)] = normalised_alike(rows, schema)
    assert values["handle"] == handle


@pytest.mark.parametrize("cell", ["1\x1c000", "\x1f12"])
def test_a_separator_inside_a_number_is_not_a_number_on_both_paths(cell: str) -> None:
    schema = Schema.build(Platform("bare"))
    [(values, errors, _)] = normalised_alike([{"id": "k", "followers": "5", "posts": cell}], schema)
    assert values["posts"] is None
    assert errors == (DataError("posts", cell, NOT_A_NUMBER),)


class _Markers:
    """Two platforms: one with no missing markers, one whose markers include 暂无."""

    @hookimpl
    def kolrules_platforms_register(self) -> list[Platform]:
        return [
            Platform.from_mapping({"platform": {"name": "nomarks"}, "numbers": {"missing": []}}),
            Platform.from_mapping(
                {"platform": {"name": "marks"}, "numbers": {"missing": ["暂无"]}}
            ),
        ]


def _engine(platform: str) -> Engine:
    from kolrules.ruleset import parse_ruleset

    text = (
        f'[ruleset]\nname = "m"\nversion = "1"\nplatform = "{platform}"\n'
        '[[tiers]]\nname = "all"\nmin_followers = 0\n'
        '[[rules]]\nid = "named"\nseverity = "review"\nrequire = "present(handle)"\n'
    )
    return Engine(parse_ruleset(text, "m.toml"), plugins=[_Markers()], load_entrypoints=False)


def test_the_platform_list_decides_what_is_missing_in_text_and_numbers() -> None:
    rows = [
        {"id": "a", "followers": "5", "handle": "None", "posts": "-"},
        {"id": "b", "followers": "5", "handle": "暂无", "posts": "暂无"},
        {"id": "c", "followers": "5", "handle": " ", "posts": "\u3000"},
    ]
    none = normalised_alike(rows, _engine("nomarks").plan.schema)
    assert [v["handle"] for v, _, _ in none] == ["None", "暂无", None]
    assert [e for _, e, _ in none] == [
        (DataError("posts", "-", NOT_A_NUMBER),),
        (DataError("posts", "暂无", NOT_A_NUMBER),),
        (),
    ]
    some = normalised_alike(rows, _engine("marks").plan.schema)
    assert [v["handle"] for v, _, _ in some] == ["None", None, None]
    assert [v["posts"] for v, _, _ in some] == [None, None, None]
    assert [e for _, e, _ in some] == [(DataError("posts", "-", NOT_A_NUMBER),), (), ()]


# -- a NaN object from pandas is missing (item 14) -----------------------------------------


def test_pandas_records_and_the_file_give_the_same_decisions(tmp_path: Path) -> None:
    data = tmp_path / "kols.csv"
    data.write_text(
        "id,handle,followers,posts,total_likes,avg_likes,price\n"
        "a,ha,20000,50,90000,300,3000\nb,,500,3,10,1,\nc,hc,,,,,\n"
        "d,hd,120000,40,,800,\ne,,15000,,,,2000\nf,hf,8000,12,400,30,\n",
        encoding="utf-8",
    )
    engine = Engine("red-default", load_entrypoints=False)
    frame = pd.read_csv(data)
    records = frame.to_dict("records")
    assert isinstance(records[1]["handle"], float) and math.isnan(records[1]["handle"])
    by_file = engine.evaluate_file(data)
    by_records = engine.evaluate(records)
    assert by_records.counts == by_file.counts
    assert [d.verdict for d in by_records.decisions] == [d.verdict for d in by_file.decisions]
    assert by_file.rows_read == by_records.rows_read == 6
    assert [d.data_errors for d in by_records.decisions] == [
        d.data_errors for d in by_file.decisions
    ]
    framed = engine.evaluate_frame(frame)
    assert framed["verdict"].tolist() == [d.verdict for d in by_file.decisions]


def test_an_integer_too_large_for_a_float_or_for_text_is_a_data_error() -> None:
    """A caller's Python int beyond the largest float (a number field) or beyond the
    4,300 digits Python writes (a text field) is a data error, not a crash."""
    schema = Engine("red-default", load_entrypoints=False).plan.schema
    huge = 10**400
    one = normalise_row({"id": "k", "followers": 5, "price": huge}, schema)
    assert one.values["price"] is None
    assert one.data_errors == (DataError("price", str(huge), NOT_FINITE),)
    endless = 1 << 20_000  # 6,021 digits
    one = normalise_row({"id": "k", "followers": 5, "handle": endless}, schema)
    assert one.values["handle"] is None
    assert one.data_errors == (DataError("handle", "<an integer of 20001 bits>", NOT_TEXT),)


def test_space_is_what_polars_strips() -> None:
    """The frame path strips with polars' own white space, the one-profile path with
    SPACE: the same characters, among all that either might take for white space."""
    candidates = [chr(c) for c in range(0x3100) if chr(c).isspace() or chr(c) in SPACE]
    candidates += ["\ufeff", "\u200b", "\u180e"]  # look like space, are not White_Space
    stripped = pl.Series([f"{c}a{c}" for c in candidates]).str.strip_chars().to_list()
    assert {c for c, s in zip(candidates, stripped, strict=True) if s == "a"} == set(SPACE)
    assert {c for c in candidates if f"{c}a{c}".strip(SPACE) == "a"} == set(SPACE)
