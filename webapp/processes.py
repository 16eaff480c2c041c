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
