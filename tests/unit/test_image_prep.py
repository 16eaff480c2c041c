"""Images as the providers want them (webapp/engine/image_prep.py), on real encoded files."""

import base64
import io
import os

import pytest
from PIL import Image

from tests.support.images import BLUE, RED, colour_at, encoded, is_close, noisy_background, png, upright_picture
from webapp.domain import SENT_IMAGE_MAX_BYTES, SENT_IMAGE_MAX_SIDE
from webapp.engine.image_prep import Unpreparable, prepare

MB = 1024 * 1024


def noise(mode: str, size) -> Image.Image:
    """Random pixels: they do not compress, the worst case for a byte limit."""
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_upright(data: bytes) -> None:
    """Red block top left, blue elsewhere, as a viewer ignoring EXIF (a model) sees it."""
    assert is_close(colour_at(data, 0.1, 0.1), RED)
    for x, y in ((0.9, 0.1), (0.1, 0.9), (0.9, 0.9), (0.5, 0.5)):
        assert is_close(colour_at(data, x, y), BLUE), (x, y)


@pytest.mark.parametrize("fmt,mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_a_small_upright_image_is_sent_byte_for_byte(fmt, mime):
    data = encoded(upright_picture((640, 480)), fmt)
    prepared = prepare(data, mime, 2048, 4 * MB)
    assert prepared.data is data
    assert (prepared.mime, prepared.width, prepared.height, prepared.changed) == (mime, 640, 480, False)


def test_an_image_exactly_at_both_limits_is_sent_as_is():
    data = encoded(upright_picture((2048, 1000)), "PNG")
    prepared = prepare(data, "image/png", 2048, len(data))
    assert prepared.data is data and not prepared.changed


def test_orientation_1_is_already_upright():
    data = encoded(upright_picture(), "JPEG", orientation=1)
    assert prepare(data, "image/jpeg", 2048, 4 * MB).data is data


def test_a_large_photo_is_downscaled_to_the_long_side_in_its_own_format():
    data = encoded(upright_picture(background=noisy_background((8000, 6000))), "JPEG", quality=80)
    assert len(data) > 4 * MB  # over the byte limit too, as a phone photo is
    prepared = prepare(data, "image/jpeg", 2048, 4 * MB)
    assert (prepared.mime, prepared.width, prepared.height, prepared.changed) == ("image/jpeg", 2048, 1536, True)
    assert opened(prepared.data).size == (2048, 1536) and opened(prepared.data).format == "JPEG"
    assert len(prepared.data) <= 4 * MB
    assert is_close(colour_at(prepared.data, 0.1, 0.1), RED)


def test_a_tall_image_is_limited_by_its_height():
    data = encoded(upright_picture((1000, 5000)), "PNG")
    prepared = prepare(data, "image/png", 2048, 4 * MB)
    assert (prepared.width, prepared.height, prepared.mime) == (410, 2048, "image/png")
    assert_upright(prepared.data)


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_every_exif_orientation_is_applied(orientation):
    data = encoded(upright_picture((300, 400)), "PNG", orientation=orientation)
    prepared = prepare(data, "image/png", 2048, 4 * MB)
    assert prepared.changed and (prepared.width, prepared.height) == (300, 400)
    assert_upright(prepared.data)
    # Not turned a second time by a viewer that does apply it.
    assert opened(prepared.data).getexif().get(0x0112) in (None, 1)


def test_a_rotated_portrait_phone_photo_comes_out_upright_and_within_the_limit():
    data = encoded(upright_picture((3000, 4000)), "JPEG", orientation=6, quality=95)
    assert opened(data).size == (4000, 3000)  # stored on its side, as the camera took it
    prepared = prepare(data, "image/jpeg", 2048, 4 * MB)
    assert (prepared.width, prepared.height, prepared.mime) == (1536, 2048, "image/jpeg")
    assert opened(prepared.data).size == (1536, 2048)
    assert_upright(prepared.data)


def test_the_rest_of_exif_is_not_sent():
    exif = Image.Exif()
    exif[0x0112] = 3
    exif[0x010F] = "Phone maker"  # Make
    out = io.BytesIO()
    upright_picture().transpose(Image.Transpose.ROTATE_180).save(out, "JPEG", exif=exif)
    prepared = prepare(out.getvalue(), "image/jpeg", 2048, 4 * MB)
    assert dict(opened(prepared.data).getexif()) == {}


def test_a_png_too_heavy_at_its_size_becomes_a_jpeg_under_the_limit():
    data = png((1200, 900), noise=True)  # ~3.2 MB: noise does not compress
    prepared = prepare(data, "image/png", 2048, 1 * MB)
    assert (prepared.mime, prepared.width, prepared.height) == ("image/jpeg", 1200, 900)
    assert len(prepared.data) <= 1 * MB


def test_a_png_that_fits_once_downscaled_stays_a_png():
    data = encoded(upright_picture((4000, 3000)), "PNG")
    prepared = prepare(data, "image/png", 1000, len(data) * 10)
    assert (prepared.mime, prepared.width, prepared.height) == ("image/png", 1000, 750)
    assert_upright(prepared.data)


def test_transparency_becomes_white_paper_in_a_jpeg():
    rgba = noise("RGBA", (1200, 900))
    rgba.paste((0, 0, 0, 0), (0, 0, 600, 900))  # left half see-through
    prepared = prepare(encoded(rgba, "PNG"), "image/png", 2048, 1 * MB)
    assert prepared.mime == "image/jpeg" and opened(prepared.data).mode == "RGB"
    assert is_close(colour_at(prepared.data, 0.2, 0.5), (255, 255, 255), tolerance=8)


def test_a_transparent_png_that_fits_keeps_its_transparency():
    rgba = Image.new("RGBA", (3000, 1000), (0, 0, 0, 0))
    prepared = prepare(encoded(rgba, "PNG"), "image/png", 1500, 4 * MB)
    assert prepared.mime == "image/png" and opened(prepared.data).mode == "RGBA"
    assert (prepared.width, prepared.height) == (1500, 500)


def test_a_webp_stays_a_webp():
    data = encoded(upright_picture((3000, 2000)), "WEBP")
    prepared = prepare(data, "image/webp", 1200, 4 * MB)
    assert (prepared.mime, prepared.width, prepared.height) == ("image/webp", 1200, 800)
    assert opened(prepared.data).format == "WEBP"


def test_a_palette_image_is_resized_smoothly_not_by_nearest_pixel():
    picture = Image.new("RGB", (4000, 100), (0, 0, 0))
    for x in range(0, 4000, 2):  # one-pixel stripes: averaged to grey, kept black by nearest
        picture.paste((255, 255, 255), (x, 0, x + 1, 100))
    data = encoded(picture.convert("P"), "PNG")
    prepared = prepare(data, "image/png", 1000, 4 * MB)
    assert is_close(colour_at(prepared.data, 0.5, 0.5), (128, 128, 128), tolerance=30)


def test_a_cmyk_jpeg_is_sent_as_rgb():
    data = encoded(Image.new("CMYK", (3000, 2000), (0, 255, 255, 0)), "JPEG")  # red ink
    prepared = prepare(data, "image/jpeg", 1500, 4 * MB)
    assert opened(prepared.data).mode == "RGB"
    assert is_close(colour_at(prepared.data, 0.5, 0.5), (255, 0, 0))


def test_when_quality_is_not_enough_the_image_is_made_smaller():
    data = encoded(noise("RGB", (2000, 2000)), "JPEG", quality=95)
    prepared = prepare(data, "image/jpeg", 2048, 200_000)
    assert len(prepared.data) <= 200_000
    assert prepared.width == prepared.height < 2000
    assert opened(prepared.data).size == (prepared.width, prepared.height)


def test_the_default_byte_limit_is_within_anthropics_limit_on_base64():
    # Anthropic measures its 5 MiB on the base64 text, which is 4/3 of the bytes.
    assert len(base64.b64encode(b"\0" * SENT_IMAGE_MAX_BYTES)) <= 5 * MB
    assert len(base64.b64encode(b"\0" * (SENT_IMAGE_MAX_BYTES + 1))) > 5 * MB
    assert SENT_IMAGE_MAX_SIDE == 2048


def test_an_undecodable_image_says_so():
    with pytest.raises(Unpreparable):
        prepare(b"\x89PNG\r\n\x1a\nnot really a png" * 100, "image/png", 2048, 100)


def test_limits_below_any_use_are_refused():
    with pytest.raises(ValueError, match="too small"):
        prepare(png(), "image/png", 0, 4 * MB)
