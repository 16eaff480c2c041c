"""Live progress: Postgres NOTIFY -> one listener per process -> hub -> websocket viewers.

`init_app(app)` registers the websocket route and keeps this process's `LiveUpdates` in
`app.extensions["realtime"]`: its hub and listener start with the first viewer, so a process
that never serves one (a test app, a CLI command) never opens the listener's connection.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..db import make_statement_pool

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from .hub import Hub
    from .listener import Listener


class LiveUpdates:
    """The process's hub, its listener, the renderer they share, and the pool of viewers'
    access checks (one autocommit statement each; the hub's renders have a connection of
    their own)."""

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()
        self._sockets_by_user: Counter[int] = Counter()
        self._pool: ConnectionPool | None = None
        self.hub: Hub | None = None
        self.listener: Listener | None = None

    @property
    def pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                config = self._app.config
                self._pool = make_statement_pool(config["DATABASE_URL"], config["LIVE_DB_POOL_MAX"], "live")
                self._pool.open(wait=False)
            return self._pool

    def hub_for_viewers(self) -> Hub:
        with self._lock:
            if self.hub is None:
                from .hub import Hub
                from .listener import Listener
                from .render import make_renderer

                config = self._app.config
                # The hub renders from one thread: one connection of its own, so that a storm
                # of access checks never holds its renders back.
                pool = make_statement_pool(config["DATABASE_URL"], 1, "live-render")
                pool.open(wait=False)
                self.hub = Hub(make_renderer(self._app, pool), renders_per_second=config["LIVE_RENDERS_PER_SECOND"])
                # LISTEN needs a session of its own: a direct connection (or a session-mode pooler).
                self.listener = Listener(config.get("LISTEN_DATABASE_URL") or config["DATABASE_URL"], self.hub).start()
            return self.hub

    @contextmanager
    def socket_slot(self, user_id: int, limit: int) -> Iterator[bool]:
        """Whether this user may open one more live socket in this process (True: one is held
        until the block ends). One session once opened thousands to a single report."""
        with self._lock:
            allowed = self._sockets_by_user[user_id] < limit
            if allowed:
                self._sockets_by_user[user_id] += 1
        try:
            yield allowed
        finally:
            if allowed:
                with self._lock:
                    self._sockets_by_user[user_id] -= 1
                    if not self._sockets_by_user[user_id]:
                        del self._sockets_by_user[user_id]

    def status(self) -> dict | None:
        """For /healthz: None until the first viewer started the hub (no user data)."""
        if self.hub is None or self.listener is None:
            return None
        return {
            "listener": "up" if self.listener.connected else "down",
            "hub_viewers": self.hub.viewer_count(),
            "hub_reports": self.hub.report_count(),
            "hub_renders": self.hub.renders,
            "hub_queries": self.hub.queries,
            "hub_render_interval_ms": round(self.hub.interval() * 1000),
            "notifications": self.listener.notifications,
        }

    def shutdown(self) -> None:
        """On server shutdown: viewers are closed with 1012 so that browsers reconnect at once."""
        if self.listener is not None:
            self.listener.stop()
        if self.hub is not None:
            self.hub.shutdown()


def init_app(app) -> None:
    from .compression import NoWebsocketCompression
    from .viewer_socket import HeldReader
    from .views import bp, sock

    # No pings from the library's reader: the live handler sends them (views.py); and the
    # reader starts only once the handler has made the socket safe (viewer_socket.py).
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": None, "max_message_size": 4096, "thread_class": HeldReader}
    app.extensions["realtime"] = LiveUpdates(app)
    app.register_blueprint(bp)
    sock.init_app(app)
    app.wsgi_app = NoWebsocketCompression(app.wsgi_app)
