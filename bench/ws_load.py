"""A cheap websocket load generator for the live endpoint: thousands of viewers from one process.

    client = LoadClient(server.url, sign_up(server.url, "bench@example.com"), reconnect=True)
    viewers = [Viewer(report_id) for _ in range(10_000)]
    print((await client.connect_all(viewers)).summary())
    ...  # viewer.seen fills with (done count, time.time()) as snapshots arrive
    await client.close_all()

Each viewer is one asyncio.Protocol on a plain TCP connection (no websocket library): the
handshake, the frame parsing, the pongs and the close replies all happen in `data_received`,
so an open viewer costs no task, only its protocol object and a read buffer. A text frame is
scanned for the done count and for nothing else. No compression is offered.

Close codes from the server (webapp/realtime/views.py): 1000 finished (the final state), 1008
refused, 1011 server error, 1012 server restarting, 1013 try again later. With
`reconnect=True` every close but 1000, every drop and every failed attempt is retried after
the page's own delay (webapp/static/live.js), until `close_all()`.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import errno
import hashlib
import os
import random
import re
import struct
import time
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from bench.common import raise_open_files_limit

DONE = re.compile(rb'class="done-count">(\d+)<')

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NO_STATUS = 1005  # a close frame without a code (RFC 6455 section 7.4.1)
FINISHED = 1000
GOING_AWAY = 1001
MAX_FRAME = 64 * 1024 * 1024  # a frame announcing more is a broken stream, not a snapshot
MAX_HEAD = 64 * 1024
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# Frames ---------------------------------------------------------------------------------------


def parse_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Every complete message at the start of `buffer`, as (opcode, payload), removed from it;
    an incomplete frame stays for the next read. Control frames (close, ping, pong) come as they
    are; a message fragmented into continuation frames comes whole once its last fragment is in.
    Raises ValueError on a frame no server would send (announcing more than MAX_FRAME bytes)."""
    frames, used = _parse(buffer)
    if used:
        del buffer[:used]
    return frames


def _parse(data: bytes | bytearray) -> tuple[list[tuple[int, bytes]], int]:
    """parse_frames without the consuming: the frames and how many bytes they took."""
    frames: list[tuple[int, bytes]] = []
    pos = 0
    while True:
        frame = _frame_at(data, pos)
        if frame is None:
            return frames, pos
        fin, opcode, payload, end = frame
        if fin or opcode >= CLOSE:  # control frames are never fragmented
            frames.append((opcode, payload))
            pos = end
            continue
        # The first fragment of a message: it is returned only once the last one is in, with the
        # control frames sent between its fragments before it.
        parts, controls, scan = [payload], [], end
        while (frame := _frame_at(data, scan)) is not None:
            fin, next_opcode, payload, scan = frame
            if next_opcode >= CLOSE:
                controls.append((next_opcode, payload))
                continue
            parts.append(payload)
            if fin:
                break
        else:
            return frames, pos
        frames += controls
        frames.append((opcode, b"".join(parts)))
        pos = scan


def _frame_at(data: bytes | bytearray, pos: int) -> tuple[bool, int, bytes, int] | None:
    """(fin, opcode, payload, end) of the frame at `pos`, or None if it is not all there yet."""
    if len(data) - pos < 2:
        return None
    first, second = data[pos], data[pos + 1]
    length, start = second & 0x7F, pos + 2
    if length == 126:
        if len(data) < pos + 4:
            return None
        (length,) = struct.unpack_from("!H", data, pos + 2)
        start = pos + 4
    elif length == 127:
        if len(data) < pos + 10:
            return None
        (length,) = struct.unpack_from("!Q", data, pos + 2)
        start = pos + 10
    if length > MAX_FRAME:
        raise ValueError(f"a frame of {length:,} bytes")
    masked = second & 0x80  # servers do not mask; tolerated all the same
    end = start + (4 if masked else 0) + length
    if len(data) < end:
        return None
    if masked:
        payload = _unmask(bytes(data[start + 4 : end]), bytes(data[start : start + 4]))
    else:
        payload = bytes(data[start:end])
    return bool(first & 0x80), first & 0x0F, payload, end


def _unmask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def masked_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A final client frame: masked with a fresh 4-byte key, as RFC 6455 requires of clients."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = os.urandom(4)
    return header + key + _unmask(payload, key)  # masking and unmasking are the same XOR


