"""Personal API tokens: made on the account page and shown once, stored hashed, listed with
their name and last use, revoked; only a bearer token (never a session cookie) opens the API."""

import hashlib

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import bearer, create_token, post_benchmark
from tests.support.forms import csrf_token


def test_a_new_token_is_shown_once_and_stored_only_as_its_hash(client, logged_in, database_url):
    token = create_token(client, "receipts CI")
    assert token.startswith("vb_") and len(token) == 3 + 43
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT name, token_hash, hint FROM api_tokens").fetchall()
    assert stored == [("receipts CI", hashlib.sha256(token.encode()).hexdigest(), token[:7])]
    page = client.get("/account")
    html = page.get_data(as_text=True)
    assert "receipts CI" in html and "Never" in html and token[:7] in html
    assert token not in html  # shown once
    assert page.headers["Cache-Control"] == "no-store"


def test_the_list_shows_when_a_token_was_last_used(client, logged_in, database_url):
    token = create_token(client)
    assert client.get("/api/v1/benchmarks/1", headers=bearer(token)).status_code == 404
    with psycopg.connect(database_url) as conn:
        (used,) = conn.execute(
            "SELECT to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM api_tokens"
        ).fetchone()
    assert f"{used} UTC" in client.get("/account").get_data(as_text=True)


def test_last_use_is_written_at_most_once_a_minute(client, logged_in, database_url):
    token = create_token(client)

    def last_used_after_a_call_when_it_was(ago: str):
        with psycopg.connect(database_url) as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = now() - %s::interval", (ago,))
            before = conn.execute("SELECT last_used_at FROM api_tokens").fetchone()[0]
        client.get("/api/v1/benchmarks/1", headers=bearer(token))
        with psycopg.connect(database_url) as conn:
            return before, conn.execute("SELECT last_used_at FROM api_tokens").fetchone()[0]

    before, after = last_used_after_a_call_when_it_was("30 seconds")
    assert after == before
    before, after = last_used_after_a_call_when_it_was("61 seconds")
    assert after > before


def test_a_revoked_token_is_refused_with_a_json_message(client, logged_in):
    token = create_token(client, "old laptop")
    assert client.get("/api/v1/benchmarks/1", headers=bearer(token)).status_code == 404
    page = client.get("/account").get_data(as_text=True)
    token_id = page.split("/account/tokens/")[1].split("/revoke")[0]
    response = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert "old laptop" not in client.get("/account").get_data(as_text=True)
    refused = client.get("/api/v1/benchmarks/1", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json["message"] == "This API token is not valid: it was revoked, or mistyped."
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_one_user_cannot_revoke_another_users_token(client, auth, database_url):
    auth.signup("ada@example.com")
    create_token(client)
    auth.logout()
    auth.signup("bob@example.com")
    with psycopg.connect(database_url) as conn:
        (token_id,) = conn.execute("SELECT id FROM api_tokens").fetchone()
    page = client.get("/account").get_data(as_text=True)
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}).status_code == 404
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 1


def test_a_token_needs_a_name(client, logged_in):
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(page), "name": "  "})
    assert response.status_code == 400
    assert "Name the token" in response.get_data(as_text=True)


def test_a_session_cookie_does_not_open_the_api(client, logged_in, database_url):
    """The API takes no CSRF token: a logged-in browser's cookies must drive none of it."""
    for response in (
        client.get("/api/v1/benchmarks/1"),
        client.post("/api/v1/benchmarks", data={"prompt": "x" * 30, "models": "openai/gpt-5-nano"}),
    ):
        assert response.status_code == 401
        assert response.json["message"].startswith("Send an API token")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0


def test_another_users_token_reads_nothing(client, auth):
    auth.signup("ada@example.com")
    ada = create_token(client)
    created = post_benchmark(client, ada)
    assert created.status_code == 201
    report_id = created.json["id"]
    auth.logout()
    auth.signup("bob@example.com")
    bob = create_token(client)
    for path in (f"/api/v1/benchmarks/{report_id}", f"/api/v1/benchmarks/{report_id}/report"):
        response = client.get(path, headers=bearer(bob))
        assert response.status_code == 404
        assert response.json["message"] == "There is no benchmark with this id, or it is not yours."
        assert client.get(path, headers=bearer(ada)).status_code == 200


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=300),
        st.from_regex(r"vb_[A-Za-z0-9_-]{0,120}", fullmatch=True),
    )
)
def test_no_bearer_value_makes_a_500(client, value):
    for header in (value, f"Bearer {value}"):
        response = client.get("/api/v1/benchmarks/1", headers={"Authorization": header})
        assert response.status_code == 401, (header, response.status_code)
        assert response.is_json
