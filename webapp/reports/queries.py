"""SQL for reading reports (dashboard list, one report, its runs) and the owner's actions on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ..benchmarks.queries import drop_unused_blobs, lock_owner
from ..compare_rules import from_schema
from ..db import fetch_all, fetch_one
from ..domain import ModelOutputMode, ReportStatus, RunStatus, model_output_mode, new_share_token


@dataclass
class DashboardRow:
    id: int
    title: str
    status: ReportStatus
    model_ids: list[str]
    is_simulated: bool
    share_token: str | None
    created_at: datetime
    total_runs: int
    done_runs: int
    best_model_id: str | None
    best_accuracy: float | None
    total_cost: Decimal | None

    def __post_init__(self) -> None:
        self.status = ReportStatus(self.status)


def list_for_owner(conn, owner_id: int) -> list[DashboardRow]:
    # "Best" is the most accurate model; failed runs count as 0 like on the report page.
    return fetch_all(
        conn,
        DashboardRow,
        """
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
            GROUP BY model_id HAVING count(*) FILTER (WHERE status = 'complete') > 0
            ORDER BY accuracy DESC, model_id LIMIT 1
        ) b ON r.status IN ('complete', 'cancelled', 'failed')
        WHERE r.owner_id = %(owner_id)s
        ORDER BY r.created_at DESC, r.id DESC""",
        {"owner_id": owner_id},
    )


@dataclass
class SharedReport:
    id: int
    owner_id: int
    title: str
    status: ReportStatus
    prompt: str
    compare_mode: str
    samples_per_image: int
    priorities: list[str]
    model_ids: list[str]
    budget_usd: Decimal
    provider: str
    is_simulated: bool
    share_token: str
    share_revoked_at: datetime | None
    failure_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expected_edited_at: datetime | None
    rescored_runs: int
    image_count: int
    output_schema: dict | None
    output_mode_choice: str
    output_modes: dict[str, str]
    output_fallbacks: dict[str, str]
    estimated_cost_usd: Decimal | None  # the estimate shown at the start; None before it was kept
    rerun_of: int | None = None  # the report this one was started from ("Run again")

    def __post_init__(self) -> None:
        self.status = ReportStatus(self.status)

    def output_mode(self, model_id: str) -> ModelOutputMode | None:
        """How the model was asked for the output schema (None: a report from before schemas)."""
        return model_output_mode(self.output_modes, self.output_fallbacks, model_id)

    @property
    def comparison_rules(self) -> list[str]:
        """The output schema's per-field comparison rules, one phrase each ("total within 0.01")."""
        return from_schema(self.output_schema).describe()

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def report_by_token(conn, token: str) -> SharedReport | None:
    return fetch_one(conn, SharedReport, _REPORT_SQL + "WHERE r.share_token = %(token)s", {"token": token})


def owned_report(conn, report_id: int, owner_id: int) -> SharedReport | None:
    """The report if it exists AND belongs to owner_id (the API reads reports by id)."""
    return fetch_one(
        conn,
        SharedReport,
        _REPORT_SQL + "WHERE r.id = %(id)s AND r.owner_id = %(owner)s",
        {"id": report_id, "owner": owner_id},
    )


_REPORT_SQL = """
        SELECT r.id, r.owner_id, r.title, r.status, r.prompt, r.compare_mode, r.samples_per_image,
               r.priorities, r.model_ids, r.budget_usd, r.provider, r.is_simulated, r.share_token,
               r.share_revoked_at, r.failure_reason, r.created_at, r.started_at, r.finished_at,
               r.expected_edited_at, r.rescored_runs,
               (SELECT count(*) FROM report_images i WHERE i.report_id = r.id) AS image_count,
               r.output_schema, r.output_mode_choice, r.output_modes, r.output_fallbacks, r.estimated_cost_usd,
               r.rerun_of
        FROM reports r """


def origin_token(conn, report: SharedReport) -> str | None:
    """The share token of the report this one was run again from, if its owner still has it."""
    if report.rerun_of is None:
        return None
    row = conn.execute(
        "SELECT share_token FROM reports WHERE id = %(id)s AND owner_id = %(owner)s",
        {"id": report.rerun_of, "owner": report.owner_id},
    ).fetchone()
    return row[0] if row else None


