"""Jinja filters that format numbers, money, times and durations the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal


def money(value, places: int | None = None) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if places is None:
        places = 2 if value >= 1 or value == 0 else 4 if value >= Decimal("0.01") else 6
    return f"${value:,.{places}f}"


def percent(value, places: int = 0) -> str:
    return "—" if value is None else f"{float(value) * 100:.{places}f}%"


def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def minutes_until(moment: datetime, now: datetime) -> str:
    """'12 minutes': the wait until `moment` in whole minutes, rounded up, at least 1."""
    minutes = max(1, -(-int((moment - now).total_seconds()) // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def milliseconds(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def signed(value, unsigned: Callable[[object], str]) -> str:
    """A difference: its size as `unsigned` writes it, after "+" or "−" unless it shows as zero."""
    if value is None:
        return "—"
    text = unsigned(abs(value))
    if not any(c in "123456789" for c in text):
        return text
    return ("+" if value > 0 else "−") + text


def points(value) -> str:
    """A share as percentage points: 0.125 -> "12.5 pts"."""
    return f"{float(value) * 100:.1f} pts"


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def file_size(size: int | None) -> str:
    """Powers of 1,024, as the upload limits are written ("10 MB")."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def pixels(width: int, height: int) -> str:
    return f"{width:,} × {height:,} px"


_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


def image_format(mime: str) -> str:
    return _IMAGE_FORMATS.get(mime, mime)


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        money=money,
        percent=percent,
        duration=duration,
        ms=milliseconds,
        when=when,
        file_size=file_size,
        image_format=image_format,
        signed_points=lambda value: signed(value, points),
        signed_money=lambda value: signed(value, money),
        signed_ms=lambda value: signed(value, milliseconds),
    )
    app.jinja_env.globals.update(pixels=pixels)
