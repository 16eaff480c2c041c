"""What `visionbench status` says about a worker, from the state file it writes."""

import json
import os

from webapp.engine.status import describe_local, local_workers

NOW = 1_000_000.0


def state(**changes):
    base = {
        "pid": os.getpid(),
        "host": "vm",
        "started_at": NOW - 600,
        "updated_at": NOW - 1,
        "database": "up",
        "database_down_since": None,
        "database_error": None,
        "last_heartbeat": NOW - 1,
        "queue_loop": "running",
        "benchmarks_running": 3,
        "calls_in_flight": 27,
        "results_waiting": 0,
    }
    return {**base, **changes}


def test_a_working_worker():
    line, healthy = describe_local(state(), now=NOW)
    assert healthy
    assert line == f"pid {os.getpid()}: running; last heartbeat 1 s ago; 3 benchmarks, 27 calls in flight"


def test_a_worker_waiting_for_its_database_says_so_with_what_it_holds():
    line, healthy = describe_local(
        state(
            database="down",
            database_down_since=NOW - 42,
            database_error="AdminShutdown",
            last_heartbeat=NOW - 44,
            queue_loop="waiting for the database",
            calls_in_flight=0,
            results_waiting=12,
        ),
        now=NOW,
    )
    assert not healthy
    assert "WAITING FOR ITS DATABASE (unreachable for 42 s: AdminShutdown)" in line
    assert "last heartbeat 44 s ago" in line and "12 results held in memory" in line


def test_a_worker_that_stopped_updating_its_state_is_called_stuck():
    line, healthy = describe_local(state(updated_at=NOW - 30), now=NOW)
    assert not healthy and "not updated for 30 s" in line


def test_state_files_of_workers_that_are_gone_are_removed(tmp_path):
    (tmp_path / "1.json").write_text(json.dumps(state()))
    gone = 2**22 + 12345  # above the default pid_max: no such process
    (tmp_path / f"{gone}.json").write_text(json.dumps(state(pid=gone)))
    assert [s["pid"] for s in local_workers(tmp_path)] == [os.getpid()]
    assert not (tmp_path / f"{gone}.json").exists()
