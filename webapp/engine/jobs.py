"""Enqueueing from the web app, in the caller's own transaction: a report is never saved
without its job, nor a job without its report."""

from __future__ import annotations

QUEUE = "benchmarks"
TASK_NAME = "run_benchmark"


# The report's lock is both the job's lock (its jobs never run at the same time) and its
# queueing lock (at most one of them waits in the queue).
DEFER_SQL = """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
        %(queue)s, %(task)s, 0, %(lock)s, %(lock)s, jsonb_build_object('report_id', %(id)s::bigint), NULL
    )::procrastinate_job_to_defer_v1]))"""


LOCK_PREFIX = "report-"


def report_lock(report_id: int) -> str:
    return f"{LOCK_PREFIX}{report_id}"


def defer_params(report_id: int) -> dict:
    return {"queue": QUEUE, "task": TASK_NAME, "lock": report_lock(report_id), "id": report_id}


def enqueue_run_benchmark(conn, report_id: int) -> int:
    return conn.execute(DEFER_SQL, defer_params(report_id)).fetchone()[0]
