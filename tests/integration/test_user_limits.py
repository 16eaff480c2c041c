"""What one user may hold: benchmarks running at once, started per hour, stored image bytes.
Each refusal says which limit and what to do; requests sent at once cannot overrun a limit."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.support.benchmarks import create_benchmark
from tests.support.forms import csrf_token
from tests.support.images import png
from tests.support.live_socket import PASSWORD
from tests.support.new_benchmark import draft_image_ids, new_page, start, upload
from tests.support.reports import user_id


def reports(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM reports").fetchone()[0]


@pytest.fixture
def limited(app):
    app.config.update(MAX_RUNNING_BENCHMARKS=2, MAX_BENCHMARKS_PER_HOUR=3, MAX_IMAGE_MB_PER_USER=1)
    return app


def test_a_third_running_benchmark_waits_for_one_to_finish(limited, client, logged_in, database_url):
    owner = user_id(database_url)
    for _ in range(2):
        create_benchmark(database_url, owner)  # queued, as if running
    upload(client, ("a.png", png()))
    response = start(client)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "You have 2 benchmarks running, the most at once on this installation." in page
    assert "Wait for one to finish, or cancel one" in page
    assert reports(database_url) == 2
    assert 'name="expected-' in new_page(client)  # the draft and its image are kept


def test_benchmarks_started_in_the_last_hour_are_limited(limited, client, logged_in, database_url):
    owner = user_id(database_url)
    with psycopg.connect(database_url) as conn:  # three starts in the ledger, 10 minutes ago
        conn.execute(
            "INSERT INTO throttle_attempts (key, made_at) SELECT %s, now() - interval '10 minutes' "
            "FROM generate_series(1, 3)",
            (f"start:{owner}",),
        )
    upload(client, ("a.png", png()))
    response = start(client)
    assert response.status_code == 429
    assert "You started 3 benchmarks in the last hour, the most allowed." in response.get_data(as_text=True)
    assert "start it in 50 minutes" in response.get_data(as_text=True)


def test_stored_images_are_limited_per_user(limited, client, logged_in):
    big = png((700, 700), noise=True)  # ~1.4 MB of noise: more than the 1 MB allowed
    small = png((300, 300), noise=True)
    assert len(small) < 400_000 < 1_000_000 < len(big)
    upload(client, ("small.png", small), ("big.png", big))
    page = new_page(client)
    assert "big.png was not added: your images take" in page and "of the 1.0 MB you may store" in page
    assert "Delete benchmarks you no longer need" in page
    assert page.count('name="expected-') == 1


def test_starts_sent_at_once_make_one_benchmark(database_url, live_server):
    """Ten clicks on Start at once (a double click, several tabs): one benchmark, never ten."""
    with httpx.Client(base_url=live_server.url) as browser:
        html = browser.get("/signup").text
        browser.post(
            "/signup",
            data={
                "csrf_token": csrf_token(html),
                "email": "clicker@example.com",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        html = browser.get("/benchmarks/new").text
        browser.post(
            "/benchmarks/new/images",
            data={
                "csrf_token": csrf_token(html),
                "prompt": "Extract the receipt as JSON.",
                "budget": "7",
                "samples": "1",
                "models": ["openai/gpt-5-nano"],
            },
            files={"images": ("a.png", png(), "image/png")},
        )
        html = browser.get("/benchmarks/new").text
        image_id = draft_image_ids(html)[0]
        fields = {
            "csrf_token": csrf_token(html),
            "prompt": "Extract the receipt as JSON please.",
            "budget": "7",
            "samples": "1",
            "compare_mode": "strict",
            "priorities": "accuracy-cost-speed",
            "models": ["openai/gpt-5-nano"],
            f"expected-{image_id}": '{"total": 1}',
        }

        def click(_):
            with httpx.Client(base_url=live_server.url, cookies=browser.cookies) as tab:
                return tab.post("/benchmarks/new/start", data=fields).status_code

        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(click, range(10)))
    assert all(s in (303, 400, 429) for s in statuses), statuses
    assert reports(database_url) == 1


def test_deleting_benchmarks_does_not_give_starts_back(limited, client, logged_in, database_url):
    for _ in range(3):  # the limit is 3 an hour: start, cancel and delete, three times
        upload(client, ("a.png", png()))
        assert start(client).status_code == 303
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM reports")
    upload(client, ("a.png", png()))
    response = start(client)
    assert response.status_code == 429 and "You started 3 benchmarks in the last hour" in response.get_data(
        as_text=True
    )
    assert reports(database_url) == 0
