"""Child processes that never outlive their parent, and a clean stop for a group of them."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time


def die_with_parent(sig: int = signal.SIGTERM):
    """A preexec_fn: on Linux the kernel signals the child when its parent dies, even by SIGKILL."""

    def setup() -> None:
        if sys.platform.startswith("linux"):
            PR_SET_PDEATHSIG = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)

    return setup


def spawn(args: list[str], env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, preexec_fn=die_with_parent(), **kwargs)


def spawn_supervised(args: list[str], env: dict) -> subprocess.Popen:
    """A child of `visionbench serve`: in a process group of its own, so that Ctrl-C in the
    terminal reaches only the supervisor, which stops the children in order; its stderr is a
    pipe, so that the supervisor can quote its last words (supervisor.echo_stderr)."""
    return spawn(args, env, stderr=subprocess.PIPE, process_group=0)


def stop_all(processes: list[subprocess.Popen], timeout: float = 10.0) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in processes:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
