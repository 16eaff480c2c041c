"""procrastinate's worker loop, started again whenever the database took it down.

procrastinate stops its loop when its heartbeat, its listener or a fetch fails, which is what a
database outage longer than a few seconds does; and behind a network that holds packets without
an error its queries wait forever, so a watchdog stops a loop whose connections no longer
answer. Either way the loop is started again as soon as the database answers (the heartbeat
tries with capped backoff), and nothing else stops: the reports being run go on
(webapp/engine/executions.py), and the process exits only on a signal or a programming error.
"""

from __future__ import annotations

import asyncio
import logging

import procrastinate
from procrastinate.worker import Worker

from .connections import CONNECTION_KWARGS
from .jobs import QUEUE
from .presence import HEARTBEAT_SECONDS, STALLED_AFTER_SECONDS, Presence
from .reachability import is_unreachable
from .rescue import rescue_periodically
from .runner import DB_DEADLINE_SECONDS

log = logging.getLogger(__name__)

GRACEFUL_STOP_SECONDS = 5  # on SIGTERM, calls in flight get this long to end
RESTART_PAUSE_SECONDS = 1.0  # between two starts of the loop, whatever stopped it
# New jobs are announced (NOTIFY); a job retried by the rescue is not, and waits for this poll.
FETCH_POLL_SECONDS = 2.0


class QueueLoop:
    def __init__(
        self,
        url: str,
        app: procrastinate.App,
        concurrency: int,
        presence: Presence,
        engine_pool,
        context: dict | None = None,
    ):
        self.url, self.app, self.concurrency = url, app, concurrency
        self.context = context or {}  # handed to every job (procrastinate's additional_context)
        self.presence, self.engine_pool = presence, engine_pool
        self.stopping = False
        self._worker: Worker | None = None
        self._wake = asyncio.Event()

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()
        if self._worker is not None:
            self._worker.stop()

    async def run(self) -> None:
        while not self.stopping:
            await self._wait_for_database()
            if self.stopping:
                return
            try:
                await self._run_once()
            except Exception as e:
                if not is_unreachable(e):
                    raise  # a bug: let the process exit and its supervisor say why
                # Not reported as an outage: the error may be from before the database came back
                # (procrastinate's stop waits on it); the heartbeat says how it is now.
            if not self.stopping:
                log.info("job queue loop stopped; starting it again once the database answers")
                await asyncio.sleep(RESTART_PAUSE_SECONDS)

    async def _run_once(self) -> None:
        connector = procrastinate.PsycopgConnector(
            conninfo=self.url, min_size=1, max_size=4, timeout=DB_DEADLINE_SECONDS, kwargs=CONNECTION_KWARGS
        )
        with self.app.replace_connector(connector) as app:
            async with app.open_async():
                self._worker = worker = Worker(
                    app,
                    queues=[QUEUE],
                    concurrency=self.concurrency,
                    name="visionbench-worker",
                    install_signal_handlers=False,  # ours stop the process, not just this loop
                    update_heartbeat_interval=HEARTBEAT_SECONDS,
                    stalled_worker_timeout=STALLED_AFTER_SECONDS,
                    shutdown_graceful_timeout=GRACEFUL_STOP_SECONDS,
                    delete_jobs="successful",
                    fetch_job_polling_interval=FETCH_POLL_SECONDS,
                    additional_context=self.context,
                )
                if self.stopping:
                    return
                self.presence.set_queue_loop("running")
                running = asyncio.create_task(worker.run(), name="procrastinate worker")
                watchdog = asyncio.create_task(self._watch(app), name="queue loop watchdog")
                rescuer = asyncio.create_task(rescue_periodically(app, self.engine_pool, self.presence.worker_id))
                try:
                    await asyncio.wait([running, watchdog], return_when=asyncio.FIRST_COMPLETED)
                    if not running.done():  # the watchdog gave up on the loop's connections
                        worker.stop()
                        await _end(running, GRACEFUL_STOP_SECONDS + 2.0)
                    if not running.cancelled():
                        running.result()  # its error: unreachable (started again) or a bug (raised)
                finally:
                    self._worker = None
                    self.presence.set_queue_loop("waiting for the database")
                    for helper in (watchdog, rescuer):
                        helper.cancel()
                    await asyncio.wait([watchdog, rescuer])
                    await _end(running, 0)

    async def _watch(self, app: procrastinate.App) -> None:
        """Returns when the loop's own connections stop answering within the deadline."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                async with asyncio.timeout(DB_DEADLINE_SECONDS):
                    await app.check_connection_async()
            except Exception as e:
                if isinstance(e, TimeoutError):
                    log.warning("job queue loop: its database connections stopped answering; starting it again")
                elif not is_unreachable(e):
                    log.exception("job queue loop: checking its connection failed")
                return

    async def _wait_for_database(self) -> None:
        """Until a heartbeat gets through (presence.py tries with capped backoff): the worker is
        then registered, and may claim reports."""
        waiting = [asyncio.ensure_future(self.presence.beating.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiting:
                waiter.cancel()


async def _end(task: asyncio.Task, grace: float) -> None:
    """Wait `grace` seconds for the task, then cancel it (a query stuck on a dead connection
    ends only that way); its error, if any, stays on it."""
    if not task.done():
        await asyncio.wait([task], timeout=grace)
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=15.0)
