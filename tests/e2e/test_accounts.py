import re

from playwright.sync_api import expect

from tests.e2e.pages import Dashboard, LoginPage, SignupPage

PASSWORD = "correct horse battery"


def test_sign_up_log_out_log_in(page, live_server):
    SignupPage(page, live_server.url).open().sign_up("grace@example.com", PASSWORD)
    dashboard = Dashboard(page).expect_loaded()
    expect(page.get_by_role("heading", name="No benchmarks yet")).to_be_visible()
    expect(page.get_by_role("button", name="Start your first benchmark")).to_be_visible()
    dashboard.log_out()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You have been logged out.")
    LoginPage(page, live_server.url).log_in("grace@example.com", PASSWORD)
    Dashboard(page).expect_loaded()


def test_wrong_password_shows_a_message(page, live_server):
    SignupPage(page, live_server.url).open().sign_up("grace@example.com", PASSWORD)
    Dashboard(page).expect_loaded().log_out()
    LoginPage(page, live_server.url).log_in("grace@example.com", "not my password")
    expect(page.locator("#password-error")).to_have_text("That email and password do not match an account.")
    expect(page.get_by_label("Email")).to_have_value("grace@example.com")


def test_duplicate_email_shows_a_message(page, live_server):
    SignupPage(page, live_server.url).open().sign_up("grace@example.com", PASSWORD)
    Dashboard(page).expect_loaded().log_out()
    SignupPage(page, live_server.url).open().sign_up("GRACE@example.com", PASSWORD)
    expect(page.locator("#email-error")).to_have_text("An account with this email already exists. Log in instead?")
    expect(page.get_by_label("Email")).to_have_value("GRACE@example.com")


def test_login_page_comes_back_to_where_the_visitor_was_going(page, live_server):
    SignupPage(page, live_server.url).open().sign_up("grace@example.com", PASSWORD)
    Dashboard(page).expect_loaded().log_out()
    page.goto(live_server.url + "/benchmarks/new")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    LoginPage(page, live_server.url).log_in("grace@example.com", PASSWORD)
    expect(page).to_have_url(live_server.url + "/benchmarks/new")
