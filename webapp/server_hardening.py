"""Two things gunicorn has no setting for, applied by gunicorn_conf.py in the web server:

- the error pages gunicorn writes itself, before the app sees a request (one it cannot parse,
  a 5,000-character URL answered 414), carry the app's security headers and echo nothing of
  the request;
- no response names the server software and its version ("Server: gunicorn").
"""

from __future__ import annotations

from html import escape

from gunicorn import util
from gunicorn.http import wsgi

from . import PRODUCT_NAME
from .security import SECURITY_HEADERS

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{reason}</title></head>
<body><h1>{reason}</h1><p>The request could not be read. Check the address and try again.</p></body></html>
"""


def _write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    body = PAGE.format(reason=escape(reason)).encode()
    headers = "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items())
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{headers}\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def apply() -> None:
    util.write_error = _write_error  # looked up by the workers at each error
    wsgi.SERVER = PRODUCT_NAME  # read by each response for its Server header
