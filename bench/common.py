"""Shared by the bench scripts: a real embedded PostgreSQL, the real server, tables, the log.

Every script starts what it needs, prints a markdown table and appends it (with the date, core
count and versions) to docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The same harness as the tests, for the scripts to import from here.
from tests.support.database import TestDatabases  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.live_socket import PASSWORD  # noqa: E402
from tests.support.live_socket import sign_up_cookies as sign_up  # noqa: E402

__all__ = ["PASSWORD", "LiveServer", "TestDatabases", "sign_up"]

PERFORMANCE_LOG = ROOT / "docs" / "performance.md"
FORMER_DESIGN = "b7cc3d5"  # the last revision before the capacity work (issue: many benchmarks at once)


def raise_open_files_limit() -> int:
    """Thousands of sockets need thousands of file descriptors, in this process and the server."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def percentile(values, p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values):
    return statistics.median(values) if values else None


def fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{unit}"


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def environment_line() -> str:
    versions = ", ".join(f"{p} {version(p)}" for p in ("flask", "flask-sock", "gunicorn", "gevent", "psycopg"))
    return (
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {versions}"
    )


def record(title: str, text: str) -> None:
    """Print the result and append it to docs/performance.md."""
    block = f"### {title}\n\n_{environment_line()}_\n\n{text}\n"
    print("\n" + block)
    PERFORMANCE_LOG.parent.mkdir(exist_ok=True)
    if not PERFORMANCE_LOG.exists():
        PERFORMANCE_LOG.write_text(
            "# Performance\n\nFigures appended by the scripts under `bench/`; "
            "the newest are at the end. See the summary at the top.\n\n"
        )
    with PERFORMANCE_LOG.open("a") as f:
        f.write("\n" + block)


def user_id(database_url: str, email: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]


def run_ids(database_url: str, report_id: int) -> list[int]:
    """A report's runs, in the order they were made (a writer finishes them in this order)."""
    with psycopg.connect(database_url) as conn:
        return [
            r[0] for r in conn.execute("SELECT id FROM benchmark_runs WHERE report_id = %s ORDER BY id", (report_id,))
        ]


def checkout_of(rev: str) -> Path:
    """A detached worktree of `rev` (made once, reused): the former design's code."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True)
    path = Path(tempfile.gettempdir()) / f"vb-design-{sha.stdout.strip()}"
    if not (path / "webapp").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
    return path


def web_process(server: LiveServer) -> psutil.Process:
    """The gunicorn worker that serves (the master only supervises it)."""
    children = psutil.Process(server.web.pid).children()
    return children[0] if children else psutil.Process(server.web.pid)


def xacts(database_url: str) -> int:
    """Transactions PostgreSQL has counted in this database (its statistics lag up to ~10 s)."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def staleness(viewers, commits: dict[int, list[float]]) -> list[float]:
    """For every viewer and every commit to its report (`commits[report][k - 1]`: when it
    reached k runs done, on time.time()): ms until the viewer first showed k or more runs done.
    Skipped (coalesced) states count with their full wait; one never shown ends that viewer's
    count (it is counted by "on the final state")."""
    out = []
    for v in viewers:
        seen = iter(v.seen)
        current = next(seen, None)
        for k, committed_at in enumerate(commits.get(v.report_id, []), start=1):
            while current is not None and (current[0] < k or current[1] < committed_at):
                current = next(seen, None)
            if current is None:
                break
            out.append((current[1] - committed_at) * 1000)
    return out
