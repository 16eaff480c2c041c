"""An API token written straight into a test database (the account page is tested on its own)."""

import hashlib

import psycopg

from webapp.auth.api_tokens import new_token


def insert_token(url: str, user_id: int, name: str = "CI") -> str:
    token = new_token()
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO api_tokens (user_id, name, token_hash, hint) VALUES (%s, %s, %s, %s)",
            (user_id, name, hashlib.sha256(token.encode()).hexdigest(), token[:7]),
        )
    return token
