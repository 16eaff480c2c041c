"""Page objects: elements found by role and label, as a person would find them."""
from __future__ import annotations

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
