"""Run again -> change the prompt and the models -> start -> compare with the original, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, NewBenchmarkPage, ProcessingPage, ReportPage, SignupPage
from tests.support.reports import make_report, share_token, user_id

EMAIL, PASSWORD = "run.again@example.com", "correct horse battery"


@pytest.fixture
def owner(page, live_server, database_url):
    SignupPage(page, live_server.url).open().sign_up(EMAIL, PASSWORD)
    Dashboard(page).expect_loaded()
    return user_id(database_url, EMAIL)


def test_run_again_with_another_prompt_and_model_then_compare(page, live_server, database_url, owner):
    token = share_token(database_url, make_report(database_url, owner, models=["openai/gpt-5-nano"], samples=1))
    ReportPage(page).open(live_server.url, token)
    page.get_by_role("button", name="Run again").click()

    form = NewBenchmarkPage(page, live_server.url)
    expect(page.get_by_text("The form holds the 2 images, expected JSON, prompt and settings")).to_be_visible()
    expect(page.locator(".image-card")).to_have_count(2)
    expect(page.get_by_role("checkbox", name="GPT-5 Nano")).to_be_checked()
    page.get_by_label("Extraction prompt").fill("A second prompt: answer with the receipt's JSON only.")
    form.choose_model("Gemini 2.5 Flash")
    form.start()
    ProcessingPage(page).expect_loaded()
    live_server.start_worker(SIMULATED_SPEED="0.02")
    expect(page).to_have_url(re.compile(r"/r/[\w-]+$"), timeout=60_000)

    page.get_by_role("link", name="Compare with the original").click()
    expect(page.get_by_role("heading", name="Comparison", level=1)).to_be_visible()
    expect(page.locator("#image-match")).to_have_text(
        "Both reports are over the same 2 images with the same expected JSON."
    )
    table = page.get_by_role("region", name="Models compared")
    expect(table.get_by_role("row", name=re.compile("GPT-5 Nano"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Gemini 2.5 Flash"))).to_contain_text("only in B")
