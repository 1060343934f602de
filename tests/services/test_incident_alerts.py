"""Issue 10, "done when": a concern reaches the lead through a real worker,
and every clock escalates exactly once. A real Celery worker (another
process, over Redis) delivers the outbox to a real SMTP server; the e-mails
carry a link and the school's name, never the child or what was seen; the
follow-up scan run twice by the worker tells each person once."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from celery import Celery
from django.utils import timezone

from incidents import services
from notifications.models import Notice
from schools.models import Role
from tests.notifications.test_delivery_integration import (  # noqa: F401 - a fixture
    PORTAL,
    smtp_server,
    start_worker_for,
)
from tests.schools.factories import MembershipFactory, bureau_member, school_member
from tests.schools.pupil_factories import PupilFactory
from tests.services.workers import stop_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CANARY = "金丝雀学生"
SEEN = "左臂有多处新旧淤青"


@pytest.fixture
def worker(shared_database_url, redis_url, smtp_server, tmp_path):  # noqa: F811
    controller, _ = smtp_server
    queue = f"test-incidents-{uuid.uuid4().hex[:8]}"
    process = start_worker_for(shared_database_url, redis_url, controller.port, queue,
                               tmp_path, log_path=tmp_path / "worker.log")
    try:
        yield Celery(broker=redis_url, backend=redis_url, set_as_current=False), queue
    finally:
        stop_worker(process)


def run(client, queue, name):
    return client.send_task(name, queue=queue, ignore_result=False).get(timeout=60)


def wait_for(inbox, count):
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


def test_the_lead_is_mailed_a_link_and_the_overdue_clock_escalates_once_each(
        world, worker, smtp_server, monkeypatch):  # noqa: F811
    client, queue = worker
    _, inbox = smtp_server
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    lead = school_member(world.school_a, Role.SAFETY_OFFICER, username="lead",
                         email="lead@example.org")
    MembershipFactory(user=lead, role=Role.REPORTING_LEAD, school=world.school_a)
    officer = bureau_member(world.bureau, Role.PROTECTION_OFFICER, username="officer",
                            email="officer@example.org")
    type(world.principal).objects.filter(pk=world.principal.pk).update(
        email="principal@example.org")
    pupil = PupilFactory(school=world.school_a, name=CANARY)
    logged = timezone.now() - dt.timedelta(hours=30)  # the police report is 6 h overdue
    concern = services.concern_log(school=world.school_a, by=world.staff, pupil=pupil,
                                   observed=SEEN, observed_at=logged - dt.timedelta(minutes=5),
                                   at=logged)

    assert run(client, queue, "notifications.deliver_notices") == 2
    alerts = wait_for(inbox, 2)
    assert sorted(r for rcpt, _m in alerts for r in rcpt) == ["lead@example.org",
                                                            "principal@example.org"]
    for _rcpt, message in alerts:
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"{PORTAL}/incidents/concerns/{concern.code}/" in text
        assert world.school_a.name in message["Subject"]
        for secret in (CANARY, SEEN, pupil.student_number):
            assert secret not in message.as_string()

    # The scan was down past both steps (a stopped beat): the latest step
    # fires and still reaches the leads. Two scans (a second beat, a retry):
    # each person is told once.
    run(client, queue, "followups.scan_followups")
    run(client, queue, "followups.scan_followups")
    run(client, queue, "notifications.deliver_notices")
    overdue = [rcpt[0] for rcpt, _m in wait_for(inbox, 5)[2:]]
    assert sorted(overdue) == ["lead@example.org", "officer@example.org",
                               "principal@example.org"]
    assert Notice.objects.filter(kind="incidents.police_overdue").count() == 3
    assert officer.pk in Notice.objects.filter(kind="incidents.police_overdue") \
        .values_list("recipient", flat=True)
