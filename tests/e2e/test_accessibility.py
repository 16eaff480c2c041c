"""The accessibility gate: every page a user meets, in each of its states, passes an axe-core audit
against WCAG 2.2 A and AA (in light and dark colours, on a desktop and on a 320 px phone) and
reflows without sideways scrolling at 320 and 412 CSS px (WCAG 1.4.10).

One server, one set of users and reports for the whole module: each test opens one page state.
Set A11Y_SCREENSHOTS=<folder> to keep a full-page screenshot of every state at every width."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import LoginPage, NewBenchmarkPage, ProcessingPage, SignupPage
from tests.support.accessibility import receives_tap_at_centre, resize, settle, sideways_overflow, wcag_violations
from tests.support.benchmarks import EXPECTED, create_benchmark, create_user, finish_runs
from tests.support.images import png
from tests.support.live_server import LiveServer
from tests.support.reports import default_outcome, make_report, share_token
from webapp.benchmarks import queries as benchmark_queries
from webapp.benchmarks.uploads import check_image

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 800}
PHONE_WIDTHS = (412, 320)  # a Pixel 7; and the 320 CSS px of WCAG 1.4.10 (1280 px zoomed to 400%)
SCREENSHOTS = os.environ.get("A11Y_SCREENSHOTS")


@dataclass
class Site:
    url: str
    processing: dict[str, int]  # state -> report id
    reports: dict[str, str]  # state -> share token
    storage: dict[str, dict]  # user -> logged-in browser storage state

    def __repr__(self) -> str:  # shown with every failure: the address is enough
        return f"Site({self.url})"


# Long enough that the JSON on the report scrolls sideways on its own, as real receipts do.
LONG = {**EXPECTED, "merchant": "Corner Grocery & Delicatessen, 1234 Long Street Name, Springfield, Anywhere 12345"}


def long_lines_outcome(model_id, position, sample):
    out = default_outcome(model_id, position, sample)
    if out.get("parsed_json"):
        parsed = {**out["parsed_json"], "merchant": LONG["merchant"]}
        out = {**out, "parsed_json": parsed, "raw_output": json.dumps(parsed)}
    return out


def failed_outcome(model_id, position, sample):
    return {"status": "failed", "error": "HTTP 500: upstream is down", "latency_ms": 1200}


def cancelled_outcome(model_id, position, sample):
    return (
        {"status": "skipped"}
        if sample
        else {
            "status": "complete",
            "latency_ms": 900,
            "cost_usd": 0,
            "exact": True,
            "field_accuracy": 1.0,
            "correct_fields": 4,
            "total_fields": 4,
            "diffs": [],
            "parsed_json": EXPECTED,
        }
    )


def add_drafts(url: str, owner_id: int, count: int) -> None:
    with psycopg.connect(url) as conn:
        for i in range(count):
            benchmark_queries.add_draft_image(
                conn, owner_id, check_image(f"receipt-{i + 1}.png", png((300, 400))), '{"total": 12.5}'
            )


def log_in(browser, base_url: str, email: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    LoginPage(page, base_url).open().log_in(email, PASSWORD)
    expect(page.get_by_role("heading", name="Your benchmarks", level=1)).to_be_visible()
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def site(databases, browser, tmp_path_factory):
    database_url = databases.create()
    server = LiveServer(database_url, tmp_path_factory.mktemp("a11y")).start()
    try:
        owner = create_user(database_url, "owner@example.com", PASSWORD)
        create_user(database_url, "newcomer@example.com", PASSWORD)
        running = create_benchmark(database_url, owner, images=2, samples=2)
        finish_runs(database_url, running, 3)
        finished = make_report(database_url, owner, outcome=long_lines_outcome, expected=LONG)  # a run failed
        failed = make_report(database_url, owner, images=1, samples=1, outcome=failed_outcome, status="failed")
        cancelled = make_report(database_url, owner, images=1, outcome=cancelled_outcome, status="cancelled")
        with psycopg.connect(database_url) as conn:
            conn.execute(
                "UPDATE reports SET failure_reason = 'All 3 runs failed. The last error: HTTP 500: "
                "upstream is down' WHERE id = %s",
                (failed,),
            )
        add_drafts(database_url, owner, 2)
        yield Site(
            url=server.url,
            processing={"running": running, "failed": failed, "cancelled": cancelled},
            reports={
                name: share_token(database_url, rid)
                for name, rid in [("running", running), ("finished", finished), ("failed", failed)]
            },
            storage={
                "owner": log_in(browser, server.url, "owner@example.com"),
                "newcomer": log_in(browser, server.url, "newcomer@example.com"),
            },
        )
    finally:
        server.stop()
        databases.drop(database_url)


@pytest.fixture(scope="module")
def contexts(browser, playwright, site):
    """Per user: a desktop browser and a phone (a Pixel 7: touch, and a page that zooms out when
    it is too wide, as a real phone's does)."""
    phone = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    made = {}
    for user in ("anonymous", "newcomer", "owner"):
        storage = site.storage.get(user)
        # Reduced motion: no colour transitions to wait for when the theme switches.
        made[user, "desktop"] = browser.new_context(viewport=DESKTOP, storage_state=storage, reduced_motion="reduce")
        made[user, "phone"] = browser.new_context(**phone, storage_state=storage, reduced_motion="reduce")
    for context in made.values():
        context.set_default_timeout(10_000)
    yield made
    for context in made.values():
        context.close()


# Each state: who sees it, and how to get there from a blank page.
def signup_with_errors(page: Page, site: Site) -> None:
    SignupPage(page, site.url).open().sign_up("not an email", "short", "other")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")


def login_with_errors(page: Page, site: Site) -> None:
    LoginPage(page, site.url).open().log_in("", "")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")


def new_benchmark_with_errors(page: Page, site: Site) -> None:
    NewBenchmarkPage(page, site.url).open().start()  # no model picked
    expect(page.get_by_role("alert")).to_be_visible()


def processing(state: str) -> Callable[[Page, Site], None]:
    def open_page(page: Page, site: Site) -> None:
        page.goto(f"{site.url}/benchmarks/{site.processing[state]}/processing")
        pill = ProcessingPage(page).expect_loaded().pill()
        expect(pill).to_have_text("Live" if state == "running" else state.capitalize())

    return open_page


def report(state: str, heading: str) -> Callable[[Page, Site], None]:
    def open_page(page: Page, site: Site) -> None:
        page.goto(f"{site.url}/r/{site.reports[state]}")
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()

    return open_page


def goto(path: str, heading: str) -> Callable[[Page, Site], None]:
    """`path` may name a report's share token: "/r/{finished}"."""

    def open_page(page: Page, site: Site) -> None:
        page.goto(site.url + path.format(**site.reports))
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()

    return open_page


STATES: dict[str, tuple[str, Callable[[Page, Site], None]]] = {
    "signup": ("anonymous", goto("/signup", "Create your account")),
    "signup-errors": ("anonymous", signup_with_errors),
    "login": ("anonymous", goto("/login", "Log in")),
    "login-errors": ("anonymous", login_with_errors),
    "dashboard-empty": ("newcomer", goto("/dashboard", "Your benchmarks")),
    "dashboard": ("owner", goto("/dashboard", "Your benchmarks")),
    "new-benchmark-empty": ("newcomer", goto("/benchmarks/new", "New benchmark")),
    "new-benchmark-empty-errors": ("newcomer", new_benchmark_with_errors),
    "new-benchmark-images": ("owner", goto("/benchmarks/new", "New benchmark")),
    "new-benchmark-images-errors": ("owner", new_benchmark_with_errors),
    "processing-running": ("owner", processing("running")),
    "processing-failed": ("owner", processing("failed")),
    "processing-cancelled": ("owner", processing("cancelled")),
    "report-finished": ("owner", report("finished", "Use Gemini 2.5 Flash")),
    "report-running": ("owner", report("running", "Ranking")),
    "report-failed": ("owner", report("failed", "No recommendation yet")),
    "report-shared": ("anonymous", report("finished", "Use Gemini 2.5 Flash")),
    "report-delete": ("owner", goto("/r/{finished}/delete", "Delete this benchmark?")),
    "not-found": ("anonymous", goto("/no-such-page", "Page not found")),
}


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("state", list(STATES))
def test_page_meets_wcag_22_aa_and_reflows(state, site, contexts):
    user, open_page = STATES[state]
    problems = []

    page = contexts[user, "desktop"].new_page()
    broken = []  # every file the page asks for is there (its icon too)
    page.on(
        "response",
        lambda r: r.status >= 400 and not r.request.is_navigation_request() and broken.append(f"{r.status} {r.url}"),
    )
    open_page(page, site)
    screenshot(page, f"{state}-desktop")
    problems += [f"desktop, light: {v}" for v in wcag_violations(page)]
    page.emulate_media(color_scheme="dark")
    settle(page)
    screenshot(page, f"{state}-desktop-dark")
    problems += [f"desktop, dark: {v}" for v in wcag_violations(page)]
    page.close()
    problems += [f"desktop: {b}" for b in broken]

    page = contexts[user, "phone"].new_page()
    open_page(page, site)
    for width in PHONE_WIDTHS:
        resize(page, width)
        screenshot(page, f"{state}-{width}")
        if too_wide := sideways_overflow(page, width):
            problems.append(f"{width} px: scrolls sideways, {too_wide}")
        start = page.get_by_role("button", name="Start benchmark")
        if start.count() and not receives_tap_at_centre(start):
            problems.append(f'{width} px: a tap on the centre of "Start benchmark" lands elsewhere')
    problems += [f"320 px: {v}" for v in wcag_violations(page)]
    page.close()

    assert not problems, f"{state}:\n" + "\n".join(problems)


def test_pages_name_an_icon_and_favicon_ico_is_served(site, contexts):
    page = contexts["anonymous", "desktop"].new_page()
    page.goto(site.url + "/login")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    for path, kind in ((icon, "image/svg+xml"), ("/favicon.ico", "image/")):
        response = page.request.get(site.url + path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith(kind), response.headers["content-type"]
    page.close()
