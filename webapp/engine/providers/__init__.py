"""Providers: how the engine calls a vision model. See base.py for the interface."""

from __future__ import annotations

from ...domain import OPENAI_COMPATIBLE, PROVIDER_CHOICES, SIMULATED, api_key
from .base import CallRequest, CallResult, ModeRejected, Provider, ProviderError, RateLimited
from .openai_compatible import OpenAICompatibleProvider
from .simulated import SimulatedProvider

__all__ = [
    "DEFAULT_BASE_URL",
    "CallRequest",
    "CallResult",
    "ModeRejected",
    "OpenAICompatibleProvider",
    "Provider",
    "ProviderError",
    "RateLimited",
    "SimulatedProvider",
    "make_provider",
]

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"


def make_provider(config: dict) -> Provider:
    """The provider the config asks for ("auto": the domain's rule, a real API when a key is set)."""
    kind = str(config.get("PROVIDER") or "auto").strip().lower()
    if kind not in PROVIDER_CHOICES:
        raise ValueError(f"Unknown PROVIDER {kind!r}: use one of {', '.join(PROVIDER_CHOICES)}.")
    key = api_key(config)
    if kind == "auto":
        kind = OPENAI_COMPATIBLE if key else SIMULATED
    if kind == SIMULATED:
        speed = config.get("SIMULATED_SPEED")
        fixed = config.get("SIMULATED_FIXED_LATENCY")
        return SimulatedProvider(
            speed=1.0 if speed in (None, "") else float(speed),
            fixed_latency=None if fixed in (None, "") else float(fixed),
        )
    if not key:
        raise ValueError(
            "PROVIDER is openai_compatible but no API key is set: set PROVIDER_API_KEY (or OPENROUTER_API_KEY)."
        )
    return OpenAICompatibleProvider(base_url=config.get("PROVIDER_BASE_URL") or DEFAULT_BASE_URL, api_key=key)
