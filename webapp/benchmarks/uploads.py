"""Checking uploaded images by decoding them, never by their name or declared type."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app, has_app_context
from PIL import Image, UnidentifiedImageError

from .image_end import ENDS

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# A 50-megapixel phone photo (8,160 x 6,120) and any scan; far below a decompression bomb.
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGES = 100  # the default of the MAX_IMAGES setting
MAX_FILENAME = 200
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageRejected(ValueError):
    """str(e) is a message for the user."""


@dataclass(frozen=True)
class CheckedImage:
    filename: str
    mime: str
    width: int
    height: int
    data: bytes


def max_images() -> int:
    """Images one benchmark may hold: the MAX_IMAGES setting."""
    return int(current_app.config.get("MAX_IMAGES", MAX_IMAGES)) if has_app_context() else MAX_IMAGES


def clean_filename(name: str | None) -> str:
    name = (name or "image").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "image"
    return name[:MAX_FILENAME]


def _without_trailing_bytes(img: Image.Image, fmt: str, data: bytes) -> bytes:
    """The image's own bytes; anything appended after its end is dropped (it would be stored
    and served). A file whose end cannot be found is re-encoded from what was decoded."""
    end = ENDS[fmt](data)
    if end is not None:
        return data[:end]
    out = io.BytesIO()
    options: dict[str, dict[str, object]] = {"JPEG": {"quality": "keep"}, "WEBP": {"lossless": True}}
    img.save(out, fmt, **options.get(fmt, {}))
    return out.getvalue()


def check_image(filename: str | None, data: bytes) -> CheckedImage:
    name = clean_filename(filename)
    if not data:
        raise ImageRejected(f"{name} is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"{name} is {len(data):,} bytes; images may be at most 10 MB ({MAX_IMAGE_BYTES:,} bytes).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                if fmt not in FORMATS:
                    raise ImageRejected(f"{name} is a {fmt or 'unknown'} image; use JPEG, PNG or WebP.")
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageRejected(
                        f"{name} is {width} x {height} pixels; at most "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels are allowed."
                    )
                img.load()  # decodes every pixel: catches truncated and corrupt files
                data = _without_trailing_bytes(img, fmt, data)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(f"{name} has too many pixels to be a document image.") from None
    except UnidentifiedImageError:
        raise ImageRejected(f"{name} is not an image we can read; use JPEG, PNG or WebP.") from None
    except (OSError, ValueError, SyntaxError):
        raise ImageRejected(f"{name} is damaged or truncated and cannot be decoded.") from None
    return CheckedImage(name, FORMATS[fmt], width, height, data)
