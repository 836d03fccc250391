"""The ``json`` and ``jsonl`` formats, streamed from the columnar evaluation
(:mod:`kolrules.formats`), write what the Decision objects say.

The reference is the Decision-object path: ``Engine.evaluate_file`` makes a
:class:`~kolrules.types.Decision` per row (``decisions_from_columns``), and each is turned
into JSON by ``Decision.to_dict`` and ``jsonable``, as the formats did before they
streamed. Both sides are parsed with ``json.loads`` and compared with the types of the
numbers (``1.0`` is not ``1``, ``-0.0`` is not ``0.0``) and the order of the keys.

Inputs: every bundled ruleset on the example files and on a generated export of its
platform (benchmarks/generate.py: dirty rows, duplicate and empty ids, unreadable and
infinite cells) with edge rows added (every column missing, unreadable, NaN, infinite,
negative), in batches of 1, 7 and the whole file; and every engine of the agreement tests
(tests/agree_strategies.py: generated rulesets with a plugin's derived metrics and rule
kind, strict on and off) on rows Hypothesis draws.
"""

from __future__ import annotations

import io
import json
import math
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest
from agree_strategies import Case, cases
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kolrules.cli import main
from kolrules.engine import Engine
from kolrules.evaluate import _HOLDS, _holds_expr, price_position
from kolrules.formats import (
    StreamedRun,
    decision_json,
    decision_text,
    dumps,
    jsonable,
    write_json_batches,
    write_jsonl_batches,
)
from kolrules.report import JSON, JSONL, render_json, render_jsonl
from kolrules.types import RowError

REPO = Path(__file__).resolve().parents[1]
#: The RED examples (examples/wechat-candidates.csv is WeChat's: tests/test_wechat_pricing.py).
EXAMPLES = [
    p
    for p in sorted((REPO / "examples").glob("*.csv")) + sorted((REPO / "examples").glob("*.jsonl"))
    if not p.name.startswith("wechat-")
]
#: The generated export of each platform (as benchmarks/run.py picks it).
FLAVOUR_OF_PLATFORM = {"red": "red-extra", "weibo": "weibo", "wechat": "wechat"}
#: What edge rows put in a cell.
EDGE_CELLS = ("", "abc", "nan", "NaN", "inf", "-inf", "1e400", "-5", "0", "暂无", "1.2万")


@cache
def engine(name: str) -> Engine:
    return Engine(name, load_entrypoints=False)


RULESETS = sorted(Engine(load_entrypoints=False).named_rulesets())


# -- the reference, and the comparison ----------------------------------------------------


def typed(value: Any) -> Any:
    """``value`` (parsed JSON) with every number tagged by its type (floats by their
    repr) and every object as its list of items, so that ``==`` also compares the types
    of numbers and the order of keys."""
    if isinstance(value, dict):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def as_json(value: Any) -> Any:
    """``value`` as the Decision path writes and ``json.loads`` reads it."""
    return json.loads(json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False))


def expected_lines(eng: Engine, path: Path) -> list[Any]:
    """The jsonl lines of the Decision path, in row order, then the summary."""
    report = eng.evaluate_file(path)
    lines = []
    for entry in report.in_row_order():
        if isinstance(entry, RowError):
            lines.append(as_json({"kind": "error", **error_dict(entry)}))
        else:
            lines.append(as_json({"kind": "decision", **entry.to_dict()}))
    summary = {"kind": "summary", **report.summary(), "ruleset": ruleset_dict(eng)}
    lines.append(as_json({**summary, "source": str(path)}))
    return lines


def expected_document(eng: Engine, path: Path) -> Any:
    report = eng.evaluate_file(path)
    return as_json(
        {
            "ruleset": ruleset_dict(eng),
            "source": str(path),
            "columns": eng.read_columns(path).to_dict(),
            "decisions": [d.to_dict() for d in report.decisions],
            "errors": [error_dict(e) for e in report.errors],
            "summary": report.summary(),
        }
    )


