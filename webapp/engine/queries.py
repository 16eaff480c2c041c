"""SQL used by the engine (async psycopg). Every run's end is its own commit, so that viewers see
progress as it happens and a killed worker loses at most the runs it had in flight."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ..domain import TokensPerRun
from .image_prep import Prepared
from .jobs import DEFER_SQL, LOCK_PREFIX, defer_params


@dataclass
class ReportToRun:
    id: int
    owner_id: int
    status: str
    prompt: str
    compare_mode: str
    budget_usd: Decimal
    provider: str
    output_schema: dict | None
    output_modes: dict  # model id -> the mode it is first asked in
    output_fallbacks: dict  # model id -> the weaker mode it fell back to, if it did


@dataclass
class ImageToRun:
    id: int
    position: int
    mime: str
    data: bytes  # what the models are sent once prepared; the upload until then
    expected: dict
    prepared: bool


@dataclass
class PendingRun:
    id: int
    model_id: str
    image_id: int
    sample_index: int
    attempts: int


async def _all(conn, cls, sql, params=None):
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()


async def _one(conn, cls, sql, params=None):
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def claim_report(conn, report_id: int, worker_id: str | None) -> ReportToRun | None:
    """queued|running -> running, owned by this worker; None when the report is gone, already
    finished, or owned by another worker (one that is alive: a dead one's reports are released
    by the rescue, see release_reports_of_dead_workers)."""
    return await _one(
        conn,
        ReportToRun,
        """
        UPDATE reports SET status = 'running', started_at = coalesce(started_at, now()),
                           worker_id = %(worker)s
        WHERE id = %(id)s AND status IN ('queued', 'running')
          AND (worker_id IS NULL OR worker_id = %(worker)s)
        RETURNING id, owner_id, status, prompt, compare_mode, budget_usd, provider, output_schema, output_modes,
                  output_fallbacks""",
        {"id": report_id, "worker": worker_id},
    )


async def requeue_interrupted_runs(conn, report_id: int) -> int:
    """Runs left `running` by a worker that died go back to `pending` (the report is this
    worker's now, so nobody else is running them)."""
    cur = await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'pending', started_at = NULL
        WHERE report_id = %(id)s AND status = 'running'""",
        {"id": report_id},
    )
    return cur.rowcount


async def load_images(conn, report_id: int) -> dict[int, ImageToRun]:
    # One copy of each image in memory: the prepared one when there is one.
    rows = await _all(
        conn,
        ImageToRun,
        """
        SELECT i.id, i.position, coalesce(i.sent_mime, i.mime) AS mime, coalesce(i.sent_data, b.data) AS data,
               i.expected, i.sent_width IS NOT NULL AS prepared
        FROM report_images i JOIN image_blobs b ON b.id = i.blob_id WHERE i.report_id = %(id)s""",
        {"id": report_id},
    )
    return {row.id: row for row in rows}


async def save_prepared(conn, image_id: int, prepared: Prepared) -> None:
    """Kept once: the upload itself is not stored twice (sent_data NULL when unchanged)."""
    await conn.execute(
        """
        UPDATE report_images SET sent_data = %(data)s, sent_mime = %(mime)s,
                                 sent_width = %(width)s, sent_height = %(height)s
        WHERE id = %(id)s AND sent_width IS NULL""",
        {
            "id": image_id,
            "data": prepared.data if prepared.changed else None,
            "mime": prepared.mime,
            "width": prepared.width,
            "height": prepared.height,
        },
    )


async def pending_runs(conn, report_id: int) -> list[PendingRun]:
    # Interleaved so every model makes progress from the start, sample by sample.
    return await _all(
        conn,
        PendingRun,
        """
        SELECT r.id, r.model_id, r.image_id, r.sample_index, r.attempts
        FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id
        WHERE r.report_id = %(id)s AND r.status = 'pending'
        ORDER BY r.sample_index, i.position, r.model_id""",
        {"id": report_id},
    )


async def amount_spent(conn, report_id: int) -> Decimal:
    cur = await conn.execute(
        "SELECT coalesce(sum(cost_usd), 0) FROM benchmark_runs WHERE report_id = %(id)s", {"id": report_id}
    )
    return (await cur.fetchone())[0]


# Mean tokens per run of each model over this installation's complete runs on one provider
# (simulated token counts say nothing of a real model's bill). Also read by the new-benchmark
# form's estimate (sync, webapp/benchmarks/queries.py).
TOKENS_PER_RUN_SQL = """
    SELECT r.model_id, round(avg(r.input_tokens))::int, round(avg(r.output_tokens))::int, count(*)::int
    FROM benchmark_runs r JOIN reports p ON p.id = r.report_id
    WHERE r.status = 'complete' AND r.input_tokens IS NOT NULL AND r.output_tokens IS NOT NULL
      AND r.model_id = ANY(%(models)s) AND p.provider = %(provider)s
    GROUP BY r.model_id"""


def tokens_by_model(rows) -> dict[str, TokensPerRun]:
    return {model_id: TokensPerRun(inp, out, runs) for model_id, inp, out, runs in rows}


async def tokens_per_run(conn, provider: str, model_ids) -> dict[str, TokensPerRun]:
    cur = await conn.execute(TOKENS_PER_RUN_SQL, {"models": list(model_ids), "provider": provider})
    return tokens_by_model(await cur.fetchall())


async def start_run(conn, run_id: int, attempt: int) -> bool:
    """pending -> running as attempt number `attempt`. False when the run is no longer pending
    (cancelled meanwhile). Safe to repeat: a retry after a connection lost during the commit
    finds its own attempt already running."""
    cur = await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'running', started_at = now(), attempts = %(attempt)s
        WHERE id = %(id)s AND (status = 'pending' AND attempts = %(attempt)s - 1
                               OR status = 'running' AND attempts = %(attempt)s)""",
        {"id": run_id, "attempt": attempt},
    )
    return cur.rowcount == 1


