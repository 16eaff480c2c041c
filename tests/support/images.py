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


# Pictures whose way up can be checked: blue paper with a red block in the top-left corner.
RED, BLUE = (220, 30, 30), (30, 60, 200)

# How a camera stores a picture that a viewer applying EXIF orientation n shows upright: the
# inverse of the turn that orientation n asks for (EXIF tag 0x0112).
_STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # shown turned 90 degrees clockwise; stored turned back
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_picture(size=(300, 400), background: Image.Image | None = None) -> Image.Image:
    picture = background.copy() if background is not None else Image.new("RGB", size, BLUE)
    width, height = picture.size
    picture.paste(RED, (0, 0, width // 4, height // 4))
    return picture


def noisy_background(size, grain: int = 500) -> Image.Image:
    """Random colour blobs: a photo's detail, which compresses about as badly (a 8,000 x 6,000
    JPEG of it weighs ~7 MB at quality 80, about what a phone makes)."""
    import os

    small = (grain, max(1, grain * size[1] // size[0]))
    noise = Image.frombytes("RGB", small, os.urandom(small[0] * small[1] * 3))
    return noise.resize(size, Image.Resampling.BICUBIC)


def encoded(picture: Image.Image, fmt: str = "JPEG", orientation: int | None = None, **options) -> bytes:
    """`picture` saved as a camera would: stored turned, with the EXIF orientation that turns it
    upright again."""
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
        if orientation in _STORED_AS:
            picture = picture.transpose(_STORED_AS[orientation])
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def colour_at(data: bytes, x: float, y: float) -> tuple[int, int, int]:
    """The colour at a point given as fractions of the width and height, as a viewer that does
    not apply EXIF orientation (a model's input) sees it."""
    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
        return rgb.getpixel((int(x * (rgb.width - 1)), int(y * (rgb.height - 1))))


def is_close(colour, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))
