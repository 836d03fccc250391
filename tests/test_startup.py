"""Start-up: a small CSV file is read and decided without polars, as polars would.

``kolrules evaluate FILE`` (a table) and :meth:`Engine.preview` read a small CSV file with
:func:`kolrules.read.small_csv` and evaluate it one profile at a time (the one-profile
path, which decides as the columnar path does: tests/test_paths_agree.py), so that the
first decision does not wait for polars to load. These tests check that this reads what
:func:`kolrules.read.read_csv` (polars) reads, on the example files, the hostile corpus
and generated files, and that the preview, the kept columns and the table are the
columnar path's, byte for byte. How long start-up takes is measured in
``benchmarks/run.py --startup``, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hostile_corpus import CELL_FIELDS, CELLS, all_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kolrules.engine as engine_module
from kolrules import hookimpl
from kolrules.cli.main import main
from kolrules.engine import Engine
from kolrules.errors import InputFileError
from kolrules.read import SMALL_CSV_BYTES, read_csv, small_csv
from kolrules.report import render_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "candidates.csv", ROOT / "examples" / "candidates-gbk.csv"]


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def _polars_read(path: Path) -> tuple[list[str], list[dict[str, Any]]] | str:
    """What the columnar path reads: the headers and rows, or the error's message."""
    try:
        frame = read_csv(path)
    except InputFileError as exc:
        return str(exc)
    return frame.columns, frame.rows(named=True)


def _small_read(path: Path) -> tuple[list[str], list[dict[str, Any]]] | str | None:
    try:
        return small_csv(path, 100_000)
    except InputFileError as exc:
        return str(exc)


def _agree(path: Path) -> bool:
    """``small_csv`` reads ``path`` as polars does, or leaves it to polars (``None``);
    whether it read it."""
    small = _small_read(path)
    if small is None:
        return False
    assert small == _polars_read(path), path.read_bytes()[:300]
    return True


# -- reading ---------------------------------------------------------------------------------


def test_the_example_files_are_read_as_polars_reads_them() -> None:
    for path in EXAMPLES:
        assert _agree(path), path
    headers, rows = small_csv(EXAMPLES[1], 100) or ([], [])
    assert headers[:3] == ["小红书号", "博主昵称", "平台"] and len(rows) == 37
    assert rows[29]["笔记数"] == "1,234"  # a quoted cell, in GBK with CRLF line ends


def _csv_files() -> list[tuple[str, bytes]]:
    """The hostile corpus's delimited files, and each of its hostile cells in every field
    and encoding without the cells that hold a line end (which small_csv leaves to
    polars), so that the cells are read on both paths."""
    found = {
        data: f"{case.id}/{name}"
        for case in all_cases()
        for name, data in case.files.items()
        if name.endswith((".csv", ".tsv"))
    }  # many rulesets' cases share one file
    files = [(name, data) for data, name in found.items()]
    header = ["id", "handle", *CELL_FIELDS[2:]]
    flat = [c for c in CELLS if "\n" not in c and "\r" not in c]
    for field in CELL_FIELDS:
        for encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
            lines = [",".join(header)]
            for i, cell in enumerate(flat):
                row = dict.fromkeys(header, "1") | {"id": f"k{i}", "origin": "homegrown"}
                row[field] = cell
                lines.append(",".join(_quote(row[h], i) for h in header))
            text = "\r\n".join(lines) + "\r\n"
            try:
                files.append((f"cells-{field}-{encoding}.csv", text.encode(encoding)))
            except UnicodeEncodeError:
                continue  # 🙂 in GB18030: encodes; a lone surrogate would not
    return files


def _quote(cell: str, i: int) -> str:
    """Every other row quoted whole, the others as they are when that is plain CSV."""
    if i % 2 or any(c in cell for c in ',"') or not cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def test_the_hostile_corpus_files_are_read_as_polars_reads_them(tmp_path: Path) -> None:
    read = 0
    files = _csv_files()
    for i, (name, data) in enumerate(files):
        path = tmp_path / str(i) / Path(name).name
        path.parent.mkdir()
        path.write_bytes(data)
        read += _agree(path)
    assert len(files) > 100
    assert read >= 36, f"only {read} of {len(files)} files were read without polars"