# complete_run and fail_run write only over the attempt that started the run: a late result of
# an attempt that was given up (its worker was declared dead) is not written.
async def complete_run(
    conn,
    run_id: int,
    attempt: int,
    *,
    latency_ms,
    call_attempts,
    waited_ms,
    input_tokens,
    output_tokens,
    cost_usd,
    raw_output,
    parsed_json,
    comparison,
    parse_error,
    output_mode: str | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'complete', finished_at = now(),
            latency_ms = %(latency_ms)s, call_attempts = %(call_attempts)s, waited_ms = %(waited_ms)s,
            input_tokens = %(input_tokens)s,
            output_tokens = %(output_tokens)s, cost_usd = %(cost_usd)s, raw_output = %(raw_output)s,
            parsed_json = %(parsed_json)s, exact = %(exact)s, field_accuracy = %(field_accuracy)s,
            correct_fields = %(correct_fields)s, total_fields = %(total_fields)s,
            diffs = %(diffs)s, error = %(error)s, output_mode = %(output_mode)s
        WHERE id = %(id)s AND status = 'running' AND attempts = %(attempt)s""",
        {
            "id": run_id,
            "attempt": attempt,
            "latency_ms": latency_ms,
            "call_attempts": call_attempts,
            "waited_ms": waited_ms,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": cost_usd,
            # Postgres text cannot hold NUL characters; a model may emit them.
            "raw_output": raw_output.replace("\x00", "\ufffd"),
            "parsed_json": Jsonb(_without_nul(parsed_json)) if parsed_json is not None else None,
            "exact": comparison.exact,
            "field_accuracy": comparison.field_accuracy,
            "correct_fields": comparison.correct_fields,
            "total_fields": comparison.total_fields,
            "diffs": Jsonb(_without_nul([_diff_json(d) for d in comparison.diffs])),
            "error": parse_error,
            "output_mode": output_mode,
        },
    )


def _without_nul(value):
    # jsonb cannot hold \u0000, which a model may well emit inside a string.
    return json.loads(json.dumps(value).replace("\\u0000", "\\ufffd"))


def _diff_json(diff) -> dict:
    # Values may be anything JSON can hold; keep them as JSON values.
    return {
        "path": diff.path,
        "expected": _jsonable(diff.expected),
        "actual": _jsonable(diff.actual),
        "reason": getattr(diff, "reason", None),
    }


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


async def record_fallback(conn, report_id: int, model_id: str, mode: str) -> None:
    await conn.execute(
        """
        UPDATE reports SET output_fallbacks = output_fallbacks || jsonb_build_object(%(model)s::text, %(mode)s::text)
        WHERE id = %(id)s""",
        {"id": report_id, "model": model_id, "mode": mode},
    )


async def fail_run(
    conn,
    run_id: int,
    attempt: int,
    error: str,
    latency_ms: int | None,
    call_attempts: int,
    waited_ms: int,
    output_mode: str | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'failed', finished_at = now(), error = %(error)s,
            latency_ms = %(latency_ms)s, call_attempts = %(call_attempts)s, waited_ms = %(waited_ms)s,
            output_mode = %(output_mode)s
        WHERE id = %(id)s AND status = 'running' AND attempts = %(attempt)s""",
        {
            "id": run_id,
            "attempt": attempt,
            "error": error[:2000],
            "latency_ms": latency_ms,
            "call_attempts": call_attempts,
            "waited_ms": waited_ms,
            "output_mode": output_mode,
        },
    )


