"""Configuration from environment variables (documented in .env.example and the README).

Everything has a safe default so that `./serve` works on a fresh machine with nothing set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs

from .domain import SENT_IMAGE_MAX_BYTES, SENT_IMAGE_MAX_SIDE

APP_NAME = "visionbench"


def default_data_dir() -> Path:
    # As root the embedded PostgreSQL runs as a separate system user that must traverse every
    # folder above its data dir: keep that dir out of home folders (see README).
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib") / APP_NAME
    return Path(platformdirs.user_data_dir(APP_NAME))


def _int(environ, name: str, default: int, minimum: int | None = None) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(environ, name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None


def _bool(environ, name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def load_config(environ=None) -> dict:
    environ = os.environ if environ is None else environ
    data_dir = Path(environ.get("DATA_DIR") or default_data_dir())
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": environ.get("DATABASE_URL") or None,
        # The live-update listener's connection, when DATABASE_URL goes through a
        # transaction-mode pooler (which cannot LISTEN). Default: DATABASE_URL.
        "LISTEN_DATABASE_URL": environ.get("LISTEN_DATABASE_URL") or None,
        "SECRET_KEY": environ.get("SECRET_KEY") or None,
        "HOST": environ.get("HOST", "127.0.0.1"),
        "PORT": _int(environ, "PORT", 8000),
        "WEB_PROCESSES": _int(environ, "WEB_PROCESSES", 1),
        "WORKER_PROCESSES": _int(environ, "WORKER_PROCESSES", 1),
        # Sockets one web process accepts at once (gunicorn's gevent worker_connections).
        "WORKER_CONNECTIONS": _int(environ, "WORKER_CONNECTIONS", 10000),
        # A file (or "-" for the terminal) for the web server's access log; unset: none.
        "ACCESS_LOG": environ.get("ACCESS_LOG") or None,
        # Benchmarks one worker process runs at once, and model calls it has in flight at once
        # (all its benchmarks together); sized by bench/engine.py, see docs/performance.md.
        "WORKER_CONCURRENCY": _int(environ, "WORKER_CONCURRENCY", 100),
        "MAX_CALLS_PER_WORKER": _int(environ, "MAX_CALLS_PER_WORKER", 1000),
        "DB_POOL_MAX": _int(environ, "DB_POOL_MAX", 10),
        # Live page: seconds between pings to each viewer (a viewer that misses one is dropped),
        # and seconds a frame may wait to be queued before a viewer too slow for it is dropped.
        "LIVE_PING_INTERVAL": _float(environ, "LIVE_PING_INTERVAL", 25.0),
        "LIVE_SEND_TIMEOUT": _float(environ, "LIVE_SEND_TIMEOUT", 5.0),
        # Live sockets one account may hold open in one web process (tabs watching benchmarks).
        "LIVE_SOCKETS_PER_USER": _int(environ, "LIVE_SOCKETS_PER_USER", 10),
        # Connections for live viewers' access checks (one statement each; renders have their own).
        "LIVE_DB_POOL_MAX": _int(environ, "LIVE_DB_POOL_MAX", 4, minimum=1),
        # Renders a second the hub aims at: while more would be needed, each report's render
        # interval grows from 100 ms (at most to 1 s).
        "LIVE_RENDERS_PER_SECOND": _int(environ, "LIVE_RENDERS_PER_SECOND", 1000, minimum=1),
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _int(environ, "TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_SECURE": _bool(environ, "SESSION_COOKIE_SECURE", False),
        # Providers
        "PROVIDER": environ.get("PROVIDER", "auto"),
        "PROVIDER_BASE_URL": environ.get("PROVIDER_BASE_URL", "https://openrouter.ai/api/v1"),
        "PROVIDER_API_KEY": environ.get("PROVIDER_API_KEY") or environ.get("OPENROUTER_API_KEY") or None,
        "SIMULATED_SPEED": _float(environ, "SIMULATED_SPEED", 1.0),
        # Seconds every simulated call takes, with no faults (for measuring the engine).
        "SIMULATED_FIXED_LATENCY": environ.get("SIMULATED_FIXED_LATENCY") or None,
        "CALL_TIMEOUT_SECONDS": _float(environ, "CALL_TIMEOUT_SECONDS", 120.0),
        "MAX_CALLS_PER_MODEL": _int(environ, "MAX_CALLS_PER_MODEL", 3),
        "MAX_CALLS_PER_REPORT": _int(environ, "MAX_CALLS_PER_REPORT", 10),
        # What the models are sent of each image: the long side in pixels, and the bytes above
        # which it is encoded again, smaller (webapp/engine/image_prep.py).
        "MAX_IMAGE_SIDE": _int(environ, "MAX_IMAGE_SIDE", SENT_IMAGE_MAX_SIDE, minimum=64),
        "MAX_IMAGE_BYTES": _int(environ, "MAX_IMAGE_BYTES", SENT_IMAGE_MAX_BYTES, minimum=10_000),
        "CATALOG_FILE": environ.get("CATALOG_FILE") or None,
        "BUDGET_CEILING_USD": _float(environ, "BUDGET_CEILING_USD", 7.0),
        # What one user may hold (webapp/benchmarks/limits.py).
        "MAX_RUNNING_BENCHMARKS": _int(environ, "MAX_RUNNING_BENCHMARKS", 3),
        "MAX_BENCHMARKS_PER_HOUR": _int(environ, "MAX_BENCHMARKS_PER_HOUR", 20),
        "MAX_IMAGE_MB_PER_USER": _int(environ, "MAX_IMAGE_MB_PER_USER", 250),
        # Images one benchmark may hold (webapp/benchmarks/uploads.py).
        "MAX_IMAGES": _int(environ, "MAX_IMAGES", 100, minimum=1),
        "SMTP_URL": environ.get("SMTP_URL") or None,
        # The address people open the app at, for links in emails (default: http://HOST:PORT).
        "PUBLIC_URL": environ.get("PUBLIC_URL") or None,
        "LOGIN_MAX_FAILURES": _int(environ, "LOGIN_MAX_FAILURES", 5),
        "SIGNUPS_PER_ADDRESS_PER_HOUR": _int(environ, "SIGNUPS_PER_ADDRESS_PER_HOUR", 10),
    }


def ensure_secret_key(data_dir: str | Path) -> str:
    """Return the secret key kept in the data dir, creating it once (never a hard-coded default)."""
    path = Path(data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written aside then linked into place: when two processes race, exactly one key wins
    # and nobody ever reads a half-written file.
    tmp = path.with_name(f".secret_key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
