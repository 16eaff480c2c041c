"""Friendly error pages: never a traceback, and a 503 (not a 500) while the database is down."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import db

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    413: (
        "Upload too large",
        "The upload is larger than allowed (120 MB at once). Images may be at most 10 MB each; "
        "split a large ZIP in two.",
    ),
    429: ("Too many requests", "Please wait a moment and try again."),
}


def _page(status: int, title: str, message: str):
    if request.path.startswith(API_PREFIX):  # a program reads the answer: JSON, as every API answer
        return jsonify({"message": f"{title}: {message}", "field": None, "errors": []}), status
    if request.headers.get("HX-Request"):
        return f'<p role="alert">{title}: {message}</p>', status  # both are our own constants
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _page(
            400,
            "Form expired",
            "This form is missing its security token or it has expired. Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        title, message = MESSAGES.get(e.code or 500, (e.name, e.description or ""))
        return _page(e.code or 500, title, message)

    for exc in db.DatabaseUnavailable:

        @app.errorhandler(exc)
        def database_down(e):
            log.warning("database unavailable: %s", type(e).__name__)
            return _page(
                503,
                "Temporarily unavailable",
                "The database cannot be reached right now. Your data is safe; please try again in a minute.",
            )

    @app.errorhandler(Exception)
    def unexpected(e):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _page(500, "Something went wrong", "An unexpected error occurred. It has been logged.")
