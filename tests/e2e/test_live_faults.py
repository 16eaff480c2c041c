"""The live page in Chromium under the faults real networks produce: a silently dead database
path, refused and unusual socket closes, going offline, back/forward, and no JavaScript."""

import re
import time

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, ProcessingPage, open_processing, sign_up
from tests.support.benchmarks import create_benchmark, done_runs, finish_runs, wait_for
from tests.support.database import unix_socket_path, via_tcp
from tests.support.live_server import LiveServer
from tests.support.tcp_proxy import TcpProxy


def page_done(page) -> int:
    return int(page.locator("#progress .done-count").inner_text())


def share_token(url: str, report_id: int) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]


def healthz(server) -> tuple[int, dict]:
    response = httpx.get(server.url + "/healthz", timeout=5)
    return response.status_code, response.json()


@pytest.fixture
def listener_path(database_url):
    proxy = TcpProxy(unix_socket_path(database_url)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def server_behind_proxy(database_url, tmp_path, listener_path):
    server = LiveServer(database_url, tmp_path, {"LISTEN_DATABASE_URL": via_tcp(database_url, listener_path.port)})
    yield server.start()
    server.stop()


def test_listener_path_blackholed_for_30_s_is_reported_then_caught_up(
    page, server_behind_proxy, listener_path, database_url
):
    server = server_behind_proxy
    owner = sign_up(page, server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=2, samples=3)  # 18 runs
    processing = open_processing(page, server.url, report_id)
    assert healthz(server) == (200, healthz(server)[1]) and healthz(server)[1]["listener"] == "up"

    listener_path.blackhole()
    cut = time.monotonic()
    finish_runs(database_url, report_id, 2)  # the listener never hears of these
    wait_for(lambda: healthz(server)[0] == 503, timeout=15, message="/healthz to report the dead listener")
    _, body = healthz(server)
    assert body["listener"] == "down" and body["database"] == "up"
    while time.monotonic() - cut < 30:
        finish_runs(database_url, report_id, 1)
        time.sleep(5)
    expected = done_runs(database_url, report_id)

    listener_path.pass_through()
    back = time.monotonic()
    # The page shows the exact current state, without a reload, well within 15 s.
    page.wait_for_function(
        f"() => +document.querySelector('#progress .done-count').textContent === {expected}", timeout=15_000
    )
    caught_up = time.monotonic() - back
    expect(processing.pill()).to_have_text("Live")
    wait_for(lambda: healthz(server)[0] == 200, timeout=15, message="/healthz to be healthy again")
    assert page.evaluate("window.__sameDocument") is True
    assert caught_up < 15

    server.start_worker()  # the rest of the benchmark: the page still takes itself to the report
    expect(page).to_have_url(f"{server.url}/r/{share_token(database_url, report_id)}", timeout=60_000)


def test_a_close_the_extension_would_not_retry_is_retried(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=2)
    processing = open_processing(page, live_server.url, report_id)
    page.evaluate("""() => {
        window.__closeCodes = [];
        document.addEventListener('htmx:wsClose', e => window.__closeCodes.push(e.detail.event.code));
    }""")
    finish_runs(database_url, report_id, 1)
    expect(page.locator("#progress .done-count")).to_have_text("1")
    # Anything the page sends makes the server close with 1003, a code the ws extension never retries.
    page.evaluate("() => htmx.find('.processing')['htmx-internal-data'].webSocket.send('hello')")
    page.wait_for_function("() => window.__closeCodes.includes(1003)", timeout=5_000)
    finish_runs(database_url, report_id, 2)  # while it is away
    expect(processing.pill()).to_have_text("Live", timeout=10_000)
    expect(page.locator("#progress .done-count")).to_have_text("3")
    assert page.evaluate("window.__sameDocument") is True


def test_a_refused_socket_reloads_the_page_onto_the_login_form(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=2)
    processing = open_processing(page, live_server.url, report_id)
    other_tab = page.context.new_page()
    other_tab.goto(live_server.url + "/dashboard")
    Dashboard(other_tab).log_out()
    live_server.restart_web()  # 1012: the page reconnects, and its session is gone: 1008
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=10_000)
    expect(processing.pill()).to_have_count(0)


def test_a_refusal_from_a_server_going_away_reloads_once_it_answers(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=2)
    sockets = []  # the page's sockets, held here instead of reaching the server
    page.route_web_socket(re.compile(r"/live$"), lambda ws: sockets.append(ws))
    processing = open_processing(page, live_server.url, report_id)
    other_tab = page.context.new_page()
    other_tab.goto(live_server.url + "/dashboard")
    Dashboard(other_tab).log_out()
    page.route("**/*", lambda route: route.abort("connectionrefused"))  # the server is gone...
    sockets[-1].close(code=1008, reason="not allowed")  # ...right after refusing the viewer
    expect(processing.pill()).to_have_text("Reloading…")
    page.wait_for_timeout(2000)  # several probes fail meanwhile; a reload now would strand the page
    assert page.url.endswith(f"/benchmarks/{report_id}/processing")
    page.unroute("**/*")  # the server is back
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=10_000)


def test_offline_longer_than_two_pings_then_back_is_live_with_the_exact_state(page, database_url, tmp_path):
    server = LiveServer(database_url, tmp_path, {"LIVE_PING_INTERVAL": "1"}).start()
    try:
        owner = sign_up(page, server.url, database_url)
        report_id = create_benchmark(database_url, owner, images=1, samples=3)
        processing = open_processing(page, server.url, report_id)
        page.context.set_offline(True)
        finish_runs(database_url, report_id, 2)
        time.sleep(3)  # more than two ping intervals: the server has given up on this viewer
        page.context.set_offline(False)
        expect(processing.pill()).to_have_text("Live", timeout=10_000)
        expect(page.locator("#progress .done-count")).to_have_text("2", timeout=10_000)
    finally:
        server.stop()


def test_back_and_forward_show_the_current_state(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=3)
    processing = open_processing(page, live_server.url, report_id)
    page.get_by_role("link", name="Dashboard").first.click()
    Dashboard(page).expect_loaded()
    finish_runs(database_url, report_id, 4)
    page.go_back()
    ProcessingPage(page).expect_loaded()
    expect(page.locator("#progress .done-count")).to_have_text("4")
    expect(processing.pill()).to_have_text("Live")
    page.go_forward()
    Dashboard(page).expect_loaded()
    finish_runs(database_url, report_id, 1)
    page.go_back()
    expect(page.locator("#progress .done-count")).to_have_text("5")
    expect(processing.pill()).to_have_text("Live")


def test_without_javascript_the_page_says_it_refreshes_and_reaches_the_report(browser, live_server, database_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        owner = sign_up(page, live_server.url, database_url, email="nojs@example.com")
        report_id = create_benchmark(database_url, owner, images=1, samples=2)
        page.goto(f"{live_server.url}/benchmarks/{report_id}/processing")
        expect(page.locator("#connection-pill")).to_have_text("Refreshes every 4 s")
        finish_runs(database_url, report_id, 2)
        expect(page.locator("#progress .done-count")).to_have_text("2", timeout=10_000)
        live_server.start_worker()
        expect(page).to_have_url(f"{live_server.url}/r/{share_token(database_url, report_id)}", timeout=30_000)
    finally:
        context.close()
