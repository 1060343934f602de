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


# ------------------------------------------------ refusals name their record

def test_a_403_on_a_report_names_its_type_code_and_school(world, login, deadline):
    from tests.reporting.factories import ProgressReportFactory

    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    response = login(world.principal).post(reverse("reporting:report_approve",
                                                   args=[report.code]))
    assert response.status_code == 403
    row = only(action="access.denied")
    assert (row.target_type, row.target_code, row.school_id, row.status, row.outcome) == (
        "reporting.progressreport", str(report.code), world.school_a.pk, 403, "denied")


def test_a_404_names_the_type_and_code_asked_for_but_no_school(world, login, deadline):
    from tests.reporting.factories import ProgressReportFactory

    report = ProgressReportFactory(school=world.school_b, deadline=deadline)
    response = login(world.principal).post(reverse("reporting:report_approve",
                                                   args=[report.code]))
    assert response.status_code == 404
    row = only(action="access.denied")
    assert (row.target_type, row.target_code, row.school_id, row.status) == (
        "reporting.progressreport", str(report.code), None, 404)


def test_other_refusals_still_work_without_a_record(world, login):
    response = login(world.principal).get(reverse("audit:event_list"))
    assert response.status_code == 403
    row = only(action="access.denied")
    assert (row.target_type, row.target_code, row.school_id, row.target) == (
        "", "", None, reverse("audit:event_list"))


# ------------------------------------- robots and the task force (business_action)

WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=TOPSECRETKEY123"
SIGNING = "SECtopsecretsigning0987654321"


def no_secret_in(row: AuditEvent) -> bool:
    text = " ".join(str(v) for v in (row.target, row.target_type, row.target_code, row.extra))
    return all(s not in text for s in ("TOPSECRET", "topsecret", "qyapi", "webhook"))


def test_saving_a_group_robot_is_audited_without_its_secrets(world, login, settings):
    settings.GROUP_ROBOT_HOSTS = ["oapi.dingtalk.com"]
    from notifications.models import GroupRobot

    response = login(world.principal).post(
        reverse("notifications:group_robots", args=[world.school_a.pk]),
        {"platform": "dingtalk", "webhook_url": WEBHOOK, "secret": SIGNING, "enabled": "on"})
    assert response.status_code == 302
    robot = GroupRobot.objects.get()
    row = only(action="robot.save")
    assert (row.username, row.target_type, row.target_code, row.school_id, row.extra,
            row.ip) == ("a-principal", "notifications.grouprobot", str(robot.pk),
                        world.school_a.pk, {"platform": "dingtalk", "enabled": True}, "127.0.0.1")
    assert no_secret_in(row)


def test_queuing_a_robot_test_message_is_audited_once(world, login):
    from notifications.models import GroupRobot

    robot = GroupRobot.objects.create(school=world.school_a, platform="dingtalk",
                                      webhook_url=WEBHOOK, secret=SIGNING, enabled=False)
    response = login(world.principal).post(
        reverse("notifications:group_robot_test", args=[world.school_a.pk, robot.pk]))
    assert response.status_code == 302
    row = only(action="robot.test")
    assert (row.username, row.target_code, row.school_id, row.extra) == (
        "a-principal", str(robot.pk), world.school_a.pk,
        {"platform": "dingtalk", "enabled": False})
    assert no_secret_in(row)
    assert AuditEvent.objects.count() == 1


def test_adding_a_task_force_member_is_audited_once(world, login):
    from schools.models import TaskForceMember

    response = login(world.principal).post(
        reverse("schools:task_force_add", args=[world.school_a.pk]),
        {"user": world.counselor.pk, "duty": "心理健康", "is_leader": ""})
    assert response.status_code == 302
    member = TaskForceMember.objects.get()
    row = only(action="task_force.add")
    assert (row.username, row.target_type, row.target_code, row.school_id, row.extra) == (
        "a-principal", "schools.taskforcemember", str(member.pk), world.school_a.pk,
        {"subject_user": world.counselor.pk, "role": "member"})
    assert "心理健康" not in str(row.extra)
    assert AuditEvent.objects.count() == 1


def test_adding_a_new_leader_is_one_row_naming_the_previous_leader(world):
    from schools import services as school_services

    school_services.task_force_add_member(school=world.school_a, user=world.principal,
                                          is_leader=True, by=world.principal)
    school_services.task_force_add_member(school=world.school_a, user=world.safety_officer,
                                          is_leader=True, by=world.principal)
    rows = AuditEvent.objects.filter(action="task_force.add").order_by("id")
    assert [r.extra for r in rows] == [
        {"subject_user": world.principal.pk, "role": "leader"},
        {"subject_user": world.safety_officer.pk, "role": "leader",
         "old": world.principal.pk}]
    assert AuditEvent.objects.count() == 2


def test_removing_a_task_force_member_is_audited_once(world, login):
    from schools.models import TaskForceMember

    member = TaskForceMember.objects.create(school=world.school_a, user=world.counselor,
                                            is_leader=True)
    response = login(world.principal).post(
        reverse("schools:task_force_remove", args=[world.school_a.pk, member.pk]))
    assert response.status_code == 302
    assert not TaskForceMember.objects.exists()
    row = only(action="task_force.remove")
    assert (row.username, row.target_code, row.school_id, row.extra) == (
        "a-principal", str(member.pk), world.school_a.pk,
        {"subject_user": world.counselor.pk, "role": "leader"})
    assert AuditEvent.objects.count() == 1


def test_changing_the_task_force_leader_is_audited_once(world):
    from schools import services as school_services
    from schools.models import TaskForceMember

    old = TaskForceMember.objects.create(school=world.school_a, user=world.principal,
                                         is_leader=True)
    new = TaskForceMember.objects.create(school=world.school_a, user=world.safety_officer)
    school_services.task_force_set_leader(school=world.school_a, member_id=new.pk,
                                          by=world.principal)
    assert list(TaskForceMember.objects.filter(is_leader=True)) == [new]
    row = only(action="task_force.leader")
    assert (row.username, row.target_code, row.school_id, row.extra) == (
        "a-principal", str(new.pk), world.school_a.pk,
        {"subject_user": world.safety_officer.pk, "old": world.principal.pk,
         "new": world.safety_officer.pk})
    # The same leader again changes nothing and says nothing.
    school_services.task_force_set_leader(school=world.school_a, member_id=new.pk,
                                          by=world.principal)
    assert AuditEvent.objects.count() == 1
    assert old.pk  # stepped down, still a member
    assert not TaskForceMember.objects.get(pk=old.pk).is_leader


def test_the_admin_changing_the_leader_goes_through_the_service(world, login):
    from schools.models import TaskForceMember

    member = TaskForceMember.objects.create(school=world.school_a, user=world.counselor)
    response = login(world.bureau_admin).post(
        reverse("admin:schools_taskforcemember_change", args=[member.pk]),
        {"school": world.school_a.pk, "user": world.counselor.pk, "duty": "x",
         "is_leader": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.is_leader, member.duty) == (True, "x")
    row = only(action="task_force.leader")
    assert (row.username, row.extra) == (
        "bureau-admin", {"subject_user": world.counselor.pk, "old": None,
                         "new": world.counselor.pk})


def test_a_business_action_with_an_unregistered_code_is_refused(world):
    from core.signals import business_action

    with pytest.raises(KeyError, match="audit_actions"):
        business_action.send(sender=None, code="robot.explode", by=world.principal)
    assert not AuditEvent.objects.exists()
