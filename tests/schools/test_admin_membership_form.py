"""The admin's role form (成员身份): a head teacher's classes come from the chosen
school only, and people are shown with their usernames (issue 8 item 9)."""

import json

import pytest
from django.urls import reverse

from schools.models import Membership, Role
from tests.schools.factories import MembershipFactory, SchoolClassFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes(world):
    return {"a": SchoolClassFactory(school=world.school_a, grade=3, number=1),
            "b": SchoolClassFactory(school=world.school_b, grade=3, number=1),
            "c": SchoolClassFactory(school=world.school_c, grade=3, number=1)}


@pytest.fixture
def head_teacher_role(world):
    return Membership.objects.get(user=world.head_teacher, school=world.school_a)


def _offered(response) -> dict[int, str]:
    field = response.context["adminform"].form.fields["classes"]
    return {int(value): str(label) for value, label in field.widget.choices}


def _post(client, url, **fields):
    return client.post(url, {"is_active": "on", **fields})


def test_changing_a_role_offers_only_the_classes_of_its_school(world, login, classes,
                                                               head_teacher_role):
    response = login(world.bureau_admin).get(
        reverse("admin:schools_membership_change", args=[head_teacher_role.pk]))
    assert _offered(response) == {classes["a"].pk: "3年级1班"}


def test_the_add_page_offers_the_chosen_school_s_classes(world, login, classes):
    response = login(world.bureau_admin).get(
        reverse("admin:schools_membership_add") + f"?school={world.school_a.pk}")
    assert set(_offered(response)) == {classes["a"].pk}


def test_before_a_school_is_chosen_each_class_is_named_with_its_school(world, login,
                                                                        classes):
    response = login(world.bureau_admin).get(reverse("admin:schools_membership_add"))
    assert _offered(response) == {classes["a"].pk: "甲小学 · 3年级1班",
                                  classes["b"].pk: "乙小学 · 3年级1班"}  # never school C's


def test_a_class_of_another_school_is_refused_with_a_clear_error(world, login, classes,
                                                                 head_teacher_role):
    url = reverse("admin:schools_membership_change", args=[head_teacher_role.pk])
    response = _post(login(world.bureau_admin), url, user=world.head_teacher.pk,
                     role=Role.HEAD_TEACHER, school=world.school_a.pk,
                     classes=[classes["a"].pk, classes["b"].pk])
    assert response.status_code == 200
    assert ("只能选择甲小学的班级；乙小学 3年级1班不属于该校。"
            in response.content.decode())
    assert list(head_teacher_role.classes.all()) == []
    # The form sent back still offers only school A's class.
    assert set(_offered(response)) == {classes["a"].pk}


def test_a_class_without_a_school_is_refused(world, login, classes):
    newcomer = UserFactory(username="newcomer")
    response = _post(login(world.bureau_admin), reverse("admin:schools_membership_add"),
                     user=newcomer.pk, role=Role.INSPECTOR, bureau=world.bureau.pk,
                     classes=[classes["a"].pk])
    assert response.status_code == 200
    assert "班级属于某所学校：请先选择学校。" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_class_of_another_district_is_not_a_choice(world, login, classes,
                                                     head_teacher_role):
    url = reverse("admin:schools_membership_change", args=[head_teacher_role.pk])
    response = _post(login(world.bureau_admin), url, user=world.head_teacher.pk,
                     role=Role.HEAD_TEACHER, school=world.school_a.pk,
                     classes=[classes["c"].pk])
    assert response.status_code == 200
    assert "classes" in response.context["adminform"].form.errors
    assert list(head_teacher_role.classes.all()) == []


def test_a_head_teacher_is_given_a_class_of_their_school(world, login, classes,
                                                         head_teacher_role):
    url = reverse("admin:schools_membership_change", args=[head_teacher_role.pk])
    response = _post(login(world.bureau_admin), url, user=world.head_teacher.pk,
                     role=Role.HEAD_TEACHER, school=world.school_a.pk,
                     classes=[classes["a"].pk])
    assert response.status_code == 302
    assert list(head_teacher_role.classes.all()) == [classes["a"]]


def test_the_role_s_holder_is_shown_with_their_username(world, login, head_teacher_role):
    world.head_teacher.full_name = "张老师"
    world.head_teacher.save(update_fields=["full_name"])
    body = login(world.bureau_admin).get(
        reverse("admin:schools_membership_change", args=[head_teacher_role.pk])
    ).content.decode()
    assert "张老师 (a-teacher)" in body


def test_the_people_picker_searches_show_usernames(world, login):
    namesake = UserFactory(username="a-teacher-2", full_name="张老师")
    MembershipFactory(user=namesake, role=Role.STAFF, school=world.school_a)
    world.head_teacher.full_name = "张老师"
    world.head_teacher.save(update_fields=["full_name"])
    response = login(world.bureau_admin).get(reverse("admin:autocomplete"), {
        "term": "张老师", "app_label": "schools", "model_name": "membership",
        "field_name": "user"})
    texts = {row["text"] for row in json.loads(response.content)["results"]}
    assert texts == {"张老师 (a-teacher)", "张老师 (a-teacher-2)"}
