"""Fixing the ground truth of a finished report: edit one image's expected JSON, or switch the
comparison, and every run is scored again from its stored output (under the output schema's
comparison rules, as when it ran). No model is called.

All of it is one transaction under a lock on the report: two tabs editing at once take turns,
and a reader never sees some runs scored against the old expected JSON and some against the
new. The report records when and how many runs' scores changed.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from ..compare_rules import from_schema
from ..domain import COMPARE_MODES
from ..scoring import compare
from . import queries


class CannotRescore(Exception):
    """Not the owner's finished report, or not one of its images."""


def rescore(
    conn,
    report_id: int,
    owner_id: int,
    *,
    image_id: int | None = None,
    expected: dict | None = None,
    mode: str | None = None,
) -> int:
    """Applies the change, scores every complete run again, and returns how many runs' scores
    changed. The caller commits."""
    settings = queries.lock_for_rescore(conn, report_id, owner_id)
    if settings is None:
        raise CannotRescore("not a finished report of yours")
    mode = mode or settings.compare_mode
    rules = from_schema(settings.output_schema)
    if mode not in COMPARE_MODES:
        raise CannotRescore("unknown comparison")
    if expected is not None and (image_id is None or not queries.set_expected(conn, report_id, image_id, expected)):
        raise CannotRescore("not an image of this report")
    scores, changed = [], 0
    for run in queries.scored_outputs(conn, report_id):
        result = compare(run.expected, run.parsed_json, mode, rules)
        diffs = [{"path": d.path, "expected": d.expected, "actual": d.actual, "reason": d.reason} for d in result.diffs]
        if (result.exact, result.field_accuracy, result.correct_fields, result.total_fields, diffs) != (
            run.exact,
            run.field_accuracy,
            run.correct_fields,
            run.total_fields,
            run.diffs or [],
        ):
            changed += 1
        scores.append(
            {
                "id": run.id,
                "exact": result.exact,
                "field_accuracy": result.field_accuracy,
                "correct_fields": result.correct_fields,
                "total_fields": result.total_fields,
                "diffs": Jsonb(diffs),
            }
        )
    queries.save_scores(conn, report_id, scores, mode, changed)
    return changed
