"""A viewer's websocket made safe: one writer, a send deadline, and no buffering of client data.

flask-sock hands the live handler a simple-websocket connection whose reader greenlet answers
pings and close frames on the very socket the handler writes progress frames to. Two writers
on one socket interleave bytes (a ping inside a text frame) and, under gevent, two greenlets
waiting to write one socket crash. The reader also queues every message a client sends until
someone reads it: a flood grows the process without bound. `adopt(ws)` fixes both in place:

- every write, the reader's included, goes through one `SocketWriter`: one lock, a deadline,
  and progress frames queued whole or not at all, so a viewer dropped for being too slow has
  only intact frames queued, followed by the close frame;
- the first message a client sends closes its socket with 1003: the page never sends anything.
  The reader is held (`HeldReader`) until then, so not one byte is read before.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import select
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gevent.socket import socket as GeventSocket
from simple_websocket import ConnectionClosed
from wsproto.events import CloseConnection, Message, Ping, Pong
from wsproto.utilities import LocalProtocolError

log = logging.getLogger(__name__)

UNSUPPORTED_DATA = 1003
# Bytes a viewer may have waiting in the kernel before another progress frame is queued. A
# viewer whose queue does not drain within the send timeout is dropped: it would only see
# states that are ever more out of date. The kernel's buffer is sized to hold twice as much,
# so the close frame that drops it always fits behind the frames already queued.
QUEUE_LIMIT = 32 * 1024
ROOM_POLL_SECONDS = 0.02
LINGER_SECONDS, LINGER_BYTES = 1.0, 256 * 1024


class SendTimeout(OSError):
    """A write that could not finish in time. An OSError, so the library's reader treats it as
    a lost connection."""


class SocketWriter:
    """Stands in for the socket the library holds: reads pass through, every write takes the
    one lock and must finish before its deadline."""

    def __init__(self, sock, timeout: float):
        self._sock = sock
        self.timeout = timeout
        self.broken = False  # a write stopped in the middle: no frame may follow it
        self.sent_seq = -1  # the newest snapshot written to this socket
        self._rest: memoryview | None = None  # of a frame `offer` could write only in part
        self._send_now = _sender(sock)
        self._lock = threading.Lock()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2 * QUEUE_LIMIT)

    # what the library calls -----------------------------------------------------------------
    def send(self, data) -> int:
        self.write(data)
        return len(data)

    sendall = send

    def recv(self, n: int) -> bytes:
        return self._sock.recv(n)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        """When the reader ends first (the client closed, or sent a message): the close frame is
        followed by a FIN, and what the client still sends is read and dropped for a moment.
        Closing with unread data would send a RST, which can destroy the close frame before the
        client reads it. (When the handler ends first, the web server closes the socket itself;
        a client that loses the close frame sees 1006, which the page retries too.)"""
        try:
            self._sock.shutdown(socket.SHUT_WR)
            deadline, dropped = time.monotonic() + LINGER_SECONDS, 0
            while dropped < LINGER_BYTES:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not _ready(self._sock, select.POLLIN, remaining):
                    break
                chunk = self._sock.recv(4096)
                if not chunk:
                    break
                dropped += len(chunk)
        except (OSError, ValueError):
            pass  # already closed
        finally:
            self._sock.close()

    # writes ---------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        deadline = time.monotonic() + self.timeout
        with self._locked(deadline):
            self._write(data, deadline)

    def write_snapshot(self, snapshot) -> None:
        """From the viewer's handler: queues the snapshot's whole frame, or nothing at all if
        there is no room for it in time; nothing if this or a newer one was sent already."""
        deadline = time.monotonic() + self.timeout
        with self._locked(deadline):
            self._finish_rest(deadline)
            if snapshot.seq <= self.sent_seq:
                return
            self._wait_for_room(len(snapshot.frame), deadline)
            self._write(snapshot.frame, deadline)
            self.sent_seq = snapshot.seq

    def offer(self, snapshot) -> bool:
        """From the hub's fan-out pass: writes the snapshot's frame now if nothing else is
        writing, the viewer's queue has room and the socket takes it without waiting (one
        system call). False: nothing more to do here, the viewer's handler is woken to finish
        (the rest of a frame taken in part) or to send the newest snapshot with its deadline."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if snapshot.seq <= self.sent_seq:
                return True
            frame = snapshot.frame
            if self.broken or self._rest is not None:
                return False
            queued = _queued_bytes(self._sock)
            if queued and queued + len(frame) > QUEUE_LIMIT:
                return False
            sent = self._send_now(frame)
            self.sent_seq = snapshot.seq
            if sent < len(frame):
                self._rest = memoryview(frame)[sent:]
                return False
            return True
        except OSError:  # BlockingIOError: no room after all; or the socket is gone
            return False
        finally:
            self._lock.release()

    @contextmanager
    def _locked(self, deadline: float) -> Iterator[None]:
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise SendTimeout("another write to this socket did not finish in time")
        try:
            yield
        finally:
            self._lock.release()

    def _wait_for_room(self, size: int, deadline: float) -> None:
        while True:
            queued = _queued_bytes(self._sock)
            if queued is None or queued == 0 or queued + size <= QUEUE_LIMIT:
                return
            if time.monotonic() >= deadline:
                raise SendTimeout(f"{queued} bytes still queued for this viewer")
            time.sleep(ROOM_POLL_SECONDS)

    def _write(self, data: bytes, deadline: float) -> None:
        if self.broken:
            raise SendTimeout("an earlier write stopped mid-frame")
        if self._sock.fileno() < 0:
            raise OSError("the socket is closed")  # by the reader, when the client left
        self._finish_rest(deadline)
        self._send_all(memoryview(data), deadline, started=True)

    def _finish_rest(self, deadline: float) -> None:
        """The end of a frame `offer` began comes before anything else."""
        if self._rest is not None:
            rest, self._rest = self._rest, None
            self._send_all(rest, deadline, started=False)

    def _send_all(self, view: memoryview, deadline: float, started: bool) -> None:
        """`started`: `view` is a whole frame (a timeout before its first byte leaves the
        socket usable); else the end of one already begun."""
        whole = len(view)
        while view:
            try:  # most writes fit at once: no readiness wait, one system call
                view = view[self._send_now(view) :]
                continue
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _ready(self._sock, select.POLLOUT, remaining):
                self.broken = not started or len(view) < whole
                raise SendTimeout("the viewer's socket did not take the frame in time")


