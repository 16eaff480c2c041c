"""Iterating on a benchmark: "Run again" (the new-benchmark form filled from a report) and
/compare of two reports. Who may see a report is decided as on /r/<token>: compare needs both."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import db
from ..benchmarks import queries as benchmark_queries
from ..benchmarks.run_again import draft_from_report, draft_in_progress, replace_draft
from ..domain import is_share_token
from . import compare as comparing
from . import page, queries
from .views import _report_or_404

bp = Blueprint("iterate", __name__)


def _catalog():
    return current_app.extensions["catalog"]


@bp.post("/r/<token>/run-again")
def run_again(token: str):
    """The owner's draft becomes this report's setup; a draft in progress is replaced only once
    the owner confirms (the page asks, and posts here again with replace=yes)."""
    report = _report_or_404(token, owner_only=True)
    conn = db.get()
    draft, draft_images = benchmark_queries.load_draft(conn, current_user.id)
    if draft_in_progress(draft, draft_images) and request.form.get("replace") != "yes":
        return render_template("reports/run_again.html", report=report, draft=draft, images=draft_images)
    images = queries.report_images(conn, report.id)
    form, gone = draft_from_report(report, images, _catalog())
    replace_draft(conn, current_user.id, report.id, form)
    db.commit()
    flash(
        f"The form holds the {len(images)} image{'s' if len(images) != 1 else ''}, expected JSON, prompt and settings "
        f"of “{report.title}”. Change the models or the prompt, then start.",
        "success",
    )
    if gone:
        flash(f"No longer in the catalog, so left out: {', '.join(gone)}.", "info")
    return redirect(url_for("benchmarks.new"), 303)


@bp.get("/compare")
def compare():
    """`?a=<token>&b=<token>`; the dashboard's form sends `?r=<token>&r=<token>` instead."""
    picked = request.args.getlist("r")
    if picked or not request.args.get("a"):
        return _from_dashboard(picked)
    tokens = request.args.get("a", ""), request.args.get("b", "")
    if not all(is_share_token(t) for t in tokens):
        abort(404)
    a, b = (_report_or_404(t) for t in tokens)
    data_a, data_b = (page.load(db.get(), r, _catalog()) for r in (a, b))
    result = comparing.compare(
        comparing.Side(a.model_ids, data_a.images, data_a.runs),
        comparing.Side(b.model_ids, data_b.images, data_b.runs),
        _catalog(),
    )
    names = {s.model_id: s.name for s in [*data_a.stats, *data_b.stats]}
    response = Response(render_template("reports/compare.html", a=a, b=b, result=result, names=names))
    response.headers["Cache-Control"] = "private, no-store"  # a revoked link must stop working
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _from_dashboard(picked: list[str]):
    """Two reports ticked on the dashboard: the older is A. Anything else: back, with why."""
    if not current_user.is_authenticated:
        abort(404)
    if len(picked) != 2 or not all(is_share_token(t) for t in picked) or picked[0] == picked[1]:
        flash("Select exactly two benchmarks to compare.", "error")
        return redirect(url_for("reports.dashboard", _anchor="compare"), 303)
    first, second = sorted((_report_or_404(t) for t in picked), key=lambda r: (r.created_at, r.id))
    return redirect(url_for("iterate.compare", a=first.share_token, b=second.share_token), 303)
