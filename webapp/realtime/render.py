"""Rendering one report's live update: the progress region, the pill and, when the report is
complete, the redirector. Every top-level element is swapped by its id on the page."""

from __future__ import annotations

from flask import render_template

from .. import db
from ..benchmarks.progress import load_progress


def render_update(p) -> str:
    return render_template("benchmarks/_live_update.html", p=p)


def make_renderer(app):
    catalog = app.extensions["catalog"]

    def render(report_id: int):
        # A request context only so that url_for builds paths; no user is involved.
        with app.test_request_context("/"):
            with db.connection() as conn:
                p = load_progress(conn, report_id, catalog)
            if p is None:
                return None
            return render_update(p), p.finished

    return render