def accept_key(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept a server must answer to Sec-WebSocket-Key `key`."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


# Viewers --------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Viewer:
    """One watcher of one report. Compared and hashed by identity."""

    report_id: int
    seen: list[tuple[int, float]] = field(default_factory=list)  # (done count, time.time() received)
    close_code: int | None = None  # last close code received
    error: str | None = None  # why the last connect attempt failed, or why the connection dropped
    connects: int = 0  # successful upgrades
    attempts: int = 0  # connect attempts
    _protocol: _ViewerProtocol | None = field(default=None, repr=False)  # while upgraded and open
    _failures: int = field(default=0, repr=False)  # consecutive, for the reconnect delay

    @property
    def last(self) -> int | None:
        """The last done count seen."""
        return self.seen[-1][0] if self.seen else None

    @property
    def connected(self) -> bool:
        """Upgraded, and no close frame or drop since."""
        return self._protocol is not None


@dataclass
class ConnectResult:
    connected: int  # viewers that got their first snapshot
    failed: int
    reasons: collections.Counter[str]  # failure reason -> viewers
    seconds: float
    retries: int = 0  # attempts after a first failed one (reconnect=True only)

    def summary(self) -> str:
        text = f"{self.connected:,} of {self.connected + self.failed:,} connected in {self.seconds:.1f} s"
        if self.retries:
            text += f" ({self.retries:,} retried attempts)"
        if self.failed:
            text += "; failed: " + ", ".join(f"{n:,} {reason}" for reason, n in self.reasons.most_common())
        return text


class _Round:
    """The bookkeeping of one connect_all: who got a first snapshot, who failed and why."""

    def __init__(self, viewers: list[Viewer], retrying: bool):
        self.viewers = viewers
        self.pending = set(viewers)  # neither connected nor (without retries) failed yet
        self.ok: set[Viewer] = set()
        self.reasons: dict[Viewer, str] = {}  # the last failure of each viewer not connected
        self.retrying = retrying
        self.attempts_before = sum(v.attempts for v in viewers)
        self.settled = asyncio.Event()
        self._check()

    def connected(self, viewer: Viewer) -> None:
        if viewer in self.pending:
            self.pending.discard(viewer)
            self.ok.add(viewer)
            self.reasons.pop(viewer, None)
            self._check()

    def failed(self, viewer: Viewer, reason: str) -> None:
        if viewer in self.pending:
            self.reasons[viewer] = reason
            if not self.retrying:
                self.pending.discard(viewer)
                self._check()

    def _check(self) -> None:
        if not self.pending:
            self.settled.set()

    def result(self, seconds: float) -> ConnectResult:
        failed = [v for v in self.viewers if v not in self.ok]
        reasons = collections.Counter(self.reasons.get(v, "no snapshot by the deadline") for v in failed)
        retries = sum(v.attempts for v in self.viewers) - self.attempts_before - len(self.viewers)
        return ConnectResult(len(self.viewers) - len(failed), len(failed), reasons, seconds, max(0, retries))


class _ViewerProtocol(asyncio.Protocol):
    """One viewer's connection, from the handshake to the close. `outcome` is resolved at the
    first snapshot (None) or at the failure before it ((reason, detail))."""

    __slots__ = (
        "buffer",
        "client",
        "close_sent",
        "closed_code",
        "key",
        "outcome",
        "snapshot",
        "transport",
        "upgraded",
        "viewer",
    )

    def __init__(self, client: LoadClient, viewer: Viewer, outcome: asyncio.Future):
        self.client, self.viewer, self.outcome = client, viewer, outcome
        self.transport = cast(asyncio.Transport, None)  # set by connection_made, before any other call
        self.buffer = bytearray()
        self.key = base64.b64encode(os.urandom(16))
        self.upgraded = self.snapshot = self.close_sent = False
        self.closed_code: int | None = None  # the code of the close frame received, if any

    # asyncio callbacks ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.client._open.add(self)
        self.transport.write(self.client._request(self.viewer.report_id, self.key))

    def data_received(self, data: bytes) -> None:
        if self.closed_code is not None:
            return
        try:
            if not self.upgraded:
                self._handshake(data)
            elif self.buffer:
                self.buffer += data
                self._frames(parse_frames(self.buffer))
            else:  # the usual case: whole frames in this read, no copy into the buffer
                frames, used = _parse(data)
                if used < len(data):
                    self.buffer += data[used:]
                self._frames(frames)
        except ValueError as e:
            self._fail("bad frame", f"bad frame: {e}")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.viewer._protocol is self:
            self.viewer._protocol = None
        self.client._open.discard(self)
        self.client._lost(self, exc)

    # the handshake ----------------------------------------------------------------------------
    def _handshake(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._fail("bad handshake answer", "handshake answer without an end")
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            self._fail(f"HTTP {status[1] if len(status) > 1 else '?'}", lines[0][:200])
            return
        headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines[1:])}
        if headers.get("sec-websocket-accept", "").encode() != accept_key(self.key):
            self._fail("bad Sec-WebSocket-Accept", "bad Sec-WebSocket-Accept")
            return
        viewer = self.viewer
        self.upgraded = True
        viewer.connects += 1
        viewer._failures = 0
        viewer.error = None
        viewer._protocol = self
        if self.buffer:
            self._frames(parse_frames(self.buffer))

    def _fail(self, reason: str, detail: str) -> None:
        """A failure on this connection that the server did not announce with a close frame."""
        if not self.outcome.done():
            self.outcome.set_result((reason, detail))
        else:
            self.viewer.error = detail
        if self.viewer._protocol is self:
            self.viewer._protocol = None
        self.transport.abort()

    # frames -----------------------------------------------------------------------------------
    def _frames(self, frames: list[tuple[int, bytes]]) -> None:
        if not frames:
            return
        now = time.time()
        viewer = self.viewer
        for opcode, payload in frames:
            if opcode in (TEXT, BINARY, CONTINUATION):
                match = DONE.search(payload)
                if match:
                    viewer.seen.append((int(match.group(1)), now))
                    if not self.snapshot:
                        self.snapshot = True
                        if not self.outcome.done():
                            self.outcome.set_result(None)
                        self.client._first_snapshot(viewer)
            elif opcode == PING:
                self.transport.write(masked_frame(PONG, payload))
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else NO_STATUS
                self.closed_code = viewer.close_code = code
                self.close(payload[:2])
                return

    def close(self, code: bytes = struct.pack("!H", GOING_AWAY)) -> None:
        """A masked close frame with `code` (when upgraded), then the transport is closed."""
        if self.viewer._protocol is self:
            self.viewer._protocol = None
        if self.upgraded and not self.close_sent and not self.transport.is_closing():
            self.close_sent = True
            self.transport.write(masked_frame(CLOSE, code))
        self.transport.close()


