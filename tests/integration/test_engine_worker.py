"""The job worker as a real process on the real queue: runs, scores, limits, crash safety."""

import signal
import subprocess
import sys

import httpx
import psycopg
import pytest

from tests.support.benchmarks import create_benchmark, create_user, report_status, run_counts, wait_for
from tests.support.live_server import ROOT, LiveServer


@pytest.fixture
def workers(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path)  # only its worker processes are used here
    yield server
    server.stop()


def test_worker_runs_every_run_and_scores_it(database_url, workers):
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, images=3, samples=2)
    workers.start_worker(SIMULATED_SPEED="0")
    wait_for(lambda: report_status(database_url, report_id) in ("complete", "failed"), message="report to finish")
    assert report_status(database_url, report_id) == "complete"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT status, field_accuracy, total_fields, raw_output, latency_ms, cost_usd, attempts,
                   started_at <= finished_at
            FROM benchmark_runs WHERE report_id = %s""",
            (report_id,),
        ).fetchall()
    assert len(rows) == 3 * 3 * 2
    complete = [r for r in rows if r[0] == "complete"]
    assert complete, "at least one run completed"
    for status, accuracy, total_fields, raw, latency, cost, attempts, ordered in rows:
        assert status in ("complete", "failed")
        assert attempts == 1 and ordered
        if status == "complete":
            assert 0.0 <= accuracy <= 1.0 and total_fields >= 4
            assert raw and latency is not None and cost is not None and cost > 0


def test_budget_ceiling_skips_runs_that_would_exceed_it(database_url, workers):
    owner = create_user(database_url)
    # Claude Sonnet 4.5 costs $0.012 per run by the estimate (real simulated runs cost ~$0.005):
    # $0.05 pays for at least 4 of the 20 runs and never for all of them.
    report_id = create_benchmark(
        database_url, owner, models=["anthropic/claude-sonnet-4.5"], images=2, samples=10, budget="0.05"
    )
    workers.start_worker(SIMULATED_SPEED="0", MAX_CALLS_PER_REPORT="1", MAX_CALLS_PER_MODEL="1")
    wait_for(lambda: report_status(database_url, report_id) in ("complete", "failed"), message="report to finish")
    counts = run_counts(database_url, report_id)
    assert counts.get("skipped", 0) >= 1 and counts.get("complete", 0) >= 4
    with psycopg.connect(database_url) as conn:
        (spent,) = conn.execute(
            "SELECT coalesce(sum(cost_usd), 0) FROM benchmark_runs WHERE report_id = %s", (report_id,)
        ).fetchone()
        (reason,) = conn.execute(
            "SELECT error FROM benchmark_runs WHERE report_id = %s AND status = 'skipped' LIMIT 1", (report_id,)
        ).fetchone()
    assert spent <= 0.05
    assert "budget ceiling" in reason


def test_killed_worker_loses_nothing_and_repeats_nothing(database_url, workers):
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, images=2, samples=3)  # 3 x 2 x 3 = 18 runs
    first = workers.start_worker(SIMULATED_SPEED="0.4")
    wait_for(lambda: run_counts(database_url, report_id).get("complete", 0) >= 3, message="some runs to complete")
    first.send_signal(signal.SIGKILL)
    first.wait()
    with psycopg.connect(database_url) as conn:
        before = dict(
            conn.execute(
                """SELECT id, finished_at FROM benchmark_runs
                                      WHERE report_id = %s AND status IN ('complete', 'failed')""",
                (report_id,),
            ).fetchall()
        )
        interrupted = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM benchmark_runs WHERE report_id = %s AND status = 'running'", (report_id,)
            )
        ]
    assert interrupted, "the worker was killed with runs in flight"
    assert report_status(database_url, report_id) == "running"

    workers.start_worker(SIMULATED_SPEED="0")
    wait_for(
        lambda: report_status(database_url, report_id) in ("complete", "failed"),
        timeout=60,
        message="the new worker to resume and finish",
    )
    assert report_status(database_url, report_id) == "complete"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """SELECT id, model_id, image_id, sample_index, status, finished_at, attempts
                               FROM benchmark_runs WHERE report_id = %s""",
            (report_id,),
        ).fetchall()
    assert len(rows) == 18
    assert len({(r[1], r[2], r[3]) for r in rows}) == 18  # exactly one row per model, image, sample
    assert all(r[4] in ("complete", "failed") for r in rows)
    by_id = {r[0]: r for r in rows}
    for run_id, finished_at in before.items():  # finished runs were not repeated
        assert by_id[run_id][5] == finished_at and by_id[run_id][6] == 1
    for run_id in interrupted:  # runs in flight were run again
        assert by_id[run_id][6] == 2


def test_a_worker_stopped_gracefully_mid_benchmark_hands_it_back(database_url, workers):
    """SIGTERM (a deploy, Ctrl-C on ./serve): procrastinate aborts the running job after its
    grace period; the next worker queues the report again and it completes, nothing repeated."""
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, images=2, samples=3)  # 18 runs
    first = workers.start_worker(SIMULATED_SPEED="1.5")
    wait_for(lambda: run_counts(database_url, report_id).get("complete", 0) >= 2, message="some runs to finish")
    first.send_signal(signal.SIGTERM)
    first.wait(30)
    with psycopg.connect(database_url) as conn:
        job_status = conn.execute("SELECT status FROM procrastinate_jobs").fetchall()
        finished = dict(
            conn.execute(
                """SELECT id, finished_at FROM benchmark_runs
                                        WHERE report_id = %s AND status IN ('complete', 'failed')""",
                (report_id,),
            ).fetchall()
        )
    assert job_status == [("aborted",)] and report_status(database_url, report_id) == "running"
    assert 2 <= len(finished) < 18

    workers.start_worker(SIMULATED_SPEED="0")
    wait_for(
        lambda: report_status(database_url, report_id) == "complete",
        timeout=60,
        message="the next worker to queue the report again and finish it",
    )
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id, status, finished_at, attempts FROM benchmark_runs WHERE report_id = %s", (report_id,)
        ).fetchall()
    assert len(rows) == 18 and all(status in ("complete", "failed") for _, status, _, _ in rows)
    by_id = {r[0]: r for r in rows}
    for run_id, finished_at in finished.items():
        assert by_id[run_id][2] == finished_at and by_id[run_id][3] == 1
    assert "queued it again" in workers.log.read_text()


def test_cancel_skips_pending_runs_and_keeps_finished_ones(database_url, workers):
    from webapp.benchmarks import queries

    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, images=3, samples=3)
    workers.start_worker(SIMULATED_SPEED="0.3")
    wait_for(lambda: run_counts(database_url, report_id).get("complete", 0) >= 2, message="some runs")
    with psycopg.connect(database_url) as conn:
        assert queries.cancel_report(conn, report_id, owner)
    wait_for(lambda: not run_counts(database_url, report_id).get("running"), message="in-flight runs to end")
    counts = run_counts(database_url, report_id)
    assert report_status(database_url, report_id) == "cancelled"
    assert counts.get("skipped", 0) > 0 and counts.get("complete", 0) >= 2
    assert not counts.get("pending")


def test_provider_outage_fails_the_report_with_a_reason(database_url, workers):
    from tests.support.fake_openai import FakeOpenAI, Response

    owner = create_user(database_url)
    report_id = create_benchmark(
        database_url, owner, models=["openai/gpt-5-nano"], images=1, samples=2, provider="openai_compatible"
    )
    with FakeOpenAI() as fake:
        fake.handler = lambda body: Response(status=500, body={"error": {"message": "upstream is down"}})
        workers.start_worker(PROVIDER_BASE_URL=fake.base_url, PROVIDER_API_KEY="sk-test-secret-key")
        wait_for(lambda: report_status(database_url, report_id) in ("complete", "failed"), message="report")
    assert report_status(database_url, report_id) == "failed"
    with psycopg.connect(database_url) as conn:
        (reason,) = conn.execute("SELECT failure_reason FROM reports WHERE id = %s", (report_id,)).fetchone()
        errors = [r[0] for r in conn.execute("SELECT error FROM benchmark_runs WHERE report_id = %s", (report_id,))]
    assert "All 2 runs failed" in reason and "HTTP 500" in reason
    assert all("HTTP 500" in e for e in errors)
    assert not any("sk-test-secret-key" in (e or "") for e in [*errors, reason])


def test_healthz_and_the_status_command_show_the_workers(database_url, workers, tmp_path):
    workers.start()
    assert httpx.get(workers.url + "/healthz").json()["workers"] == {"alive": 0, "silent": 0, "benchmarks_running": 0}
    workers.start_worker()
    wait_for(lambda: httpx.get(workers.url + "/healthz").json()["workers"]["alive"] == 1, message="its heartbeat")

    def status():
        return subprocess.run(
            [sys.executable, "-m", "webapp", "status"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**workers.env, "DATA_DIR": str(tmp_path)},
            timeout=30,
        )

    shown = wait_for(lambda: (s := status()).returncode == 0 and s, timeout=15, interval=0.5, message="all well")
    assert "running; last heartbeat" in shown.stdout  # its state file, on this machine
    assert "alive, last heartbeat" in shown.stdout  # its row, in the database
