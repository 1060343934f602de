"""One audit test per business action (style.md): each writes exactly one row
with who, which record (type and public code), school and old/new values."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from core.workflows import Transition, Workflow
from reporting import bulletins, services
from reporting.models import ExportJob
from schools.access import access_granted
from schools.models import Membership, Role
from tests.plugin_app.models import Hazard, HazardTransition
from tests.reporting.factories import CampaignFactory, DeadlineFactory
from tests.schools.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

S = Hazard.Status
HAZARDS = Workflow(
    model=Hazard, record_model=HazardTransition, subject_field="hazard",
    authorize=lambda user, obj, perm: True,
    transitions=[
        Transition("start", sources={S.REPORTED}, target=S.FIXING, permission="fix"),
        Transition("finish", sources={S.FIXING}, target=S.FIXED, permission="fix",
                   reason_required=True),
        Transition("explode", sources={S.FIXING}, target=S.WITHDRAWN, permission="fix"),
    ],
)


def only(**filters) -> AuditEvent:
    return AuditEvent.objects.get(**filters)


def test_a_workflow_transition_writes_one_row_coded_by_the_domain(world, at):
    hazard = Hazard.objects.create(school=world.school_a, title="松动的栏杆")
    with transaction.atomic():
        HAZARDS.apply(hazard, "start", by=world.safety_officer, at=at("2026-05-13 09:00"))
        HAZARDS.apply(hazard, "finish", by=world.safety_officer, reason="已更换",
                      at=at("2026-05-14 10:00"))
    start, finish = AuditEvent.objects.order_by("id")
    assert (start.action, start.username, start.target_type, start.target_code,
            start.school_id, start.extra, start.at) == (
        "plugin_app.hazard.start", "a-safety", "plugin_app.hazard", str(hazard.code),
        world.school_a.pk, {"old": "reported", "new": "fixing"}, at("2026-05-13 09:00"))
    assert finish.action == "hazard.fix"
    assert finish.extra == {"old": "fixing", "new": "fixed", "reason_given": True}
    assert "已更换" not in str(finish.extra)


def test_a_transition_nobody_registered_is_refused_with_its_change(world):
    hazard = Hazard.objects.create(school=world.school_a, title="x", status=S.FIXING)
    with pytest.raises(KeyError, match="audit_actions"), transaction.atomic():
        HAZARDS.apply(hazard, "explode", by=world.safety_officer)
    hazard.refresh_from_db()
    assert hazard.status == S.FIXING
    assert not AuditEvent.objects.exists()


def test_moving_a_deadline_is_audited(world):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 15), reason="调休",
                           by=world.bureau_admin)
    row = only(action="deadline.move")
    assert (row.username, row.target_type, row.target_code, row.extra) == (
        "bureau-admin", "reporting.deadline", str(deadline.pk),
        {"old": "2026-05-13", "new": "2026-05-15", "reason_given": True})


def test_publishing_the_late_school_notice_is_audited(world):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau))
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    bulletins.bulletin_publish(bulletin=item, by=world.inspector)
    row = only(action="bulletin.publish")
    assert (row.username, row.target_type, row.target_code, row.extra) == (
        "inspector", "reporting.bulletin", str(item.pk), {"old": "draft", "new": "published"})


def test_downloading_an_export_is_audited_with_the_ip(world, login, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(kind="timeliness", campaign=CampaignFactory(
        bureau=world.bureau), requested_by=world.inspector, status="done")
    job.file.save("x.xlsx", ContentFile(b"x"))
    response = login(world.inspector).get(reverse("reporting:export_download",
                                                  args=[job.code]))
    assert response.status_code == 200
    row = only(action="export.download")
    assert (row.username, row.target_type, row.target_code, row.ip, row.extra) == (
        "inspector", "reporting.exportjob", str(job.code), "127.0.0.1", {"kind": "timeliness"})


def test_granting_and_revoking_a_role_in_the_admin_is_audited(world, login):
    client = login(world.bureau_admin)
    person = UserFactory(username="new-teacher")
    response = client.post(reverse("admin:schools_membership_add"), {
        "user": person.pk, "role": Role.HEAD_TEACHER, "school": world.school_a.pk,
        "is_active": "on"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    grant = only(action="role.grant")
    assert (grant.username, grant.target_type, grant.target_code, grant.school_id,
            grant.extra) == ("bureau-admin", "schools.membership", str(membership.pk),
                             world.school_a.pk, {"role": "head_teacher", "subject_user": person.pk})
    client.post(reverse("admin:schools_membership_change", args=[membership.pk]), {
        "user": person.pk, "role": Role.HEAD_TEACHER, "school": world.school_a.pk})
    revoke = only(action="role.revoke")
    assert revoke.extra == {"role": "head_teacher", "subject_user": person.pk}
    client.post(reverse("admin:schools_membership_change", args=[membership.pk]), {
        "user": person.pk, "role": Role.HEAD_TEACHER, "school": world.school_a.pk})
    assert AuditEvent.objects.filter(action__startswith="role.").count() == 2  # no change


def test_deleting_an_active_role_in_the_admin_revokes_it(world, login):
    membership = Membership.objects.get(user=world.staff)
    login(world.bureau_admin).post(
        reverse("admin:schools_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    row = only(action="role.revoke")
    assert (row.target_code, row.school_id, row.extra["role"]) == (
        str(membership.pk), world.school_a.pk, "staff")


def test_changing_ones_own_password_is_audited(world, login):
    response = login(world.principal).post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "A-much-longer-secret-99",
        "new_password2": "A-much-longer-secret-99"})
    assert response.status_code == 302
    row = only(action="password.change")
    assert (row.username, row.target_type, row.target_code) == (
        "a-principal", "schools.user", str(world.principal.pk))
    assert "secret" not in str(row.extra)


def test_an_administrator_resetting_a_password_is_audited(world, login):
    response = login(world.bureau_admin).post(
        reverse("admin:auth_user_password_change", args=[world.staff.pk]),
        {"password1": "A-much-longer-secret-99", "password2": "A-much-longer-secret-99"})
    assert response.status_code == 302
    row = only(action="password.reset")
    assert (row.username, row.target_code, row.extra) == (
        "bureau-admin", str(world.staff.pk), {"subject_user": world.staff.pk})


def test_opening_a_sensitive_record_is_audited(world, rf):
    request = rf.get("/incidents/x/", REMOTE_ADDR="10.1.2.3")
    access_granted.send(sender=None, request=request, user=world.counselor,
                        perm="view_referral", target_type="incidents.referral",
                        target_code="9f1c", action="print", school_id=world.school_a.pk)
    row = only(action="record.print")
    assert (row.username, row.target_type, row.target_code, row.school_id, row.ip) == (
        "a-counselor", "incidents.referral", "9f1c", world.school_a.pk, "10.1.2.3")
