"""The admin's task force (工作专班): naming a second 组长 goes through
task_force_set_leader and tells the admin who led it before (issue 8 item 9;
a newcomer found the principal silently stepped down)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from schools import services
from schools.models import TaskForceMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def principal_leads(world):
    return services.task_force_add_member(school=world.school_a, user=world.principal,
                                          duty="全面负责", is_leader=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _leaders(school) -> list:
    return list(TaskForceMember.objects.filter(school=school, is_leader=True)
                .values_list("user__username", flat=True))


def test_adding_a_second_leader_names_the_one_it_steps_down(world, login, principal_leads):
    response = login(world.bureau_admin).post(reverse("admin:schools_taskforcemember_add"), {
        "school": world.school_a.pk, "user": world.safety_officer.pk, "duty": "校园安保",
        "is_leader": "on"}, follow=True)
    assert response.status_code == 200
    assert _leaders(world.school_a) == ["a-safety"]
    assert TaskForceMember.objects.filter(user=world.principal, is_leader=False).exists()
    assert ("李安全 (a-safety) 现任甲小学工作专班组长；原组长王校长 (a-principal) "
            "仍为专班成员。") in _messages(response)


def test_the_change_of_leader_is_audited_with_both_people(world, login, principal_leads):
    login(world.bureau_admin).post(reverse("admin:schools_taskforcemember_add"), {
        "school": world.school_a.pk, "user": world.safety_officer.pk, "is_leader": "on"})
    event = AuditEvent.objects.get(action="task_force.leader")
    assert (event.extra["old"], event.extra["new"]) == (world.principal.pk,
                                                        world.safety_officer.pk)


def test_the_first_leader_is_announced_without_a_predecessor(world, login):
    response = login(world.bureau_admin).post(reverse("admin:schools_taskforcemember_add"), {
        "school": world.school_a.pk, "user": world.principal.pk, "is_leader": "on"},
        follow=True)
    assert _leaders(world.school_a) == ["a-principal"]
    assert "王校长 (a-principal) 现任甲小学工作专班组长。" in _messages(response)


def test_a_plain_member_leaves_the_leader_in_place_and_says_nothing_of_it(world, login,
                                                                           principal_leads):
    response = login(world.bureau_admin).post(reverse("admin:schools_taskforcemember_add"), {
        "school": world.school_a.pk, "user": world.safety_officer.pk}, follow=True)
    assert _leaders(world.school_a) == ["a-principal"]
    assert not any("组长" in m for m in _messages(response))


def test_making_a_member_leader_in_the_admin_names_the_one_it_steps_down(world, login,
                                                                          principal_leads):
    member = services.task_force_add_member(school=world.school_a, user=world.safety_officer)
    response = login(world.bureau_admin).post(
        reverse("admin:schools_taskforcemember_change", args=[member.pk]), {
            "school": world.school_a.pk, "user": world.safety_officer.pk, "is_leader": "on"},
        follow=True)
    assert _leaders(world.school_a) == ["a-safety"]
    assert any("原组长王校长 (a-principal)" in m for m in _messages(response))


def test_unticking_the_leader_says_the_task_force_has_none(world, login, principal_leads):
    response = login(world.bureau_admin).post(
        reverse("admin:schools_taskforcemember_change", args=[principal_leads.pk]), {
            "school": world.school_a.pk, "user": world.principal.pk, "duty": "全面负责"},
        follow=True)
    assert _leaders(world.school_a) == []
    assert "甲小学工作专班现无组长；王校长 (a-principal) 仍为专班成员。" in _messages(response)
