"""Where an image file ends: the bytes a decoder reads, without whatever was appended after them.

A PNG with 10 MB after its IEND chunk, or a JPEG with a script after its end marker, decodes
like the image alone; stored as uploaded, the extra bytes would be kept and served. Cutting
at the container's own end keeps every byte of the image as it was (no re-encoding, so no
loss of quality). Each function returns the length of the image, or None when the file does
not follow its container closely enough to tell; such a file is stored as the decoder saw
it, re-encoded (see uploads.py).
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_end(data: bytes) -> int | None:
    """After the IEND chunk: signature, then chunks of length, type, data and CRC."""
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        end = at + 12 + length
        if data[at + 4 : at + 8] == b"IEND":
            return end if end <= len(data) else None
        at = end
    return None


def webp_end(data: bytes) -> int | None:
    """The RIFF container says how long it is (padded to an even length)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    (size,) = struct.unpack("<I", data[4:8])
    end = 8 + size + (size & 1)
    return end if end <= len(data) else None


def jpeg_end(data: bytes) -> int | None:
    """After the end-of-image marker (FF D9) that closes the frame: marker segments carry their
    length; entropy-coded data after a start-of-scan runs to the next marker that is not a
    stuffed byte (FF 00) or a restart (FF D0-D7). Progressive files have several scans."""
    if data[:2] != b"\xff\xd8":
        return None
    at, n = 2, len(data)
    while at + 2 <= n:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            at += 2
            continue
        if at + 4 > n:
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
        if marker == 0xDA:  # start of scan: skip its entropy-coded data
            found = _next_marker(data, at)
            if found is None:
                return None
            at = found
    return None


def _next_marker(data: bytes, at: int) -> int | None:
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # a stuffed FF, or a restart marker
            at += 2
            continue
        return at


ENDS = {"PNG": png_end, "JPEG": jpeg_end, "WEBP": webp_end}
