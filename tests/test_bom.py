"""``kolrules evaluate --bom/--no-bom``: a UTF-8 byte-order mark before csv output, so
that Excel reads its Chinese text as UTF-8. On by default for a csv file (-o), off on
standard output; --bom is refused for other formats (JSON must not start with one)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kolrules import Engine
from kolrules.cli import main

BOM = b"\xef\xbb\xbf"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "candidates.csv"


def run(args: Sequence[str | Path], code: int = 0) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture
def chinese(tmp_path: Path) -> Path:
    source = tmp_path / "中文.csv"
    source.write_text("达人ID,昵称,粉丝数\n小红-1,小鹿爱美妆,1.2万\n", encoding="utf-8")
    return source


def test_a_csv_file_gets_a_bom_by_default(tmp_path: Path, chinese: Path) -> None:
    run(["evaluate", chinese, "-o", tmp_path / "out.csv"])
    run(["evaluate", chinese, "-o", tmp_path / "plain.csv", "--no-bom"])
    with_bom = (tmp_path / "out.csv").read_bytes()
    plain = (tmp_path / "plain.csv").read_bytes()
    assert with_bom.startswith(BOM) and not plain.startswith(BOM)
    assert with_bom == BOM + plain  # nothing else differs
    assert "小红-1" in with_bom.decode("utf-8-sig")
    # -f csv to a file whose name does not say csv: the format decides.
    run(["evaluate", chinese, "-f", "csv", "-o", tmp_path / "out.txt"])
    assert (tmp_path / "out.txt").read_bytes() == with_bom


def test_standard_output_gets_one_only_when_asked(chinese: Path) -> None:
    plain = run(["evaluate", chinese, "-f", "csv"]).stdout_bytes
    marked = run(["evaluate", chinese, "-f", "csv", "--bom"]).stdout_bytes
    assert not plain.startswith(BOM)
    assert marked == BOM + plain


def test_bom_is_for_csv_only(tmp_path: Path, chinese: Path) -> None:
    result = run(["evaluate", chinese, "-o", tmp_path / "out.json", "--bom"], 2)
    assert "--bom is for csv output; json output has no byte-order mark" in result.stderr
    assert not (tmp_path / "out.json").exists()
    run(["evaluate", chinese, "-o", tmp_path / "out.jsonl"])
    assert not (tmp_path / "out.jsonl").read_bytes().startswith(BOM)
    run(["evaluate", chinese, "-o", tmp_path / "out.json", "--no-bom"])  # harmless
    assert (tmp_path / "out.json").read_bytes().startswith(b"{")


def test_kolrules_reads_its_own_bom_csv_back(tmp_path: Path) -> None:
    out = tmp_path / "decisions.csv"
    run(["evaluate", EXAMPLE, "-o", out])
    assert out.read_bytes().startswith(BOM)
    columns = run(["columns", out, "--json"]).stdout
    assert '"id": "id"' in columns  # the header's first name is read without the mark


def test_the_api_writes_a_bom_to_a_path_or_a_stream(tmp_path: Path) -> None:
    engine = Engine()
    engine.evaluate_to_file(EXAMPLE, tmp_path / "a.csv", bom=True)
    engine.evaluate_to_file(EXAMPLE, tmp_path / "b.csv")
    binary = io.BytesIO()
    engine.evaluate_to_file(EXAMPLE, binary, bom=True)
    plain = (tmp_path / "b.csv").read_bytes()
    assert not plain.startswith(BOM)
    assert (tmp_path / "a.csv").read_bytes() == BOM + plain == binary.getvalue()