def error_dict(error: RowError) -> dict[str, Any]:
    return {
        "row": error.row,
        "id": error.id,
        "errors": [
            {"column": e.column, "value": e.value, "reason": e.reason} for e in error.errors
        ],
        "reason": error.reason,
    }


def ruleset_dict(eng: Engine) -> dict[str, Any]:
    ref = eng.ruleset.ref
    return {"name": ref.name, "version": ref.version, "hash": ref.hash, "chain": list(ref.chain)}


def streamed(eng: Engine, path: Path, fmt: str, batch_rows: int) -> str:
    out = io.BytesIO()
    summary = eng.evaluate_to_file(path, out, output_format=fmt, batch_rows=batch_rows)
    assert summary.accounted()
    return out.getvalue().decode("utf-8")


def check(eng: Engine, path: Path, batch_rows: int) -> None:
    """Both formats, streamed in batches of ``batch_rows``, say what the Decision path says."""
    jsonl = streamed(eng, path, "jsonl", batch_rows)
    assert jsonl.endswith("\n")
    lines = [json.loads(line) for line in jsonl.splitlines()]
    want = expected_lines(eng, path)
    assert [line["kind"] for line in lines] == [line["kind"] for line in want]
    for got, line in zip(lines, want, strict=True):
        assert typed(got) == typed(line), line.get("row")
    document = json.loads(streamed(eng, path, "json", batch_rows))
    assert typed(document) == typed(expected_document(eng, path))


# -- generated inputs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    pytest.importorskip("numpy")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "formats_generate", REPO / "benchmarks" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_edge_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (text cells; ``id`` first) and, after it, rows copied from its first one
    with one cell each changed to an edge value, a duplicate id and an empty one."""
    first = frame.row(0, named=True)
    rows = []
    for n, (column, cell) in enumerate((c, v) for c in frame.columns[1:] for v in EDGE_CELLS):
        rows.append({**first, "id": f"edge-{n}", column: cell})
    rows.append({**first})  # the first row's id again: a row error
    rows.append({**first, "id": ""})  # no id: a row error
    rows.append({**first, "id": "gift", "price": None})  # no quote: a gifting candidate
    edges = pl.DataFrame(rows, schema=frame.schema)
    return pl.concat([frame, edges])


@pytest.fixture(scope="module")
def exports(generate: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated export per platform, with edge rows."""
    folder = tmp_path_factory.mktemp("exports")
    paths = {}
    for platform, flavour in FLAVOUR_OF_PLATFORM.items():
        frame = generate.frame(200, 5, flavour=flavour).cast(pl.String)
        paths[platform] = folder / f"{flavour}.csv"
        with_edge_rows(frame).write_csv(paths[platform])
    return paths


def test_the_inputs_have_what_the_formats_must_write(exports: dict[str, Path]) -> None:
    """The generated exports give every verdict (reject: not on WeChat), row errors, data
    errors, gifting candidates, failed rules with and without something to pass (present,
    a number, a text), superseded findings, not-applicable findings and (for a ruleset
    whose score reads inputs without a default) missing scores."""
    missing_scores = 0
    verdicts: set[str] = set()
    texts: set[type] = set()
    for name in RULESETS:
        eng = engine(name)
        report = eng.evaluate_file(exports[eng.plan.platform.name])
        assert {"accept", "review"} <= {d.verdict for d in report.decisions}, name
        verdicts |= {d.verdict for d in report.decisions}
        assert len(report.errors) >= 2  # a duplicate id, an empty one, and more
        assert any(d.data_errors for d in report.decisions)
        assert any(d.price.gifting for d in report.decisions)
        findings = [f for d in report.decisions for f in d.findings]
        assert {f.outcome for f in findings} == {"pass", "fail", "not_applicable"}
        assert any(f.to_pass for f in findings)
        assert any(f.outcome == "fail" and f.to_pass is None for f in findings)
        needs = [t for f in findings for t in f.to_pass or ()]
        assert any(t.op == "present" for t in needs)
        assert any(isinstance(t.now, float) for t in needs)
        assert any(f.superseded_by for f in findings)
        texts |= {type(t.need) for t in needs}
        missing_scores += sum(1 for d in report.decisions if d.score_missing)
    assert missing_scores
    assert verdicts == {"accept", "review", "reject"}
    assert texts == {float, str, type(None)}  # a text need too


