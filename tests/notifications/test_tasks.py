from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from notifications.models import Notice
from notifications.schedules import SCHEDULES
from notifications.services import RETRY_CAP_SECONDS, retry_delay
from notifications.tasks import deliver_notices
from safety_portal.celery import app
from tests.notifications.factories import NoticeFactory

# Redis' default, and what base.py sets when REDIS_URL is given.
VISIBILITY_TIMEOUT = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def test_every_retry_waits_at_most_ten_minutes_well_under_the_visibility_timeout():
    delays = [retry_delay(attempt) for attempt in range(1, 40) for _ in range(20)]
    assert max(delays) <= timedelta(minutes=10)
    assert min(delays) >= timedelta(seconds=15)
    assert RETRY_CAP_SECONDS * 2 <= VISIBILITY_TIMEOUT
    # The task's own retry countdown (database errors) obeys the same ceiling.
    assert deliver_notices.retry_backoff_max <= 600
    assert deliver_notices.retry_backoff_max * 2 <= VISIBILITY_TIMEOUT


@pytest.mark.django_db
def test_the_task_sends_what_is_due():
    NoticeFactory()
    assert deliver_notices.delay().get() == 1
    assert len(mail.outbox) == 1
    assert Notice.objects.get().status == Notice.Status.SENT


def test_the_schedule_runs_delivery_every_minute_under_a_registered_task():
    task, cron = SCHEDULES["Deliver pending notices"]
    assert (task, cron) == ("notifications.deliver_notices", {"minute": "*"})
    assert task in app.tasks
