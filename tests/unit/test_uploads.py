import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.images import decompression_bomb, image_bytes, png, truncated_png
from webapp.benchmarks.expected_json import ExpectedJSONError, parse_expected
from webapp.benchmarks.uploads import MAX_IMAGE_BYTES, ImageRejected, check_image, clean_filename


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_accepts_jpeg_png_webp_by_content(fmt, mime):
    checked = check_image("scan.bin", image_bytes(fmt, (30, 20)))
    assert (checked.mime, checked.width, checked.height) == (mime, 30, 20)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "is empty"),
        (b"this is not an image at all", "not an image we can read"),
        (b"%PDF-1.4 fake", "not an image we can read"),
    ],
)
def test_refuses_non_images_whatever_their_name(data, message):
    with pytest.raises(ImageRejected, match=message):
        check_image("receipt.png", data)


def test_refuses_other_image_formats():
    with pytest.raises(ImageRejected, match=r"GIF.*use JPEG, PNG or WebP"):
        check_image("a.gif", image_bytes("GIF"))


def test_refuses_truncated_image():
    with pytest.raises(ImageRejected, match="damaged or truncated"):
        check_image("cut.png", truncated_png())


def test_refuses_decompression_bomb():
    with pytest.raises(ImageRejected, match="pixels"):
        check_image("bomb.png", decompression_bomb())


def test_takes_a_50_megapixel_phone_photo_and_refuses_more():
    assert check_image("phone.png", image_bytes("PNG", (8160, 6120))).width == 8160
    with pytest.raises(ImageRejected, match="8200 x 6200 pixels; at most 50 million"):
        check_image("big.png", image_bytes("PNG", (8200, 6200)))


def test_refuses_files_over_10_mb():
    data = png() + b"\0" * (MAX_IMAGE_BYTES + 1 - len(png()))
    assert len(data) == MAX_IMAGE_BYTES + 1
    with pytest.raises(
        ImageRejected, match=r"big\.png is 10,485,761 bytes; images may be at most 10 MB \(10,485,760 bytes\)"
    ):
        check_image("big.png", data)


def _photo(fmt: str, **options) -> bytes:
    """A small image with real detail (noise), saved the way cameras and editors do."""
    import io
    import os

    from PIL import Image

    img = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _exif_with_end_marker() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x927C] = b"maker note holding \xff\xd9, an end marker inside a segment"
    return exif.tobytes()


@pytest.mark.parametrize(
    "fmt, options",
    [
        ("PNG", {}),
        ("JPEG", {"quality": 90}),
        ("JPEG", {"progressive": True, "quality": 80}),
        ("JPEG", {"exif": _exif_with_end_marker()}),
        ("WEBP", {"quality": 80}),
        ("WEBP", {"lossless": True}),
    ],
)
def test_bytes_after_the_image_are_dropped_and_the_image_kept_byte_for_byte(fmt, options):
    original = _photo(fmt, **options)
    appended = b"<script>alert(1)</script>" + bytes(range(256)) * 1000
    checked = check_image("scan", original + appended)
    assert checked.data == original  # every byte of the image, and nothing after it
    assert check_image("scan", original).data == original  # and a clean file is kept as it is


def test_a_phone_photo_keeps_its_orientation_and_colour_profile():
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees": how phones store a portrait photo
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 100, 50)).save(out, "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 128)
    stored = check_image("portrait.jpg", out.getvalue()).data
    assert stored == out.getvalue()
    with Image.open(io.BytesIO(stored)) as img:
        assert img.getexif()[0x0112] == 6


def test_filenames_are_cleaned():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\me\\scan.png") == "scan.png"
    assert clean_filename("") == "image"
    assert clean_filename("a\x00b\nc.png") == "abc.png"
    assert clean_filename("\u202ereceipt 🧾.png") == "receipt 🧾.png"


@given(st.binary(max_size=2048))
@settings(max_examples=300, deadline=None)
def test_any_bytes_are_accepted_or_refused_cleanly(data):
    try:
        checked = check_image("x.png", data)
    except ImageRejected as e:
        assert str(e)
    else:
        assert checked.mime in ("image/png", "image/jpeg", "image/webp")


def test_expected_json_must_be_an_object():
    assert parse_expected('{"total": 8}') == {"total": 8}
    for text, message in [
        ("", "Enter the JSON"),
        ("{", "not valid JSON"),
        ("[1, 2]", "not an array"),
        ('"x"', "not a string"),
        ("12", "not a number"),
        ("null", "not null"),
    ]:
        with pytest.raises(ExpectedJSONError, match=message):
            parse_expected(text)


def test_expected_json_limits_depth_and_size():
    with pytest.raises(ExpectedJSONError, match="nested more than"):
        parse_expected('{"a":' * 1000 + "1" + "}" * 1000)
    with pytest.raises(ExpectedJSONError, match="characters; at most"):
        parse_expected('{"a": "' + "x" * 3_000_000 + '"}')


def test_expected_json_keeps_unicode():
    value = parse_expected('{"merchant": "\u200fمتجر 🧾", "note": "café"}')
    assert value["merchant"] == "\u200fمتجر 🧾"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_is_parsed_or_refused_cleanly(text):
    try:
        value = parse_expected(text)
    except ExpectedJSONError as e:
        assert str(e)
    else:
        assert isinstance(value, dict)
