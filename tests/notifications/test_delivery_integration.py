"""A notice goes out through a real Celery worker over Redis to a real SMTP server.

The worker is another process, so it reads the test database through committed
rows (transactional_db) and sends over SMTP to aiosmtpd on a free local port.
"""

import email
import email.policy
import socket
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from celery import Celery

from notifications.models import Notice
from notifications.services import notice_enqueue
from tests.notifications.factories import OVERDUE_SUBJECT, RecipientFactory, overdue_context
from tests.services.workers import start_worker, stop_worker

ROOT = Path(__file__).resolve().parents[2]
PORTAL = "https://anquan.example.edu.cn"

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Inbox:
    """aiosmtpd handler: keeps every accepted message."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def worker(shared_database_url, redis_url, smtp_server, tmp_path):
    controller, _ = smtp_server
    queue = f"test-notices-{uuid.uuid4().hex[:8]}"
    process = start_worker_for(shared_database_url, redis_url, controller.port, queue,
                               tmp_path, log_path=tmp_path / "worker.log")
    try:
        yield queue
    finally:
        # Stopped before the test database is flushed and dropped.
        stop_worker(process)


def test_a_notice_goes_out_through_a_real_worker_and_smtp_server(
        redis_url, worker, smtp_server, monkeypatch):
    _, inbox = smtp_server
    # In this process Celery is eager: keep the after-commit kick from sending
    # in-process, so only the worker can deliver.
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    recipient = RecipientFactory(full_name="王校长")
    notice, created = notice_enqueue(key="overdue:7:3:1", kind="overdue",
                                     subject=OVERDUE_SUBJECT, recipient=recipient,
                                     context=overdue_context(), language="en")
    assert created

    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
    # The task stores no result (nobody in the portal reads it); this test does.
    result = client.send_task("notifications.deliver_notices", queue=worker,
                              ignore_result=False)
    assert result.get(timeout=60) == 1

    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [(rcpt_tos, message)] = inbox.messages
    assert rcpt_tos == [recipient.email]
    assert message["To"] == recipient.email
    # Deterministic, so a resend after a lost COMMIT is the same message.
    assert message["Message-ID"].startswith(f"<notice-{notice.pk}-")
    assert message["Message-ID"].endswith("@anquan.example.edu.cn>")
    # The parser keeps the blank that folds an encoded header onto its own line.
    assert message["Subject"].strip() == ("Overdue: the report of 甲小学 due on Oct. 13, 2025 "
                                  "has not been submitted")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{PORTAL}/reports/deadlines/7/" in text
    assert f'href="{PORTAL}/reports/deadlines/7/"' in html

    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert notice.attempts == 1

    # Sent means sent: a second run finds nothing.
    again = client.send_task("notifications.deliver_notices", queue=worker,
                             ignore_result=False)
    assert again.get(timeout=60) == 0
    assert len(inbox.messages) == 1


class HangingInbox:
    """aiosmtpd handler that never answers DATA: the worker is mid-send."""

    def __init__(self):
        import threading

        self.entered = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio

        self.entered.set()
        await asyncio.sleep(120)
        return "451 never reached"


def start_worker_for(database_url, redis_url, smtp_port, queue, tmp_path, log_path=None):
    """A worker on the test database that mails to the given local SMTP port."""
    return start_worker(
        env={"VAR_DIR": str(tmp_path), "REDIS_URL": redis_url, "DATABASE_URL": database_url,
             "CONN_MAX_AGE": "0", "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
             "PORTAL_BASE_URL": PORTAL},
        queue=queue, name=f"{queue}-{uuid.uuid4().hex[:4]}", log_path=log_path)


def test_a_worker_killed_mid_send_leaves_the_notice_to_be_sent_once_by_the_next(
        redis_url, shared_database_url, smtp_server, tmp_path, monkeypatch):
    """security.md F2: SIGKILL while the SMTP server has not yet accepted the
    message. The row lock dies with the worker's connection and the transaction
    rolls back, so the notice is still pending; the next worker sends it once."""
    import signal

    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    recipient = RecipientFactory(full_name="李安全")
    notice, _ = notice_enqueue(key="overdue:7:3:2", kind="overdue",
                               subject=OVERDUE_SUBJECT, recipient=recipient,
                               context=overdue_context(), language="en")
    hanging = HangingInbox()
    stuck_smtp = Controller(hanging, hostname="127.0.0.1", port=free_port())
    stuck_smtp.start()
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
    first = start_worker_for(shared_database_url, redis_url, stuck_smtp.port, queue, tmp_path)
    try:
        client.send_task("notifications.deliver_notices", queue=queue)
        assert hanging.entered.wait(timeout=60), "the worker never reached the SMTP DATA step"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
        stuck_smtp.stop()

    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    assert notice.attempts == 0  # the attempt rolled back with the transaction

    controller, inbox = smtp_server
    second = start_worker_for(shared_database_url, redis_url, controller.port, queue, tmp_path)
    try:
        result = client.send_task("notifications.deliver_notices", queue=queue,
                                  ignore_result=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            notice.refresh_from_db()
            if notice.status == Notice.Status.SENT:
                break
            time.sleep(0.2)
        result.get(timeout=60)
    finally:
        stop_worker(second)
    assert notice.status == Notice.Status.SENT
    assert len(inbox.messages) == 1
