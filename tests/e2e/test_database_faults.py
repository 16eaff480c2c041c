"""PostgreSQL going away under a running app: restarted mid-benchmark, and down when a page is
asked for. Each test has its own PostgreSQL, so restarting it disturbs no other test."""

import time

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import open_processing, sign_up
from tests.support.benchmarks import create_benchmark, done_runs, finish_runs, report_status, run_counts, wait_for
from tests.support.database import OwnPostgres, unix_socket_path, via_tcp
from tests.support.live_server import LiveServer
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def own_postgres():
    with OwnPostgres() as server:
        yield server


@pytest.fixture
def listener_path(own_postgres):
    proxy = TcpProxy(unix_socket_path(own_postgres.app_url)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def app_server(own_postgres, listener_path, tmp_path):
    # The live-update listener reaches PostgreSQL through a proxy the test can cut.
    server = LiveServer(
        own_postgres.app_url, tmp_path, {"LISTEN_DATABASE_URL": via_tcp(own_postgres.app_url, listener_path.port)}
    ).start()
    yield server
    server.stop()


def test_postgres_restarted_mid_benchmark_the_page_resyncs_and_the_report_completes(
    page, app_server, own_postgres, listener_path
):
    url = own_postgres.app_url
    owner = sign_up(page, app_server.url, url)
    report_id = create_benchmark(url, owner, images=2, samples=4)  # 3 models x 2 x 4 = 24 runs
    processing = open_processing(page, app_server.url, report_id)
    web_pid = app_server.web.pid
    worker = app_server.start_worker(SIMULATED_SPEED="0.6", MAX_CALLS_PER_REPORT="3")
    wait_for(lambda: run_counts(url, report_id).get("complete", 0) >= 3, message="some runs to finish")

    own_postgres.stop()  # with runs in flight
    time.sleep(2)
    own_postgres.start()
    back = time.monotonic()
    before = int(page.locator("#progress .done-count").inner_text())
    # Within 5 s of the database coming back, the open page shows progress again, with no reload.
    page.wait_for_function(
        f"() => +document.querySelector('#progress .done-count').textContent > {before}", timeout=15_000
    )
    resynced_after = time.monotonic() - back

    # A change committed while the listener is away, and nothing after it: only the resync
    # after its reconnect can bring it to the page.
    worker.terminate()
    worker.wait(30)
    listener_path.blackhole()  # the listener's connection is cut, and its reconnects wait
    wait_for(
        lambda: httpx.get(f"{app_server.url}/healthz").status_code == 503, timeout=15, message="the listener to notice"
    )
    finish_runs(url, report_id, 1)
    expected = done_runs(url, report_id)
    listener_path.pass_through()
    page.wait_for_function(
        f"() => +document.querySelector('#progress .done-count').textContent === {expected}", timeout=15_000
    )

    app_server.start_worker(SIMULATED_SPEED="0.6", MAX_CALLS_PER_REPORT="3")
    expect(processing.pill()).to_have_text("Complete!", timeout=90_000)
    expect(page.locator("#progress .done-count")).to_have_text("24")
    assert page.evaluate("window.__sameDocument") is True
    assert report_status(url, report_id) == "complete"
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, attempts FROM benchmark_runs WHERE report_id = %s", (report_id,)).fetchall()
    assert len(rows) == 24 and all(status in ("complete", "failed") for status, _ in rows)
    assert app_server.web.pid == web_pid and app_server.web.poll() is None  # no restart of the app
    assert resynced_after < 5.0, f"the page caught up {resynced_after:.1f} s after the database was back"


def test_database_down_gives_a_friendly_503_then_pages_work_again_without_a_restart(page, app_server, own_postgres):
    sign_up(page, app_server.url, own_postgres.app_url)
    web_pid = app_server.web.pid
    own_postgres.stop()
    response = page.goto(f"{app_server.url}/dashboard")
    assert response.status == 503
    expect(page.get_by_role("heading", name="Temporarily unavailable")).to_be_visible()
    expect(page.get_by_text("The database cannot be reached right now.")).to_be_visible()
    assert "Traceback" not in page.content()
    assert httpx.get(f"{app_server.url}/healthz").status_code == 503

    own_postgres.start()
    deadline = time.monotonic() + 10
    while page.goto(f"{app_server.url}/dashboard").status != 200:
        assert time.monotonic() < deadline, "pages did not come back"
        time.sleep(0.2)
    expect(page.get_by_role("heading", name="Your benchmarks")).to_be_visible()  # still logged in
    assert httpx.get(f"{app_server.url}/healthz").status_code == 200
    assert app_server.web.pid == web_pid
    assert "Traceback" not in app_server.log.read_text()