@pytest.mark.parametrize("name", RULESETS)
@pytest.mark.parametrize("batch_rows", [7, 100_000])
def test_a_generated_export(name: str, batch_rows: int, exports: dict[str, Path]) -> None:
    eng = engine(name)
    check(eng, exports[eng.plan.platform.name], batch_rows)


@pytest.mark.parametrize("name", RULESETS)
def test_one_row_per_batch(name: str, exports: dict[str, Path], tmp_path: Path) -> None:
    eng = engine(name)
    frame = pl.read_csv(exports[eng.plan.platform.name], infer_schema=False)
    path = tmp_path / "tail.csv"
    frame.tail(40).write_csv(path)  # the edge rows
    check(eng, path, 1)


@pytest.mark.parametrize("name", [n for n in RULESETS if engine(n).plan.platform.name == "red"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("batch_rows", [1, 7, 100_000])
def test_the_examples(name: str, path: Path, batch_rows: int) -> None:
    check(engine(name), path, batch_rows)


# -- every engine of the agreement tests, on drawn rows -----------------------------------------


@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases(max_rows=12), batch=st.sampled_from(("one", "seven", "whole")))
def test_drawn_rows_of_every_engine(case: Case, batch: str, tmp_path_factory: Any) -> None:
    eng = case.target.engine
    _, frame = case.inputs()
    path = tmp_path_factory.mktemp("drawn") / "profiles.csv"
    frame.write_csv(path)
    check(eng, path, {"one": 1, "seven": 7, "whole": max(frame.height, 1)}[batch])


# -- the layout ---------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


KOLS = "id,followers,total_likes,price\na,12000,48000,2000\nb,20000,5,\na,1,1,1\nc,abc,10,1\n"


def test_jsonl_lines_in_row_order_then_the_summary(tmp_path: Path) -> None:
    path = write(tmp_path / "kols.csv", KOLS)
    text = streamed(engine("red-default"), path, "jsonl", 2)
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["kind"], line.get("row")) for line in lines] == [
        ("decision", 1),
        ("decision", 2),
        ("error", 3),  # a duplicate id
        ("error", 4),  # followers not a number
        ("summary", None),
    ]
    assert lines[2]["reason"] == "column 'id' 'a': duplicate id, first seen at row 1"
    assert {k: v for k, v in lines[-1].items() if k not in ("ruleset", "source")} == {
        "kind": "summary",
        "rows_read": 4,
        "accepted": 1,
        "review": 0,
        "rejected": 1,
        "errors": 2,
    }
    assert lines[-1]["source"] == str(path)
    # What the Report path writes, to the character.
    whole = io.StringIO()
    render_jsonl(engine("red-default").evaluate_file(path), whole)
    assert text == whole.getvalue()


