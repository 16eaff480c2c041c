"""The new-benchmark form through Flask's test client, as a browser posts it: every button
posts the whole form to its own route."""

from __future__ import annotations

import io
import json
import re

from tests.support.forms import csrf_token

EXPECTED = {"merchant": "Corner Grocery", "total": 12.5}
PROMPT = "Extract the merchant and the total of this receipt as JSON."


def fields(page_html: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(page_html),
        "title": "Receipts",
        "prompt": PROMPT,
        "compare_mode": "strict",
        "samples": "2",
        "priorities": "accuracy-cost-speed",
        "budget": "7",
        "models": ["openai/gpt-5-nano", "google/gemini-2.5-flash"],
    }
    data.update(overrides)
    return data


def new_page(client) -> str:
    response = client.get("/benchmarks/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def draft_image_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="expected-(\d+)"', html)]


def upload(client, *files: tuple[str, bytes], **overrides):
    """The "Upload images" button."""
    data = fields(new_page(client), **overrides)
    data["images"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/benchmarks/new/images", data=data, content_type="multipart/form-data")


def start(client, **overrides):
    """The "Start benchmark" button, with the expected JSON of every image filled in."""
    html = new_page(client)
    data = fields(html, **overrides)
    for image_id in draft_image_ids(html):
        data.setdefault(f"expected-{image_id}", json.dumps(EXPECTED))
    return client.post("/benchmarks/new/start", data=data)


def press(client, route: str, **overrides):
    """Any other button of the form: the whole form posted to `route`."""
    return client.post(route, data=fields(new_page(client), **overrides))


def upload_dataset(client, content: bytes, name: str = "dataset.zip", **overrides):
    """The "Upload ZIP" button."""
    data = fields(new_page(client), **overrides)
    data["dataset"] = (io.BytesIO(content), name)
    return client.post("/benchmarks/new/dataset", data=data, content_type="multipart/form-data")
