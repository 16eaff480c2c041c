"""The API starts, follows and reports benchmarks, and refuses what the form refuses, with the
form's very messages (the rules live once: spec.validate, check_image, the limits)."""

import json

import psycopg
import pytest
from markupsafe import escape

from tests.support.api import bearer, create_token, post_benchmark
from tests.support.images import png, truncated_png
from tests.support.new_benchmark import EXPECTED, draft_image_ids, new_page, start, upload

BAD_SCHEMA = '{"type": "object", "properties": {"total": {"type": "banana"}}}'

# name: (the fields changed, the images sent (None: the default two), the field at fault, part of its message)
REFUSED = {
    "bad prompt": ({"prompt": "too short"}, None, "prompt", "at least 20 characters"),
    "no models": ({"models": ""}, None, "models", "Choose at least one model."),
    "unknown model": ({"models": "openai/gpt-5-nano,nobody/nothing"}, None, "models", "not in the catalog"),
    "bad samples": ({"samples": "11"}, None, "samples", "from 1 to 10"),
    "bad budget": ({"budget": "-3"}, None, "budget", "from $0.01 to $7.00"),
    "budget under the estimate": (
        {"budget": "0.01", "samples": "10", "models": "openai/gpt-5-pro"},
        None,
        "budget",
        "is above the budget ceiling of $0.01",
    ),
    "bad expected JSON": ({"expected-1": '{"total": '}, None, "expected[receipt-1.png]", "not valid JSON"),
    "invalid output schema": ({"output_schema": BAD_SCHEMA}, None, "output_schema", "banana"),
    "bad image": ({}, [("receipt-1.png", truncated_png())], "images", "damaged or truncated"),
    "too many images": ({}, [(f"r{n:02}.png", png()) for n in range(11)], "images", "at most 10 images"),
}


def _form_message_page(client, changes: dict, images: list) -> str:
    """The form's answer to the same input: the start's page, or the page after the upload."""
    upload(client, *images)
    html = new_page(client)
    if len(draft_image_ids(html)) != len(images):
        return html  # an upload was refused: its message is flashed on the form
    form_changes = {k: v for k, v in changes.items() if k != "expected-1"}
    if "models" in form_changes:
        form_changes["models"] = [m for m in form_changes["models"].split(",") if m]
    if "expected-1" in changes:
        form_changes[f"expected-{draft_image_ids(html)[0]}"] = changes["expected-1"]
    return start(client, **form_changes).get_data(as_text=True)


@pytest.mark.parametrize("case", REFUSED)
def test_the_api_refuses_what_the_form_refuses_with_the_same_message(app, client, logged_in, database_url, case):
    changes, images, field, part = REFUSED[case]
    app.config["MAX_IMAGES"] = 10  # "too many images" sends 11
    images = images or [("receipt-1.png", png()), ("receipt-2.png", png(size=(32, 32)))]
    token = create_token(client)
    api_changes = {k: v for k, v in changes.items() if k != "expected-1"}
    expected = [(json.dumps(EXPECTED).encode(), name.rsplit(".", 1)[0] + ".json") for name, _ in images]
    if "expected-1" in changes:
        expected[0] = (changes["expected-1"].encode(), "receipt-1.json")
    response = post_benchmark(
        client, token, images=[(data, name) for name, data in images], expected=expected, **api_changes
    )
    assert response.status_code == 400, response.json
    problems = {e["field"]: e["message"] for e in response.json["errors"]}
    assert field in problems, problems
    message = problems[field]
    assert part in message
    assert response.json["message"] == response.json["errors"][0]["message"]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    assert str(escape(message)) in _form_message_page(client, changes, images)


def test_unstorable_text_is_refused_on_its_field(client, logged_in, database_url):
    token = create_token(client)
    response = post_benchmark(client, token, title="nul\x00here")
    assert response.status_code == 400
    assert response.json["field"] == "title" and "NUL character" in response.json["message"]


def test_an_image_without_its_json_and_a_json_without_its_image_are_named(client, logged_in):
    token = create_token(client)
    response = post_benchmark(client, token, expected=[(b"{}", "receipt-1.json"), (b"{}", "other.json")])
    assert response.status_code == 400
    assert {e["field"]: e["message"] for e in response.json["errors"]} == {
        "expected[other.json]": "other.json has no image of the same name."
    }
    response = post_benchmark(client, token, expected=[(json.dumps(EXPECTED).encode(), "receipt-1.json")])
    assert {e["field"]: e["message"] for e in response.json["errors"]} == {
        "expected[receipt-2.png]": "Enter the JSON you expect for this image."
    }


def test_a_benchmark_started_from_the_api_runs_like_one_from_the_form(client, logged_in, database_url):
    token = create_token(client)
    new_page(client)  # the user's draft in the form is left as it is
    upload(client, ("draft.png", png()))
    response = post_benchmark(client, token, title="From CI", compare_mode="relaxed")
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/api/v1/benchmarks/{body['id']}"
    assert body["status"] == "queued" and body["finished"] is False and body["simulated"] is True
    # 2 models x 2 images x 2 samples
    assert body["runs"] == {"done": 0, "total": 8, "failed": 0, "percent": 0}
    assert [m["model_id"] for m in body["models"]] == ["openai/gpt-5-nano", "google/gemini-2.5-flash"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT title, compare_mode, samples_per_image, budget_usd, estimated_cost_usd > 0 FROM reports"
        ).fetchone()
        images = conn.execute("SELECT filename, expected FROM report_images ORDER BY position").fetchall()
        starts = conn.execute("SELECT count(*) FROM throttle_attempts WHERE key LIKE 'start:%'").fetchone()[0]
    assert row == ("From CI", "relaxed", 2, 7, True)
    assert images == [("receipt-1.png", EXPECTED), ("receipt-2.png", EXPECTED)]
    assert starts == 1  # counts against the hourly limit as a start from the form does
    assert len(draft_image_ids(new_page(client))) == 1
    report = client.get(f"/api/v1/benchmarks/{body['id']}/report", headers=bearer(token))
    assert report.status_code == 200
    assert report.json["report"]["title"] == "From CI" and report.json["report"]["status"] == "queued"


def test_a_benchmark_from_the_api_is_never_a_run_again_of_the_forms_draft(client, logged_in, database_url):
    from tests.support.reports import make_report, user_id

    owner = user_id(database_url)
    original = make_report(database_url, owner, images=1)
    with psycopg.connect(database_url) as conn:  # the form's draft is a "Run again" of it
        conn.execute(
            "INSERT INTO benchmark_drafts (owner_id, rerun_of) VALUES (%s, %s)"
            " ON CONFLICT (owner_id) DO UPDATE SET rerun_of = EXCLUDED.rerun_of",
            (owner, original),
        )
    response = post_benchmark(client, create_token(client), title="From CI")
    assert response.status_code == 201
    with psycopg.connect(database_url) as conn:
        (rerun_of,) = conn.execute("SELECT rerun_of FROM reports WHERE id = %s", (response.json["id"],)).fetchone()
    assert rerun_of is None


def test_the_hourly_limit_is_the_forms(client, logged_in, app):
    app.config["MAX_BENCHMARKS_PER_HOUR"] = 1
    token = create_token(client)
    assert post_benchmark(client, token).status_code == 201
    refused = post_benchmark(client, token)
    assert refused.status_code == 429
    assert refused.json["field"] is None and "in the last hour" in refused.json["message"]


def test_unknown_api_routes_answer_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["message"].startswith("Page not found")
