"""SQL for drafts of the new-benchmark form, starting a benchmark, its live progress, and the
owner's actions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psycopg.types.json import Json, Jsonb

from ..db import advisory_xact_lock, fetch_all, fetch_one
from ..domain import ReportStatus, TokensPerRun, new_share_token
from ..engine.jobs import enqueue_run_benchmark
from ..engine.queries import TOKENS_PER_RUN_SQL, tokens_by_model
from .dataset_export import DatasetFile
from .spec import DraftForm, Spec


@dataclass
class DraftImage:
    id: int
    filename: str
    mime: str
    width: int
    height: int
    expected_text: str


@dataclass
class ImageData:
    mime: str
    data: bytes


@dataclass
class OwnedReport:
    id: int
    owner_id: int
    title: str
    status: ReportStatus
    share_token: str | None
    failure_reason: str | None
    is_simulated: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def __post_init__(self) -> None:
        self.status = ReportStatus(self.status)


def load_draft(conn, owner_id: int) -> tuple[DraftForm, list[DraftImage]]:
    row = conn.execute("SELECT form FROM benchmark_drafts WHERE owner_id = %(owner)s", {"owner": owner_id}).fetchone()
    return (DraftForm.from_json(row[0]) if row else DraftForm()), draft_images(conn, owner_id)


def draft_images(conn, owner_id: int) -> list[DraftImage]:
    return fetch_all(
        conn,
        DraftImage,
        """
        SELECT id, filename, mime, width, height, expected_text FROM draft_images
        WHERE owner_id = %(owner)s ORDER BY id""",
        {"owner": owner_id},
    )


def save_draft_form(conn, owner_id: int, form: DraftForm) -> None:
    conn.execute(
        """
        INSERT INTO benchmark_drafts (owner_id, form) VALUES (%(owner)s, %(form)s)
        ON CONFLICT (owner_id) DO UPDATE SET form = EXCLUDED.form, updated_at = now()""",
        {"owner": owner_id, "form": Jsonb(form.__dict__)},
    )


def save_expected_texts(conn, owner_id: int, texts: dict[int, str]) -> None:
    for image_id, text in texts.items():
        conn.execute(
            """UPDATE draft_images SET expected_text = %(text)s
                        WHERE id = %(id)s AND owner_id = %(owner)s""",
            {"text": text, "id": image_id, "owner": owner_id},
        )


def add_draft_image(conn, owner_id: int, image, expected_text: str = "") -> None:
    conn.execute(
        """
        INSERT INTO benchmark_drafts (owner_id) VALUES (%(owner)s) ON CONFLICT (owner_id) DO NOTHING""",
        {"owner": owner_id},
    )
    conn.execute(
        """
        INSERT INTO draft_images (owner_id, filename, mime, width, height, blob_id, expected_text)
        VALUES (%(owner)s, %(filename)s, %(mime)s, %(width)s, %(height)s, %(blob)s, %(expected)s)""",
        {
            "owner": owner_id,
            "filename": image.filename,
            "mime": image.mime,
            "width": image.width,
            "height": image.height,
            "blob": store_blob(conn, owner_id, image.data),
            "expected": expected_text,
        },
    )


def remove_draft_image(conn, owner_id: int, image_id: int) -> None:
    lock_owner(conn, owner_id, "images")  # before any row: the order every images path follows
    conn.execute(
        "DELETE FROM draft_images WHERE id = %(id)s AND owner_id = %(owner)s", {"id": image_id, "owner": owner_id}
    )
    drop_unused_blobs(conn, owner_id)


def clear_draft(conn, owner_id: int) -> None:
    lock_owner(conn, owner_id, "images")
    conn.execute("DELETE FROM benchmark_drafts WHERE owner_id = %(owner)s", {"owner": owner_id})
    drop_unused_blobs(conn, owner_id)


def forget_rerun(conn, owner_id: int) -> None:
    """The draft is no longer a "Run again" of a report (its images were replaced)."""
    conn.execute("UPDATE benchmark_drafts SET rerun_of = NULL WHERE owner_id = %(owner)s", {"owner": owner_id})


def fill_draft_from_report(conn, owner_id: int, report_id: int, form: DraftForm) -> None:
    """The draft replaced by `form` and the report's images with their expected JSON ("Run
    again"): the images point at the report's stored bytes, nothing is copied."""
    lock_owner(conn, owner_id, "images")  # no blob of the report is dropped while it is copied
    conn.execute("DELETE FROM benchmark_drafts WHERE owner_id = %(owner)s", {"owner": owner_id})
    conn.execute(
        """
        INSERT INTO benchmark_drafts (owner_id, form, rerun_of)
        SELECT %(owner)s, %(form)s, id FROM reports WHERE id = %(report)s AND owner_id = %(owner)s""",
        {"owner": owner_id, "form": Jsonb(form.__dict__), "report": report_id},
    )
    # Draft images are shown in id order: inserted in the report's order.
    conn.execute(
        """
        INSERT INTO draft_images (owner_id, filename, mime, width, height, blob_id, expected_text)
        SELECT %(owner)s, i.filename, i.mime, i.width, i.height, i.blob_id, jsonb_pretty(i.expected)
        FROM report_images i JOIN reports r ON r.id = i.report_id
        WHERE r.id = %(report)s AND r.owner_id = %(owner)s ORDER BY i.position""",
        {"owner": owner_id, "report": report_id},
    )
    drop_unused_blobs(conn, owner_id)  # the images of the draft it replaced


