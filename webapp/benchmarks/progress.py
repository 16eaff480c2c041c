"""The progress of a report: one aggregate query, used by the processing page, its fragment
route and the websocket push alike, so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..catalog import Catalog
from ..domain import ModelOutputMode, ReportStatus, model_output_mode
from . import queries

# Without JS, the processing page reloads itself this often (and its pill says so).
NOSCRIPT_REFRESH_SECONDS = 4


@dataclass
class ModelProgress:
    model_id: str
    name: str
    total: int
    started: int
    done: int
    complete: int
    failed: int
    skipped: int
    accuracy: float | None
    median_latency_ms: float | None
    last_error: str | None
    output_mode: ModelOutputMode | None = None  # None: a report from before output schemas

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def badge(self) -> str:
        if self.done == self.total and self.total:
            return "Complete" if self.complete else "Failed"
        return "Running" if self.started else "Waiting"


@dataclass
class Progress(queries.OwnedReport):
    """The report as its owner sees it, and where each of its models stands."""

    samples_per_image: int
    image_count: int
    models: list[ModelProgress]
    now: datetime

    refresh_seconds = NOSCRIPT_REFRESH_SECONDS

    @property
    def total(self) -> int:
        return sum(m.total for m in self.models)

    @property
    def done(self) -> int:
        return sum(m.done for m in self.models)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.models)

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def runs_per_model(self) -> int:
        return self.samples_per_image * self.image_count

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.finished_at or self.now) - self.started_at).total_seconds()

    @property
    def remaining_seconds(self) -> float | None:
        elapsed = self.elapsed_seconds
        if self.finished or not elapsed or not self.done:
            return None
        return elapsed / self.done * (self.total - self.done)

    @property
    def milestone(self) -> str:
        """What a screen reader hears: every quarter, not every tick."""
        if self.finished:
            return f"Benchmark {self.status.value}."
        return f"{self.percent // 25 * 25}% of runs done."


def load_progress(conn, report_id: int, catalog: Catalog) -> Progress | None:
    rows = queries.progress_rows(conn, [report_id])
    return to_progress(rows[0], catalog) if rows else None


def to_progress(row: queries.ProgressRow, catalog: Catalog) -> Progress:
    stats = {m["model_id"]: m for m in row.models}
    models = []
    for model_id in row.model_ids:  # in the order the user chose
        s = stats.get(model_id, {})
        entry = catalog.get(model_id)
        models.append(
            ModelProgress(
                model_id=model_id,
                name=entry.name if entry else model_id,
                total=s.get("total", 0),
                started=s.get("started", 0),
                done=s.get("done", 0),
                complete=s.get("complete", 0),
                failed=s.get("failed", 0),
                skipped=s.get("skipped", 0),
                accuracy=s.get("accuracy"),
                median_latency_ms=s.get("median_latency_ms"),
                last_error=s.get("last_error"),
                output_mode=model_output_mode(row.output_modes, row.output_fallbacks, model_id),
            )
        )
    return Progress(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        status=ReportStatus(row.status),
        share_token=row.share_token,
        failure_reason=row.failure_reason,
        is_simulated=row.is_simulated,
        samples_per_image=row.samples_per_image,
        image_count=row.image_count,
        models=models,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        now=row.now,
    )
