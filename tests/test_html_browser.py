"""The html report in a real browser: headless Chromium (Debian's ``chromium``, driven by
playwright, never a downloaded browser) opens the file from disk with the network off.
No console error, no request but the file itself, the charts drawn (also without
script), the table sorts, filters and opens a KOL's detail, Chinese text comes through,
and a screenshot is not blank.

Without Chromium or playwright these tests are skipped, saying what to install; where the
environment variable ``CI`` is set (tox's ``tests`` env sets it, ``.ci/run`` installs
Chromium) they fail instead."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from kolrules.cli.report import write_report
from kolrules.engine import Engine

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO / "examples" / "candidates.csv"
HOSTILE_NAME = "<img src=x onerror=alert(2)>"
#: Chromium's options: no GPU, no sandbox (a container's root), nothing fetched on start.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _missing(what: str) -> NoReturn:
    message = (
        f"{what}: the html report's browser tests need Debian's chromium "
        "(apt-get install chromium) and playwright (pip install 'kolrules[browser]'; "
        "never `playwright install`)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        _missing("no chromium on PATH or at /usr/bin/chromium")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    executable = _chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example candidates (and a row whose nickname is HTML), reported in English and
    in Chinese."""
    folder = tmp_path_factory.mktemp("browser")
    lines = CANDIDATES.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[0], cells[1] = "red-html", HOSTILE_NAME
    source = folder / "kols.csv"
    source.write_text("\n".join([*lines, ",".join(cells)]) + "\n", encoding="utf-8")
    engine = Engine("red-default", load_entrypoints=False)
    written = {}
    for lang in ("en", "zh"):
        written[lang] = folder / f"report-{lang}.html"
        write_report(engine, source, written[lang], lang=lang)  # type: ignore[arg-type]
    return written


class Opened:
    """A report open in a page, and what the page asked for and said while it loaded."""

    def __init__(self, browser: Any, path: Path, *, script: bool = True) -> None:
        self.context = browser.new_context(
            offline=True, java_script_enabled=script, viewport={"width": 1280, "height": 900}
        )
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(self.url, wait_until="load")
        if script:
            self.page.wait_for_selector("html[data-table]", state="attached")

    def rows(self) -> int:
        return int(self.page.locator("#kol-table tbody tr").count())

    def column(self, n: int) -> list[str]:
        return list(self.page.locator(f"#kol-table tbody tr td:nth-child({n})").all_inner_texts())


@pytest.fixture
def opened(browser: Any, reports: dict[str, Path]) -> Iterator[Opened]:
    page = Opened(browser, reports["en"])
    yield page
    page.context.close()


def test_opens_offline_with_no_error_and_no_request(opened: Opened) -> None:
    assert opened.page.evaluate("document.documentElement.dataset.table") == "ready"
    assert opened.errors == []
    assert opened.requests == [opened.url]  # the file itself, nothing else


def test_the_charts_are_drawn(opened: Opened) -> None:
    charts = opened.page.locator("#charts figure svg")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80
        assert charts.nth(i).locator("rect, line, circle").count() >= 6
    circles = opened.page.locator("#charts figure:first-child svg circle")
    assert circles.count() == 33  # every evaluated KOL with followers and likes above zero
    box = circles.first.bounding_box()
    assert box is not None and box["width"] > 2


def test_the_charts_need_no_script(browser: Any, reports: dict[str, Path]) -> None:
    page = Opened(browser, reports["en"], script=False)
    try:
        assert page.page.locator("#charts svg").count() == 4
        assert page.page.locator("#charts svg circle").count() == 33
        said = page.page.locator("#kols p.warn")
        assert said.is_visible() and said.inner_text().startswith("The table needs JavaScript")
        assert page.requests == [page.url] and page.errors == []
    finally:
        page.context.close()


