"""Bad input through the real form: refused with a message where it can be fixed, nothing
half-written, no 500; odd but valid text accepted and shown as typed."""

import json

import psycopg
import pytest

from tests.support.forms import csrf_token
from tests.support.images import png
from tests.support.new_benchmark import draft_image_ids, new_page, start, upload

TEN_MB = 10 * 1024 * 1024
RTL_EMOJI = "\u202eReçu \u05e7\u05d1\u05dc\u05d4 🧾✨ \u200fمتجر"


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_file_one_byte_over_10_mb_is_refused_and_the_others_kept(client, logged_in):
    big = png() + b"\0" * (TEN_MB + 1 - len(png()))  # decodes fine: only its size is wrong
    assert len(big) == TEN_MB + 1
    response = upload(client, ("ok.png", png()), ("huge.png", big))
    assert response.status_code == 303
    html = new_page(client)
    assert "huge.png" in html and "10 MB" in html
    assert len(draft_image_ids(html)) == 1


@pytest.mark.parametrize(
    "expected, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2, 3]", "must be an object"),
        ('{"a": ' * 1000 + "1" + "}" * 1000, "nested"),
        (json.dumps({"blob": "x" * 2_000_000}), "are allowed"),
    ],
)
def test_bad_expected_json_is_refused_and_nothing_is_written(client, logged_in, database_url, expected, message):
    upload(client, ("a.png", png()))
    image_id = draft_image_ids(new_page(client))[0]
    response = start(client, **{f"expected-{image_id}": expected})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(database_url, "reports") == 0 and count(database_url, "benchmark_runs") == 0
    assert len(draft_image_ids(new_page(client))) == 1  # the upload is not lost


@pytest.mark.parametrize("prompt, message", [("too short", "at least 20 characters"), ("x" * 20_001, "at most")])
def test_prompt_length_is_checked(client, logged_in, database_url, prompt, message):
    upload(client, ("a.png", png()))
    response = start(client, prompt=prompt)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(database_url, "reports") == 0


def test_a_tampered_model_id_is_refused(client, logged_in, database_url):
    upload(client, ("a.png", png()))
    response = start(client, models=["openai/gpt-5-nano", "<b>evil/model</b>"])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not in the catalog" in html and "<b>evil" not in html
    assert count(database_url, "reports") == 0


def test_right_to_left_marks_and_emoji_are_accepted_and_shown_as_typed(client, logged_in, database_url):
    upload(client, ("a.png", png()))
    image_id = draft_image_ids(new_page(client))[0]
    expected = {"merchant": RTL_EMOJI, "total": 9.5}
    response = start(
        client,
        title=RTL_EMOJI,
        prompt=f"Extract everything you see, please. {RTL_EMOJI}",
        **{f"expected-{image_id}": json.dumps(expected, ensure_ascii=False)},
    )
    assert response.status_code == 303
    processing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert RTL_EMOJI in processing
    with psycopg.connect(database_url) as conn:
        title, prompt, token = conn.execute("SELECT title, prompt, share_token FROM reports").fetchone()
        (stored,) = conn.execute("SELECT expected FROM report_images").fetchone()
    assert title == RTL_EMOJI and prompt.endswith(RTL_EMOJI) and stored == expected
    report = client.get(f"/r/{token}").get_data(as_text=True)
    assert report.count(RTL_EMOJI) >= 3  # title, prompt, expected JSON


def test_a_request_larger_than_the_limit_is_refused_before_it_is_read(client, logged_in):
    html = new_page(client)
    response = client.post(
        "/benchmarks/new/images",
        data=b"x" * 1024,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(121 * 1024 * 1024)},
        headers={"X-CSRFToken": csrf_token(html)},
    )
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("budget", ["0.0001", "0.005", "1.234", "0", "-1", "nan", "1e3", "1e30", "9" * 19])
def test_a_budget_finer_than_a_cent_or_out_of_range_is_refused_as_typed(client, logged_in, budget):
    upload(client, ("a.png", png()))
    response = start(client, budget=budget)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a budget in dollars and cents, from $0.01 to $7.00." in page
    assert f'value="{budget}"' in page  # shown as typed, never rounded to $0.00
