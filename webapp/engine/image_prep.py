"""Images as the providers want them: upright, at most `max_side` pixels on the long side and
`max_bytes` in size. An image that needs none of that is sent as uploaded, byte for byte.

Pure and CPU-bound (a 48-megapixel photo takes a second): the engine runs it in a thread, once
per image of a benchmark, and keeps the result (runner._prepare_images).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps

# What a phone photo, a scan and any provider's decoder all handle.
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_SAME_ENCODER = {"MPO": "JPEG"}  # some cameras' JPEGs, holding a second picture
_QUALITIES = (90, 80, 70, 60, 50)
# Each round that still does not fit the byte limit shrinks the image by this much.
_SHRINK = 0.75
_SMALLEST_SIDE = 16
_WHITE = (255, 255, 255)
# EXIF orientations other than 1 (upright): mirrored and/or turned by a multiple of 90 degrees.
_TURNS = range(2, 9)


@dataclass(frozen=True)
class Prepared:
    data: bytes
    mime: str
    width: int  # as sent: upright, after any downscale
    height: int
    changed: bool  # False: `data` is the upload itself


class Unpreparable(ValueError):
    """The image cannot be decoded (it was checked at upload, so this is rare)."""


def prepare(data: bytes, mime: str, max_side: int, max_bytes: int) -> Prepared:
    if max_side < _SMALLEST_SIDE or max_bytes < 1:
        raise ValueError(f"limits too small: {max_side} px, {max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data)) as img:
            orientation = img.getexif().get(ExifTags.Base.Orientation)
            turned = orientation in (5, 6, 7, 8)  # these swap width and height
            width, height = (img.height, img.width) if turned else img.size
            upright = orientation not in _TURNS
            if upright and max(width, height) <= max_side and len(data) <= max_bytes:
                return Prepared(data, mime, width, height, changed=False)
            fmt = _SAME_ENCODER.get(img.format or "", img.format)
            fmt = fmt if fmt in _FORMATS else "PNG"
            size = _fit((width, height), max_side)
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale for next to nothing: a 48-megapixel photo
            # then never needs 150 MB of memory. Never below the size it is resized to next.
            img.draft(None, (size[1], size[0]) if turned else size)
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # no copy of an upright one
            whole = _workable(img)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise Unpreparable(f"{type(e).__name__}: {e}") from None
    while True:
        image = whole if whole.size == size else whole.resize(size, Image.Resampling.LANCZOS)
        for out_fmt, encoded in _encodings(image, fmt):
            # The smallest size ends the search whatever it weighs (only an absurd limit gets there).
            if len(encoded) <= max_bytes or max(size) <= _SMALLEST_SIDE:
                return Prepared(encoded, _FORMATS[out_fmt], size[0], size[1], changed=True)
        size = _fit(size, max(_SMALLEST_SIDE, int(max(size) * _SHRINK)))


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled so that its long side is at most `max_side`, never up, never to zero."""
    width, height = size
    if max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _workable(image: Image.Image) -> Image.Image:
    """A mode that resizes well and that every encoder below takes (palettes resize only by
    nearest neighbour; 16-bit and CMYK images are not what providers expect)."""
    if image.mode in ("L", "RGB", "RGBA", "LA"):
        return image
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        return image.convert("L")
    rgb = image.convert("RGB")  # CMYK, YCbCr, LAB: their colour profile does not fit RGB
    rgb.info.pop("icc_profile", None)
    return rgb


def _encodings(image: Image.Image, fmt: str) -> Iterator[tuple[str, bytes]]:
    """Encodings of `image`, each smaller than the one before, in the upload's own format as
    long as it can fit. A PNG still too big at the size allowed is a photo or a dense scan:
    it goes as a JPEG of decreasing quality, at which printed text stays readable."""
    if fmt == "PNG":
        yield "PNG", _encode(image, "PNG")
    elif fmt == "WEBP":
        for quality in _QUALITIES:
            yield "WEBP", _encode(image, "WEBP", quality=quality)
        return
    flat = _flatten(image)
    for quality in _QUALITIES:
        yield "JPEG", _encode(flat, "JPEG", quality=quality)


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a document's see-through background becomes white paper."""
    if image.mode in ("L", "RGB"):
        return image
    rgba = image.convert("RGBA")
    paper = Image.new("RGB", image.size, _WHITE)
    paper.paste(rgba, mask=rgba.getchannel("A"))
    paper.info.update(image.info)
    return paper


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    # The colour profile keeps the colours; the rest of EXIF (orientation now applied, and a
    # phone's GPS position) is not sent.
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    image.save(out, fmt, **options)
    return out.getvalue()
