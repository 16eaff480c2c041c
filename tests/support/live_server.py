"""The real server for browser and websocket tests: gunicorn with the gevent worker, on a free
loopback port, plus job workers on demand, all as separate processes like in production."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url: str, data_dir: Path, extra_env: dict | None = None, root: Path = ROOT):
        """`root`: the checkout whose code runs (the bench scripts compare a former revision)."""
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "SECRET_KEY": "live-server-test-secret",
            "SIMULATED_SPEED": "0",
            "PROVIDER": "simulated",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.log = data_dir / "server.log"

    def _spawn(self, args: list[str], env: dict | None = None) -> subprocess.Popen:
        with open(self.log, "ab") as out:  # the child keeps its own copy of the file
            return subprocess.Popen(args, env=env or self.env, cwd=self.root, stdout=out, stderr=subprocess.STDOUT)

    def start(self) -> LiveServer:
        self.web = self._spawn(
            [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "webapp:create_app()"]
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not become ready:\n{self.log.read_text()[-3000:]}")

    def start_worker(self, **env) -> subprocess.Popen:
        worker = self._spawn([sys.executable, "-m", "webapp", "worker"], {**self.env, **env})
        self.workers.append(worker)
        return worker

    def stop_web(self, sig=signal.SIGTERM) -> None:
        if self.web and self.web.poll() is None:
            self.web.send_signal(sig)
            try:
                self.web.wait(15)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait()

    def restart_web(self) -> None:
        self.stop_web()
        self.start()

    def stop(self) -> None:
        self.stop_web()
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
