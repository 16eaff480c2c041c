"""Real image files made on the fly for upload tests."""

import io

from PIL import Image


def image_bytes(fmt="PNG", size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def png(size=(64, 48), noise: bool = False) -> bytes:
    """A PNG; with `noise`, of random pixels, which do not compress (about 3 bytes a pixel)."""
    if not noise:
        return image_bytes("PNG", size)
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "PNG")
    return out.getvalue()


def truncated_png() -> bytes:
    # Noise does not compress, so the cut removes real pixel data.
    import os

    img = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def decompression_bomb() -> bytes:
    """A small file that decodes to 100 million pixels."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()
