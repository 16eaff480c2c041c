"""A dataset ZIP picked in Chromium: sent by htmx (with its progress), added whole, or refused
with every problem listed on the page."""

from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, SignupPage
from tests.support.datasets import receipts, zip_of
from tests.support.images import png


def test_a_zip_is_added_whole_or_refused_with_its_problems(page, live_server, tmp_path):
    base_url = live_server.url
    SignupPage(page, base_url).open().sign_up("new.user@example.com", "correct horse battery")
    Dashboard(page).expect_loaded()
    page.goto(base_url + "/benchmarks/new")
    good, bad = tmp_path / "receipts.zip", tmp_path / "bad.zip"
    good.write_bytes(zip_of(receipts(3)))
    bad.write_bytes(zip_of({"x.png": png(), "y.png": png(), "y.json": "{"}))

    page.get_by_label("Dataset (ZIP)").set_input_files(bad)
    problems = page.get_by_role("list", name="Problems in the ZIP").get_by_role("listitem")
    expect(problems).to_have_text(
        [
            "x.png has no expected JSON: add x.json or a line in expected.jsonl.",
            "y.json: This is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2).",
        ]
    )
    expect(page.locator(".image-card")).to_have_count(0)

    page.get_by_label("Dataset (ZIP)").set_input_files(good)
    expect(page.get_by_text("Added 3 images with their expected JSON.")).to_be_visible()
    expect(page.locator(".image-card")).to_have_count(3)
    expect(page.get_by_label("Expected JSON for sample-receipt-2.png")).to_contain_text('"Blue Bean Café"')
