"""学生名册: who may list a school's pupils, what they see, the filters, the
masking of the 学籍号, the audit row and a fixed number of queries
(issue 9 items 4 and 8)."""

import datetime as dt

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from audit.models import AuditEvent
from schools.models import Role
from schools.pupil_models import Gender, PupilStatus
from tests.conftest import shanghai
from tests.schools.factories import MembershipFactory, SchoolClassFactory, UserFactory
from tests.schools.pupil_list_factories import CircumstanceFactory, PupilFactory

NOW = shanghai("2026-12-01 10:00")  # school year 2026 (2026–2027)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def school(world):
    """School A with two classes this year and one last year; the world's
    head teacher leads 3年级1班 this year and led 2年级1班 last year."""
    a = world.school_a
    s = type("S", (), {})()
    s.c31 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=1)
    s.c32 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=2)
    s.old = SchoolClassFactory(school=a, school_year=2025, grade=2, number=1)
    membership = world.head_teacher.memberships.get()
    membership.classes.add(s.c31, s.old)
    s.zhang = PupilFactory(school=a, current_class=s.c31, name="张三")
    s.li = PupilFactory(school=a, current_class=s.c32, name="李四", gender="F", boarder=True)
    s.gone = PupilFactory(school=a, current_class=s.c31, name="王五",
                          status=PupilStatus.TRANSFERRED_OUT)
    s.other = PupilFactory(school=world.school_b, name="赵六")
    return s


def url(world, **params):
    base = reverse("schools:roster", args=[world.school_a.pk])
    if not params:
        return base
    from urllib.parse import urlencode
    return f"{base}?{urlencode(params)}"


def names(response):
    return [p.name for p in response.context["page"]]


# ------------------------------------------------------------------ who sees whom
@pytest.mark.parametrize("role", ["principal", "safety_officer", "counselor"])
def test_the_schools_named_people_see_its_enrolled_pupils(world, login, school, role):
    response = login(getattr(world, role)).get(url(world))
    assert response.status_code == 200
    assert names(response) == ["张三", "李四"]  # 3年级1班 then 3年级2班; 转出 hidden
    assert "赵六" not in response.content.decode()


def test_a_head_teacher_sees_only_the_pupils_of_the_class_they_lead(world, login, school):
    response = login(world.head_teacher).get(url(world))
    assert response.status_code == 200
    assert names(response) == ["张三"]
    # The class filter offers their class of this year only.
    choices = [c.pk for c in response.context["form"].fields["school_class"].queryset]
    assert choices == [school.c31.pk]


def test_a_head_teacher_cannot_reach_another_class_through_the_filter(world, login, school):
    response = login(world.head_teacher).get(url(world, school_class=school.c32.pk))
    assert "李四" not in response.content.decode()


def test_the_class_filter_lists_this_school_years_classes(world, login, school):
    PupilFactory(school=world.school_a, current_class=school.old, name="旧班学生")
    response = login(world.principal).get(url(world))
    choices = [c.pk for c in response.context["form"].fields["school_class"].queryset]
    assert choices == [school.c31.pk, school.c32.pk]


def test_staff_are_refused(world, login, school):
    assert login(world.staff).get(url(world)).status_code == 403


@pytest.mark.parametrize("role", ["bureau_admin", "inspector"])
def test_the_bureau_is_refused_and_shown_no_name(world, login, school, role):
    response = login(getattr(world, role)).get(url(world))
    assert response.status_code == 403
    body = response.content.decode()
    assert "张三" not in body
    assert "李四" not in body


def test_the_auditor_does_not_see_the_school(world, login, school):
    assert login(world.auditor).get(url(world)).status_code == 404


