"""`visionbench serve` as a real process tree, for tests that kill parts of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from tests.support.live_server import ROOT, free_port


def start_serve(data_dir: Path, port: int, cwd: Path = ROOT, command=None, env_extra=None) -> subprocess.Popen:
    """Output (both streams) goes to data_dir/../serve.log."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATA_DIR=str(data_dir), PORT=str(port), HOST="127.0.0.1", PYTHONUNBUFFERED="1", **(env_extra or {}))
    command = command or [sys.executable, "-m", "webapp", "serve"]
    with open(data_dir.parent / "serve.log", "wb") as log:  # the child keeps its own copy open
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])


class Serve:
    """One `visionbench serve` in a folder of its own, on a free port."""

    def __init__(self, root: Path, **env):
        self.root, self.data_dir, self.port = root, root / "data", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = start_serve(self.data_dir, self.port, env_extra=env)

    @property
    def log(self) -> str:
        return (self.root / "serve.log").read_text(errors="replace")

    def child_pid(self, *words: str) -> int | None:
        """The direct child whose command line has all these words (the web server's is gunicorn's
        master), or None while there is none."""
        for child in psutil.Process(self.process.pid).children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE and all(w in " ".join(child.cmdline()) for w in words):
                    return child.pid
            except psutil.NoSuchProcess:
                pass
        return None

    def web_pid(self) -> int | None:
        return self.child_pid("gunicorn")

    def worker_pid(self) -> int | None:
        return self.child_pid("webapp", "worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
