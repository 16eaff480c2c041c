"""Personal API tokens: `vb_` and 43 URL-safe characters (256 random bits). The prefix lets
secret scanners recognise a leaked token; the database keeps only its SHA-256 (a random token
needs no slow hash), as for login sessions."""

from __future__ import annotations

import re
import secrets

from . import _hash_token, queries
from .queries import User

PREFIX = "vb_"
HINT_LENGTH = len(PREFIX) + 4
# Anything else in an Authorization header is refused before any query.
TOKEN_PATTERN = re.compile(r"vb_[A-Za-z0-9_-]{20,100}")


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def create(conn, user_id: int, name: str) -> str:
    """The new token, in clear: the only time it exists outside its owner's hands."""
    token = new_token()
    queries.create_api_token(conn, user_id, name, _hash_token(token), token[:HINT_LENGTH])
    return token


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer vb_…` header, or None."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not TOKEN_PATTERN.fullmatch(value):
        return None
    return value


def user_for(conn, token: str) -> User | None:
    """The token's owner (its last use noted, at most once a minute), or None."""
    return queries.find_user_by_api_token(conn, _hash_token(token))