def test_json_document_layout(tmp_path: Path) -> None:
    """Keys ruleset, source, columns (known once the first rows are read), decisions,
    errors, summary (last: known only at the end); one decision or row error per line."""
    path = write(tmp_path / "kols.csv", KOLS)
    eng = engine("red-default")
    text = streamed(eng, path, "json", 1)
    lines = text.split("\n")
    assert lines[0] == "{"
    assert lines[1].startswith('  "ruleset": {"name":"red-default",')
    assert lines[2] == f'  "source": {json.dumps(str(path))},'
    assert lines[3] == (
        '  "columns": {"read":{"id":"id","followers":"followers","total_likes":"total_likes",'
        '"price":"price"},"unused":[],"lacking":{"posts":["few-posts"],"avg_likes":'
        '["likes-per-view-band","few-comments","engagement-rate-low"],"avg_comments":'
        '["few-comments","engagement-rate-low"],"avg_collects":["engagement-rate-low"],'
        '"avg_views":["likes-per-view-band"],"account_age_days":["cross-platform-young"],'
        '"origin":["cross-platform-young","celebrity-endorsement"]},"not_applied":'
        '["likes-per-view-band","few-comments","few-posts","cross-platform-young"]},'
    )
    assert lines[4] == '  "decisions": ['
    assert lines[5].startswith('    {"id":"a","platform":"red","row":1,') and lines[5].endswith(
        "},"
    )
    assert lines[6].startswith('    {"id":"b",') and lines[6].endswith("}")
    assert lines[7:9] == ["  ],", '  "errors": [']
    assert lines[9].startswith('    {"row":3,"id":"a",') and lines[9].endswith("},")
    assert lines[10].startswith('    {"row":4,"id":"c",') and lines[10].endswith("}")
    assert lines[11:] == [
        "  ],",
        '  "summary": {"rows_read":4,"accepted":1,"review":0,"rejected":1,"errors":2}',
        "}",
        "",
    ]
    assert list(json.loads(text)) == [
        "ruleset",
        "source",
        "columns",
        "decisions",
        "errors",
        "summary",
    ]
    whole = io.StringIO()
    render_json(eng.evaluate_file(path), whole)
    assert text == whole.getvalue()


def test_an_input_without_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "kols.csv", "id,followers,total_likes\n")
    eng = engine("red-default")
    document = streamed(eng, path, "json", 7)
    assert '  "decisions": [],\n  "errors": [],\n' in document
    assert json.loads(document)["summary"] == {
        "rows_read": 0,
        "accepted": 0,
        "review": 0,
        "rejected": 0,
        "errors": 0,
    }
    (line,) = streamed(eng, path, "jsonl", 7).splitlines()
    assert json.loads(line)["kind"] == "summary"


def test_only_row_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "kols.csv", "id,followers,total_likes\n,1,1\nb,x,1\n")
    eng = engine("red-default")
    check(eng, path, 1)
    assert '  "decisions": [],\n  "errors": [\n' in streamed(eng, path, "json", 1)


