"""One psycopg connection pool per process; one connection per request; small helpers for queries
returning dataclasses.

HTTP views use `get()`: the request's connection, taken from the pool on first use and given
back when the request ends (flaskr's `get_db`). Nothing is written unless the view calls
`commit()`: an error page never saves half of what a request did. The live path (viewers'
access checks, the hub's renders) runs single statements on pools of its own
(`make_statement_pool`, `run_statement`); the engine has its own pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

import psycopg
from flask import current_app, g
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool, PoolTimeout

DatabaseUnavailable = (psycopg.OperationalError, PoolTimeout)
T = TypeVar("T")


def make_pool(url: str, max_size: int = 10) -> ConnectionPool:
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        # A connection is checked before it is handed out, so a restarted database costs
        # nothing more than one failed check.
        check=ConnectionPool.check_connection,
        timeout=5.0,
        # After failed attempts the pool waits longer and longer before the next one (up to a
        # minute after a long outage): giving up after 10 s lets the next request try at once,
        # so pages work again within seconds of the database being back.
        reconnect_timeout=10.0,
        open=False,
        name="web",
    )


def make_statement_pool(url: str, max_size: int, name: str) -> ConnectionPool:
    """For work of one statement per use, where round trips count (the live path: every
    viewer's access check, every render): autocommit, so no BEGIN/COMMIT, and no check on
    checkout. A connection left broken by a restart fails its one statement: `run_statement`
    then drops every broken idle connection and tries once more."""
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True},
        timeout=5.0,
        reconnect_timeout=10.0,
        open=False,
        name=name,
    )


def run_statement(pool: ConnectionPool, work: Callable[[psycopg.Connection], T]) -> T:
    """`work(conn)` on a connection of a `make_statement_pool` pool, tried once more on a fresh
    connection when the first one turns out to be broken."""
    used: psycopg.Connection | None = None
    try:
        with pool.connection() as conn:
            used = conn
            return work(conn)
    except PoolTimeout:
        raise  # no connection to be had: the database is down, trying again would only wait
    except psycopg.OperationalError:
        if used is None or not used.broken:
            raise  # the statement failed (a timeout, a lock), not the connection
        pool.check()  # after a database restart every idle connection is stale: drop them all
        with pool.connection() as conn:
            return work(conn)


def init_app(app) -> None:
    pool = make_pool(app.config["DATABASE_URL"], app.config.get("DB_POOL_MAX", 10))
    # Do not wait at start: the app must come up (and answer 503) while the database is down.
    pool.open(wait=False)
    app.extensions["db_pool"] = pool
    app.teardown_appcontext(_give_back)


def get(timeout: float | None = None) -> psycopg.Connection:
    """This request's connection, from the pool on first use (`timeout`: seconds to wait for
    it, the pool's default when None). Once the database could not be reached, later calls in
    the same request fail at once: the 503 page does not wait a second time."""
    if "db_error" in g:
        raise g.db_error
    if "db" not in g:
        try:
            g.db = current_app.extensions["db_pool"].getconn(timeout=timeout)
        except DatabaseUnavailable as e:
            g.db_error = e
            raise
    return g.db


def unreachable() -> bool:
    """The database could not be reached earlier in this request."""
    return "db_error" in g


def commit() -> None:
    """Makes what this request wrote so far permanent."""
    if "db" in g:
        g.db.commit()


def release() -> None:
    """Gives this request's connection back before the request ends (a websocket lives long
    after its access check); a later `get()` takes one again."""
    _give_back(None)


def _give_back(exc: BaseException | None) -> None:
    conn = g.pop("db", None)
    if conn is None:
        return
    with contextlib.suppress(psycopg.Error):  # a broken connection: the pool discards it
        conn.rollback()  # whatever was not committed
    current_app.extensions["db_pool"].putconn(conn)


def advisory_xact_lock(conn, key: str) -> None:
    """Until the transaction ends, others asking for the same `key` wait here: a limit checked
    and then used cannot be overrun by requests sent at once."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))", {"key": key})


def fetch_all(conn, cls, sql: str, params=None) -> list:
    with conn.cursor(row_factory=class_row(cls)) as cur:
        return cur.execute(sql, params).fetchall()


def fetch_one(conn, cls, sql: str, params=None):
    with conn.cursor(row_factory=class_row(cls)) as cur:
        return cur.execute(sql, params).fetchone()
