"""The per-process hub: renders each changed report once and hands the same HTML to every viewer.

- `mark_dirty(report_id)` (from the listener) schedules a render: the first at once, then at most
  one per `interval()` per report, and always one after the last change. The interval is 100 ms
  while the process renders fewer than `renders_per_second` reports a second; beyond, it grows
  so that renders stay near that budget, whatever the engine's write rate; never beyond 1 s.
- Due reports are read together, up to `batch_size` in one statement: under load, when renders
  fall due faster than they are made, the batches grow and the statements do not.
- Each watched report has a feed holding only its newest snapshot. The hub writes each new
  snapshot to every viewer's socket itself, without waiting on any (see `Viewer`); a viewer
  whose socket cannot take it at once gets the newest snapshot from its own handler later: a
  slow viewer skips stale states, never builds a backlog, and never slows the others.
Works with real threads and with gevent (whose monkey-patching turns them into greenlets).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from .frames import text_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    report_id: int
    seq: int  # grows with every render of this report: mailboxes never go back in time
    html: str
    final: bool  # the report is finished: send this, then close the socket

    @cached_property
    def frame(self) -> bytes:
        """The websocket frame carrying `html`: built by the first viewer, shared by all."""
        return text_frame(self.html)


class Feed:
    """One report's newest snapshot and its viewers."""

    def __init__(self):
        self.latest: Snapshot | None = None
        self.viewers: set[Viewer] = set()
        self.seq = 0  # renders of this report so far
        self.last_render = 0.0  # when it last rendered (monotonic): the throttle


# Writes a snapshot to a viewer's socket at once if it takes the whole frame without waiting
# (True); False leaves it to the viewer's own handler (viewer_socket.SocketWriter.offer).
SendNow = Callable[[Snapshot], bool]


class Viewer:
    """One viewer of a report. The hub sends it each new snapshot itself (`send_now`), one
    system call per viewer and no wake-up of its handler; the handler is woken (`wake`) only
    when it has something to do: a snapshot its socket could not take at once, the final one,
    or closing. So ten thousand viewers cost one pass over their sockets per snapshot."""

    def __init__(
        self, report_id: int, feed: Feed, send_now: SendNow | None = None, wake: threading.Event | None = None
    ):
        self.report_id = report_id
        self.feed = feed
        self.send_now = send_now
        self.wake = wake or threading.Event()  # the socket's own event: its reader sets it too
        self._taken_seq = -1
        self.closing_code: int | None = None

    def _has_news(self) -> bool:
        latest = self.feed.latest
        return latest is not None and latest.seq > self._taken_seq

    def offer(self, snapshot: Snapshot) -> None:
        """From the hub, for each new snapshot."""
        if snapshot.final or self.send_now is None or not self.send_now(snapshot):
            self.wake.set()

    def close(self, code: int) -> None:
        self.closing_code = code
        self.wake.set()

    def next(self, timeout: float) -> Snapshot | None:
        """The newest snapshot this viewer's handler has not taken yet (it may already have
        been sent by the hub: the writer skips it then), or None after `timeout`, when woken
        for nothing new, or when closing."""
        if not self._has_news() and self.closing_code is None:
            self.wake.wait(timeout)
        self.wake.clear()  # before reading `latest`: a snapshot published from now on wakes it again
        snapshot = self.feed.latest
        if snapshot is None or snapshot.seq <= self._taken_seq:
            return None
        self._taken_seq = snapshot.seq
        return snapshot


def next_interval(current: float, rate: float, budget: float, least: float, most: float) -> float:
    """The render interval that brings `rate` (renders a second at `current`) to `budget`:
    while every active report renders once per interval, the rate is proportional to 1 /
    interval, so one step reaches it; a lighter load brings the interval back to `least`."""
    return min(most, max(least, current * rate / budget))


YIELD_EVERY = 500  # viewers sent to between two yields of a long fan-out pass

# `render(report_ids)` yields (report_id, html, finished) for each of them that exists; html
# None when that one report could not be rendered (tried again a second later).
Render = Callable[[list[int]], Iterable[tuple[int, str | None, bool]]]


