"""One LISTEN connection per web process (dedicated, autocommit, never from the pool: LISTEN
does not survive a transaction-pooling proxy). Marks reports dirty in the hub; after any
reconnect it resyncs every watched report, because notifications sent meanwhile are lost."""
from __future__ import annotations

import logging
import threading
import time

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "report_progress"


class Listener:
    def __init__(self, database_url: str, hub, max_backoff: float = 2.0):
        self.database_url = database_url
        self.hub = hub
        self.max_backoff = max_backoff
        self.connects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listener", daemon=True)

    def start(self) -> "Listener":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connects += 1
                    if self.connects > 1:
                        log.info("listener reconnected; resyncing watched reports")
                    backoff = 0.1
                    # Also on the first connect: a viewer may have subscribed before LISTEN.
                    self.hub.resync()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._handle(note.payload)
                        # notifies() returning also proves the connection is alive.
            except psycopg.Error as e:
                log.warning("listener connection lost (%s); reconnecting in %.1f s", type(e).__name__, backoff)
            except Exception:
                log.exception("listener failed; reconnecting in %.1f s", backoff)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _handle(self, payload: str) -> None:
        try:
            report_id = int(payload)
        except ValueError:
            return
        self.hub.mark_dirty(report_id)
