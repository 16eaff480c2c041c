"""The completion email, sent by a real worker process to a local SMTP server (aiosmtpd)."""

import time
from email import message_from_bytes, policy

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.support.benchmarks import create_benchmark, create_user, report_status, wait_for
from tests.support.fake_openai import FakeOpenAI, Response
from tests.support.live_server import LiveServer, free_port

PUBLIC_URL = "https://bench.example.com"


class Inbox:
    """An aiosmtpd handler keeping every message it gets."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}?from=bench@example.com"
    yield inbox
    controller.stop()


@pytest.fixture
def workers(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path)
    yield server
    server.stop()


def token_of(url: str, report_id: int) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT share_token FROM reports WHERE id = %s", (report_id,)).fetchone()[0]


def test_owner_gets_one_email_with_the_link_when_the_benchmark_finishes(database_url, workers, smtp):
    owner = create_user(database_url, "grace@example.com")
    report_id = create_benchmark(database_url, owner, images=1, samples=2)
    workers.start_worker(SMTP_URL=smtp.url, PUBLIC_URL=PUBLIC_URL)
    wait_for(lambda: smtp.messages, message="the completion email")
    assert report_status(database_url, report_id) == "complete"
    recipients, message = smtp.messages[0]
    assert recipients == ["grace@example.com"]
    assert (
        message["From"] == "bench@example.com" and message["Subject"] == "Your benchmark “Test benchmark” is complete"
    )
    assert f"{PUBLIC_URL}/r/{token_of(database_url, report_id)}" in message.get_content()
    # A second worker, a restart or a re-run of the job must not send it again
    workers.start_worker(SMTP_URL=smtp.url, PUBLIC_URL=PUBLIC_URL)
    time.sleep(2)
    assert len(smtp.messages) == 1
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT notified_at IS NOT NULL FROM reports WHERE id = %s", (report_id,)).fetchone()[0]


def test_a_failed_benchmark_emails_the_reason(database_url, workers, smtp):
    owner = create_user(database_url, "grace@example.com")
    report_id = create_benchmark(
        database_url, owner, models=["openai/gpt-5-nano"], images=1, samples=1, provider="openai_compatible"
    )
    with FakeOpenAI() as fake:
        fake.handler = lambda body: Response(status=500, body={"error": {"message": "upstream is down"}})
        workers.start_worker(
            PROVIDER_BASE_URL=fake.base_url,
            PROVIDER_API_KEY="sk-test-secret-key",
            SMTP_URL=smtp.url,
            PUBLIC_URL=PUBLIC_URL,
        )
        wait_for(lambda: smtp.messages, message="the failure email")
    assert report_status(database_url, report_id) == "failed"
    _, message = smtp.messages[0]
    body = message.get_content()
    assert message["Subject"] == "Your benchmark “Test benchmark” failed"
    assert "Reason: All 1 runs failed" in body and "HTTP 500" in body
    assert "sk-test-secret-key" not in body


def test_an_unreachable_mail_server_neither_blocks_the_run_nor_leaks_its_password(database_url, workers):
    owner = create_user(database_url)
    report_id = create_benchmark(database_url, owner, images=1, samples=1)
    dead_port = free_port()  # nothing listens there
    workers.start_worker(SMTP_URL=f"smtp://mailer:hunter2-secret@127.0.0.1:{dead_port}")
    wait_for(lambda: report_status(database_url, report_id) == "complete", message="the report")
    wait_for(lambda: "completion email not sent" in workers.log.read_text(), message="the log line")
    log = workers.log.read_text()
    assert "hunter2-secret" not in log
    assert f"ConnectionRefusedError from 127.0.0.1:{dead_port}" in log
