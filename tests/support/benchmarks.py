"""Creating users and benchmarks through the app's own code, for engine and realtime tests."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import psycopg

from tests.support.images import png
from webapp.auth import queries as auth_queries
from webapp.auth.passwords import hash_password
from webapp.benchmarks import queries
from webapp.benchmarks.spec import Spec
from webapp.benchmarks.uploads import check_image
from webapp.output_schema import infer

EXPECTED = {"merchant": "Corner Grocery", "total": 12.5, "items": [{"name": "Tea", "price": 3.1}]}
MODELS = ["openai/gpt-5-nano", "google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5"]


def create_user(url: str, email: str = "owner@example.com", password: str = "correct horse battery") -> int:
    with psycopg.connect(url) as conn:
        return auth_queries.create_user(conn, email, hash_password(password)).id


def create_benchmark(
    url: str,
    owner_id: int,
    *,
    models=MODELS,
    images: int = 2,
    samples: int = 2,
    provider: str = "simulated",
    budget: str = "7",
    prompt: str = "Extract the receipt as JSON please.",
    expected: dict = EXPECTED,
    output_schema: dict | None = None,
    # One mode for every model, or one per model; None: none recorded (as before output schemas).
    output_mode: str | dict[str, str] | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> int:
    """`files` (name, content) are the images, uploaded as a user would; else `images` small PNGs."""
    if files is None:
        files = [(f"receipt-{i}.png", png((40 + i, 30))) for i in range(images)]
    with psycopg.connect(url) as conn:
        for name, content in files:
            queries.add_draft_image(conn, owner_id, check_image(name, content), json.dumps(expected))
        drafts = queries.draft_images(conn, owner_id)
        spec = Spec(
            title="Test benchmark",
            prompt=prompt,
            compare_mode="strict",
            samples=samples,
            priorities=["accuracy", "cost", "speed"],
            budget=Decimal(budget),
            model_ids=list(models),
            expected={d.id: expected for d in drafts},
            output_schema=output_schema if output_schema is not None else infer([expected]),
            output_mode_choice="prompt" if output_mode in ("prompt", None) else "strongest",
        )
        modes = output_mode if isinstance(output_mode, dict) else {m: output_mode for m in models if output_mode}
        return queries.create_report(conn, owner_id, spec, provider, provider == "simulated", modes)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def report_status(url: str, report_id: int) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT status FROM reports WHERE id = %s", (report_id,)).fetchone()[0]


def run_counts(url: str, report_id: int) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "SELECT status, count(*) FROM benchmark_runs WHERE report_id = %s GROUP BY status", (report_id,)
            ).fetchall()
        )


def finish_runs(url: str, report_id: int, n: int) -> None:
    """Finish n pending runs the way the engine records them (one commit each)."""
    with psycopg.connect(url, autocommit=True) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM benchmark_runs WHERE report_id = %s AND status = 'pending' ORDER BY id LIMIT %s",
                (report_id, n),
            )
        ]
        conn.execute(
            "UPDATE reports SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = %s",
            (report_id,),
        )
        for run_id in ids:
            conn.execute(
                """UPDATE benchmark_runs SET status = 'complete', started_at = now(), finished_at = now(),
                            latency_ms = 100, field_accuracy = 1, exact = true, correct_fields = 4, total_fields = 4
                            WHERE id = %s""",
                (run_id,),
            )


def done_runs(url: str, report_id: int) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM benchmark_runs WHERE report_id = %s AND status IN ('complete', 'failed', 'skipped')",
            (report_id,),
        ).fetchone()[0]
