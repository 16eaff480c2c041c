"""run_benchmark: runs every pending run of a report, concurrently, within limits and budget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import psycopg
from psycopg_pool import AsyncConnectionPool

from ..catalog import Catalog
from ..compare_rules import from_schema
from ..domain import SENT_IMAGE_MAX_BYTES, SENT_IMAGE_MAX_SIDE, OutputMode, expected_tokens
from ..scoring import compare
from . import image_prep
from . import queries as q
from .json_extract import parse_lenient
from .providers import CallRequest, ModeRejected, Provider, ProviderError
from .reachability import Reachability
from .retry import CallAttempts, call_with_retries

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0
# A statement gets this long, waiting for a connection included. A network that drops packets
# silently, or a proxy that holds them, sends no error: only a deadline ends the wait.
DB_DEADLINE_SECONDS = 10.0
# Images prepared at once in this process, all benchmarks together: each keeps a core busy for
# up to 2 s and holds up to 400 MB (a 24-megapixel WebP; measured by bench/images.py).
IMAGES_PREPARED_AT_ONCE = 2


@dataclass
class Engine:
    pool: AsyncConnectionPool
    providers: dict[str, Provider]
    catalog: Catalog
    max_calls_per_model: int = 3
    max_calls_per_report: int = 10
    # Calls in flight in this process, all benchmarks together: what one process may ask of
    # the providers (and of its own CPU) at once.
    max_calls_per_worker: int = 1000
    call_timeout: float = 120.0
    max_image_side: int = SENT_IMAGE_MAX_SIDE
    max_image_bytes: int = SENT_IMAGE_MAX_BYTES
    # Called with the report id once a report has ended (the completion email).
    on_report_finished: Callable[[int], Awaitable[None]] | None = None
    # The process's id in engine_workers: the reports it claims are its own until it stops or
    # is declared dead (webapp/engine/presence.py). None: claims without an owner (tests).
    worker_id: str | None = None
    database: Reachability = field(default_factory=Reachability)
    calls_in_flight: int = 0
    results_waiting: int = 0  # writes held in memory until the database answers

    def __post_init__(self):
        self.call_slots = asyncio.Semaphore(self.max_calls_per_worker)
        self.preparation_slots = asyncio.Semaphore(IMAGES_PREPARED_AT_ONCE)


async def _with_db(engine: Engine, action, *args, **kwargs):
    """`action(conn, *args)` on a pooled connection, tried again for as long as the database
    cannot be reached: a result already paid for is written when the database is back, never
    lost. Only cancellation ends the wait (the worker stopping, or a report it lost). Every
    action is safe to repeat: one that timed out may have been applied."""
    delay, waiting = RETRY_FIRST_SECONDS, False
    try:
        while True:
            try:
                async with asyncio.timeout(DB_DEADLINE_SECONDS):
                    async with engine.pool.connection() as conn:
                        result = await action(conn, *args, **kwargs)
                engine.database.answered()
                return result
            except (psycopg.OperationalError, TimeoutError) as e:  # PoolTimeout is one too
                engine.database.failed(e)
                if not waiting:
                    waiting, engine.results_waiting = True, engine.results_waiting + 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
    finally:
        if waiting:
            engine.results_waiting -= 1


@dataclass
class Budget:
    """Reserves each run's estimated cost before the call, settles it to the real cost after."""

    ceiling: Decimal
    spent: Decimal
    reserved: Decimal = field(default=Decimal(0))
    # Model id -> estimated cost of one of its runs, at the tokens its earlier runs used.
    per_run: dict[str, Decimal] = field(default_factory=dict)

    def estimate(self, model_id: str) -> Decimal:
        return self.per_run.get(model_id, Decimal(0))

    def reserve(self, estimate: Decimal) -> bool:
        if self.spent + self.reserved + estimate > self.ceiling:
            return False
        self.reserved += estimate
        return True

    def settle(self, estimate: Decimal, actual: Decimal) -> None:
        self.reserved -= estimate
        self.spent += actual


