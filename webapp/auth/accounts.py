"""Signing up and logging in, start to end, so that the views only render: the throttle, the
password check (never holding a database connection meanwhile), the rehash, the session."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from .. import db
from . import queries, start_session, throttle
from .passwords import hash_password, needs_rehash, verify_password


class Refused(Exception):
    """str(e) is the message for the user; `status` the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sign_up(email: str, password: str, address: str | None) -> None:
    """Creates the account and logs it in. Raises Refused, or queries.EmailTaken."""
    refusal = throttle.admit_signup(db.get(), address, current_app.config["SIGNUPS_PER_ADDRESS_PER_HOUR"])
    db.commit()
    if refusal is not None:
        raise Refused(f"Too many new accounts from your network. Try again in {refusal.wait_text(_now())}.", 429)
    db.release()  # no connection is held while the password is hashed
    password_hash = hash_password(password)
    conn = db.get()
    user = queries.create_user(conn, email, password_hash)
    start_session(conn, user)
    db.commit()


def log_in(email: str, password: str, address: str | None) -> None:
    """Logs the user in, or raises Refused."""
    conn = db.get()
    refusal, attempt = throttle.admit_login(conn, email, address, current_app.config["LOGIN_MAX_FAILURES"])
    user = None if refusal else queries.find_user_by_email(conn, email)
    db.commit()  # the attempt counts from now on, whatever happens next
    if refusal is not None:
        raise Refused(f"Too many failed attempts. Try again in {refusal.wait_text(_now())}.", 429)
    db.release()  # no connection is held while the password is checked
    verified = verify_password(user.password_hash if user else None, password)  # also without a user: same time
    if user is None or not verified:
        raise Refused("That email and password do not match an account.")
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    conn = db.get()
    throttle.take_back(conn, attempt, email, address)
    if new_hash:
        queries.update_password_hash(conn, user.id, new_hash)
    start_session(conn, user)
    db.commit()
