"""In Chromium: from a run's commit to the processing page showing the new count.

    ./bench/run browser

The real server and the real page (htmx + its websocket extension). 20 commits, each waiting
for the page to show it; the page stamps when the websocket message arrived and when the
count changed in the DOM (a MutationObserver), on the same clock as the writer.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import psycopg
from playwright.sync_api import sync_playwright

from bench.common import (
    LiveServer,
    TestDatabases,
    fmt,
    median,
    percentile,
    record,
    run_ids,
    sign_up,
    table,
    user_id,
)
from tests.conftest import CHROMIUM_FLAGS
from tests.support.benchmarks import create_benchmark

SAMPLES = 20
OBSERVER = """() => {
  window.__shown = {}; window.__arrived = [];
  document.body.addEventListener('htmx:wsBeforeMessage', () => window.__arrived.push(performance.timeOrigin + performance.now()));
  new MutationObserver(() => {
    const el = document.querySelector('#progress .done-count');
    if (el && !(el.textContent in window.__shown)) window.__shown[el.textContent] = performance.timeOrigin + performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def chromium_path() -> str | None:
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def main() -> int:
    dbs = TestDatabases().start()
    try:
        url = dbs.create()
        server = LiveServer(url, Path(tempfile.mkdtemp(prefix="vb-bench-"))).start()
        try:
            cookies = sign_up(server.url, "browser@example.com")
            report_id = create_benchmark(url, user_id(url, "browser@example.com"), images=2, samples=5)
            runs = run_ids(url, report_id)
            with sync_playwright() as p:
                try:
                    browser = p.chromium.launch(args=CHROMIUM_FLAGS)
                except Exception:
                    browser = p.chromium.launch(args=CHROMIUM_FLAGS, executable_path=chromium_path())
                context = browser.new_context(base_url=server.url)
                context.add_cookies([{"name": k, "value": v, "url": server.url} for k, v in cookies.items()])
                page = context.new_page()
                page.goto(f"/benchmarks/{report_id}/processing")
                page.wait_for_function("document.querySelector('#connection-pill').textContent === 'Live'")
                page.evaluate(OBSERVER)
                to_message, to_screen = [], []
                with psycopg.connect(url, autocommit=True) as conn:
                    for i, run_id in enumerate(runs[:SAMPLES], start=1):
                        time.sleep(0.3)  # apart, so every commit gets its own render
                        conn.execute(
                            "UPDATE benchmark_runs SET status = 'complete', started_at = now(), "
                            "finished_at = now(), latency_ms = 500, field_accuracy = 1 WHERE id = %s",
                            (run_id,),
                        )
                        committed = time.time() * 1000
                        page.wait_for_function(f"() => '{i}' in window.__shown", timeout=10_000)
                        shown = page.evaluate(f"window.__shown['{i}']")
                        arrived = page.evaluate("window.__arrived[window.__arrived.length - 1]")
                        to_message.append(arrived - committed)
                        to_screen.append(shown - committed)
                browser.close()
        finally:
            server.stop()
    finally:
        dbs.stop()
    rows = [
        [
            "commit → websocket message in the page",
            fmt(median(to_message), " ms"),
            fmt(percentile(to_message, 95), " ms"),
            fmt(max(to_message), " ms"),
            "—",
        ],
        [
            "commit → new count in the DOM",
            fmt(median(to_screen), " ms"),
            fmt(percentile(to_screen, 95), " ms"),
            fmt(max(to_screen), " ms"),
            "p95 < 100 ms",
        ],
    ]
    record(
        "In the browser (bench/browser.py)",
        table(["Path", "p50", "p95", "max", "Target"], rows)
        + f"\n\n{SAMPLES} commits, 300 ms apart, one Chromium page, one gunicorn gevent process; the swap "
        "itself is the difference between the two rows.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
