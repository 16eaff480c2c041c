"""'Try it with sample receipts': a few generated receipt images with the JSON they contain."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .uploads import CheckedImage

# A font with a glyph for every character of the samples' text ("Café"): a model must be able
# to read each expected value off the image. DejaVu Sans, under its own licence beside it.
FONT = str(Path(__file__).resolve().parent.parent / "data" / "fonts" / "DejaVuSans.ttf")

SHOPS = [
    ("Corner Grocery", "12 Elm Street, Springfield"),
    ("Blue Bean Café", "4 Harbour Road, Portsmouth"),
    ("Hardware Hub", "88 Mill Lane, Leeds"),
]
ITEMS = [
    ("Milk 1L", "1.19"),
    ("Bread", "2.35"),
    ("Coffee beans", "8.90"),
    ("Croissant", "1.80"),
    ("Screws 100x", "4.25"),
    ("Apples 1kg", "2.99"),
    ("Tea", "3.10"),
    ("Hammer", "12.50"),
]
PROMPT = (
    "Extract the merchant name, date, line items (name, quantity, price), and total from this "
    "receipt as JSON with the same keys as the example. Answer with the JSON object only."
)


def _receipt(index: int) -> tuple[dict, bytes]:
    rng = random.Random(index)
    shop, address = SHOPS[index % len(SHOPS)]
    picked = [(n, rng.randint(1, 3), Decimal(p)) for n, p in rng.sample(ITEMS, 3)]
    items = [{"name": n, "quantity": q, "price": float(p)} for n, q, p in picked]
    total = sum((p * q for _, q, p in picked), Decimal(0))
    expected = {
        "merchant": {"name": shop, "address": address},
        "date": f"2026-0{index + 3}-1{index + 2}",
        "items": items,
        "total": float(total),
        "currency": "EUR" if index == 1 else "GBP",
    }
    img = Image.new("RGB", (420, 380), "white")
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(FONT, 18)
    y = 24
    for line in [shop, address, f"Date: {expected['date']}", "-" * 34]:
        draw.text((24, y), line, fill="black", font=font)
        y += 30
    for item in items:
        draw.text((24, y), f"{item['quantity']} x {item['name']}", fill="black", font=font)
        draw.text((320, y), f"{item['price']:.2f}", fill="black", font=font)
        y += 30
    draw.text((24, y + 20), "TOTAL", fill="black", font=font)
    draw.text((300, y + 20), f"{expected['currency']} {total:.2f}", fill="black", font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return expected, out.getvalue()


def sample_receipts(count: int = 3) -> list[tuple[CheckedImage, str]]:
    result = []
    for i in range(count):
        expected, data = _receipt(i)
        result.append(
            (
                CheckedImage(f"sample-receipt-{i + 1}.png", "image/png", 420, 380, data),
                json.dumps(expected, indent=2, ensure_ascii=False),
            )
        )
    return result
