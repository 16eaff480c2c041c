"""The worker says once that its database is gone, and once that it is back."""

import logging

import procrastinate.exceptions
import psycopg
import psycopg_pool

from webapp.engine.reachability import Reachability, is_unreachable


def test_one_line_per_state_change_not_per_attempt(caplog):
    clock = iter([100.0, 142.0, 143.0]).__next__
    database = Reachability(clock=clock)
    caplog.set_level(logging.INFO, logger="webapp.engine.reachability")
    for _ in range(3):
        database.failed(psycopg.OperationalError("connection refused: host=db password=secret"))
    database.answered()
    database.answered()
    assert [r.getMessage() for r in caplog.records] == [
        "database unreachable (OperationalError); waiting for it, results are kept in memory",
        "database reachable again after 42 s",
    ]
    assert "secret" not in caplog.text


def test_what_counts_as_the_database_being_unreachable():
    wrapped = procrastinate.exceptions.ConnectorException()
    wrapped.__cause__ = psycopg.OperationalError("server closed the connection")
    assert is_unreachable(wrapped)
    assert is_unreachable(psycopg_pool.PoolTimeout("no connection in 10 s"))
    assert is_unreachable(TimeoutError())
    assert not is_unreachable(psycopg.errors.UndefinedColumn("a bug"))
    assert not is_unreachable(ValueError("a bug"))
