"""The completion email: sent by the worker once a benchmark finishes or fails, exactly once
per report, and never in the way of the run (a failure to send is logged and forgotten).

SMTP_URL: smtp://[user:password@]host[:port][?from=address]  (STARTTLS when the server offers it)
          smtps://...  (TLS from the start, port 465 by default)
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from . import queries

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 20
DEFAULT_SENDER = "VisionBench <visionbench@localhost>"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings({self.host}:{self.port}, tls={self.use_tls}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            "SMTP_URL must look like smtp://user:password@host:587?from=you@example.com "
            "(or smtps:// for TLS from the start)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL has an invalid port") from None
    use_tls = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if use_tls else 25),
        use_tls=use_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=(query.get("from") or [DEFAULT_SENDER])[0],
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def completion_message(notice: queries.CompletionNotice, base_url: str, sender: str) -> EmailMessage:
    link = f"{base_url.rstrip('/')}/r/{notice.share_token}"
    title = _one_line(notice.title)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notice.email
    if notice.status.is_complete:
        message["Subject"] = f"Your benchmark “{title}” is complete"
        body = (
            f"Your benchmark “{title}” has finished.\n\nSee which model reads your documents best, and why:\n{link}\n"
        )
    else:
        message["Subject"] = f"Your benchmark “{title}” failed"
        body = (
            f"Your benchmark “{title}” could not finish.\n\n"
            f"Reason: {_one_line(notice.failure_reason or 'unknown')}\n\n"
            f"Whatever finished is in the report:\n{link}\n"
        )
    message.set_content(body + "\n— VisionBench\n")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Blocking: call it in a thread."""
    client: smtplib.SMTP
    if settings.use_tls:
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SEND_TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=SEND_TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if not settings.use_tls and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)


def make_notifier(pool, smtp_url: str, base_url: str):
    """An async callback for the engine: notify the owner of report_id, if not done yet."""
    settings = parse_smtp_url(smtp_url)

    async def notify(report_id: int) -> None:
        async with pool.connection() as conn:
            notice = await queries.claim_completion_notice(conn, report_id)
        if notice is None:
            return  # not finished, cancelled, or already notified
        message = completion_message(notice, base_url, settings.sender)
        try:
            await asyncio.to_thread(send, settings, message)
            log.info("report %s: completion email sent", report_id)
        except (OSError, smtplib.SMTPException) as e:
            # Only the kind of error and the server: messages may echo credentials.
            log.warning(
                "report %s: completion email not sent (%s from %s:%s)",
                report_id,
                type(e).__name__,
                settings.host,
                settings.port,
            )

    return notify
