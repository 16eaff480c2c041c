"""The simulated provider: deterministic, realistic mistakes by tier, first-attempt rate limits;
and the provider factory."""

import asyncio
import time
from dataclasses import replace

import pytest

from tests.support.aio import run_async
from webapp.engine.json_extract import parse_lenient
from webapp.engine.providers import (
    CallRequest,
    OpenAICompatibleProvider,
    ProviderError,
    RateLimited,
    SimulatedProvider,
    make_provider,
)
from webapp.engine.providers.simulated import PROFILES, _change_digit

EXPECTED = {
    "merchant": "Corner Grocery",
    "date": "2024-03-01",
    "total": 12.5,
    "paid": True,
    "items": [{"name": "Tea", "price": 3.1, "qty": 2}, {"name": "Bread", "price": 2.4, "qty": 1}],
}
BASE = CallRequest(
    report_id=1,
    model_id="acme/vision-1",
    image_id=1,
    sample_index=0,
    prompt="Extract as JSON.",
    image_bytes=b"png",
    image_mime="image/png",
    expected=EXPECTED,
    tier="mid",
)


def run(coro):
    return run_async(coro)


def run_all(coros):
    async def gather():
        return await asyncio.gather(*coros)

    return run_async(gather())


async def outcome(provider, req):
    """The text of the call, retrying a rate limit once; or the error message."""
    try:
        try:
            return (await provider.call(req, 30.0)).text
        except RateLimited:
            return (await provider.call(req, 30.0)).text
    except ProviderError as e:
        return f"error: {e}"


