"""The JSON API: start a benchmark, follow it, read its report. Every answer is JSON, errors
included (`bearer.error`); someone else's benchmark answers 404, as for pages."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, current_app, jsonify, url_for

from .. import db
from ..benchmarks import limits
from ..benchmarks import queries as benchmark_queries
from ..benchmarks.estimate import estimate_draft
from ..benchmarks.forms import EXPECTED_PREFIX
from ..benchmarks.progress import load_progress
from ..benchmarks.spec import validate
from ..domain import SIMULATED, provider_for_new_benchmarks
from ..reports import exports, page
from ..reports import queries as report_queries
from ..security import csrf
from .bearer import api_user, error, refused, token_required
from .submission import expected_field, read_submission

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens only (bearer.py): a browser's cookies authenticate nothing here


def _catalog():
    return current_app.extensions["catalog"]


def _not_found():
    return error(404, "There is no benchmark with this id, or it is not yours.")


@bp.post("/benchmarks")
@token_required
def create_benchmark():
    owner = api_user()
    submission = read_submission()
    if submission.problems:
        return refused(submission.problems)
    draft, images = submission.draft, submission.images
    conn = db.get()
    # The user's "start" lock before the "images" one, in the order the form's Start takes them.
    benchmark_queries.lock_owner(conn, owner.id, "start")
    held_bytes = 0
    for held, image in enumerate(images):  # the limits of an upload to the form, in this one transaction
        size = len(image.checked.data)
        full = limits.may_store(conn, owner.id, image.filename, image.checked.data, held, held_bytes)
        if full:
            return refused([("images", full)])
        held_bytes += size
    provider = provider_for_new_benchmarks(current_app.config)
    estimated = estimate_draft(conn, _catalog(), provider, draft, len(images)).total
    ceiling = Decimal(str(current_app.config["BUDGET_CEILING_USD"]))
    spec, errors = validate(draft, images, _catalog(), ceiling, estimated)
    if spec is None:
        names = {f"{EXPECTED_PREFIX}{i.id}": expected_field(i.filename) for i in images}
        return refused([(names.get(name, name), message) for name, message in errors.items()])
    refusal = limits.may_start(conn, owner.id)
    if refusal:
        return refused([(None, refusal)], 429)
    modes = _catalog().output_modes(spec.model_ids, spec.output_mode_choice)
    report_id = benchmark_queries.create_report(
        conn,
        owner.id,
        spec,
        provider,
        provider == SIMULATED,
        modes,
        estimated_cost=estimated,
        uploaded={i.id: i.checked for i in images},
    )
    benchmark_queries.record_start(conn, owner.id)
    db.commit()
    response = jsonify(_status(report_id))
    response.headers["Location"] = url_for("api.benchmark_status", report_id=report_id)
    return response, 201


def _status(report_id: int) -> dict:
    p = load_progress(db.get(), report_id, _catalog())
    assert p is not None
    return {
        "id": p.id,
        "title": p.title,
        "status": p.status.value,
        "finished": p.finished,
        "simulated": p.is_simulated,
        "failure_reason": p.failure_reason,
        "runs": {"done": p.done, "total": p.total, "failed": p.failed, "percent": p.percent},
        "models": [
            {
                "model_id": m.model_id,
                "name": m.name,
                "done": m.done,
                "total": m.total,
                "complete": m.complete,
                "failed": m.failed,
                "skipped": m.skipped,
                "accuracy": m.accuracy,
            }
            for m in p.models
        ],
        "links": {
            "status": url_for("api.benchmark_status", report_id=p.id, _external=True),
            "report": url_for("api.benchmark_report", report_id=p.id, _external=True),
            "page": url_for("reports.show", token=p.share_token, _external=True)
            if p.share_token and p.status.is_complete
            else url_for("benchmarks.processing", report_id=p.id, _external=True),
        },
    }


@bp.get("/benchmarks/<int:report_id>")
@token_required
def benchmark_status(report_id: int):
    if benchmark_queries.owned_report(db.get(), report_id, api_user().id) is None:
        return _not_found()
    return jsonify(_status(report_id))


@bp.get("/benchmarks/<int:report_id>/report")
@token_required
def benchmark_report(report_id: int):
    """The report's JSON export (as far as it got, while it runs)."""
    conn = db.get()
    report = report_queries.owned_report(conn, report_id, api_user().id)
    if report is None:
        return _not_found()
    data = page.load(conn, report, _catalog())
    return jsonify(exports.report_json(data, report_queries.run_outputs(conn, report.id)))