def test_another_schools_roster_is_not_found(world, login, school):
    response = login(world.peer_principal).get(url(world))
    assert response.status_code == 404
    assert "张三" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, world, school):
    response = client.get(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------ filters
def test_status_defaults_to_enrolled_and_can_show_all(world, login, school):
    client = login(world.principal)
    assert "王五" not in names(client.get(url(world)))
    assert names(client.get(url(world, status="transferred_out"))) == ["王五"]
    assert sorted(names(client.get(url(world, status="all")))) == ["张三", "李四", "王五"]


def test_an_invalid_filter_value_is_ignored(world, login, school):
    response = login(world.principal).get(url(world, status="nonsense", school_class="x"))
    assert response.status_code == 200
    assert names(response) == ["张三", "李四"]


def test_a_name_search_matches_part_of_the_name(world, login, school):
    assert names(login(world.principal).get(url(world, q="三"))) == ["张三"]


def test_a_student_number_search_matches_exactly_whatever_the_typing(world, login, school):
    client = login(world.principal)
    number = school.li.student_number
    # Full-width, lower case, with spaces: cleaned, then matched exactly.
    typed = " ".join(number.lower()).translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789abcdefghijklmnopqrstuvwxyz"})
    assert names(client.get(url(world, q=typed))) == ["李四"]
    # A part of a number finds nobody: numbers are matched whole.
    assert names(client.get(url(world, q=number[:-1]))) == []


def test_the_roster_pages_by_fifty(world, login, school):
    for n in range(55):
        PupilFactory(school=world.school_a, current_class=school.c32, name=f"甲{n:02d}")
    client = login(world.principal)
    first = client.get(url(world))
    assert len(first.context["page"]) == 50
    assert first.context["total"] == 57
    second = client.get(url(world, page=2))
    assert len(second.context["page"]) == 7


def test_the_next_page_keeps_the_filters(world, login, school):
    for n in range(55):
        PupilFactory(school=world.school_a, current_class=school.c32, name=f"甲{n:02d}")
    response = login(world.principal).get(url(world, q="甲"))
    assert "q=%E7%94%B2&amp;page=2" in response.content.decode()


# ------------------------------------------------------------------ columns
def test_the_student_number_is_masked_unless_the_user_manages_the_roster(world, login, school):
    number = school.zhang.student_number
    for user in (world.counselor, world.head_teacher):
        body = login(user).get(url(world)).content.decode()
        assert number not in body
        assert school.zhang.masked_student_number in body
    for user in (world.principal, world.safety_officer):
        assert number in login(user).get(url(world)).content.decode()


def test_columns_show_gender_class_status_and_boarding(world, login, school):
    response = login(world.principal).get(url(world, q="李四"))
    row = response.content.decode().split('data-testid="roster-row"')[1].split("</tr>")[0]
    for text in (Gender.FEMALE.label, school.c32.short_name, PupilStatus.ENROLLED.label,
                 gettext("Yes")):
        assert str(text) in row


def test_each_name_links_to_the_pupils_page(world, login, school):
    try:
        target = reverse("schools:pupil_detail", kwargs={"code": school.zhang.code})
    except NoReverseMatch:
        pytest.skip("schools:pupil_detail comes with the pupil page's branch")
    assert f'href="{target}"' in login(world.principal).get(url(world)).content.decode()


def test_the_roster_links_its_import_for_those_who_manage_it(world, login, school):
    target = f'href="{reverse("schools:roster_import", args=[world.school_a.pk])}"'
    for user in (world.principal, world.safety_officer):
        assert target in login(user).get(url(world)).content.decode()
    for user in (world.counselor, world.head_teacher):
        assert target not in login(user).get(url(world)).content.decode()


# ------------------------------------------------------------------ priority groups
def test_the_group_filter_waits_for_a_recent_second_factor(world, login, school):
    CircumstanceFactory(pupil=school.zhang, group="left_behind")
    response = login(world.counselor).get(url(world, group="left_behind"))
    assert "group" not in response.context["form"].fields
    assert names(response) == ["张三", "李四"]  # the parameter is ignored
    verify = reverse("second_factor_verify")
    assert response.context["verify_url"].startswith(f"{verify}?next=")
    assert 'data-testid="roster-verify"' in response.content.decode()


def test_after_the_second_factor_the_group_filter_lists_current_circumstances(
        world, login, school):
    CircumstanceFactory(pupil=school.zhang, group="left_behind")
    CircumstanceFactory(pupil=school.li, group="left_behind", since=dt.date(2024, 9, 1),
                        until=dt.date(2025, 6, 30))  # no longer
    response = login(world.counselor, verified=True).get(url(world, group="left_behind"))
    assert "group" in response.context["form"].fields
    assert response.context["verify_url"] == ""
    assert names(response) == ["张三"]
    row = AuditEvent.objects.get(action="record.view", user=world.counselor)
    assert row.extra == {"permission": "schools.view_circumstances"}


def test_a_second_factor_older_than_the_step_up_limit_does_not_count(
        world, login, school, settings):
    settings.STEP_UP_SECONDS = 600  # shorter than the session's idle timeout
    client = login(world.counselor, verified=True)
    with time_machine.travel(NOW + dt.timedelta(seconds=660), tick=False):
        response = client.get(url(world, group="left_behind"))
    assert "group" not in response.context["form"].fields


def test_someone_without_view_circumstances_gets_no_group_filter_nor_link(
        world, login, school, settings):
    # Today every role that sees pupils may see circumstances: take it away.
    from schools.access import rules

    book = rules.rulebook()
    from schools.access_rules import SchoolsPerm

    settings_roles = book.school[SchoolsPerm.VIEW_CIRCUMSTANCES]
    book.school[SchoolsPerm.VIEW_CIRCUMSTANCES] = frozenset()
    try:
        response = login(world.principal, verified=True).get(url(world, group="left_behind"))
    finally:
        book.school[SchoolsPerm.VIEW_CIRCUMSTANCES] = settings_roles
    assert "group" not in response.context["form"].fields
    assert response.context["verify_url"] == ""


# ------------------------------------------------------------------ audit and queries
def test_listing_the_roster_is_one_audit_row_naming_the_school(world, login, school):
    login(world.principal).get(url(world))
    row = AuditEvent.objects.get(action="record.view")
    assert (row.user, row.target_type, row.target_code, row.school_id) == (
        world.principal, "schools.school", world.school_a.code, world.school_a.pk)
    assert row.extra == {"permission": "schools.view_pupil"}


def test_a_refusal_writes_no_listing_row(world, login, school):
    login(world.staff).get(url(world))
    assert not AuditEvent.objects.filter(action="record.view").exists()


@pytest.mark.parametrize("role", ["principal", "head_teacher"])
def test_a_page_costs_the_same_queries_for_3_pupils_as_for_60(
        world, login, school, role, django_assert_num_queries):
    client = login(getattr(world, role))
    params = {"q": "", "school_class": school.c31.pk}
    client.get(url(world, **params))  # warm the session and the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url(world, **params)).status_code == 200
    for n in range(60):
        PupilFactory(school=world.school_a, current_class=school.c31, name=f"乙{n:02d}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url(world, **params))
    assert len(response.context["page"]) == 50


def test_the_nav_shows_the_roster_to_those_who_may_open_it(world, login, school):
    for user, shown in ((world.principal, True), (world.head_teacher, True),
                        (world.counselor, True), (world.staff, False),
                        (world.inspector, False)):
        body = login(user).get(reverse("home")).content.decode()
        assert ('data-testid="nav-roster"' in body) is shown, user


def test_a_deactivated_membership_loses_the_roster(world, login, school):
    client = login(world.counselor)
    assert client.get(url(world)).status_code == 200
    world.counselor.memberships.update(is_active=False)
    assert client.get(url(world)).status_code == 404


def test_a_head_teacher_at_two_schools_is_judged_at_each_by_their_role_there(
        world, login, school):
    user = UserFactory(username="two-roles")
    MembershipFactory(user=user, role=Role.HEAD_TEACHER, school=world.school_a)
    MembershipFactory(user=user, role=Role.PRINCIPAL, school=world.school_b)
    client = login(user)
    assert names(client.get(url(world))) == []  # leads no class at A
    response = client.get(reverse("schools:roster", args=[world.school_b.pk]))
    assert names(response) == ["赵六"]
