"""The hub: per-report state that lives exactly as long as someone watches, batched renders,
and a render interval that keeps the process near its render budget."""

import threading
import time

import pytest

from tests.support.benchmarks import wait_for
from webapp.realtime.hub import Hub, next_interval


def test_a_report_nobody_watches_leaves_nothing_behind():
    hub = Hub(lambda report_ids: [(r, f"<p>{r}</p>", False) for r in report_ids], min_interval=0.0)
    try:
        for report_id in range(1, 201):
            viewers = [hub.subscribe(report_id) for _ in range(2)]
            wait_for(lambda viewers=viewers: all(v.next(0.1) for v in viewers), message="the first snapshot")
            hub.mark_dirty(report_id)
            for v in viewers:
                hub.unsubscribe(v)
        assert hub.report_count() == 0 and hub.viewer_count() == 0
        left = {name: value for name, value in vars(hub).items() if isinstance(value, dict) and value}
        assert left == {}, "every per-report table is empty"
        assert hub.renders >= 200
    finally:
        hub.shutdown()


def test_a_report_watched_again_starts_from_a_fresh_snapshot():
    html = {"n": 0}

    def render(report_ids):
        for report_id in report_ids:
            html["n"] += 1
            yield report_id, f"<p>{html['n']}</p>", False

    hub = Hub(render, min_interval=0.0)
    try:
        first = hub.subscribe(7)
        assert wait_for(lambda: first.next(0.1), message="a snapshot").html == "<p>1</p>"
        hub.unsubscribe(first)
        again = hub.subscribe(7)
        assert wait_for(lambda: again.next(0.1), message="a snapshot").html == "<p>2</p>"
    finally:
        hub.shutdown()


def test_reports_falling_due_together_are_read_in_one_statement_each_batch():
    calls, release = [], threading.Event()

    def render(report_ids):
        calls.append(list(report_ids))
        release.wait(5)  # the first render holds the loop while 120 more reports fall due
        for r in report_ids:
            yield r, f"<p>{r}</p>", False

    hub = Hub(render, min_interval=0.0, batch_size=50)
    try:
        viewers = [hub.subscribe(0)]
        wait_for(lambda: calls, message="the first render to start")
        viewers += [hub.subscribe(r) for r in range(1, 121)]
        release.set()
        wait_for(lambda: all(v.next(0.01) for v in viewers), message="every first snapshot")
        assert calls == [[0], list(range(1, 51)), list(range(51, 101)), list(range(101, 121))]
        assert hub.queries == 4 and hub.renders == 121
    finally:
        hub.shutdown()


def test_the_render_interval_brings_renders_back_to_the_budget_and_never_past_a_second():
    # 300 reports rendering once per 100 ms: 3,000 a second against a budget of 1,000.
    assert next_interval(0.1, 3000, 1000, 0.1, 1.0) == pytest.approx(0.3)
    assert next_interval(0.3, 1000, 1000, 0.1, 1.0) == pytest.approx(0.3)  # there: it stays
    assert next_interval(0.3, 200, 1000, 0.1, 1.0) == 0.1  # the load went: back to 100 ms
    assert next_interval(0.5, 50_000, 1000, 0.1, 1.0) == 1.0  # never staler than a second


def test_reports_changing_without_pause_render_near_the_budget():
    """40 reports marked dirty all the time would render 400 times a second at 100 ms; with a
    budget of 100 the hub stretches their interval instead."""
    hub = Hub(lambda ids: [(r, "<p></p>", False) for r in ids], min_interval=0.1, renders_per_second=100)
    try:
        viewers = [hub.subscribe(r) for r in range(40)]
        deadline = time.monotonic() + 4.0
        counted_from, renders_from = None, 0
        while time.monotonic() < deadline:
            for r in range(40):
                hub.mark_dirty(r)
            for v in viewers:
                v.next(0)
            if counted_from is None and time.monotonic() > deadline - 2.0:
                counted_from, renders_from = time.monotonic(), hub.renders  # after the first adaptation
            time.sleep(0.005)
        rate = (hub.renders - renders_from) / (time.monotonic() - counted_from)
        assert hub.interval() > 0.25
        assert rate < 150, f"{rate:.0f} renders a second against a budget of 100"
    finally:
        hub.shutdown()


def test_changes_within_the_interval_are_coalesced_and_the_last_one_always_rendered():
    state = {"n": 0}

    def render(report_ids):
        for r in report_ids:
            yield r, f"<p>{state['n']}</p>", False

    hub = Hub(render, min_interval=0.3)
    try:
        viewer = hub.subscribe(1)
        wait_for(lambda: viewer.next(0.05), message="the first snapshot")
        before = hub.renders
        for n in range(1, 11):
            state["n"] = n
            hub.mark_dirty(1)
            time.sleep(0.01)
        seen = wait_for(lambda: (s := viewer.next(0.05)) and s.html == "<p>10</p>" and s, message="the last state")
        assert seen.html == "<p>10</p>"
        time.sleep(0.4)
        assert 1 <= hub.renders - before <= 2, "ten changes within the interval: one or two renders"
    finally:
        hub.shutdown()


def test_a_viewer_arriving_after_shutdown_is_sent_on_at_once():
    """A restarting server may still accept sockets for a moment: those viewers must not wait
    for renders that never come, holding the old process up until it is killed."""
    hub = Hub(lambda ids: [(r, "<p></p>", False) for r in ids])
    hub.shutdown(1012)
    viewer = hub.subscribe(3)
    started = time.monotonic()
    assert viewer.next(timeout=5) is None
    assert viewer.closing_code == 1012 and time.monotonic() - started < 1


def test_a_report_that_fails_to_render_holds_back_no_other_and_is_tried_again():
    attempts = {2: 0}

    def render(report_ids):
        for r in report_ids:
            if r == 2 and attempts[2] == 0:
                attempts[2] += 1
                yield r, None, False  # its template failed, this once
            else:
                yield r, f"<p>{r}</p>", False

    hub = Hub(render, min_interval=0.0)
    try:
        viewers = {r: hub.subscribe(r) for r in (1, 2, 3)}
        assert wait_for(lambda: viewers[1].next(0.05), message="report 1").html == "<p>1</p>"
        assert wait_for(lambda: viewers[3].next(0.05), message="report 3").html == "<p>3</p>"
        assert wait_for(lambda: viewers[2].next(0.05), timeout=5, message="report 2, retried").html == "<p>2</p>"
    finally:
        hub.shutdown()


def test_a_viewer_whose_offer_fails_is_woken_to_send_the_snapshot_itself():
    def broken_send(snapshot):
        raise RuntimeError("a bug in the fast path")

    hub = Hub(lambda ids: [(r, "<p>x</p>", False) for r in ids], min_interval=0.0)
    try:
        viewer = hub.subscribe(1, send_now=broken_send)
        assert wait_for(lambda: viewer.next(0.05), message="the snapshot").html == "<p>x</p>"
        hub.mark_dirty(1)
        assert wait_for(lambda: viewer.next(0.05), message="the next one").seq == 2
    finally:
        hub.shutdown()
