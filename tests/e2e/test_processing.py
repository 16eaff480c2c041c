"""The live processing page in Chromium, through the real server, websocket and worker."""

import re
import time
from itertools import pairwise

import psycopg
from playwright.sync_api import expect

from tests.e2e.pages import PASSWORD, LoginPage, ProcessingPage, open_processing, sign_up
from tests.support.benchmarks import create_benchmark, create_user, finish_runs, report_status, wait_for
from tests.support.fake_openai import FakeOpenAI, Response

MODEL_NAMES = ["GPT-5 Nano", "Gemini 2.5 Flash", "Claude Sonnet 4.5"]  # tests.support.benchmarks.MODELS


def done_count(page) -> int:
    return int(page.locator("#progress .done-count").inner_text())


def test_rows_and_overall_bar_update_live_and_end_exact_then_redirect(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=2, samples=3)  # 3 models x 2 x 3 = 18 runs
    processing = open_processing(page, live_server.url, report_id)
    expect(page.locator("#progress .total-count")).to_have_text("18")
    expect(page.locator("#progress .done-count")).to_have_text("0")
    for name in MODEL_NAMES:
        expect(processing.model_row(name).locator(".badge")).to_have_text("Waiting")
    expect(page.get_by_role("button", name="Cancel benchmark…")).to_be_visible()
    # Every count the page shows, as it shows it.
    page.evaluate("""() => {
        window.__shown = [];
        new MutationObserver(() => window.__shown.push(+document.querySelector('#progress .done-count').textContent))
            .observe(document.getElementById('main') || document.body, {subtree: true, childList: true});
    }""")
    live_server.start_worker(SIMULATED_SPEED="0.5", MAX_CALLS_PER_REPORT="2")
    page.wait_for_function(
        "() => { const n = +document.querySelector('#progress .done-count').textContent; return n > 0 && n < 18; }",
        timeout=30_000,
    )
    expect(page.locator("#progress tbody .badge", has_text="Running").first).to_be_visible()
    # The end state is exact: every run counted, every model complete, no update lost.
    expect(processing.pill()).to_have_text("Complete!", timeout=60_000)
    # The heading and the owner's actions follow the end too (no cancelling a finished benchmark)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your benchmark is complete")
    expect(page.get_by_role("button", name="Cancel benchmark…")).to_have_count(0)
    expect(page.locator("#progress .done-count")).to_have_text("18")
    expect(page.locator("#overall-bar")).to_have_attribute("value", "18")
    for name in MODEL_NAMES:
        row = processing.model_row(name)
        expect(row.locator(".runs")).to_have_text("6/6 runs")
        expect(row.locator(".badge")).to_have_text(re.compile("Complete|Failed"))
    assert page.evaluate("window.__sameDocument") is True
    shown = page.evaluate("window.__shown")
    assert shown == sorted(shown), "the count never goes back"
    assert len({n for n in shown if 0 < n < 18}) >= 3, f"the count moved step by step: {shown}"
    # Then the browser is taken to the report by itself.
    with psycopg.connect(database_url) as conn:
        token = conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]
    expect(page).to_have_url(f"{live_server.url}/r/{token}", timeout=5_000)


def test_pill_reconnects_after_a_server_restart_and_catches_up(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=2)  # 6 runs
    processing = open_processing(page, live_server.url, report_id)
    page.evaluate("""() => {
        window.__closeCodes = []; window.__attempts = [];
        document.addEventListener('htmx:wsClose', e => window.__closeCodes.push(e.detail.event.code));
        document.addEventListener('htmx:wsConnecting', () => window.__attempts.push(performance.now()));
    }""")
    finish_runs(database_url, report_id, 1)
    expect(page.locator("#progress .done-count")).to_have_text("1")
    live_server.stop_web()
    expect(processing.pill()).to_have_text("Reconnecting…", timeout=2_000)
    finish_runs(database_url, report_id, 3)  # while nobody is listening
    time.sleep(15)  # long enough for the extension's own backoff to grow far past 5 s
    live_server.start()
    expect(processing.pill()).to_have_text("Live", timeout=15_000)
    expect(page.locator("#progress .done-count")).to_have_text("4")
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("window.__closeCodes")[0] == 1012  # the server said "restarting"
    attempts = page.evaluate("window.__attempts")
    gaps = [(b - a) / 1000 for a, b in pairwise(attempts)]
    assert len(gaps) >= 3 and max(gaps) <= 5.5, f"retries are at most ~5 s apart: {gaps}"


def test_finished_report_redirects_at_once(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=1)
    live_server.start_worker()
    wait_for(lambda: report_status(database_url, report_id) == "complete", message="report to complete")
    page.goto(f"{live_server.url}/benchmarks/{report_id}/processing")
    expect(page).to_have_url(re.compile(r"/r/[\w-]+$"))


def test_failed_report_shows_its_reason(page, live_server, database_url):
    owner = sign_up(page, live_server.url, database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=1, provider="openai_compatible")
    processing = open_processing(page, live_server.url, report_id)
    # A provider outage: every call answers 500, so every run fails and the report fails with a reason.
    outage = FakeOpenAI().start()
    outage.handler = lambda body: Response(status=500, body={"error": {"message": "upstream is down"}})
    live_server.start_worker(PROVIDER_BASE_URL=outage.base_url, PROVIDER_API_KEY="sk-x")
    alert = page.get_by_role("alert")
    try:
        expect(alert).to_contain_text("The benchmark failed", timeout=60_000)
    finally:
        outage.stop()
    expect(alert).to_contain_text("All 3 runs failed")
    expect(alert).to_contain_text("HTTP 500")
    expect(alert.get_by_role("link", name="Back to the dashboard")).to_be_visible()
    expect(processing.pill()).to_have_text("Failed")
    page.reload()
    expect(page.get_by_role("heading", name="Your benchmark failed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("All 3 runs failed")


def test_other_users_report_goes_to_the_dashboard(page, live_server, database_url):
    someone = create_user(database_url, "someone@example.com")
    report_id = create_benchmark(database_url, someone)
    sign_up(page, live_server.url, database_url)
    for url in (f"/benchmarks/{report_id}/processing", "/benchmarks/999999/processing"):
        page.goto(live_server.url + url)
        expect(page).to_have_url(live_server.url + "/dashboard")
        expect(page.get_by_role("status")).to_contain_text("That benchmark does not exist, or it is not yours.")


def test_anonymous_visitor_logs_in_and_comes_back(page, live_server, database_url):
    owner = create_user(database_url, "owner@example.com", PASSWORD)
    report_id = create_benchmark(database_url, owner)
    page.goto(f"{live_server.url}/benchmarks/{report_id}/processing")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    LoginPage(page, live_server.url).log_in("owner@example.com", PASSWORD)
    ProcessingPage(page).expect_loaded()
    expect(page.get_by_role("heading", name="Your benchmark is running…")).to_be_visible()
