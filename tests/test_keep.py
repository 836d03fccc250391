"""``--keep COL,...`` and ``Engine.decision_frames(keep=...)``: input columns carried into
the decision frames (so into csv and xlsx output) right after ``id``, for every row, error
rows too; by default on the command line the platform's name or nickname column."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from kolrules import Engine
from kolrules.cli import main
from kolrules.errors import InputFileError

HEADER = "达人ID,昵称,粉丝数,平均点赞,平台,备注\n"
ROWS = "a,小鹿,12000,300,小红书,=1+1\nb,阿June,-5,95,小红书,\na,重复,4500,50,小红书,dup\n"


def run(args: Sequence[str | Path], code: int = 0) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "kols.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def decisions(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")


def test_the_nickname_is_kept_by_default_on_the_command_line(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "out.csv"
    run(["evaluate", source, "-o", out])
    frame = decisions(out)
    assert frame.columns[:4] == ["row", "id", "昵称", "platform"]
    assert frame["昵称"].to_list() == ["小鹿", "阿June", "重复"]  # the error rows too
    assert frame["status"].to_list() == ["evaluated", "error", "error"]
    run(["evaluate", source, "-o", tmp_path / "none.csv", "--keep", ""])
    assert "昵称" not in decisions(tmp_path / "none.csv").columns
    no_nickname = tmp_path / "plain.csv"
    no_nickname.write_text("id,followers\nx,100\n", encoding="utf-8")
    run(["evaluate", no_nickname, "-o", tmp_path / "plain-out.csv"])
    assert decisions(tmp_path / "plain-out.csv").columns[:3] == ["row", "id", "platform"]


def test_named_columns_in_order_as_written(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "out.csv"
    run(["evaluate", source, "-o", out, "--keep", "备注, 粉丝数,平台"])
    frame = decisions(out)
    assert frame.columns[:5] == ["row", "id", "备注", "粉丝数", "平台"]
    # As read: text, not the normalised number, neutralised like any text cell (a leading
    # - too, as in the csv format's other text columns).
    assert frame["粉丝数"].to_list() == ["12000", "'-5", "4500"]
    assert frame["备注"].to_list() == ["'=1+1", None, "dup"]
    raw = tmp_path / "raw.csv"
    run(["evaluate", source, "-o", raw, "--keep", "备注", "--raw"])
    assert decisions(raw)["备注"].to_list() == ["=1+1", None, "dup"]


def test_a_header_named_like_a_decision_column_is_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,followers,platform,score\nx,100,RED,9\n", encoding="utf-8")
    frames = list(
        Engine().decision_frames(
            [pl.read_csv(path, infer_schema=False)], keep=["score", "platform"]
        )
    )
    assert frames[0].columns[:5] == ["row", "id", "input:score", "input:platform", "platform"]
    assert frames[0].row(0, named=True)["input:score"] == "9"


def test_a_missing_column_is_an_input_error(tmp_path: Path, source: Path) -> None:
    result = run(["evaluate", source, "-o", tmp_path / "o.csv", "--keep", "粉丝"], 4)
    assert "no column '粉丝' to keep: the input's columns are '达人ID'" in result.stderr
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(InputFileError, match="no column 'nope' to keep"):
        list(Engine().decision_frames([pl.read_csv(source, infer_schema=False)], keep=["nope"]))


def test_case_and_spaces_aside_when_one_header_matches(source: Path) -> None:
    df = pl.DataFrame({"ID": ["a"], "Followers": ["10"], " Nick Name ": ["n"]})
    frame = next(Engine().decision_frames([df], keep=["nick name"]))
    assert frame.columns[:3] == ["row", "id", " Nick Name "]


def test_kept_across_batches_and_by_default_none_in_the_api(source: Path) -> None:
    df = pl.read_csv(source, infer_schema=False)
    engine = Engine()
    plain = pl.concat(engine.decision_frames([df.slice(0, 2), df.slice(2)]))
    assert "昵称" not in plain.columns
    kept = pl.concat(engine.decision_frames([df.slice(0, 2), df.slice(2)], keep=None))
    assert kept["昵称"].to_list() == ["小鹿", "阿June", "重复"]
    assert kept.drop("昵称").equals(plain)


def test_keep_is_refused_where_it_does_not_reach_yet(tmp_path: Path, source: Path) -> None:
    for fmt in ("json", "jsonl", "table"):
        result = run(["evaluate", source, "-f", fmt, "--keep", "昵称"], 2)
        assert f"--keep is for csv and xlsx output, not yet for {fmt}" in result.stderr


def test_the_api_writes_kept_columns_to_a_file(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "api.csv"
    Engine().evaluate_to_file(source, out, keep=["昵称", "备注"])
    assert decisions(out).columns[:4] == ["row", "id", "昵称", "备注"]
