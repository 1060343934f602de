import threading
from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerOperationalError

from notifications.models import Notice
from notifications.services import (
    NoticeDraft,
    deliver_due,
    notice_enqueue,
    notice_enqueue_many,
)
from notifications.tasks import deliver_notices
from tests.notifications.factories import OVERDUE_SUBJECT, RecipientFactory, overdue_context

pytestmark = pytest.mark.django_db


def enqueue(user, key="overdue:7:3:1", **overrides):
    fields = {"key": key, "kind": "overdue", "recipient": user, "subject": OVERDUE_SUBJECT,
              "context": overdue_context(), **overrides}
    return notice_enqueue(**fields)


def test_it_creates_one_row_when_enqueued_twice():
    user = RecipientFactory()
    first, created = enqueue(user)
    again, created_again = enqueue(user, context=overdue_context(school_name="改了名"))
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Notice.objects.count() == 1
    assert Notice.objects.get().context["school_name"] == "甲小学"


def test_it_writes_a_pending_row_in_the_default_language():
    notice, _ = enqueue(RecipientFactory())
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    assert notice.language == "zh-hans"
    assert notice.attempts == 0
    assert notice.next_attempt_at is not None


def test_it_keeps_english_and_falls_back_to_chinese_for_unknown_languages():
    user = RecipientFactory()
    english, _ = enqueue(user, key="a", language="en")
    klingon, _ = enqueue(user, key="b", language="tlh")
    assert (english.language, klingon.language) == ("en", "zh-hans")


def test_it_stores_dates_as_iso_strings():
    context = overdue_context(deadline_date=date(2025, 10, 24))
    notice, _ = enqueue(RecipientFactory(), context=context)
    notice.refresh_from_db()
    assert notice.context["deadline_date"] == "2025-10-24"


@pytest.mark.parametrize("context", [
    overdue_context(student_name="张小明"),  # not an allowed key: never reaches an e-mail
    overdue_context(path="https://evil.example/"),
    overdue_context(path="//evil.example/x"),
    overdue_context(school_id="3"),
    overdue_context(deadline_date="13/10/2025"),
    {k: v for k, v in overdue_context().items() if k != "path"},
    {k: v for k, v in overdue_context().items() if k != "school_name"},
    overdue_context(school_id=True),  # a bool is not the number it pretends to be
    overdue_context(school_name="长" * 201),  # free text cannot ride along
    overdue_context(deadline_kinds=["progress"] * 11),
    overdue_context(deadline_kinds=["x" * 41]),
    overdue_context(deadline_kinds=[3]),
])
def test_it_refuses_a_context_outside_the_allowed_keys_and_types(context):
    with pytest.raises(ValueError, match="context"):
        enqueue(RecipientFactory(), context=context)
    assert not Notice.objects.exists()


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_it_refuses_an_empty_or_overlong_key(key):
    with pytest.raises(ValueError, match="key"):
        enqueue(RecipientFactory(), key=key)
    assert not Notice.objects.exists()


def test_it_refuses_an_unknown_kind():
    with pytest.raises(LookupError, match="unknown notice kind 'sms'"):
        enqueue(RecipientFactory(), kind="sms")
    assert not Notice.objects.exists()


@pytest.mark.parametrize("subject", [
    None,  # an overdue notice must say which school × deadline it is about
    ("reporting.progressreport", "7:3"),  # the wrong type for the kind
    ("reporting.deadline_school", ""),
])
def test_it_refuses_a_subject_the_kind_does_not_declare(subject):
    with pytest.raises(ValueError, match="subject"):
        enqueue(RecipientFactory(), subject=subject)


def test_it_stores_the_subject_in_its_indexed_columns():
    notice, _ = enqueue(RecipientFactory())
    notice.refresh_from_db()
    assert (notice.subject_type, notice.subject_code) == OVERDUE_SUBJECT


def test_it_inserts_only_the_new_keys_of_a_batch():
    users = RecipientFactory.create_batch(3)
    enqueue(users[0], key="overdue:7:3:0")
    drafts = [NoticeDraft(key=f"overdue:7:3:{i}", kind="overdue",
                          recipient_id=user.pk, context=overdue_context(),
                          subject=OVERDUE_SUBJECT)
              for i, user in enumerate(users)]
    drafts.append(drafts[1])  # the same key twice in one batch
    assert notice_enqueue_many(drafts) == 2
    assert notice_enqueue_many(drafts) == 0
    assert sorted(Notice.objects.values_list("key", flat=True)) == [
        "overdue:7:3:0", "overdue:7:3:1", "overdue:7:3:2"]