# The client -----------------------------------------------------------------------------------


class LoadClient:
    """Viewers of `base_url`'s live endpoint, logged in with `cookies`. One per event loop."""

    def __init__(
        self, base_url: str, cookies: dict[str, str], *, reconnect: bool = False, connect_timeout: float = 30.0
    ):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"a plain http:// base URL is needed, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.reconnect, self.connect_timeout = reconnect, connect_timeout
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self._head = (
            f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://{parts.netloc}\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else "")
        ).encode()
        self.open_files = raise_open_files_limit()
        self._open: set[_ViewerProtocol] = set()  # every connection made and not lost yet
        self._timers: dict[Viewer, asyncio.TimerHandle] = {}  # reconnect waits
        self._tasks: set[asyncio.Task] = set()  # reconnect attempts in flight
        self._round: _Round | None = None
        self._closing = False

    def cpu_seconds(self) -> float:
        """This process's CPU time so far (user + system, every thread)."""
        return time.process_time()

    async def connect_all(self, viewers: list[Viewer], *, batch: int = 500, deadline: float = 180.0) -> ConnectResult:
        """Connect every viewer, at most `batch` handshakes in flight at once; returns when each has either
        received its first snapshot or failed, or when `deadline` seconds have passed.

        A handshake stays in flight until its first snapshot, or its failure. With reconnect=False
        each viewer gets one attempt. With reconnect=True a failed attempt is retried after the
        page's delay until the deadline, and every viewer not connected by then keeps trying in
        the background (until close_all); its last failure is its reason here."""
        if self._round is not None:
            raise RuntimeError("one connect_all at a time")
        self._closing = False
        started = time.monotonic()
        self._round = round_ = _Round(viewers, self.reconnect)
        todo = iter(viewers)
        untried: list[Viewer] = []

        async def handshakes() -> None:
            for viewer in todo:  # one iterator shared by every worker
                await self._attempt(viewer)

        workers = [asyncio.create_task(handshakes()) for _ in range(max(1, min(batch, len(viewers))))]
        try:
            async with asyncio.timeout(deadline):
                await asyncio.gather(*workers)
                await round_.settled.wait()
        except TimeoutError:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            untried = list(todo)
        finally:
            self._round = None
        for viewer in untried:
            round_.reasons[viewer] = "not tried by the deadline"
            if self.reconnect:
                self._schedule(viewer)
        return round_.result(time.monotonic() - started)

    async def close_all(self, timeout: float = 5.0) -> None:
        """Stops every reconnect, sends every open viewer a close frame (1001), and waits up to
        `timeout` seconds for the connections to end (the rest are aborted)."""
        self._closing = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for protocol in list(self._open):
            protocol.close()
        until = time.monotonic() + timeout
        while self._open and time.monotonic() < until:
            await asyncio.sleep(0.05)
        for protocol in list(self._open):
            protocol.transport.abort()
        await asyncio.sleep(0)  # let the aborts' connection_lost run

    # one attempt ------------------------------------------------------------------------------
    async def _attempt(self, viewer: Viewer) -> str | None:
        """Connect, upgrade, and wait for the first snapshot. None when it came, else the
        reason of the failure (recorded, and retried when reconnecting)."""
        loop = asyncio.get_running_loop()
        viewer.attempts += 1
        outcome = loop.create_future()
        protocol: _ViewerProtocol | None = None
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _ViewerProtocol(self, viewer, outcome), self.host, self.port
                )
                failure = await outcome
        except TimeoutError:
            failure = ("timeout", f"no snapshot within {self.connect_timeout:g} s")
        except OSError as e:
            failure = (_os_reason(e), f"{_os_reason(e)}: {e.strerror or e}")
        except asyncio.CancelledError:
            if protocol is not None and protocol.snapshot:
                raise  # connected after all: the connection lives on
            if protocol is not None and not outcome.done():
                outcome.cancel()
                protocol.transport.abort()
            self._schedule(viewer)  # unless closing, or not reconnecting
            raise
        if protocol is not None and protocol.snapshot:
            return None  # the snapshot came as the timeout struck
        if failure is None:
            return None
        if protocol is not None and not protocol.transport.is_closing():
            protocol.transport.abort()  # timed out on an open connection
        reason, viewer.error = failure
        if self._round is not None:
            self._round.failed(viewer, reason)
        self._schedule(viewer)
        return reason

    def _request(self, report_id: int, key: bytes) -> bytes:
        return (
            f"GET /benchmarks/{report_id}/live HTTP/1.1\r\n".encode()
            + self._head
            + b"Sec-WebSocket-Key: "
            + key
            + b"\r\n\r\n"
        )

    # callbacks from the protocols -------------------------------------------------------------
    def _first_snapshot(self, viewer: Viewer) -> None:
        if self._round is not None:
            self._round.connected(viewer)

    def _lost(self, protocol: _ViewerProtocol, exc: Exception | None) -> None:
        viewer = protocol.viewer
        if not protocol.snapshot:  # before the first snapshot the attempt reports the failure
            if not protocol.outcome.done():
                how = type(exc).__name__ if exc else "EOF"
                if not protocol.upgraded:
                    reason = f"dropped during the handshake ({how})"
                elif protocol.closed_code is not None:
                    reason = f"closed {protocol.closed_code} before a snapshot"
                else:
                    reason = f"dropped before a snapshot ({how})"
                protocol.outcome.set_result((reason, reason))
            return
        if protocol.closed_code is not None:
            viewer.error = None if protocol.closed_code == FINISHED else f"closed {protocol.closed_code}"
        elif not protocol.close_sent and not self._closing and viewer.error is None:
            viewer.error = f"dropped ({type(exc).__name__ if exc else 'EOF'}, no close frame)"
        if protocol.closed_code != FINISHED:
            self._schedule(viewer)

    # reconnecting -----------------------------------------------------------------------------
    def _schedule(self, viewer: Viewer) -> None:
        """The page's delay (webapp/static/live.js): base = min(5 s, 250 ms * 2**failures), then
        a random wait between base/2 and base; failures count from the last successful upgrade."""
        if not self.reconnect or self._closing or viewer in self._timers:
            return
        base = min(5000, 250 * 2 ** min(viewer._failures, 10))
        viewer._failures += 1
        delay = (base / 2 + random.random() * base / 2) / 1000
        self._timers[viewer] = asyncio.get_running_loop().call_later(delay, self._retry, viewer)

    def _retry(self, viewer: Viewer) -> None:
        self._timers.pop(viewer, None)
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._attempt(viewer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _os_reason(e: OSError) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "refused (ECONNREFUSED)"
    name = errno.errorcode.get(e.errno or 0, type(e).__name__)
    if e.errno == errno.EMFILE:
        return "out of file descriptors (EMFILE)"
    if e.errno == errno.EADDRNOTAVAIL:
        return "no free local port (EADDRNOTAVAIL)"
    return f"connect error ({name})"
