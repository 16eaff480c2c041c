"""The job worker: a procrastinate worker that runs `run_benchmark` jobs, and rescues the jobs
of workers that died or were stopped mid-run (procrastinate retries neither by itself)."""
from __future__ import annotations

import asyncio
import contextlib
import logging

import procrastinate
from psycopg_pool import AsyncConnectionPool

from ..catalog import load_catalog
from . import queries as q
from .jobs import QUEUE, TASK_NAME
from .providers import make_provider
from .runner import Engine, run_report

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = 10.0  # no heartbeat for this long: the worker is dead, retry its jobs
RESCUE_EVERY_SECONDS = 5.0

queue_app = procrastinate.App(connector=procrastinate.PsycopgConnector())
_engine: Engine | None = None


@queue_app.task(name=TASK_NAME, queue=QUEUE)
async def run_benchmark(report_id: int) -> None:
    assert _engine is not None, "the engine is set up by run_worker"
    await run_report(_engine, report_id)


async def rescue_stalled_jobs(app: procrastinate.App) -> int:
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    count = 0
    for job in stalled:
        log.warning("retrying job %s (%s) of a worker that stopped responding", job.id, job.task_name)
        await app.job_manager.retry_job(job)
        count += 1
    return count


async def requeue_orphaned_reports(pool) -> int:
    """A report whose job was aborted (its worker was stopped mid-run) gets a new job; it
    resumes where it was."""
    count = 0
    async with pool.connection() as conn:
        for report_id in await q.orphaned_reports(conn):
            if await q.requeue_report(conn, report_id):
                log.warning("report %s had no job left (its worker stopped); queued it again", report_id)
                count += 1
    return count


async def _rescue_periodically(app, pool) -> None:
    while True:
        try:
            await rescue_stalled_jobs(app)
            await requeue_orphaned_reports(pool)
        except Exception:
            log.exception("could not check for stalled jobs or reports without a job")
        await asyncio.sleep(RESCUE_EVERY_SECONDS)


def _providers(config: dict) -> dict:
    providers = {"simulated": make_provider({**config, "PROVIDER": "simulated"})}
    if config.get("PROVIDER_API_KEY"):
        providers["openai_compatible"] = make_provider({**config, "PROVIDER": "openai_compatible"})
    return providers


def _completion_notifier(config: dict, pool):
    if not config.get("SMTP_URL"):
        return None
    from ..reports.email import make_notifier

    base_url = config.get("PUBLIC_URL") or f"http://{config['HOST']}:{config['PORT']}"
    try:
        return make_notifier(pool, config["SMTP_URL"], base_url)
    except ValueError as e:
        log.error("completion emails are off: %s", e)
        return None


async def _main(config: dict, concurrency: int) -> None:
    global _engine
    url = config["DATABASE_URL"]
    # The queue's pool waits up to 30 s (its default) for a connection: the worker rides out a
    # database restart of that length. Longer, and procrastinate's worker loop stops with an error.
    app = queue_app.with_connector(procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=4))
    async with AsyncConnectionPool(url, min_size=1, max_size=config["MAX_CALLS_PER_REPORT"] + 2,
                                   check=AsyncConnectionPool.check_connection, name="engine") as pool:
        _engine = Engine(pool=pool, providers=_providers(config), catalog=load_catalog(config.get("CATALOG_FILE")),
                         max_calls_per_model=config["MAX_CALLS_PER_MODEL"],
                         max_calls_per_report=config["MAX_CALLS_PER_REPORT"],
                         call_timeout=config["CALL_TIMEOUT_SECONDS"],
                         on_report_finished=_completion_notifier(config, pool))
        async with app.open_async():
            rescuer = asyncio.create_task(_rescue_periodically(app, pool))
            try:
                await app.run_worker_async(
                    queues=[QUEUE], concurrency=concurrency, name="visionbench-worker",
                    update_heartbeat_interval=HEARTBEAT_SECONDS,
                    stalled_worker_timeout=STALLED_AFTER_SECONDS,
                    shutdown_graceful_timeout=5, delete_jobs="successful",
                )
            finally:
                rescuer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await rescuer
                for provider in _engine.providers.values():
                    await provider.aclose()


def run_worker(config: dict, concurrency: int = 4) -> int:
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    log.info("job worker starting (queue %s)", QUEUE)
    asyncio.run(_main(config, concurrency))
    return 0
