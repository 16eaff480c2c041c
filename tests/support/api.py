"""Personal API tokens made through the account page, and benchmarks posted to the API, with
Flask's test client."""

from __future__ import annotations

import io
import json
import re

from tests.support.forms import csrf_token
from tests.support.images import png
from tests.support.new_benchmark import EXPECTED, PROMPT

NEW_TOKEN = re.compile(r'id="new-token" type="text" value="(vb_[^"]+)"')
MODELS = "openai/gpt-5-nano,google/gemini-2.5-flash"


def create_token(client, name: str = "CI") -> str:
    """A token made on the account page (the client is logged in), as its owner copies it."""
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(page), "name": name})
    assert response.status_code == 201
    match = NEW_TOKEN.search(response.get_data(as_text=True))
    assert match, "the new token is not shown"
    return match.group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def benchmark_fields(**overrides) -> dict:
    """A valid benchmark: two images with their expected JSON, two models; `None` drops a field."""
    data: dict = {
        "prompt": PROMPT,
        "models": MODELS,
        "samples": "2",
        "budget": "7",
        "images": [(png(), "receipt-1.png"), (png(size=(32, 32)), "receipt-2.png")],
        "expected": [
            (json.dumps(EXPECTED).encode(), "receipt-1.json"),
            (json.dumps(EXPECTED).encode(), "receipt-2.json"),
        ],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_benchmark(client, token: str, **overrides):
    data = benchmark_fields(**overrides)
    for name in ("images", "expected"):
        data[name] = [(io.BytesIO(content), filename) for content, filename in data.get(name, [])]
    return client.post("/api/v1/benchmarks", data=data, headers=bearer(token), content_type="multipart/form-data")
