"""Page objects: elements found by role and label, as a person would find them."""

from __future__ import annotations

import re

import psycopg
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"


class SignupPage:
    def __init__(self, page: Page, base_url: str):
        self.page, self.base_url = page, base_url

    def open(self) -> SignupPage:
        self.page.goto(self.base_url + "/signup")
        expect(self.page.get_by_role("heading", name="Create your account")).to_be_visible()
        return self

    def sign_up(self, email: str, password: str, confirm: str | None = None) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_label("Repeat password").fill(confirm if confirm is not None else password)
        self.page.get_by_role("main").get_by_role("button", name="Sign up").click()


class LoginPage:
    def __init__(self, page: Page, base_url: str):
        self.page, self.base_url = page, base_url

    def open(self, next: str | None = None) -> LoginPage:
        self.page.goto(self.base_url + "/login" + (f"?next={next}" if next else ""))
        expect(self.page.get_by_role("heading", name="Log in")).to_be_visible()
        return self

    def log_in(self, email: str, password: str) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("main").get_by_role("button", name="Log in").click()


class Dashboard:
    def __init__(self, page: Page):
        self.page = page

    def expect_loaded(self) -> Dashboard:
        expect(self.page.get_by_role("heading", name="Your benchmarks", level=1)).to_be_visible()
        return self

    def log_out(self) -> None:
        self.page.locator("summary", has_text="@").click()
        self.page.get_by_role("button", name="Log out").click()


class NewBenchmarkPage:
    def __init__(self, page: Page, base_url: str):
        self.page, self.base_url = page, base_url

    def open(self) -> NewBenchmarkPage:
        self.page.goto(self.base_url + "/benchmarks/new")
        expect(self.page.get_by_role("heading", name="New benchmark", level=1)).to_be_visible()
        return self

    def add_images(self, paths) -> None:
        # Picking files uploads them at once: the page comes back with a card per image.
        before = self.page.locator(".image-card").count()
        self.page.get_by_label("Images", exact=True).set_input_files(paths)
        expect(self.page.locator(".image-card")).to_have_count(before + len(paths))

    def expect_json(self, filename: str, text: str) -> None:
        self.page.get_by_label(f"Expected JSON for {filename}").fill(text)

    def choose_model(self, name: str) -> None:
        self.page.get_by_role("checkbox", name=name).check()

    def estimate(self):
        return self.page.locator("#estimate .estimate-total")

    def start(self) -> None:
        self.page.get_by_role("button", name="Start benchmark").click()


class ProcessingPage:
    def __init__(self, page: Page):
        self.page = page

    def expect_loaded(self) -> ProcessingPage:
        expect(self.page).to_have_url(re.compile(r"/benchmarks/\d+/processing$"))
        self.report_id = int(re.search(r"/benchmarks/(\d+)/processing", self.page.url).group(1))
        return self

    def pill(self):
        return self.page.locator("#connection-pill")

    def overall(self):
        return self.page.get_by_role("progressbar", name="Overall progress")

    def model_row(self, name: str):
        return self.page.locator("#progress tbody tr", has_text=name)


class ReportPage:
    """The report, as anyone with its link sees it."""

    def __init__(self, page: Page):
        self.page = page

    def open(self, base_url: str, token: str) -> ReportPage:
        self.page.goto(f"{base_url}/r/{token}")
        expect(self.page.get_by_role("heading", level=1)).to_be_visible()
        return self

    def recommendation(self, model_name: str):
        return self.page.get_by_role("heading", name=f"Use {model_name}")

    def ranking(self):
        return self.page.get_by_role("table", name="Models ranked")

    def ranked_models(self) -> list[str]:
        """Model names down the ranking table (its row headers), without the best-value stars."""
        names = self.ranking().locator("tbody").get_by_role("rowheader").all_inner_texts()
        return [name.split(" ★")[0].strip() for name in names]

    def sort_by(self, column: str) -> None:
        self.ranking().get_by_role("link", name=column, exact=True).click()

    def sorted_column(self):
        """The ranking's column header the table is sorted by (aria-sort)."""
        return self.ranking().locator("th[aria-sort]")

    def documents_per_month(self):
        return self.page.get_by_label("Documents per month")

    def monthly_cost_row(self, model_name: str):
        return self.page.locator("#calculator-results").get_by_role("row", name=model_name)

    def runs(self):
        return self.page.get_by_role("table", name="Runs")

    def run_rows(self):
        return self.runs().locator("tbody tr")


# Steps many tests start with -----------------------------------------------------------------


def sign_up(page, base_url, database_url, email="watcher@example.com") -> int:
    SignupPage(page, base_url).open().sign_up(email, PASSWORD)
    Dashboard(page).expect_loaded()
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]


def open_processing(page, base_url, report_id) -> ProcessingPage:
    page.goto(f"{base_url}/benchmarks/{report_id}/processing")
    processing = ProcessingPage(page).expect_loaded()
    expect(processing.pill()).to_have_text("Live")
    # A marker that a full page load would wipe: proves the updates arrive without a reload.
    page.evaluate("window.__sameDocument = true")
    return processing