_CELL = st.one_of(
    st.sampled_from(["", " ", "a", "1.2万", "¥8,000", "8,000", '"', '""', 'a"b', ";", "\t"]),
    st.text(alphabet=st.sampled_from('ab 1,;\t"\u3000\ufeff\r\n\x85\u2028万'), max_size=6),
)


@st.composite
def _csv_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.integers(1, 4))
    header = draw(
        st.lists(st.sampled_from(["id", "粉丝数", "x", "", " ", "y z"]), min_size=width,
                 max_size=width, unique_by=lambda h: h if h.strip() else object())
    )  # fmt: skip
    records = draw(st.lists(st.lists(_CELL, max_size=width + 1), max_size=6))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [sep.join(header)]
    for cells in records:
        quoted = draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
        lines.append(
            sep.join(
                '"' + c.replace('"', '""') + '"' if q else c
                for c, q in zip(cells, quoted, strict=True)
            )
        )
    text = draw(st.sampled_from(["", eol])) + eol.join(lines) + draw(st.sampled_from(["", eol]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    suffix = ".tsv" if sep == "\t" and draw(st.booleans()) else ".csv"
    return suffix, text.encode(encoding, errors="replace")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_csv_bytes())
def test_generated_files_are_read_as_polars_reads_them(case: tuple[str, bytes]) -> None:
    import tempfile

    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in{suffix}"
        path.write_bytes(data)
        _agree(path)


def test_what_small_csv_leaves_to_polars(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    left = {
        "a quoted line end": 'id,x\na,"1\n2"\n',
        "a stray quote": 'id,x\na,1"2\n',
        "text after a closing quote": 'id,x\na,"1"2\n',
        "a lone carriage return": "id,x\na,1\rb,2\n",
        "more cells than the header": "id,x\na,1,2\n",
        "a value under a blank header": "id,,x\na,1,2\n",
    }
    for why, text in left.items():
        path.write_text(text, encoding="utf-8")
        assert small_csv(path, 10) is None, why
        assert isinstance(_polars_read(path), tuple | str)
    path.write_text("id,x\n" + "a,1\n" * 11, encoding="utf-8")
    assert small_csv(path, 10) is None  # more rows than asked for
    assert small_csv(path, 11) == (["id", "x"], [{"id": "a", "x": "1"}] * 11)
    path.write_text("id,x\n" + "a," + "1" * SMALL_CSV_BYTES + "\n", encoding="utf-8")
    assert small_csv(path, 10) is None  # more bytes than SMALL_CSV_BYTES
    path.write_text("id,x,\n\na,1,\n,,\n\n", encoding="utf-8")
    assert small_csv(path, 10) == (["id", "x"], [{"id": None, "x": None}, {"id": "a", "x": "1"}])


def test_a_file_that_cannot_be_read_raises_what_the_columnar_path_raises(tmp_path: Path) -> None:
    for name, data in [("e.csv", b""), ("d.csv", b"id,id\na,b\n"), ("b.csv", b"\xd0\xcf\x11\xe0")]:
        path = tmp_path / name
        path.write_bytes(data)
        message = _small_read(path)
        assert isinstance(message, str) and message == _polars_read(path)
    assert _small_read(tmp_path / "missing.csv") == _polars_read(tmp_path / "missing.csv")


# -- deciding --------------------------------------------------------------------------------


def _both(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any]:
    """``run()`` with the small-input path, then with the columnar path only."""
    small = run()
    with monkeypatch.context() as m:
        m.setattr(engine_module, "SMALL_ROWS", 0)
        columnar = run()
    return small, columnar


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except InputFileError as exc:
        return str(exc)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("limit", [50, 20, 0])
def test_the_preview_of_the_examples_is_the_columnar_paths(
    monkeypatch: pytest.MonkeyPatch, strict: bool, limit: int
) -> None:
    engine = Engine("red-default", strict=strict, load_entrypoints=False)
    for path in EXAMPLES:
        small, columnar = _both(monkeypatch, lambda p=path: engine.preview(p, limit))
        assert small == columnar
        assert small[0].columns == columnar[0].columns
        tables = []
        for report, whole in (small, columnar):
            import io

            out = io.StringIO()
            render_table(report, out, whole=whole)
            tables.append(out.getvalue())
        assert tables[0] == tables[1]
    assert small[1].counts == {"accepted": 20, "review": 11, "rejected": 3, "errors": 3} or strict


def test_the_preview_of_the_hostile_corpus_is_the_columnar_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engines = [Engine("red-default", load_entrypoints=False, strict=s) for s in (False, True)]
    decided = 0
    for i, (name, data) in enumerate(_csv_files()):
        path = tmp_path / str(i) / Path(name).name
        path.parent.mkdir()
        path.write_bytes(data)
        if _small_read(path) is None:
            continue  # the columnar path both times
        for engine in engines:
            small, columnar = _both(
                monkeypatch, lambda e=engine, p=path: _outcome(lambda: e.preview(p, 20))
            )
            assert small == columnar, name
            decided += not isinstance(small, str)
    assert decided >= 60


def test_kept_values_are_the_columnar_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine("red-default", load_entrypoints=False)
    for path in EXAMPLES:
        for keep, rows in [(None, 50), (None, 5), (["id", "handle"], None), ([], 3)]:
            small, columnar = _both(
                monkeypatch,
                lambda p=path, k=keep, r=rows: _outcome(lambda: engine.kept_values(p, k, rows=r)),
            )
            assert small == columnar
    assert engine.kept_values(EXAMPLES[1], None, rows=1) == {1: {"博主昵称": "小鹿爱美妆"}}
    small, columnar = _both(
        monkeypatch, lambda: _outcome(lambda: engine.kept_values(EXAMPLES[0], ["nope"]))
    )
    assert small == columnar and "no column 'nope' to keep" in small


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("id,handle\na,b\n", "no 'followers' column"),
        ("id,followers,粉丝数\na,1,2\n", "both mean 'followers'"),
    ],
)
def test_the_columnar_paths_errors_come_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    engine = Engine("red-default", load_entrypoints=False)
    small, columnar = _both(monkeypatch, lambda: _outcome(lambda: engine.preview(path)))
    assert small == columnar and small.startswith(f"input file {path}: ") and error in small


