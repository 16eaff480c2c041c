"""The sample receipts show every character of the JSON they expect: a model can read them."""

import json

from PIL import Image, ImageDraw, ImageFont

from webapp.benchmarks.samples import FONT, sample_receipts

MISSING = "\ue000"  # a private-use character: no font draws it, so it shows the missing-glyph box


def bitmap(font, char: str) -> bytes:
    image = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(image).text((8, 8), char, font=font, fill=255)
    return image.tobytes()


def draws(font, char: str) -> bool:
    """The font has its own glyph for `char` (not the missing-glyph box)."""
    return char.isspace() or bitmap(font, char) != bitmap(font, MISSING)


def strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def test_every_character_of_every_expected_string_has_a_glyph():
    font = ImageFont.truetype(FONT, 18)
    texts = [s for _, expected in sample_receipts() for s in strings(json.loads(expected))]
    assert any("é" in t for t in texts)  # "Blue Bean Café": the case that was drawn as a box
    missing = {c for t in texts for c in t if not draws(font, c)}
    assert missing == set()


def test_the_check_tells_a_drawn_character_from_a_box():
    font = ImageFont.load_default(size=18)  # the font the samples used before: no "é"
    assert draws(font, "e") and not draws(font, "é")
