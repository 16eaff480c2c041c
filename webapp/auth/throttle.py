"""Repeated failed logins are refused for a while, per email and per client address."""
from __future__ import annotations

from . import queries

WINDOW_SECONDS = 15 * 60
PER_ADDRESS_FACTOR = 4  # one address may try several accounts before it is slowed down


def _keys(email: str, address: str | None) -> tuple[str, str]:
    return f"email:{email.strip().lower()}", f"ip:{address or 'unknown'}"


def is_blocked(conn, email: str, address: str | None, max_failures: int) -> bool:
    email_key, address_key = _keys(email, address)
    return (queries.count_recent_failures(conn, [email_key], WINDOW_SECONDS) >= max_failures
            or queries.count_recent_failures(conn, [address_key], WINDOW_SECONDS)
            >= max_failures * PER_ADDRESS_FACTOR)


def record_failure(conn, email: str, address: str | None) -> None:
    queries.record_failure(conn, list(_keys(email, address)))


def clear(conn, email: str) -> None:
    queries.clear_failures(conn, [_keys(email, None)[0]])
