"""`visionbench serve` keeps its children running: one dead process is never the whole app.

A child that exits when it was not asked to (the web server, a job worker, the embedded
PostgreSQL) is logged with its exit status and started again, after a delay that doubles with
each crash in a row (0.5 s up to 10 s; back to 0.5 s once it has run for a minute). The app
stops only when told to (Ctrl-C, SIGTERM), or when a child cannot start at all: if it fails
within STARTUP_SECONDS of its start 5 times in a minute (a bad setting, a port in use), there is
no point in going on, and the message says which child and quotes its last words.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("visionbench")

RESTART_FIRST_SECONDS = 0.5
RESTART_MAX_SECONDS = 10.0
STABLE_AFTER_SECONDS = 60.0  # a child that ran this long starts again after the shortest delay
STARTUP_SECONDS = 10.0  # a child that exits sooner than this after its start failed to start
STARTUP_FAILURES = 5  # that many start-up failures within STARTUP_WINDOW_SECONDS: give up
STARTUP_WINDOW_SECONDS = 60.0
LAST_WORDS_LINES = 20


class StartFailed(Exception):
    """A child that could not be started at all (its reason is the message)."""


class GaveUp(Exception):
    def __init__(self, child: Child):
        self.child = child
        words = child.last_words()
        super().__init__(
            f"The {child.name} failed to start {STARTUP_FAILURES} times within "
            f"{STARTUP_WINDOW_SECONDS:.0f} s ({child.last_exit}); stopping."
            + (f" Its last words:\n    {words}" if words else "")
        )


@dataclass
class Child:
    name: str
    start_process: Callable[[], subprocess.Popen]  # may raise StartFailed
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    delay: float = RESTART_FIRST_SECONDS
    last_exit: str = ""
    startup_failures: collections.deque = field(default_factory=collections.deque)
    stderr_tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=LAST_WORDS_LINES))

    def last_words(self) -> str:
        lines = [line.strip() for line in self.stderr_tail if line.strip()]
        return lines[-1] if lines else ""


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def echo_stderr(child: Child, process: subprocess.Popen) -> subprocess.Popen:
    """Copies the child's stderr to ours line by line, keeping the last lines for GaveUp."""
    stream = process.stderr
    assert stream is not None, "started with stderr=PIPE (processes.spawn_supervised)"

    def pump():
        for raw in iter(stream.readline, b""):
            with contextlib.suppress(OSError, ValueError):  # our stderr closed: keep the tail anyway
                sys.stderr.buffer.write(raw)
                sys.stderr.buffer.flush()
            child.stderr_tail.append(raw.decode(errors="replace"))

    threading.Thread(target=pump, name=f"{child.name} stderr", daemon=True).start()
    return process


class Supervisor:
    def __init__(self, children: list[Child], clock: Callable[[], float] = time.monotonic):
        self.children = children
        self.clock = clock

    def start_all(self) -> None:
        """Starts the children not running yet."""
        for child in self.children:
            if child.process is None:
                self._start(child)

    def tick(self) -> None:
        """Notice exits and restart what is due. Raises GaveUp."""
        now = self.clock()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                self._exited(child, child.process.returncode, now)
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                self._start(child)

    def _exited(self, child: Child, returncode: int, now: float) -> None:
        child.process, child.last_exit = None, describe_exit(returncode)
        self._failed(child, now, f"stopped unexpectedly ({child.last_exit}, after {now - child.started_at:.0f} s)")

    def _failed(self, child: Child, now: float, what: str) -> None:
        ran = now - child.started_at
        if ran < STARTUP_SECONDS:
            child.startup_failures.append(now)
            while child.startup_failures and child.startup_failures[0] < now - STARTUP_WINDOW_SECONDS:
                child.startup_failures.popleft()
            if len(child.startup_failures) >= STARTUP_FAILURES:
                raise GaveUp(child)
        if ran >= STABLE_AFTER_SECONDS:
            child.delay = RESTART_FIRST_SECONDS
        log.error("the %s %s; starting it again in %.1f s", child.name, what, child.delay)
        child.restart_at = now + child.delay
        child.delay = min(child.delay * 2, RESTART_MAX_SECONDS)

    def _start(self, child: Child) -> None:
        child.restart_at, child.started_at = None, self.clock()
        try:
            child.process = child.start_process()
        except StartFailed as e:
            child.process, child.last_exit = None, "could not start"
            child.stderr_tail.append(str(e))
            self._failed(child, self.clock(), f"could not start ({e})")

    def stop_all(self, children: list[Child] | None = None, timeout: float = 10.0) -> None:
        """SIGTERM to every child (or those given) at once, then SIGKILL to those still there
        after `timeout`."""
        running = [
            c.process
            for c in (self.children if children is None else children)
            if c.process is not None and c.process.poll() is None
        ]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = self.clock() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
