"""The engine: effective concurrency, CPU per run, and scale-out over worker processes.

    ./bench/run engine

A simulated provider with a fixed 1 s latency and no faults (SIMULATED_FIXED_LATENCY=1).
1. One report, 10 models x 3 images x 10 samples = 300 runs, at most 10 calls in flight:
   the ideal wall time is 300 x 1 s / 10 = 30 s. Effective concurrency = run-seconds / wall.
2. Four reports at once (4 models x 3 images x 5 samples each), workers running 2 benchmarks
   each (WORKER_CONCURRENCY=2): one worker process against two.
Wall time is taken from the runs' own timestamps in the database (first start to last end).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg

from bench.common import LiveServer, TestDatabases, fmt, record, table
from tests.support.benchmarks import create_benchmark, create_user

TEN_MODELS = ["openai/gpt-5-nano", "google/gemini-2.0-flash-001", "openai/gpt-4.1-nano",
              "qwen/qwen2.5-vl-72b-instruct", "meta-llama/llama-4-maverick", "qwen/qwen3-vl-235b-a22b-instruct",
              "openai/gpt-5-mini", "google/gemini-2.5-flash", "openai/gpt-4.1-mini", "google/gemini-3-flash-preview"]
LATENCY = 1.0
ENV = {"SIMULATED_FIXED_LATENCY": str(LATENCY), "MAX_CALLS_PER_REPORT": "10", "MAX_CALLS_PER_MODEL": "3"}


def wait_finished(url: str, report_ids: list[int], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            statuses = [r[0] for r in conn.execute("SELECT status FROM reports WHERE id = ANY(%s)", (report_ids,))]
            if all(s in ("complete", "failed", "cancelled") for s in statuses):
                return
            time.sleep(0.1)
    raise RuntimeError("reports did not finish")


def run_window(url: str, report_ids: list[int]) -> tuple[float, int, float]:
    """(wall seconds from the first run's start to the last run's end, runs, summed run seconds)."""
    with psycopg.connect(url) as conn:
        first, last, runs, busy = conn.execute("""
            SELECT min(started_at), max(finished_at), count(*),
                   sum(extract(epoch FROM finished_at - started_at))
            FROM benchmark_runs WHERE report_id = ANY(%s) AND status = 'complete'""", (report_ids,)).fetchone()
    return (last - first).total_seconds(), runs, float(busy)


def cpu_seconds(processes) -> float:
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


def scenario(dbs, reports: list[dict], workers: int, concurrency: int) -> dict:
    url = dbs.create()
    server = LiveServer(url, Path(tempfile.mkdtemp(prefix="vb-bench-")))  # only its workers are used
    try:
        procs = [psutil.Process(server.start_worker(**ENV, WORKER_CONCURRENCY=str(concurrency)).pid)
                 for _ in range(workers)]
        time.sleep(3.0)  # workers up and idle
        owner = create_user(url)
        cpu_before = cpu_seconds(procs)
        ids = [create_benchmark(url, owner, **spec) for spec in reports]
        wait_finished(url, ids)
        cpu = cpu_seconds(procs) - cpu_before
        wall, runs, busy = run_window(url, ids)
        return {"wall": wall, "runs": runs, "busy": busy, "cpu_ms_per_run": cpu * 1000 / runs}
    finally:
        server.stop()
        dbs.drop(url)


def main() -> int:
    dbs = TestDatabases().start()
    try:
        one = scenario(dbs, [dict(models=TEN_MODELS, images=3, samples=10)], workers=1, concurrency=4)
        four = [dict(models=TEN_MODELS[:4], images=3, samples=5) for _ in range(4)]
        single = scenario(dbs, four, workers=1, concurrency=2)
        double = scenario(dbs, four, workers=2, concurrency=2)
    finally:
        dbs.stop()
    ideal = one["runs"] * LATENCY / 10
    rows = [
        ["1 report, 300 runs, 1 worker", f"{one['runs']}", fmt(ideal, " s"), fmt(one["wall"], " s"),
         f"{ideal / one['wall']:.3f}", fmt(one["busy"] / one["wall"], "", 2), fmt(one["cpu_ms_per_run"], " ms", 2)],
        ["4 reports x 60 runs, 1 worker (2 at once)", f"{single['runs']}", fmt(2 * 60 * LATENCY / 10 * 2 / 2, " s"),
         fmt(single["wall"], " s"), "1.000 (baseline)", fmt(single["busy"] / single["wall"], "", 2),
         fmt(single["cpu_ms_per_run"], " ms", 2)],
        ["4 reports x 60 runs, 2 workers (2 at once each)", f"{double['runs']}", fmt(60 * LATENCY / 10, " s"),
         fmt(double["wall"], " s"), f"{double['wall'] / single['wall']:.3f} of 1 worker",
         fmt(double["busy"] / double["wall"], "", 2), fmt(double["cpu_ms_per_run"], " ms", 2)],
    ]
    record("Engine (bench/engine.py)", table(
        ["Scenario", "Runs", "Ideal wall", "Wall", "Ideal / wall (or ratio)", "Effective concurrency",
         "Worker CPU per run"], rows) +
        "\n\nTargets: effective concurrency >= 9.5 of 10 (wall within 5% of ideal); worker CPU per run "
        "< 5 ms; 2 workers take about half the time of 1.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
