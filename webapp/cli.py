"""Command line: `visionbench serve | migrate | worker | status | run` (also `python -m webapp ...`)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from . import cli_run
from .config import ensure_secret_key, load_config

log = logging.getLogger("visionbench")


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def _database(config: dict):
    """Return (url, embedded server or None). Starts the embedded server when no URL is set."""
    if config["DATABASE_URL"]:
        return config["DATABASE_URL"], None
    from .db.embedded import EmbeddedPostgres

    pg = EmbeddedPostgres(Path(config["DATA_DIR"]) / "postgres")
    return pg.start(), pg


def cmd_migrate(args) -> int:
    from .db.migrate import migrate

    config = load_config()
    url, pg = _database(config)
    try:
        applied = migrate(url)
        print("Applied: " + ", ".join(applied) if applied else "The database is up to date.")
    finally:
        if pg:
            pg.stop()
    return 0


def cmd_worker(args) -> int:
    from .engine.worker import run_worker

    config = load_config()
    if not config["DATABASE_URL"]:
        print(
            "DATABASE_URL is not set. `visionbench serve` starts a worker with the embedded "
            "database; a separate worker needs DATABASE_URL.",
            file=sys.stderr,
        )
        return 2
    return run_worker(config)


def cmd_status(args) -> int:
    """The job workers on this machine and those the database knows; exit status 1 when the
    database is unreachable or a worker is not working."""
    import psycopg

    from .engine import status

    config = load_config()
    healthy = True
    local = status.local_workers(Path(config["DATA_DIR"]) / "workers")
    print(f"Job workers on this machine ({Path(config['DATA_DIR']) / 'workers'}):")
    for state in local:
        line, ok = status.describe_local(state)
        healthy &= ok
        print("  " + line)
    if not local:
        print("  none")
    url = config["DATABASE_URL"] or _embedded_url(config)
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            workers = status.database_workers(conn)
    except psycopg.OperationalError as e:
        print(f"Database: UNREACHABLE ({type(e).__name__})")
        return 1
    print("Database: reachable. Job workers it has heard from:")
    for worker in workers:
        healthy &= worker.alive
        print("  " + status.describe_database_worker(worker))
    if not workers:
        print("  none: no benchmark will run until a worker starts")
        healthy = False
    return 0 if healthy else 1


def _embedded_url(config: dict) -> str:
    """The embedded PostgreSQL's socket (of a running `visionbench serve`); never starts it."""
    from .db.embedded import EmbeddedPostgres

    return EmbeddedPostgres(Path(config["DATA_DIR"]) / "postgres").uri


def cmd_serve(args) -> int:
    from . import processes
    from .db.migrate import migrate
    from .supervisor import Child, GaveUp, Supervisor, echo_stderr

    config = load_config()
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    ensure_secret_key(config["DATA_DIR"])  # once here, so every child reads the same key
    signal.signal(signal.SIGTERM, _raise_stop)
    supervisor, pg = None, None
    try:
        url, pg = _database(config)
        migrate(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DATA_DIR": config["DATA_DIR"],
            "HOST": config["HOST"],
            "PORT": str(config["PORT"]),
        }

        def command(name: str, args: list[str]) -> Child:
            child = Child(name, lambda: echo_stderr(child, processes.spawn_supervised(args, env)))
            return child

        children = [
            command(
                "web server",
                [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "webapp:create_app()"],
            )
        ]
        for n in range(config["WORKER_PROCESSES"]):
            name = "job worker" if config["WORKER_PROCESSES"] == 1 else f"job worker {n + 1}"
            children.append(command(name, [sys.executable, "-m", "webapp", "worker"]))
        if pg:
            children.append(
                Child(
                    "embedded PostgreSQL",
                    lambda: _restart_embedded(pg),
                    process=pg.process,
                    started_at=time.monotonic(),
                )
            )
        supervisor = Supervisor(children)
        supervisor.start_all()
        announced = False
        while True:
            supervisor.tick()
            if not announced and _listening(config["HOST"], config["PORT"]):
                announced = True
                _announce(config, pg)
            time.sleep(0.2)
    except GaveUp as e:
        log.error("%s", e)
        return 1
    except (KeyboardInterrupt, _Stop):
        print("\nStopping…", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if supervisor:  # the database last: the others may still write to it as they stop
            supervisor.stop_all([c for c in supervisor.children if c.name != "embedded PostgreSQL"])
        if pg:
            pg.stop()


def _restart_embedded(pg):
    from .db.embedded import EmbeddedPostgresError
    from .supervisor import StartFailed

    try:
        pg.start()
    except EmbeddedPostgresError as e:
        raise StartFailed(str(e).strip().splitlines()[-1]) from None
    return pg.process


def _announce(config: dict, pg) -> None:
    provider = "your API provider" if config["PROVIDER_API_KEY"] else "the simulated provider (no API key set)"
    print(
        f"\n  VisionBench is running at http://{_display_host(config['HOST'])}:{config['PORT']}/"
        f"\n  Database: {'embedded PostgreSQL in ' + str(pg.root) if pg else 'DATABASE_URL'}"
        f"\n  Models are called through {provider}.\n  Press Ctrl-C to stop.\n",
        flush=True,
    )


def _display_host(host: str) -> str:
    return "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "") else host


def _listening(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host if host not in ("0.0.0.0", "") else "127.0.0.1", port), 0.2):
            return True
    except OSError:
        return False


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="visionbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the web app and a job worker (embedded PostgreSQL if DATABASE_URL is unset)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("worker", help="run a job worker against DATABASE_URL")
    sub.add_parser("status", help="show the job workers: database reachable, heartbeat, benchmarks running")
    cli_run.add_parser(sub)
    args = parser.parse_args(argv)
    commands = {
        "serve": cmd_serve,
        "migrate": cmd_migrate,
        "worker": cmd_worker,
        "status": cmd_status,
        "run": cli_run.cmd_run,
    }
    return commands[args.command](args)
