"""Page objects: elements found by role and label, as a person would find them."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


class SignupPage:
    def __init__(self, page: Page, base_url: str):
        self.page, self.base_url = page, base_url

    def open(self) -> "SignupPage":
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

    def open(self, next: str | None = None) -> "LoginPage":
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

    def expect_loaded(self) -> "Dashboard":
        expect(self.page.get_by_role("heading", name="Your benchmarks", level=1)).to_be_visible()
        return self

    def log_out(self) -> None:
        self.page.locator("summary", has_text="@").click()
        self.page.get_by_role("button", name="Log out").click()


class NewBenchmarkPage:
    def __init__(self, page: Page, base_url: str):
        self.page, self.base_url = page, base_url

    def open(self) -> "NewBenchmarkPage":
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

    def expect_loaded(self) -> "ProcessingPage":
        expect(self.page).to_have_url(re.compile(r"/benchmarks/\d+/processing$"))
        self.report_id = int(re.search(r"/benchmarks/(\d+)/processing", self.page.url).group(1))
        return self

    def pill(self):
        return self.page.locator("#connection-pill")

    def overall(self):
        return self.page.get_by_role("progressbar", name="Overall progress")

    def model_row(self, name: str):
        return self.page.locator("#progress tbody tr", has_text=name)
