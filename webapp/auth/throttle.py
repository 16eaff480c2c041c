"""Attempts counted per client address, and per (address, email) pair: too many failed logins
slow down that pair and that address, never the account's owner elsewhere; too many sign-ups
slow down that address.

A login attempt is recorded as a failure before its password is checked, under a lock per
client address held for one short transaction: concurrent attempts cannot all slip under the
limit. A correct password takes its attempt back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..db import advisory_xact_lock
from ..formatting import minutes_until
from . import queries

WINDOW = dt.timedelta(minutes=15)
PER_ADDRESS_FACTOR = 4  # one address may try several accounts before it is slowed down
SIGNUP_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    retry_at: dt.datetime  # when the oldest counted attempt leaves the window

    def wait_text(self, now: dt.datetime) -> str:
        return minutes_until(self.retry_at, now)


def _pair(email: str, address: str) -> str:
    return f"login:{address}|{email.strip().lower()}"


def _address(address: str) -> str:
    return f"login:{address}"


def admit_login(conn, email: str, address: str | None, max_failures: int) -> tuple[Refusal | None, list[int]]:
    """(refusal, []) when the pair or the address is over its limit; else (None, ids of the
    attempt recorded for this login, to take back if the password is right)."""
    address = address or "unknown"
    advisory_xact_lock(conn, _address(address))
    for key, limit in ((_pair(email, address), max_failures), (_address(address), max_failures * PER_ADDRESS_FACTOR)):
        recent = queries.recent_attempts(conn, key, WINDOW)
        if len(recent) >= limit:
            return Refusal(recent[limit - 1] + WINDOW), []
    return None, queries.record_attempts(conn, [_pair(email, address), _address(address)])


def take_back(conn, attempt_ids: list[int], email: str, address: str | None) -> None:
    """A correct password: this attempt was no failure, and the pair's earlier ones are forgiven."""
    queries.delete_attempts(conn, attempt_ids, _pair(email, address or "unknown"))


def admit_signup(conn, address: str | None, per_hour: int) -> Refusal | None:
    key = f"signup:{address or 'unknown'}"
    advisory_xact_lock(conn, key)
    recent = queries.recent_attempts(conn, key, SIGNUP_WINDOW)
    if len(recent) >= per_hour:
        return Refusal(recent[per_hour - 1] + SIGNUP_WINDOW)
    queries.record_attempts(conn, [key])
    return None
