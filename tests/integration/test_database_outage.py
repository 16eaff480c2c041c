"""Job workers and a database that goes away mid-benchmark: they wait for it as long as it
takes, in the same process, and no run is done twice. (A 90 s outage watched in Chromium is in
tests/e2e/test_long_outage.py.)"""

import subprocess
import sys
import time

import psycopg

from tests.support.benchmarks import create_benchmark, create_user, report_status, run_counts, wait_for
from tests.support.database import OwnPostgres, unix_socket_path, via_tcp
from tests.support.live_server import ROOT, LiveServer
from tests.support.tcp_proxy import TcpProxy

FIXED_LATENCY = {"SIMULATED_FIXED_LATENCY": "1", "MAX_CALLS_PER_REPORT": "3"}


def runs(url, report_id):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT model_id, image_id, sample_index, status, attempts, started_at::time, "
            "finished_at::time FROM benchmark_runs "
            "WHERE report_id = %s",
            (report_id,),
        ).fetchall()


def assert_each_run_done_once(url, report_id, expected):
    rows = runs(url, report_id)
    assert len(rows) == expected and len({r[:3] for r in rows}) == expected
    assert {r[3] for r in rows} == {"complete"}
    assert {r[4] for r in rows} == {1}, f"no run was started twice: {rows}"


def status_of(tmp_path, url):
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "webapp", "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def lines_with(log, text):
    return [line for line in log.read_text().splitlines() if text in line]


def test_a_blackholed_database_is_waited_out_and_nothing_runs_twice(tmp_path):
    """The worker's path to PostgreSQL swallows every packet for 15 s (no error, no reset): its
    queries and its queue loop's connections hang until their deadlines; the process waits,
    says so in `visionbench status`, and finishes when the path is back."""
    with OwnPostgres() as pg:
        url = pg.app_url
        proxy = TcpProxy(unix_socket_path(url)).start()
        workers = LiveServer(url, tmp_path)
        try:
            report_id = create_benchmark(url, create_user(url), images=2, samples=4)  # 24 runs
            worker = workers.start_worker(DATABASE_URL=via_tcp(url, proxy.port), **FIXED_LATENCY)
            wait_for(lambda: run_counts(url, report_id).get("complete", 0) >= 3, message="some runs to finish")
            proxy.blackhole()  # with runs in flight
            wait_for(
                lambda: "WAITING FOR ITS DATABASE" in status_of(tmp_path, url).stdout,
                timeout=20,
                interval=1,
                message="status to show the worker waiting for its database",
            )
            time.sleep(5)
            proxy.pass_through()
            wait_for(lambda: report_status(url, report_id) == "complete", timeout=60, message="the report")
            assert worker.poll() is None, "the worker process never exited"
            assert_each_run_done_once(url, report_id, 24)
            # One line when the database went away, one when it came back: not one per attempt.
            assert len(lines_with(workers.log, "database unreachable")) == 1
            assert len(lines_with(workers.log, "database reachable again")) == 1
            assert "Traceback" not in workers.log.read_text()
            wait_for(
                lambda: status_of(tmp_path, url).returncode == 0,
                timeout=15,
                interval=1,
                message="status to say all is well again",
            )
        finally:
            workers.stop()
            proxy.stop()


def test_two_workers_ride_out_a_database_restart_and_neither_takes_the_others_benchmark(tmp_path):
    """PostgreSQL stopped for 15 s, longer than a silent worker is given before it is declared
    dead: every heartbeat is old when it is back, yet each worker keeps its own benchmark."""
    with OwnPostgres() as pg:
        url = pg.app_url
        workers = LiveServer(url, tmp_path)
        try:
            owner = create_user(url)
            reports = [create_benchmark(url, owner, images=2, samples=4) for _ in range(2)]
            first = workers.start_worker(WORKER_CONCURRENCY="1", **FIXED_LATENCY)
            second = workers.start_worker(WORKER_CONCURRENCY="1", **FIXED_LATENCY)
            for report_id in reports:
                wait_for(lambda r=report_id: run_counts(url, r).get("complete", 0) >= 3, message="both to run")
            pg.stop()
            time.sleep(15)
            pg.start()
            for report_id in reports:
                wait_for(lambda r=report_id: report_status(url, r) == "complete", timeout=60, message="the reports")
            assert first.poll() is None and second.poll() is None
            for report_id in reports:
                assert_each_run_done_once(url, report_id, 24)
            assert not lines_with(workers.log, "declared dead")
        finally:
            workers.stop()


def test_a_worker_started_while_the_database_is_down_waits_for_it(tmp_path):
    with OwnPostgres() as pg:
        url = pg.app_url
        report_id = create_benchmark(url, create_user(url), images=1, samples=1)
        pg.stop()
        workers = LiveServer(url, tmp_path)
        try:
            worker = workers.start_worker()
            time.sleep(12)  # longer than any pool's or queue's own wait
            assert worker.poll() is None, "it waits instead of exiting"
            pg.start()
            wait_for(lambda: report_status(url, report_id) == "complete", timeout=30, message="the report")
        finally:
            workers.stop()
