import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_denial_leaves_an_audit_row(world, login):
    client = login(world.principal)
    client.get(reverse("schools:detail", args=[world.school_b.pk]))
    client.get(reverse("audit:event_list"))
    events = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).order_by("id")
    assert [(e.username, e.target, e.status) for e in events] == [
        ("a-principal", f"school:{world.school_b.pk}", 404),
        ("a-principal", reverse("audit:event_list"), 403),
    ]
    assert all(e.ip == "127.0.0.1" for e in events)


def test_the_auditor_reads_the_log_and_the_reading_is_logged(world, login):
    response = login(world.auditor).get(reverse("audit:event_list"))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(username="auditor", action="audit.view").count() == 1


def test_the_auditor_filters_by_outcome(world, login):
    login(world.principal).get(reverse("schools:detail", args=[world.school_c.pk]))
    response = login(world.auditor).get(reverse("audit:event_list") + "?outcome=denied")
    assert [e.outcome for e in response.context["page"]] == ["denied"]


def test_a_nonsense_filter_is_an_error_not_the_whole_log(world, login):
    login(world.principal).get(reverse("schools:detail", args=[world.school_c.pk]))
    response = login(world.auditor).get(reverse("audit:event_list") + "?outcome=<x>&page=abc")
    assert response.status_code == 400
    assert list(response.context["page"]) == []


def test_a_nonsense_page_number_is_not_an_error(world, login):
    response = login(world.auditor).get(reverse("audit:event_list") + "?page=abc")
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_audit_rows_cannot_be_changed_or_deleted_in_the_database(world):
    event = AuditEvent.objects.create(username="x", action="access.denied", target="t",
                                      outcome="denied")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(target="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_a_refusal_in_the_admin_is_audited_too(world, login):
    response = login(world.inspector).get(reverse("admin:schools_school_add"))
    assert response.status_code == 403
    event = AuditEvent.objects.get()
    assert (event.username, event.action, event.target) == (
        "inspector", "access.denied", reverse("admin:schools_school_add"))


def test_a_denial_through_the_access_layer_is_recorded_once(world, login):
    login(world.head_teacher).get(reverse("schools:task_force_add", args=[world.school_a.pk]))
    assert AuditEvent.objects.count() == 1


def test_the_next_page_link_keeps_the_outcome_filter(world, login):
    for n in range(51):
        AuditEvent.objects.create(username="x", action="a", target=f"t{n}", outcome="denied")
    body = login(world.auditor).get(reverse("audit:event_list") + "?outcome=denied").content
    assert b'href="?outcome=denied&amp;page=2"' in body
