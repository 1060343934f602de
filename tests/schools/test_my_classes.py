"""我的班级: a head teacher's classes of this school year with their pupils and
counts; an empty state without a class; refused to everyone else
(issue 9 item 8)."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from schools.pupil_models import PupilStatus
from tests.conftest import shanghai
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_list_factories import PupilFactory

NOW = shanghai("2026-12-01 10:00")  # school year 2026 (2026–2027)
URL = "/schools/my-classes/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def lead(user, *classes):
    user.memberships.get().classes.add(*classes)


def test_the_url_is_named():
    assert reverse("schools:my_classes") == URL


def test_a_head_teacher_sees_each_class_they_lead_with_its_pupils_and_counts(world, login):
    a = world.school_a
    c31 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=1)
    c42 = SchoolClassFactory(school=a, school_year=2026, grade=4, number=2)
    other = SchoolClassFactory(school=a, school_year=2026, grade=3, number=2)
    lead(world.head_teacher, c42, c31)
    PupilFactory(school=a, current_class=c31, name="张三", gender="M", boarder=True)
    PupilFactory(school=a, current_class=c31, name="李四", gender="F")
    PupilFactory(school=a, current_class=c31, name="走了", status=PupilStatus.TRANSFERRED_OUT)
    PupilFactory(school=a, current_class=c42, name="王五", gender="F")
    PupilFactory(school=a, current_class=other, name="别班")

    response = login(world.head_teacher).get(URL)

    assert response.status_code == 200
    classes = response.context["classes"]
    assert [c.school_class for c in classes] == [c31, c42]
    assert [p.name for p in classes[0].pupils] == ["张三", "李四"]  # by name; 转出 left out
    assert (classes[0].count, classes[0].boys, classes[0].girls, classes[0].boarders) == (
        2, 1, 1, 1)
    assert [p.name for p in classes[1].pupils] == ["王五"]
    body = response.content.decode()
    assert "别班" not in body
    assert "走了" not in body
    assert body.count('data-testid="my-class"') == 2


def test_last_years_classes_are_not_shown(world, login):
    old = SchoolClassFactory(school=world.school_a, school_year=2025, grade=2, number=1)
    lead(world.head_teacher, old)
    PupilFactory(school=world.school_a, current_class=old, name="去年")
    response = login(world.head_teacher).get(URL)
    assert response.status_code == 200
    assert response.context["classes"] == []
    body = response.content.decode()
    assert 'data-testid="my-classes-empty"' in body
    assert "去年" not in body


def test_a_head_teacher_without_a_class_sees_a_clear_empty_state(world, login):
    response = login(world.head_teacher).get(URL)
    assert response.status_code == 200
    assert 'data-testid="my-classes-empty"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="record.view").exists()


@pytest.mark.parametrize("role", ["principal", "safety_officer", "counselor", "staff",
                                  "bureau_admin", "inspector", "auditor"])
def test_anyone_who_leads_no_class_by_role_is_refused(world, login, role):
    assert login(getattr(world, role)).get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_listing_ones_classes_is_an_audit_row_for_the_school(world, login):
    c31 = SchoolClassFactory(school=world.school_a, school_year=2026, grade=3, number=1)
    lead(world.head_teacher, c31)
    PupilFactory(school=world.school_a, current_class=c31)
    login(world.head_teacher).get(URL)
    row = AuditEvent.objects.get(action="record.view")
    assert (row.user, row.target_type, row.target_code) == (
        world.head_teacher, "schools.school", world.school_a.code)


def test_the_nav_shows_my_classes_to_head_teachers_only(world, login):
    for user, shown in ((world.head_teacher, True), (world.principal, False),
                        (world.counselor, False), (world.inspector, False)):
        body = login(user).get(reverse("home")).content.decode()
        assert ('data-testid="nav-my-classes"' in body) is shown, user


def test_the_page_costs_the_same_queries_for_3_pupils_as_for_60(
        world, login, django_assert_num_queries):
    a = world.school_a
    c31 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=1)
    c32 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=2)
    lead(world.head_teacher, c31, c32)
    for _n in range(3):
        PupilFactory(school=a, current_class=c31)
    client = login(world.head_teacher)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(57):
        PupilFactory(school=a, current_class=c32 if n % 2 else c31)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert sum(c.count for c in response.context["classes"]) == 60
