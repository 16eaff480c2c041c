"""Websocket text frames built once per snapshot and written as they are to every viewer.

With thousands of viewers of one report, framing the same HTML once per socket (what
`ws.send` does) is a large share of the fan-out's CPU; the bytes of a frame from server to
client do not depend on the socket (RFC 6455 section 5.2: no mask, FIN set, opcode 1).
"""

from __future__ import annotations

import struct

FIN_TEXT = 0x81


def text_frame(text: str) -> bytes:
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", FIN_TEXT, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", FIN_TEXT, 126, n)
    else:
        header = struct.pack("!BBQ", FIN_TEXT, 127, n)
    return header + payload


# A ping with no payload (opcode 9, FIN set): the handler's keepalive, answered by a pong.
PING_FRAME = bytes([0x89, 0x00])