# Images are stored once per owner (migration 0012): drafts and reports point at the same bytes.
# Storing and dropping take the owner's "images" lock, so a blob found unused is not being
# pointed at by another request at the same moment.


def store_blob(conn, owner_id: int, data: bytes) -> int:
    """The id of the owner's stored copy of these bytes, stored now if they were not yet."""
    lock_owner(conn, owner_id, "images")
    params = {"owner": owner_id, "sha": hashlib.sha256(data).digest(), "data": data}
    row = (
        conn.execute("SELECT id FROM image_blobs WHERE owner_id = %(owner)s AND sha256 = %(sha)s", params).fetchone()
        or conn.execute(
            "INSERT INTO image_blobs (owner_id, sha256, data) VALUES (%(owner)s, %(sha)s, %(data)s) RETURNING id",
            params,
        ).fetchone()
    )
    return row[0]


def is_stored(conn, owner_id: int, data: bytes) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM image_blobs WHERE owner_id = %(owner)s AND sha256 = %(sha)s",
            {"owner": owner_id, "sha": hashlib.sha256(data).digest()},
        ).fetchone()
        is not None
    )


def drop_unused_blobs(conn, owner_id: int) -> None:
    """Deletes the owner's images that no draft and no report shows any more."""
    lock_owner(conn, owner_id, "images")
    conn.execute(
        """
        DELETE FROM image_blobs b WHERE b.owner_id = %(owner)s
          AND NOT EXISTS (SELECT 1 FROM draft_images d WHERE d.blob_id = b.id)
          AND NOT EXISTS (SELECT 1 FROM report_images i WHERE i.blob_id = b.id)""",
        {"owner": owner_id},
    )


def draft_image_data(conn, owner_id: int, image_id: int) -> ImageData | None:
    return fetch_one(
        conn,
        ImageData,
        """
        SELECT d.mime, b.data FROM draft_images d JOIN image_blobs b ON b.id = d.blob_id
        WHERE d.id = %(id)s AND d.owner_id = %(owner)s""",
        {"id": image_id, "owner": owner_id},
    )


def dataset_files(conn, owner_id: int, report_id: int | None = None) -> Iterator[DatasetFile]:
    """The draft's images (or the owner's report's) with their expected JSON, as they are now.
    Read through a server-side cursor a few at a time: a hundred images need not all be in memory."""
    if report_id is None:
        sql = """
            SELECT d.filename, b.data, d.expected_text FROM draft_images d JOIN image_blobs b ON b.id = d.blob_id
            WHERE d.owner_id = %(owner)s ORDER BY d.id"""
    else:
        sql = """
            SELECT i.filename, b.data, i.expected FROM report_images i JOIN reports r ON r.id = i.report_id
            JOIN image_blobs b ON b.id = i.blob_id
            WHERE r.id = %(report)s AND r.owner_id = %(owner)s ORDER BY i.position"""
    with conn.cursor(name="dataset_files") as cur:
        cur.itersize = 4
        cur.execute(sql, {"owner": owner_id, "report": report_id})
        for filename, data, expected in cur:
            yield DatasetFile(filename, bytes(data), expected)


def tokens_per_run(conn, provider: str, model_ids: list[str]) -> dict[str, TokensPerRun]:
    """Each model's mean tokens per run over this installation's earlier complete runs."""
    return tokens_by_model(conn.execute(TOKENS_PER_RUN_SQL, {"models": model_ids, "provider": provider}).fetchall())


