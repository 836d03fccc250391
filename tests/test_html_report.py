"""The ``html`` report (``kolrules report``, ``-o report.html``): one file that loads
nothing, whose summary, charts and table rows are the run's decisions, compared with the
csv format's output of the same run; bounded samples; escaping; English and Chinese.

What a browser does with it is in ``tests/test_html_browser.py``."""

from __future__ import annotations

import base64
import csv
import gzip
import html
import io
import json
import re
import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kolrules.cli import EXIT_INPUT, EXIT_OK, main
from kolrules.cli.report import write_report
from kolrules.engine import Engine
from kolrules.formats import HTML, StreamedRun, write_html_report
from kolrules.formats import html_report as html_format
from kolrules.normalise import parse_number
from kolrules.report import kolrules_reporters_register
from kolrules.types import Report, RulesetRef, Summary

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO / "examples" / "candidates.csv"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
HOSTILE_ID = "<script>alert(1)</script>"
HOSTILE_NAME = "</script><img src=x onerror=alert(2)>"


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's words follow the locale where no language is given: English here."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine("red-default", load_entrypoints=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example candidates (Chinese nicknames, three row errors) and a row whose id and
    nickname are HTML that would run if it were not escaped."""
    lines = CANDIDATES.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[0], cells[1] = HOSTILE_ID, '"' + HOSTILE_NAME + '"'
    path = tmp_path_factory.mktemp("html") / "kols.csv"
    path.write_text("\n".join([*lines, ",".join(cells)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def source_json(source: Path) -> Path:
    """The same rows as a JSON array (read whole, so written in as many batches as asked)."""
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = source.with_suffix(".json")
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def written(
    engine: Engine, source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Summary, list[dict[str, str]]]:
    """The report (in batches of 7 rows, so several frames) and the csv of the same run."""
    out = tmp_path_factory.mktemp("report")
    summary = write_report(engine, source, out / "report.html", batch_rows=7, now=NOW)
    engine.evaluate_to_file(source, out / "decisions.csv", keep=None, batch_rows=7)
    with (out / "decisions.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (out / "report.html").read_text(encoding="utf-8"), summary, rows


def _rows(page: str) -> list[dict[str, Any]]:
    """The table's rows, unpacked as the page's script unpacks them, by column name."""
    columns = _meta(page)["columns"]
    packed = re.search(r'<script type="application/octet-stream" id="kol-rows">([^<]*)<', page)
    assert packed is not None
    rows: list[dict[str, Any]] = json.loads(gzip.decompress(base64.b64decode(packed.group(1))))
    assert all(list(r) == columns for r in rows)
    return rows


def _meta(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="kol-meta">([^<]*)</script>', page)
    assert found is not None
    meta: dict[str, Any] = json.loads(found.group(1))
    return meta


def _figure(page: str, title: str) -> str:
    found = re.search(r"<figure><h3>" + re.escape(title) + r"</h3>.*?</figure>", page, re.S)
    assert found is not None, title
    return found.group(0)


def _number(text: str) -> float | None:
    return float(text) if text else None


def _inputs(engine: Engine, source: Path) -> list[dict[str, float | None]]:
    """Each input row's followers and total likes, normalised (``1.2万`` is 12000; a cell
    that is not a number is missing, as a data error makes it)."""
    schema = engine.plan.schema

    def read(text: str) -> float | None:
        try:
            return parse_number(text, schema)
        except ValueError:
            return None

    with source.open(encoding="utf-8", newline="") as fh:
        return [{k: read(r[k]) for k in ("followers", "total_likes")} for r in csv.DictReader(fh)]


# -- one file, nothing loaded -----------------------------------------------------------


def test_one_file_that_loads_nothing(written: Any) -> None:
    page = written[0]
    assert page.startswith('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">')
    assert re.findall(r"\bsrc\s*=", page) == []  # no script, image or frame from anywhere
    assert re.findall(r'\bhref="([^"]*)"', page) == ["data:,"]  # no favicon request either
    assert "@import" not in page and "url(http" not in page
    assert re.findall(r"https?://", page) == []
    assert page.count("<script") == 3  # the meta JSON, the rows, the inlined script
    assert page.count("<svg ") == 4


def test_summary_counts_ruleset_and_when(written: Any, engine: Engine, source: Path) -> None:
    page, summary, rows = written
    assert summary.rows_read == len(rows) == 38
    assert summary.accounted()
    cards = {
        word: int(n.replace(",", ""))
        for n, word in re.findall(r'<span class="n">([\d,]+)</span>([^<]+)<', page)
    }
    counts = Counter(r["verdict"] or "error" for r in rows)
    assert cards == {
        "Rows read": 38,
        "accept": counts["accept"],
        "review": counts["review"],
        "reject": counts["reject"],
        "not evaluated": counts["error"],
    }
    assert counts["error"] == summary.counts["errors"] == 3
    ref = engine.ruleset.ref
    assert f"<b>{ref.name} {ref.version}</b>" in page
    assert f"<b>{ref.hash[:12]}</b>" in page and f"<code>{ref.hash}</code>" in page
    assert f"<b>{source}</b>" in page
    assert "<b>2026-03-01 09:30:00+08:00</b>" in page
    table = re.search(r"<h3>By tier and verdict</h3>(.*?)</table>", page, re.S)
    assert table is not None
    got = {
        cells[0]: [int(c.replace(",", "")) for c in cells[1:]]
        for cells in (
            re.findall(r"<td[^>]*>([^<]*)</td>", tr)
            for tr in re.findall(r"<tr>(<td.*?)</tr>", table.group(1))
        )
    }
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    want: dict[str, list[int]] = {}
    for r in evaluated:
        counts_of = want.setdefault(r["tier"] or "(no tier)", [0, 0, 0, 0])
        counts_of[("accept", "review", "reject").index(r["verdict"])] += 1
        counts_of[3] += 1
    assert got == want


# -- the table --------------------------------------------------------------------------


def test_table_rows_are_the_decisions(written: Any, engine: Engine, source: Path) -> None:
    page, _, rows = written
    table = _rows(page)
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    assert len(table) == len(evaluated) == 35
    rules = [c for c in rows[0] if c.startswith("rule:")]
    assert [r["id"] for r in _meta(page)["rules"]] == [c.removeprefix("rule:") for c in rules]
    inputs = _inputs(engine, source)
    for got, want in zip(table, evaluated, strict=True):
        assert got["row"] == int(want["row"])
        assert (got["id"], got["kept:handle"]) == (want["id"], want["handle"])
        assert (got["verdict"], got["tier"], got["position"]) == (
            want["verdict"],
            want["tier"] or None,
            want["position"] or None,
        )
        score = _number(want["score"])
        assert got["score"] == (None if score is None else round(score, 1))
        for name in ("quote", "band_min", "band_max", "cpe"):
            value = _number(want[name])
            assert got[name] == (None if value is None else round(value, 2)), name
        assert got["gifting"] == (want["gifting"] == "true")
        for name in ("reasons", "to_pass", "errors"):
            assert (got[name] or "") == want[name], name
        codes = {"pass": "p", "fail": "f", "not_applicable": "n"}
        assert got["outcomes"] == "".join(codes[want[c]] for c in rules)
        given = inputs[int(want["row"]) - 1]
        assert (got["followers"], got["total_likes"]) == (
            given["followers"],
            given["total_likes"],
        )
    assert '<p class="note">Every evaluated KOL is listed (35). Click a row' in page


def test_each_rows_metrics_are_its_decisions(written: Any, engine: Engine, source: Path) -> None:
    page = written[0]
    names = _meta(page)["metrics"]
    decisions = {d.id: d for d in engine.evaluate_file(source).decisions}
    assert names == list(next(iter(decisions.values())).metrics)
    checked = 0
    for row in _rows(page):
        metrics = decisions[row["id"]].metrics
        for name, value in zip(names, row["metrics"], strict=True):
            want = metrics[name]
            assert value == (None if want is None else pytest.approx(want, rel=1e-3)), name
            checked += value is not None
    assert checked > 200


def test_the_table_lists_the_first_rows_and_says_how_many_it_leaves_out(
    engine: Engine, source: Path, source_json: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    done: list[int] = []
    write_report(engine, source_json, target, table_rows=3, batch_rows=10, progress=done.append)
    assert done == [10, 20, 30, 38]  # the rows read so far, once per batch
    page = target.read_text(encoding="utf-8")
    assert [r["row"] for r in _rows(page)] == [1, 2, 3]
    assert "The first 3 of 35 evaluated KOLs (in input order) are listed" in page
    write_report(engine, source, target, table_rows=0)
    assert _rows(target.read_text(encoding="utf-8")) == []


def test_rows_not_evaluated_are_listed(written: Any) -> None:
    page, _, rows = written
    section = re.search(r'<section id="errors">(.*?)</section>', page, re.S)
    assert section is not None
    assert "<h2>Rows not evaluated (3)</h2>" in section.group(1)
    listed = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', page)
    want = [(r["row"], r["id"] or "-", r["errors"]) for r in rows if r["status"] == "error"]
    got = [(a, html.unescape(b), html.unescape(c).replace("; ", " | ")) for a, b, c in listed]
    assert got == want


def test_input_text_is_escaped_everywhere(written: Any) -> None:
    page = written[0]
    assert HOSTILE_ID not in page and "<img" not in page
    assert page.count("</script>") == 3  # only the three script elements end
    meta = page[page.index('id="kol-meta">') : page.index("</script>", page.index("kol-meta"))]
    assert "<" not in meta.removeprefix('id="kol-meta">')
    (row,) = [r for r in _rows(page) if r["id"] == HOSTILE_ID]
    assert row["kept:handle"] == HOSTILE_NAME  # shown as text by the script, as it is


# -- the charts --------------------------------------------------------------------------


def test_the_scatter_chart_draws_every_kol_with_both_counts(
    written: Any, engine: Engine, source: Path
) -> None:
    page, _, rows = written
    figure = _figure(page, "Total likes against followers")
    inputs = _inputs(engine, source)
    drawn = [
        r["verdict"]
        for r in rows
        if r["status"] == "evaluated"
        and (inputs[int(r["row"]) - 1]["followers"] or 0) > 0
        and (inputs[int(r["row"]) - 1]["total_likes"] or 0) > 0
    ]
    assert len(drawn) == 33
    for verdict, n in Counter(drawn).items():
        group = re.search(f'<g class="p-{verdict}">(.*?)</g>', figure)
        assert group is not None and group.group(1).count("<circle") == n, verdict
    assert "Every KOL with both counts above zero is drawn (33)." in figure
    assert "2 evaluated KOLs without a follower and a like count above zero" in figure
    assert figure.count('<line class="line-fake"') == figure.count('<line class="line-usual"') == 1
    assert figure.count('<i class="dash line-fake">') == 1  # and their legend


def test_the_scatter_sample_is_bounded_and_the_same_for_any_batches(
    engine: Engine, source_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_format, "TIER_SAMPLE", 3)  # the percentiles' samples too
    pages = []
    for rows in (3, 10, 1000):
        target = tmp_path / f"report-{rows}.html"
        write_report(engine, source_json, target, batch_rows=rows, scatter_points=5, now=NOW)
        pages.append(target.read_text(encoding="utf-8"))
    assert pages[0] == pages[1] == pages[2]
    assert "sample of 3 of each tier" in pages[0]
    figure = _figure(pages[0], "Total likes against followers")
    assert figure.count("<circle") == 5
    assert "5 of 33 KOLs drawn: a deterministic sample" in figure


def test_the_quotes_chart_counts_each_tiers_positions(written: Any) -> None:
    page, _, rows = written
    figure = _figure(page, "Quotes against each tier&#x27;s fair band (RMB)")
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    for tier in ("micro", "mid", "top"):
        of = Counter(
            "gifting" if not r["position"] and r["gifting"] == "true" else r["position"]
            for r in evaluated
            if r["tier"] == tier
        )
        said = f"below {of['below']} · within {of['within']} · above {of['above']}"
        assert said in figure, tier
        quoted = sum(1 for r in evaluated if r["tier"] == tier and _number(r["quote"]))
        assert f"{quoted} quoted" in figure
        if of["gifting"]:
            assert f"gifting {of['gifting']}" in figure


def test_the_cpe_chart_gives_each_tiers_median(written: Any) -> None:
    page, _, rows = written
    figure = _figure(page, "Cost per engagement by tier (RMB per engagement)")
    for tier in ("micro", "mid"):
        values = [
            float(r["cpe"])
            for r in rows
            if r["status"] == "evaluated" and r["tier"] == tier and r["cpe"]
        ]
        assert f"¥{statistics.median(values):,.2f} ({len(values)})" in figure, tier


def test_the_rules_chart_counts_each_rules_failures(written: Any) -> None:
    page, _, rows = written
    figure = _figure(page, "Rules failed most")
    evaluated = [r for r in rows if r["status"] == "evaluated"]
    drawn = re.findall(r"<title>([^<]+)</title>[^<]*</text>.*?>([\d,]+) \(", figure)
    assert drawn, figure
    for rule, n in drawn:
        assert int(n) == sum(1 for r in evaluated if r[f"rule:{rule}"] == "fail"), rule
    counts = [int(n) for _, n in drawn]
    assert counts == sorted(counts, reverse=True)
    never = [c.removeprefix("rule:") for c in rows[0] if c.startswith("rule:")]
    never = [r for r in never if not any(e[f"rule:{r}"] == "fail" for e in evaluated)]
    if never:
        assert f"Failed no KOL: {', '.join(never)}." in figure


def test_percentiles_come_from_a_bounded_sample(
    written: Any, engine: Engine, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_format, "TIER_SAMPLE", 4)
    target = tmp_path / "report.html"
    write_report(engine, source, target, batch_rows=5)
    page = target.read_text(encoding="utf-8")
    figure = _figure(page, "Cost per engagement by tier (RMB per engagement)")
    assert "Percentiles from a deterministic sample of 4 of each tier" in figure
    micro = [  # the rows whose number hashes lowest: Knuth's multiplicative hash
        (int(r["row"]) * 2_654_435_761 % 2**32, float(r["cpe"]))
        for r in written[2]
        if r["tier"] == "micro" and r["cpe"]
    ]
    kept = [c for _, c in sorted(micro)[:4]]
    assert len(micro) > 4
    assert f"¥{statistics.median(kept):,.2f} (" in figure


# -- languages ---------------------------------------------------------------------------


def test_chinese_words(engine: Engine, source: Path, tmp_path: Path) -> None:
    target = tmp_path / "报告.html"
    write_report(engine, source, target, lang="zh")
    page = target.read_text(encoding="utf-8")
    assert page.startswith('<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">')
    assert "<h1>KOL 评估报告</h1>" in page and "<h2>概览</h2>" in page
    assert '<th class="num">通过</th><th class="num">复核</th><th class="num">拒绝</th>' in page
    assert "<td>尾部</td>" in page and "总获赞与粉丝数" in page
    meta = _meta(page)
    assert meta["locale"] == "zh-CN" and meta["labels"]["verdict"]["reject"] == "拒绝"
    names = {r["id"]: r["kept:handle"] for r in _rows(page)}
    assert names["red-001"] == "小鹿爱美妆" and names["red-002"] == "阿June的厨房"
    assert '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page


def test_the_report_speaks_the_language_of_the_run(tmp_path: Path) -> None:
    """``kolrules evaluate -o x.html --lang zh``: the registered format takes the run's
    language (``Engine(lang=...)``) for its own words, as the reasons have it."""
    engine = Engine("red-default", lang="zh")
    target = tmp_path / "report.html"
    engine.evaluate_to_file(CANDIDATES, target, output_format="html")
    page = target.read_text(encoding="utf-8")
    assert _meta(page)["locale"] == "zh-CN"


# -- the command and the format ---------------------------------------------------------


def _run(args: list[str | Path], code: int) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_kolrules_report(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result = _run(["report", source, "-o", target, "--lang", "zh", "--keep", "handle,category"], 0)
    assert re.search(r"^wrote .*report\.html \([\d.]+ kB\)$", result.stderr, re.M)
    assert "rows read 38 = accepted" in result.stderr
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
    page = target.read_text(encoding="utf-8")
    assert "KOL 评估报告" in page
    assert _meta(page)["kept"] == ["handle", "category"]
    reasons = [r["reasons"] for r in _rows(page) if r["verdict"] == "reject"]
    assert reasons and all(re.search("[\u4e00-\u9fff]", r) for r in reasons)  # the engine's too


def test_kolrules_report_help_has_an_example_and_the_table_bound() -> None:
    text = _run(["report", "--help"], EXIT_OK).stdout
    assert "kolrules report examples/candidates.csv -o report.html" in text
    words = " ".join(text.split())
    assert f"(default {html_format.TABLE_ROWS:,})" in words
    assert f"a sample of {html_format.SCATTER_POINTS:,} and says so" in words


def test_a_bad_input_leaves_no_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = _run(["report", empty, "-o", tmp_path / "report.html"], EXIT_INPUT)
    assert str(empty) in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.csv"]


def test_evaluate_writes_the_report_through_the_format_registry(
    source: Path, tmp_path: Path
) -> None:
    """``kolrules evaluate -o x.html`` writes the report ``kolrules report`` writes: the
    same run, with the values the scatter chart and the details need."""
    target, made = tmp_path / "report.html", tmp_path / "made.html"
    result = _run(["evaluate", source, "-o", target], EXIT_OK)
    assert "rows read 38 = accepted" in result.stderr
    _run(["report", source, "-o", made], EXIT_OK)
    page = target.read_text(encoding="utf-8")
    assert len(_rows(page)) == 35 and _meta(page)["values"]
    assert "likes_per_follower" in _meta(page)["metrics"]
    assert _rows(page) == _rows(made.read_text(encoding="utf-8"))


def test_the_format_is_registered_and_refuses_what_it_cannot_write() -> None:
    reporters = {r.name: r for r in kolrules_reporters_register()}
    assert reporters["html"] is HTML and HTML.extension == ".html"
    ruleset = RulesetRef("r", "1", "h")
    with pytest.raises(TypeError, match=r"kolrules report INPUT -o report\.html"):
        HTML.render(Report((), (), 0, ruleset), io.StringIO())
    with pytest.raises(TypeError, match="not list"):
        write_html_report([], io.BytesIO())
    nothing = dict.fromkeys(("accepted", "review", "rejected", "errors"), 0)
    run = StreamedRun(
        lambda: iter([]),
        lambda kind: iter([]),
        ruleset=ruleset,
        source=None,
        summary=lambda: Summary(0, nothing, ruleset),
    )
    with pytest.raises(ValueError, match="lang must be one of en, zh, not 'fr'"):
        write_html_report(run, io.BytesIO(), lang="fr")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary stream"):
        write_html_report(run, io.StringIO())  # type: ignore[arg-type]
    out = io.BytesIO()
    write_html_report(run, out, now=NOW)
    page = out.getvalue().decode("utf-8")
    assert "No KOL has a quote." in page and "No rule failed any KOL." in page
    assert _rows(page) == []
