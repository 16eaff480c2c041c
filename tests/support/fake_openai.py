"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, answering from a script.

    with FakeOpenAI() as fake:
        fake.reply_json({"total": 12.5})                      # default answer to every request
        fake.queue(Response(status=429, headers={"Retry-After": "1"}))  # one-offs, first
        provider = OpenAICompatibleProvider(fake.base_url, "sk-test")
        ...
        fake.requests[0].body["model"], fake.requests[0].headers["authorization"]

Each request is answered by the next queued Response if any, else by `fake.handler(body)`
(set it directly for replies that depend on the request). A handler may return a Response,
a str (sent as the completion's text) or a dict (sent as JSON text). `delay` (seconds) on
a Response or on the fake as a whole makes answers slow, for timeout tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count


@dataclass
class Response:
    status: int = 200
    body: dict | list | str | bytes | None = None  # dict/list: JSON; str/bytes: sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: object | None  # parsed JSON, None if the body was not JSON
    raw: bytes


_ids = count(1)


def completion(
    text: str | None,
    *,
    model: str = "fake-model",
    prompt_tokens: int = 1234,
    completion_tokens: int | None = None,
    cost: float | None = None,
) -> Response:
    """A successful chat.completion answer whose message content is `text`."""
    if completion_tokens is None:
        completion_tokens = max(1, len(text or "") // 4)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cost is not None:
        usage["cost"] = cost
    return Response(
        body={
            "id": f"chatcmpl-fake-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        }
    )


class FakeOpenAI:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.requests: list[RecordedRequest] = []
        self.handler: Callable[[object], Response | str | dict] = lambda body: "{}"
        self._queue: deque[Response] = deque()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- script -------------------------------------------------------------------------
    def reply_text(self, text: str, **usage) -> None:
        """Answer every request with a completion whose content is `text` (see `completion`)."""
        self.handler = lambda body: completion(text, model=_model(body), **usage)

    def reply_json(self, value, **usage) -> None:
        self.reply_text(json.dumps(value), **usage)

    def queue(self, *responses: Response) -> None:
        """One-off answers, used in order before the default."""
        self._queue.extend(responses)

    # -- server -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "use FakeOpenAI as a context manager (or call start)"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes delayed answers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _answer(self, body) -> Response:
        try:
            reply = self._queue.popleft()
        except IndexError:
            reply = self.handler(body)
        if isinstance(reply, str):
            reply = completion(reply, model=_model(body))
        elif isinstance(reply, dict):
            reply = completion(json.dumps(reply), model=_model(body))
        return reply


def _model(body) -> str:
    return body.get("model", "fake-model") if isinstance(body, dict) else "fake-model"


def _make_handler(fake: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            fake.requests.append(
                RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
            )
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(Response(404, {"error": {"message": f"no route {self.path}"}}))
            reply = fake._answer(body)
            delay = reply.delay or fake.delay
            if delay and fake._closing.wait(delay):
                return
            self._send(reply)

        def _send(self, reply: Response):
            data, ctype = reply.body, "application/json"
            if isinstance(data, (dict, list)):
                data = json.dumps(data).encode()
            elif isinstance(data, str):
                data, ctype = data.encode(), "text/plain; charset=utf-8"
            elif data is None:
                data = b""
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": ctype, **reply.headers, "Content-Length": str(len(data))}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format, *args):
            pass

    return Handler
