"""Chaos soak of the live path: benchmarks run and are watched while faults are injected.

    ./bench/run chaos                 # 10 minutes
    ./bench/run chaos --minutes 3

3 benchmarks on the simulated provider, 20 websocket viewers (4 of them behind a proxy that
can throttle them) and 2 Chromium pages, on one web process, one job worker and the embedded
PostgreSQL; the web process's listener reaches PostgreSQL through a proxy. A scheduler
repeatedly blackholes and restores the listener's path, kills the listener's backend, restarts
the web process, throttles the proxied viewers and restarts (or kills) the worker. After each
fault it times the recovery: until every viewer of a running report shows at least the state
the database had when the fault ended. At the end, every viewer must hold the exact final
state, every page must be on its report, and every run must exist exactly once. The table of
faults and recoveries is appended to docs/reliability.md.
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg
from playwright.sync_api import sync_playwright

from bench.common import LiveServer, TestDatabases, environment_line, raise_open_files_limit, sign_up, table, user_id
from tests.conftest import CHROMIUM_FLAGS
from tests.support.benchmarks import create_benchmark
from tests.support.database import unix_socket_path, via_tcp
from tests.support.raw_viewer import RawViewer
from tests.support.tcp_proxy import TcpProxy

RELIABILITY_LOG = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
MODELS = [
    "mistralai/mistral-small-3.1-24b-instruct:free",
    "google/gemma-3-27b-it:free",
    "nvidia/nemotron-nano-12b-2-vl-instruct:free",
    "google/gemma-3-12b-it:free",
    "openai/gpt-5-nano",
    "google/gemini-2.0-flash-001",
]
IMAGES, SAMPLES = 10, 10  # 6 x 10 x 10 = 600 runs per benchmark
CALL_SECONDS = 1.0  # every simulated call takes this long
FINISHED = re.compile(r'data-finished="true"')
RECOVERY_LIMIT = 60.0


class SoakViewer(threading.Thread):
    """Watches one report as the page does: reconnects after any close that is not final."""

    def __init__(self, server: LiveServer, session: str, report_id: int, port: int | None = None):
        super().__init__(daemon=True)
        self.server, self.session, self.report_id, self.port = server, session, report_id, port
        self.last_done: int | None = None
        self.final = False
        self.connects = 0
        self.errors: list[str] = []
        self.closes: dict[int | None, int] = defaultdict(int)

    def run(self) -> None:
        while not self.final:
            viewer = RawViewer(self.server.url, f"/benchmarks/{self.report_id}/live", self.session, receive_buffer=8192)
            try:
                viewer.connect(port=self.port)
            except OSError:
                time.sleep(random.uniform(0.2, 1.0))
                continue
            self.connects += 1
            while not (viewer.eof or viewer.close_code is not None):
                viewer.read(1.0)
                if viewer.states():
                    self.last_done = viewer.last_done()
            viewer.close()
            self.errors += viewer.errors
            self.closes[viewer.close_code] += 1
            texts = [f.payload for f in viewer.frames if f.opcode == 1]
            if viewer.close_code == 1000 and texts and FINISHED.search(texts[-1].decode()):
                self.final = True
            else:
                time.sleep(random.uniform(0.2, 1.0))


class Pages(threading.Thread):
    """Two Chromium pages on processing pages; Playwright's sync API stays in this thread."""

    def __init__(self, server: LiveServer, cookies: dict, report_ids: list[int]):
        super().__init__(daemon=True)
        self.server, self.cookies, self.report_ids = server, cookies, report_ids
        self.urls: list[str] = []
        self.stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        with sync_playwright() as p:
            try:
                browser = p.chromium.launch(args=CHROMIUM_FLAGS)
            except Exception:
                browser = p.chromium.launch(args=CHROMIUM_FLAGS, executable_path="/usr/bin/chromium")
            context = browser.new_context(base_url=self.server.url)
            context.add_cookies([{"name": k, "value": v, "url": self.server.url} for k, v in self.cookies.items()])
            pages = [context.new_page() for _ in self.report_ids]
            for page, report_id in zip(pages, self.report_ids):
                page.goto(f"/benchmarks/{report_id}/processing")
            self.ready.set()
            while not self.stop.is_set():
                self.urls = [page.url for page in pages]
                pages[0].wait_for_timeout(500)
            self.urls = [page.url for page in pages]
            browser.close()