def test_many_slices_of_text_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is turned into text a slice at a time: the lines are the same whatever
    the size of the slices."""
    monkeypatch.setattr(decision_json, "LINE_ROWS", 3)
    path = EXAMPLES[0]
    check(engine("red-default"), path, 100_000)
    check(engine("red-default"), path, 7)


def test_a_text_stream(tmp_path: Path) -> None:
    path = write(tmp_path / "kols.csv", KOLS)
    eng = engine("red-default")
    for fmt in ("json", "jsonl"):
        text = io.StringIO()
        eng.evaluate_to_file(path, text, output_format=fmt, batch_rows=3)
        assert text.getvalue() == streamed(eng, path, fmt, 3)


def test_the_command_line_streams_both(tmp_path: Path) -> None:
    path = write(tmp_path / "kols.csv", KOLS)
    eng = engine("red-default")
    runner = CliRunner()
    for fmt in ("json", "jsonl"):
        result = runner.invoke(
            main, ["evaluate", str(path), "-f", fmt], env={"KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}
        )
        assert result.exit_code == 0, result.output
        assert result.stdout == streamed(eng, path, fmt, 100_000)
        assert result.stderr.strip().endswith("rejected 1 + errors 2")
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(
            main,
            ["evaluate", str(path), "-o", str(out)],
            env={"KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8") == streamed(eng, path, fmt, 100_000)


def test_the_reporters_stream_and_still_render_a_report() -> None:
    assert JSON.write_batches is write_json_batches
    assert JSONL.write_batches is write_jsonl_batches
    report = engine("red-default").evaluate_file(EXAMPLES[0])
    for reporter in (JSON, JSONL):
        text = io.StringIO()
        reporter.render(report, text)
        assert text.getvalue() == streamed(engine("red-default"), EXAMPLES[0], reporter.name, 7)


@pytest.mark.parametrize("write_batches", [write_json_batches, write_jsonl_batches])
def test_the_streaming_forms_need_a_streamed_run(write_batches: Any) -> None:
    frames = iter([pl.DataFrame({"verdict": ["accept"]})])
    with pytest.raises(TypeError, match=r"streams a run evaluated by kolrules\.Engine") as info:
        write_batches(frames, io.BytesIO())
    assert "call the reporter's render" in str(info.value)
    assert not isinstance(frames, StreamedRun)


# -- the pieces that follow Python's semantics ----------------------------------------------------

VALUES = [None, -math.inf, -1.5, -0.0, 0.0, 2.0, math.inf, math.nan]


def test_comparisons_hold_as_python_compares() -> None:
    """polars orders NaN above every number and equal to itself; Python's comparisons
    with NaN are false, but ``!=``: what it would take follows Python."""
    pairs = [(a, b) for a in VALUES for b in VALUES if a is not None and b is not None]
    frame = pl.DataFrame(
        {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
        schema={"a": pl.Float64, "b": pl.Float64},
    )
    for op, holds in _HOLDS.items():
        got = frame.select(_holds_expr(pl.col("a"), pl.col("b"), op, True)).to_series()
        assert got.to_list() == [holds(a, b) for a, b in pairs], op


def test_price_position_as_python_places_it() -> None:
    rows = [
        (p, lo, hi) for p in VALUES for lo in (None, 1.0, math.nan) for hi in (None, 3.0, math.nan)
    ]
    frame = pl.DataFrame(
        rows,
        schema={"price": pl.Float64, "band_min": pl.Float64, "band_max": pl.Float64},
        orient="row",
    )
    plan = engine("red-default").plan
    price = decision_json._price(plan)
    got = frame.with_columns(cpe=pl.lit(1.0)).select(price.struct.field("position")).to_series()
    assert got.to_list() == [price_position(*row) for row in rows]


def test_patterns_of_more_flags_than_a_word_holds() -> None:
    flags = 2 * decision_json._WORD_BITS + 5
    rows = [tuple((r * 7 + k) % (r % 5 + 2) == 0 for k in range(flags)) for r in range(60)]
    frame = pl.DataFrame(rows, schema=[f"b{k}" for k in range(flags)], orient="row")
    where = pl.int_range(pl.len()) % 4 != 0
    code, patterns = decision_json._patterns(frame, [pl.col(c) for c in frame.columns], where)
    assert code.null_count() == 15
    for i, (c, row) in enumerate(zip(code.to_list(), rows, strict=True)):
        assert (c is None) == (i % 4 == 0)
        if c is not None:
            assert patterns[c] == row
    assert len(patterns) == len({r for i, r in enumerate(rows) if i % 4})


def test_a_decision_is_made_json_ready_in_one_pass_as_its_to_dict() -> None:
    """``jsonable(decision)`` (what the json formats and the service write) is
    ``jsonable(decision.to_dict())``, built without ``attrs.asdict``'s copy first."""
    import types

    from kolrules.engine import Engine

    seen = 0
    for name, source in (
        ("red-default", "candidates.csv"),
        ("beauty-startup", "candidates-gbk.csv"),
        ("weibo-default", "candidates.csv"),
    ):
        report = Engine(name, load_entrypoints=False).evaluate_file(REPO / "examples" / source)
        for d in report.decisions:
            assert jsonable(d) == jsonable(d.to_dict())
            assert dumps(d) == dumps(d.to_dict()) == decision_text(d) == decision_text(d)
            seen += 1
    assert seen > 60
    odd = {
        "proxy": types.MappingProxyType({1: float("nan"), "b": (float("inf"), -0.0)}),
        "set": frozenset({"x"}),
        "sub": type("F", (float,), {})(float("-inf")),
        "other": Path("a"),
    }
    assert jsonable(odd) == {
        "proxy": {"1": None, "b": [None, -0.0]},
        "set": ["x"],
        "sub": None,
        "other": "a",
    }
