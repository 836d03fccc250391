"""``--keep COL,...`` and ``Engine.decision_frames(keep=...)``: input columns carried into
every output right after ``id``, for every row, error rows too (csv and xlsx columns,
``"kept"`` in json and jsonl, columns of the table); by default on the command line the
platform's name or nickname column."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from kolrules import Engine
from kolrules.cli import main
from kolrules.errors import InputFileError
from kolrules.report import render_json, render_jsonl, render_table

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


def json_entries(text: str, fmt: str) -> list[dict[str, Any]]:
    """The decisions and row errors of json or jsonl output, in row order."""
    if fmt == "jsonl":
        return [e for e in map(json.loads, text.splitlines()) if e["kind"] != "summary"]
    doc = json.loads(text)
    return sorted([*doc["decisions"], *doc["errors"]], key=lambda e: e["row"])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_carry_kept_columns_as_an_object_after_id(source: Path, fmt: str) -> None:
    entries = json_entries(run(["evaluate", source, "-f", fmt]).stdout, fmt)
    assert [e["kept"] for e in entries] == [{"昵称": "小鹿"}, {"昵称": "阿June"}, {"昵称": "重复"}]
    for entry in entries:  # right after id, in decisions and row errors alike
        keys = list(entry)
        assert keys[keys.index("id") + 1] == "kept"
    named = json_entries(run(["evaluate", source, "-f", fmt, "--keep", "备注,平台"]).stdout, fmt)
    assert [list(e["kept"].items()) for e in named] == [
        [("备注", "=1+1"), ("平台", "小红书")],  # as read: JSON is no spreadsheet
        [("备注", None), ("平台", "小红书")],
        [("备注", "dup"), ("平台", "小红书")],
    ]
    none = json_entries(run(["evaluate", source, "-f", fmt, "--keep", ""]).stdout, fmt)
    assert all("kept" not in e for e in none)


def test_kept_headers_are_keys_as_they_are(tmp_path: Path) -> None:
    """No ``input:`` prefix in JSON: the object holds nothing but the kept columns."""
    path = tmp_path / "p.csv"
    path.write_text('id,followers,score,"say ""hi"""\nx,100,9,"a\\b"\n', encoding="utf-8")
    out = run(["evaluate", path, "-f", "jsonl", "--keep", 'score,say "hi"']).stdout
    assert json.loads(out.splitlines()[0])["kept"] == {"score": "9", 'say "hi"': "a\\b"}


@pytest.mark.parametrize(("fmt", "render"), [("json", render_json), ("jsonl", render_jsonl)])
@pytest.mark.parametrize("keep", [["昵称", "备注"], None, []])
def test_streamed_and_whole_report_json_agree(
    source: Path, fmt: str, render: Callable[..., None], keep: list[str] | None
) -> None:
    engine = Engine(load_entrypoints=False)
    streamed = io.BytesIO()
    engine.evaluate_to_file(source, streamed, output_format=fmt, keep=keep, batch_rows=2)
    whole = io.StringIO()
    kept = engine.kept_values(source, keep)
    render(engine.evaluate_file(source), whole, kept=kept)
    assert streamed.getvalue().decode("utf-8") == whole.getvalue()
    assert ('"kept":' in whole.getvalue()) == (keep != [])


def test_kept_values_by_row(source: Path) -> None:
    engine = Engine(load_entrypoints=False)
    assert engine.kept_values(source) == {
        1: {"昵称": "小鹿"},
        2: {"昵称": "阿June"},
        3: {"昵称": "重复"},
    }
    assert engine.kept_values(source, ["备注"], rows=2) == {1: {"备注": "=1+1"}, 2: {"备注": None}}
    assert engine.kept_values(source, [], rows=2) == {}
    assert engine.kept_values(source, rows=0) == {}
    with pytest.raises(InputFileError, match="no column 'nope' to keep"):
        engine.kept_values(source, ["nope"])


def test_the_table_shows_the_nickname(tmp_path: Path, source: Path) -> None:
    table = run(["evaluate", source]).stdout
    header = next(line for line in table.splitlines() if line.startswith("id "))
    assert header.split()[:3] == ["id", "昵称", "tier"]
    assert "小鹿" in table
    errors = table[table.index("rows not evaluated") :]
    assert "阿June" in errors and "重复" in errors  # whose rows they are
    plain = run(["evaluate", source, "--keep", ""]).stdout
    header = next(line for line in plain.splitlines() if line.startswith("id "))
    assert header.split()[:2] == ["id", "tier"] and "小鹿" not in plain


def test_the_table_shows_named_columns_and_prefixes_its_own_names(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id,followers,score,city\nx,100,9,杭州\n", encoding="utf-8")
    table = run(["evaluate", path, "--keep", "city,score"]).stdout
    header = next(line for line in table.splitlines() if line.startswith("id "))
    assert header.split()[:4] == ["id", "city", "input:score", "tier"]
    engine = Engine(load_entrypoints=False)
    report, whole = engine.preview(path)
    out = io.StringIO()
    render_table(report, out, whole=whole, kept={1: {"city": "杭州"}})
    assert "杭州" in out.getvalue()


PLAIN_REPORTER = """\
    from kolrules import Reporter, hookimpl


    def render(report, stream):
        stream.write("ids: " + " ".join(d.id for d in report.decisions) + "\\n")


    @hookimpl
    def kolrules_reporters_register():
        return [Reporter(name="plain", extension=".plain", render=render)]
    """


def test_keep_is_refused_where_it_cannot_reach(
    source: Path, plugin_module: Callable[[str, str], str]
) -> None:
    """A plugin's format rendered from a whole Report (no write_batches) gets no input
    columns: asking for some is a usage error, the default is not."""
    module = plugin_module("kolrules_test_plain_keep", PLAIN_REPORTER)
    result = run(["-p", module, "evaluate", source, "-f", "plain", "--keep", "昵称"], 2)
    assert "--keep reaches csv, xlsx, json, jsonl and the table, not plain" in result.stderr
    assert run(["-p", module, "evaluate", source, "-f", "plain"]).stdout == "ids: a\n"


def test_the_api_writes_kept_columns_to_a_file(tmp_path: Path, source: Path) -> None:
    out = tmp_path / "api.csv"
    Engine().evaluate_to_file(source, out, keep=["昵称", "备注"])
    assert decisions(out).columns[:4] == ["row", "id", "昵称", "备注"]
    jsonl = tmp_path / "api.jsonl"
    Engine().evaluate_to_file(source, jsonl, output_format="jsonl")  # keep=(): none
    assert '"kept"' not in jsonl.read_text(encoding="utf-8")
