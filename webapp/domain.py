"""The small rules of the domain, written once: every package and template reads them here.

Statuses, the cost estimate's token counts, price tiers, comparison modes, priorities, share
tokens, which provider runs a benchmark, and how an image is answered. SQL keeps its own
status literals ('complete', ...): they are the schema's vocabulary, held to these same values
by the CHECK constraints in migrations/0002_core.sql.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import permutations
from typing import Any, Protocol

from flask import Response

# Statuses --------------------------------------------------------------------------------------


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in REPORT_FINISHED

    @property
    def active(self) -> bool:
        return self in REPORT_ACTIVE

    @property
    def is_complete(self) -> bool:
        return self is ReportStatus.COMPLETE

    @property
    def is_failed(self) -> bool:
        return self is ReportStatus.FAILED

    @property
    def is_cancelled(self) -> bool:
        return self is ReportStatus.CANCELLED

    @property
    def label(self) -> str:
        return self.value.capitalize()


REPORT_FINISHED = frozenset({ReportStatus.COMPLETE, ReportStatus.FAILED, ReportStatus.CANCELLED})
REPORT_ACTIVE = frozenset({ReportStatus.QUEUED, ReportStatus.RUNNING})


class RunStatus(StrEnum):
    # In the order the report's runs filter lists them.
    COMPLETE = "complete"
    FAILED = "failed"
    SKIPPED = "skipped"
    PENDING = "pending"
    RUNNING = "running"

    @property
    def finished(self) -> bool:
        return self in RUN_FINISHED

    @property
    def scored(self) -> bool:
        """Counts in accuracy: a failed run scores 0, a skipped one does not count."""
        return self in RUN_SCORED

    @property
    def is_complete(self) -> bool:
        return self is RunStatus.COMPLETE

    @property
    def is_failed(self) -> bool:
        return self is RunStatus.FAILED

    @property
    def label(self) -> str:
        return self.value.capitalize()


RUN_FINISHED = frozenset({RunStatus.COMPLETE, RunStatus.FAILED, RunStatus.SKIPPED})
RUN_SCORED = frozenset({RunStatus.COMPLETE, RunStatus.FAILED})

# Costs -----------------------------------------------------------------------------------------

# Tokens one run is assumed to use before it has run: the estimate shown while picking models,
# and what the engine reserves against the budget before each call.
ESTIMATE_INPUT_TOKENS = 1500
ESTIMATE_OUTPUT_TOKENS = 500


@dataclass(frozen=True)
class TokensPerRun:
    """Tokens one run of a model is expected to use: the mean of this installation's earlier
    complete runs of that model (`runs` of them) when there are any, else the default above."""

    input: int = ESTIMATE_INPUT_TOKENS
    output: int = ESTIMATE_OUTPUT_TOKENS
    runs: int = 0  # earlier runs measured; 0: the default

    @property
    def measured(self) -> bool:
        return self.runs > 0


DEFAULT_TOKENS_PER_RUN = TokensPerRun()


def expected_tokens(history: Mapping[str, TokensPerRun], model_id: str) -> TokensPerRun:
    """A model's expected tokens per run, from the measured history (model id -> tokens)."""
    return history.get(model_id, DEFAULT_TOKENS_PER_RUN)


TIERS = ("free", "budget", "mid", "premium", "ultra")
TIER_LABELS = {"free": "Free", "budget": "Budget", "mid": "Mid-range", "premium": "Premium", "ultra": "Ultra"}

# Comparison and priorities ---------------------------------------------------------------------

STRICT, RELAXED = "strict", "relaxed"
COMPARE_MODES = {
    STRICT: 'Strict: exact values (8.0 equals 8, "1" differs from 1)',
    RELAXED: 'Relaxed: "8.00" equals 8, extra spaces ignored, null equals missing',
}

PRIORITIES = ("accuracy", "cost", "speed")  # also the default order
PRIORITY_ORDERS = {"-".join(p): " > ".join(c.capitalize() for c in p) for p in permutations(PRIORITIES)}
DEFAULT_PRIORITY_ORDER = "-".join(PRIORITIES)


def priority_list(order: str) -> list[str]:
    """'cost-accuracy-speed' -> ['cost', 'accuracy', 'speed']: the form's value as stored."""
    return order.split("-")


# Output modes ----------------------------------------------------------------------------------


class OutputMode(StrEnum):
    """How a model is held to the benchmark's output schema, strongest first."""

    JSON_SCHEMA = "json_schema"  # response_format with the schema, enforced by the provider
    JSON_OBJECT = "json_object"  # JSON mode, the schema in a system message
    PROMPT = "prompt"  # the schema in the prompt only

    @property
    def label(self) -> str:
        return OUTPUT_MODE_LABELS[self]

    @property
    def weaker(self) -> OutputMode | None:
        """The mode to try when a provider refuses this one."""
        order = list(OutputMode)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


