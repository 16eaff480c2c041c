"""The serve command from a clean copy of the project, and what happens when it is killed."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.benchmarks import wait_for
from tests.support.live_server import ROOT, free_port


def _postgres_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _start_serve(data_dir: Path, port: int, cwd: Path = ROOT, command=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATA_DIR=str(data_dir), PORT=str(port), HOST="127.0.0.1", **(env_extra or {}))
    command = command or [sys.executable, "-m", "webapp", "serve"]
    log = open(data_dir.parent / "serve.log", "wb")
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_postgres_survives_the_app(sig):
    root = Path(tempfile.mkdtemp(prefix="vbs-"))
    data_dir, port = root / "data", free_port()
    serve = _start_serve(data_dir, port)
    try:
        wait_for(lambda: _healthy(port), timeout=60, message="serve to answer /healthz")
        pg_pid = _postmaster_pid(data_dir)
        children = psutil.Process(serve.pid).children(recursive=True)
        assert any(c.pid == pg_pid for c in children)
        serve.send_signal(sig)
        serve.wait(30)
        wait_for(lambda: _postgres_gone(pg_pid), timeout=15, message="postgres to stop")
        # The others follow: the job worker's queue pool gives a vanished database up to 30 s.
        wait_for(lambda: all(_postgres_gone(c.pid) for c in children), timeout=45,
                 message="every child process to stop")
    finally:
        if serve.poll() is None:
            serve.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_serve_command_works_from_a_clean_copy():
    """`./serve` in a copy of the tracked files, with its own new virtualenv."""
    root = Path(tempfile.mkdtemp(prefix="vbc-"))
    clone, data_dir, port = root / "clone", root / "data", free_port()
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    serve = _start_serve(data_dir, port, cwd=clone, command=["bash", "./serve"],
                         env_extra={"VENV": str(root / "venv")})
    try:
        wait_for(lambda: _healthy(port), timeout=300, interval=0.5, message="./serve to answer /healthz")
        page = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True)
        assert page.status_code == 200 and "Create your account" in page.text
        output = (root / "serve.log").read_text()
        assert f"running at http://localhost:{port}/" in output
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        shutil.rmtree(root, ignore_errors=True)
