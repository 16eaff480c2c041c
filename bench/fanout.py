"""Fan-out of live progress: N websocket viewers on one web process, against 1 s HTTP polling.

    ./bench/run fanout                     # 1, 100, 500, 1000, 2000, 4000 viewers
    ./bench/run fanout --viewers 1 2000    # a subset
    ./bench/run fanout --viewers 1 10000 --poll-viewers   # 10,000 viewers, no polling
    ./bench/run fanout --before --viewers 2000 10000 --one-report --poll-viewers
                                           # the same on the former design first, side by side

One gunicorn + gevent web process and the embedded PostgreSQL. For each N, the viewers watch
one report, then N/10 reports. A writer commits run completions at a steady rate, one commit
each, exactly as the engine does. Per delivered update: time from the writer's commit to the
viewer receiving the new state (both on time.time()). Then every viewer's last state is
compared with the final one. The websocket viewers are bench/ws_load.py's raw asyncio clients
(no compression offered), cheap enough for 10,000 of them in this one process; "Client CPU" is
this process during the writes, next to the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
import httpx
import psycopg

from bench.common import (
    FORMER_DESIGN,
    ROOT,
    LiveServer,
    TestDatabases,
    checkout_of,
    fmt,
    percentile,
    raise_open_files_limit,
    record,
    run_ids,
    sign_up,
    staleness,
    table,
    user_id,
    web_process,
    xacts,
)
from bench.ws_load import DONE, LoadClient, Viewer
from tests.support.benchmarks import create_benchmark

MODELS = ["openai/gpt-5-nano", "google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5"]


class Writer(threading.Thread):
    """Commits run completions round-robin over the reports at `rate` per second."""

    def __init__(self, database_url: str, reports: dict[int, list[int]], commits: int, rate: float):
        super().__init__(daemon=True)
        self.url, self.reports, self.commits, self.rate = database_url, reports, commits, rate
        self.committed: dict[int, list[float]] = {r: [] for r in reports}  # when each had k runs done
        self.final: dict[int, int] = {r: 0 for r in reports}

    def run(self) -> None:
        order = [r for r in self.reports]
        with psycopg.connect(self.url, autocommit=True) as conn:
            start = time.perf_counter()
            for i in range(self.commits):
                report_id = order[i % len(order)]
                run_id = self.reports[report_id][self.final[report_id]]
                delay = start + i / self.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                conn.execute(
                    "UPDATE benchmark_runs SET status = 'complete', started_at = now(), "
                    "finished_at = now(), latency_ms = 500, field_accuracy = 0.9, exact = false "
                    "WHERE id = %s",
                    (run_id,),
                )
                self.final[report_id] += 1
                self.committed[report_id].append(time.time())


def make_reports(database_url: str, owner: int, count: int, runs_each: int) -> dict[int, list[int]]:
    images = max(1, min(10, runs_each // (len(MODELS) * 10) + 1))
    samples = -(-runs_each // (len(MODELS) * images))
    reports = {}
    for _ in range(count):
        report_id = create_benchmark(database_url, owner, models=MODELS, images=images, samples=min(10, samples))
        reports[report_id] = run_ids(database_url, report_id)
        assert len(reports[report_id]) > runs_each, "each report keeps a pending run, so none finishes"
    return reports


async def poll(session, base_url, viewer: Viewer, stop: asyncio.Event, interval: float = 1.0):
    await asyncio.sleep(random.random() * interval)
    while not stop.is_set():
        started = time.perf_counter()
        async with session.get(f"{base_url}/benchmarks/{viewer.report_id}/progress") as response:
            body = await response.read()
        match = DONE.search(body)
        if match:
            viewer.seen.append((int(match.group(1)), time.time()))
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))


CONNECT_BATCH = 500  # websocket handshakes in flight at once
CONNECT_DEADLINE = 300.0  # seconds for every viewer of a scenario to get its first snapshot


async def scenario(
    server, database_url, cookies, owner, n: int, spread: bool, mode: str, commits: int, rate: float
) -> dict:
    report_count = max(1, n // 10) if spread else 1
    reports = make_reports(database_url, owner, report_count, -(-commits // report_count))
    ids = list(reports)
    viewers = [Viewer(ids[i % len(ids)]) for i in range(n)]
    process = web_process(server)
    rss_before = process.memory_info().rss
    stop = asyncio.Event()
    notes: list[str] = []
    client: LoadClient | None = None
    session: aiohttp.ClientSession | None = None
    tasks: list[asyncio.Task] = []
    connected = n
    try:
        if mode == "push":
            client = LoadClient(server.url, cookies)
            result = await client.connect_all(viewers, batch=CONNECT_BATCH, deadline=CONNECT_DEADLINE)
            print(f"  {result.summary()}", file=sys.stderr)
            connected = result.connected
            if result.failed:
                notes.append(f"not connected: {result.summary()} (they count as not on the final state)")
            await asyncio.sleep(1.0)
        else:
            session = aiohttp.ClientSession(cookies=cookies, connector=aiohttp.TCPConnector(limit=0))
            tasks = [asyncio.create_task(poll(session, server.url, v, stop)) for v in viewers]
            await asyncio.sleep(1.5)
        rss_idle = process.memory_info().rss
        renders_before = renders(server)
        open_before = [v for v in viewers if v.connected]
        cpu_before, x_before, started = process.cpu_times(), xacts(database_url), time.perf_counter()
        client_cpu_before = time.process_time()
        writer = Writer(database_url, reports, commits, rate)
        writer.start()
        while writer.is_alive():
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0 if mode == "push" else 1.5)  # let the last states arrive
        elapsed = time.perf_counter() - started
        client_cpu = (time.process_time() - client_cpu_before) / elapsed
        cpu_after, x_after = process.cpu_times(), xacts(database_url)
        dropped = collections.Counter(v.error or f"closed {v.close_code}" for v in open_before if not v.connected)
        if dropped:
            print(f"  closed during the writes: {_counts(dropped)}", file=sys.stderr)
            notes.append(f"closed during the writes: {_counts(dropped)}")
        renders_after = renders(server) if mode == "push" else None
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if session is not None:
            await session.close()
        if client is not None:
            await client.close_all()
    lat = staleness(viewers, writer.committed)
    exact = sum(1 for v in viewers if v.last == writer.final[v.report_id]) / n
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed
    db_per_s = (x_after - x_before - commits) / elapsed
    return {
        "viewers": n,
        "reports": report_count,
        "mode": mode,
        "updates": len(lat),
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": max(lat) if lat else None,
        "exact": exact,
        "cpu": cpu * 100,
        "client_cpu": client_cpu * 100,
        "kb_per_socket": (rss_idle - rss_before) / 1024 / connected if mode == "push" and connected else None,
        "renders": None if renders_after is None else renders_after - renders_before,
        "reports_changed": sum(1 for times in writer.committed.values() if times),
        "db_per_s": db_per_s,
        "notes": notes,
    }


def _counts(counter: collections.Counter) -> str:
    """ "1013 ×120, dropped (no close frame) ×3"."""
    return ", ".join(f"{key} ×{n:,}" for key, n in counter.most_common())


def renders(server: LiveServer) -> int:
    """The web process's hub counts its renders; /healthz reports the count."""
    return httpx.get(server.url + "/healthz").json().get("hub_renders", 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 100, 500, 1000, 2000, 4000])
    parser.add_argument(
        "--poll-viewers",
        type=int,
        nargs="*",
        default=[100, 1000],
        help="viewer counts for the 1 s polling comparison (one report)",
    )
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument(
        "--rate",
        type=float,
        default=8.0,
        help="commits per second (a report running 10 calls of ~1 s finishes up to ~10 runs/s)",
    )
    parser.add_argument(
        "--before",
        nargs="?",
        const=FORMER_DESIGN,
        help=f"also run every scenario on a former revision first (default {FORMER_DESIGN}), side by side",
    )
    parser.add_argument("--one-report", action="store_true", help="skip the scenarios spread over N/10 reports")
    args = parser.parse_args()
    limit = raise_open_files_limit()
    designs = [(f"before ({args.before})", checkout_of(args.before))] if args.before else []
    designs.append(("after" if args.before else "this", ROOT))
    dbs = TestDatabases().start()
    rows = []
    try:
        for design, root in designs:
            database_url = dbs.create()
            server = LiveServer(
                database_url,
                Path(tempfile.mkdtemp(prefix="vb-bench-")),
                {"WORKER_CONNECTIONS": str(limit), "LIVE_SOCKETS_PER_USER": str(limit)},
                root=root,
            ).start()
            try:
                cookies = sign_up(server.url, "bench@example.com")
                owner = user_id(database_url, "bench@example.com")
                plan = [(n, False, "push") for n in args.viewers]
                plan += [(n, True, "push") for n in args.viewers if n >= 100 and not args.one_report]
                plan += [(n, False, "poll") for n in args.poll_viewers]
                for n, spread, mode in plan:
                    where = "N/10 reports" if spread else "one report"
                    print(f"… {design}: {mode} {n} viewers on {where}", file=sys.stderr)
                    row = asyncio.run(
                        scenario(server, database_url, cookies, owner, n, spread, mode, args.commits, args.rate)
                    )
                    rows.append({**row, "design": design})
            finally:
                server.stop()
                dbs.drop(database_url)
    finally:
        dbs.stop()
    headers = [
        "Design",
        "Mode",
        "Viewers",
        "Reports",
        "Commit→viewer pairs",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "On final state",
        "Server CPU",
        "Client CPU",
        "KB per idle socket",
        "Renders (reports changed)",
        "DB xact/s",
    ]
    body = [
        [
            r["design"],
            r["mode"],
            f"{r['viewers']:,}",
            r["reports"],
            f"{r['updates']:,}",
            fmt(r["p50"]),
            fmt(r["p95"]),
            fmt(r["p99"]),
            fmt(r["max"]),
            f"{r['exact']:.1%}",
            f"{r['cpu']:.0f}%",
            f"{r['client_cpu']:.0f}%",
            fmt(r["kb_per_socket"]),
            "—" if r["renders"] is None else f"{r['renders']} ({r['reports_changed']})",
            fmt(r["db_per_s"], "", 0),
        ]
        for r in rows
    ]
    ratios = _ratios(rows)
    notes = "\n".join(
        f"- {r['design']}, {r['mode']} {r['viewers']:,} viewers on {r['reports']:,} report{'s' if r['reports'] > 1 else ''}: {note}"
        for r in rows
        for note in r["notes"]
    )
    record(
        "Fan-out: commit to viewer (bench/fanout.py)",
        table(headers, body) + f"\n\n{args.commits} commits at {args.rate:g}/s per scenario; one gunicorn "
        "gevent process; websocket viewers are raw asyncio clients (bench/ws_load.py, no compression offered), "
        "polling viewers aiohttp. Server CPU is the web process, Client CPU this load generator's process "
        "(% of one core), both during the writes; renders are counted during the writes.\n"
        + (f"\n{notes}\n" if notes else "")
        + ratios,
    )
    return 0


def _ratios(rows) -> str:
    lines = []
    for poll_row in (r for r in rows if r["mode"] == "poll"):
        push = next(
            (
                r
                for r in rows
                if r["mode"] == "push"
                and r["design"] == poll_row["design"]
                and r["viewers"] == poll_row["viewers"]
                and r["reports"] == 1
            ),
            None,
        )
        if push and push["p50"] and poll_row["p50"]:
            lines.append(
                f"- {poll_row['viewers']:,} viewers: polling is {poll_row['p50'] / push['p50']:.0f}x staler "
                f"at p50 ({poll_row['p95'] / push['p95']:.0f}x at p95) and costs "
                f"{poll_row['db_per_s'] / max(push['db_per_s'], 0.1):.0f}x the database transactions."
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
