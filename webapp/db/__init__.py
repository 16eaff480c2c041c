"""One psycopg connection pool per process, and small helpers for queries returning dataclasses."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from flask import current_app
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool, PoolTimeout

DatabaseUnavailable = (psycopg.OperationalError, PoolTimeout)


def make_pool(url: str, max_size: int = 10) -> ConnectionPool:
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        # A connection is checked before it is handed out, so a restarted database costs
        # nothing more than one failed check.
        check=ConnectionPool.check_connection,
        timeout=5.0,
        open=False,
        name="web",
    )


def init_app(app) -> None:
    pool = make_pool(app.config["DATABASE_URL"], app.config.get("DB_POOL_MAX", 10))
    # Do not wait at start: the app must come up (and answer 503) while the database is down.
    pool.open(wait=False)
    app.extensions["db_pool"] = pool


@contextmanager
def connection(timeout: float | None = None) -> Iterator[psycopg.Connection]:
    """A pooled connection in a transaction: committed on success, rolled back on error.
    `timeout`: seconds to wait for one (the pool's default when None)."""
    with current_app.extensions["db_pool"].connection(timeout=timeout) as conn:
        yield conn


def fetch_all(conn, cls, sql: str, params=None) -> list:
    with conn.cursor(row_factory=class_row(cls)) as cur:
        return cur.execute(sql, params).fetchall()


def fetch_one(conn, cls, sql: str, params=None):
    with conn.cursor(row_factory=class_row(cls)) as cur:
        return cur.execute(sql, params).fetchone()
