"""`./serve` with a browser on the processing page when its web server is killed: serve starts it
again, the page reconnects by itself and opens the report at the end."""

import os
import shutil
import signal
import tempfile
from pathlib import Path

import psycopg
from playwright.sync_api import expect

from tests.e2e.pages import open_processing, sign_up
from tests.support.benchmarks import create_benchmark, report_status, wait_for
from tests.support.serve import Serve, healthy


def test_a_killed_web_server_is_started_again_and_the_page_carries_on(page, database_url):
    root = Path(tempfile.mkdtemp(prefix="vbs-"))
    serve = Serve(root, DATABASE_URL=database_url, SIMULATED_FIXED_LATENCY="1", MAX_CALLS_PER_REPORT="3")
    try:
        wait_for(lambda: healthy(serve.port) and serve.worker_pid(), timeout=60, message="serve to start")
        owner = sign_up(page, serve.url, database_url)
        report_id = create_benchmark(database_url, owner, images=2, samples=4)  # 24 runs, ~8 s
        processing = open_processing(page, serve.url, report_id)
        page.wait_for_function(
            "() => +document.querySelector('#progress .done-count').textContent >= 3", timeout=30_000
        )
        web, worker = serve.web_pid(), serve.worker_pid()

        os.kill(web, signal.SIGKILL)
        expect(processing.pill()).to_have_text("Reconnecting…", timeout=10_000)
        wait_for(
            lambda: serve.web_pid() not in (None, web) and healthy(serve.port),
            timeout=20,
            message="serve to start the web server again",
        )
        with psycopg.connect(database_url) as conn:
            (token,) = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()
        expect(page).to_have_url(f"{serve.url}/r/{token}", timeout=60_000)
        assert report_status(database_url, report_id) == "complete"
        assert serve.worker_pid() == worker, "the job worker was not touched"
        assert "the web server stopped unexpectedly (killed by SIGKILL" in serve.log
    finally:
        serve.stop()
        shutil.rmtree(root, ignore_errors=True)
