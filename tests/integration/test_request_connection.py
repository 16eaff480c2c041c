"""One pooled connection per request, given back at its end; nothing written unless committed."""

import psycopg
import pytest

from tests.support.benchmarks import create_benchmark
from tests.support.reports import make_report, share_token, user_id


def checkouts(app) -> int:
    return app.extensions["db_pool"].get_stats().get("requests_num", 0)


@pytest.fixture
def owner_pages(logged_in, database_url):
    owner = user_id(database_url)
    finished = make_report(database_url, owner, images=2, samples=2)
    running = create_benchmark(database_url, owner)
    token = share_token(database_url, finished)
    return [
        "/dashboard",
        f"/r/{token}",
        f"/r/{token}/runs?page=1",
        f"/r/{token}/report.json",
        f"/benchmarks/{running}/processing",
        f"/benchmarks/{running}/progress",
        "/benchmarks/new",
        "/healthz",
    ]


def test_every_page_takes_one_connection_and_gives_it_back(app, client, owner_pages):
    pool = app.extensions["db_pool"]
    for url in owner_pages:
        before = checkouts(app)
        response = client.get(url)
        assert response.status_code == 200, url
        assert checkouts(app) - before == 1, f"{url} took {checkouts(app) - before} connections"
        assert pool.get_stats()["pool_size"] - pool.get_stats()["pool_available"] == 0, f"{url} kept its connection"


def test_a_request_that_fails_after_writing_leaves_nothing_behind(database_url, tmp_path):
    """A view's writes are committed by the view; an error in between rolls them all back."""
    from flask import Blueprint

    from tests.support.forms import AuthActions
    from webapp import create_app, db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test", "DATA_DIR": str(tmp_path), "TESTING": True})
    bp = Blueprint("failing", __name__)

    @bp.get("/failing")
    def failing():
        db.get().execute("UPDATE users SET email = 'changed@example.com'")
        raise RuntimeError("boom after a write")

    app.register_blueprint(bp)
    try:
        client = app.test_client()
        assert AuthActions(client).signup().status_code == 302
        assert client.get("/failing").status_code == 500
        with psycopg.connect(database_url) as conn:
            assert conn.execute("SELECT email FROM users").fetchone()[0] == "ada@example.com"
        assert client.get("/dashboard").status_code == 200  # still logged in, pages still work
    finally:
        app.extensions["db_pool"].close()
