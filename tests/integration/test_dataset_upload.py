"""A dataset as one ZIP through the real app and database: all of it becomes the draft, or none
of it and every problem listed; and the draft's or report's dataset downloads as the same ZIP."""

import io
import json
import re
import zipfile

import psycopg
import pytest

from tests.support.datasets import receipts, zip_of
from tests.support.forms import AuthActions
from tests.support.images import png
from tests.support.new_benchmark import draft_image_ids, fields, new_page, upload_dataset

GOOD = '{"total": 12.5}'


def draft_rows(database_url) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT d.filename, d.expected_text, b.data FROM draft_images d"
            " JOIN image_blobs b ON b.id = d.blob_id ORDER BY d.id"
        ).fetchall()


def test_a_zip_of_30_receipts_becomes_a_draft_of_30_images_with_their_expected_json(client, logged_in, database_url):
    files = receipts(30)
    response = upload_dataset(client, zip_of(files), "receipts.zip")
    assert response.status_code == 303
    html = new_page(client)
    assert "Added 30 images with their expected JSON." in html
    assert len(draft_image_ids(html)) == 30
    rows = draft_rows(database_url)
    assert [r[0] for r in rows] == [f"sample-receipt-{i}.png" for i in range(1, 31)]
    assert [r[1] for r in rows] == [files[f"sample-receipt-{i}.json"] for i in range(1, 31)]
    assert [bytes(r[2]) for r in rows] == [files[f"sample-receipt-{i}.png"] for i in range(1, 31)]


def test_a_zip_with_any_problem_stores_nothing_and_lists_each_problem(client, logged_in, database_url):
    files = {
        **receipts(2),
        "no-label.png": png(),
        "broken.png": png(),
        "broken.json": '{"total": }',
        "fake.png": b"not an image",
        "fake.json": GOOD,
    }
    response = upload_dataset(client, zip_of(files), "mine.zip")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing from mine.zip was added: fix the 3 problems below and upload it again." in html
    problems = re.findall(r"<li>([^<]*)</li>", html.split('aria-label="Problems in the ZIP"')[1].split("</ul>")[0])
    assert problems == [
        "no-label.png has no expected JSON: add no-label.json or a line in expected.jsonl.",
        "broken.json: This is not valid JSON: Expecting value (line 1, column 11).",
        "fake.png is not an image we can read; use JPEG, PNG or WebP.",
    ]
    assert draft_rows(database_url) == []
    assert 'value="Receipts"' in html  # what was typed is kept


@pytest.mark.parametrize(
    "content, message",
    [
        (zip_of({"../../etc/passwd.png": png(), "passwd.json": GOOD}), "leads outside the archive"),
        (zip_of({"bomb.png": b"\x00" * (30 * 1024 * 1024), "bomb.json": GOOD}), "refused as a ZIP bomb"),
        (b"PK\x03\x04 this is not really a zip", "bomb.zip: This file is not a ZIP archive that can be read."),
    ],
)
def test_bombs_and_paths_out_of_the_archive_are_refused(client, logged_in, database_url, content, message):
    response = upload_dataset(client, content, "bomb.zip")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert draft_rows(database_url) == []


def test_100_images_are_accepted_and_start_and_the_101st_is_refused(client, logged_in, database_url):
    hundred = {f"r{i:03}.png": png() for i in range(100)} | {f"r{i:03}.json": GOOD for i in range(100)}
    response = upload_dataset(client, zip_of({**hundred, "r100.png": png(), "r100.json": GOOD}))
    assert response.status_code == 400
    assert "r100.png was not added: a benchmark takes at most 100 images." in response.get_data(as_text=True)
    assert draft_rows(database_url) == []

    assert upload_dataset(client, zip_of(hundred)).status_code == 303
    html = new_page(client)
    assert "100 of 100 images." in html
    # The form posts all 100 expected-JSON fields back within the request limits, and starts.
    data = fields(html, samples="1", models=["openai/gpt-5-nano"])
    data.update({f"expected-{i}": GOOD for i in draft_image_ids(html)})
    response = client.post("/benchmarks/new/start", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert "/processing" in response.headers["Location"]


def test_the_maximum_is_the_max_images_setting(app, client, logged_in):
    app.config["MAX_IMAGES"] = 2
    files = {"a.png": png(), "a.json": GOOD, "b.png": png(), "b.json": GOOD, "c.png": png(), "c.json": GOOD}
    response = upload_dataset(client, zip_of(files))
    assert "c.png was not added: a benchmark takes at most 2 images." in response.get_data(as_text=True)


def test_the_downloaded_draft_uploads_again_as_the_same_draft(client, logged_in, database_url):
    files = receipts(4)
    upload_dataset(client, zip_of(files))
    html = new_page(client)
    texts = [files[f"sample-receipt-{i}.json"] for i in range(1, 5)]
    typed = {f"expected-{i}": text for i, text in zip(draft_image_ids(html), ['{"edited": true}', *texts[1:]])}
    client.post("/benchmarks/new", data={**fields(html), **typed})
    before = draft_rows(database_url)
    assert before[0][1] == '{"edited": true}'
    downloaded = client.get("/benchmarks/new/dataset.zip")
    assert downloaded.headers["Content-Type"] == "application/zip"
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM draft_images")
    assert upload_dataset(client, downloaded.data).status_code == 303
    assert draft_rows(database_url) == before


def test_a_reports_dataset_downloads_for_its_owner_only(client, logged_in, database_url):
    files = receipts(3)
    upload_dataset(client, zip_of(files))
    html = new_page(client)
    data = fields(html, samples="1", models=["openai/gpt-5-nano"])
    data.update({f"expected-{i}": files[f"sample-receipt-{n}.json"] for n, i in enumerate(draft_image_ids(html), 1)})
    response = client.post("/benchmarks/new/start", data=data)
    assert response.status_code == 303
    with psycopg.connect(database_url) as conn:
        (token,) = conn.execute("SELECT share_token FROM reports").fetchone()
    report_page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Download the dataset" in report_page
    downloaded = client.get(f"/r/{token}/dataset.zip")
    assert downloaded.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(downloaded.data))
    assert archive.namelist() == [n for i in (1, 2, 3) for n in (f"sample-receipt-{i}.png", f"sample-receipt-{i}.json")]
    for i in (1, 2, 3):
        assert archive.read(f"sample-receipt-{i}.png") == files[f"sample-receipt-{i}.png"]
        assert json.loads(archive.read(f"sample-receipt-{i}.json")) == json.loads(files[f"sample-receipt-{i}.json"])

    logged_in.logout()
    assert client.get(f"/r/{token}/dataset.zip").status_code == 404
    assert "Download the dataset" not in client.get(f"/r/{token}").get_data(as_text=True)
    AuthActions(client).signup(email="eve@example.com")
    assert client.get(f"/r/{token}/dataset.zip").status_code == 404
