"""A websocket client for the live endpoint, as a browser would connect (session cookie, Origin)."""

from __future__ import annotations

import re
import struct

import httpx
import websocket

PASSWORD = "correct horse battery"


def sign_up_cookies(base_url: str, email: str) -> dict[str, str]:
    """Sign up through the real form over HTTP; returns the session's cookies. (Tests and the
    bench scripts all sign up this way.)"""
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/signup").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        response = client.post(
            "/signup", data={"csrf_token": token, "email": email, "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code == 302, response.text[:500]
        return dict(client.cookies)


def sign_up(base_url: str, email: str) -> str:
    """Sign up through the real form; returns the session cookie value."""
    return sign_up_cookies(base_url, email)["vb_session"]


def connect(base_url: str, report_id: int, session: str | None = None, origin: str | None = None):
    url = base_url.replace("http", "ws", 1) + f"/benchmarks/{report_id}/live"
    return websocket.create_connection(
        url, origin=origin or base_url, cookie=f"vb_session={session}" if session else None, timeout=15
    )


def read_until_close(ws) -> tuple[list[str], int | None]:
    """Every text message until the server closes; returns (messages, close code). A server
    that hangs up without a close frame fails the test: every close here has a code."""
    messages = []
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            messages.append(data.decode())
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            return messages, struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
