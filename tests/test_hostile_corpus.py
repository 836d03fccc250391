"""The hostile-input corpus (``tests/hostile_corpus.py``): for every case, no traceback,
the documented exit code, a message naming the file and where in it (line, key, item,
column), every input row accounted for (in the summary and in the output), no output
left behind by a failed run, and memory under a cap (``resource.setrlimit``): for the
large cases in a child process, for the others in-process, the address space each may
add while it runs.

Most cases run in-process through the command line (click's CliRunner), which keeps the
module fast; only the large ones pay for a child process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
from hostile_corpus import EXIT_OK, Case, all_cases
from hostile_kit import check_exit, counts, invoke, run_limited

CASES = all_cases()

#: Cells a spreadsheet would run as a formula, unless neutralised with a leading quote.
FORMULA = re.compile(r"^[=+\-@\t\r]")


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_the_corpus_is_large_and_its_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 200
    kinds = {case.args[0] if case.args[0] != "--plugins-dir" else "plugin" for case in CASES}
    assert kinds == {"evaluate", "validate", "plugin"}


#: How much more address space an in-process case may take than the test process holds
#: when it starts: far above what any case needs (the large cases run in a child process
#: under their own cap), and far below what a runaway allocation asks for.
CASE_ADDRESS_SPACE = 2 << 30


@contextmanager
def _address_space_capped() -> Iterator[None]:
    """Memory under a limit for an in-process case: ``RLIMIT_AS`` set to the address space
    the process holds now plus :data:`CASE_ADDRESS_SPACE` while the case runs, so a case
    that asks for more fails with a MemoryError (a traceback the case checks refuse)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = _address_space()
    cap = size + CASE_ADDRESS_SPACE
    if size == 0 or (hard != resource.RLIM_INFINITY and cap > hard):
        yield  # not measurable here (no /proc): the case runs without the cap
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    """The bytes of address space this process holds (``VmSize``), 0 where unknown."""
    try:
        text = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0
    found = re.search(r"^VmSize:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def _write(case: Case, tmp_path: Path) -> dict[str, str]:
    paths: dict[str, str] = {}
    for name, data in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[name] = str(path)
        paths[name.split("/")[0]] = str(tmp_path / name.split("/")[0])
    return paths


def _params() -> list[object]:
    marks = []
    for case in CASES:
        known = [pytest.mark.xfail(reason=case.known, strict=True)] if case.known else []
        marks.append(pytest.param(case, id=case.id, marks=known))
    return marks


@pytest.mark.parametrize("case", _params())
def test_a_hostile_case_has_its_documented_outcome(case: Case, tmp_path: Path) -> None:
    paths = _write(case, tmp_path)
    out = tmp_path / "out" / "decisions.csv"
    out.parent.mkdir()
    args = [_fill(a, paths) for a in case.args]
    if args[0] == "evaluate" or "evaluate" in args[:3]:
        args += ["-o", str(out)]
    if case.heavy:
        done = run_limited(args, tmp_path)
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
        shown = f"exit {code}\nstderr:\n{stderr[-3000:]}"
        assert code == case.code, shown
        assert "Traceback" not in stdout + stderr, shown
    else:
        with _address_space_capped():
            result = invoke(args)
        check_exit(result, case.code)
        stdout, stderr = result.stdout, result.stderr
    if case.code != EXIT_OK:
        assert re.search(_unescape(case.where, paths), stderr, re.DOTALL), stderr[-3000:]
        assert stdout.strip() in ("", f"FAIL {paths.get('r.toml')}")
        assert list(out.parent.iterdir()) == []  # nothing written, not even a .partial
        return
    read, accounted = counts(stderr)
    assert read == accounted == case.rows, stderr
    decisions = pl.read_csv(out, infer_schema=False)
    assert decisions.height == case.rows
    assert decisions["row"].to_list() == [str(i) for i in range(1, case.rows + 1)]
    errors = decisions.filter(pl.col("status") == "error")
    assert errors.height == int(stderr.split("errors ")[-1].split()[0])
    for message in errors["errors"].to_list():
        assert message.startswith("column '"), message  # names the column of the cell
    for cell in decisions["id"].drop_nulls().to_list():
        assert not FORMULA.match(cell), cell  # safe to open in a spreadsheet


def _fill(arg: str, paths: dict[str, str]) -> str:
    """``arg`` with ``{name}`` replaced by the path of the case's file ``name``."""
    return paths[arg[1:-1]] if arg.startswith("{") else arg


def _unescape(pattern: str, paths: dict[str, str]) -> str:
    """``pattern`` (a regular expression) with each ``{name}`` replaced by the escaped
    path of the case's file ``name``."""
    for name, path in sorted(paths.items(), key=lambda item: -len(item[0])):
        pattern = pattern.replace("{" + name + "}", re.escape(path))
    return pattern


def test_the_in_process_cap_stops_a_runaway_allocation() -> None:
    if _address_space() == 0:
        pytest.skip("no /proc/self/status: the in-process cap is not applied here")
    with pytest.raises(MemoryError), _address_space_capped():
        bytearray(CASE_ADDRESS_SPACE + (1 << 30))
    bytearray(64 << 20)  # and the cap is lifted after the case
