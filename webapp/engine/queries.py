"""SQL used by the engine (async psycopg). Every run's end is its own commit, so that viewers see
progress as it happens and a killed worker loses at most the runs it had in flight."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

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


@dataclass
class ImageToRun:
    id: int
    mime: str
    data: bytes
    expected: dict


@dataclass
class PendingRun:
    id: int
    model_id: str
    image_id: int
    sample_index: int


async def _all(conn, cls, sql, params=None):
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()


async def _one(conn, cls, sql, params=None):
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def claim_report(conn, report_id: int) -> ReportToRun | None:
    """queued|running -> running; None when the report is gone or already finished."""
    return await _one(conn, ReportToRun, """
        UPDATE reports SET status = 'running', started_at = coalesce(started_at, now())
        WHERE id = %(id)s AND status IN ('queued', 'running')
        RETURNING id, owner_id, status, prompt, compare_mode, budget_usd, provider""", {"id": report_id})


async def requeue_interrupted_runs(conn, report_id: int) -> int:
    """Runs left `running` by a worker that died go back to `pending` (only this job holds the
    report's lock, so nobody else is running them)."""
    cur = await conn.execute("""
        UPDATE benchmark_runs SET status = 'pending', started_at = NULL
        WHERE report_id = %(id)s AND status = 'running'""", {"id": report_id})
    return cur.rowcount


async def load_images(conn, report_id: int) -> dict[int, ImageToRun]:
    rows = await _all(conn, ImageToRun,
                      "SELECT id, mime, data, expected FROM report_images WHERE report_id = %(id)s",
                      {"id": report_id})
    return {row.id: row for row in rows}


async def pending_runs(conn, report_id: int) -> list[PendingRun]:
    # Interleaved so every model makes progress from the start, sample by sample.
    return await _all(conn, PendingRun, """
        SELECT r.id, r.model_id, r.image_id, r.sample_index
        FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id
        WHERE r.report_id = %(id)s AND r.status = 'pending'
        ORDER BY r.sample_index, i.position, r.model_id""", {"id": report_id})


async def amount_spent(conn, report_id: int) -> Decimal:
    cur = await conn.execute(
        "SELECT coalesce(sum(cost_usd), 0) FROM benchmark_runs WHERE report_id = %(id)s", {"id": report_id})
    return (await cur.fetchone())[0]


async def start_run(conn, run_id: int) -> bool:
    """pending -> running. False when the run is no longer pending (cancelled meanwhile)."""
    cur = await conn.execute("""
        UPDATE benchmark_runs SET status = 'running', started_at = now(), attempts = attempts + 1
        WHERE id = %(id)s AND status = 'pending'""", {"id": run_id})
    return cur.rowcount == 1


async def complete_run(conn, run_id: int, *, latency_ms, input_tokens, output_tokens, cost_usd,
                       raw_output, parsed_json, comparison, parse_error) -> None:
    await conn.execute("""
        UPDATE benchmark_runs SET status = 'complete', finished_at = now(),
            latency_ms = %(latency_ms)s, input_tokens = %(input_tokens)s,
            output_tokens = %(output_tokens)s, cost_usd = %(cost_usd)s, raw_output = %(raw_output)s,
            parsed_json = %(parsed_json)s, exact = %(exact)s, field_accuracy = %(field_accuracy)s,
            correct_fields = %(correct_fields)s, total_fields = %(total_fields)s,
            diffs = %(diffs)s, error = %(error)s
        WHERE id = %(id)s AND status = 'running'""", {
        "id": run_id, "latency_ms": latency_ms, "input_tokens": input_tokens,
        "output_tokens": output_tokens, "cost_usd": cost_usd,
        # Postgres text cannot hold NUL characters; a model may emit them.
        "raw_output": raw_output.replace("\x00", "\ufffd"),
        "parsed_json": Jsonb(_without_nul(parsed_json)) if parsed_json is not None else None,
        "exact": comparison.exact, "field_accuracy": comparison.field_accuracy,
        "correct_fields": comparison.correct_fields, "total_fields": comparison.total_fields,
        "diffs": Jsonb(_without_nul([_diff_json(d) for d in comparison.diffs])), "error": parse_error,
    })


def _without_nul(value):
    # jsonb cannot hold \u0000, which a model may well emit inside a string.
    return json.loads(json.dumps(value).replace("\\u0000", "\\ufffd"))


def _diff_json(diff) -> dict:
    # Values may be anything JSON can hold; keep them as JSON values.
    return {"path": diff.path, "expected": _jsonable(diff.expected), "actual": _jsonable(diff.actual),
            "reason": getattr(diff, "reason", None)}


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


async def fail_run(conn, run_id: int, error: str, latency_ms: int | None) -> None:
    await conn.execute("""
        UPDATE benchmark_runs SET status = 'failed', finished_at = now(), error = %(error)s,
            latency_ms = %(latency_ms)s
        WHERE id = %(id)s AND status = 'running'""", {"id": run_id, "error": error[:2000], "latency_ms": latency_ms})


async def skip_run(conn, run_id: int, reason: str) -> None:
    await conn.execute("""
        UPDATE benchmark_runs SET status = 'skipped', finished_at = now(), error = %(reason)s
        WHERE id = %(id)s AND status IN ('pending', 'running')""", {"id": run_id, "reason": reason})


async def report_status(conn, report_id: int) -> str | None:
    cur = await conn.execute("SELECT status FROM reports WHERE id = %(id)s", {"id": report_id})
    row = await cur.fetchone()
    return row[0] if row else None


async def run_counts(conn, report_id: int) -> dict[str, int]:
    cur = await conn.execute("""
        SELECT status, count(*) FROM benchmark_runs WHERE report_id = %(id)s GROUP BY status""",
                             {"id": report_id})
    return {status: n for status, n in await cur.fetchall()}


async def last_error(conn, report_id: int) -> str | None:
    cur = await conn.execute("""
        SELECT error FROM benchmark_runs WHERE report_id = %(id)s AND error IS NOT NULL
        ORDER BY finished_at DESC NULLS LAST LIMIT 1""", {"id": report_id})
    row = await cur.fetchone()
    return row[0] if row else None


async def finish_report(conn, report_id: int, status: str, reason: str | None) -> bool:
    """running -> complete|failed. A report cancelled meanwhile stays cancelled."""
    cur = await conn.execute("""
        UPDATE reports SET status = %(status)s, failure_reason = %(reason)s, finished_at = now()
        WHERE id = %(id)s AND status IN ('queued', 'running')""",
                             {"id": report_id, "status": status, "reason": reason})
    return cur.rowcount == 1


async def skip_unfinished_runs(conn, report_id: int, reason: str) -> None:
    await conn.execute("""
        UPDATE benchmark_runs SET status = 'skipped', finished_at = now(), error = %(reason)s
        WHERE report_id = %(id)s AND status IN ('pending', 'running')""", {"id": report_id, "reason": reason})


async def orphaned_reports(conn) -> list[int]:
    """Reports still to run that no job will run: their job was aborted (a worker stopped while
    running it), or failed before it could record why. Stalled jobs (a worker that died) are
    still `doing` and are retried by the stalled-job rescue instead."""
    cur = await conn.execute("""
        SELECT r.id FROM reports r
        WHERE r.status IN ('queued', 'running')
          AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                          WHERE j.lock = %(prefix)s || r.id AND j.status IN ('todo', 'doing'))
        ORDER BY r.id""", {"prefix": LOCK_PREFIX})
    return [row[0] for row in await cur.fetchall()]


async def requeue_report(conn, report_id: int) -> bool:
    """A new job for the report; False when another worker queued one first."""
    try:
        async with conn.transaction():
            await conn.execute(DEFER_SQL, defer_params(report_id))
        return True
    except psycopg.errors.UniqueViolation:
        return False
