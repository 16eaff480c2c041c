"""The reports this worker process is running, each an asyncio task of its own.

They outlive the job queue's loop: when procrastinate's loop stops because the database went
away, the reports go on (their results wait in memory until it is back), and a job for one of
them delivered again after the loop restarts joins the running report instead of starting it a
second time.
"""

from __future__ import annotations

import asyncio
import logging

from .runner import Engine, run_report

log = logging.getLogger(__name__)


class Executions:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.tasks: dict[int, asyncio.Task] = {}

    def __len__(self) -> int:
        return len(self.tasks)

    async def run(self, report_id: int) -> None:
        """Run the report, or join it if this process already runs it. Cancelling the caller
        (the job) leaves the report running; cancel() stops it."""
        task = self.tasks.get(report_id)
        if task is None:
            task = asyncio.create_task(run_report(self.engine, report_id), name=f"report {report_id}")
            self.tasks[report_id] = task
            task.add_done_callback(lambda done: self._forget(report_id, done))
        else:
            log.info("report %s: delivered again while running here; joining it", report_id)
        await asyncio.shield(task)

    def _forget(self, report_id: int, task: asyncio.Task) -> None:
        if self.tasks.get(report_id) is task:
            del self.tasks[report_id]
        if not task.cancelled():
            task.exception()  # run_report logged it; nobody may be left to await it

    async def cancel(self, report_ids=None, timeout: float = 5.0) -> None:
        """Stop the given reports (all by default); their runs in flight are run again by
        whoever runs the report next."""
        tasks = [t for r, t in self.tasks.items() if report_ids is None or r in report_ids]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
