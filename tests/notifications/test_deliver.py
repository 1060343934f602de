import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext

from notifications.models import Notice
from notifications.services import MAX_ATTEMPTS, deliver_due, notice_cancel, notice_enqueue
from tests.notifications.factories import (
    OVERDUE_SUBJECT,
    NoticeFactory,
    RecipientFactory,
    overdue_context,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 10, 14, 0, 5, tzinfo=SHANGHAI)  # the overdue scan has just run
LINK = "https://anquan.example.edu.cn/reports/deadlines/7/"


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_BASE_URL = "https://anquan.example.edu.cn/"


def enqueue(user, key="overdue:7:3:1", language=None, **context):
    return notice_enqueue(key=key, kind="overdue", recipient=user, subject=OVERDUE_SUBJECT,
                          context=overdue_context(**context), language=language)[0]


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@time_machine.travel(NOW, tick=False)
def test_it_sends_one_email_per_notice_in_the_recipients_language():
    chinese = enqueue(RecipientFactory(full_name="王校长"), key="overdue:7:3:1")
    english = enqueue(RecipientFactory(full_name="Li Ming"), key="overdue:7:3:2", language="en")

    assert deliver_due() == 2

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2
    zh = by_recipient[chinese.recipient.email]
    en = by_recipient[english.recipient.email]
    with translation.override("zh-hans"):
        expected = gettext(
            "Overdue: the report of %(school)s due on %(deadline)s has not been submitted"
        ) % {"school": "甲小学", "deadline": "2025年10月13日"}
    assert zh.subject == expected
    assert "校园未成年人安全治理平台" in zh.body  # the portal's name, in Chinese
    assert en.subject == ("Overdue: the report of 甲小学 due on Oct. 13, 2025 "
                          "has not been submitted")
    assert en.body.startswith("Dear Li Ming,")
    for message in (zh, en):
        assert LINK in message.body
        assert f'<a href="{LINK}">' in html_of(message)
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    for notice in (chinese, english):
        notice.refresh_from_db()
        assert notice.status == Notice.Status.SENT
        assert notice.sent_at == NOW
        assert notice.attempts == 1


def test_it_sends_once_when_run_twice():
    enqueue(RecipientFactory())
    assert deliver_due() == 1
    assert deliver_due() == 0
    assert len(mail.outbox) == 1


def test_it_does_not_send_a_cancelled_notice():
    enqueue(RecipientFactory())
    assert notice_cancel(key="overdue:7:3:1")
    assert deliver_due() == 0
    assert mail.outbox == []
    assert Notice.objects.get().status == Notice.Status.CANCELLED


def test_it_sends_no_more_than_a_batch():
    for i in range(3):
        NoticeFactory(key=f"overdue:7:{i}:1")
    assert deliver_due(batch=2) == 2
    assert deliver_due(batch=2) == 1


def test_it_shows_only_what_the_template_shows():
    user = RecipientFactory(full_name="王CANARY-NAME", phone="CANARY-PHONE",
                            username="canary-login")
    # A row written past the service: whatever else is in the context stays out.
    NoticeFactory(recipient=user, context={**overdue_context(), "student_name": "CANARY-CHILD",
                                           "note": "CANARY-NOTE"})
    deliver_due()

    [message] = mail.outbox
    shown = "\n".join([message.subject, message.body, html_of(message)])
    assert "王CANARY-NAME" in message.body  # the recipient's own name is the greeting
    for canary in ("CANARY-CHILD", "CANARY-NOTE", "CANARY-PHONE", "canary-login", user.email):
        assert canary not in shown


def test_it_escapes_names_in_html_and_keeps_plain_text_plain():
    enqueue(RecipientFactory(), school_name='<script>alert(1)</script> & "甲"')
    deliver_due()
    [message] = mail.outbox
    assert "<script>" not in html_of(message)
    assert "&lt;script&gt;" in html_of(message)
    assert '<script>alert(1)</script> & "甲"' in message.body
    assert "\n" not in message.subject


def test_it_does_not_send_before_the_next_attempt_is_due():
    notice = NoticeFactory(next_attempt_at=NOW + timedelta(minutes=5))
    assert deliver_due(now=NOW) == 0
    assert deliver_due(now=notice.next_attempt_at) == 1


def test_it_cancels_the_notice_of_a_deactivated_recipient():
    notice = NoticeFactory(recipient=RecipientFactory(is_active=False))
    assert deliver_due() == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.CANCELLED
    assert mail.outbox == []


def test_it_fails_the_notice_of_a_recipient_without_an_address():
    notice = NoticeFactory(recipient=RecipientFactory(email=""))
    assert deliver_due() == 0
    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (Notice.Status.FAILED,
                                                  "recipient has no e-mail address")


def test_it_fails_a_notice_it_cannot_render_and_sends_the_next_one():
    broken = NoticeFactory(key="overdue:1:1:1", context={"path": "https://elsewhere.example/"},
                           next_attempt_at=NOW - timedelta(minutes=2))
    NoticeFactory(key="overdue:2:1:1", next_attempt_at=NOW - timedelta(minutes=1))
    assert deliver_due(now=NOW) == 1
    broken.refresh_from_db()
    assert (broken.status, broken.last_error) == (Notice.Status.FAILED, "ValueError")


@time_machine.travel(NOW, tick=False)
def test_it_retries_a_busy_server_with_capped_backoff_then_gives_up(settings):
    settings.EMAIL_BACKEND = "tests.notifications.fakes.BusyServerBackend"
    notice = enqueue(RecipientFactory())
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        assert deliver_due(now=now) == 0
        notice.refresh_from_db()
        delay = notice.next_attempt_at - now
        ceiling = min(600, 30 * 2 ** (attempt - 1))
        assert notice.attempts == attempt
        assert notice.status == Notice.Status.PENDING
        assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)
        assert delay <= timedelta(minutes=10)
        assert deliver_due(now=notice.next_attempt_at - timedelta(seconds=1)) == 0
        now = notice.next_attempt_at

    assert deliver_due(now=now) == 0
    notice.refresh_from_db()
    assert notice.attempts == MAX_ATTEMPTS
    assert notice.status == Notice.Status.FAILED
    # The server's text quoted the address; only the class and code are kept.
    assert notice.last_error == "SMTPResponseException 421"
    assert deliver_due(now=now + timedelta(days=1)) == 0


@pytest.mark.parametrize("backend", ["UnreachableBackend", "TimeoutBackend"])
def test_it_stops_the_batch_at_the_first_network_failure(settings, backend, notices_log):
    settings.EMAIL_BACKEND = f"tests.notifications.fakes.{backend}"
    first = NoticeFactory(key="overdue:1:1:1", next_attempt_at=NOW - timedelta(minutes=2))
    second = NoticeFactory(key="overdue:2:1:1", next_attempt_at=NOW - timedelta(minutes=1))
    assert deliver_due(now=NOW) == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, first.status) == (1, Notice.Status.PENDING)
    assert first.next_attempt_at > NOW
    assert second.attempts == 0
    assert f"notice {first.pk} not sent" in notices_log.text


@pytest.mark.django_db(transaction=True)
def test_it_skips_a_notice_another_worker_has_locked():
    if connection.vendor != "postgresql":
        pytest.skip("SELECT ... FOR UPDATE SKIP LOCKED needs PostgreSQL")
    notice = NoticeFactory()
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Notice.objects.select_for_update().get(pk=notice.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert deliver_due() == 0
    finally:
        release.set()
        thread.join(timeout=10)
    assert deliver_due() == 1
    assert len(mail.outbox) == 1
