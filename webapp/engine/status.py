"""What an operator sees of the job workers: `visionbench status`, and a line of /healthz.

Two sources, because the interesting moments are when the database is gone:
- each worker writes a state file on its own machine (DATA_DIR/workers/<pid>.json) every couple
  of seconds, database or not: whether it reaches the database, since when it does not, its
  last heartbeat, the benchmarks and calls it is running and the results it holds in memory;
- the database has every worker's heartbeat (engine_workers), from any machine.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .presence import STALLED_AFTER_SECONDS
from .queries import WORKERS_SQL


@dataclass
class DatabaseWorker:
    host: str
    pid: int
    started_at: object
    silent_seconds: float
    benchmarks: int
    calls_in_flight: int

    @property
    def alive(self) -> bool:
        return self.silent_seconds < STALLED_AFTER_SECONDS


def database_workers(conn) -> list[DatabaseWorker]:
    return [DatabaseWorker(*row) for row in conn.execute(WORKERS_SQL).fetchall()]


def workers_summary(conn) -> dict:
    """For /healthz: counts only (host names and pids are nobody else's business)."""
    workers = database_workers(conn)
    alive = [w for w in workers if w.alive]
    return {
        "alive": len(alive),
        "silent": len(workers) - len(alive),
        "benchmarks_running": sum(w.benchmarks for w in alive),
    }


def local_workers(state_dir: Path) -> list[dict]:
    """State files of workers still running on this machine (a file left by a killed worker is
    removed)."""
    found = []
    for path in sorted(state_dir.glob("*.json")) if state_dir.is_dir() else []:
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced right now, or not ours
        if not _running(state.get("pid")):
            path.unlink(missing_ok=True)
            continue
        found.append(state)
    return found


def _running(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def describe_local(state: dict, now: float | None = None) -> tuple[str, bool]:
    """One line about a worker on this machine, and whether it is healthy."""
    now = time.time() if now is None else now
    parts, healthy = [], True
    if state["database"] == "down":
        since = now - (state.get("database_down_since") or now)
        parts.append(f"WAITING FOR ITS DATABASE (unreachable for {since:.0f} s: {state.get('database_error')})")
        healthy = False
    elif state.get("queue_loop") != "running":
        parts.append(f"job queue loop {state.get('queue_loop')}")
        healthy = False
    else:
        parts.append("running")
    beat = state.get("last_heartbeat")
    parts.append(f"last heartbeat {now - beat:.0f} s ago" if beat else "no heartbeat yet")
    if now - state.get("updated_at", 0) > STALLED_AFTER_SECONDS:
        parts.append(f"state not updated for {now - state['updated_at']:.0f} s (stuck?)")
        healthy = False
    parts.append(f"{state['benchmarks_running']} benchmarks, {state['calls_in_flight']} calls in flight")
    if state.get("results_waiting"):
        parts.append(f"{state['results_waiting']} results held in memory until the database answers")
    return f"pid {state['pid']}: " + "; ".join(parts), healthy


def describe_database_worker(worker: DatabaseWorker) -> str:
    state = "alive" if worker.alive else "SILENT (stopped, or cut off from the database)"
    return (
        f"{worker.host} pid {worker.pid}: {state}, last heartbeat {worker.silent_seconds:.0f} s ago; "
        f"{worker.benchmarks} benchmarks, {worker.calls_in_flight} calls in flight"
    )
