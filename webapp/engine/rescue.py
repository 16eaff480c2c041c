"""Benchmarks that lost their worker, found and queued again; procrastinate retries none of
them by itself.

- A worker silent for STALLED_AFTER_SECONDS is declared dead: its row in engine_workers is
  deleted, which releases its reports, and its stalled jobs are retried. Only a worker whose own
  heartbeats have come steadily for that long may judge: right after an outage every heartbeat
  is old, and the workers that are alive need a moment to beat again.
- A report that no worker owns and no job will run (its job was aborted when its worker was
  stopped) gets a new job. Its finished runs are kept; it resumes where it was.
"""

from __future__ import annotations

import asyncio
import logging

import procrastinate

from . import queries as q
from .presence import BEAT_GAP_SECONDS, STALLED_AFTER_SECONDS
from .reachability import is_unreachable
from .runner import DB_DEADLINE_SECONDS

log = logging.getLogger(__name__)

RESCUE_EVERY_SECONDS = 5.0


async def release_reports_of_dead_workers(pool, judge_id: str) -> int:
    async with pool.connection() as conn:
        dead = await q.delete_dead_workers(conn, judge_id, STALLED_AFTER_SECONDS, BEAT_GAP_SECONDS)
    for worker in dead:
        log.warning(
            "worker %s (pid %s) not heard from for %.0f s: declared dead; benchmarks it was running, queued again: %s",
            worker.host,
            worker.pid,
            STALLED_AFTER_SECONDS,
            worker.reports,
        )
    return len(dead)


async def rescue_stalled_jobs(app: procrastinate.App) -> int:
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS))
    for job in stalled:
        # Its worker died, or it is this one, whose queue loop was started again after an outage:
        # either way the job is delivered again, and joins its report where that still runs.
        log.warning("job %s (%s) lost its queue loop; delivering it again", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)


async def requeue_orphaned_reports(pool) -> int:
    count = 0
    async with pool.connection() as conn:
        for report_id in await q.orphaned_reports(conn):
            if await q.requeue_report(conn, report_id):
                log.warning("report %s had no job left (its worker stopped); queued it again", report_id)
                count += 1
    return count


async def rescue_periodically(app: procrastinate.App, pool, worker_id: str) -> None:
    """Runs while the job queue's loop runs, on behalf of worker `worker_id`."""
    while True:
        try:
            async with asyncio.timeout(DB_DEADLINE_SECONDS):
                async with pool.connection() as conn:
                    steady = await q.beating_steadily(conn, worker_id, STALLED_AFTER_SECONDS, BEAT_GAP_SECONDS)
                if steady:
                    await release_reports_of_dead_workers(pool, worker_id)
                    await rescue_stalled_jobs(app)
                await requeue_orphaned_reports(pool)
        except Exception as e:
            if not is_unreachable(e):
                log.exception("could not check for benchmarks that lost their worker")
            # unreachable: the queue loop notices too, and this task ends with it
        await asyncio.sleep(RESCUE_EVERY_SECONDS)
