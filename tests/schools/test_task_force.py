"""The school's task force (工作专班): the principal keeps it, from a phone."""

import pytest
from django.urls import reverse

from schools.models import TaskForceMember

pytestmark = pytest.mark.django_db


def add_url(school):
    return reverse("schools:task_force_add", args=[school.pk])


def test_the_principal_adds_a_member_with_a_responsibility(world, login):
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.counselor.pk, "duty": "心理健康", "is_leader": "",
    })
    assert response.status_code == 302
    member = TaskForceMember.objects.get(school=world.school_a, user=world.counselor)
    assert member.duty == "心理健康"
    assert not member.is_leader


def test_naming_a_new_leader_steps_the_old_one_down(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.principal, is_leader=True)
    login(world.principal).post(add_url(world.school_a), {
        "user": world.safety_officer.pk, "duty": "", "is_leader": "on",
    })
    leaders = TaskForceMember.objects.filter(school=world.school_a, is_leader=True)
    assert [m.user for m in leaders] == [world.safety_officer]


def test_naming_a_new_leader_says_who_led_before(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.principal, is_leader=True)
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.safety_officer.pk, "duty": "", "is_leader": "on"}, follow=True)
    assert ("李安全 现任甲小学工作专班组长；原组长王校长 仍为专班成员。"
            in [str(m) for m in response.context["messages"]])


def test_a_plain_member_says_nothing_of_the_leader(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.principal, is_leader=True)
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.safety_officer.pk, "duty": ""}, follow=True)
    assert not any("组长" in str(m) for m in response.context["messages"])


def test_a_missing_member_is_a_clear_error_and_the_typed_duty_is_kept(world, login):
    response = login(world.principal).post(add_url(world.school_a), {
        "user": "", "duty": "校园安保巡查",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "请选择一名教职工" in body
    assert 'value="校园安保巡查"' in body
    assert not TaskForceMember.objects.exists()


def test_a_tampered_user_id_from_another_school_is_refused(world, login):
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.peer_principal.pk, "duty": "x",
    })
    assert response.status_code == 400
    assert "请选择本校的教职工" in response.content.decode()
    assert not TaskForceMember.objects.exists()


def test_a_member_cannot_be_added_twice(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.counselor)
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.counselor.pk,
    })
    # The form only offers people not yet on the task force.
    assert response.status_code == 400
    assert TaskForceMember.objects.filter(user=world.counselor).count() == 1


def test_a_duty_longer_than_the_field_is_an_error_not_a_crash(world, login):
    response = login(world.principal).post(add_url(world.school_a), {
        "user": world.counselor.pk, "duty": "长" * 500,
    })
    assert response.status_code == 400
    assert not TaskForceMember.objects.exists()


def test_html_in_the_duty_is_shown_as_text(world, login):
    client = login(world.principal)
    client.post(add_url(world.school_a), {
        "user": world.counselor.pk, "duty": '<script>alert(1)</script>" onmouseover="x',
    })
    body = client.get(reverse("schools:detail", args=[world.school_a.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_the_principal_removes_a_member(world, login):
    member = TaskForceMember.objects.create(school=world.school_a, user=world.counselor)
    response = login(world.principal).post(
        reverse("schools:task_force_remove", args=[world.school_a.pk, member.pk]))
    assert response.status_code == 302
    assert not TaskForceMember.objects.exists()


def test_a_member_of_another_school_cannot_be_removed_through_this_school(world, login):
    other = TaskForceMember.objects.create(school=world.school_b, user=world.peer_principal)
    response = login(world.principal).post(
        reverse("schools:task_force_remove", args=[world.school_a.pk, other.pk]))
    assert response.status_code == 404
    assert TaskForceMember.objects.filter(pk=other.pk).exists()


def test_the_safety_officer_sees_the_staff_list_but_the_head_teacher_does_not(world, login):
    url = reverse("schools:detail", args=[world.school_a.pk])
    assert world.counselor.username not in login(world.head_teacher).get(url).content.decode()
    assert login(world.safety_officer).get(url).context["can_see_people"]