def requests(n: int, **changes):
    return [replace(BASE, image_id=i // 4, sample_index=i % 4, **changes) for i in range(n)]


def leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, (*path, i))
    else:
        yield path, value


def mistakes(text: str) -> int:
    """Crudely: expected leaves that are missing or differ in value or type; unparsable = all wrong."""
    parsed = parse_lenient(text)
    expected = dict(leaves(EXPECTED))
    if not parsed.ok:
        return len(expected)
    got = dict(leaves(parsed.value))
    missing = object()
    return sum(
        1
        for path, value in expected.items()
        if got.get(path, missing) != value or type(got.get(path)) is not type(value)
    )


def test_same_request_gives_the_same_output_even_in_a_new_provider():
    async def go():
        first = [await outcome(SimulatedProvider(speed=0), req) for req in requests(40)]
        provider = SimulatedProvider(speed=0)
        second = [await outcome(provider, req) for req in requests(40)]
        third = [await outcome(provider, req) for req in requests(40)]
        return first, second, third

    first, second, third = run(go())
    assert first == second == third


def test_different_samples_differ_sometimes():
    texts = run_all([outcome(SimulatedProvider(speed=0), req) for req in requests(40, tier="free")])
    assert len(set(texts)) > 10


def test_outputs_have_tokens_and_no_cost():
    result = run(SimulatedProvider(speed=0).call(replace(BASE, report_id=99), 30.0))
    assert result.cost_usd is None
    assert 1200 + len(BASE.prompt) // 4 <= result.input_tokens <= 1800 + len(BASE.prompt) // 4
    assert result.output_tokens == max(1, len(result.text) // 4)


def test_speed_zero_never_sleeps():
    started = time.monotonic()
    run_all([outcome(SimulatedProvider(speed=0), req) for req in requests(200, tier="ultra")])
    assert time.monotonic() - started < 2.0


def test_latency_scales_with_speed():
    req = replace(BASE, report_id=5, tier="budget")
    provider = SimulatedProvider(speed=0.05)  # budget: 1.5 s x 0.8-1.2 x 0.6-1.4 -> 0.036-0.126 s
    started = time.monotonic()
    run(outcome(provider, req))
    assert 0.03 <= time.monotonic() - started < 1.0


def test_slower_than_the_timeout_times_out():
    req = replace(BASE, report_id=5, tier="ultra")  # at least 8 x 0.8 x 0.6 = 3.8 s at speed 1
    with pytest.raises(ProviderError, match=r"timed out after 0\.05 s"):
        run(SimulatedProvider(speed=1.0).call(req, 0.05))


def test_better_tiers_make_fewer_mistakes_on_average():
    async def error_rate(tier):
        provider = SimulatedProvider(speed=0)
        texts = [
            await outcome(provider, req)
            for model in ("a/one", "b/two", "c/three")
            for req in requests(150, tier=tier, model_id=model)
        ]
        texts = [t for t in texts if not t.startswith("error: ")]
        return sum(map(mistakes, texts)) / (len(texts) * len(dict(leaves(EXPECTED))))

    rates = {tier: run(error_rate(tier)) for tier in PROFILES}
    assert rates["free"] > rates["budget"] > rates["mid"] > rates["ultra"]
    assert rates["free"] > 2 * rates["premium"]
    assert 0 < rates["ultra"] < 0.15


def test_models_within_a_tier_differ():
    async def texts(model):
        provider = SimulatedProvider(speed=0)
        return [await outcome(provider, req) for req in requests(40, model_id=model)]

    assert run(texts("acme/one")) != run(texts("acme/two"))


def test_rate_limit_only_on_the_first_attempt():
    async def go():
        provider = SimulatedProvider(speed=0)
        limited = []
        for req in requests(300, tier="free"):
            try:
                await _try(provider, req)
            except RateLimited:
                limited.append(req)
                for _ in range(3):  # every later attempt of the same run gets through the limiter
                    assert not isinstance(await _try(provider, req), RateLimited)
        return limited

    limited = run(go())
    assert 300 * 0.02 < len(limited) < 300 * 0.12
    with pytest.raises(RateLimited) as info:  # a fresh provider has seen no attempt yet
        run(SimulatedProvider(speed=0.5).call(limited[0], 30.0))
    assert info.value.retry_after == 0.25


async def _try(provider, req):
    """The result or ProviderError of one call; RateLimited propagates."""
    try:
        return await provider.call(req, 30.0)
    except RateLimited:
        raise
    except ProviderError as e:
        return e


def test_unknown_tier_behaves_like_mid():
    async def go():
        a = [await outcome(SimulatedProvider(speed=0), r) for r in requests(20, tier="mid")]
        b = [await outcome(SimulatedProvider(speed=0), r) for r in requests(20, tier="mystery")]
        return a, b

    a, b = run(go())
    assert a == b


def test_text_styles_include_fences_prose_and_truncation():
    texts = run_all(
        [
            outcome(SimulatedProvider(speed=0), replace(req, report_id=r))
            for r in range(10)
            for req in requests(100, tier="free")
        ]
    )
    assert any(t.startswith("```json") for t in texts)
    assert any(t.startswith(("Here", "Sure")) for t in texts)
    assert any(not t.startswith("error: ") and not parse_lenient(t).ok for t in texts)
    assert any(t == "error: simulated provider error: upstream 502" for t in texts)
    assert sum(t.startswith("{") for t in texts) > len(texts) / 3


@pytest.mark.parametrize("value", [12.5, 7, -340, 0.001, 1e-07, 123456789, "2024-03-01", "$12.50"])
def test_changed_digit_keeps_the_type_and_changes_the_value(value):
    import random

    for seed in range(20):
        changed = _change_digit(value, random.Random(seed))
        assert type(changed) is type(value) and changed != value


def test_negative_speed_is_refused():
    with pytest.raises(ValueError):
        SimulatedProvider(speed=-1)


def test_factory_picks_simulated_without_a_key():
    provider = make_provider({"PROVIDER": "auto", "PROVIDER_API_KEY": None, "SIMULATED_SPEED": 0.3})
    assert isinstance(provider, SimulatedProvider) and provider.is_simulated and provider.name == "simulated"
    assert provider.speed == 0.3
    assert make_provider({}).speed == 1.0
    assert isinstance(make_provider({"PROVIDER": "simulated", "PROVIDER_API_KEY": "sk-x"}), SimulatedProvider)


@pytest.mark.parametrize(
    "config",
    [
        {"PROVIDER": "auto", "PROVIDER_API_KEY": "sk-x"},
        {"OPENROUTER_API_KEY": "sk-x"},
        {"PROVIDER": "openai_compatible", "PROVIDER_API_KEY": "sk-x", "PROVIDER_BASE_URL": "http://127.0.0.1:9/v1"},
    ],
)
def test_factory_picks_openai_compatible_with_a_key(config):
    provider = make_provider(config)
    assert isinstance(provider, OpenAICompatibleProvider)
    assert provider.name == "openai_compatible" and not provider.is_simulated
    assert provider.base_url == config.get("PROVIDER_BASE_URL", "https://openrouter.ai/api/v1")
    assert "sk-x" not in repr(provider)
    run(provider.aclose())


def test_factory_refuses_openai_compatible_without_a_key():
    with pytest.raises(ValueError, match="PROVIDER_API_KEY"):
        make_provider({"PROVIDER": "openai_compatible", "PROVIDER_API_KEY": ""})


def test_factory_refuses_an_unknown_provider():
    with pytest.raises(ValueError, match="Unknown PROVIDER"):
        make_provider({"PROVIDER": "magic"})
