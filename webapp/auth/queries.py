"""SQL for users, their login sessions, their API tokens, and the attempts the throttle counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime

from ..db import fetch_all, fetch_one


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


# Personal API tokens (webapp/auth/api_tokens.py) ------------------------------------------------


@dataclass
class ApiToken:
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None


def create_api_token(conn, user_id: int, name: str, token_hash: str, hint: str) -> None:
    conn.execute(
        """
        INSERT INTO api_tokens (user_id, name, token_hash, hint)
        VALUES (%(user_id)s, %(name)s, %(token_hash)s, %(hint)s)""",
        {"user_id": user_id, "name": name, "token_hash": token_hash, "hint": hint},
    )


def api_tokens(conn, user_id: int) -> list[ApiToken]:
    return fetch_all(
        conn,
        ApiToken,
        """
        SELECT id, name, hint, created_at, last_used_at FROM api_tokens
        WHERE user_id = %(user_id)s ORDER BY created_at, id""",
        {"user_id": user_id},
    )


def delete_api_token(conn, user_id: int, token_id: int) -> bool:
    cur = conn.execute(
        "DELETE FROM api_tokens WHERE id = %(id)s AND user_id = %(user_id)s", {"id": token_id, "user_id": user_id}
    )
    return cur.rowcount == 1


def find_user_by_api_token(conn, token_hash: str) -> User | None:
    # Notes the use only when the last one noted is a minute old: a CI job polling every second
    # costs one write a minute, not one per request.
    return fetch_one(
        conn,
        User,
        """
        WITH found AS (SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = %(token_hash)s),
        noted AS (
            UPDATE api_tokens t SET last_used_at = now() FROM found
            WHERE t.id = found.id AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
        )
        SELECT u.* FROM found JOIN users u ON u.id = found.user_id""",
        {"token_hash": token_hash},
    )
