"""The dashboard and the report: read-only for anyone with the share link, plus the owner's
actions (rotate or revoke the link, delete). Each live part of the report has a fragment route
that renders the same partial as the page, for htmx."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import db
from ..domain import image_response, is_share_token
from . import charts, exports, page, queries

bp = Blueprint("reports", __name__)

# Query parameters that make up the report page's state (sorting, calculator, filters...).
STATE = ("sort", "dir", "docs", "fields", "model", "status", "page", "image")


@bp.app_template_filter("json_text")
def json_text(value, limit: int = 120) -> str:
    """A JSON value as short text (escaped by Jinja like any other text)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _catalog():
    return current_app.extensions["catalog"]


def _is_owner(report) -> bool:
    return current_user.is_authenticated and current_user.id == report.owner_id


def _report_or_404(token: str, owner_only: bool = False):
    """Anyone with a live link sees the report; after revocation only its owner does. Unknown,
    revoked and someone else's report all answer the same 404."""
    report = queries.report_by_token(db.get(), token) if is_share_token(token) else None
    if report is None:
        abort(404)
    if (owner_only or report.share_revoked_at is not None) and not _is_owner(report):
        abort(404)
    return report


def _load(token: str):
    report = _report_or_404(token)
    return page.load(db.get(), report, _catalog())


def _link(endpoint: str, token: str, anchor: str | None = None, **changes) -> str:
    """A URL keeping the page's current state, with some of it changed (None removes)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in STATE and v != ""}
    args.update(changes)
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(endpoint, token=token, **args) + (f"#{anchor}" if anchor else "")


def _render(template: str, data, **context):
    token = data.report.share_token

    def link(endpoint="reports.show", anchor=None, **changes):
        return _link(endpoint, token, anchor, **changes)

    response = Response(render_template(template, data=data, report=data.report, link=link,
                                        is_owner=_is_owner(data.report), **context))
    # Shared pages: not indexed, not kept by shared caches (a revoked link must stop working).
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/")
def index():
    return redirect(url_for("reports.dashboard" if current_user.is_authenticated else "auth.signup"))


@bp.get("/dashboard")
@login_required
def dashboard():
    reports = queries.list_for_owner(db.get(), current_user.id)
    return render_template("reports/dashboard.html", reports=reports, catalog=_catalog())


@bp.get("/r/<token>")
def show(token: str):
    data = _load(token)
    image = page.image_view(db.get(), data, request.args.get("image"))
    args = request.args
    return _render(
        "reports/show.html", data,
        table=page.table(data, args.get("sort"), args.get("dir")),
        calc=page.calculator(data, args.get("docs")),
        fields=page.fields_view(data, args.get("fields")),
        runs=page.runs_view(data, args.get("model"), args.get("status"), args.get("page")),
        image=image,
        scatter=charts.accuracy_vs_cost(data.ranked, data.confidence.intervals if data.confidence else None),
        latency=charts.latency_distribution(data.ranked),
        costs=charts.cost_per_run(data.ranked),
    )


@bp.get("/r/<token>/ranking")
def ranking_fragment(token: str):
    data = _load(token)
    return _render("reports/_ranking.html", data,
                   table=page.table(data, request.args.get("sort"), request.args.get("dir")))


@bp.get("/r/<token>/calculator")
def calculator_fragment(token: str):
    data = _load(token)
    return _render("reports/_calculator.html", data, calc=page.calculator(data, request.args.get("docs")))


@bp.get("/r/<token>/fields")
def fields_fragment(token: str):
    data = _load(token)
    return _render("reports/_fields.html", data, fields=page.fields_view(data, request.args.get("fields")))


@bp.get("/r/<token>/runs")
def runs_fragment(token: str):
    data = _load(token)
    args = request.args
    return _render("reports/_runs.html", data,
                   runs=page.runs_view(data, args.get("model"), args.get("status"), args.get("page")))


@bp.get("/r/<token>/image")
def image_fragment(token: str):
    data = _load(token)
    image = page.image_view(db.get(), data, request.args.get("image"))
    return _render("reports/_image.html", data, image=image)


@bp.get("/r/<token>/images/<int:image_id>")
def image(token: str, image_id: int):
    report = _report_or_404(token)
    found = queries.image_data(db.get(), report.id, image_id)
    if found is None:
        abort(404)
    return image_response(found)


def _export_name(report, extension: str) -> str:
    return f"visionbench-report-{report.id}{'-simulated' if report.is_simulated else ''}.{extension}"


@bp.get("/r/<token>/runs.csv")
def export_csv(token: str):
    data = _load(token)
    outputs = queries.run_outputs(db.get(), data.report.id)
    body = "\ufeff" + exports.runs_csv(data, outputs)  # the BOM makes spreadsheets read UTF-8
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_export_name(data.report, "csv")}"',
        "Cache-Control": "private, no-store"})


@bp.get("/r/<token>/report.json")
def export_json(token: str):
    data = _load(token)
    outputs = queries.run_outputs(db.get(), data.report.id)
    body = json.dumps(exports.report_json(data, outputs), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{_export_name(data.report, "json")}"',
        "Cache-Control": "private, no-store"})


@bp.post("/r/<token>/share/rotate")
def rotate_link(token: str):
    report = _report_or_404(token, owner_only=True)
    new_token = queries.rotate_share_token(db.get(), report.id, current_user.id)
    db.commit()
    flash("A new share link was made. The old link no longer works.", "success")
    return redirect(url_for("reports.show", token=new_token) + "#sharing", 303)


@bp.post("/r/<token>/share/revoke")
def revoke_link(token: str):
    report = _report_or_404(token, owner_only=True)
    queries.revoke_share_link(db.get(), report.id, current_user.id)
    db.commit()
    flash("The share link was turned off. Only you can open this report now.", "success")
    return redirect(url_for("reports.show", token=token) + "#sharing", 303)


@bp.route("/r/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    report = _report_or_404(token, owner_only=True)
    if not report.finished:
        flash("This benchmark is still running. Cancel it first, then delete it.", "error")
        return redirect(url_for("benchmarks.processing", report_id=report.id), 303)
    if request.method == "GET":
        return render_template("reports/delete.html", report=report)
    queries.delete_report(db.get(), report.id, current_user.id)
    db.commit()
    flash(f"The benchmark “{report.title}” was deleted.", "success")
    return redirect(url_for("reports.dashboard"), 303)
