"""One embedded PostgreSQL per test run; a migrated template; a fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import psycopg.conninfo

from webapp.db.embedded import EmbeddedPostgres
from webapp.db.migrate import migrate

TEMPLATE = "vb_template"


class TestDatabases:
    def __init__(self):
        # A short path: Unix socket paths are limited to ~107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="vbt-"))
        self.server = EmbeddedPostgres(self.root / "pg", fast_unsafe=True)

    def start(self) -> TestDatabases:
        self.server.start()
        with psycopg.connect(self.server.uri, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        migrate(self.server.url_for(TEMPLATE))
        return self

    def create(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.server.uri, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.server.url_for(name)

    def drop(self, url: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.server.uri, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class OwnPostgres:
    """A PostgreSQL of a test's own, with a migrated database `app`: a test may stop and start
    it without disturbing any other test."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="vbf-"))  # short: Unix socket paths are limited
        self.server = EmbeddedPostgres(self.root / "pg", fast_unsafe=True)
        self.app_url = ""

    def __enter__(self) -> OwnPostgres:
        self.server.start()
        with psycopg.connect(self.server.uri, autocommit=True) as conn:
            conn.execute("CREATE DATABASE app")
        self.app_url = self.server.url_for("app")
        migrate(self.app_url)
        return self

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def __exit__(self, *exc) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def unix_socket_path(url: str) -> str:
    """The Unix socket a PostgreSQL URL with `host=<dir>` connects to."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info['host']}/.s.PGSQL.{info.get('port', 5432)}"


def via_tcp(url: str, port: int) -> str:
    """The same database reached over TCP on 127.0.0.1:`port` (a proxy in front of it)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"postgresql://{info.get('user', 'postgres')}@127.0.0.1:{port}/{info['dbname']}"
