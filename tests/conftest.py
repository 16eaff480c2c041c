from pathlib import Path

import pytest

from tests.support.database import TestDatabases
from tests.support.forms import AuthActions
from tests.support.live_server import LiveServer

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def databases():
    dbs = TestDatabases().start()
    yield dbs
    dbs.stop()


@pytest.fixture
def database_url(databases):
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def app(database_url, tmp_path):
    from webapp import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "DATA_DIR": str(tmp_path),
            "TESTING": True,
            "SIMULATED_SPEED": 0.0,
            "PROVIDER": "simulated",
        }
    )
    yield app
    app.extensions["db_pool"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def logged_in(auth):
    response = auth.signup()
    assert response.status_code == 302
    return auth


@pytest.fixture
def live_server(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path).start()
    yield server
    server.stop()


# Playwright: use its own Chromium when installed, else Debian's.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_type):
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if not Path(browser_type.executable_path).exists() and Path("/usr/bin/chromium").exists():
        args["executable_path"] = "/usr/bin/chromium"
    return args
