from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import db
from . import queries

bp = Blueprint("reports", __name__)


@bp.get("/")
def index():
    return redirect(url_for("reports.dashboard" if current_user.is_authenticated else "auth.signup"))


@bp.get("/dashboard")
@login_required
def dashboard():
    with db.connection() as conn:
        reports = queries.list_for_owner(conn, current_user.id)
    return render_template("reports/dashboard.html", reports=reports,
                           catalog=current_app.extensions["catalog"])


@bp.get("/r/<token>")
def show(token: str):
    """Read-only for anyone with the link (the token is unguessable)."""
    with db.connection() as conn:
        report = queries.report_by_token(conn, token)
        if report is None:
            abort(404)
        summaries = queries.model_summaries(conn, report.id)
    catalog = current_app.extensions["catalog"]
    ranked = sorted(summaries, key=lambda s: (-(s.accuracy or 0), s.cost_per_run or 0, s.model_id))
    return render_template("reports/show.html", report=report, ranked=ranked, catalog=catalog,
                           is_owner=current_user.is_authenticated and current_user.id == report.owner_id)
