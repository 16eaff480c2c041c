"""Who calls the API: the owner of the bearer token, and nothing else.

The API is exempt from CSRF, so it must never act on a browser's cookies: a login session does
not authenticate it (a page of another site can make a browser send cookies, never an
Authorization header), and Flask-Login's `current_user` is never read here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, jsonify, request

from .. import db
from ..auth import api_tokens
from ..auth.queries import User


def error(status: int, message: str, field: str | None = None, errors: list[dict] | None = None):
    """An error answer: the message, the field at fault (None: the request as a whole), and all
    the problems found when there are several."""
    body = {"message": message, "field": field, "errors": errors or [{"field": field, "message": message}]}
    return jsonify(body), status


def refused(problems: list[tuple[str | None, str]], status: int = 400):
    field, message = problems[0]
    return error(status, message, field, [{"field": f, "message": m} for f, m in problems])


def _unauthorized(message: str):
    response, status = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="visionbench"'
    return response, status


def token_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization")
        if not header:
            return _unauthorized("Send an API token: `Authorization: Bearer vb_…` (your account page makes one).")
        token = api_tokens.bearer_token(header)
        user = api_tokens.user_for(db.get(), token) if token else None
        if user is None:
            return _unauthorized("This API token is not valid: it was revoked, or mistyped.")
        db.commit()  # its last use, when noted
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def api_user() -> User:
    return g.api_user