def _sender(sock) -> Callable[[memoryview], int]:
    """A send that never waits for room. gevent's socket waits on EAGAIN unless told
    `timeout=0`; a plain socket takes MSG_DONTWAIT."""
    if isinstance(sock, GeventSocket):
        return functools.partial(sock.send, timeout=0.0)
    return lambda view: sock.send(view, socket.MSG_DONTWAIT)


def _ready(sock, event: int, timeout: float) -> bool:
    """Whether `sock` becomes readable or writable (`event`) within `timeout` seconds. With
    poll, not select: select refuses descriptors past 1023, and a process holding thousands of
    viewers has them (gevent patches poll too)."""
    poller = select.poll()
    try:
        poller.register(sock, event)
    except (ValueError, OSError):  # the reader closed the socket meanwhile
        raise OSError("the socket is closed") from None
    return bool(poller.poll(timeout * 1000))


def _queued_bytes(sock) -> int | None:
    """Bytes written to the socket that the client has not acknowledged yet (Linux SIOCOUTQ,
    which shares TIOCOUTQ's number); None where the system cannot tell."""
    fd = sock.fileno()
    if fd < 0:
        raise OSError("the socket is closed")
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except OSError:
        return None


class HeldReader(threading.Thread):
    """simple-websocket's `thread_class`: its reader starts only when `adopt` releases it.
    Started at once, a reader that finds data waiting never yields (a gevent socket with data
    answers without blocking): a client flooding from its first byte would be read, and
    queued, before the handler ever ran."""

    def start(self) -> None:
        pass  # called by simple-websocket at the end of the handshake

    def release(self) -> None:
        super().start()


def adopt(ws, send_timeout: float) -> SocketWriter:
    """Routes every write of flask-sock's connection `ws` through one SocketWriter, makes its
    reader refuse client messages instead of queueing them, then starts that reader (held
    until now by HeldReader). Returns the writer."""
    writer = SocketWriter(ws.sock, send_timeout)
    ws.sock = writer
    ws._handle_events = lambda: _handle_events(ws)  # called by the library's reader per read
    ws.thread.release()
    return writer


def _handle_events(ws) -> bool:
    """The library's event handling, minus the input queue. False ends the reader."""
    try:
        for event in ws.ws.events():
            if isinstance(event, Ping):
                ws.sock.send(ws.ws.send(event.response()))
            elif isinstance(event, Pong):
                ws.pong_received = True
            elif isinstance(event, CloseConnection):
                ws.sock.send(ws.ws.send(event.response()))
                ws.close_reason, ws.close_message = event.code, event.reason
                return _ended(ws)
            elif isinstance(event, Message):
                ws.close(reason=UNSUPPORTED_DATA, message="This socket does not take messages")
                return _ended(ws)
    except (LocalProtocolError, ConnectionClosed):  # a bad frame; or the handler closed first
        return _ended(ws)
    return True


def _ended(ws) -> bool:
    ws.connected = False
    ws.event.set()
    return False
