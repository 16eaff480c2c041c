"""Helpers for driving forms through Flask's test client with real CSRF tokens."""

import re

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def signup(self, email="ada@example.com", password="correct horse battery"):
        token = csrf_token(self.client.get("/signup").get_data(as_text=True))
        return self.client.post(
            "/signup", data={"csrf_token": token, "email": email, "password": password, "confirm": password}
        )

    def login(self, email="ada@example.com", password="correct horse battery", next=None):
        token = csrf_token(self.client.get("/login").get_data(as_text=True))
        url = "/login" + (f"?next={next}" if next else "")
        return self.client.post(url, data={"csrf_token": token, "email": email, "password": password})

    def logout(self):
        token = csrf_token(self.client.get("/dashboard").get_data(as_text=True))
        return self.client.post("/logout", data={"csrf_token": token})
