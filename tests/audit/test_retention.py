"""Retention: rows kept at least six months (Cybersecurity Law Art. 21); the
purge is the only DELETE the database allows, and only of rows past 183 days."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.retention import RetentionTooShort, purge_older_than
from audit.schedules import SCHEDULES
from core import clock

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="the trigger is PostgreSQL's")


def aged(days: int) -> AuditEvent:
    return AuditEvent.objects.create(username="x", action="record.view", outcome="allowed",
                                     at=clock.now() - dt.timedelta(days=days))


def test_the_purge_deletes_only_rows_older_than_the_cut_off():
    old, kept = aged(400), aged(200)
    assert purge_older_than(365) == 1
    assert set(AuditEvent.objects.filter(action="record.view")) == {kept}
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.get(action="audit.purge").extra == {"rows": 1}


def test_the_command_uses_the_setting_by_default(settings):
    settings.AUDIT_RETENTION_DAYS = 190
    aged(195), aged(185)
    call_command("purge_audit", verbosity=0)
    assert AuditEvent.objects.filter(action="record.view").count() == 1


def test_a_purge_asked_for_30_days_is_refused_and_deletes_nothing():
    aged(40)
    with pytest.raises(RetentionTooShort):
        purge_older_than(30)
    with pytest.raises(CommandError):
        call_command("purge_audit", "--older-than-days", "30")
    assert AuditEvent.objects.count() == 1


def purge_switched_on_then(write):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.purge = 'on'")
    write()


@postgresql_only
def test_a_plain_delete_still_fails_even_of_old_rows():
    old = aged(400)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()


@postgresql_only
def test_the_database_refuses_a_purge_of_young_rows_whatever_the_code_says():
    young = aged(30)
    with pytest.raises(DatabaseError), transaction.atomic():
        purge_switched_on_then(AuditEvent.objects.filter(pk=young.pk).delete)
    assert AuditEvent.objects.filter(pk=young.pk).exists()


@postgresql_only
def test_the_purge_switch_is_off_again_after_the_purge():
    purge_older_than(365)
    old = aged(400)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()


@postgresql_only
def test_an_update_is_refused_even_while_purging():
    old = aged(400)
    with pytest.raises(DatabaseError), transaction.atomic():
        purge_switched_on_then(
            lambda: AuditEvent.objects.filter(pk=old.pk).update(username="rewritten"))


def test_the_purge_runs_monthly():
    task, cron = SCHEDULES["Purge expired audit rows"]
    assert (task, cron["day_of_month"]) == ("audit.purge_expired", "1")
