""" "Run again": the new-benchmark form filled from a report, the images pointing at the bytes
already stored (counted in blobs and bytes), a draft in progress replaced only when confirmed."""

import json

import psycopg

from tests.support.forms import csrf_token
from tests.support.images import png
from tests.support.new_benchmark import draft_image_ids, fields, new_page, upload
from tests.support.reports import make_report, share_token, user_id

SCHEMA = {
    "type": "object",
    "properties": {"merchant": {"type": "string"}, "total": {"type": "number"}},
    "required": ["merchant"],
}


def stored(url, owner_id):
    """(blobs, bytes) of the owner's stored images, and what the quota counts."""
    with psycopg.connect(url) as conn:
        blobs, size = conn.execute(
            "SELECT count(*), coalesce(sum(octet_length(data)), 0) FROM image_blobs WHERE owner_id = %s", (owner_id,)
        ).fetchone()
    from webapp.benchmarks.queries import owner_usage

    with psycopg.connect(url) as conn:
        return blobs, size, owner_usage(conn, owner_id).image_bytes


def blob_ids(url, table, where, value):
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(f"SELECT blob_id FROM {table} WHERE {where} = %s ORDER BY id", (value,))]


def run_again(client, token, **extra):
    html = client.get(f"/r/{token}").get_data(as_text=True)
    return client.post(f"/r/{token}/run-again", data={"csrf_token": csrf_token(html), **extra})


def test_run_again_fills_the_form_with_everything_and_stores_no_image_twice(client, logged_in, database_url):
    owner = user_id(database_url)
    original = make_report(
        database_url,
        owner,
        images=2,
        samples=2,
        budget="4.5",
        prompt="Read the receipt and answer with its JSON only.",
        output_schema=SCHEMA,
        output_mode="prompt",
    )
    token = share_token(database_url, original)
    before = stored(database_url, owner)
    assert before[0] == 2 and before[1] == before[2] > 0

    response = run_again(client, token)
    assert response.status_code == 303 and response.headers["Location"].endswith("/benchmarks/new")
    html = new_page(client)
    assert "The form holds the 2 images, expected JSON, prompt and settings of “Test benchmark”" in html
    assert 'value="Test benchmark (again)"' in html
    assert "Read the receipt and answer with its JSON only.</textarea>" in html
    assert 'name="samples" step="1" type="number" value="2"' in html
    assert 'name="budget" type="text" value="4.50"' in html
    for model in ("openai/gpt-5-nano", "google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5"):
        assert f'name="models" value="{model}" checked' in html
    assert 'checked id="output_mode_choice-1" name="output_mode_choice" type="radio" value="prompt"' in html
    assert "&#34;required&#34;: [" in html  # the schema the report used (edited), not the inferred one
    assert len(draft_image_ids(html)) == 2
    with psycopg.connect(database_url) as conn:
        texts = [r[0] for r in conn.execute("SELECT expected_text FROM draft_images ORDER BY id")]
    assert [json.loads(t) for t in texts] == [
        {"merchant": "Corner Grocery", "total": 12.5, "items": [{"name": "Tea", "price": 3.1}]}
    ] * 2
    # The draft points at the report's stored images: nothing was stored again.
    assert blob_ids(database_url, "draft_images", "owner_id", owner) == blob_ids(
        database_url, "report_images", "report_id", original
    )
    assert stored(database_url, owner) == before

    # Change the models and the prompt, then start.
    data = fields(html, title="Test benchmark (again)", prompt="A second prompt: the receipt as JSON, nothing else.")
    data.update(samples="2", budget="4.50", models=["openai/gpt-5-mini"], output_mode_choice="prompt")
    data.update({f"expected-{i}": t for i, t in zip(draft_image_ids(html), texts, strict=True)})
    response = client.post("/benchmarks/new/start", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with psycopg.connect(database_url) as conn:
        again, prompt, models, rerun_of = conn.execute(
            "SELECT id, prompt, model_ids, rerun_of FROM reports WHERE id <> %s", (original,)
        ).fetchone()
    assert (prompt, models, rerun_of) == (
        "A second prompt: the receipt as JSON, nothing else.",
        ["openai/gpt-5-mini"],
        original,
    )
    assert blob_ids(database_url, "report_images", "report_id", again) == blob_ids(
        database_url, "report_images", "report_id", original
    )
    assert stored(database_url, owner) == before

    # The new report links to the comparison with the original.
    html = client.get(f"/r/{share_token(database_url, again)}").get_data(as_text=True)
    assert f'href="/compare?a={token}&amp;b={share_token(database_url, again)}">Compare with the original</a>' in html


def test_a_draft_in_progress_is_replaced_only_when_the_owner_confirms(client, logged_in, database_url):
    owner = user_id(database_url)
    token = share_token(database_url, make_report(database_url, owner, images=2))
    upload(client, ("mine.png", png((90, 70))))
    response = run_again(client, token)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Replace your draft?" in page and "with 1 image" in page
    assert len(draft_image_ids(new_page(client))) == 1  # untouched
    blobs = stored(database_url, owner)[0]
    assert blobs == 3

    response = client.post(
        f"/r/{token}/run-again", data={"csrf_token": csrf_token(page), "replace": "yes"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "mine.png" not in html and len(draft_image_ids(html)) == 2
    assert stored(database_url, owner)[0] == 2  # the replaced draft's own image went with it


def test_deleting_a_report_keeps_the_images_another_one_shows(client, logged_in, database_url):
    owner = user_id(database_url)
    first = make_report(database_url, owner, images=2)
    second = make_report(database_url, owner, images=3)  # the same two images, and a third
    assert stored(database_url, owner)[0] == 3
    for report, blobs_left in ((first, 3), (second, 0)):
        token = share_token(database_url, report)
        html = client.get(f"/r/{token}/delete").get_data(as_text=True)
        assert client.post(f"/r/{token}/delete", data={"csrf_token": csrf_token(html)}).status_code == 303
        blobs, size, quota = stored(database_url, owner)
        assert blobs == blobs_left and size == quota


def test_an_image_already_stored_takes_no_more_of_the_quota(app, client, logged_in, database_url):
    owner = user_id(database_url)
    make_report(database_url, owner, images=1)  # receipt-0.png: png((40, 30))
    _, size, _ = stored(database_url, owner)
    app.config["MAX_IMAGE_MB_PER_USER"] = size / 1_000_000  # full
    upload(client, ("other.png", png((41, 31))), ("same.png", png((40, 30))))
    html = new_page(client)
    assert "other.png was not added: your images take" in html
    assert "same.png" in html and len(draft_image_ids(html)) == 1
    assert stored(database_url, owner)[0] == 1
