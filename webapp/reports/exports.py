"""CSV of every run and JSON of the whole report. Simulated results say so in both."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from .page import ReportData
from .queries import ReportImage
from .stats import ModelStats

CSV_COLUMNS = [
    "report_id",
    "report_title",
    "simulated",
    "model_id",
    "model_name",
    "image_position",
    "image_filename",
    "image_sent_width",
    "image_sent_height",
    "sample",
    "status",
    "field_accuracy",
    "exact",
    "correct_fields",
    "total_fields",
    "latency_ms",
    "call_attempts",
    "waited_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
    "output_mode",
    "raw_output",
]
# A spreadsheet runs a cell starting with one of these as a formula: model output is untrusted.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value) -> str:
    return "" if value is None else str(value)


def runs_csv(data: ReportData, outputs: dict[int, tuple]) -> str:
    images = {i.id: i for i in data.images}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    report = data.report
    for run in data.runs:
        image = images.get(run.image_id)
        writer.writerow(
            [
                report.id,
                safe_cell(report.title),
                "yes" if report.is_simulated else "no",
                safe_cell(run.model_id),
                safe_cell(data.name(run.model_id)),
                run.image_position + 1,
                safe_cell(image.filename if image else None),
                _number(image.sent_width if image else None),
                _number(image.sent_height if image else None),
                run.sample_index + 1,
                run.status,
                _number(run.field_accuracy),
                "" if run.exact is None else ("yes" if run.exact else "no"),
                _number(run.correct_fields),
                _number(run.total_fields),
                _number(run.latency_ms),
                _number(run.call_attempts),
                _number(run.waited_ms),
                _number(run.input_tokens),
                _number(run.output_tokens),
                _number(run.cost_usd),
                safe_cell(run.error),
                run.output_mode or "",
                safe_cell(outputs.get(run.id, (None, None))[0]),
            ]
        )
    return out.getvalue()


def _money(value: Decimal | None):
    return None if value is None else str(value)


def _model_summary(m: ModelStats, rank: int | None, data: ReportData) -> dict:
    interval = data.interval(m.model_id)
    mode = data.report.output_mode(m.model_id)
    return {
        "rank": rank,
        "model_id": m.model_id,
        "model_name": m.name,
        "tier": m.tier,
        "accuracy": m.accuracy,
        "accuracy_interval_95": [interval.low, interval.high] if interval else None,
        "exact_match_rate": m.exact_rate,
        "cost_per_run_usd": _money(m.cost_per_run),
        "cost_per_1000_documents_usd": _money(m.cost_per_1000),
        "total_cost_usd": _money(m.total_cost),
        "median_latency_ms": m.median_latency_ms,
        "p95_latency_ms": m.p95_latency_ms,
        "spread": m.spread,
        "runs": m.runs,
        "complete": m.complete,
        "failed": m.failed,
        "skipped": m.skipped,
        "output_mode": mode.planned.value if mode else None,
        "output_mode_fallback": mode.fallback.value if mode and mode.fallback else None,
    }


def _image(i: ReportImage) -> dict:
    return {
        "id": i.id,
        "position": i.position + 1,
        "filename": i.filename,
        "uploaded": {"width": i.width, "height": i.height, "mime": i.mime, "bytes": i.bytes},
        # What the models were sent; null until the benchmark has started.
        "sent": None
        if i.sent_width is None
        else {
            "width": i.sent_width,
            "height": i.sent_height,
            "mime": i.sent_mime,
            "bytes": i.sent_bytes,
            "as_uploaded": i.sent_as_uploaded,
        },
        "expected": i.expected,
    }


def report_json(data: ReportData, outputs: dict[int, tuple]) -> dict:
    report = data.report
    rank_of = {m.model_id: i + 1 for i, m in enumerate(data.ranked) if m.complete}
    rec = data.recommendation
    filenames = {i.id: i.filename for i in data.images}
    return {
        "report": {
            "id": report.id,
            "title": report.title,
            "status": report.status,
            "simulated": report.is_simulated,
            "provider": report.provider,
            "prompt": report.prompt,
            "compare_mode": report.compare_mode,
            "comparison_rules": report.comparison_rules,  # from x-compare and format: date
            "output_schema": report.output_schema,
            "output_mode_choice": report.output_mode_choice,
            "samples_per_image": report.samples_per_image,
            "priorities": report.priorities,
            "model_ids": report.model_ids,
            "budget_usd": _money(report.budget_usd),
            "total_spent_usd": _money(data.totals.spent),
            "estimated_cost_usd": _money(report.estimated_cost_usd),  # shown at the start
            "failure_reason": report.failure_reason,
            "created_at": report.created_at.isoformat(),
            "started_at": report.started_at.isoformat() if report.started_at else None,
            "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        },
        "recommendation": None
        if rec is None
        else {
            "model_id": rec.best.model.model_id,
            "rationale": " ".join(rec.best.reasons),
            "most_accurate": rec.most_accurate.model.model_id,
            "best_value": rec.best_value.model.model_id if rec.best_value else None,
            "fastest_good_enough": rec.fastest_good_enough.model.model_id if rec.fastest_good_enough else None,
        },
        "summary": [_model_summary(m, rank_of.get(m.model_id), data) for m in data.ranked],
        "fields": [
            {
                "path": row.path,
                "models": {
                    model_id: {"right": c.right, "of": c.total, "rate": c.rate} for model_id, c in row.cells.items()
                },
            }
            for row in data.fields
        ],
        "error_patterns": [
            {
                "path": p.path,
                "wrong": p.wrong,
                "runs": p.total,
                "rate": p.rate,
                "models": [{"model_id": m.model_id, "wrong": m.wrong, "runs": m.total} for m in p.models],
            }
            for p in data.patterns
        ],
        "images": [_image(i) for i in data.images],
        "runs": [
            {
                "id": r.id,
                "model_id": r.model_id,
                "image_position": r.image_position + 1,
                "image_filename": filenames.get(r.image_id),
                "sample": r.sample_index + 1,
                "status": r.status,
                "field_accuracy": r.field_accuracy,
                "exact": r.exact,
                "correct_fields": r.correct_fields,
                "total_fields": r.total_fields,
                "latency_ms": r.latency_ms,
                "call_attempts": r.call_attempts,
                "waited_ms": r.waited_ms,
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
                "cost_usd": _money(r.cost_usd),
                "error": r.error,
                "output_mode": r.output_mode,
                "raw_output": outputs.get(r.id, (None, None))[0],
                "parsed_json": outputs.get(r.id, (None, None))[1],
                "diffs": r.diffs,
            }
            for r in data.runs
        ],
    }