async def run_report(engine: Engine, report_id: int) -> None:
    started = await _with_db(engine, _claim_in, engine, report_id)
    if started is None:
        log.info("report %s is not runnable here (finished, cancelled, gone, or run by another worker)", report_id)
        return
    report, images, runs, budget = started
    try:
        provider = engine.providers.get(report.provider)
        if provider is None:
            raise _EngineStop(f"The {report.provider} provider is not configured on this worker (is its API key set?).")
        await _prepare_images(engine, report_id, images, {run.image_id for run in runs})
        await _run_all(engine, report, provider, images, runs, budget)
        await _finish(engine, report_id)
    except _EngineStop as stop:
        await _fail_report(engine, report_id, str(stop))
    except asyncio.CancelledError:
        raise  # worker stopping, or the report was taken from it: queued again (worker.py)
    except Exception as e:
        log.exception("report %s: engine failure", report_id)
        await _fail_report(engine, report_id, f"The engine failed unexpectedly ({type(e).__name__}).")
        await _announce(engine, report_id)
        raise
    await _announce(engine, report_id)


async def _claim_in(conn, engine: Engine, report_id: int):
    async with conn.transaction():
        try:
            report = await q.claim_report(conn, report_id, engine.worker_id)
        except psycopg.errors.ForeignKeyViolation:
            return None  # this worker was just declared dead; it registers again (presence.py)
        if report is None:
            return None
        requeued = await q.requeue_interrupted_runs(conn, report_id)
        if requeued:
            log.info("report %s: %s interrupted runs will run again", report_id, requeued)
        images = await q.load_images(conn, report_id)
        runs = await q.pending_runs(conn, report_id)
        budget = Budget(report.budget_usd, await q.amount_spent(conn, report_id))
        budget.per_run = await _estimates_per_run(conn, engine.catalog, report.provider, {r.model_id for r in runs})
    return report, images, runs, budget


async def _prepare_images(engine: Engine, report_id: int, images: dict, needed: set[int]) -> None:
    """Each image the runs send, made as providers want it the first time the report is claimed,
    and kept: every call, and every later claim (a restart, another worker) reuses it."""
    for image_id in sorted(needed):
        image = images[image_id]
        if image.prepared:
            continue
        async with engine.preparation_slots:
            try:  # in a thread: the event loop keeps every other benchmark's calls going
                prepared = await asyncio.to_thread(
                    image_prep.prepare, image.data, image.mime, engine.max_image_side, engine.max_image_bytes
                )
            except image_prep.Unpreparable as e:
                raise _EngineStop(f"Image {image.position + 1} could not be prepared for the models ({e}).") from None
        await _with_db(engine, q.save_prepared, image_id, prepared)
        images[image_id] = replace(image, data=prepared.data, mime=prepared.mime, prepared=True)
        log.info(
            "report %s: image %s prepared, sent %s: %s x %s px, %s, %s bytes",
            report_id,
            image.position + 1,
            "re-encoded" if prepared.changed else "as uploaded",
            prepared.width,
            prepared.height,
            prepared.mime,
            len(prepared.data),
        )


async def _estimates_per_run(conn, catalog: Catalog, provider: str, model_ids: set[str]) -> dict[str, Decimal]:
    """Once per claim, not per run: the same figures as the estimate shown before the start."""
    history = await q.tokens_per_run(conn, provider, sorted(model_ids))
    models = [m for m in (catalog.get(model_id) for model_id in model_ids) if m is not None]
    return {m.id: m.estimated_cost_per_run(expected_tokens(history, m.id)) for m in models}


async def _announce(engine: Engine, report_id: int) -> None:
    """After the report's final commit; a failure here must never touch the results."""
    if engine.on_report_finished is None:
        return
    try:
        await engine.on_report_finished(report_id)
    except Exception:
        log.exception("report %s: completion callback failed", report_id)


class _EngineStop(Exception):
    pass


async def _run_all(engine, report, provider, images, runs, budget) -> None:
    # The mode each model is asked in; weakened for the model's later runs once refused.
    modes = {
        m: OutputMode(report.output_fallbacks.get(m) or report.output_modes.get(m) or OutputMode.PROMPT)
        for m in {r.model_id for r in runs}
    }
    model_slots = {m: asyncio.Semaphore(engine.max_calls_per_model) for m in {r.model_id for r in runs}}
    report_slots = asyncio.Semaphore(engine.max_calls_per_report)

    async def one(run):
        # Model slot first: a run waiting for its model must not hold one of the report's slots;
        # the worker's slots last, so that only runs ready to go wait for them.
        async with model_slots[run.model_id], report_slots, engine.call_slots:
            await _execute(engine, report, provider, images[run.image_id], run, budget, modes)

    await asyncio.gather(*(one(run) for run in runs))


