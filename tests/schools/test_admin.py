"""The Django admin: the bureau's power tool, in Chinese, scoped to the district."""

import pytest
from django.urls import reverse

from schools.models import Membership, Role, TaskForceMember

pytestmark = pytest.mark.django_db


def test_the_admin_speaks_chinese(world, login):
    body = login(world.bureau_admin).get(reverse("admin:index")).content.decode()
    assert "学校" in body
    assert "成员身份" in body


def test_an_inspector_lists_only_the_schools_of_their_district(world, login):
    response = login(world.inspector).get(reverse("admin:schools_school_changelist"))
    assert set(response.context["cl"].queryset) == {world.school_a, world.school_b}


def test_the_membership_form_offers_only_this_districts_schools(world, login):
    response = login(world.bureau_admin).get(reverse("admin:schools_membership_add"))
    choices = set(response.context["adminform"].form.fields["school"].queryset)
    assert choices == {world.school_a, world.school_b}


def test_the_bureau_admin_gives_a_user_a_role(world, login):
    from tests.schools.factories import UserFactory

    newcomer = UserFactory(username="newcomer")
    response = login(world.bureau_admin).post(reverse("admin:schools_membership_add"), {
        "user": newcomer.pk, "role": Role.HEAD_TEACHER, "school": world.school_a.pk,
        "is_active": "on",
    })
    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, school=world.school_a).exists()


def test_a_school_role_without_a_school_is_refused_with_a_message(world, login):
    from tests.schools.factories import UserFactory

    newcomer = UserFactory(username="newcomer")
    response = login(world.bureau_admin).post(reverse("admin:schools_membership_add"), {
        "user": newcomer.pk, "role": Role.HEAD_TEACHER, "is_active": "on",
    })
    assert response.status_code == 200
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_task_force_member_added_in_the_admin_follows_the_portal_rules(world, login):
    response = login(world.bureau_admin).post(reverse("admin:schools_taskforcemember_add"), {
        "school": world.school_a.pk, "user": world.peer_principal.pk, "duty": "x",
    })
    assert response.status_code == 200  # not a member of school A's staff
    assert not TaskForceMember.objects.exists()


def test_a_school_user_cannot_sign_in_to_the_admin(client, world):
    from tests.schools.factories import PASSWORD

    response = client.post(reverse("admin:login"), {
        "username": "a-principal", "password": PASSWORD,
    })
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
