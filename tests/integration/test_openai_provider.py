"""The OpenAI-compatible provider against a real local HTTP server speaking the API."""

import base64
import email.utils
import socket
import time
from decimal import Decimal

import pytest

from tests.support.aio import run_async
from tests.support.fake_openai import FakeOpenAI, Response, completion
from webapp.engine.providers import CallRequest, OpenAICompatibleProvider, ProviderError, RateLimited

KEY = "sk-test-0123456789-very-secret"
IMAGE = b"\x89PNG\r\n\x1a\nnot really a png"


def request(**changes) -> CallRequest:
    fields = dict(
        report_id=1,
        model_id="openai/gpt-5-nano",
        image_id=7,
        sample_index=0,
        prompt="Extract the receipt as JSON.",
        image_bytes=IMAGE,
        image_mime="image/png",
        expected={"total": 1},
        tier="budget",
    )
    return CallRequest(**{**fields, **changes})


def call(base_url: str, req: CallRequest | None = None, timeout: float = 10.0, key: str = KEY):
    async def go():
        provider = OpenAICompatibleProvider(base_url, key)
        try:
            return await provider.call(req or request(), timeout)
        finally:
            await provider.aclose()

    return run_async(go())


def failure(base_url: str, timeout: float = 10.0) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call(base_url, timeout=timeout)
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    # Not chained to the SDK's exception, whose details a logged traceback would show.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    return info.value


@pytest.fixture
def fake():
    with FakeOpenAI() as fake:
        yield fake


def test_success_sends_one_proper_request(fake):
    fake.reply_json({"total": 12.5})
    result = call(fake.base_url, request(image_mime="image/jpeg"))
    assert result.text == '{"total": 12.5}'
    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "openai/gpt-5-nano"
    [message] = sent.body["messages"]
    assert message["role"] == "user"
    text, image = message["content"]
    assert text == {"type": "text", "text": "Extract the receipt as JSON."}
    assert image["type"] == "image_url"
    assert image["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(IMAGE).decode()


def test_usage_and_reported_cost_are_mapped(fake):
    fake.reply_text("{}", prompt_tokens=1500, completion_tokens=42, cost=0.00123)
    result = call(fake.base_url)
    assert (result.input_tokens, result.output_tokens) == (1500, 42)
    assert result.cost_usd == Decimal("0.00123")


def test_cost_is_none_when_not_reported(fake):
    fake.reply_text("{}", prompt_tokens=10, completion_tokens=2)
    result = call(fake.base_url)
    assert (result.input_tokens, result.output_tokens, result.cost_usd) == (10, 2, None)


def test_missing_usage_gives_no_tokens(fake):
    reply = completion("{}")
    del reply.body["usage"]
    fake.queue(reply)
    result = call(fake.base_url)
    assert (result.text, result.input_tokens, result.output_tokens, result.cost_usd) == ("{}", None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"total": 12.5}\n```',
        'Here is the JSON:\n{"total": 12.5}\nHope this helps!',
        '{"total": 12.',  # invalid: parsing is the engine's job, not the provider's
        "  leading and trailing whitespace kept  \n",
    ],
)
def test_text_is_returned_verbatim(fake, text):
    fake.reply_text(text)
    assert call(fake.base_url).text == text


def test_429_with_retry_after_seconds_is_rate_limited(fake):
    fake.queue(
        Response(
            status=429, headers={"Retry-After": "1"}, body={"error": {"message": "Rate limit exceeded", "code": 429}}
        )
    )
    error = failure(fake.base_url)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 1.0
    assert "429" in str(error)
    assert len(fake.requests) == 1, "the provider must not retry by itself"


def test_429_with_retry_after_http_date(fake):
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.queue(Response(status=429, headers={"Retry-After": later}, body={"error": {"message": "slow down"}}))
    error = failure(fake.base_url)
    assert isinstance(error, RateLimited) and 25 <= error.retry_after <= 31


def test_429_without_retry_after(fake):
    fake.queue(Response(status=429, body={"error": {"message": "slow down"}}))
    error = failure(fake.base_url)
    assert isinstance(error, RateLimited) and error.retry_after is None


def test_queued_responses_come_before_the_default(fake):
    fake.reply_text("ok")
    fake.queue(Response(status=429, headers={"Retry-After": "0"}))
    assert isinstance(failure(fake.base_url), RateLimited)
    assert call(fake.base_url).text == "ok"


def test_server_error_reports_status_and_message(fake):
    fake.handler = lambda body: Response(status=500, body={"error": {"message": "upstream is down"}})
    error = failure(fake.base_url)
    assert not isinstance(error, RateLimited)
    assert str(error) == "HTTP 500: upstream is down"
    assert len(fake.requests) == 1, "the provider must not retry by itself"


def test_long_non_json_error_body_is_shortened(fake):
    fake.queue(Response(status=502, body="<html>" + "bad gateway " * 200 + "</html>"))
    error = failure(fake.base_url)
    assert str(error).startswith("HTTP 502: <html>bad gateway") and len(str(error)) <= 300


def test_error_echoing_the_key_is_redacted(fake):
    fake.queue(Response(status=401, body={"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    error = failure(fake.base_url)
    assert str(error) == "HTTP 401: Incorrect API key provided: [redacted]"


def test_timeout(fake):
    fake.reply_text("{}")
    fake.queue(Response(delay=2.0, body=completion("{}").body))
    started = time.monotonic()
    error = failure(fake.base_url, timeout=0.5)
    assert "timed out" in str(error) and "0.5" in str(error)
    assert time.monotonic() - started < 1.8


def test_unreachable_provider():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    error = failure(f"http://127.0.0.1:{port}/v1")
    assert str(error).startswith("could not reach the provider")


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []},
        completion(None).body,
        completion("").body,
    ],
)
def test_empty_response(fake, body):
    fake.queue(Response(body=body))
    assert str(failure(fake.base_url)) == "empty response"


def test_non_json_200_body(fake):
    fake.queue(Response(body="<html>maintenance</html>", headers={"Content-Type": "text/html"}))
    assert "not a chat completion" in str(failure(fake.base_url))


def test_error_inside_a_200_body(fake):
    fake.queue(
        Response(
            body={"error": {"message": "Provider returned error", "code": 502, "metadata": {"raw": "model overloaded"}}}
        )
    )
    assert str(failure(fake.base_url)) == "provider error: Provider returned error (model overloaded)"


def test_key_never_appears_in_logs(fake, caplog):
    caplog.set_level("DEBUG")
    fake.queue(Response(status=500, body={"error": {"message": "boom"}}))
    failure(fake.base_url)
    assert KEY not in caplog.text
