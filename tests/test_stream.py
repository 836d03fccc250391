"""Evaluating a file batch by batch (:meth:`Engine.evaluate_to_file`, the streamed csv
output of ``kolrules evaluate``): the same decisions as the in-memory run, every row
accounted for, encodings and odd files handled while streaming, no half-written output.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from kolrules.cli import EXIT_INPUT, EXIT_OK, main
from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.read import _named_batches, csv_batches, read_csv
from kolrules.report import render_csv

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


def streamed(engine: Engine, path: Path, **options: object) -> tuple[str, object]:
    out = io.BytesIO()
    summary = engine.evaluate_to_file(path, out, **options)  # type: ignore[arg-type]
    return out.getvalue().decode("utf-8"), summary


def in_memory(engine: Engine, path: Path) -> str:
    text = io.StringIO()
    render_csv(engine.evaluate_file(path), text)
    return text.getvalue()


@pytest.mark.parametrize("name", ["candidates.csv", "candidates-gbk.csv"])
@pytest.mark.parametrize("batch_rows", [1, 2, 7, 36, 37, 1000])
def test_streamed_csv_is_the_in_memory_csv(engine: Engine, name: str, batch_rows: int) -> None:
    text, summary = streamed(engine, EXAMPLES / name, batch_rows=batch_rows)
    assert text == in_memory(engine, EXAMPLES / name)
    report = engine.evaluate_file(EXAMPLES / name)
    assert summary.rows_read == report.rows_read == 37  # type: ignore[attr-defined]
    assert summary.counts == report.counts  # type: ignore[attr-defined]
    assert summary.accounted()  # type: ignore[attr-defined]


def test_duplicate_ids_are_found_across_batches(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    rows = ["id,followers,total_likes"]
    rows += [f"k{i},{10_000 + i},{50_000 + i}" for i in range(10)]
    rows += ["k3,20000,90000", "bad,x,1", "k9,30000,90000", "bad,20000,90000"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text, summary = streamed(engine, path, batch_rows=3)
    got = list(csv.DictReader(io.StringIO(text)))
    assert [r["row"] for r in got] == [str(n) for n in range(1, 15)]
    assert got[10]["status"] == "error"
    assert "duplicate id, first seen at row 4" in got[10]["errors"]
    assert "not a number" in got[11]["errors"]
    assert "duplicate id, first seen at row 10" in got[12]["errors"]
    # "bad" was first on a row that was not evaluated: its later row is not a duplicate.
    assert got[13]["status"] == "evaluated"
    assert summary.counts["errors"] == 3  # type: ignore[attr-defined]


def test_reasons_can_be_rule_ids(engine: Engine) -> None:
    text, _ = streamed(engine, EXAMPLES / "candidates.csv", reasons="rules")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    fake = next(r for r in rows.values() if r["rule:likes-below-followers"] == "fail")
    assert "likes-below-followers" in fake["reasons"].split(" | ")
    assert all(" " not in part for part in fake["reasons"].split(" | "))


def test_reasons_can_be_left_out(engine: Engine) -> None:
    text, _ = streamed(engine, EXAMPLES / "candidates.csv", reasons="text")
    none, _ = streamed(engine, EXAMPLES / "candidates.csv", reasons="none")
    full = list(csv.DictReader(io.StringIO(text)))
    bare = list(csv.DictReader(io.StringIO(none)))
    assert any(r["reasons"] for r in full) and any(r["to_pass"] for r in full)
    assert all(r["reasons"] == "" and r["to_pass"] == "" for r in bare)
    for a, b in zip(full, bare, strict=True):  # everything else is the same
        assert {k: v for k, v in a.items() if k not in ("reasons", "to_pass")} == {
            k: v for k, v in b.items() if k not in ("reasons", "to_pass")
        }
    frame = read_csv(EXAMPLES / "candidates.csv")
    framed = engine.evaluate_frame(frame, reasons="none")
    assert framed.get_column("reasons").null_count() == framed.height
    assert framed.drop("reasons").equals(engine.evaluate_frame(frame).drop("reasons"))
    result = CliRunner().invoke(
        main,
        # --keep "": the command line keeps the nickname column by default, the API not
        [
            "evaluate",
            str(EXAMPLES / "candidates.csv"),
            "-f",
            "csv",
            "--reasons",
            "none",
            "--keep",
            "",
        ],
    )
    assert result.exit_code == EXIT_OK
    assert result.stdout == none


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_encodings_while_streaming(
    engine: Engine, tmp_path: Path, encoding: str, bom: bytes
) -> None:
    source = (EXAMPLES / "candidates.csv").read_text(encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_bytes(bom + source.encode(encoding))
    text, _ = streamed(engine, path, batch_rows=5)
    assert text == in_memory(engine, EXAMPLES / "candidates.csv")


def test_classic_mac_line_ends_and_trailing_empty_rows(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,followers,total_likes\rk1,12000,48000\rk2,9000,40000\r,,\r,,\r")
    frames = list(csv_batches(path, 1))
    assert sum(f.height for f in frames) == 2
    assert read_csv(path).height == 2
    text, summary = streamed(engine, path, batch_rows=1)
    assert summary.rows_read == 2  # type: ignore[attr-defined]
    # An empty row followed by a filled one is a row, not the end of the file.
    path.write_text("id,followers\nk1,12000\n,\n,\nk2,9000\n", encoding="utf-8")
    # Empty rows at the end of a batch wait for the next, which shows they are not the end.
    parts = [pl.DataFrame({"id": ["k1", None, None]}), pl.DataFrame({"id": ["k2", None]})]
    assert [f.height for f in _named_batches(path, parts, ["id"])] == [1, 3]
    text, summary = streamed(engine, path, batch_rows=2)
    assert summary.counts["errors"] == 2  # type: ignore[attr-defined]
    assert "empty id" in text


def test_header_only_file_gives_a_header_only_output(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,followers\n", encoding="utf-8")
    text, summary = streamed(engine, path)
    assert text.startswith("row,id,platform,status,verdict")
    assert text.count("\n") == 1
    assert summary.rows_read == 0  # type: ignore[attr-defined]


def test_a_bad_line_late_in_the_file_leaves_no_output(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["id,followers"] + [f"k{i},{1000 + i}" for i in range(50)] + ["k50,1,2,3"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "decisions.csv"
    with pytest.raises(InputFileError, match=r"line 52: 4 cells, but the header has 2"):
        engine.evaluate_to_file(path, target, batch_rows=10)
    assert list(tmp_path.iterdir()) == [path]


def test_cli_streams_csv_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    source = str(EXAMPLES / "candidates.csv")
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["evaluate", source, "-o", str(target)])
    assert result.exit_code == EXIT_OK
    assert "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3" in result.stderr
    shown = CliRunner().invoke(main, ["evaluate", source, "-f", "csv"])
    assert shown.exit_code == EXIT_OK
    # The file starts with a byte-order mark (--bom, on for a csv file), stdout does not.
    assert shown.stdout == target.read_text(encoding="utf-8-sig")
    ids = CliRunner().invoke(main, ["evaluate", source, "-f", "csv", "--reasons", "rules"])
    assert ids.exit_code == EXIT_OK
    assert len(ids.stdout.splitlines()) == 38
    assert ids.stdout != shown.stdout


def test_cli_bad_input_while_streaming_exits_4(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,followers\nk1,"12\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(path), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == EXIT_INPUT
    assert "never closed" in result.stderr
    assert not (tmp_path / "o.csv").exists()


# -- the table of a large file: the first rows, the whole file's counts --------------------


@pytest.mark.parametrize("batch_rows", [4, 1000])
def test_preview_shows_the_first_rows_and_counts_every_row(engine: Engine, batch_rows: int) -> None:
    path = EXAMPLES / "candidates.csv"
    whole = engine.evaluate_file(path)
    head, summary = engine.preview(path, 7, batch_rows=batch_rows)
    assert summary.rows_read == whole.rows_read == 37
    assert summary.counts == whole.counts
    assert summary.accounted()
    assert [d.row for d in head.decisions] + [e.row for e in head.errors] == sorted(
        [d.row for d in whole.decisions if d.row <= 7] + [e.row for e in whole.errors if e.row <= 7]
    )
    assert head.decisions == tuple(d for d in whole.decisions if d.row <= 7)
    empty, counted = engine.preview(path, 0)
    assert empty.decisions == () and counted.counts == whole.counts


def test_cli_table_lists_the_first_rows_with_what_it_would_take() -> None:
    result = CliRunner().invoke(
        main, ["evaluate", str(EXAMPLES / "candidates.csv"), "--limit", "5"]
    )
    assert result.exit_code == EXIT_OK, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "rows read 37 = accepted 20 + review 11 + rejected 3 + errors 3"
    assert "(the first 5 of 37 rows; --limit N shows more" in result.output
    assert "red-006" not in result.output
    text = " ".join(result.output.split())  # the reasons column wraps
    assert "quote 50,000 RMB is above 10,000 RMB" in text
    assert "to pass: price at most 10,000 (now 50,000)" in text
    assert "to pass: price given" not in text  # not for an info
    everything = CliRunner().invoke(main, ["evaluate", str(EXAMPLES / "candidates.csv")])
    assert "of 37 rows" not in everything.output  # 37 rows fit the default 50


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path: Path, fmt: str) -> None:
    """``kolrules evaluate big.csv | head``: exit 141 (as on SIGPIPE), nothing on stderr."""
    import os
    import subprocess
    import sys

    from kolrules.cli.errors import EXIT_PIPE

    with (EXAMPLES / "candidates.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for n in range(600):
            writer.writerows({**r, "id": f"{r['id']}-{n}"} for r in rows)
    env = {**os.environ, "KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "kolrules.cli", "evaluate", str(big), "-f", fmt]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100)
        process.stdout.close()  # as head does once it has its lines
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == EXIT_PIPE == 141
    assert stderr == ""


EVIL_IDS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1", "\t=1", "\r=1"]


def test_csv_neutralises_cells_a_spreadsheet_would_run(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "followers", "total_likes", "posts", "price"])
        writer.writerows([[i, 20000, 90000, 50, 3000] for i in [*EVIL_IDS, "ok-1"]])
    text, _ = streamed(engine, path)
    ids = [row["id"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    read = [i.strip() for i in EVIL_IDS]  # cells are trimmed: "\t=1" is read as "=1"
    assert ids == [*("'" + i for i in read), "ok-1"]
    assert in_memory(engine, path) == text  # a Report's csv is as safe
    raw, _ = streamed(engine, path, raw=True)
    assert [row["id"] for row in csv.DictReader(io.StringIO(raw, newline=""))] == [*read, "ok-1"]
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["evaluate", str(path), "-o", str(out), "--raw"])
    assert result.exit_code == EXIT_OK, result.output
    assert out.read_text(encoding="utf-8-sig") == raw  # after the byte-order mark (--bom)
    lines, _ = streamed(engine, path, output_format="jsonl")  # json stays exact
    assert [json.loads(x)["id"] for x in lines.splitlines()[:-1]] == [*read, "ok-1"]
