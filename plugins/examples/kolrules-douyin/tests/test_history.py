"""fans_history and fans_max_jump: the batch form (polars) and the row form (Python) of the
phase hooks, called as kolrules calls them, give the same values and the same problems."""

from __future__ import annotations

import random
from importlib.resources import files

import kolrules_douyin
import polars as pl
import pytest

from kolrules import Platform

DOUYIN = Platform.from_toml(files(kolrules_douyin) / "platform.toml")
OTHER = Platform(name="elsewhere")

# (history as written, fans_max_jump, unreadable point or None)
CASES: list[tuple[str | None, float | None, str | None]] = [
    ("1.2万;1.3万;4.5万", (4.5 - 1.3) / 1.3, None),
    ("12,000;13,000", 1 / 12, None),  # ";" present: "," is a thousands separator
    ("12000,13000,26000", 1.0, None),  # no ";": "," separates
    ("1.2万；1.3万；", 1 / 12, None),  # full-width separators, a trailing one
    ("12000，13000", 1 / 12, None),
    (" 1.2 万 ; 1.5w ;2.5k", 0.25, None),  # spaces, w; 2.5k is a fall (-83 %)
    ("10万+;20万+", 100_000 / 100_001, None),  # "+" adds 1, as in a cell
    ("1.5亿;3亿", 1.0, None),
    ("1万;-;1.3万", 0.3, None),  # a missing marker: no reading that date
    ("1万;暂无;;1.3万", 0.3, None),
    ("1万;1万;1万", 0.0, None),
    ("2万;1万", -0.5, None),  # only falls: the largest rise is negative
    ("5万", None, None),  # one point
    ("1万;暂无", None, None),
    ("", None, None),
    (None, None, None),
    ("0;1万;2万", None, None),  # a rise from 0 has no ratio
    ("1万;0", -1.0, None),  # 0 as the last point is fine
    ("1.2万;lots;4.5万", None, "lots"),  # an unreadable point: the history is not used
    ("1万;2万;3e4", None, "3e4"),
    ("１万;2万", None, "１万"),  # full-width digits are not read
    ("-1万;2万", None, "-1万"),
    ("1万;2万;abc;def", None, "abc"),  # the first unreadable point is reported
]


def batch(histories: list[str | None], platform: Platform = DOUYIN) -> pl.DataFrame | None:
    frame = pl.DataFrame({"fans_history": histories}, schema={"fans_history": pl.String})
    return kolrules_douyin.kolrules_profiles_derive(frame=frame, platform=platform)


def batch_problems(histories: list[str | None], platform: Platform = DOUYIN) -> pl.Series | None:
    frame = pl.DataFrame({"fans_history": histories}, schema={"fans_history": pl.String})
    return kolrules_douyin.kolrules_profiles_validate(frame=frame, platform=platform)


def row(history: str | None, platform: Platform = DOUYIN) -> float | None:
    out = kolrules_douyin.kolrules_profile_derive(
        profile={"id": "x", "fans_history": history}, platform=platform
    )
    assert out is not None
    assert set(out) == {"fans_max_jump"}
    value = out["fans_max_jump"]
    assert value is None or isinstance(value, float)
    return value


def row_problems(history: str | None) -> list[str]:
    found = kolrules_douyin.kolrules_profile_validate(
        profile={"id": "x", "fans_history": history}, platform=DOUYIN
    )
    assert found is not None
    return list(found)


def same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b)


@pytest.mark.parametrize(("history", "expected", "unreadable"), CASES)
def test_max_jump(history: str | None, expected: float | None, unreadable: str | None) -> None:
    got = row(history)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("history", "expected", "unreadable"), CASES)
def test_problems(history: str | None, expected: float | None, unreadable: str | None) -> None:
    problems = row_problems(history)
    if unreadable is None:
        assert problems == []
    else:
        assert problems == [
            f"fans_history has an unreadable point '{unreadable}'; write follower counts "
            "such as 1.2万 or 12000, separated by ';'"
        ]


def test_both_forms_agree_on_every_case() -> None:
    histories = [h for h, _, _ in CASES]
    derived = batch(histories)
    assert derived is not None
    assert derived.schema == pl.Schema({"fans_max_jump": pl.Float64})
    assert derived.height == len(histories)
    for history, got in zip(histories, derived["fans_max_jump"].to_list(), strict=True):
        assert same(got, row(history)), history
    problems = batch_problems(histories)
    assert problems is not None
    assert problems.dtype == pl.String
    for history, got in zip(histories, problems.to_list(), strict=True):
        assert ([] if got is None else [got]) == row_problems(history), history


def random_history(rng: random.Random) -> str:
    """Histories as exports write them, and as they should not: counts with units,
    separators, spaces, missing markers, and now and then junk."""
    good = ["12000", "1.2万", "1.25万", "3w", "4.5W", "800k", "1.1亿", "10万+", "0", "7",
            " 2万 ", "1,200", "3.0万", "99", "2.5K", "1 万"]  # fmt: skip
    bad = ["", "-", "暂无", "abc", "１万", "1e4", "-2万", "万", ".5", "1..2", "+", "\u3000", "5%"]
    seps = [";", "；", ",", "，", " ; ", ";;"]
    points = [rng.choice(good if rng.random() < 0.85 else bad) for _ in range(rng.randint(1, 6))]
    out = points[0]
    for point in points[1:]:
        out += rng.choice(seps) + point
    return out


def test_both_forms_agree_on_random_histories() -> None:
    rng = random.Random(20240601)
    histories: list[str | None] = [random_history(rng) for _ in range(3000)]
    derived = batch(histories)
    problems = batch_problems(histories)
    assert derived is not None
    assert problems is not None
    readable = 0
    for history, got, problem in zip(
        histories, derived["fans_max_jump"].to_list(), problems.to_list(), strict=True
    ):
        assert same(got, row(history)), history
        assert ([] if problem is None else [problem]) == row_problems(history), history
        readable += got is not None
    assert readable > 100  # the generator makes readable histories too


def test_an_empty_batch_still_gives_the_dtype() -> None:
    derived = batch([])
    assert derived is not None
    assert derived.height == 0
    assert derived.schema == pl.Schema({"fans_max_jump": pl.Float64})
    problems = batch_problems([])
    assert problems is not None
    assert problems.len() == 0
    assert problems.dtype == pl.String


def test_a_frame_without_the_column_gives_nulls() -> None:
    frame = pl.DataFrame({"id": ["a", "b"]})
    derived = kolrules_douyin.kolrules_profiles_derive(frame=frame, platform=DOUYIN)
    assert derived is not None
    assert derived["fans_max_jump"].to_list() == [None, None]
    problems = kolrules_douyin.kolrules_profiles_validate(frame=frame, platform=DOUYIN)
    assert problems is not None
    assert problems.to_list() == [None, None]


def test_other_platforms_get_nothing() -> None:
    assert batch(["1万;2万"], OTHER) is None
    assert batch_problems(["1万;x"], OTHER) is None
    for hook in (
        kolrules_douyin.kolrules_profile_derive,
        kolrules_douyin.kolrules_profile_validate,
    ):
        assert hook(profile={"fans_history": "1万;2万"}, platform=OTHER) is None


def test_the_value_is_exactly_the_float_division() -> None:
    # 1.2万 is read as 12 * 10000 / 10, as kolrules reads a cell: exactly 12000.0.
    assert row("1.2万;1.3万") == (13000.0 - 12000.0) / 12000.0
    assert row("1万;1万") == 0.0