async def skip_run(conn, run_id: int, reason: str) -> None:
    await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'skipped', finished_at = now(), error = %(reason)s
        WHERE id = %(id)s AND status IN ('pending', 'running')""",
        {"id": run_id, "reason": reason},
    )


async def run_counts(conn, report_id: int) -> dict[str, int]:
    cur = await conn.execute(
        """
        SELECT status, count(*) FROM benchmark_runs WHERE report_id = %(id)s GROUP BY status""",
        {"id": report_id},
    )
    return {status: n for status, n in await cur.fetchall()}


async def last_error(conn, report_id: int) -> str | None:
    cur = await conn.execute(
        """
        SELECT error FROM benchmark_runs WHERE report_id = %(id)s AND error IS NOT NULL
        ORDER BY finished_at DESC NULLS LAST LIMIT 1""",
        {"id": report_id},
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def finish_report(conn, report_id: int, worker_id: str | None, status: str, reason: str | None) -> bool:
    """running -> complete|failed, by the worker that owns the report (and owns it no more). A
    report cancelled meanwhile stays cancelled."""
    cur = await conn.execute(
        """
        UPDATE reports SET status = %(status)s, failure_reason = %(reason)s, finished_at = now(),
                           worker_id = NULL
        WHERE id = %(id)s AND status IN ('queued', 'running') AND worker_id IS NOT DISTINCT FROM %(worker)s""",
        {"id": report_id, "worker": worker_id, "status": status, "reason": reason},
    )
    return cur.rowcount == 1


async def skip_unfinished_runs(conn, report_id: int, reason: str) -> None:
    await conn.execute(
        """
        UPDATE benchmark_runs SET status = 'skipped', finished_at = now(), error = %(reason)s
        WHERE report_id = %(id)s AND status IN ('pending', 'running')""",
        {"id": report_id, "reason": reason},
    )


async def orphaned_reports(conn) -> list[int]:
    """Reports still to run that no worker owns and no job will run: their job was aborted (a
    worker stopped while running it), or failed before it could record why. Stalled jobs (a
    worker that died) are still `doing` and are retried by the stalled-job rescue instead."""
    cur = await conn.execute(
        """
        SELECT r.id FROM reports r
        WHERE r.status IN ('queued', 'running') AND r.worker_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                          WHERE j.lock = %(prefix)s || r.id AND j.status IN ('todo', 'doing'))
        ORDER BY r.id""",
        {"prefix": LOCK_PREFIX},
    )
    return [row[0] for row in await cur.fetchall()]


async def requeue_report(conn, report_id: int) -> bool:
    """A new job for the report; False when another worker queued one first."""
    try:
        async with conn.transaction():
            await conn.execute(DEFER_SQL, defer_params(report_id))
        return True
    except psycopg.errors.UniqueViolation:
        return False


# Worker processes (engine_workers): each proves it is alive by its heartbeat; the reports it
# claimed are its own (reports.worker_id) until it stops or is declared dead. Deleting a
# worker's row releases its reports (ON DELETE SET NULL).


async def register_worker(conn, worker_id: str, host: str, pid: int) -> None:
    await conn.execute(
        """
        INSERT INTO engine_workers (id, host, pid) VALUES (%(id)s, %(host)s, %(pid)s)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()""",
        {"id": worker_id, "host": host, "pid": pid},
    )


async def heartbeat(conn, worker_id: str, benchmarks: int, calls_in_flight: int, gap_seconds: float) -> bool:
    """False when the row is gone: another worker declared this one dead and took its reports.
    A heartbeat more than `gap_seconds` after the last one starts a new steady stretch."""
    cur = await conn.execute(
        """
        UPDATE engine_workers SET heartbeat_at = now(), benchmarks = %(benchmarks)s, calls_in_flight = %(calls)s,
            beating_since = CASE WHEN heartbeat_at < now() - make_interval(secs => %(gap)s)
                                 THEN now() ELSE beating_since END
        WHERE id = %(id)s""",
        {"id": worker_id, "benchmarks": benchmarks, "calls": calls_in_flight, "gap": gap_seconds},
    )
    return cur.rowcount == 1


# A judge: a worker whose heartbeats have come without a gap for `secs`, the last one less than
# `gap` seconds ago. It has had the database all that time, and may say which workers are silent.
JUDGE_SQL = """
    SELECT 1 FROM engine_workers j WHERE j.id = %(judge)s
      AND j.beating_since < now() - make_interval(secs => %(secs)s)
      AND j.heartbeat_at > now() - make_interval(secs => %(gap)s)"""


async def beating_steadily(conn, worker_id: str, seconds: float, gap_seconds: float) -> bool:
    cur = await conn.execute(f"SELECT EXISTS ({JUDGE_SQL})", {"judge": worker_id, "secs": seconds, "gap": gap_seconds})
    row = await cur.fetchone()
    return bool(row and row[0])


async def unregister_worker(conn, worker_id: str) -> None:
    await conn.execute("DELETE FROM engine_workers WHERE id = %(id)s", {"id": worker_id})


@dataclass
class DeadWorker:
    host: str
    pid: int
    reports: int


async def delete_dead_workers(conn, judge_id: str, silent_seconds: float, gap_seconds: float) -> list[DeadWorker]:
    """Workers not heard from for `silent_seconds`: deleted, which releases their reports. Only
    if the judge qualifies (JUDGE_SQL, checked in the same statement): right after an outage
    every heartbeat is old, the judge's too."""
    return await _all(
        conn,
        DeadWorker,
        f"""
        DELETE FROM engine_workers w
        WHERE w.heartbeat_at < now() - make_interval(secs => %(secs)s) AND w.id <> %(judge)s
          AND EXISTS ({JUDGE_SQL})
        RETURNING host, pid, (SELECT count(*) FROM reports r
                              WHERE r.worker_id = w.id AND r.status IN ('queued', 'running'))::int AS reports""",
        {"secs": silent_seconds, "judge": judge_id, "gap": gap_seconds},
    )


# Read by /healthz and `visionbench status` (sync connections): every worker with how long ago
# it was last heard from.
WORKERS_SQL = """
    SELECT host, pid, started_at, extract(epoch FROM now() - heartbeat_at)::float AS silent_seconds,
           benchmarks, calls_in_flight
    FROM engine_workers ORDER BY host, pid"""