@dataclass(frozen=True)
class ModelOutputMode:
    """How one model of a benchmark was asked for the schema: the mode planned at start, and
    the weaker one it fell back to when its provider refused that."""

    planned: OutputMode
    fallback: OutputMode | None = None

    @property
    def used(self) -> OutputMode:
        return self.fallback or self.planned

    @property
    def text(self) -> str:
        if self.fallback is None:
            return self.planned.label
        return f"{self.fallback.label} ({self.planned.label.lower()} refused by the provider)"


def model_output_mode(
    planned: Mapping[str, str], fallbacks: Mapping[str, str], model_id: str
) -> ModelOutputMode | None:
    """From a report's output_modes and output_fallbacks; None for a report from before schemas."""
    mode = planned.get(model_id)
    if mode is None:
        return None
    fallback = fallbacks.get(model_id)
    return ModelOutputMode(OutputMode(mode), OutputMode(fallback) if fallback else None)


OUTPUT_MODE_LABELS = {
    OutputMode.JSON_SCHEMA: "Structured output",
    OutputMode.JSON_OBJECT: "JSON mode",
    OutputMode.PROMPT: "Prompt only",
}
# The catalog's `structured_output` column: what the model supports (none: prompt only).
OUTPUT_SUPPORT = {
    "json_schema": OutputMode.JSON_SCHEMA,
    "json_object": OutputMode.JSON_OBJECT,
    "none": OutputMode.PROMPT,
}
STRONGEST, PROMPT_ONLY = "strongest", "prompt"
OUTPUT_MODE_CHOICES = {
    STRONGEST: "The strongest each model supports (structured output, else JSON mode, else the prompt)",
    PROMPT_ONLY: "The prompt only, for every model: compares models on equal terms",
}


# Share tokens ----------------------------------------------------------------------------------


SHARE_TOKEN_BYTES = 24
_SHARE_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{len(secrets.token_urlsafe(SHARE_TOKEN_BYTES))}}}")


def new_share_token() -> str:
    """A report's share link: 192 random bits, URL-safe. Whoever holds it may read the report."""
    return secrets.token_urlsafe(SHARE_TOKEN_BYTES)


def is_share_token(text: str) -> bool:
    """Could be one: anything else is answered 404 without asking the database."""
    return _SHARE_TOKEN.fullmatch(text) is not None


# Providers -------------------------------------------------------------------------------------

SIMULATED, OPENAI_COMPATIBLE = "simulated", "openai_compatible"
PROVIDER_CHOICES = ("auto", SIMULATED, OPENAI_COMPATIBLE)


def api_key(config: Mapping[str, Any]) -> str:
    return str(config.get("PROVIDER_API_KEY") or config.get("OPENROUTER_API_KEY") or "").strip()


def provider_for_new_benchmarks(config: Mapping[str, Any]) -> str:
    """The provider a benchmark started now runs on: PROVIDER, where "auto" means a real API
    when a key is set and the simulated provider otherwise."""
    wanted = str(config.get("PROVIDER") or "auto").strip().lower()
    if wanted not in PROVIDER_CHOICES:
        raise ValueError(f"Unknown PROVIDER {wanted!r}: use one of {', '.join(PROVIDER_CHOICES)}.")
    if wanted == "auto":
        return OPENAI_COMPATIBLE if api_key(config) else SIMULATED
    return wanted


def providers_a_worker_runs(config: Mapping[str, Any]) -> list[str]:
    """A worker runs every benchmark it can: simulated ones always, real ones when it has a key
    (a benchmark keeps the provider it was started with)."""
    return [SIMULATED, OPENAI_COMPATIBLE] if api_key(config) else [SIMULATED]


# Images ----------------------------------------------------------------------------------------

# An image never changes under its URL. Private, as only its owner or a share link reaches it, and
# short, so that a revoked share link soon stops showing it even from a browser's cache.
IMAGE_CACHE_SECONDS = 300

# What the models are sent of an image (settings MAX_IMAGE_SIDE and MAX_IMAGE_BYTES). A 2,048 px
# long side is what OpenAI scales to anyway and within Anthropic's 8,000 px. Anthropic refuses
# an image over 5 MiB measured on its base64 text, which is 4/3 of the bytes: 3.75 MiB of image
# is exactly 5 MiB of base64, and under every other provider's limit too.
SENT_IMAGE_MAX_SIDE = 2048
SENT_IMAGE_MAX_BYTES = 5 * 1024 * 1024 * 3 // 4


class StoredImage(Protocol):
    data: bytes
    mime: str


def image_response(image: StoredImage) -> Response:
    response = Response(image.data, mimetype=image.mime)
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_CACHE_SECONDS}"
    response.headers["Content-Disposition"] = "inline"
    return response