class Hub:
    def __init__(
        self,
        render: Render,
        min_interval: float = 0.1,
        renders_per_second: float = 1000.0,
        max_interval: float = 1.0,
        batch_size: int = 50,
    ):
        self._render = render
        self.min_interval = min_interval
        self.renders_per_second = renders_per_second
        self.max_interval = max_interval
        self.batch_size = batch_size  # reports read by one statement
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._feeds: dict[int, Feed] = {}  # watched reports -> viewers and newest snapshot
        self._due: dict[int, float] = {}  # dirty reports -> when they may render
        self._interval = min_interval
        self._window_start, self._window_renders = time.monotonic(), 0  # renders in this second
        self.renders = 0  # reports rendered
        self.queries = 0  # statements that read them (one per batch)
        self.stopping = False
        self.closing_code = 1012  # for every viewer once stopping
        self._thread = threading.Thread(target=self._run, name="hub-render", daemon=True)
        self._thread.start()

    # viewers -------------------------------------------------------------------------------
    def subscribe(self, report_id: int, send_now: SendNow | None = None, wake: threading.Event | None = None) -> Viewer:
        with self._lock:
            feed = self._feeds.setdefault(report_id, Feed())
            viewer = Viewer(report_id, feed, send_now, wake)
            feed.viewers.add(viewer)
            if self.stopping:
                # The process is going: a viewer that came back to it too soon (the server may
                # accept for up to a second more) is sent on at once, not kept waiting for
                # renders that never come until the process is killed.
                viewer.closing_code = self.closing_code
            fresh = feed.latest is not None  # kept fresh by notifications while anyone watches
        if not fresh:
            self.mark_dirty(report_id, immediately=True)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        with self._lock:
            feed = self._feeds.get(viewer.report_id)
            if feed is not None:
                feed.viewers.discard(viewer)
                if not feed.viewers:
                    # Nobody watches: notifications are no longer followed, so the feed would rot.
                    # All the report's state goes with it: a long-lived process must not grow.
                    del self._feeds[viewer.report_id]
                    self._due.pop(viewer.report_id, None)

    def watched(self) -> list[int]:
        with self._lock:
            return list(self._feeds)

    def viewer_count(self) -> int:
        with self._lock:
            return sum(len(feed.viewers) for feed in self._feeds.values())

    def report_count(self) -> int:
        """Reports with state in this hub: exactly the watched ones."""
        with self._lock:
            return len(self._feeds)

    # changes -------------------------------------------------------------------------------
    def mark_dirty(self, report_id: int, immediately: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            feed = self._feeds.get(report_id)
            if feed is None:
                return
            due = now if immediately else max(now, feed.last_render + self.interval())
            self._due[report_id] = min(self._due.get(report_id, due), due)
        self._wake.set()

    def resync(self) -> None:
        """After the listener reconnects: notifications sent meanwhile are lost, re-render all."""
        for report_id in self.watched():
            self.mark_dirty(report_id, immediately=True)

    def shutdown(self, code: int = 1012) -> None:
        with self._lock:
            self.closing_code = code
            self.stopping = True
            viewers = [v for feed in self._feeds.values() for v in feed.viewers]
        for viewer in viewers:
            viewer.close(code)
        self._wake.set()

    # rendering -----------------------------------------------------------------------------
    def interval(self) -> float:
        """The least time between two renders of one report (see `next_interval`)."""
        return self._interval

    def _adapt(self, now: float) -> None:
        """Once a second: the interval for the next second, from the renders of the last. Reports
        still overdue at the end of the second count as demand too: when the process cannot
        render as fast as the budget allows, what it did render is its budget."""
        elapsed = now - self._window_start
        if elapsed >= 1.0:
            rate = self._window_renders / elapsed
            with self._lock:
                overdue = sum(1 for due in self._due.values() if due < now - self._interval)
            budget = min(self.renders_per_second, max(rate, 1.0)) if overdue else self.renders_per_second
            demand = rate + overdue / elapsed
            self._interval = next_interval(self._interval, demand, budget, self.min_interval, self.max_interval)
            self._window_start, self._window_renders = now, 0

    def _run(self) -> None:
        while not self.stopping:
            try:
                self._render_due()
            except Exception:  # never let one bad turn end live updates for the whole process
                log.exception("live hub: unexpected error; going on")
                time.sleep(0.1)

    def _render_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            ready = sorted((due, rid) for rid, due in self._due.items() if due <= now)[: self.batch_size]
            batch = [rid for _, rid in ready]  # the longest waiting first
            for rid in batch:
                del self._due[rid]
                self._feeds[rid].last_render = now  # a due report is always watched
            next_due = min(self._due.values(), default=None)
        if batch:
            self._window_renders += self._render_and_deliver(batch)
            self._adapt(time.monotonic())
        elif next_due is None or next_due > time.monotonic():
            self._wake.wait(None if next_due is None else max(0.0, next_due - time.monotonic()))
            self._wake.clear()

    def _render_and_deliver(self, batch: list[int]) -> int:
        """Renders and delivers the batch; returns how many reports were rendered. A report the
        renderer could not render (html None), or the whole batch when its statement failed,
        is tried again in a second."""
        handled: set[int] = set()
        failed: list[int] = []
        try:
            self.queries += 1
            for report_id, html, final in self._render(batch):
                handled.add(report_id)
                if html is None:
                    failed.append(report_id)
                    continue
                self._deliver(report_id, html, final)
                time.sleep(0)  # under gevent: let the rest of the process run between reports
        except Exception:
            log.exception("could not read reports %s; will retry", batch)
            failed += [report_id for report_id in batch if report_id not in handled]
        if failed:
            retry = time.monotonic() + 1.0
            with self._lock:
                for report_id in failed:
                    if report_id in self._feeds:
                        self._due.setdefault(report_id, retry)
        return len(handled) - len(failed)

    def _deliver(self, report_id: int, html: str, final: bool) -> None:
        with self._lock:
            self.renders += 1
            feed = self._feeds.get(report_id)
            if feed is None:
                return  # its last viewer left while it rendered
            feed.seq += 1
            # Published under the lock that numbers it, so never back in time: a viewer
            # subscribing from now on finds it in `latest`, one that subscribed before is in
            # this list.
            snapshot = feed.latest = Snapshot(report_id, feed.seq, html, final)
            viewers = list(feed.viewers)
        for i, viewer in enumerate(viewers, start=1):
            try:
                viewer.offer(snapshot)
            except Exception:  # its handler sends it instead
                log.exception("could not offer a snapshot of report %s to a viewer", report_id)
                viewer.wake.set()
            if i % YIELD_EVERY == 0:
                time.sleep(0)  # under gevent: let the rest of the process run during a long pass
