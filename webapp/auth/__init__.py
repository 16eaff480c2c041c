"""Accounts: sign-up, login and logout with Flask-Login, sessions recorded server-side."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import session
from flask_login import LoginManager, login_user, logout_user

from .. import db
from . import queries
from .queries import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = None  # we rotate a server-side token at every login instead


@dataclass
class SessionUser:
    """The logged-in user as Flask-Login sees it: its id is the session token, not the user id,
    so a logout (which deletes the token) ends that session everywhere."""

    user: User
    token: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email

    def get_id(self) -> str:
        return self.token


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_token_hash() -> str | None:
    """The hash of this request's login token, read from the session cookie without loading
    the user (the live socket checks the token and the report's owner in one statement)."""
    token = session.get("_user_id")  # where Flask-Login keeps `SessionUser.get_id()`
    return _hash_token(token) if isinstance(token, str) and token else None


@login_manager.user_loader
def load_user(token: str):
    if db.unreachable():
        return None  # the 503 page is drawn as for a visitor, with no second wait
    user = queries.find_user_by_session(db.get(), _hash_token(token))
    return SessionUser(user, token) if user else None


def start_session(conn, user: User) -> None:
    session.clear()  # nothing from before login survives it (session fixation)
    token = secrets.token_urlsafe(32)
    queries.create_session(conn, _hash_token(token), user.id)
    login_user(SessionUser(user, token))


def end_session(conn, current) -> None:
    if getattr(current, "token", None):
        queries.delete_session(conn, _hash_token(current.token))
    logout_user()
    session.clear()


def init_login(app) -> None:
    login_manager.init_app(app)
