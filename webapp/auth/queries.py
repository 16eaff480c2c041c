"""SQL for users, their login sessions and failed-login counting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..db import fetch_one


@dataclass
class User:
    id: int
    email: str
    password_hash: str
    created_at: datetime


class EmailTaken(Exception):
    pass


def find_user_by_email(conn, email: str) -> User | None:
    return fetch_one(conn, User, "SELECT * FROM users WHERE lower(email) = lower(%(email)s)", {"email": email})


def create_user(conn, email: str, password_hash: str) -> User:
    # ON CONFLICT makes the case-insensitive uniqueness race-free between two sign-ups.
    user = fetch_one(conn, User, """
        INSERT INTO users (email, password_hash) VALUES (%(email)s, %(hash)s)
        ON CONFLICT ((lower(email))) DO NOTHING
        RETURNING *""", {"email": email, "hash": password_hash})
    if user is None:
        raise EmailTaken(email)
    return user


def update_password_hash(conn, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = %(hash)s WHERE id = %(id)s",
                 {"hash": password_hash, "id": user_id})


def create_session(conn, token_hash: str, user_id: int) -> None:
    conn.execute("INSERT INTO user_sessions (token_hash, user_id) VALUES (%(token_hash)s, %(user_id)s)",
                 {"token_hash": token_hash, "user_id": user_id})


def find_user_by_session(conn, token_hash: str) -> User | None:
    return fetch_one(conn, User, """
        SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = %(token_hash)s""", {"token_hash": token_hash})


def delete_session(conn, token_hash: str) -> None:
    conn.execute("DELETE FROM user_sessions WHERE token_hash = %(token_hash)s", {"token_hash": token_hash})


def count_recent_failures(conn, keys: list[str], window_seconds: int) -> int:
    row = conn.execute("""
        SELECT count(*) FROM login_failures
        WHERE key = ANY(%(keys)s) AND failed_at > now() - make_interval(secs => %(window)s)
        GROUP BY key ORDER BY count(*) DESC LIMIT 1""", {"keys": keys, "window": window_seconds}).fetchone()
    return row[0] if row else 0


def record_failure(conn, keys: list[str]) -> None:
    conn.execute("INSERT INTO login_failures (key) SELECT unnest(%(keys)s::text[])", {"keys": keys})
    # Keep the table small: old failures no longer count for anything.
    conn.execute("DELETE FROM login_failures WHERE failed_at < now() - interval '1 day'")


def clear_failures(conn, keys: list[str]) -> None:
    conn.execute("DELETE FROM login_failures WHERE key = ANY(%(keys)s)", {"keys": keys})
