"""What preparing an image for the models costs (webapp/engine/image_prep.py): time and peak
memory of one `prepare` with the default limits, per kind of upload.

    ./bench/run images

Each case runs in a fresh process, so that its peak memory is its own.
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

from bench.common import fmt, median, record, table
from tests.support.images import encoded, noisy_background, upright_picture
from webapp.domain import SENT_IMAGE_MAX_BYTES, SENT_IMAGE_MAX_SIDE
from webapp.engine.image_prep import prepare

REPEATS = 3


def cases() -> list[tuple[str, str, bytes]]:
    return [
        (
            "48 MP phone photo, JPEG",
            "image/jpeg",
            encoded(upright_picture(background=noisy_background((8000, 6000))), "JPEG", quality=80),
        ),
        (
            "12 MP portrait, EXIF-rotated JPEG",
            "image/jpeg",
            encoded(upright_picture(background=noisy_background((3000, 4000))), "JPEG", orientation=6, quality=90),
        ),
        (
            "24 MP scan, PNG",
            "image/png",
            encoded(upright_picture(background=noisy_background((4000, 6000), grain=20)), "PNG"),
        ),
        ("24 MP photo, WebP", "image/webp", encoded(noisy_background((6000, 4000)), "WEBP", quality=80)),
        ("2 MP scan within the limits, PNG", "image/png", encoded(upright_picture((1200, 1600)), "PNG")),
    ]


def _peak_kb() -> int:
    """This process's peak resident memory (Linux). Not ru_maxrss: a child inherits its
    parent's peak in that one, across exec too."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def _measure(path: str, mime: str, results) -> None:
    data = Path(path).read_bytes()
    before = _peak_kb()
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        prepared = prepare(data, mime, SENT_IMAGE_MAX_SIDE, SENT_IMAGE_MAX_BYTES)
        seconds.append(time.perf_counter() - started)
    peak_mb = (_peak_kb() - before) / 1024
    results.put((median(seconds), peak_mb, prepared.width, prepared.height, prepared.mime, len(prepared.data)))


def main() -> int:
    ctx = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, mime, data in cases():
            print(f"… {name}", file=sys.stderr)
            path = Path(folder) / "upload"
            path.write_bytes(data)
            results = ctx.Queue()
            child = ctx.Process(target=_measure, args=(str(path), mime, results))
            child.start()
            seconds, peak_mb, width, height, sent_mime, sent_bytes = results.get(timeout=300)
            child.join()
            rows.append(
                [
                    name,
                    fmt(len(data) / 1e6, " MB"),
                    f"{width:,} x {height:,} {sent_mime.split('/')[1].upper()}",
                    fmt(sent_bytes / 1e6, " MB", 2),
                    fmt(seconds * 1000, " ms", 0),
                    fmt(peak_mb, " MB", 0),
                ]
            )
    record(
        f"Preparing an image for the models (long side {SENT_IMAGE_MAX_SIDE:,} px, {SENT_IMAGE_MAX_BYTES:,} bytes)",
        table(["Upload", "Size", "Sent", "Sent size", "Time (median of 3)", "Peak memory added"], rows),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
