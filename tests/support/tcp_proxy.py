"""A TCP proxy for injecting network faults between two real components.

It listens on a loopback port and forwards every connection to a TCP address or a Unix socket
(the embedded PostgreSQL listens only on one). On command it can:

- `pass_through()`: forward everything (the default);
- `blackhole()`: keep every connection open but forward nothing, in either direction, and
  accept new connections without forwarding them either: no FIN, no RST, the way a NAT that
  dropped a flow or a failed-over load balancer looks to both ends. The flows open at that
  moment stay dead for good (the middlebox forgot them); connections made after
  `pass_through()` work again;
- `throttle(n)`: forward at most n bytes per second towards the client (reading the server
  only that fast, so the server's own buffers fill as they would on a slow link);
- `reset()`: abort every open connection with a RST.

Between a PostgreSQL client and server it also counts the statements clients send
(`statements`: simple queries and extended-protocol syncs, one per round trip).

Buffers on the proxy's sockets are kept small so that what it holds back stays held back.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time

PASS, BLACKHOLE, THROTTLE = "pass", "blackhole", "throttle"
BUFFER_BYTES = 4096
TICK = 0.05


class TcpProxy:
    def __init__(self, upstream: tuple[str, int] | str):
        self.upstream = upstream
        self.mode = PASS
        self.rate = 0  # bytes per second towards the client, when throttling
        self.connections = 0
        self.statements = 0  # PostgreSQL round trips sent by clients (see PgMessages)
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._dead: set[socket.socket] = set()  # sources of flows lost to a blackhole
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    # commands --------------------------------------------------------------------------------
    def pass_through(self) -> None:
        self.mode = PASS

    def blackhole(self) -> None:
        self.mode = BLACKHOLE
        with self._lock:
            self._dead.update(s for pair in self._pairs for s in pair)

    def throttle(self, bytes_per_second: int) -> None:
        self.rate, self.mode = bytes_per_second, THROTTLE

    def reset(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                _abort(s)

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        self.reset()

    # plumbing --------------------------------------------------------------------------------
    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.upstream, str):
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER_BYTES)
        server.connect(self.upstream)
        return server

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER_BYTES)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        # A blackholed path swallows new connections too: they wait here, unanswered.
        while self.mode == BLACKHOLE and not self._stopping.is_set():
            time.sleep(TICK)
        try:
            server = self._connect_upstream()
        except OSError:
            _abort(client)
            return
        with self._lock:
            self._pairs.append((client, server))
            self.connections += 1
        threading.Thread(target=self._pump, args=(client, server, False, PgMessages(self)), daemon=True).start()
        self._pump(server, client, True)

    def _pump(
        self, source: socket.socket, sink: socket.socket, towards_client: bool, observer: PgMessages | None = None
    ) -> None:
        try:
            while not self._stopping.is_set():
                if self.mode == BLACKHOLE or source in self._dead:
                    time.sleep(TICK)
                    continue
                budget = BUFFER_BYTES
                if towards_client and self.mode == THROTTLE:
                    budget = max(1, int(self.rate * TICK))
                if not select.select([source], [], [], TICK)[0]:
                    continue
                data = source.recv(budget)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
                if observer is not None:
                    observer.feed(data)
                if towards_client and self.mode == THROTTLE:
                    time.sleep(len(data) / self.rate)
        except (OSError, ValueError):  # ValueError: the other direction closed this socket
            _abort(sink)


def _abort(s: socket.socket) -> None:
    """Close with a RST (linger 0), not a FIN."""
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        s.close()


class PgMessages:
    """Reads one connection's client-to-server PostgreSQL stream and counts its statements on
    the proxy: a simple query ('Q') or an extended-protocol sync ('S') is one round trip. The
    first messages (SSL/GSS requests, then the startup message) have no type byte."""

    UNTYPED_REQUESTS = (80877103, 80877104)  # SSLRequest, GSSENCRequest

    def __init__(self, proxy: TcpProxy):
        self.proxy = proxy
        self.buffer = b""
        self.started = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if not self.started:
                if len(self.buffer) < 8:
                    return
                length, code = struct.unpack("!ii", self.buffer[:8])
                if len(self.buffer) < length:
                    return
                self.buffer = self.buffer[length:]
                self.started = code not in self.UNTYPED_REQUESTS
                continue
            if len(self.buffer) < 5:
                return
            kind, length = self.buffer[:1], struct.unpack("!i", self.buffer[1:5])[0]
            if len(self.buffer) < 1 + length:
                return
            self.buffer = self.buffer[1 + length :]
            if kind in (b"Q", b"S"):
                with self.proxy._lock:
                    self.proxy.statements += 1
