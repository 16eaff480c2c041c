"""SQL for users, their login sessions, and the attempts the throttle counts."""

from __future__ import annotations

import datetime as dt
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
    user = fetch_one(
        conn,
        User,
        """
        INSERT INTO users (email, password_hash) VALUES (%(email)s, %(hash)s)
        ON CONFLICT ((lower(email))) DO NOTHING
        RETURNING *""",
        {"email": email, "hash": password_hash},
    )
    if user is None:
        raise EmailTaken(email)
    return user


def update_password_hash(conn, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = %(hash)s WHERE id = %(id)s", {"hash": password_hash, "id": user_id})


def create_session(conn, token_hash: str, user_id: int) -> None:
    conn.execute(
        "INSERT INTO user_sessions (token_hash, user_id) VALUES (%(token_hash)s, %(user_id)s)",
        {"token_hash": token_hash, "user_id": user_id},
    )


def find_user_by_session(conn, token_hash: str) -> User | None:
    return fetch_one(
        conn,
        User,
        """
        SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = %(token_hash)s""",
        {"token_hash": token_hash},
    )


def delete_session(conn, token_hash: str) -> None:
    conn.execute("DELETE FROM user_sessions WHERE token_hash = %(token_hash)s", {"token_hash": token_hash})


def recent_attempts(conn, key: str, window: dt.timedelta) -> list[dt.datetime]:
    """When each attempt under `key` within `window` was made, newest first."""
    rows = conn.execute(
        """
        SELECT made_at FROM throttle_attempts
        WHERE key = %(key)s AND made_at > now() - %(window)s
        ORDER BY made_at DESC""",
        {"key": key, "window": window},
    ).fetchall()
    return [r[0] for r in rows]


def record_attempts(conn, keys: list[str]) -> list[int]:
    ids = [
        r[0]
        for r in conn.execute(
            "INSERT INTO throttle_attempts (key) SELECT unnest(%(keys)s::text[]) RETURNING id", {"keys": keys}
        )
    ]
    # Keep the table small: old attempts no longer count for anything.
    conn.execute("DELETE FROM throttle_attempts WHERE made_at < now() - interval '1 day'")
    return ids


def delete_attempts(conn, ids: list[int], key: str) -> None:
    """These attempts, and every earlier one under `key`."""
    conn.execute("DELETE FROM throttle_attempts WHERE id = ANY(%(ids)s) OR key = %(key)s", {"ids": ids, "key": key})
