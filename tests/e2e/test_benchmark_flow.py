"""A new user creates a benchmark in Chromium and it runs to the report, simulated and against
a local OpenAI-compatible server."""

import json
import re

import psycopg
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, NewBenchmarkPage, ProcessingPage, SignupPage
from tests.support.fake_openai import FakeOpenAI
from tests.support.images import png
from tests.support.live_server import LiveServer

MODELS = ["GPT-5 Nano", "Gemini 2.0 Flash", "GPT-4.1 Nano", "Claude Haiku 4.5", "Gemini 2.5 Pro"]
EXPECTED = {
    "merchant": "Corner Grocery",
    "date": "2026-03-14",
    "total": 12.5,
    "items": [{"name": "Tea", "price": 3.1}, {"name": "Bread", "price": 9.4}],
}


def create_benchmark(page, base_url, tmp_path) -> NewBenchmarkPage:
    SignupPage(page, base_url).open().sign_up("new.user@example.com", "correct horse battery")
    Dashboard(page).expect_loaded()
    page.get_by_role("button", name="Start your first benchmark").click()
    form = NewBenchmarkPage(page, base_url)
    files = []
    for i in range(3):
        path = tmp_path / f"receipt-{i + 1}.png"
        path.write_bytes(png((300 + i, 400)))
        files.append(path)
    form.add_images(files)
    for path in files:
        form.expect_json(path.name, json.dumps(EXPECTED, indent=2))
    page.get_by_label("Samples per image").fill("2")
    for name in MODELS:
        form.choose_model(name)
    # The estimate follows the picks without a reload: 3 images x 2 samples x 5 models.
    expect(form.estimate()).to_contain_text("for 30 runs")
    return form


def assert_every_run_scored(database_url: str, report_id: int) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """SELECT status, field_accuracy, total_fields, raw_output, model_id
                               FROM benchmark_runs WHERE report_id = %s""",
            (report_id,),
        ).fetchall()
        (status,) = conn.execute("SELECT status FROM reports WHERE id = %s", (report_id,)).fetchone()
    assert status == "complete"
    assert len(rows) == 30 and len({r[4] for r in rows}) == 5
    for run_status, accuracy, total_fields, raw, _ in rows:
        assert run_status in ("complete", "failed")
        if run_status == "complete":
            assert accuracy is not None and 0 <= accuracy <= 1 and total_fields >= 7 and raw is not None
    return rows


def test_simulated_benchmark_from_form_to_report(page, live_server, database_url, tmp_path):
    form = create_benchmark(page, live_server.url, tmp_path)
    page.reload()  # the page shows the schema inferred from the expected JSON just typed
    page.get_by_text("Output schema").click()
    schema = json.loads(page.get_by_label("JSON Schema").input_value())
    assert schema["required"] == ["merchant", "date", "total", "items"]
    assert schema["properties"]["items"]["items"]["properties"]["price"] == {"type": "number"}
    form.start()
    processing = ProcessingPage(page).expect_loaded()
    expect(page.get_by_role("heading", name="Your benchmark is running…")).to_be_visible()
    # Each model in the strongest mode the catalog says it supports.
    expect(page.locator("#progress tbody th").first).to_contain_text("Structured output")
    expect(page.locator(".processing-header .badge-simulated")).to_have_text("Simulated")
    live_server.start_worker(SIMULATED_SPEED="0.02")
    expect(page).to_have_url(re.compile(r"/r/[\w-]+$"), timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("^Use "))).to_be_visible()  # the recommendation
    expect(page.get_by_role("heading", name=re.compile("^Most accurate"))).to_be_visible()
    expect(page.locator("table.ranking tbody tr")).to_have_count(5)
    assert_every_run_scored(database_url, processing.report_id)


@pytest.fixture
def fake_provider():
    with FakeOpenAI() as fake:

        def answer(body):
            # Most models read the receipt right; one gets the total wrong, inside a code fence.
            if body["model"] == "google/gemini-2.0-flash-001":
                return "```json\n" + json.dumps({**EXPECTED, "total": 21.5}) + "\n```"
            return EXPECTED

        fake.handler = answer
        yield fake


@pytest.fixture
def openai_server(database_url, tmp_path, fake_provider):
    server = LiveServer(
        database_url,
        tmp_path,
        {
            "PROVIDER": "openai_compatible",
            "PROVIDER_BASE_URL": fake_provider.base_url,
            "PROVIDER_API_KEY": "sk-test-e2e-secret",
        },
    ).start()
    yield server
    server.stop()


def test_benchmark_against_an_openai_compatible_server(page, openai_server, fake_provider, database_url, tmp_path):
    create_benchmark(page, openai_server.url, tmp_path).start()
    processing = ProcessingPage(page).expect_loaded()
    expect(page.locator(".processing-header .badge-simulated")).to_have_count(0)
    openai_server.start_worker()
    expect(page).to_have_url(re.compile(r"/r/[\w-]+$"), timeout=60_000)
    rows = assert_every_run_scored(database_url, processing.report_id)
    by_model = {}
    for status, accuracy, _, _, model_id in rows:
        by_model.setdefault(model_id, set()).add((status, accuracy))
    assert by_model["openai/gpt-5-nano"] == {("complete", 1.0)}
    assert by_model["google/gemini-2.0-flash-001"] == {("complete", 6 / 7)}
    assert len(fake_provider.requests) == 30
    request = fake_provider.requests[0]
    assert request.headers["authorization"] == "Bearer sk-test-e2e-secret"
    content = request.body["messages"][-1]["content"]
    texts = [part.get("text", "") for part in content if part.get("type") == "text"]
    images = [part["image_url"]["url"] for part in content if part.get("type") == "image_url"]
    assert any("Extract the data" in t for t in texts)
    assert images and images[0].startswith("data:image/png;base64,")
    assert "sk-test-e2e-secret" not in (tmp_path / "server.log").read_text()
