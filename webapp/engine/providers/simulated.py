"""A deterministic offline stand-in for real vision models (no API key needed).

It "answers" with the user's expected JSON, damaged the way real models damage it, after a
realistic delay. Everything is drawn from `random.Random(seed)`, the seed taken from the
sha256 of "report:model:image:sample", so a run always gives the same output.

Profiles by catalog tier (unknown tiers behave as "mid"):

    tier     latency (s)  leaf corrupted  truncated JSON  upstream 502  rate limited
    free         3.0          0.25            5%              5%            6%
    budget       1.5          0.12            2%              2%            3%
    mid          2.5          0.07            1%              2%            3%
    premium      4.0          0.04            1%              2%            3%
    ultra        8.0          0.03            0.5%            2%            3%

- Latency: base x model factor (0.8-1.2) x jitter (+-40%) x `speed`; speed 0 never sleeps
  (tests), 1.0 is realistic, demos might use 0.3.
- Accuracy: each model gets a fixed offset from the hash of its id (x0.7-1.3 on the
  corruption rate), so models of a tier differ. A corrupted leaf gets a changed digit, a
  number sent as a string, a typo, a flipped boolean...; fields and list items are also
  dropped (a quarter of that rate) and extra fields invented (half of it, per object).
- Text: usually bare JSON, sometimes in a ```json fence or inside prose, rarely truncated.
- `fixed_latency` (seconds, for measuring the engine): every call takes exactly that long and
  never fails or hits a rate limit; outputs are still damaged as above.
- Output modes: asked for structured output (`json_schema`), it answers bare JSON that
  satisfies the schema (damage keeps each value's type; nothing dropped or invented); in JSON
  mode (`json_object`), bare JSON that always parses; prompt only, as above.
- Rate limits happen only on the first attempt of a run (attempts are counted per run in
  the provider instance), with retry_after = 0.5 x speed; retries always get through.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections import OrderedDict
from dataclasses import dataclass

from ...domain import OutputMode
from ...output_schema import mismatches
from .base import CallRequest, CallResult, ProviderError, RateLimited


@dataclass(frozen=True)
class Profile:
    latency: float
    corrupt: float
    truncate: float
    error: float
    rate_limit: float


PROFILES = {
    "free": Profile(3.0, 0.25, 0.05, 0.05, 0.06),
    "budget": Profile(1.5, 0.12, 0.02, 0.02, 0.03),
    "mid": Profile(2.5, 0.07, 0.01, 0.02, 0.03),
    "premium": Profile(4.0, 0.04, 0.01, 0.02, 0.03),
    "ultra": Profile(8.0, 0.03, 0.005, 0.02, 0.03),
}

EXTRA_FIELDS = [
    ("notes", "Some text was hard to read."),
    ("confidence", 0.92),
    ("currency", "USD"),
    ("language", "en"),
    ("page", 1),
    ("comment", None),
]
PROSE = [
    ("Here is the extracted data:\n\n", ""),
    ("Sure! Based on the image, here is the JSON:\n", "\n\nLet me know if you need anything else."),
    ("", "\n\nNote: some values were partially obscured and may be approximate."),
]
MAX_TRACKED_RUNS = 50_000


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class SimulatedProvider:
    name = "simulated"
    is_simulated = True

    def __init__(self, speed: float = 1.0, fixed_latency: float | None = None):
        if not speed >= 0:
            raise ValueError(f"SIMULATED_SPEED must be 0 or more, not {speed!r}")
        if fixed_latency is not None and not fixed_latency >= 0:
            raise ValueError(f"SIMULATED_FIXED_LATENCY must be 0 or more, not {fixed_latency!r}")
        self.speed = float(speed)
        self.fixed_latency = fixed_latency
        self._attempts: OrderedDict[tuple, int] = OrderedDict()

    async def call(self, req: CallRequest, timeout: float) -> CallResult:
        key = (req.report_id, req.model_id, req.image_id, req.sample_index)
        attempt = self._count_attempt(key)
        rng = random.Random(_hash(":".join(map(str, key))))
        profile = PROFILES.get(req.tier, PROFILES["mid"])
        model_hash = _hash(req.model_id)
        model_factor = 0.7 + 0.6 * (model_hash % 1000) / 999  # accuracy: 0.7 .. 1.3
        model_speed = 0.8 + 0.4 * (model_hash // 1000 % 1000) / 999  # latency: 0.8 .. 1.2
        # Draw every decision up front, in a fixed order: retries see the same run.
        rate_limited = rng.random() < profile.rate_limit and attempt == 0
        failed = rng.random() < profile.error
        latency = profile.latency * model_speed * rng.uniform(0.6, 1.4)
        if self.fixed_latency is not None:
            await asyncio.sleep(self.fixed_latency)
            rate_limited = failed = False
            latency = 0.0
        if rate_limited:
            await self._sleep(0.1 * latency, timeout)
            raise RateLimited("rate limited (HTTP 429): simulated", retry_after=0.5 * self.speed)
        if failed:
            await self._sleep(0.5 * latency, timeout)
            raise ProviderError("simulated provider error: upstream 502")
        await self._sleep(latency, timeout)
        mode = req.output_mode if req.output_schema is not None else OutputMode.PROMPT
        constrained = mode is OutputMode.JSON_SCHEMA
        answer = _corrupt(req.expected, rng, min(profile.corrupt * model_factor, 1.0), constrained)
        if constrained and req.output_schema is not None and mismatches(req.output_schema, answer, limit=1):
            answer = req.expected  # a schema the damage cannot keep to (an enum, a pattern...)
        text = _render(answer, rng, profile, bare=mode is not OutputMode.PROMPT)
        input_tokens = rng.randint(1200, 1800) + len(req.prompt) // 4
        return CallResult(text=text, input_tokens=input_tokens, output_tokens=max(1, len(text) // 4), cost_usd=None)

    async def aclose(self) -> None:
        self._attempts.clear()

    def _count_attempt(self, key: tuple) -> int:
        attempt = self._attempts.pop(key, 0)
        self._attempts[key] = attempt + 1
        while len(self._attempts) > MAX_TRACKED_RUNS:  # a long-lived worker must not grow forever
            self._attempts.popitem(last=False)
        return attempt

    async def _sleep(self, seconds: float, timeout: float) -> None:
        seconds *= self.speed
        if seconds <= 0:
            return
        if seconds > timeout:
            await asyncio.sleep(timeout)
            raise ProviderError(f"timed out after {timeout:g} s")
        await asyncio.sleep(seconds)


def _corrupt(value, rng: random.Random, p: float, constrained: bool = False):
    """A copy of `value` with each leaf damaged with probability p, fields dropped and added
    (constrained: as a schema-enforcing provider allows, every key kept and each value's type)."""
    if isinstance(value, dict):
        out = {k: _corrupt(v, rng, p, constrained) for k, v in value.items() if constrained or not rng.random() < p / 4}
        if rng.random() < p / 2 and not constrained:
            name, extra = rng.choice(EXTRA_FIELDS)
            out.setdefault(name, extra)
        return out
    if isinstance(value, list):
        items = [_corrupt(v, rng, p, constrained) for v in value]
        if len(items) > 1 and rng.random() < p / 4:
            del items[rng.randrange(len(items))]
        return items
    return _damage(value, rng, constrained) if rng.random() < p else value


def _damage(value, rng: random.Random, constrained: bool = False):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return str(value) if rng.random() < 0.4 and not constrained else _change_digit(value, rng)
    if isinstance(value, str):
        if any(c.isdigit() for c in value):
            return _change_digit(value, rng)
        if len(value) < 2:
            return value if constrained else None
        i = rng.randrange(len(value) - 1)
        if rng.random() < 0.5:
            return value[:i] + value[i + 1] + value[i] + value[i + 2 :]  # swapped letters
        return value[:i] + value[i + 1 :]  # dropped letter
    return "N/A" if value is None and not constrained else value


def _change_digit(value, rng: random.Random):
    """Replace one digit (not in an exponent) with another: 12.5 -> 17.5, "2024-03-01" -> "2024-08-01"."""
    text = value if isinstance(value, str) else repr(value)
    mantissa = text.lower().split("e")[0] if not isinstance(value, str) else text
    positions = [i for i, c in enumerate(mantissa) if c.isdigit()]
    if not positions:
        return value
    i = rng.choice(positions)
    digit = rng.choice([d for d in "0123456789" if d != text[i]])
    changed = text[:i] + digit + text[i + 1 :]
    if isinstance(value, str):
        return changed
    return int(changed) if isinstance(value, int) else float(changed)


def _render(value, rng: random.Random, profile: Profile, bare: bool = False) -> str:
    """The answer's text; `bare` (JSON mode, structured outputs): the JSON alone, whole."""
    body = json.dumps(value, ensure_ascii=False, indent=2 if rng.random() < 0.5 else None)
    if bare:
        return body
    if rng.random() < profile.truncate:
        return body[: max(1, int(len(body) * rng.uniform(0.3, 0.9)))]  # hit the output limit
    style = rng.random()
    if style < 0.6:
        return body
    if style < 0.85:
        return f"```json\n{body}\n```"
    before, after = rng.choice(PROSE)
    if rng.random() < 0.5:
        body = f"```json\n{body}\n```"
    return f"{before}{body}{after}"
