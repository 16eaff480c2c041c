"""Calls models through any OpenAI-compatible chat completions API (OpenRouter by default).

One chat completion per call, the image inline as a base64 data URL. The SDK's own retries
are off (`max_retries=0`): the engine decides about retries. Every failure becomes a
`ProviderError` with a short message meant for users; the API key never appears in one
(messages are scrubbed of it, and the SDK's exceptions are not chained, so they cannot
leak it into logged tracebacks either).
"""

from __future__ import annotations

import base64
import email.utils
import json
import math
import re
import time
from decimal import Decimal, InvalidOperation

import openai
from openai.types.chat import ChatCompletionMessageParam

from ...domain import OutputMode
from ...output_schema import for_models, for_strict_mode
from .base import CallRequest, CallResult, ModeRejected, ProviderError, RateLimited

MAX_MESSAGE_CHARS = 300


class OpenAICompatibleProvider:
    name = "openai_compatible"
    is_simulated = False

    def __init__(self, base_url: str, api_key: str, extra_headers: dict | None = None):
        if not api_key:
            raise ValueError("an API key is required for the openai_compatible provider")
        self._api_key = api_key
        self.base_url = base_url
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, default_headers=extra_headers or None
        )

    def __repr__(self) -> str:
        return f"OpenAICompatibleProvider(base_url={self.base_url!r})"

    async def call(self, req: CallRequest, timeout: float) -> CallResult:
        try:
            completion = await self._client.chat.completions.create(
                model=req.model_id, messages=_messages(req), timeout=timeout, **_output_format(req)
            )
        except openai.APITimeoutError:
            raise ProviderError(f"timed out after {timeout:g} s") from None
        except openai.APIStatusError as e:
            raise self._status_error(e) from None
        except openai.APIConnectionError as e:
            cause = e.__cause__ or e.__context__
            detail = f"{type(cause).__name__}: {cause}" if cause else e.message
            raise ProviderError(self._clean(f"could not reach the provider: {detail}")) from None
        except openai.APIError as e:  # e.g. a response the SDK could not make sense of
            raise ProviderError(self._clean(f"invalid response from the provider: {e.message}")) from None
        return self._result(completion)

    async def aclose(self) -> None:
        await self._client.close()

    def _status_error(self, e: openai.APIStatusError) -> ProviderError:
        if e.status_code == 429:
            return RateLimited(
                self._clean(f"rate limited (HTTP 429): {_body_message(e)}"),
                retry_after=parse_retry_after(e.response.headers),
            )
        message = self._clean(f"HTTP {e.status_code}: {_body_message(e)}")
        if e.status_code == 400 and _REFUSED_MODE.search(message):
            return ModeRejected(message)
        return ProviderError(message)

    def _result(self, completion) -> CallResult:
        if isinstance(completion, (str, bytes)):  # a 200 whose body is not JSON (a proxy's page, say)
            raise ProviderError("invalid response from the provider: not a chat completion")
        choices = getattr(completion, "choices", None) or []
        content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
        if not isinstance(content, str) or content == "":
            error = _extra(completion, "error")  # OpenRouter can report failures in a 200 body
            if error:
                raise ProviderError(self._clean(f"provider error: {_error_text(error)}"))
            raise ProviderError("empty response")
        usage = getattr(completion, "usage", None)
        return CallResult(
            text=content,
            input_tokens=_int_or_none(getattr(usage, "prompt_tokens", None)),
            output_tokens=_int_or_none(getattr(usage, "completion_tokens", None)),
            cost_usd=_cost(_extra(usage, "cost")),
        )

    def _clean(self, message: str) -> str:
        """Shorten to one line of at most MAX_MESSAGE_CHARS and remove the API key."""
        message = message.replace(self._api_key, "[redacted]")
        message = re.sub(r"\s+", " ", message).strip()
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
        return message.replace(self._api_key, "[redacted]")  # in case the cut made a new match


# A 400 that names the output format: the provider (or this model behind it) refuses the mode.
_REFUSED_MODE = re.compile(r"response_format|json_schema|structured output", re.IGNORECASE)
SCHEMA_NAME = "extraction"


def _messages(req: CallRequest) -> list[ChatCompletionMessageParam]:
    """JSON mode carries the schema in a system message; prompt mode at the end of the prompt;
    structured outputs in response_format only (see _output_format)."""
    data = base64.b64encode(req.image_bytes).decode("ascii")
    prompt = req.prompt
    if req.output_schema is not None and req.output_mode is OutputMode.PROMPT:
        prompt = f"{prompt}\n\n{schema_instruction(req.output_schema)}"
    user: ChatCompletionMessageParam = {
        "role": "user",
        "content": [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": f"data:{req.image_mime};base64,{data}"}},
        ],
    }
    if req.output_schema is not None and req.output_mode is OutputMode.JSON_OBJECT:
        return [{"role": "system", "content": schema_instruction(req.output_schema)}, user]
    return [user]


def schema_instruction(schema: dict) -> str:
    text = json.dumps(for_models(schema), ensure_ascii=False)
    return "Answer with one JSON object that satisfies this JSON Schema:\n" + text


def _output_format(req: CallRequest) -> dict:
    if req.output_schema is None or req.output_mode is OutputMode.PROMPT:
        return {}
    if req.output_mode is OutputMode.JSON_OBJECT:
        return {"response_format": {"type": "json_object"}}
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": for_strict_mode(req.output_schema)},
        }
    }


def _body_message(e: openai.APIStatusError) -> str:
    body = e.body
    if isinstance(body, dict):
        return _error_text(body.get("error", body))
    if isinstance(body, str) and body.strip():
        return body
    return e.response.reason_phrase or "no details"


def _error_text(error) -> str:
    if isinstance(error, dict):
        text = str(error.get("message") or error.get("code") or "no details")
        raw = (error.get("metadata") or {}).get("raw") if isinstance(error.get("metadata"), dict) else None
        return f"{text} ({raw})" if isinstance(raw, str) and raw and raw not in text else text
    return str(error)


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP-date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            wait = float(ms) / 1000
            if math.isfinite(wait):
                return max(wait, 0.0)
        except ValueError:
            pass
    text = (headers.get("retry-after") or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _extra(model, key: str):
    if model is None:
        return None
    value = getattr(model, key, None)
    if value is None:
        value = (getattr(model, "model_extra", None) or {}).get(key)
    return value


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cost(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        cost = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return cost if cost.is_finite() and cost >= 0 else None