@dataclass
class ReportImage:
    id: int
    position: int
    filename: str
    mime: str  # the upload, as shown on the report
    width: int
    height: int
    bytes: int
    expected: dict
    # What the models were sent (engine/image_prep.py); None until the benchmark has started.
    sent_mime: str | None
    sent_width: int | None
    sent_height: int | None
    sent_bytes: int | None
    sent_as_uploaded: bool | None
    sha256: str = ""  # of the upload, hex: the same image in two reports has the same one


def report_images(conn, report_id: int) -> list[ReportImage]:
    # octet_length reads a stored image's length, not the image.
    return fetch_all(
        conn,
        ReportImage,
        """
        SELECT i.id, i.position, i.filename, i.mime, i.width, i.height, octet_length(b.data) AS bytes, i.expected,
               i.sent_mime, i.sent_width, i.sent_height,
               CASE WHEN i.sent_width IS NOT NULL THEN coalesce(octet_length(i.sent_data), octet_length(b.data)) END
                   AS sent_bytes,
               CASE WHEN i.sent_width IS NOT NULL THEN i.sent_data IS NULL END AS sent_as_uploaded,
               encode(b.sha256, 'hex') AS sha256
        FROM report_images i JOIN image_blobs b ON b.id = i.blob_id
        WHERE i.report_id = %(id)s ORDER BY i.position""",
        {"id": report_id},
    )


@dataclass
class ImageData:
    mime: str
    data: bytes


def image_data(conn, report_id: int, image_id: int) -> ImageData | None:
    return fetch_one(
        conn,
        ImageData,
        """
        SELECT i.mime, b.data FROM report_images i JOIN image_blobs b ON b.id = i.blob_id
        WHERE i.id = %(image)s AND i.report_id = %(report)s""",
        {"image": image_id, "report": report_id},
    )


@dataclass
class RunRow:
    """One run, everything the numbers need (the raw output is loaded separately: it is large)."""

    id: int
    model_id: str
    image_id: int
    image_position: int
    sample_index: int
    status: RunStatus
    latency_ms: int | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None
    exact: bool | None
    field_accuracy: float | None
    correct_fields: int | None
    total_fields: int | None
    diffs: list | None
    error: str | None
    # Calls the run made (429s retried included), and the time before the one that counted.
    call_attempts: int | None = None
    waited_ms: int | None = None
    output_mode: str | None = None  # the mode its answer came back in

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)


def runs(conn, report_id: int) -> list[RunRow]:
    # Thousands of rows on a big report: built positionally (a third faster than by name).
    rows = conn.execute(
        """
        SELECT r.id, r.model_id, r.image_id, i.position AS image_position, r.sample_index, r.status,
               r.latency_ms, r.input_tokens, r.output_tokens, r.cost_usd, r.exact, r.field_accuracy,
               r.correct_fields, r.total_fields, r.diffs, r.error, r.call_attempts, r.waited_ms, r.output_mode
        FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id
        WHERE r.report_id = %(id)s
        ORDER BY i.position, r.model_id, r.sample_index""",
        {"id": report_id},
    ).fetchall()
    return [RunRow(*row) for row in rows]


@dataclass
class RunOutput:
    id: int
    model_id: str
    sample_index: int
    status: RunStatus
    raw_output: str | None
    parsed_json: object
    field_accuracy: float | None
    diffs: list | None
    error: str | None
    output_mode: str | None = None  # the mode its answer came back in

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)


def outputs_for_image(conn, report_id: int, image_id: int) -> list[RunOutput]:
    return fetch_all(
        conn,
        RunOutput,
        """
        SELECT id, model_id, sample_index, status, raw_output, parsed_json, field_accuracy, diffs, error,
               output_mode
        FROM benchmark_runs WHERE report_id = %(report)s AND image_id = %(image)s
        ORDER BY model_id, sample_index""",
        {"report": report_id, "image": image_id},
    )


def run_outputs(conn, report_id: int) -> dict[int, tuple[str | None, object]]:
    """Run id -> (raw model output, parsed JSON), for the exports."""
    rows = conn.execute(
        "SELECT id, raw_output, parsed_json FROM benchmark_runs WHERE report_id = %(id)s", {"id": report_id}
    ).fetchall()
    return {run_id: (raw, parsed) for run_id, raw, parsed in rows}


def rotate_share_token(conn, report_id: int, owner_id: int) -> str | None:
    """A new link (the old one stops working at once); also re-enables a revoked link."""
    row = conn.execute(
        """
        UPDATE reports SET share_token = %(token)s, share_revoked_at = NULL
        WHERE id = %(id)s AND owner_id = %(owner)s RETURNING share_token""",
        {"token": new_share_token(), "id": report_id, "owner": owner_id},
    ).fetchone()
    return row[0] if row else None


