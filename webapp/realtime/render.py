"""Rendering reports' live updates: the progress region, the pill and, when the report is
complete, the redirector. Every top-level element is swapped by its id on the page."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import render_template

from ..benchmarks import queries
from ..benchmarks.progress import to_progress
from ..db import run_statement

log = logging.getLogger(__name__)


def render_update(p) -> str:
    return render_template("benchmarks/_live_update.html", p=p)


def make_renderer(app, pool):
    """`render(report_ids)` yields each existing report's (id, html, finished), one after the
    other (the first can be sent while the next renders), all read in one statement. A report
    that fails to render yields html None and does not hold back the others."""
    catalog = app.extensions["catalog"]

    def render(report_ids: list[int]) -> Iterator[tuple[int, str | None, bool]]:
        rows = run_statement(pool, lambda conn: queries.progress_rows(conn, report_ids))
        # A request context only so that url_for builds paths; no user is involved.
        with app.test_request_context("/"):
            for row in rows:
                try:
                    p = to_progress(row, catalog)
                    yield row.id, render_update(p), p.finished
                except Exception:
                    log.exception("could not render report %s", row.id)
                    yield row.id, None, False

    return render
