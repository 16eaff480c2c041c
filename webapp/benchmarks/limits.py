"""What one user may hold on a shared installation: benchmarks running at once, benchmarks
started per hour, and bytes of stored images (settings MAX_RUNNING_BENCHMARKS,
MAX_BENCHMARKS_PER_HOUR, MAX_IMAGE_MB_PER_USER). Each check runs under a lock per user, so
requests sent at once cannot all slip under a limit. Messages say which limit and what to do."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..formatting import minutes_until
from . import queries
from .uploads import max_images


def _mb(size: float) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def may_start(conn, owner_id: int) -> str | None:
    """None, or why this user may not start another benchmark now."""
    config = current_app.config
    queries.lock_owner(conn, owner_id, "start")
    usage = queries.owner_usage(conn, owner_id)
    if usage.running >= config["MAX_RUNNING_BENCHMARKS"]:
        return (
            f"You have {usage.running} benchmarks running, the most at once on this installation. "
            "Wait for one to finish, or cancel one, then start this one."
        )
    if usage.started_last_hour >= config["MAX_BENCHMARKS_PER_HOUR"] and usage.oldest_start_last_hour:
        free_at = usage.oldest_start_last_hour + dt.timedelta(hours=1)
        wait = minutes_until(free_at, dt.datetime.now(dt.UTC))
        return (
            f"You started {usage.started_last_hour} benchmarks in the last hour, the most allowed. "
            f"Your draft is saved: start it in {wait}."
        )
    return None


def may_store(
    conn, owner_id: int, filename: str, data: bytes, held: int | None = None, pending_bytes: int = 0
) -> str | None:
    """None, or why this image does not fit: in the draft (MAX_IMAGES) or in this user's storage
    (an image the user already stored takes no more room: it is stored once). A benchmark built
    outside the draft (the API) says how many images it `held` before this one and their
    `pending_bytes`, not stored yet."""
    allowed = current_app.config["MAX_IMAGE_MB_PER_USER"] * 1_000_000
    queries.lock_owner(conn, owner_id, "images")
    if (len(queries.draft_images(conn, owner_id)) if held is None else held) >= max_images():
        return f"{filename} was not added: a benchmark takes at most {max_images()} images."
    used = queries.owner_usage(conn, owner_id).image_bytes + pending_bytes
    size = 0 if queries.is_stored(conn, owner_id, data) else len(data)
    if used + size > allowed:
        return (
            f"{filename} was not added: your images take {_mb(used)} of the {_mb(allowed)} you may store. "
            "Delete benchmarks you no longer need from the dashboard to make room."
        )
    return None
