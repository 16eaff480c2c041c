import psycopg

from tests.support.forms import csrf_token


def test_signup_logs_in_and_lands_on_dashboard(client, auth):
    response = auth.signup("Ada@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "No benchmarks yet" in page
    assert "Ada@Example.com" in page


def test_emails_are_unique_case_insensitively(client, auth):
    auth.signup("ada@example.com")
    auth.logout()
    response = auth.signup("ADA@example.COM")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "An account with this email already exists" in html
    assert 'value="ADA@example.COM"' in html  # the entered value is kept


def test_form_errors_are_shown_next_to_fields(client):
    token = csrf_token(client.get("/signup").get_data(as_text=True))
    response = client.post(
        "/signup", data={"csrf_token": token, "email": "not-an-email", "password": "short", "confirm": "other"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in html and "Enter an email address like" in html
    assert 'id="password-error"' in html and "between 10 and 200" in html
    assert 'id="confirm-error"' in html and "do not match" in html
    assert 'value="not-an-email"' in html


def test_password_is_stored_as_argon2_hash(client, auth, database_url):
    auth.signup("ada@example.com", "correct horse battery")
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored


def test_wrong_password_is_refused_with_a_message(client, auth):
    auth.signup()
    auth.logout()
    response = auth.login(password="wrong password!")
    assert response.status_code == 400
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_login_requires_csrf_token(client, auth):
    auth.signup()
    auth.logout()
    response = client.post("/login", data={"email": "ada@example.com", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_logout_requires_csrf_token(client, logged_in):
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_next_is_followed_only_to_local_paths(client, auth):
    auth.signup()
    auth.logout()
    assert auth.login(next="/dashboard?x=1").headers["Location"] == "/dashboard?x=1"
    auth.logout()
    for evil in ("https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example"):
        response = auth.login(next=evil)
        assert response.headers["Location"] == "/dashboard", evil
        auth.logout()


def test_login_rotates_the_session_and_logout_ends_it_for_good(app, client, auth):
    auth.signup()
    auth.logout()
    auth.login()
    stolen_cookie = client.get_cookie("vb_session").value
    auth.logout()
    auth.login()
    assert client.get_cookie("vb_session").value != stolen_cookie
    auth.logout()
    # Replaying the cookie of a logged-out session does not log anyone in.
    thief = app.test_client()
    thief.set_cookie("vb_session", stolen_cookie)
    assert thief.get("/dashboard").status_code == 302


def test_repeated_failed_logins_are_slowed_down(client, auth):
    auth.signup()
    auth.logout()
    for _ in range(5):
        assert "do not match" in auth.login(password="wrong password!").get_data(as_text=True)
    # Even the right password is refused now, with a clear message.
    response = auth.login()
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_anonymous_dashboard_goes_to_login_and_back(client, auth):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    auth.signup()
    auth.logout()
    assert auth.login(next="/dashboard").headers["Location"] == "/dashboard"


def test_security_headers_are_sent(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "up",
        "workers": {"alive": 0, "silent": 0, "benchmarks_running": 0},
    }