def create_report(
    conn,
    owner_id: int,
    spec: Spec,
    provider: str,
    is_simulated: bool,
    output_modes: dict[str, str],
    estimated_cost: Decimal | None = None,
    uploaded: dict | None = None,
) -> int:
    """The report, its images and ALL its runs (pending), and its job: one transaction.
    `estimated_cost`: the estimate shown at the start, which the report sets against the bill.
    The images are copied from the owner's draft (then cleared), or, from the API, `uploaded`:
    the checked images themselves, keyed as `spec.expected`."""
    lock_owner(conn, owner_id, "images")  # the draft's blobs stay while they are copied
    title = spec.title or f"Benchmark of {len(spec.model_ids)} model{'s' if len(spec.model_ids) != 1 else ''}"
    report_id = conn.execute(
        """
        INSERT INTO reports (owner_id, title, prompt, compare_mode, samples_per_image, priorities,
                             model_ids, budget_usd, provider, is_simulated, share_token,
                             output_schema, output_mode_choice, output_modes, estimated_cost_usd, rerun_of)
        VALUES (%(owner)s, %(title)s, %(prompt)s, %(mode)s, %(samples)s, %(priorities)s,
                %(models)s, %(budget)s, %(provider)s, %(simulated)s, %(token)s,
                %(schema)s, %(mode_choice)s, %(output_modes)s, %(estimate)s,
                CASE WHEN %(from_draft)s THEN (SELECT rerun_of FROM benchmark_drafts WHERE owner_id = %(owner)s) END)
        RETURNING id""",
        {
            "owner": owner_id,
            "title": title,
            "prompt": spec.prompt,
            "mode": spec.compare_mode,
            "samples": spec.samples,
            "priorities": spec.priorities,
            "models": spec.model_ids,
            "budget": spec.budget,
            "provider": provider,
            "simulated": is_simulated,
            "token": new_share_token(),
            "schema": Json(spec.output_schema),
            "mode_choice": spec.output_mode_choice,
            "output_modes": Jsonb(output_modes),
            "estimate": estimated_cost,
            "from_draft": uploaded is None,
        },
    ).fetchone()[0]
    for position, (draft_image_id, expected) in enumerate(spec.expected.items()):
        if uploaded is not None:
            _insert_report_image(conn, owner_id, report_id, position, uploaded[draft_image_id], expected)
            continue
        inserted = conn.execute(
            """
            INSERT INTO report_images (report_id, position, filename, mime, width, height, blob_id, expected)
            SELECT %(report)s, %(position)s, filename, mime, width, height, blob_id, %(expected)s
            FROM draft_images WHERE id = %(id)s AND owner_id = %(owner)s""",
            {
                "report": report_id,
                "position": position,
                "expected": Jsonb(expected),
                "id": draft_image_id,
                "owner": owner_id,
            },
        )
        if inserted.rowcount != 1:
            raise LookupError("a draft image vanished while starting")  # rolls everything back
    conn.execute(
        """
        INSERT INTO benchmark_runs (report_id, model_id, image_id, sample_index)
        SELECT %(report)s, m.model_id, i.id, s.n
        FROM unnest(%(models)s::text[]) AS m(model_id)
        CROSS JOIN report_images i
        CROSS JOIN generate_series(0, %(samples)s - 1) AS s(n)
        WHERE i.report_id = %(report)s""",
        {"report": report_id, "models": spec.model_ids, "samples": spec.samples},
    )
    enqueue_run_benchmark(conn, report_id)
    if uploaded is None:
        clear_draft(conn, owner_id)
    return report_id


def _insert_report_image(conn, owner_id: int, report_id: int, position: int, image, expected: dict) -> None:
    conn.execute(
        """
        INSERT INTO report_images (report_id, position, filename, mime, width, height, blob_id, expected)
        VALUES (%(report)s, %(position)s, %(filename)s, %(mime)s, %(width)s, %(height)s, %(blob)s, %(expected)s)""",
        {
            "report": report_id,
            "position": position,
            "filename": image.filename,
            "mime": image.mime,
            "width": image.width,
            "height": image.height,
            "blob": store_blob(conn, owner_id, image.data),
            "expected": Jsonb(expected),
        },
    )


def owned_report(conn, report_id: int, owner_id: int) -> OwnedReport | None:
    """The report if it exists AND belongs to owner_id: callers answer both cases the same."""
    return fetch_one(
        conn,
        OwnedReport,
        """
        SELECT id, owner_id, title, status, share_token, failure_reason, is_simulated,
               created_at, started_at, finished_at
        FROM reports WHERE id = %(id)s AND owner_id = %(owner)s""",
        {"id": report_id, "owner": owner_id},
    )


def cancel_report(conn, report_id: int, owner_id: int) -> bool:
    cur = conn.execute(
        """
        UPDATE reports SET status = 'cancelled', finished_at = now(),
               failure_reason = 'Cancelled by its owner.'
        WHERE id = %(id)s AND owner_id = %(owner)s AND status IN ('queued', 'running')""",
        {"id": report_id, "owner": owner_id},
    )
    if cur.rowcount != 1:
        return False
    conn.execute(
        """
        UPDATE benchmark_runs SET status = 'skipped', finished_at = now(), error = 'Cancelled.'
        WHERE report_id = %(id)s AND status = 'pending'""",
        {"id": report_id},
    )
    return True