async def _execute(engine, report, provider, image, run, budget, modes: dict[str, OutputMode]) -> None:
    model = engine.catalog.get(run.model_id)
    estimate = budget.estimate(run.model_id)
    if not budget.reserve(estimate):
        await _with_db(engine, q.skip_run, run.id, f"Skipped: the budget ceiling of ${budget.ceiling:.2f} was reached.")
        return
    # The attempt number fences this run's writes: if the report was taken from this worker
    # and the run started again elsewhere, a late result from here is not written.
    attempt = run.attempts + 1
    if not await _with_db(engine, q.start_run, run.id, attempt):
        budget.settle(estimate, Decimal(0))
        return
    request = CallRequest(
        report_id=report.id,
        model_id=run.model_id,
        image_id=run.image_id,
        sample_index=run.sample_index,
        prompt=report.prompt,
        image_bytes=image.data,
        image_mime=image.mime,
        expected=image.expected,
        tier=model.tier if model else "mid",
        output_mode=modes[run.model_id],
        output_schema=report.output_schema,
    )
    calls = CallAttempts()
    engine.calls_in_flight += 1
    try:
        try:
            result = await call_with_retries(provider, request, engine.call_timeout, calls)
        except ModeRejected:
            weaker = request.output_mode.weaker
            if weaker is None:
                raise
            # Once, in the next weaker mode (or the model's mode, if another run already went
            # further down); the model's later runs start there.
            order = list(OutputMode)
            if order.index(weaker) > order.index(modes[run.model_id]):
                modes[run.model_id] = weaker
                await _with_db(engine, q.record_fallback, report.id, run.model_id, weaker.value)
            request = replace(request, output_mode=modes[run.model_id])
            refused, calls = calls, CallAttempts()
            try:
                result = await call_with_retries(provider, request, engine.call_timeout, calls)
            finally:
                calls = refused.then(calls)
    except ProviderError as e:
        budget.settle(estimate, Decimal(0))
        error = str(e) or type(e).__name__
        await _with_db(
            engine,
            q.fail_run,
            run.id,
            attempt,
            error,
            calls.latency_ms,
            calls.count,
            calls.waited_ms,
            request.output_mode,
        )
        return
    finally:
        engine.calls_in_flight -= 1
    cost = result.cost_usd
    if cost is None and model is not None:
        cost = model.cost_per_run(result.input_tokens or 0, result.output_tokens or 0)
    budget.settle(estimate, cost or Decimal(0))
    parsed = parse_lenient(result.text)
    rules = from_schema(report.output_schema)
    # In a thread: order-free arrays can take a second to pair, and this loop runs every call.
    actual = parsed.value if parsed.ok else None
    comparison = await asyncio.to_thread(compare, image.expected, actual, report.compare_mode, rules)
    await _with_db(
        engine,
        q.complete_run,
        run.id,
        attempt,
        latency_ms=calls.latency_ms,
        call_attempts=calls.count,
        waited_ms=calls.waited_ms,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cost_usd=cost,
        raw_output=result.text,
        parsed_json=parsed.value if parsed.ok else None,
        comparison=comparison,
        parse_error=None if parsed.ok else parsed.error,
        output_mode=request.output_mode,
    )


async def _finish(engine, report_id: int) -> None:
    await _with_db(engine, _finish_in, report_id, engine.worker_id)


async def _finish_in(conn, report_id: int, worker_id: str | None) -> None:
    async with conn.transaction():
        counts = await q.run_counts(conn, report_id)
        if counts.get("pending") or counts.get("running"):
            return  # cancelled meanwhile, or another attempt owns the rest
        if counts.get("complete"):
            await q.finish_report(conn, report_id, worker_id, "complete", None)
            return
        total = sum(counts.values())
        error = await q.last_error(conn, report_id)
        reason = f"All {total} runs failed or were skipped." + (f" Last error: {error}" if error else "")
        await q.finish_report(conn, report_id, worker_id, "failed", reason)


async def _fail_report(engine, report_id: int, reason: str) -> None:
    await _with_db(engine, _fail_report_in, report_id, engine.worker_id, reason)


async def _fail_report_in(conn, report_id: int, worker_id: str | None, reason: str) -> None:
    async with conn.transaction():
        if await q.finish_report(conn, report_id, worker_id, "failed", reason):
            await q.skip_unfinished_runs(conn, report_id, "Not run: the benchmark failed.")
