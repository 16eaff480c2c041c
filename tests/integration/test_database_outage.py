"""The job worker rides out a database outage of several seconds mid-benchmark."""
import time

import psycopg

from tests.support.benchmarks import create_benchmark, create_user, report_status, run_counts, wait_for
from tests.support.database import OwnPostgres
from tests.support.live_server import LiveServer

OUTAGE_SECONDS = 12


def test_a_worker_survives_a_database_outage_and_finishes_the_benchmark(tmp_path):
    with OwnPostgres() as pg:
        url = pg.app_url
        workers = LiveServer(url, tmp_path)
        try:
            report_id = create_benchmark(url, create_user(url), images=2, samples=4)  # 24 runs
            worker = workers.start_worker(SIMULATED_SPEED="0.6", MAX_CALLS_PER_REPORT="3")
            wait_for(lambda: run_counts(url, report_id).get("complete", 0) >= 3, message="some runs to finish")
            pg.stop()  # with runs in flight
            time.sleep(OUTAGE_SECONDS)
            pg.start()
            wait_for(lambda: report_status(url, report_id) == "complete", timeout=90, message="the report")
            assert worker.poll() is None, "the worker process survived"
            with psycopg.connect(url) as conn:
                statuses = [s for (s,) in conn.execute("SELECT status FROM benchmark_runs WHERE report_id = %s",
                                                        (report_id,))]
            assert len(statuses) == 24 and set(statuses) <= {"complete", "failed"}
        finally:
            workers.stop()
