"""A websocket viewer on a plain socket, for what browsers and websocket libraries hide.

It reads at a chosen rate, or not at all, with a small receive buffer so that the server feels
exactly that; it checks every frame it gets for integrity (whole, unfragmented, unmasked, a
known opcode, text that is one whole progress update); and it records when each state arrived
and how the server closed. It can also send messages, to play a rude client.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import socket
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DONE = re.compile(r'class="done-count">(\d+)<')
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


@dataclass
class Frame:
    opcode: int
    payload: bytes
    received_at: float


@dataclass
class RawViewer:
    base_url: str
    path: str
    session: str | None = None
    origin: str | None = None
    receive_buffer: int = 4096
    frames: list[Frame] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    close_code: int | None = None
    eof: bool = False  # the server hung up (after a close frame, or without one)

    def connect(self, port: int | None = None) -> RawViewer:
        """Opens the socket and does the handshake; `port` reaches the server through a proxy."""
        url = urlsplit(self.base_url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        self.sock.settimeout(15)
        self.sock.connect((url.hostname, port or url.port))
        key = base64.b64encode(os.urandom(16)).decode()
        cookie = f"Cookie: vb_session={self.session}\r\n" if self.session else ""
        self.sock.sendall(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {self.origin or self.base_url}\r\n{cookie}\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the server closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"no upgrade: {head[:80]!r}")
        self._buffer = b""
        return self

    # reading ---------------------------------------------------------------------------------
    def read(self, seconds: float, rate: int | None = None, until_close: bool = True) -> None:
        """Reads for up to `seconds` (at most `rate` bytes a second when given), answering pings."""
        deadline = time.monotonic() + seconds
        chunk = 1024 if rate else 65536
        while time.monotonic() < deadline and not self.eof:
            self.sock.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
            try:
                data = self.sock.recv(chunk)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                self.eof = True
                break
            self._buffer += data
            self._parse()
            if until_close and self.close_code is not None:
                break
            if rate:
                time.sleep(len(data) / rate)

    def _parse(self) -> None:
        while True:
            frame, used = _split_frame(self._buffer)
            if frame is None:
                return
            self._buffer = self._buffer[used:]
            self._check(frame)

    def _check(self, frame: tuple[int, int, bool, bytes]) -> None:
        first, opcode, masked, payload = frame
        n = len(self.frames)
        if first & 0x80 == 0 or first & 0x70:
            self.errors.append(f"frame {n}: fragmented or reserved bits set ({first:#x})")
        if masked:
            self.errors.append(f"frame {n}: masked by the server")
        if opcode not in (TEXT, CLOSE, PING, PONG):
            self.errors.append(f"frame {n}: unexpected opcode {opcode}")
        self.frames.append(Frame(opcode, payload, time.monotonic()))
        if opcode == TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                self.errors.append(f"frame {n}: text is not UTF-8")
                return
            if not (text.lstrip().startswith('<section id="progress"') and DONE.search(text)):
                self.errors.append(f"frame {n}: not one whole progress update: {text[:60]!r}")
        elif opcode == CLOSE:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        elif opcode == PING:
            self._send(PONG, payload)

    # results ---------------------------------------------------------------------------------
    def states(self) -> list[tuple[int, float]]:
        """(done count, received at) for every progress update received."""
        out = []
        for frame in self.frames:
            if frame.opcode == TEXT:
                match = DONE.search(frame.payload.decode("utf-8", "replace"))
                if match:
                    out.append((int(match.group(1)), frame.received_at))
        return out

    def last_done(self) -> int | None:
        states = self.states()
        return states[-1][0] if states else None

    # writing ---------------------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        self._send(TEXT, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        body = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big") if n else b""
        self.sock.sendall(header + mask + body)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _split_frame(buffer: bytes):
    """((first byte, opcode, masked, payload), bytes used) or (None, 0) while incomplete."""
    if len(buffer) < 2:
        return None, 0
    first, second = buffer[0], buffer[1]
    n, at = second & 0x7F, 2
    if n == 126:
        if len(buffer) < 4:
            return None, 0
        n, at = struct.unpack("!H", buffer[2:4])[0], 4
    elif n == 127:
        if len(buffer) < 10:
            return None, 0
        n, at = struct.unpack("!Q", buffer[2:10])[0], 10
    masked = bool(second & 0x80)
    if masked:
        at += 4
    if len(buffer) < at + n:
        return None, 0
    return (first, first & 0x0F, masked, buffer[at : at + n]), at + n