def test_it_inserts_a_large_scan_in_one_insert_on_postgresql():
    user = RecipientFactory()
    drafts = [NoticeDraft(key=f"reminder:9:{i}:{user.pk}", kind="reminder",
                          recipient_id=user.pk, context=overdue_context(school_id=i),
                          subject=("reporting.deadline_school", f"9:{i}"))
              for i in range(1200)]
    with CaptureQueriesContext(connection) as queries:
        assert notice_enqueue_many(drafts) == 1200
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # SQLite allows 999 parameters per statement, so Django splits the batch there.
    expected_inserts = 1 if connection.vendor == "postgresql" else 17  # 14 columns a row
    assert len(inserts) == expected_inserts
    assert len(queries) <= len(inserts) + 5  # 3 look-up chunks, maybe a savepoint pair


def test_on_postgresql_the_insert_itself_finds_the_new_keys():
    """No look-up of existing keys: INSERT … ON CONFLICT DO NOTHING RETURNING
    says which rows were new, so the count is exact and the rows carry every
    field as the ORM would write them."""
    if connection.vendor != "postgresql":
        pytest.skip("the unnest insert is PostgreSQL's")
    users = RecipientFactory.create_batch(2)
    enqueue(users[0], key="overdue:7:3:0")
    context = overdue_context()
    drafts = [NoticeDraft(key=f"overdue:7:3:{i}", kind="overdue", recipient_id=user.pk,
                          context=context, subject=OVERDUE_SUBJECT, language="en")
              for i, user in enumerate(users)]
    with CaptureQueriesContext(connection) as queries:
        assert notice_enqueue_many(drafts) == 1
    assert not [q for q in queries.captured_queries
                if q["sql"].startswith('SELECT "notifications_notice"')]
    notice = Notice.objects.get(key="overdue:7:3:1")
    reference = Notice.objects.get(key="overdue:7:3:0")
    assert (notice.recipient, notice.kind, notice.language, notice.status, notice.attempts,
            notice.last_error, notice.sent_at, notice.read_at) == (
        users[1], "overdue", "en", Notice.Status.PENDING, 0, "", None, None)
    assert notice.context == reference.context
    assert (notice.subject_type, notice.subject_code) == OVERDUE_SUBJECT
    assert notice.next_attempt_at is not None
    assert notice.created_at is not None


def test_a_context_shared_by_several_drafts_is_cleaned_once(monkeypatch):
    from notifications import services

    users = RecipientFactory.create_batch(3)
    calls = []
    real = services.clean_context
    monkeypatch.setattr(services, "clean_context",
                        lambda kind, context: calls.append(1) or real(kind, context))
    shared = overdue_context()
    drafts = [NoticeDraft(key=f"overdue:7:3:{i}", kind="overdue", recipient_id=user.pk,
                          context=shared, subject=OVERDUE_SUBJECT)
              for i, user in enumerate(users)]
    drafts.append(NoticeDraft(key="overdue:7:4:0", kind="overdue", recipient_id=users[0].pk,
                              context=overdue_context(), subject=OVERDUE_SUBJECT))
    assert notice_enqueue_many(drafts) == 4
    assert len(calls) == 2
    with pytest.raises(ValueError, match="may not carry"):
        notice_enqueue_many([NoticeDraft(key="overdue:7:5:0", kind="overdue",
                                         recipient_id=users[0].pk,
                                         context={**shared, "child_name": "x"},
                                         subject=OVERDUE_SUBJECT)])


def test_it_queues_one_delivery_kick_per_transaction(django_capture_on_commit_callbacks):
    user = RecipientFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        for i in range(3):
            enqueue(user, key=f"overdue:7:3:{i}")
        enqueue(user, key="overdue:7:3:0")  # not new
    assert len(callbacks) == 1


def test_it_queues_no_kick_for_a_rolled_back_enqueue(django_capture_on_commit_callbacks):
    user = RecipientFactory()

    def submit_that_fails():
        with transaction.atomic():
            enqueue(user)
            raise RuntimeError("the report did not save")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        submit_that_fails()
    assert callbacks == []
    assert not Notice.objects.exists()


def test_it_sends_right_after_commit_when_the_broker_is_up(django_capture_on_commit_callbacks):
    # Test settings run Celery eagerly: the kick delivers in-process.
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(RecipientFactory())
    assert len(mail.outbox) == 1
    assert Notice.objects.get().status == Notice.Status.SENT


def test_it_saves_the_notice_when_the_broker_is_down(
        monkeypatch, django_capture_on_commit_callbacks, notices_log):
    def broker_down(*args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(deliver_notices, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notice, created = enqueue(RecipientFactory())  # no exception reaches the caller
    assert created
    assert Notice.objects.get().status == Notice.Status.PENDING
    assert mail.outbox == []
    assert "broker unreachable (OperationalError)" in notices_log.text

    # Redis is back: the periodic run picks the row up.
    assert deliver_due() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_row_when_threads_race_for_a_key(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions: PostgreSQL")
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    user = RecipientFactory()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(enqueue(user)[1])
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert Notice.objects.count() == 1
