"""Capacity of the whole system: many benchmarks running at once, each watched; a reconnect
storm after a deploy. Each scenario runs twice in the same run, on the former design (a git
worktree of `--before`, default the revision before the capacity work) and on this checkout.

    ./bench/run capacity running                 # 10, 50, 100, 200, 500 benchmarks at once
    ./bench/run capacity running --reports 200
    ./bench/run capacity churn --reports 50 200  # reports changing 10 times a second, without pause
    ./bench/run capacity storm                   # 1,000 and 4,000 viewers, the web process restarted
    ./bench/run capacity storm --viewers 4000
    ./bench/run capacity notify                  # what a NOTIFY costs PostgreSQL per commit

`running`: N benchmarks queued, one websocket viewer each (a raw asyncio client, bench/ws_load.py),
one gunicorn web process, and job workers as `./serve` would run them for N (one per 100
benchmarks: WORKER_CONCURRENCY). The simulated provider answers every call in exactly 2 s; each
benchmark is 10 models x 2 images x 6 samples = 120 runs, 10 calls in flight. Measured while the
runs are made: commit -> viewer staleness (for every run's commit, from its `finished_at` to the
viewer first showing that done count or a later one), renders and progress queries a second
(the web process's /healthz counters), NOTIFYs a second (a LISTEN connection of the bench's own),
and the CPU of PostgreSQL, the web process and the workers.

`storm`: N viewers on N/10 reports, each report at its own done count; the web process is
restarted (SIGTERM: every viewer gets 1012, and reconnects with the page's own jittered backoff);
measured from the SIGTERM until every viewer shows its report's exact state again, with the
database transactions spent and the failures the viewers saw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
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
from bench.engine import TEN_MODELS, cpu_seconds, postgres_cpu_seconds
from bench.ws_load import LoadClient, Viewer
from tests.support.benchmarks import create_benchmark, create_user

LATENCY = 2.0
BENCHMARK = dict(models=TEN_MODELS, images=2, samples=6)  # 120 runs, 10 calls in flight
BENCHMARKS_PER_WORKER = 100  # WORKER_CONCURRENCY's default


def health(server: LiveServer) -> dict:
    return httpx.get(server.url + "/healthz", timeout=10).json()


def hub_rates(before: dict, after: dict, elapsed: float) -> tuple[float, float]:
    """Reports rendered and progress statements a second between two /healthz answers. The
    former design read one report per statement and did not count statements apart."""
    renders = after.get("hub_renders", 0) - before.get("hub_renders", 0)
    statements = after.get("hub_queries", after.get("hub_renders", 0)) - before.get(
        "hub_queries", before.get("hub_renders", 0)
    )
    return renders / elapsed, statements / elapsed


class NotifyCounter(threading.Thread):
    """Counts the progress notifications PostgreSQL delivers (every listener gets each one)."""

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        self.url, self.count, self.stopped = database_url, 0, threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("LISTEN report_progress")
            self.ready.set()
            while not self.stopped.is_set():
                for _ in conn.notifies(timeout=0.5):
                    self.count += 1


def finish_times(database_url: str, report_ids: list[int]) -> dict[int, list[float]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT report_id, extract(epoch FROM finished_at)::float8 FROM benchmark_runs "
            "WHERE report_id = ANY(%s) AND finished_at IS NOT NULL ORDER BY report_id, finished_at",
            (report_ids,),
        ).fetchall()
    out: dict[int, list[float]] = {}
    for report_id, at in rows:
        out.setdefault(report_id, []).append(at)
    return out


def all_finished(database_url: str, report_ids: list[int]) -> bool:
    with psycopg.connect(database_url) as conn:
        return not conn.execute(
            "SELECT 1 FROM reports WHERE id = ANY(%s) AND status IN ('queued', 'running') LIMIT 1", (report_ids,)
        ).fetchone()


@contextlib.contextmanager
def serving(dbs, root: Path, limit: int) -> Iterator[tuple[LiveServer, str]]:
    """A fresh database and the web server of `root` on it, both gone afterwards."""
    url = dbs.create()
    env = {
        "WORKER_CONNECTIONS": str(limit),
        "LIVE_SOCKETS_PER_USER": str(limit),
        "SIMULATED_FIXED_LATENCY": str(LATENCY),
        "MAX_CALLS_PER_REPORT": "10",
        "MAX_CALLS_PER_MODEL": "3",
    }
    server = LiveServer(url, Path(tempfile.mkdtemp(prefix="vb-bench-")), env, root=root)
    try:
        yield server.start(), url
    finally:
        server.stop()
        dbs.drop(url)


async def running(dbs, root: Path, n: int, limit: int) -> dict:
    with serving(dbs, root, limit) as (server, url):
        postmaster = psutil.Process(dbs.server.pid)
        cookies = sign_up(server.url, "bench@example.com")
        owner = user_id(url, "bench@example.com")
        ids = [create_benchmark(url, owner, **BENCHMARK) for _ in range(n)]
        viewers = [Viewer(r) for r in ids]
        client = LoadClient(server.url, cookies)
        connected = await client.connect_all(viewers)
        notes = NotifyCounter(url)
        notes.start()
        notes.ready.wait(10)
        web = web_process(server)
        h0 = health(server)
        started = time.monotonic()
        web0, pg0, client0 = cpu_seconds([web]), postgres_cpu_seconds(postmaster), client.cpu_seconds()
        workers = [psutil.Process(server.start_worker().pid) for _ in range(math.ceil(n / BENCHMARKS_PER_WORKER))]
        while not all_finished(url, ids):
            await asyncio.sleep(0.5)
            if time.monotonic() - started > 900:
                raise RuntimeError("the benchmarks did not finish in 15 minutes")
        elapsed = time.monotonic() - started
        web1, pg1, client1, worker_cpu = (
            cpu_seconds([web]),
            postgres_cpu_seconds(postmaster),
            client.cpu_seconds(),
            cpu_seconds(workers),
        )
        h1 = health(server)
        notes.stopped.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(v.connected for v in viewers):
            await asyncio.sleep(0.2)  # the last states and the closes
        await client.close_all()
        commits = finish_times(url, ids)
        lat = staleness(viewers, commits)
        renders, queries = hub_rates(h0, h1, elapsed)
        return {
            "n": n,
            "connected": connected,
            "workers": len(workers),
            "elapsed": elapsed,
            "pairs": len(lat),
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
            "exact": sum(1 for v in viewers if v.last == len(commits.get(v.report_id, [])) and v.close_code == 1000)
            / n,
            "renders": renders,
            "queries": queries,
            "notifies": notes.count / elapsed,
            "pg": (pg1 - pg0) / elapsed,
            "web": (web1 - web0) / elapsed,
            "worker": worker_cpu / elapsed,
            "client": (client1 - client0) / elapsed,
        }


def running_table(rows: list[dict]) -> str:
    headers = [
        "Design",
        "Benchmarks at once",
        "Workers",
        "Commit→viewer pairs",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "On final state",
        "Renders/s",
        "Progress queries/s",
        "NOTIFYs/s",
        "PostgreSQL CPU",
        "Web CPU",
        "Workers CPU",
        "Client CPU",
        "Wall",
    ]
    body = [
        [
            r["design"],
            r["n"],
            r["workers"],
            f"{r['pairs']:,}",
            fmt(r["p50"]),
            fmt(r["p95"]),
            fmt(r["p99"]),
            f"{r['exact']:.1%}",
            fmt(r["renders"], "", 0),
            fmt(r["queries"], "", 0),
            fmt(r["notifies"], "", 0),
            f"{r['pg']:.0%}",
            f"{r['web']:.0%}",
            f"{r['worker']:.0%}",
            f"{r['client']:.0%}",
            fmt(r["elapsed"], " s"),
        ]
        for r in rows
    ]
    notes = [f"- {r['design']}, {r['n']}: {r['connected'].summary()}" for r in rows if r["connected"].failed]
    return table(headers, body) + (
        f"\n\nEach benchmark 120 runs of a simulated call of exactly {LATENCY:g} s, 10 in flight; "
        f"one viewer each; one gunicorn gevent web process; one worker per {BENCHMARKS_PER_WORKER} benchmarks. "
        "CPU is a share of one core (the machine has two, shared by everything here, the load "
        "client included). Rates are over the window from the workers' start to the last report's end."
        + ("\n" + "\n".join(notes) if notes else "")
    )


CHURN_SECONDS, CHURN_TICK = 20.0, 0.1


class ChurnWriter(threading.Thread):
    """Every 100 ms, one transaction finishing one more run of every report: each report
    changes ten times a second, without pause (the engine's waves of a fixed latency do not)."""

    def __init__(self, database_url: str, runs: dict[int, list[int]]):
        super().__init__(daemon=True)
        self.url, self.runs = database_url, runs
        self.done = {r: 0 for r in runs}
        self.committed: dict[int, list[float]] = {r: [] for r in runs}  # k-th run done -> when

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            start = time.time()
            for tick in range(int(CHURN_SECONDS / CHURN_TICK)):
                time.sleep(max(0.0, start + tick * CHURN_TICK - time.time()))
                ids = [self.runs[r][self.done[r]] for r in self.runs]
                conn.execute(
                    "UPDATE benchmark_runs SET status = 'complete', started_at = now(), finished_at = now(), "
                    "latency_ms = 500, field_accuracy = 0.9, exact = false WHERE id = ANY(%s)",
                    (ids,),
                )
                at = time.time()
                for r in self.runs:
                    self.done[r] += 1
                    self.committed[r].append(at)


async def churn(dbs, root: Path, n: int, limit: int) -> dict:
    with serving(dbs, root, limit) as (server, url):
        postmaster = psutil.Process(dbs.server.pid)
        cookies = sign_up(server.url, "bench@example.com")
        owner = user_id(url, "bench@example.com")
        ids = [create_benchmark(url, owner, models=TEN_MODELS, images=4, samples=6) for _ in range(n)]  # 240 runs
        runs = {r: run_ids(url, r) for r in ids}
        viewers = [Viewer(r) for r in ids]
        client = LoadClient(server.url, cookies)
        connected = await client.connect_all(viewers)
        web = web_process(server)
        h0, web0, pg0, started = health(server), cpu_seconds([web]), postgres_cpu_seconds(postmaster), time.monotonic()
        writer = ChurnWriter(url, runs)
        writer.start()
        while writer.is_alive():
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # the last states
        elapsed = time.monotonic() - started
        web1, pg1, h1 = cpu_seconds([web]), postgres_cpu_seconds(postmaster), health(server)
        renders, queries = hub_rates(h0, h1, elapsed)
        await client.close_all()
        lat = staleness(viewers, writer.committed)
        return {
            "n": n,
            "connected": connected,
            "pairs": len(lat),
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
            "exact": sum(1 for v in viewers if v.last == writer.done[v.report_id]) / n,
            "renders": renders,
            "queries": queries,
            "interval": h1.get("hub_render_interval_ms"),
            "pg": (pg1 - pg0) / elapsed,
            "web": (web1 - web0) / elapsed,
        }


def churn_table(rows: list[dict]) -> str:
    headers = [
        "Design",
        "Reports changing 10 times a second",
        "Commit→viewer pairs",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "On final state",
        "Renders/s",
        "Progress statements/s",
        "Render interval at the end",
        "PostgreSQL CPU",
        "Web CPU",
    ]
    body = [
        [
            r["design"],
            r["n"],
            f"{r['pairs']:,}",
            fmt(r["p50"]),
            fmt(r["p95"]),
            fmt(r["p99"]),
            f"{r['exact']:.1%}",
            fmt(r["renders"], "", 0),
            fmt(r["queries"], "", 0),
            "100 ms (fixed)" if r["interval"] is None else f"{r['interval']} ms",
            f"{r['pg']:.0%}",
            f"{r['web']:.0%}",
        ]
        for r in rows
    ]
    return table(headers, body) + (
        f"\n\nFor {CHURN_SECONDS:g} s, every {CHURN_TICK * 1000:g} ms one transaction finishes one more run of "
        "every report (one notification per report each time); one viewer per report; one web process; "
        "LIVE_RENDERS_PER_SECOND at its default (1,000). Staleness as above, from each commit."
    )


async def storm(dbs, root: Path, n: int, limit: int) -> dict:
    with serving(dbs, root, limit) as (server, url):
        cookies = sign_up(server.url, "bench@example.com")
        owner = user_id(url, "bench@example.com")
        report_count = max(1, n // 10)
        ids = [create_benchmark(url, owner, models=TEN_MODELS[:3], images=2, samples=4) for _ in range(report_count)]
        expected = {}
        with psycopg.connect(url, autocommit=True) as conn:
            for i, report_id in enumerate(ids):
                done = i % 23 + 1  # every report at its own count
                conn.execute(
                    "UPDATE benchmark_runs SET status = 'complete', started_at = now(), finished_at = now(), "
                    "latency_ms = 500, field_accuracy = 0.9, exact = false WHERE id IN ("
                    "SELECT id FROM benchmark_runs WHERE report_id = %s ORDER BY id LIMIT %s)",
                    (report_id, done),
                )
                expected[report_id] = done
        viewers = [Viewer(ids[i % report_count]) for i in range(n)]
        client = LoadClient(server.url, cookies, reconnect=True)
        connected = await client.connect_all(viewers, deadline=60)  # the former design fails past ~1,000
        await asyncio.sleep(12)  # PostgreSQL flushes other backends' statistics up to ~10 s late
        x0 = xacts(url)
        marks = {id(v): len(v.seen) for v in viewers}
        restarted = time.time()
        await asyncio.to_thread(server.restart_web)
        up = time.time() - restarted

        def back(v: Viewer) -> bool:
            return v.connected and len(v.seen) > marks[id(v)] and v.last == expected[v.report_id]

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(back(v) for v in viewers):
            await asyncio.sleep(0.05)
        returned = [
            next((at for count, at in v.seen[marks[id(v)] :] if count == expected[v.report_id]), None) for v in viewers
        ]
        failures = Counter(v.error or "" for v in viewers if v.error)
        total_back = sum(1 for v in viewers if back(v))
        await asyncio.sleep(12)
        x1 = xacts(url)
        attempts = sum(v.attempts for v in viewers)
        await client.close_all()
        times = [at - restarted for at in returned if at is not None]
        return {
            "n": n,
            "reports": report_count,
            "connected": connected,
            "up": up,
            "back": total_back,
            "p50": percentile(times, 50),
            "p99": percentile(times, 99),
            "all": max(times) if len(times) == n else None,
            "xacts": x1 - x0 - 2,  # the bench's own two reads
            "attempts": attempts,
            "failures": failures,
        }


def storm_table(rows: list[dict]) -> str:
    headers = [
        "Design",
        "Viewers",
        "Reports",
        "Web process back up",
        "Back on the exact state",
        "p50",
        "p99",
        "All back",
        "DB transactions",
        "Per viewer",
        "Connect attempts",
    ]
    body = [
        [
            r["design"],
            f"{r['n']:,}",
            r["reports"],
            fmt(r["up"], " s"),
            f"{r['back']:,}",
            fmt(r["p50"], " s", 2),
            fmt(r["p99"], " s", 2),
            fmt(r["all"], " s", 2),
            f"{r['xacts']:,}",
            fmt(r["xacts"] / r["n"], "", 2),
            f"{r['attempts']:,}",
        ]
        for r in rows
    ]
    notes = []
    for r in rows:
        if r["connected"].failed:
            notes.append(f"- {r['design']}, {r['n']:,} viewers, first connect: {r['connected'].summary()}")
        if r["failures"]:
            seen = ", ".join(f"{count:,} {reason}" for reason, count in r["failures"].most_common())
            notes.append(f"- {r['design']}, {r['n']:,} viewers, last error each viewer saw: {seen}")
    return table(headers, body) + (
        "\n\nTimes from the SIGTERM to the web process. Viewers reconnect as the page does (after "
        "1012: 125-250 ms, then doubling with jitter, capped near 5 s); while the new process "
        "starts, their connects are refused. DB transactions: every transaction PostgreSQL counted "
        "from before the restart until after every viewer was back (its statistics waited for)."
        + ("\n" + "\n".join(notes) if notes else "")
    )


def notify_cost(dbs, with_notify: bool, seconds: float = 10.0, writers: int = 4) -> dict:
    """Run completions committed one by one, as the engine does, by `writers` connections at
    once for `seconds`, with one LISTEN connection open: with the progress trigger's NOTIFY
    and without it (the trigger disabled), to price the notification each commit sends."""
    url = dbs.create()
    postmaster = psutil.Process(dbs.server.pid)
    try:
        owner = create_user(url)
        report_id = create_benchmark(url, owner, models=TEN_MODELS, images=10, samples=10)  # 1,000 runs
        with psycopg.connect(url, autocommit=True) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM benchmark_runs WHERE report_id = %s", (report_id,))]
            if not with_notify:
                conn.execute("ALTER TABLE benchmark_runs DISABLE TRIGGER benchmark_runs_status_changed")
        listener = NotifyCounter(url)
        listener.start()
        listener.ready.wait(10)
        commits = [0] * writers
        stop = threading.Event()

        def write(k: int) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                i = k
                while not stop.is_set():
                    run_id = ids[i % len(ids)]
                    status = "complete" if (i // len(ids)) % 2 == 0 else "running"  # always a change
                    conn.execute(
                        "UPDATE benchmark_runs SET status = %s, finished_at = now() WHERE id = %s", (status, run_id)
                    )
                    commits[k] += 1
                    i += writers

        threads = [threading.Thread(target=write, args=(k,), daemon=True) for k in range(writers)]
        pg0, started = postgres_cpu_seconds(postmaster), time.monotonic()
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed, pg = time.monotonic() - started, postgres_cpu_seconds(postmaster) - pg0
        listener.stopped.set()
        total = sum(commits)
        return {"notify": with_notify, "commits": total / elapsed, "pg_ms": pg * 1000 / total, "heard": listener.count}
    finally:
        dbs.drop(url)


def notify_table(rows: list[dict]) -> str:
    body = [
        [
            "with NOTIFY" if r["notify"] else "trigger disabled",
            fmt(r["commits"], "", 0),
            fmt(r["pg_ms"], " ms", 3),
            f"{r['heard']:,}",
        ]
        for r in rows
    ]
    return table(["Run commits", "Commits a second", "PostgreSQL CPU per commit", "Notifications heard"], body) + (
        "\n\nFour connections commit single-run status changes as fast as they can for 10 s, one "
        "LISTEN connection open; the same with the progress trigger disabled. The difference is "
        "what a NOTIFY costs the database per commit."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["running", "churn", "storm", "notify"])
    parser.add_argument("--reports", type=int, nargs="+", default=[10, 50, 100, 200, 500])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--before", default=FORMER_DESIGN, help="the former design's revision")
    parser.add_argument("--only", choices=["before", "after"], help="run one design only")
    args = parser.parse_args()
    limit = raise_open_files_limit()
    designs = [(f"before ({args.before})", checkout_of(args.before)), ("after", ROOT)]
    if args.only:
        designs = [designs[0] if args.only == "before" else designs[1]]
    dbs = TestDatabases().start()
    rows = []
    if args.scenario == "notify":
        try:
            rows = [notify_cost(dbs, with_notify) for with_notify in (True, False, True, False)]
        finally:
            dbs.stop()
        record("Capacity: what a NOTIFY costs per commit (bench/capacity.py notify)", notify_table(rows))
        return 0
    try:
        sizes = args.viewers if args.scenario == "storm" else args.reports
        step = {"running": running, "churn": churn, "storm": storm}[args.scenario]
        for size in sizes:
            for design, root in designs:
                print(f"… {args.scenario} {size}: {design}", file=sys.stderr)
                row = asyncio.run(step(dbs, root, size, limit))
                row["design"] = design
                rows.append(row)
                print(row, file=sys.stderr)
    finally:
        dbs.stop()
    if args.scenario == "running":
        record("Capacity: benchmarks running at once, one viewer each (bench/capacity.py running)", running_table(rows))
    elif args.scenario == "churn":
        record("Capacity: reports changing without pause, one viewer each (bench/capacity.py churn)", churn_table(rows))
    else:
        record("Capacity: reconnect storm after a restart (bench/capacity.py storm)", storm_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