class _Flags:
    """A plugin with a batch phase hook: its row form may differ, so no small path."""

    @hookimpl
    def kolrules_profiles_validate(self, frame: Any) -> Any:
        import polars as pl

        return pl.Series("problem", [None] * frame.height, dtype=pl.String)


def test_phase_hooks_keep_the_columnar_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> None:
        raise AssertionError("small_csv was called")

    engine = Engine("red-default", plugins=[_Flags()], load_entrypoints=False)
    monkeypatch.setattr(engine_module, "small_csv", refuse)
    report, whole = engine.preview(EXAMPLES[0])
    assert whole.rows_read == 37 and report.rows_read == 37


def test_the_table_on_the_command_line_is_the_columnar_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    for path, name in zip(EXAMPLES, ["handle", "博主昵称"], strict=True):
        for extra in ([], ["--limit", "7", "--keep", name], ["--strict"]):
            args = ["evaluate", str(path), *extra]
            small, columnar = _both(monkeypatch, lambda a=args: runner.invoke(main, a))
            assert (small.exit_code, small.output) == (columnar.exit_code, columnar.output)
            assert small.exit_code == 0 and "ruleset red-default" in small.output


# -- no polars -------------------------------------------------------------------------------


def _loads_polars(code: str) -> bool:
    """Whether ``code``, run in a fresh interpreter, left polars imported."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('polars' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout.strip().splitlines()[-1] == "True"


def test_an_engine_and_the_first_table_do_not_load_polars() -> None:
    """Polars is imported when a frame is needed: not for ``Engine(...)`` nor for the
    table of a small CSV file (in a fresh interpreter: the tests here loaded it)."""
    assert not _loads_polars("from kolrules import Engine\nEngine('red-default')")
    table = (
        "from kolrules.cli.main import main\n"
        "try:\n"
        f"    main(['evaluate', {str(EXAMPLES[1])!r}, '--limit', '3'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code"
    )
    assert not _loads_polars(table)
    assert _loads_polars(table.replace("'--limit', '3'", "'-f', 'csv'"))  # a frame is needed
