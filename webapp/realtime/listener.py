"""One LISTEN connection per web process (dedicated, autocommit, never from the pool: LISTEN
does not survive a transaction-pooling proxy). Marks reports dirty in the hub; after any
reconnect it resyncs every watched report, because notifications sent meanwhile are lost.

A quiet connection is not proof of a live one: a NAT or load balancer that drops an idle flow,
or a failover without a reset, leaves the socket open and silent for hours. So the connection
has TCP keepalives and a user timeout, and after `probe_after` seconds without a word from the
server the listener asks `SELECT 1`; no answer within `probe_timeout` severs the connection,
and the loop reconnects, LISTENs and resyncs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import psycopg

log = logging.getLogger(__name__)

# Sent, with the report id as payload, by the trigger function notify_report_progress() in
# migrations/0002_core.sql.
CHANNEL = "report_progress"

# libpq applies these to TCP connections only (a Unix socket cannot go silently dead).
TCP_LIVENESS: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}


class Listener:
    def __init__(
        self,
        database_url: str,
        hub,
        max_backoff: float = 2.0,
        probe_after: float = 3.0,
        probe_timeout: float = 3.0,
        connect_timeout: int = 5,
    ):
        self.database_url = database_url
        self.hub = hub
        self.max_backoff = max_backoff
        self.probe_after = probe_after
        self.probe_timeout = probe_timeout
        self.connect_timeout = connect_timeout
        self.connects = 0
        self.notifications = 0  # received: one per committed change to a watched or unwatched report
        self.connected = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.database_url, autocommit=True, connect_timeout=self.connect_timeout, **TCP_LIVENESS
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connects += 1
                    self.connected = True
                    if self.connects > 1:
                        log.info("listener reconnected; resyncing watched reports")
                    backoff = 0.1
                    # Also on the first connect: a viewer may have subscribed before LISTEN.
                    self.hub.resync()
                    self._listen(conn)
            except psycopg.Error as e:
                log.warning("listener connection lost (%s); reconnecting in %.1f s", type(e).__name__, backoff)
            except Exception:
                log.exception("listener failed; reconnecting in %.1f s", backoff)
            self.connected = False
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _listen(self, conn: psycopg.Connection) -> None:
        heard = time.monotonic()
        while not self._stop.is_set():
            for note in conn.notifies(timeout=min(1.0, self.probe_after)):
                heard = time.monotonic()
                self._handle(note.payload)
            if time.monotonic() - heard >= self.probe_after:
                self._probe(conn)
                heard = time.monotonic()

    def _probe(self, conn: psycopg.Connection) -> None:
        """`SELECT 1`, or the connection is severed: a silent path raises no error by itself."""
        watchdog = threading.Timer(self.probe_timeout, _sever, args=(conn,))
        watchdog.start()
        try:
            conn.execute("SELECT 1")
        finally:
            watchdog.cancel()

    def _handle(self, payload: str) -> None:
        self.notifications += 1
        try:
            report_id = int(payload)
        except ValueError:
            return
        self.hub.mark_dirty(report_id)


def _sever(conn: psycopg.Connection) -> None:
    """Shuts the connection's socket down under the query waiting on it, which then fails at
    once. (Closing the connection from here would race with that query.)"""
    log.warning("listener connection did not answer within its probe timeout; dropping it")
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error):
        pass  # already gone
