"""Rendering reports' live updates: the progress region, the pill and, when the report is
complete, the redirector. Every top-level element is swapped by its id on the page."""

from __future__ import annotations

from collections.abc import Iterator

from flask import render_template

from ..benchmarks.progress import load_progresses
from ..db import run_statement


def render_update(p) -> str:
    return render_template("benchmarks/_live_update.html", p=p)


def make_renderer(app, pool):
    """`render(report_ids)` yields each existing report's (id, html, finished), one after the
    other (the first can be sent while the next renders), all read in one statement."""
    catalog = app.extensions["catalog"]

    def render(report_ids: list[int]) -> Iterator[tuple[int, str, bool]]:
        progresses = run_statement(pool, lambda conn: load_progresses(conn, report_ids, catalog))
        # A request context only so that url_for builds paths; no user is involved.
        with app.test_request_context("/"):
            for report_id, p in progresses.items():
                yield report_id, render_update(p), p.finished

    return render
