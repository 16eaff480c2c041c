"""The database gone for 90 s in the middle of a benchmark, watched in Chromium: the job worker
waits it out in the same process, nothing is run twice, and the open page reaches the report by
itself. (The long test of the suite, on purpose: an outage must outlast every timeout there is,
procrastinate's and the pools' included.)"""

import time

import psycopg
from playwright.sync_api import expect

from tests.e2e.pages import open_processing, sign_up
from tests.support.benchmarks import create_benchmark, report_status, run_counts, wait_for
from tests.support.database import OwnPostgres
from tests.support.live_server import LiveServer

OUTAGE_SECONDS = 90


def test_a_90_second_database_outage_mid_benchmark(page, tmp_path):
    with OwnPostgres() as pg:
        url = pg.app_url
        server = LiveServer(url, tmp_path).start()
        try:
            owner = sign_up(page, server.url, url)
            report_id = create_benchmark(url, owner, images=2, samples=4)  # 3 models x 2 x 4 = 24 runs
            open_processing(page, server.url, report_id)
            web = server.web.pid
            worker = server.start_worker(SIMULATED_FIXED_LATENCY="1", MAX_CALLS_PER_REPORT="3")
            wait_for(lambda: run_counts(url, report_id).get("complete", 0) >= 3, message="some runs to finish")

            pg.stop()  # with runs in flight
            time.sleep(OUTAGE_SECONDS)
            assert worker.poll() is None, "the worker waits for its database"
            pg.start()

            with psycopg.connect(url) as conn:
                (token,) = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()
            expect(page).to_have_url(f"{server.url}/r/{token}", timeout=90_000)
            assert report_status(url, report_id) == "complete"
            assert worker.poll() is None and server.web.pid == web, "the same processes throughout"
            with psycopg.connect(url) as conn:
                rows = conn.execute(
                    "SELECT model_id, image_id, sample_index, status, attempts FROM benchmark_runs "
                    "WHERE report_id = %s",
                    (report_id,),
                ).fetchall()
            assert len(rows) == 24 and len({r[:3] for r in rows}) == 24
            assert {(status, attempts) for *_, status, attempts in rows} == {("complete", 1)}, (
                "every run done once, none started twice"
            )
            # The worker said so once when the database went away, once when it came back.
            log = server.log.read_text()
            assert log.count("webapp.engine.reachability: database unreachable") == 1
            assert log.count("webapp.engine.reachability: database reachable again") == 1
        finally:
            server.stop()
