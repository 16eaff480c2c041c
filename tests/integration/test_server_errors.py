"""What the web server answers on its own, before the app sees a request: a URL too long to
read, a request it cannot parse. Every response, these included, carries the security headers
and names no server software."""

import socket

import httpx


def raw_request(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def headers_of(answer: bytes) -> dict[str, str]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in head)}


def test_a_url_too_long_and_a_garbled_request_get_the_security_headers(live_server):
    for request, status in (
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b" 414 "),
        (b"GARBAGE\x00\x01 / HTTP/1.1\r\n\r\n", b" 400 "),
    ):
        answer = raw_request(live_server, request)
        assert status in answer.split(b"\r\n", 1)[0], answer[:200]
        headers = headers_of(answer)
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in headers["content-security-policy"]
        assert b"aaaaaaaaaa" not in answer and b"GARBAGE" not in answer  # nothing of the request echoed


def test_no_response_names_the_server_software(live_server):
    for path in ("/signup", "/healthz", "/no-such-page", "/static/app.css"):
        server = httpx.get(live_server.url + path).headers.get("server", "")
        assert "gunicorn" not in server.lower(), (path, server)
    answer = raw_request(live_server, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n")
    assert b"gunicorn" not in answer.lower()
