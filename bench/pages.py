"""Time to first byte of the pages, on a report with 25 models x 10 images x 10 samples.

    ./bench/run pages

2,500 runs made by the real engine (simulated provider at full speed). The report page is
timed on the finished report; the processing page and its fragment with half the runs set
back to pending (a report in flight). /healthz is the baseline of the same server. The
progress aggregate query is timed in PostgreSQL (EXPLAIN ANALYZE) and its plan shown.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from bench.common import LiveServer, TestDatabases, fmt, median, percentile, record, sign_up, table, user_id
from tests.support.benchmarks import create_benchmark
from webapp.benchmarks.queries import PROGRESS_SQL
from webapp.catalog import load_catalog

REQUESTS = 200


def ttfb(client: httpx.Client, path: str, n: int = REQUESTS) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        with client.stream("GET", path) as response:
            out.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            response.read()
    return out


def wait_complete(url: str, report_id: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            if conn.execute("SELECT status FROM reports WHERE id = %s", (report_id,)).fetchone()[0] == "complete":
                return
        time.sleep(0.5)
    raise RuntimeError("report did not complete")


def explain(url: str, report_id: int) -> tuple[list[float], str]:
    with psycopg.connect(url) as conn:
        sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + PROGRESS_SQL
        times, plan = [], ""
        for _ in range(50):
            lines = [r[0] for r in conn.execute(sql, {"ids": [report_id]})]
            times.append(float(re.search(r"Execution Time: ([\d.]+) ms", lines[-1]).group(1)))
            plan = "\n".join(lines)
    return times, plan


def main() -> int:
    dbs = TestDatabases().start()
    try:
        url = dbs.create()
        server = LiveServer(url, Path(tempfile.mkdtemp(prefix="vb-bench-")), {"SIMULATED_SPEED": "0"}).start()
        try:
            cookies = sign_up(server.url, "pages@example.com")
            owner = user_id(url, "pages@example.com")
            models = [m.id for m in load_catalog()]
            report_id = create_benchmark(url, owner, models=models, images=10, samples=10)
            server.start_worker(MAX_CALLS_PER_REPORT="50", MAX_CALLS_PER_MODEL="10")
            wait_complete(url, report_id)
            with psycopg.connect(url) as conn:
                token, runs = conn.execute(
                    "SELECT share_token, (SELECT count(*) FROM benchmark_runs "
                    "WHERE report_id = r.id) FROM reports r WHERE id = %s",
                    (report_id,),
                ).fetchone()
            with httpx.Client(base_url=server.url, cookies=cookies) as client:
                ttfb(client, "/healthz", 20)  # warm up
                results = {"/healthz (baseline)": ttfb(client, "/healthz")}
                results[f"/r/<token> (report, {runs:,} runs)"] = ttfb(client, f"/r/{token}")
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(
                        "UPDATE benchmark_runs SET status = 'pending', finished_at = NULL "
                        "WHERE report_id = %s AND id %% 2 = 0",
                        (report_id,),
                    )
                    conn.execute("UPDATE reports SET status = 'running' WHERE id = %s", (report_id,))
                results["/benchmarks/<id>/processing"] = ttfb(client, f"/benchmarks/{report_id}/processing")
                results["/benchmarks/<id>/progress (fragment)"] = ttfb(client, f"/benchmarks/{report_id}/progress")
            query_times, plan = explain(url, report_id)
        finally:
            server.stop()
    finally:
        dbs.stop()
    base = percentile(results["/healthz (baseline)"], 95)
    targets = {"report": "< 200 ms", "processing": "< 50 ms", "fragment": "< 50 ms", "baseline": "—"}
    rows = []
    for name, values in results.items():
        target = next(t for k, t in targets.items() if k in name)
        p95 = percentile(values, 95)
        rows.append([name, fmt(median(values), " ms", 2), fmt(p95, " ms", 2), f"{p95 / base:.1f}x", target])
    rows.append(
        [
            "progress aggregate query (EXPLAIN ANALYZE, 50x)",
            fmt(median(query_times), " ms", 2),
            fmt(percentile(query_times, 95), " ms", 2),
            "—",
            "< 5 ms",
        ]
    )
    record(
        "Pages (bench/pages.py)",
        table(["What", "p50", "p95", "p95 vs baseline", "Target"], rows)
        + f"\n\n{REQUESTS} sequential requests each, logged in as the owner, one gunicorn gevent process.\n\n"
        "Plan of the progress aggregate query:\n\n```\n" + plan + "\n```",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
