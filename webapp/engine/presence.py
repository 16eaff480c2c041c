"""A worker process's presence: its row in engine_workers, kept alive by a heartbeat, and a
small state file on its own machine that says what it is doing even while the database is gone.

The heartbeat has a connection of its own, so that a busy engine pool never delays it (a
worker late to beat would look dead). Its row is what makes the reports it claimed its own:
if the row is gone when it beats again, another worker declared this one dead (it was cut off
for longer than STALLED_AFTER_SECONDS) and has queued its reports again; this one then drops
them and registers again.

`visionbench status` reads the state files (webapp/engine/status.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from . import queries as q
from .connections import CONNECTION_KWARGS
from .reachability import Reachability

if TYPE_CHECKING:
    from .executions import Executions

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
BEAT_DEADLINE_SECONDS = 5.0  # a heartbeat not answered by then counts as a failure
BEAT_GAP_SECONDS = 5.0  # heartbeats further apart than this: the worker was cut off meanwhile
# While the database does not answer, attempts back off up to this: an outage's end is seen
# within it, well before the others may judge this worker silent (STALLED_AFTER_SECONDS).
BEAT_RETRY_MAX_SECONDS = 5.0
# A worker silent for this long is declared dead by the others, who must themselves have had
# the database for this long before judging (after an outage, every heartbeat is old).
STALLED_AFTER_SECONDS = 10.0


class Presence:
    def __init__(
        self, url: str, worker_id: str, executions: Executions, database: Reachability, state_dir: Path | None
    ):
        self.url, self.worker_id = url, worker_id
        self.executions, self.database = executions, database
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.started_at = time.time()
        self.last_heartbeat: float | None = None
        self.queue_loop = "starting"  # see set_queue_loop
        self.state_file = state_dir / f"{self.pid}.json" if state_dir else None
        self._conn: psycopg.AsyncConnection | None = None
        self.registered = False  # in engine_workers: it may claim reports
        self.beating = asyncio.Event()  # set while heartbeats get through

    async def run(self) -> None:
        delay = HEARTBEAT_SECONDS
        while True:
            ok = await self.beat()
            self.write_state()
            delay = HEARTBEAT_SECONDS if ok else min(delay * 2, BEAT_RETRY_MAX_SECONDS)
            await asyncio.sleep(delay)

    async def beat(self) -> bool:
        try:
            async with asyncio.timeout(BEAT_DEADLINE_SECONDS):
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, **CONNECTION_KWARGS)
                if not self.registered:
                    await q.register_worker(self._conn, self.worker_id, self.host, self.pid)
                    self.registered = True
                engine = self.executions.engine
                alive = await q.heartbeat(
                    self._conn, self.worker_id, len(self.executions), engine.calls_in_flight, BEAT_GAP_SECONDS
                )
        except (psycopg.OperationalError, TimeoutError) as e:
            self.beating.clear()
            self.database.failed(e)
            await self._close()
            return False
        self.database.answered()
        self.last_heartbeat = time.time()
        if not alive:
            log.warning(
                "this worker was declared dead while it could not reach the database; other "
                "workers took its %s benchmarks: dropping them here",
                len(self.executions),
            )
            self.registered = False
            self.beating.clear()
            await self.executions.cancel()
            return False
        self.beating.set()
        return True

    async def unregister(self) -> None:
        """Releases this worker's reports at once (they are queued again by the next worker to look)."""
        try:
            if self._conn is not None and not self._conn.closed:
                await asyncio.wait_for(q.unregister_worker(self._conn, self.worker_id), 3.0)
        except (psycopg.OperationalError, TimeoutError):
            pass  # declared dead after STALLED_AFTER_SECONDS instead
        await self._close()
        if self.state_file:
            self.state_file.unlink(missing_ok=True)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):  # it is going anyway
                await conn.close()

    def set_queue_loop(self, state: str) -> None:
        """running | waiting for the database | stopping: written at once, for `visionbench status`."""
        self.queue_loop = state
        self.write_state()

    def state(self) -> dict:
        engine = self.executions.engine
        return {
            "pid": self.pid,
            "host": self.host,
            "started_at": self.started_at,
            "updated_at": time.time(),
            "database": "up" if self.database.up else "down",
            "database_down_since": self.database.down_since,
            "database_error": None if self.database.up else self.database.last_error,
            "last_heartbeat": self.last_heartbeat,
            "queue_loop": self.queue_loop,
            "benchmarks_running": len(self.executions),
            "calls_in_flight": engine.calls_in_flight,
            "results_waiting": engine.results_waiting,
        }

    def write_state(self) -> None:
        if not self.state_file:
            return
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state()))
            tmp.replace(self.state_file)  # readers never see half a file
        except OSError as e:
            log.debug("could not write %s: %s", self.state_file, e)