def test_the_table_filters(opened: Opened) -> None:
    page = opened.page
    assert opened.rows() == 35
    assert page.locator("#count").inner_text() == "1–35 of 35 shown"
    page.select_option("#f-verdict", "reject")
    assert opened.rows() == 3
    assert set(opened.column(4)) == {"reject"}
    assert page.locator("#count").inner_text() == "1–3 of 3 shown"
    page.select_option("#f-verdict", "")
    page.select_option("#f-tier", "mid")
    assert set(opened.column(5)) == {"mid"} and 0 < opened.rows() < 35
    page.select_option("#f-tier", "")
    page.select_option("#f-rule", "likes-below-followers")
    assert opened.rows() == 3
    page.select_option("#f-rule", "")
    page.fill("#f-search", "小鹿")
    assert opened.column(3) == ["小鹿爱美妆"]
    page.fill("#f-search", "no such kol")
    assert opened.rows() == 0 and page.locator("#count").inner_text() == "No KOL matches."


def test_the_table_sorts(opened: Opened) -> None:
    header = opened.page.locator("#kol-table th", has_text="score")
    header.click()
    scores = [float(s) for s in opened.column(6) if s]
    assert scores == sorted(scores) and len(scores) > 30
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    scores = [float(s) for s in opened.column(6) if s]
    assert scores == sorted(scores, reverse=True)


def test_a_kols_detail(opened: Opened) -> None:
    page = opened.page
    assert page.locator("#detail").is_hidden()
    page.locator("#kol-table tbody tr", has_text="red-002").click()
    detail = page.locator("#detail")
    assert detail.is_visible()
    assert detail.locator("h3").first.inner_text() == "Detail: red-002"
    text = detail.inner_text()
    assert "阿June的厨房" in text and "4,500" in text and "16,200" in text
    findings, metrics = detail.locator("table").nth(0), detail.locator("table").nth(1)
    assert findings.locator("tbody tr").count() == 14  # every rule of red-default
    assert "likes-below-followers" in findings.inner_text()
    assert metrics.locator("tbody tr", has_text="likes_per_follower").inner_text().split() == [
        "likes_per_follower",
        "3.6",
    ]
    detail.get_by_role("button", name="Close").click()
    assert detail.is_hidden()


def test_input_text_stays_text(opened: Opened) -> None:
    opened.page.fill("#f-search", "red-html")
    assert opened.column(3) == [HOSTILE_NAME]
    assert opened.page.locator("img").count() == 0 and opened.errors == []


def test_chinese_text(browser: Any, reports: dict[str, Path]) -> None:
    page = Opened(browser, reports["zh"])
    try:
        assert page.page.evaluate("document.characterSet") == "UTF-8"
        assert page.page.locator("h1").inner_text() == "KOL 评估报告"
        assert page.page.locator("#kol-table thead").inner_text().split()[:4] == [
            "行",
            "ID",
            "handle",
            "结论",
        ]
        assert page.column(3)[:2] == ["小鹿爱美妆", "阿June的厨房"]
        assert page.column(4)[0] == "通过"
        page.page.select_option("#f-verdict", "reject")
        assert page.rows() == 3 and set(page.column(4)) == {"拒绝"}
        assert page.errors == [] and page.requests == [page.url]
    finally:
        page.context.close()


def test_a_screenshot_is_not_blank(opened: Opened) -> None:
    shot = opened.page.screenshot(full_page=True)
    counted = opened.page.evaluate(
        """async (data) => {
            const image = new Image();
            image.src = "data:image/png;base64," + data;
            await image.decode();
            const canvas = document.createElement("canvas");
            canvas.width = image.width;
            canvas.height = image.height;
            const context = canvas.getContext("2d");
            context.drawImage(image, 0, 0);
            const pixels = context.getImageData(0, 0, image.width, image.height).data;
            const counts = new Map();
            for (let i = 0; i < pixels.length; i += 4) {
                const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
                counts.set(key, (counts.get(key) || 0) + 1);
            }
            return {colours: counts.size, most: Math.max(...counts.values()),
                    pixels: pixels.length / 4};
        }""",
        base64.b64encode(shot).decode("ascii"),
    )
    assert counted["colours"] > 200
    assert counted["most"] / counted["pixels"] < 0.95  # not one colour with a few specks
