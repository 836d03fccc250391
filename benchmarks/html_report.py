"""The HTML report of generated RED profiles: its size, the time to write it, and the time
to open it in headless Chromium (docs/report.md records the figures).

    python benchmarks/html_report.py                 # 10,000 KOLs, 3 runs each
    python benchmarks/html_report.py --rows 100000 --repeat 1

The data is ``generate.py``'s (``--seed``, default 42), written to a temporary directory.
Writing is timed in process (:func:`kolrules.cli.report.write_report`, red-default, the
reading and evaluating included; the engine is built before the clock starts). Opening is
timed in Debian's Chromium (``--chromium``, default ``/usr/bin/chromium``) driven by
playwright, the network off, a fresh page each time: the first paint and the load event
(from the page's navigation timing), and when the table's rows are unpacked and drawn
(the page's ``data-table`` attribute set, seen by a script added before the page's own).
The median of ``--repeat`` runs is printed; ``--json FILE`` writes every figure.
Needs the ``bench`` group (numpy, for generate.py) and the ``browser`` extra (playwright).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: Runs before the page's script: the time (ms since navigation start) the table is ready.
WATCH = """
new MutationObserver((changes, observer) => {
  if (document.documentElement && document.documentElement.dataset.table) {
    window.__tableReady = performance.now();
    observer.disconnect();
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-table"]});
"""


def write_times(source: Path, target: Path, repeat: int) -> list[float]:
    from kolrules.cli.report import write_report
    from kolrules.engine import Engine

    engine = Engine("red-default", load_entrypoints=False)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        write_report(engine, source, target, lang="en")
        times.append(time.perf_counter() - start)
    return times


def open_times(report: Path, chromium: str, repeat: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for _ in range(repeat):
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.add_init_script(WATCH)
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_function("window.__tableReady !== undefined")
            timings = page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType("navigation")[0];
                  const paint = performance.getEntriesByName("first-contentful-paint")[0];
                  return {first_paint: paint ? paint.startTime : null,
                          load: nav.loadEventEnd, table: window.__tableReady,
                          ready: document.documentElement.dataset.table};
                }"""
            )
            if errors or timings.pop("ready") != "ready":
                raise SystemExit(f"the report did not open cleanly: {errors}")
            found.append(timings)
            context.close()
        browser.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="KOLs (default 10,000)")
    parser.add_argument("--seed", type=int, default=42, help="generate.py's seed (default 42)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium to open it")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    import generate

    with tempfile.TemporaryDirectory(prefix="kolrules-html-bench-") as folder:
        source, report = Path(folder) / "kols.csv", Path(folder) / "report.html"
        generate.write_csv(args.rows, args.seed, source)
        written = write_times(source, report, args.repeat)
        size = report.stat().st_size
        opened = open_times(report, args.chromium, args.repeat)

    def median(key: str) -> float:
        return statistics.median(o[key] for o in opened)

    figures = {
        "rows": args.rows,
        "bytes": size,
        "write_seconds": statistics.median(written),
        "first_paint_ms": median("first_paint"),
        "load_ms": median("load"),
        "table_ready_ms": median("table"),
        "runs": {"write_seconds": written, "open": opened},
    }
    print(f"HTML report of {args.rows:,} KOLs (generate.py --seed {args.seed}, red-default)")
    print(f"  size            {size:,} bytes ({size / 2**20:.2f} MiB)")
    print(f"  write           {figures['write_seconds']:.2f} s (median of {args.repeat})")
    print(f"  first paint     {figures['first_paint_ms']:.0f} ms")
    print(f"  load event      {figures['load_ms']:.0f} ms")
    print(f"  table ready     {figures['table_ready_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
