"""The serve command from a clean copy of the project; what happens when it is killed, and
when one of its children dies or cannot start."""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.support.benchmarks import create_benchmark, create_user, report_status, run_counts, wait_for
from tests.support.live_server import ROOT, free_port
from tests.support.serve import Serve, healthy, postmaster_pid, start_serve
from webapp.db.embedded import EmbeddedPostgres

ONE_SECOND_CALLS = {"SIMULATED_FIXED_LATENCY": "1", "MAX_CALLS_PER_REPORT": "3"}


def _process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_postgres_survives_the_app(sig):
    root = Path(tempfile.mkdtemp(prefix="vbs-"))
    data_dir, port = root / "data", free_port()
    serve = start_serve(data_dir, port)
    try:
        wait_for(lambda: healthy(port), timeout=60, message="serve to answer /healthz")
        pg_pid = postmaster_pid(data_dir)
        children = psutil.Process(serve.pid).children(recursive=True)
        assert any(c.pid == pg_pid for c in children)
        serve.send_signal(sig)
        serve.wait(30)
        wait_for(lambda: _process_gone(pg_pid), timeout=15, message="postgres to stop")
        # The others follow: a job worker stopping waits for a vanished database 8 s at most.
        wait_for(lambda: all(_process_gone(c.pid) for c in children), timeout=20, message="every child process to stop")
    finally:
        if serve.poll() is None:
            serve.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_serve_command_works_from_a_clean_copy():
    """`./serve` in a copy of the tracked files, with its own new virtualenv."""
    root = Path(tempfile.mkdtemp(prefix="vbc-"))
    clone, data_dir, port = root / "clone", root / "data", free_port()
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    serve = start_serve(data_dir, port, cwd=clone, command=["bash", "./serve"], env_extra={"VENV": str(root / "venv")})
    try:
        wait_for(lambda: healthy(port), timeout=300, interval=0.5, message="./serve to answer /healthz")
        page = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True)
        assert page.status_code == 200 and "Create your account" in page.text
        output = (root / "serve.log").read_text()
        assert f"running at http://localhost:{port}/" in output
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def serve_root():
    root = Path(tempfile.mkdtemp(prefix="vbs-"))  # short: Unix socket paths are limited
    yield root
    shutil.rmtree(root, ignore_errors=True)


def finished_runs(url, report_id) -> dict:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "SELECT id, finished_at FROM benchmark_runs WHERE report_id = %s AND status IN ('complete', 'failed')",
                (report_id,),
            ).fetchall()
        )


def assert_completed_once_each(url, report_id, runs, finished_before):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, model_id, image_id, sample_index, status, finished_at FROM benchmark_runs WHERE report_id = %s",
            (report_id,),
        ).fetchall()
    assert len(rows) == runs and len({r[1:4] for r in rows}) == runs
    assert {r[4] for r in rows} == {"complete"}
    by_id = {r[0]: r for r in rows}
    assert all(by_id[run_id][5] == finished_at for run_id, finished_at in finished_before.items()), (
        "runs finished before the fault were not run again"
    )


def test_a_killed_job_worker_is_started_again_and_the_benchmark_completes(database_url, serve_root):
    serve = Serve(serve_root, DATABASE_URL=database_url, **ONE_SECOND_CALLS)
    try:
        wait_for(lambda: healthy(serve.port) and serve.worker_pid(), timeout=60, message="serve to start")
        web, worker = serve.web_pid(), serve.worker_pid()
        report_id = create_benchmark(database_url, create_user(database_url), images=2, samples=4)  # 24 runs
        wait_for(lambda: run_counts(database_url, report_id).get("complete", 0) >= 3, message="some runs")
        os.kill(worker, signal.SIGKILL)
        finished = finished_runs(database_url, report_id)
        wait_for(lambda: serve.worker_pid() not in (None, worker), timeout=10, message="a new job worker")
        wait_for(lambda: report_status(database_url, report_id) == "complete", timeout=60, message="the report")
        assert serve.web_pid() == web, "the web server was not touched"
        assert "the job worker stopped unexpectedly (killed by SIGKILL" in serve.log
        assert_completed_once_each(database_url, report_id, 24, finished)
    finally:
        serve.stop()


def test_a_killed_embedded_postgres_is_started_again_and_pages_recover(serve_root):
    serve = Serve(serve_root, **ONE_SECOND_CALLS)
    try:
        wait_for(lambda: healthy(serve.port) and serve.worker_pid(), timeout=60, message="serve to start")
        web, worker = serve.web_pid(), serve.worker_pid()
        url = EmbeddedPostgres(serve.data_dir / "postgres").uri
        report_id = create_benchmark(url, create_user(url), images=2, samples=4)
        with psycopg.connect(url) as conn:
            (token,) = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()
        wait_for(lambda: run_counts(url, report_id).get("complete", 0) >= 3, message="some runs")
        finished = finished_runs(url, report_id)
        killed = postmaster_pid(serve.data_dir)
        # serve is paused while PostgreSQL dies, so that it stays down longer than a page waits
        # for a connection (5 s): its restart within a second would otherwise hide the 503.
        serve.process.send_signal(signal.SIGSTOP)
        try:
            os.kill(killed, signal.SIGKILL)
            page = wait_for(
                lambda: _answer_503(f"{serve.url}/r/{token}"),
                timeout=20,
                interval=0.2,
                message="the report page to answer 503",
            )
            assert "Temporarily unavailable" in page.text
        finally:
            serve.process.send_signal(signal.SIGCONT)
        wait_for(
            lambda: httpx.get(f"{serve.url}/r/{token}", timeout=10).status_code == 200,
            timeout=30,
            message="the page to work again",
        )
        assert postmaster_pid(serve.data_dir) != killed
        wait_for(lambda: report_status(url, report_id) == "complete", timeout=60, message="the report")
        assert (serve.web_pid(), serve.worker_pid()) == (web, worker), "no other process was restarted"
        assert "the embedded PostgreSQL stopped unexpectedly (killed by SIGKILL" in serve.log
        assert_completed_once_each(url, report_id, 24, finished)
    finally:
        serve.process.send_signal(signal.SIGCONT)
        serve.stop()


def _answer_503(url):
    page = httpx.get(url, timeout=10)
    return page if page.status_code == 503 else None


def test_a_child_that_cannot_start_stops_the_app_naming_it(database_url, serve_root):
    """A setting only the job worker reads, and wrong: it fails every time it starts."""
    serve = Serve(serve_root, DATABASE_URL=database_url, SIMULATED_FIXED_LATENCY="-1")
    try:
        web = wait_for(serve.web_pid, timeout=30, message="the web server to start")
        assert serve.process.wait(60) == 1, "serve stops within a minute"
        message = [line for line in serve.log.splitlines() if "failed to start" in line]
        assert message and "The job worker failed to start 5 times" in message[0]
        assert "SIMULATED_FIXED_LATENCY must be 0 or more" in serve.log.split(message[0])[1], (
            "its last words are quoted"
        )
        wait_for(lambda: _process_gone(web), timeout=15, message="the web server to stop with it")
    finally:
        serve.stop()
