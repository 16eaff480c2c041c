"""Enqueueing from the web app, in the caller's own transaction: a report is never saved
without its job, nor a job without its report."""
from __future__ import annotations

QUEUE = "benchmarks"
TASK_NAME = "run_benchmark"


def enqueue_run_benchmark(conn, report_id: int) -> int:
    row = conn.execute("""
        SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
            %(queue)s, %(task)s, 0, %(lock)s, %(lock)s, jsonb_build_object('report_id', %(id)s::bigint), NULL
        )::procrastinate_job_to_defer_v1]))""",
                       {"queue": QUEUE, "task": TASK_NAME, "lock": f"report-{report_id}", "id": report_id}).fetchone()
    return row[0]
