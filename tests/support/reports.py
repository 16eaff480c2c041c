"""Finished reports with runs of known values, written straight into the database, so report
tests can check every number against hand-computed ones without running the engine."""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
from psycopg.types.json import Jsonb

from tests.support.benchmarks import EXPECTED, create_benchmark
from webapp.reports.queries import RunRow

MODELS = ["openai/gpt-5-nano", "google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5"]


def default_outcome(model_id: str, position: int, sample: int) -> dict:
    """Nano: cheap, fast, gets `total` wrong on sample 1; Flash: exact, one failed run;
    Sonnet: exact, slow and dear."""
    if model_id == MODELS[0]:
        wrong = sample == 1
        out = {**EXPECTED, "total": 21.5} if wrong else EXPECTED
        return complete(
            out,
            latency=800 + 100 * sample + 10 * position,
            cost="0.0004",
            accuracy=0.75 if wrong else 1.0,
            correct=3 if wrong else 4,
            diffs=[{"path": "total", "expected": 12.5, "actual": 21.5, "reason": "different value"}] if wrong else [],
        )
    if model_id == MODELS[1]:
        if position == 0 and sample == 1:
            return {"status": "failed", "error": "Upstream error 502", "latency_ms": 3000}
        return complete(EXPECTED, latency=1500 + 200 * sample, cost="0.0012", accuracy=1.0, correct=4, diffs=[])
    return complete(
        EXPECTED, latency=4000 + 500 * sample + 100 * position, cost="0.0105", accuracy=1.0, correct=4, diffs=[]
    )


def complete(
    output, *, latency: int, cost: str, accuracy: float, correct: int, diffs: list, raw: str | None = None
) -> dict:
    return {
        "status": "complete",
        "latency_ms": latency,
        "cost_usd": Decimal(cost),
        "input_tokens": 1500,
        "output_tokens": 500,
        "raw_output": raw if raw is not None else json.dumps(output),
        "parsed_json": output,
        "exact": not diffs,
        "field_accuracy": accuracy,
        "correct_fields": correct,
        "total_fields": 4,
        "diffs": diffs,
        "error": None,
    }


def make_report(
    url: str,
    owner_id: int,
    *,
    models=MODELS,
    images: int = 2,
    samples: int = 2,
    outcome=default_outcome,
    status: str = "complete",
    **create,
) -> int:
    """A benchmark whose runs all ended as `outcome(model, image position, sample)` says."""
    report_id = create_benchmark(url, owner_id, models=models, images=images, samples=samples, **create)
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM procrastinate_jobs")  # no worker may ever run it
        runs = conn.execute(
            """
            SELECT r.id, r.model_id, i.position, r.sample_index FROM benchmark_runs r
            JOIN report_images i ON i.id = r.image_id WHERE r.report_id = %s""",
            (report_id,),
        ).fetchall()
        for run_id, model_id, position, sample in runs:
            values = {
                "status": "pending",
                "latency_ms": None,
                "cost_usd": None,
                "input_tokens": None,
                "output_tokens": None,
                "raw_output": None,
                "parsed_json": None,
                "exact": None,
                "field_accuracy": None,
                "correct_fields": None,
                "total_fields": None,
                "diffs": None,
                "error": None,
                "call_attempts": None,
                "waited_ms": None,
                **outcome(model_id, position, sample),
            }
            for key in ("parsed_json", "diffs"):
                if values[key] is not None:
                    values[key] = Jsonb(values[key])
            conn.execute(
                """
                UPDATE benchmark_runs SET status = %(status)s, latency_ms = %(latency_ms)s, cost_usd = %(cost_usd)s,
                    input_tokens = %(input_tokens)s, output_tokens = %(output_tokens)s, raw_output = %(raw_output)s,
                    parsed_json = %(parsed_json)s, exact = %(exact)s, field_accuracy = %(field_accuracy)s,
                    correct_fields = %(correct_fields)s, total_fields = %(total_fields)s, diffs = %(diffs)s,
                    error = %(error)s, call_attempts = %(call_attempts)s, waited_ms = %(waited_ms)s,
                    finished_at = now()
                WHERE id = %(id)s""",
                {**values, "id": run_id},
            )
        conn.execute(
            """
            UPDATE reports SET status = %(status)s, started_at = now() - interval '95 seconds', finished_at = now()
            WHERE id = %(id)s""",
            {"status": status, "id": report_id},
        )
    return report_id


def share_token(url: str, report_id: int) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]


def user_id(url: str, email: str = "ada@example.com") -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]


def run(model="a", image=1, sample=0, status="complete", accuracy=None, exact=None, latency=None, cost=None):
    """One run as the report reads it, for tests of the report's numbers without a database."""
    return RunRow(
        id=hash((model, image, sample)) % 10_000,
        model_id=model,
        image_id=image,
        image_position=image - 1,
        sample_index=sample,
        status=status,
        latency_ms=latency,
        input_tokens=None,
        output_tokens=None,
        cost_usd=Decimal(cost) if cost is not None else None,
        exact=exact,
        field_accuracy=accuracy,
        correct_fields=None,
        total_fields=None,
        diffs=None,
        error=None,
    )
