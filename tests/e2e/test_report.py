"""The report in Chromium: sort, calculator, CSV download, owner actions, and nothing runs
that a model or a user wrote."""

import csv
import io
import re

import psycopg
import pytest
from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, ReportPage, SignupPage
from tests.support.hostile import HOSTILE_MODEL, PAYLOAD, hostile_outcome
from tests.support.reports import MODELS, make_report, share_token, user_id

EMAIL, PASSWORD = "report.reader@example.com", "correct horse battery"
NANO, FLASH, SONNET = "GPT-5 Nano", "Gemini 2.5 Flash", "Claude Sonnet 4.5"


@pytest.fixture
def owner(page, live_server, database_url):
    SignupPage(page, live_server.url).open().sign_up(EMAIL, PASSWORD)
    Dashboard(page).expect_loaded()
    return user_id(database_url, EMAIL)


def test_sort_calculate_and_download_the_csv(page, live_server, database_url, owner, tmp_path):
    report_id = make_report(database_url, owner)
    token = share_token(database_url, report_id)
    violations = []  # the page works under the Content-Security-Policy (no inline script or style)
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    report = ReportPage(page).open(live_server.url, token)
    expect(report.recommendation(FLASH)).to_be_visible()  # tied with Sonnet within noise; cheaper
    assert report.ranked_models() == [FLASH, SONNET, NANO]

    # Sort by cost: htmx swaps the table and the address keeps the state
    report.sort_by("Cost per run")
    expect(report.sorted_column()).to_have_attribute("aria-sort", "ascending")
    expect(report.sorted_column()).to_contain_text("Cost per run")
    assert report.ranked_models() == [NANO, FLASH, SONNET]
    expect(page).to_have_url(re.compile(r"sort=cost&dir=asc"))
    report.sort_by("Cost per run")  # again: the other way
    expect(report.sorted_column()).to_have_attribute("aria-sort", "descending")
    assert report.ranked_models() == [SONNET, FLASH, NANO]

    # The calculator follows the typing
    report.documents_per_month().fill("25000")
    expect(page.get_by_text("Monthly cost for 25,000 documents")).to_be_visible()
    expect(report.monthly_cost_row(SONNET)).to_contain_text("$262.50")
    expect(report.monthly_cost_row(NANO)).to_contain_text("$10.00")
    report.documents_per_month().fill("0")  # the browser refuses it before asking
    assert report.documents_per_month().evaluate("el => el.validity.rangeUnderflow")

    # The CSV, as downloaded, against the database
    with page.expect_download() as info:
        page.get_by_role("link", name="Download all runs (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"visionbench-report-{report_id}-simulated.csv"
    path = tmp_path / "runs.csv"
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    with psycopg.connect(database_url) as conn:
        db = conn.execute(
            """
            SELECT r.model_id, i.position + 1, r.sample_index + 1, r.status, r.latency_ms, r.cost_usd, r.field_accuracy
            FROM benchmark_runs r JOIN report_images i ON i.id = r.image_id WHERE r.report_id = %s""",
            (report_id,),
        ).fetchall()
    got = sorted(
        (
            r["model_id"],
            int(r["image_position"]),
            int(r["sample"]),
            r["status"],
            int(r["latency_ms"]),
            r["cost_usd"] or None,
            float(r["field_accuracy"]) if r["field_accuracy"] else None,
        )
        for r in rows
    )
    assert got == sorted((m, p, s, st, lat, str(c) if c is not None else None, acc) for m, p, s, st, lat, c, acc in db)
    assert violations == []


def test_runs_filter_and_image_tabs_work_in_place(page, live_server, database_url, owner):
    token = share_token(database_url, make_report(database_url, owner))
    report = ReportPage(page).open(live_server.url, token)
    page.get_by_label("Status").select_option("failed")
    expect(page.get_by_text("1 run match")).to_be_visible()
    expect(report.run_rows()).to_have_count(1)
    expect(report.run_rows()).to_contain_text("Upstream error 502")
    page.get_by_role("link", name="2. receipt-1.png").click()
    expect(page.get_by_text("Image 2 of 2: receipt-1.png")).to_be_visible()
    image = page.get_by_role("img", name="Image 2 of 2: receipt-1.png")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 41


def test_owner_turns_off_the_link_then_deletes_the_report_from_the_dashboard(
    page, live_server, database_url, owner, browser
):
    report_id = make_report(database_url, owner)
    token = share_token(database_url, report_id)
    page.goto(f"{live_server.url}/r/{token}")
    page.get_by_role("button", name="Turn off link…").click()
    page.get_by_role("button", name="Turn off the link").click()
    expect(page.get_by_text("The share link was turned off.")).to_be_visible()
    stranger = browser.new_page()
    assert stranger.goto(f"{live_server.url}/r/{token}").status == 404
    stranger.close()

    page.goto(f"{live_server.url}/dashboard")
    page.get_by_role("link", name="Delete Test benchmark").click()
    expect(page.get_by_role("heading", name="Delete this benchmark?")).to_be_visible()
    page.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_text("The benchmark “Test benchmark” was deleted.")).to_be_visible()
    expect(page.get_by_role("heading", name="No benchmarks yet")).to_be_visible()


def test_markup_from_models_and_users_never_runs(page, live_server, database_url, owner):
    report_id = make_report(
        database_url,
        owner,
        models=[MODELS[0], HOSTILE_MODEL],
        outcome=hostile_outcome,
        prompt=f"Extract it all {PAYLOAD}",
        expected={"merchant": PAYLOAD, PAYLOAD: "key"},
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE reports SET title = %s WHERE id = %s", (f"Receipts {PAYLOAD}", report_id))
    dialogs, errors, violations = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(f"{live_server.url}/r/{share_token(database_url, report_id)}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Receipts {PAYLOAD}")
    expect(page.locator("svg text", has_text=HOSTILE_MODEL).first).to_be_attached()
    report = ReportPage(page)
    report.sort_by("Model")  # an htmx swap renders it all again
    expect(report.sorted_column()).to_contain_text("Model")
    page.goto(f"{live_server.url}/dashboard")
    expect(page.get_by_role("link", name=f"Receipts {PAYLOAD}", exact=True)).to_be_visible()
    assert dialogs == [] and errors == [] and violations == []
    assert page.evaluate("document.querySelectorAll('img[src=x], svg[onload]').length") == 0
