"""Literal expectations for kolrules.normalise, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): the ids seen so far when a file is read in batches."""

from __future__ import annotations

import polars as pl

from kolrules.normalise import SeenIds


def _add(seen: SeenIds, count: int, prefix: str = "id", first_row: int = 10) -> None:
    start = len(seen)
    seen.add(
        pl.Series([f"{prefix}{i}" for i in range(start, start + count)]),
        pl.Series(list(range(start + first_row, start + first_row + count))),
    )


def test_no_id_is_seen_before_any_is_added() -> None:
    seen = SeenIds()
    assert len(seen) == 0
    assert seen.first_rows(pl.Series(["a", "b"])).to_list() == [None, None]
    assert seen.first_rows(pl.Series(["a", "b"])).dtype == pl.Int64
    seen.add(pl.Series([], dtype=pl.String), pl.Series([], dtype=pl.Int64))
    assert len(seen) == 0
    assert seen._runs == []


def test_each_id_is_found_at_the_row_it_was_first_added_with() -> None:
    seen = SeenIds()
    for count in (4, 2, 1, 1, 8, 3):
        _add(seen, count)
    assert len(seen) == 19
    rows = seen.first_rows(pl.Series(["id0", "id5", "nope", "id18", None, "id3", "id6"]))
    assert rows.dtype == pl.Int64
    assert rows.to_list() == [10, 15, None, 28, None, 13, 16]


def test_runs_merge_while_the_one_before_is_at_most_twice_the_last() -> None:
    seen = SeenIds()
    heights = []
    for count in (4, 2, 1, 1, 8, 3):
        _add(seen, count)
        heights.append([run.height for run in seen._runs])
    assert heights == [[4], [6], [6, 1], [6, 2], [16], [16, 3]]
    _add(seen, 1)  # the last but one (3) is more than twice the last (1): three runs
    assert [run.height for run in seen._runs] == [16, 3, 1]
    for run in seen._runs:
        assert run.columns == ["a", "b", "row"]
        assert run.get_column("a").is_sorted()
        assert run.schema["row"] == pl.UInt32


def test_runs_are_not_merged_beyond_the_largest_run() -> None:
    seen = SeenIds()
    seen.RUN = 5
    for _ in range(3):
        _add(seen, 3, prefix="x", first_row=0)
    assert [run.height for run in seen._runs] == [3, 3, 3]
    assert seen.first_rows(pl.Series(["x0", "x8", "x4"])).to_list() == [0, 8, 4]
    seen.RUN = 6
    _add(seen, 3, prefix="x", first_row=0)
    assert [run.height for run in seen._runs] == [3, 3, 6]
    assert SeenIds.RUN == 1_000_000


def test_an_id_that_agrees_on_one_hash_only_is_not_taken_for_another() -> None:
    seen = SeenIds()
    seen.add(pl.Series(["a", "b", "c"]), pl.Series([1, 2, 3]))
    assert seen.first_rows(pl.Series(["c", "a"])).to_list() == [3, 1]
    # the same first hashes with other second hashes: not the same ids
    run = seen._runs[0]
    seen._runs[0] = run.with_columns(pl.col("b") + 1)
    assert seen.first_rows(pl.Series(["a", "b", "c"])).to_list() == [None, None, None]


def test_row_errors_of_the_one_profile_path_name_the_id_column_as_written() -> None:
    from kolrules import Engine

    engine = Engine("red-default", load_entrypoints=False)
    report = engine.evaluate(
        [
            {"账号ID": "a", "粉丝数": "100"},
            {"账号ID": "a", "粉丝数": "200"},
            {"账号ID": "", "粉丝数": "x"},
            {"账号ID": "b", "粉丝数": 5000, "posts": -3},
            {"账号ID": "c", "粉丝数": 0.0, "posts": 7},
        ]
    )
    assert [
        (e.row, e.id, [(d.column, d.value, d.reason) for d in e.errors]) for e in report.errors
    ] == [
        (2, "a", [("账号ID", "a", "duplicate id, first seen at row 1")]),
        (3, None, [("账号ID", None, "empty id"), ("粉丝数", "x", "not a number")]),
    ]
    by_id = {d.id: d for d in report.decisions}
    assert [(e.column, e.value, e.reason) for e in by_id["b"].data_errors] == [
        ("posts", "-3", "negative, must be 0 or more")
    ]
    assert by_id["c"].data_errors == ()
    assert by_id["b"].metrics["likes_per_follower"] is None


def test_a_run_of_one_id_is_searched_like_any_other() -> None:
    seen = SeenIds()
    seen.add(pl.Series(["solo"]), pl.Series([7]))
    others = [f"x{i}" for i in range(20)]  # hashes on both sides of the one seen
    assert seen.first_rows(pl.Series([*others, "solo"])).to_list() == [None] * 20 + [7]
