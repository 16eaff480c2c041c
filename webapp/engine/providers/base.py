"""What every provider offers the engine: one model call on one image, no retries.

The engine retries `RateLimited` (honouring `retry_after`) and measures latency itself;
providers make exactly one attempt per `call` and turn every failure into a
`ProviderError` whose message can be shown to users as is (it never holds a secret).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from ...domain import OutputMode


@dataclass(frozen=True)
class CallRequest:
    report_id: int
    model_id: str
    image_id: int
    sample_index: int
    prompt: str
    image_bytes: bytes = field(repr=False)
    image_mime: str  # e.g. "image/png"
    expected: dict = field(repr=False)  # the user's expected JSON; only the simulated provider reads it
    tier: str  # catalog tier of the model: free|budget|mid|premium|ultra
    output_mode: OutputMode = OutputMode.PROMPT  # how the model is held to output_schema
    output_schema: dict | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CallResult:
    text: str  # raw output exactly as returned
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None  # as reported by the provider, else None (the engine uses catalog prices)


class ProviderError(Exception):
    """A failed call; str(e) is a user-facing message with no secrets."""


class ModeRejected(ProviderError):
    """The provider refused the requested output mode (HTTP 400 naming response_format): the
    engine asks once more in the next weaker mode."""


class RateLimited(ProviderError):
    """HTTP 429: the engine waits `retry_after` seconds (when known) and tries again."""

    def __init__(self, message: str = "rate limited (HTTP 429)", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@runtime_checkable
class Provider(Protocol):
    name: str  # "openai_compatible" | "simulated"
    is_simulated: bool

    async def call(self, req: CallRequest, timeout: float) -> CallResult: ...

    async def aclose(self) -> None: ...
