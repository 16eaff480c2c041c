"""Each model asked for the output schema in its mode, by a real worker against the local
OpenAI-compatible server; a refused mode falls back once to the next weaker one."""

import asyncio
import json

import psycopg
import pytest

from tests.support.benchmarks import EXPECTED, create_benchmark, create_user, report_status, wait_for
from tests.support.fake_openai import FakeOpenAI, Response
from tests.support.live_server import LiveServer
from webapp.domain import OutputMode
from webapp.engine.json_extract import parse_lenient
from webapp.engine.providers import CallRequest, SimulatedProvider
from webapp.output_schema import infer, mismatches

SCHEMA = infer([EXPECTED])
# EXPECTED = {"merchant": "Corner Grocery", "total": 12.5, "items": [{"name": "Tea", "price": 3.1}]}
STRICT_SCHEMA = {
    "type": "object",
    "properties": {
        "merchant": {"type": "string"},
        "total": {"type": "number"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
                "required": ["name", "price"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["merchant", "total", "items"],
    "additionalProperties": False,
}
MODES = {
    "openai/gpt-5-nano": "json_schema",
    "google/gemma-3-27b-it:free": "json_object",
    "google/gemma-3-12b-it:free": "prompt",
}


@pytest.fixture
def workers(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path)
    yield server
    server.stop()


def run_on_fake(database_url, workers, fake, **benchmark) -> int:
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, provider="openai_compatible", **benchmark)
    workers.start_worker(PROVIDER_BASE_URL=fake.base_url, PROVIDER_API_KEY="sk-test", MAX_CALLS_PER_MODEL="1")
    wait_for(lambda: report_status(database_url, report_id) in ("complete", "failed"), message="report to finish")
    return report_id


def run_modes(database_url, report_id) -> dict[str, set]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT model_id, status, output_mode FROM benchmark_runs WHERE report_id = %s", (report_id,)
        ).fetchall()
    modes: dict[str, set] = {}
    for model_id, status, mode in rows:
        modes.setdefault(model_id, set()).add((status, mode))
    return modes


def test_each_model_is_asked_in_its_mode(database_url, workers):
    with FakeOpenAI() as fake:
        fake.reply_json(EXPECTED)
        report_id = run_on_fake(database_url, workers, fake, models=list(MODES), images=1, samples=1, output_mode=MODES)
    assert report_status(database_url, report_id) == "complete"
    sent = {r.body["model"]: r.body for r in fake.requests}
    assert len(fake.requests) == 3

    strict = sent["openai/gpt-5-nano"]
    assert strict["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "extraction", "strict": True, "schema": STRICT_SCHEMA},
    }
    assert [m["role"] for m in strict["messages"]] == ["user"]
    assert strict["messages"][0]["content"][0]["text"] == "Extract the receipt as JSON please."

    json_mode = sent["google/gemma-3-27b-it:free"]
    assert json_mode["response_format"] == {"type": "json_object"}
    system, user = json_mode["messages"]
    assert system["role"] == "system"
    assert json.loads(system["content"].split("\n", 1)[1]) == SCHEMA
    assert user["content"][0]["text"] == "Extract the receipt as JSON please."

    prompt_only = sent["google/gemma-3-12b-it:free"]
    assert "response_format" not in prompt_only
    prompt_text = prompt_only["messages"][0]["content"][0]["text"]
    assert prompt_text.startswith("Extract the receipt as JSON please.\n\nAnswer with one JSON object")
    assert json.loads(prompt_text.split("\n")[-1]) == SCHEMA

    assert run_modes(database_url, report_id) == {m: {("complete", mode)} for m, mode in MODES.items()}


def refuse_structured_outputs(body):
    if body.get("response_format", {}).get("type") == "json_schema":
        return Response(
            status=400, body={"error": {"message": "This model does not support response_format json_schema"}}
        )
    return json.dumps(EXPECTED)


def test_a_refused_mode_is_tried_once_in_the_next_weaker_mode(database_url, workers):
    with FakeOpenAI() as fake:
        fake.handler = refuse_structured_outputs
        report_id = run_on_fake(
            database_url, workers, fake, models=["openai/gpt-5-nano"], images=1, samples=3, output_mode=MODES
        )
    assert report_status(database_url, report_id) == "complete"
    kinds = [r.body.get("response_format", {}).get("type") for r in fake.requests]
    # One refusal, then JSON mode for that call and the model's later ones (one call at a time).
    assert kinds == ["json_schema", "json_object", "json_object", "json_object"]
    assert run_modes(database_url, report_id) == {"openai/gpt-5-nano": {("complete", "json_object")}}
    with psycopg.connect(database_url) as conn:
        (fallbacks,) = conn.execute("SELECT output_fallbacks FROM reports WHERE id = %s", (report_id,)).fetchone()
    assert fallbacks == {"openai/gpt-5-nano": "json_object"}  # what the report says


def test_a_mode_refused_again_fails_the_run_without_a_third_try(database_url, workers):
    with FakeOpenAI() as fake:
        fake.handler = lambda body: (
            Response(status=400, body={"error": {"message": "response_format is not supported"}})
            if "response_format" in body
            else json.dumps(EXPECTED)
        )
        report_id = run_on_fake(
            database_url, workers, fake, models=["openai/gpt-5-nano"], images=1, samples=2, output_mode=MODES
        )
    kinds = [r.body.get("response_format", {}).get("type") for r in fake.requests]
    # The first run: structured output refused, JSON mode refused: failed. The second starts in
    # JSON mode (refused) and falls back to the prompt once.
    assert kinds == ["json_schema", "json_object", "json_object", None]
    assert run_modes(database_url, report_id) == {
        "openai/gpt-5-nano": {("failed", "json_object"), ("complete", "prompt")}
    }


def simulated_outputs(mode: OutputMode, n: int = 400) -> list[str]:
    provider = SimulatedProvider(speed=0)
    requests = [
        CallRequest(
            report_id=1,
            model_id="google/gemma-3-12b-it:free",  # the free tier damages the most
            image_id=1,
            sample_index=i,
            prompt="Extract the receipt.",
            image_bytes=b"",
            image_mime="image/png",
            expected=EXPECTED,
            tier="free",
            output_mode=mode,
            output_schema=SCHEMA,
        )
        for i in range(n)
    ]

    async def answers():
        texts = []
        for request in requests:
            try:
                texts.append((await provider.call(request, timeout=10)).text)
            except Exception:  # simulated 502s and 429s: no answer to check
                continue
        return texts

    return asyncio.run(answers())


def test_the_simulator_held_to_a_schema_always_answers_json_that_satisfies_it():
    texts = simulated_outputs(OutputMode.JSON_SCHEMA)
    assert len(texts) > 300
    for text in texts:
        value = json.loads(text)  # bare JSON, whole
        assert mismatches(SCHEMA, value) == [], text
    assert any(json.loads(t) != EXPECTED for t in texts)  # still a model that makes mistakes


def test_the_simulator_in_json_mode_answers_bare_json_and_prompt_mode_does_not_always():
    assert all(isinstance(json.loads(t), dict) for t in simulated_outputs(OutputMode.JSON_OBJECT))
    prompt_texts = simulated_outputs(OutputMode.PROMPT)
    assert any(not parse_lenient(t).ok or mismatches(SCHEMA, parse_lenient(t).value) for t in prompt_texts)


def test_the_processing_page_shows_each_models_mode_and_its_fallback(client, logged_in, database_url):
    from tests.support.reports import user_id

    modes = {"openai/gpt-5-nano": "json_schema", "google/gemma-3-12b-it:free": "prompt"}
    report_id = create_benchmark(database_url, user_id(database_url), models=list(modes), output_mode=modes)
    response = client.get(f"/benchmarks/{report_id}/progress")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'GPT-5 Nano<small class="output-mode">Structured output</small>' in html
    assert "Prompt only</small>" in html
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """UPDATE reports SET output_fallbacks = '{"openai/gpt-5-nano": "json_object"}' WHERE id = %s""",
            (report_id,),
        )
    html = client.get(f"/benchmarks/{report_id}/processing").get_data(as_text=True)
    assert (
        '<small class="output-mode output-mode-fallback">JSON mode (structured output refused by the provider)</small>'
        in html
    )
