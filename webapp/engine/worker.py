"""The job worker process: procrastinate delivers `run_benchmark` jobs, the engine runs many
reports at once, and nothing but a signal or a bug stops it.

    presence (heartbeat, state file)   queue loop (procrastinate, restarted after outages)
                     \\                   /
                      executions: one task per report, calls bounded per model, report, worker

A database outage stops procrastinate's loop; the reports go on with their results in memory,
the loop starts again once the database answers, and a job delivered again joins its report.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from pathlib import Path

import procrastinate
from psycopg_pool import AsyncConnectionPool

from ..catalog import load_catalog
from ..domain import providers_a_worker_runs
from .connections import CONNECTION_KWARGS
from .executions import Executions
from .jobs import QUEUE, TASK_NAME
from .presence import Presence
from .providers import make_provider
from .queue_loop import QueueLoop
from .reachability import Reachability, quiet_library_retries
from .runner import DB_DEADLINE_SECONDS, Engine

log = logging.getLogger(__name__)

STOP_SECONDS = 8.0  # a stop never waits longer than this for the database

queue_app = procrastinate.App(connector=procrastinate.PsycopgConnector())


@queue_app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)
async def run_benchmark(context: procrastinate.JobContext, report_id: int) -> None:
    # The worker's running reports come with the job (QueueLoop passes them): no global.
    executions: Executions = context.additional_context["executions"]
    await executions.run(report_id)


def engine_pool_size(max_calls_per_worker: int) -> int:
    """Connections the engine needs: no run holds one while it waits on a model, each holds one
    for a single short statement before and after its call; measured in docs/performance.md."""
    return max(4, min(20, max_calls_per_worker // 100))


def _providers(config: dict) -> dict:
    return {name: make_provider({**config, "PROVIDER": name}) for name in providers_a_worker_runs(config)}


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


async def _main(config: dict) -> None:
    url = config["DATABASE_URL"]
    # Settings are checked before anything is opened: a bad one ends the process at once.
    providers, catalog = _providers(config), load_catalog(config.get("CATALOG_FILE"))
    pool = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=engine_pool_size(config["MAX_CALLS_PER_WORKER"]),
        open=False,
        name="engine",
        timeout=DB_DEADLINE_SECONDS,
        # A pool backs off between failed connection attempts, up to a minute after a long
        # outage; giving up after this long lets the next statement try again at once.
        reconnect_timeout=DB_DEADLINE_SECONDS,
        # Autocommit: a run's write is one statement, one round trip; statements that belong
        # together take a transaction explicitly. No check on checkout: a broken connection
        # fails its statement, which is retried (runner._with_db).
        kwargs={"autocommit": True, **CONNECTION_KWARGS},
    )
    database, worker_id = Reachability(), str(uuid.uuid4())
    engine = Engine(
        pool=pool,
        providers=providers,
        catalog=catalog,
        max_calls_per_model=config["MAX_CALLS_PER_MODEL"],
        max_calls_per_report=config["MAX_CALLS_PER_REPORT"],
        max_calls_per_worker=config["MAX_CALLS_PER_WORKER"],
        call_timeout=config["CALL_TIMEOUT_SECONDS"],
        max_image_side=config["MAX_IMAGE_SIDE"],
        max_image_bytes=config["MAX_IMAGE_BYTES"],
        on_report_finished=_completion_notifier(config, pool),
        worker_id=worker_id,
        database=database,
    )
    executions = Executions(engine)
    presence = Presence(url, worker_id, executions, database, Path(config["DATA_DIR"]) / "workers")
    queue = QueueLoop(url, queue_app, config["WORKER_CONCURRENCY"], presence, pool, context={"executions": executions})

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await pool.open(wait=False)  # the database may well be down now: the engine waits for it
    beating = asyncio.create_task(presence.run(), name="presence")
    queueing = asyncio.create_task(queue.run(), name="queue loop")
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([beating, queueing, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in (beating, queueing):
            if task.done():
                task.result()  # a bug in either: raised here, the process exits with it
    finally:
        log.info("job worker stopping")
        presence.set_queue_loop("stopping")
        queue.stop()  # calls in flight get GRACEFUL_STOP_SECONDS, then their jobs are aborted
        await _wait_at_most(queueing, STOP_SECONDS)
        await executions.cancel(timeout=2.0)
        beating.cancel()
        await presence.unregister()
        stopping.cancel()
        for provider in providers.values():
            await provider.aclose()
        await pool.close(timeout=2.0)


async def _wait_at_most(task: asyncio.Task, seconds: float) -> None:
    """Errors are not raised here: the caller has raised or will raise the first one."""
    _, pending = await asyncio.wait([task], timeout=seconds)
    if pending:  # stuck on a database that does not answer: give up on it
        task.cancel()
        await asyncio.wait([task], timeout=2.0)


def run_worker(config: dict) -> int:
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    quiet_library_retries()
    log.info(
        "job worker starting (queue %s, up to %s benchmarks and %s calls at once)",
        QUEUE,
        config["WORKER_CONCURRENCY"],
        config["MAX_CALLS_PER_WORKER"],
    )
    asyncio.run(_main(config))
    return 0
