"""Behind an HTTPS proxy the session cookie is Secure, but only a configured proxy is believed."""

import pytest

from tests.support.forms import csrf_token
from webapp import create_app

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "bench.example.com"}


@pytest.fixture
def make_app(database_url, tmp_path):
    apps = []

    def make(**config):
        app = create_app(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "DATA_DIR": str(tmp_path),
                "TESTING": True,
                "PROVIDER": "simulated",
                **config,
            }
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db_pool"].close()


def sign_up_cookie(app) -> str:
    client = app.test_client()
    token = csrf_token(client.get("/signup", headers=FORWARDED).get_data(as_text=True))
    # Over HTTPS, CSRF protection also wants a same-site Referer, as browsers send
    headers = {**FORWARDED, "Referer": "https://bench.example.com/signup"}
    response = client.post(
        "/signup",
        headers=headers,
        data={
            "csrf_token": token,
            "email": "proxy@example.com",
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )
    assert response.status_code == 302
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("vb_session="))


def test_forwarded_headers_are_ignored_without_a_configured_proxy(make_app):
    app = make_app()
    cookie = sign_up_cookie(app)
    assert "Secure" not in cookie and "HttpOnly" in cookie
    assert "Strict-Transport-Security" not in app.test_client().get("/login", headers=FORWARDED).headers


def test_a_configured_proxy_makes_the_cookie_secure_and_sends_hsts(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    cookie = sign_up_cookie(app)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    response = app.test_client().get("/login", headers=FORWARDED)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_secure_can_be_forced(make_app):
    assert "Secure" in sign_up_cookie(make_app(SESSION_COOKIE_SECURE=True))