# The live progress of one report (webapp/benchmarks/progress.py turns the row into a Progress).
PROGRESS_SQL = """
SELECT r.id, r.owner_id, r.title, r.status, r.share_token, r.failure_reason, r.is_simulated,
       r.samples_per_image, r.model_ids, r.created_at, r.started_at, r.finished_at,
       r.output_modes, r.output_fallbacks,
       (SELECT count(*) FROM report_images i WHERE i.report_id = r.id) AS image_count,
       now() AS now,
       coalesce((
         SELECT json_agg(m) FROM (
           -- Model by model: each is one range of the covering index benchmark_runs_progress,
           -- read in latency order (the median's), with no sort of the whole report's runs.
           SELECT mm.model_id, s.*,
                  (SELECT f.error FROM benchmark_runs f
                   WHERE f.report_id = r.id AND f.model_id = mm.model_id AND f.status = 'failed'
                   ORDER BY f.finished_at DESC LIMIT 1) AS last_error
           FROM unnest(r.model_ids) AS mm(model_id),
           LATERAL (
             SELECT count(*) AS total,
                    count(*) FILTER (WHERE status <> 'pending') AS started,
                    count(*) FILTER (WHERE status IN ('complete', 'failed', 'skipped')) AS done,
                    count(*) FILTER (WHERE status = 'complete') AS complete,
                    count(*) FILTER (WHERE status = 'failed') AS failed,
                    count(*) FILTER (WHERE status = 'skipped') AS skipped,
                    avg(field_accuracy) FILTER (WHERE status = 'complete') AS accuracy,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
                        FILTER (WHERE status = 'complete') AS median_latency_ms
             FROM benchmark_runs b WHERE b.report_id = r.id AND b.model_id = mm.model_id
           ) s
         ) m), '[]') AS models
FROM reports r WHERE r.id = ANY(%(ids)s)
"""


@dataclass
class ProgressRow:
    id: int
    owner_id: int
    title: str
    status: str
    share_token: str | None
    failure_reason: str | None
    is_simulated: bool
    samples_per_image: int
    model_ids: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    image_count: int
    now: datetime
    output_modes: dict[str, str]
    output_fallbacks: dict[str, str]
    models: list[dict]  # per model: the counts above, decoded from json_agg by psycopg


def progress_rows(conn, report_ids: list[int]) -> list[ProgressRow]:
    """The progress of several reports in one statement (the live hub renders in batches)."""
    return fetch_all(conn, ProgressRow, PROGRESS_SQL, {"ids": report_ids})


def live_viewer_owner(conn, report_id: int, session_token_hash: str) -> int | None:
    """The owner of the report if this login session is theirs: the whole check a live socket
    makes, in one statement (a deploy reconnects every viewer at once)."""
    row = conn.execute(
        """
        SELECT r.owner_id FROM reports r JOIN user_sessions s ON s.user_id = r.owner_id
        WHERE r.id = %(id)s AND s.token_hash = %(token_hash)s""",
        {"id": report_id, "token_hash": session_token_hash},
    ).fetchone()
    return row[0] if row else None


# Per-user limits (webapp/benchmarks/limits.py) --------------------------------------------------


def lock_owner(conn, owner_id: int, purpose: str) -> None:
    """Until the transaction ends, the same owner's other requests for `purpose` wait here."""
    advisory_xact_lock(conn, f"owner:{owner_id}:{purpose}")


@dataclass
class OwnerUsage:
    running: int  # benchmarks queued or running
    started_last_hour: int
    oldest_start_last_hour: datetime | None
    image_bytes: int  # of the owner's stored images, each counted once


def owner_usage(conn, owner_id: int) -> OwnerUsage:
    return fetch_one(
        conn,
        OwnerUsage,
        """
        SELECT (SELECT count(*) FROM reports WHERE owner_id = %(owner)s AND status IN ('queued', 'running'))
                   AS running,
               -- Starts are counted in their own ledger: deleting a report does not give one back.
               (SELECT count(*) FROM throttle_attempts WHERE key = %(start_key)s
                   AND made_at > now() - interval '1 hour') AS started_last_hour,
               (SELECT min(made_at) FROM throttle_attempts WHERE key = %(start_key)s
                   AND made_at > now() - interval '1 hour') AS oldest_start_last_hour,
               -- Each stored image once, however many drafts and reports show it.
               (SELECT coalesce(sum(octet_length(data)), 0) FROM image_blobs WHERE owner_id = %(owner)s)
                   AS image_bytes""",
        {"owner": owner_id, "start_key": start_key(owner_id)},
    )


def start_key(owner_id: int) -> str:
    return f"start:{owner_id}"


def record_start(conn, owner_id: int) -> None:
    conn.execute("INSERT INTO throttle_attempts (key) VALUES (%(key)s)", {"key": start_key(owner_id)})