class Soak:
    def __init__(self, minutes: float):
        self.minutes = minutes
        self.recoveries: dict[str, list[float]] = defaultdict(list)
        self.failures: list[str] = []

    def done_counts(self) -> dict[int, int]:
        with psycopg.connect(self.url) as conn:
            return dict(
                conn.execute(
                    """SELECT report_id, count(*) FILTER (WHERE status IN ('complete','failed','skipped'))
                                        FROM benchmark_runs WHERE report_id = ANY(%s) GROUP BY report_id""",
                    (self.report_ids,),
                ).fetchall()
            )

    def recovered(self, kind: str, since: float) -> None:
        """Waits until every viewer shows at least the state the database had at `since`."""
        target = self.done_counts()
        while time.monotonic() - since < RECOVERY_LIMIT:
            if all(v.final or (v.last_done or 0) >= target[v.report_id] for v in self.viewers):
                self.recoveries[kind].append(time.monotonic() - since)
                return
            time.sleep(0.1)
        lagging = [
            (v.report_id, v.last_done, target[v.report_id])
            for v in self.viewers
            if not v.final and (v.last_done or 0) < target[v.report_id]
        ]
        self.failures.append(f"{kind}: not recovered in {RECOVERY_LIMIT:.0f} s: {lagging[:5]}")
        self.recoveries[kind].append(float("inf"))

    # faults ------------------------------------------------------------------------------------
    def blackhole_listener(self) -> None:
        self.listener_path.blackhole()
        time.sleep(random.uniform(10, 30))
        self.listener_path.pass_through()
        self.recovered("listener path blackholed 10-30 s", time.monotonic())

    def kill_listener_backend(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN %%' AND pid <> pg_backend_pid()"
            )
        self.recovered("listener backend killed", time.monotonic())

    def restart_web(self) -> None:
        self.server.restart_web()
        self.recovered("web process restarted", time.monotonic())

    def throttle_viewers(self) -> None:
        self.viewer_path.throttle(1024)
        time.sleep(random.uniform(5, 15))
        self.viewer_path.pass_through()
        self.recovered("4 viewers throttled to 1 KB/s", time.monotonic())

    def restart_worker(self) -> None:
        worker = self.server.workers.pop()
        how = random.choice([signal.SIGTERM, signal.SIGKILL])
        worker.send_signal(how)
        worker.wait(30)
        self.server.start_worker(**self.worker_env)
        before, since = sum(self.done_counts().values()), time.monotonic()
        while sum(self.done_counts().values()) == before and time.monotonic() - since < RECOVERY_LIMIT:
            time.sleep(0.1)
        self.recoveries[f"worker {'killed' if how == signal.SIGKILL else 'stopped'} and restarted"].append(
            time.monotonic() - since
        )

    # the run -----------------------------------------------------------------------------------
    def run(self) -> int:
        raise_open_files_limit()
        dbs = TestDatabases().start()
        try:
            self.url = dbs.create()
            self.listener_path = TcpProxy(unix_socket_path(self.url)).start()
            self.server = LiveServer(
                self.url,
                Path(tempfile.mkdtemp(prefix="vb-chaos-")),
                {
                    "LISTEN_DATABASE_URL": via_tcp(self.url, self.listener_path.port),
                    "LIVE_SEND_TIMEOUT": "2",
                    "LIVE_PING_INTERVAL": "5",
                    "LIVE_SOCKETS_PER_USER": "100",
                    "MAX_RUNNING_BENCHMARKS": "10",
                    "ACCESS_LOG": "",
                },
            ).start()
            self.viewer_path = TcpProxy(("127.0.0.1", self.server.port)).start()
            try:
                return self._soak()
            finally:
                self.server.stop()
                self.viewer_path.stop()
                self.listener_path.stop()
        finally:
            dbs.stop()

    def _soak(self) -> int:
        cookies = sign_up(self.server.url, "chaos@example.com")
        owner = user_id(self.url, "chaos@example.com")
        self.report_ids = [
            create_benchmark(self.url, owner, models=MODELS, images=IMAGES, samples=SAMPLES, budget="7")
            for _ in range(3)
        ]
        runs = len(MODELS) * IMAGES * SAMPLES
        # Sized so that the benchmarks end a little before the faults stop.
        per_report = max(1, round(runs * CALL_SECONDS / (self.minutes * 60 * 0.85)))
        self.worker_env = {
            "SIMULATED_FIXED_LATENCY": str(CALL_SECONDS),
            "MAX_CALLS_PER_REPORT": str(per_report),
            "MAX_CALLS_PER_MODEL": str(per_report),
        }
        self.viewers = [
            SoakViewer(
                self.server,
                cookies["vb_session"],
                self.report_ids[i % 3],
                port=self.viewer_path.port if i < 4 else None,
            )
            for i in range(20)
        ]
        for v in self.viewers:
            v.start()
        pages = Pages(self.server, cookies, self.report_ids[:2])
        pages.start()
        pages.ready.wait(60)
        self.server.start_worker(**self.worker_env)
        faults = [
            self.blackhole_listener,
            self.kill_listener_backend,
            self.restart_web,
            self.throttle_viewers,
            self.restart_worker,
        ]
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < self.minutes * 60:
            fault = faults[n % len(faults)]
            n += 1
            print(f"[{time.monotonic() - started:6.0f} s] {fault.__name__}", flush=True)
            fault()
            time.sleep(random.uniform(3, 10))
        deadline = time.monotonic() + 15 * 60
        while not all(v.final for v in self.viewers) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(3)  # the pages' redirect after "Complete!"
        pages.stop.set()
        pages.join(30)
        return self._verdict(pages, runs, time.monotonic() - started)

    def _verdict(self, pages: Pages, runs: int, seconds: float) -> int:
        with psycopg.connect(self.url) as conn:
            statuses = dict(
                conn.execute("SELECT id, status FROM reports WHERE id = ANY(%s)", (self.report_ids,)).fetchall()
            )
            rows = dict(
                conn.execute(
                    "SELECT report_id, count(*) FROM benchmark_runs WHERE report_id = ANY(%s) GROUP BY report_id",
                    (self.report_ids,),
                ).fetchall()
            )
            unfinished = conn.execute(
                "SELECT count(*) FROM benchmark_runs WHERE report_id = ANY(%s) AND status IN ('pending', 'running')",
                (self.report_ids,),
            ).fetchone()[0]
            tokens = dict(
                conn.execute("SELECT id, share_token FROM reports WHERE id = ANY(%s)", (self.report_ids,)).fetchall()
            )
        final = self.done_counts()
        checks = {
            "every report complete": all(s == "complete" for s in statuses.values()),
            f"every run exists exactly once ({runs} per report)": all(rows[r] == runs for r in self.report_ids),
            "no run left pending or running": unfinished == 0,
            "every viewer holds the exact final state": all(
                v.final and v.last_done == final[v.report_id] for v in self.viewers
            ),
            "every frame intact": not any(v.errors for v in self.viewers),
            "every page on its report": pages.urls == [f"{self.server.url}/r/{tokens[r]}" for r in self.report_ids[:2]],
            "every fault recovered": not self.failures,
        }
        rows_out = [
            [kind, len(times), sum(t != float("inf") for t in times), f"{max(times):.1f} s"]
            for kind, times in sorted(self.recoveries.items())
        ]
        reconnects = sum(v.connects for v in self.viewers) - len(self.viewers)
        text = (
            table(["Fault", "Injected", "Recovered", "Slowest recovery"], rows_out)
            + f"\n\n{seconds / 60:.1f} minutes, {len(self.viewers)} websocket viewers ({reconnects} reconnects), "
            f"2 Chromium pages, 3 benchmarks of {runs} runs.\n\n"
            + "\n".join(f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in checks.items())
            + "".join(f"\n- {f}" for f in self.failures)
            + "\n"
        )
        block = f"\n### Chaos soak\n\n_{environment_line()}_\n\n{text}"
        print(block)
        with RELIABILITY_LOG.open("a") as f:
            f.write(block)
        return 0 if all(checks.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    return Soak(parser.parse_args().minutes).run()


if __name__ == "__main__":
    sys.exit(main())
