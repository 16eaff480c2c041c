"""The output schema on the new-benchmark form: inferred from the expected JSON, editable,
checked, and stored with the report along with the mode each model is asked in."""

import html as html_lib
import json
import re

import psycopg

from tests.support.images import png
from tests.support.new_benchmark import draft_image_ids, fields, new_page, press, start, upload

RECEIPT = {"merchant": "Corner Grocery", "total": 12.5}


def schema_textarea(html: str) -> str:
    match = re.search(r'<textarea[^>]*name="output_schema"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no output schema field on the page"
    return html_lib.unescape(match.group(1)).strip()


def shown_value(html: str) -> str:
    match = re.search(r'<input[^>]*name="schema_shown"[^>]*value="([^"]*)"', html)
    return html_lib.unescape(match.group(1)) if match else ""


def browser_fields(html: str, **overrides) -> dict:
    """The form as a browser posts it: the schema section's fields included."""
    data = fields(html, output_schema=schema_textarea(html), schema_shown=shown_value(html))
    for image_id in draft_image_ids(html):
        data[f"expected-{image_id}"] = json.dumps(RECEIPT)
    return {**data, **overrides}


def with_image(client) -> int:
    upload(client, ("a.png", png()))
    image_id = draft_image_ids(new_page(client))[0]
    press(client, "/benchmarks/new", **{f"expected-{image_id}": json.dumps(RECEIPT)})
    return image_id


def test_the_page_shows_the_schema_inferred_from_the_expected_json(client, logged_in):
    assert "Add images with their expected JSON" in new_page(client)
    with_image(client)
    html = new_page(client)
    schema = json.loads(schema_textarea(html))
    assert schema["properties"] == {"merchant": {"type": "string"}, "total": {"type": "number"}}
    assert schema["required"] == ["merchant", "total"]
    assert "inferred from your expected JSON" in html
    assert (
        "Structured output · " in html and "JSON mode · " in html and "Prompt only · " in html
    )  # the catalog's column


def test_an_unedited_schema_follows_the_expected_json(client, logged_in):
    image_id = with_image(client)
    html = new_page(client)
    # The page posts the schema it showed; the expected JSON changed meanwhile (autosave).
    client.post(
        "/benchmarks/new/draft",
        data=browser_fields(html, **{f"expected-{image_id}": json.dumps({**RECEIPT, "paid": True})}),
    )
    schema = json.loads(schema_textarea(new_page(client)))
    assert schema["properties"]["paid"] == {"type": "boolean"}


def test_an_edited_schema_is_kept_and_stored_with_the_report(client, logged_in, database_url):
    with_image(client)
    html = new_page(client)
    edited = json.loads(schema_textarea(html))
    edited["required"] = ["total"]  # the merchant may be missing
    response = client.post("/benchmarks/new/start", data=browser_fields(html, output_schema=json.dumps(edited)))
    assert response.status_code == 303
    with psycopg.connect(database_url) as conn:
        schema, choice, modes = conn.execute(
            "SELECT output_schema, output_mode_choice, output_modes FROM reports"
        ).fetchone()
    assert schema == edited
    assert choice == "strongest"
    assert modes == {"openai/gpt-5-nano": "json_schema", "google/gemini-2.5-flash": "json_schema"}


def test_prompt_only_for_every_model_is_stored_as_chosen(client, logged_in, database_url):
    with_image(client)
    html = new_page(client)
    models = ["google/gemma-3-27b-it:free", "google/gemma-3-12b-it:free", "openai/gpt-5-nano"]
    for choice, expected in [
        ("strongest", {"google/gemma-3-27b-it:free": "json_object", "google/gemma-3-12b-it:free": "prompt"}),
        ("prompt", {"google/gemma-3-27b-it:free": "prompt", "google/gemma-3-12b-it:free": "prompt"}),
    ]:
        with_image(client)
        html = new_page(client)
        response = client.post(
            "/benchmarks/new/start", data=browser_fields(html, models=models, output_mode_choice=choice)
        )
        assert response.status_code == 303
        with psycopg.connect(database_url) as conn:
            modes = conn.execute("SELECT output_modes FROM reports ORDER BY id DESC LIMIT 1").fetchone()[0]
        assert {m: modes[m] for m in expected} == expected
        assert modes["openai/gpt-5-nano"] == ("json_schema" if choice == "strongest" else "prompt")


def test_an_invalid_schema_gets_its_message_and_nothing_starts(client, logged_in, database_url):
    with_image(client)
    html = new_page(client)
    for text, message in [
        ('{"type": "object",', "The output schema is not valid JSON"),
        ('{"type": "objekt"}', "The output schema is not a valid JSON Schema"),
        ('{"type": "array"}', "must describe an object"),
        ('{"type": "object", "description": "\\u0000"}', "The output schema contains a NUL character"),
        ('{"type": "object", "minimum": NaN}', "The output schema has NaN"),
        (
            '{"type": "object", "properties": {"total": {"x-compare": {"tolerance": -1}}}}',
            'The output schema\'s comparison rules: total: "tolerance" must be a number, 0 or more.',
        ),
    ]:
        response = client.post("/benchmarks/new/start", data=browser_fields(html, output_schema=text))
        assert response.status_code == 400
        page = html_lib.unescape(response.get_data(as_text=True))
        assert message in page, text
        assert 'aria-invalid="true"' in page[page.find('name="output_schema"') - 300 :][:600]
        assert schema_textarea(page) == text  # kept as typed
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0


def test_expected_json_that_does_not_fit_the_schema_is_pointed_out(client, logged_in):
    upload(client, ("a.png", png()), ("b.png", png((50, 40))))
    html = new_page(client)
    first, second = draft_image_ids(html)
    schema = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}
    press(
        client,
        "/benchmarks/new",
        output_schema=json.dumps(schema),
        **{f"expected-{first}": '{"total": 3}', f"expected-{second}": '{"total": "3.00"}'},
    )
    page = html_lib.unescape(new_page(client))
    assert "Some expected JSON does not satisfy this schema" in page
    assert "b.png: total: '3.00' is not of type 'number'" in page
    assert "a.png:" not in page
    # A warning, not an error: the benchmark can start.
    assert (
        start(client, output_schema=json.dumps(schema), **{f"expected-{second}": '{"total": "3.00"}'}).status_code
        == 303
    )


def test_comparison_rules_typed_into_the_schema_are_stored_with_it(client, logged_in, database_url):
    with_image(client)
    html = new_page(client)
    assert '"format": "date" compares dates as days' in html_lib.unescape(html)  # the hint says how
    schema = {
        "type": "object",
        "properties": {
            "merchant": {"type": "string", "x-compare": {"case_insensitive": True}},
            "total": {"type": "number"},
        },
    }
    response = client.post("/benchmarks/new/start", data=browser_fields(html, output_schema=json.dumps(schema)))
    assert response.status_code == 303
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT output_schema FROM reports").fetchone()[0] == schema
