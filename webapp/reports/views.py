"""The dashboard and the report: read-only for anyone with the share link, plus the owner's
actions (rotate or revoke the link, delete). Each live part of the report has a fragment route
that renders the same partial as the page, for htmx."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from .. import db
from ..benchmarks import queries as benchmark_queries
from ..benchmarks.dataset_export import write_dataset
from ..benchmarks.expected_json import ExpectedJSONError, parse_expected
from ..domain import image_response, is_share_token
from . import charts, exports, page, queries
from .forms import CompareModeForm, ExpectedJSONForm
from .rescore import CannotRescore, rescore

bp = Blueprint("reports", __name__)

# Query parameters that make up the report page's state (sorting, calculator, filters...).
STATE = ("sort", "dir", "docs", "fields", "model", "status", "page", "image")  # from_run is not kept


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


def _render(template: str, data, status: int = 200, **context):
    token = data.report.share_token

    def link(endpoint="reports.show", anchor=None, **changes):
        return _link(endpoint, token, anchor, **changes)

    response = Response(
        render_template(template, data=data, report=data.report, link=link, is_owner=_is_owner(data.report), **context),
        status=status,
    )
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


def _edit_form(data, image, form: ExpectedJSONForm | None = None) -> ExpectedJSONForm | None:
    """The owner's form to fix this image's expected JSON (finished reports only): as posted,
    or started from a model's output ("Use this output as expected"), or from the current one."""
    if not (_is_owner(data.report) and data.report.finished and image.image):
        return None
    if form is not None:
        return form
    text = image.output_of_run(request.args.get("from_run")) or image.expected_json
    return ExpectedJSONForm(formdata=None, data={"expected": text})


def _show(data, status: int = 200, edit: ExpectedJSONForm | None = None, image_position: str | None = None):
    image = page.image_view(db.get(), data, image_position or request.args.get("image"))
    args = request.args
    return _render(
        "reports/show.html",
        data,
        status,
        edit=_edit_form(data, image, edit),
        mode_form=_mode_form(data),
        origin_token=queries.origin_token(db.get(), data.report) if _is_owner(data.report) else None,
        table=page.table(data, args.get("sort"), args.get("dir")),
        calc=page.calculator(data, args.get("docs")),
        fields=page.fields_view(data, args.get("fields")),
        runs=page.runs_view(data, args.get("model"), args.get("status"), args.get("page")),
        image=image,
        scatter=charts.accuracy_vs_cost(data.ranked, data.confidence.intervals if data.confidence else None),
        latency=charts.latency_distribution(data.ranked),
        costs=charts.cost_per_run(data.ranked),
    )


def _mode_form(data) -> CompareModeForm | None:
    if not (_is_owner(data.report) and data.report.finished):
        return None
    return CompareModeForm(formdata=None, data={"mode": data.report.compare_mode})


@bp.get("/r/<token>")
def show(token: str):
    return _show(_load(token))


@bp.post("/r/<token>/images/<int:image_id>/expected")
def edit_expected(token: str, image_id: int):
    """Fixes one image's expected JSON and rescores every run; no model is called."""
    report = _report_or_404(token, owner_only=True)
    images = queries.report_images(db.get(), report.id)
    position = next((str(i.position + 1) for i in images if i.id == image_id), None)
    if position is None:
        abort(404)
    form = ExpectedJSONForm()
    if form.validate():
        try:
            expected = parse_expected(form.expected.data)
        except ExpectedJSONError as e:
            form.expected.errors = [str(e)]
        else:
            return _rescored(report, token, position, image_id=image_id, expected=expected)
    return _show(page.load(db.get(), report, _catalog()), 400, edit=form, image_position=position)


@bp.post("/r/<token>/compare-mode")
def switch_compare_mode(token: str):
    report = _report_or_404(token, owner_only=True)
    form = CompareModeForm()
    if not form.validate():
        abort(400)
    return _rescored(report, token, None, mode=form.mode.data)


def _rescored(report, token: str, position: str | None, **change):
    try:
        changed = rescore(db.get(), report.id, current_user.id, **change)
    except CannotRescore:
        abort(404)
    db.commit()
    flash(f"Scored again from the stored outputs: {changed} run{'s' if changed != 1 else ''} changed.", "success")
    anchor = "#per-image" if position else "#ranking"
    return redirect(url_for("reports.show", token=token, image=position) + anchor, 303)


@bp.get("/r/<token>/ranking")
def ranking_fragment(token: str):
    data = _load(token)
    return _render(
        "reports/_ranking.html", data, table=page.table(data, request.args.get("sort"), request.args.get("dir"))
    )


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
    return _render(
        "reports/_runs.html", data, runs=page.runs_view(data, args.get("model"), args.get("status"), args.get("page"))
    )


@bp.get("/r/<token>/image")
def image_fragment(token: str):
    data = _load(token)
    image = page.image_view(db.get(), data, request.args.get("image"))
    return _render("reports/_image.html", data, image=image, edit=_edit_form(data, image))


@bp.get("/r/<token>/images/<int:image_id>")
def image(token: str, image_id: int):
    report = _report_or_404(token)
    found = queries.image_data(db.get(), report.id, image_id)
    if found is None:
        abort(404)
    return image_response(found)


def _export_name(report, extension: str) -> str:
    return f"visionbench-report-{report.id}{'-simulated' if report.is_simulated else ''}.{extension}"


def _download(data, body: str, mimetype: str, extension: str) -> Response:
    name = _export_name(data.report, extension)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    return Response(body, mimetype=mimetype, headers=headers)


@bp.get("/r/<token>/runs.csv")
def export_csv(token: str):
    data = _load(token)
    outputs = queries.run_outputs(db.get(), data.report.id)
    body = "\ufeff" + exports.runs_csv(data, outputs)  # the BOM makes spreadsheets read UTF-8
    return _download(data, body, "text/csv", "csv")


@bp.get("/r/<token>/report.json")
def export_json(token: str):
    data = _load(token)
    outputs = queries.run_outputs(db.get(), data.report.id)
    body = json.dumps(exports.report_json(data, outputs), ensure_ascii=False, indent=2)
    return _download(data, body, "application/json", "json")


@bp.get("/r/<token>/dataset.zip")
def export_dataset(token: str):
    """The images and their expected JSON as currently edited, as a ZIP to upload again: owner only."""
    report = _report_or_404(token, owner_only=True)
    archive = write_dataset(benchmark_queries.dataset_files(db.get(), report.owner_id, report.id))
    response = send_file(archive, "application/zip", as_attachment=True, download_name=_export_name(report, "zip"))
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