def revoke_share_link(conn, report_id: int, owner_id: int) -> bool:
    cur = conn.execute(
        """
        UPDATE reports SET share_revoked_at = coalesce(share_revoked_at, now())
        WHERE id = %(id)s AND owner_id = %(owner)s""",
        {"id": report_id, "owner": owner_id},
    )
    return cur.rowcount == 1


def delete_report(conn, report_id: int, owner_id: int) -> bool:
    """Finished reports only: a running one is cancelled first, so no worker writes into it."""
    lock_owner(conn, owner_id, "images")  # before its rows: the order every images path follows
    cur = conn.execute(
        """
        DELETE FROM reports
        WHERE id = %(id)s AND owner_id = %(owner)s AND status IN ('complete', 'failed', 'cancelled')""",
        {"id": report_id, "owner": owner_id},
    )
    drop_unused_blobs(conn, owner_id)  # its images, unless a draft or another report shows them
    return cur.rowcount == 1


@dataclass
class CompletionNotice:
    id: int
    title: str
    status: ReportStatus
    share_token: str
    failure_reason: str | None
    email: str

    def __post_init__(self) -> None:
        self.status = ReportStatus(self.status)


async def claim_completion_notice(conn, report_id: int) -> CompletionNotice | None:
    """Marks the report notified and returns what the email needs, exactly once per report: of
    two workers racing here, only one gets a row back."""
    async with conn.cursor(row_factory=class_row(CompletionNotice)) as cur:
        await cur.execute(
            """
            UPDATE reports r SET notified_at = now()
            FROM users u
            WHERE r.id = %(id)s AND u.id = r.owner_id AND r.notified_at IS NULL
              AND r.status IN ('complete', 'failed')
            RETURNING r.id, r.title, r.status, r.share_token, r.failure_reason, u.email""",
            {"id": report_id},
        )
        return await cur.fetchone()


# Rescoring (webapp/reports/rescore.py) ----------------------------------------------------------


@dataclass
class ScoringSettings:
    compare_mode: str
    output_schema: dict | None  # carries the per-field comparison rules


def lock_for_rescore(conn, report_id: int, owner_id: int) -> ScoringSettings | None:
    """How the report is scored, with the report locked until the transaction ends (two tabs
    rescoring at once take turns), if the owner's report is finished; else None."""
    return fetch_one(
        conn,
        ScoringSettings,
        """
        SELECT compare_mode, output_schema FROM reports
        WHERE id = %(id)s AND owner_id = %(owner)s AND status IN ('complete', 'failed', 'cancelled')
        FOR UPDATE""",
        {"id": report_id, "owner": owner_id},
    )


def set_expected(conn, report_id: int, image_id: int, expected: dict) -> bool:
    cur = conn.execute(
        """
        UPDATE report_images SET expected = %(expected)s WHERE id = %(image)s AND report_id = %(report)s""",
        {"expected": Jsonb(expected), "image": image_id, "report": report_id},
    )
    return cur.rowcount == 1


@dataclass
class ScoredOutput:
    id: int
    expected: dict
    parsed_json: object
    exact: bool | None
    field_accuracy: float | None
    correct_fields: int | None
    total_fields: int | None
    diffs: list | None


def scored_outputs(conn, report_id: int) -> list[ScoredOutput]:
    """Every complete run with its image's expected JSON: what a rescore recomputes."""
    return fetch_all(
        conn,
        ScoredOutput,
        """
        SELECT r.id, i.expected, r.parsed_json, r.exact, r.field_accuracy, r.correct_fields, r.total_fields, r.diffs
        FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id
        WHERE r.report_id = %(id)s AND r.status = 'complete' ORDER BY r.id""",
        {"id": report_id},
    )


def save_scores(conn, report_id: int, scores: list[dict], mode: str, changed: int) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            UPDATE benchmark_runs SET exact = %(exact)s, field_accuracy = %(field_accuracy)s,
                   correct_fields = %(correct_fields)s, total_fields = %(total_fields)s, diffs = %(diffs)s
            WHERE id = %(id)s""",
            scores,
        )
    conn.execute(
        """
        UPDATE reports SET compare_mode = %(mode)s, expected_edited_at = now(), rescored_runs = %(changed)s
        WHERE id = %(id)s""",
        {"mode": mode, "changed": changed, "id": report_id},
    )
