"""Whether this worker process can reach its database, as its connections last found it.

Every piece of the worker that talks to the database reports here (the engine's writes, the
heartbeat, the job queue's loop); the log gets one line when the database stops answering and
one when it answers again, never one per attempt: an outage of minutes would otherwise bury
the log in retries.
"""

from __future__ import annotations

import logging
import time

import psycopg

log = logging.getLogger(__name__)

# What "the database cannot be reached" looks like from psycopg and its pools (PoolTimeout is
# an OperationalError too), and from our own deadlines on a silent network: worth waiting out.
# Anything else is a bug and is raised.
UNREACHABLE = (psycopg.OperationalError, TimeoutError)


def is_unreachable(error: BaseException | None) -> bool:
    """True for a connection failure, also when a library wrapped it (procrastinate does)."""
    while error is not None:
        if isinstance(error, UNREACHABLE):
            return True
        error = error.__cause__
    return False


class Reachability:
    def __init__(self, clock=time.time):
        self.clock = clock
        self.up = True
        self.down_since: float | None = None
        self.last_answer: float | None = None  # wall clock of the last successful round trip
        self.last_error = ""

    def answered(self) -> None:
        self.last_answer = self.clock()
        if not self.up and self.down_since is not None:
            log.warning("database reachable again after %.0f s", self.last_answer - self.down_since)
            self.up, self.down_since = True, None

    def failed(self, error: BaseException) -> None:
        # The error's class only: its text may carry the connection string.
        self.last_error = type(_first_unreachable(error)).__name__
        if self.up:
            self.up, self.down_since = False, self.clock()
            log.warning("database unreachable (%s); waiting for it, results are kept in memory", self.last_error)


def _first_unreachable(error: BaseException) -> BaseException:
    """The connection failure itself, under whatever a library wrapped it in."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UNREACHABLE):
            return cause
        cause = cause.__cause__
    return error


class _LibraryOutageNoise(logging.Filter):
    """Drops what procrastinate logs, with a traceback, each time the database fails one of
    its loops: Reachability has already said it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("procrastinate") or not record.exc_info:
            return True
        return not is_unreachable(record.exc_info[1])


def quiet_library_retries() -> None:
    """One line per state change, not one per attempt: psycopg's pools warn on every failed
    connection attempt, procrastinate logs a traceback for every loop the outage stops."""
    logging.getLogger("psycopg").setLevel(logging.ERROR)  # its pool, and cancelled queries
    for handler in logging.getLogger().handlers:
        handler.addFilter(_LibraryOutageNoise())
