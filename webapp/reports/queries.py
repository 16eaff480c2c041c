"""SQL for reading reports: the dashboard list and single reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..db import fetch_all, fetch_one


@dataclass
class DashboardRow:
    id: int
    title: str
    status: str
    model_ids: list[str]
    is_simulated: bool
    share_token: str | None
    created_at: datetime
    total_runs: int
    done_runs: int
    best_model_id: str | None
    best_accuracy: float | None
    total_cost: Decimal | None


def list_for_owner(conn, owner_id: int) -> list[DashboardRow]:
    return fetch_all(conn, DashboardRow, """
        SELECT r.id, r.title, r.status, r.model_ids, r.is_simulated, r.share_token, r.created_at,
               coalesce(c.total_runs, 0) AS total_runs, coalesce(c.done_runs, 0) AS done_runs,
               b.model_id AS best_model_id, b.accuracy AS best_accuracy, c.total_cost
        FROM reports r
        LEFT JOIN LATERAL (
            SELECT count(*) AS total_runs,
                   count(*) FILTER (WHERE status IN ('complete', 'failed', 'skipped')) AS done_runs,
                   sum(cost_usd) AS total_cost
            FROM benchmark_runs WHERE report_id = r.id
        ) c ON true
        LEFT JOIN LATERAL (
            SELECT model_id, avg(coalesce(field_accuracy, 0)) AS accuracy
            FROM benchmark_runs
            WHERE report_id = r.id AND status IN ('complete', 'failed')
            GROUP BY model_id ORDER BY accuracy DESC, model_id LIMIT 1
        ) b ON r.status IN ('complete', 'cancelled')
        WHERE r.owner_id = %(owner_id)s
        ORDER BY r.created_at DESC, r.id DESC""", {"owner_id": owner_id})


@dataclass
class SharedReport:
    id: int
    owner_id: int
    title: str
    status: str
    prompt: str
    compare_mode: str
    samples_per_image: int
    priorities: list[str]
    model_ids: list[str]
    is_simulated: bool
    share_token: str
    failure_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    image_count: int


@dataclass
class ModelSummary:
    model_id: str
    runs: int
    complete: int
    failed: int
    skipped: int
    accuracy: float | None
    exact_rate: float | None
    cost_per_run: Decimal | None
    total_cost: Decimal | None
    median_latency_ms: float | None
    p95_latency_ms: float | None
    spread: float | None


def report_by_token(conn, token: str) -> SharedReport | None:
    return fetch_one(conn, SharedReport, """
        SELECT r.id, r.owner_id, r.title, r.status, r.prompt, r.compare_mode, r.samples_per_image,
               r.priorities, r.model_ids, r.is_simulated, r.share_token, r.failure_reason,
               r.created_at, r.started_at, r.finished_at,
               (SELECT count(*) FROM report_images i WHERE i.report_id = r.id) AS image_count
        FROM reports r WHERE r.share_token = %(token)s""", {"token": token})


def model_summaries(conn, report_id: int) -> list[ModelSummary]:
    """Per model over its finished runs. Accuracy counts failed runs as 0: a model that errors
    does not extract anything. Skipped runs (budget, cancel) are left out."""
    return fetch_all(conn, ModelSummary, """
        SELECT model_id,
               count(*) AS runs,
               count(*) FILTER (WHERE status = 'complete') AS complete,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status = 'skipped') AS skipped,
               avg(CASE WHEN status = 'complete' THEN field_accuracy WHEN status = 'failed' THEN 0 END) AS accuracy,
               avg(CASE WHEN status = 'complete' THEN exact::int WHEN status = 'failed' THEN 0 END)::float AS exact_rate,
               avg(cost_usd) FILTER (WHERE status = 'complete') AS cost_per_run,
               sum(cost_usd) AS total_cost,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'complete') AS median_latency_ms,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE status = 'complete') AS p95_latency_ms,
               stddev_pop(field_accuracy) FILTER (WHERE status = 'complete') AS spread
        FROM benchmark_runs WHERE report_id = %(id)s
        GROUP BY model_id""", {"id": report_id})
