"""Who may see a child (issue 9 item 4): one place, schools.access.

The principal, the safety officer and the counselor see their school's pupils;
a head teacher sees the pupils of the classes they lead THIS school year and no
other; staff see none; no bureau role sees a pupil (bureau pages count). The
queryset (`Pupil.objects.visible_to`) and the single-record question
(`can_for_pupil`) give the same answer, and a child-level record that hangs off
a pupil (PupilScope("pupil")) follows its pupil.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from audit.models import AuditEvent
from schools import access
from schools.access import rules as access_rules
from schools.models import Circumstance, Pupil, PupilStatus, Role, SchoolClass
from tests.conftest import shanghai
from tests.schools.factories import MembershipFactory, UserFactory

# The school year 2026–2027 runs from 1 September 2026 to 31 August 2027.
IN_2026_27 = shanghai("2026-11-30 10:00")


def make_pupil(school, school_class=None, *, number: str, **fields) -> Pupil:
    return Pupil.objects.create(
        bureau=school.bureau, school=school, current_class=school_class,
        student_number=number, name=fields.pop("name", "测试学生"), gender="F",
        date_of_birth=dt.date(2017, 3, 5), **fields)


@pytest.fixture
def classes(world):
    with time_machine.travel(IN_2026_27, tick=False):
        this_year = {
            n: SchoolClass.objects.create(school=world.school_a, school_year=2026, grade=3,
                                          number=n) for n in (1, 2)}
        last_year = SchoolClass.objects.create(school=world.school_a, school_year=2025,
                                               grade=2, number=1)
    return {"3-1": this_year[1], "3-2": this_year[2], "2-1 (2025)": last_year}


@pytest.fixture
def pupils(world, classes):
    return {
        "3-1": make_pupil(world.school_a, classes["3-1"], number="J0000000001"),
        "3-2": make_pupil(world.school_a, classes["3-2"], number="J0000000002"),
        "no class": make_pupil(world.school_a, None, number="J0000000003"),
        "school B": make_pupil(world.school_b, None, number="J0000000004"),
        "other bureau": make_pupil(world.school_c, None, number="J0000000005"),
    }


def lead(user, *school_classes):
    membership = user.memberships.get(role=Role.HEAD_TEACHER)
    membership.classes.set(school_classes)
    access.forget(user)


def visible(user) -> set[str]:
    return set(Pupil.objects.visible_to(user).values_list("student_number", flat=True))


def names(pupils, *keys) -> set[str]:
    return {pupils[k].student_number for k in keys}


@pytest.fixture(autouse=True)
def _in_the_school_year():
    with time_machine.travel(IN_2026_27, tick=False):
        yield


class TestWhoSeesWhichPupils:
    def test_principal_safety_officer_and_counselor_see_their_whole_school(self, world, pupils):
        school_a = names(pupils, "3-1", "3-2", "no class")
        assert visible(world.principal) == school_a
        assert visible(world.safety_officer) == school_a
        assert visible(world.counselor) == school_a
        assert visible(world.peer_principal) == names(pupils, "school B")

    def test_a_head_teacher_sees_only_the_classes_they_lead_this_school_year(
            self, world, pupils, classes):
        lead(world.head_teacher, classes["3-1"])
        assert visible(world.head_teacher) == names(pupils, "3-1")

    def test_a_head_teacher_of_no_class_sees_no_pupil(self, world, pupils):
        assert visible(world.head_teacher) == set()

    def test_last_years_class_gives_no_reach(self, world, pupils, classes):
        pupils["3-1"].current_class = classes["2-1 (2025)"]
        pupils["3-1"].save()
        lead(world.head_teacher, classes["2-1 (2025)"])
        assert visible(world.head_teacher) == set()

    def test_on_1_september_the_new_school_years_classes_take_over(self, world, pupils,
                                                                   classes):
        lead(world.head_teacher, classes["3-1"])
        with time_machine.travel(shanghai("2027-08-31 23:00"), tick=False):
            access.forget(world.head_teacher)
            assert visible(world.head_teacher) == names(pupils, "3-1")
        with time_machine.travel(shanghai("2027-09-01 08:00"), tick=False):
            access.forget(world.head_teacher)
            assert visible(world.head_teacher) == set()

    def test_staff_and_every_bureau_role_see_no_pupil(self, world, pupils):
        for user in (world.staff, world.bureau_admin, world.inspector, world.auditor):
            assert visible(user) == set(), user.username

    def test_only_the_head_teachers_own_membership_leads_classes(self, world, pupils, classes):
        # Also staff at the school, with a class attached to that role by a slip
        # in the admin: a class reaches a pupil only through the head teacher's
        # membership (CLASS_BOUND_ROLES), never through another role's.
        lead(world.head_teacher, classes["3-1"])
        other_role = MembershipFactory(user=world.head_teacher, school=world.school_a,
                                       role=Role.STAFF)
        other_role.classes.set([classes["3-2"]])
        access.forget(world.head_teacher)
        assert visible(world.head_teacher) == names(pupils, "3-1")
        assert access.led_class_ids(world.head_teacher) == {
            world.school_a.pk: frozenset({classes["3-1"].pk})}
        assert not access.can_for_pupil(world.head_teacher, access.perm("schools.view_pupil"),
                                        pupils["3-2"])

    def test_a_deactivated_membership_or_user_sees_nothing(self, world, pupils):
        world.principal.memberships.update(is_active=False)
        access.forget(world.principal)
        assert visible(world.principal) == set()
        world.safety_officer.is_active = False
        world.safety_officer.save()
        assert visible(world.safety_officer) == set()

    def test_each_school_judges_a_person_by_their_role_there(self, world, pupils, classes):
        # Head teacher of 3-1 at school A, principal at school B.
        lead(world.head_teacher, classes["3-1"])
        MembershipFactory(user=world.head_teacher, role=Role.PRINCIPAL, school=world.school_b)
        access.forget(world.head_teacher)
        assert visible(world.head_teacher) == names(pupils, "3-1", "school B")

    def test_a_class_led_at_another_school_gives_no_reach_at_this_one(self, world, pupils):
        # A class of school B named on a membership at school A (bad data)
        # must not open school B's pupils.
        other = SchoolClass.objects.create(school=world.school_b, school_year=2026, grade=3,
                                           number=9)
        pupils["school B"].current_class = other
        pupils["school B"].save()
        lead(world.head_teacher, other)
        assert visible(world.head_teacher) == set()

    def test_visible_to_and_can_for_pupil_agree_for_everyone(self, world, pupils, classes):
        lead(world.head_teacher, classes["3-2"])
        perm = access.perm("schools.view_pupil")
        people = [world.principal, world.safety_officer, world.head_teacher, world.counselor,
                  world.staff, world.bureau_admin, world.inspector, world.auditor,
                  world.peer_principal, world.foreign_principal]
        for user in people:
            seen = visible(user)
            for pupil in pupils.values():
                assert access.can_for_pupil(user, perm, pupil) == (
                    pupil.student_number in seen), (user.username, pupil.student_number)


class TestChildLevelPermissions:
    def test_only_the_roster_manager_may_manage_the_roster(self, world, pupils, classes):
        lead(world.head_teacher, classes["3-1"])
        manage = access.perm("schools.manage_roster")
        pupil = pupils["3-1"]
        assert access.can_for_pupil(world.principal, manage, pupil)
        assert access.can_for_pupil(world.safety_officer, manage, pupil)
        assert not access.can_for_pupil(world.head_teacher, manage, pupil)
        assert not access.can_for_pupil(world.counselor, manage, pupil)

    def test_the_access_log_is_the_principals(self, world, pupils):
        log = access.perm("schools.view_pupil_access_log")
        assert access.can_for_pupil(world.principal, log, pupils["3-1"])
        assert not access.can_for_pupil(world.safety_officer, log, pupils["3-1"])

    def test_a_circumstance_follows_its_pupil(self, world, pupils, classes):
        lead(world.head_teacher, classes["3-1"])
        mine = Circumstance.objects.create(pupil=pupils["3-1"], group="left_behind",
                                           since=dt.date(2026, 9, 1))
        theirs = Circumstance.objects.create(pupil=pupils["3-2"], group="left_behind",
                                             since=dt.date(2026, 9, 1))
        view = access.perm("schools.view_circumstances")
        assert access.allows(world.head_teacher, view, mine)
        assert not access.allows(world.head_teacher, view, theirs)
        assert not access.allows(world.inspector, view, mine)


class TestOpeningAPupilIsAudited:
    def request_for(self, user):
        request = RequestFactory().get("/pupils/x/", REMOTE_ADDR="10.1.2.3")
        request.user = user
        request.session = {}
        return request

    def test_an_open_is_one_audit_row_with_the_code_and_school_never_the_name(
            self, world, pupils):
        pupil = pupils["3-1"]
        found = access.get_for_user(self.request_for(world.counselor), Pupil.objects,
                                    access.perm("schools.view_pupil"), sensitive=True,
                                    code=pupil.code)
        assert found == pupil
        row = AuditEvent.objects.get(action="record.view")
        assert (row.target_type, row.target_code, row.school_id, row.ip) == (
            "schools.pupil", str(pupil.code), world.school_a.pk, "10.1.2.3")
        assert pupil.name not in str(row.__dict__)
        assert pupil.student_number not in str(row.__dict__)

    def test_a_head_teacher_of_another_class_gets_404_and_a_denial_row(
            self, world, pupils, classes):
        lead(world.head_teacher, classes["3-2"])
        with pytest.raises(Http404):
            access.get_for_user(self.request_for(world.head_teacher), Pupil.objects,
                                access.perm("schools.view_pupil"), sensitive=True,
                                code=pupils["3-1"].code)
        row = AuditEvent.objects.get(action="access.denied")
        assert row.school_id is None  # a 404 does not say whose the record is
        assert not AuditEvent.objects.filter(action="record.view").exists()

    def test_visible_but_without_the_perm_is_403_naming_the_school(self, world, pupils):
        with pytest.raises(PermissionDenied):
            access.get_for_user(self.request_for(world.counselor), Pupil.objects,
                                access.perm("schools.manage_roster"), code=pupils["3-1"].code)
        assert AuditEvent.objects.get(action="access.denied").school_id == world.school_a.pk


class TestTheRulebook:
    def test_pupil_visibility_is_declared_once(self):
        from types import ModuleType

        from schools import access_rules as schools_rules

        twice = ModuleType("twice")
        twice.PUPIL_VISIBILITY = schools_rules.SchoolsPerm.VIEW_PUPIL
        with pytest.raises(ImproperlyConfigured, match="PUPIL_VISIBILITY"):
            access_rules.build([schools_rules, twice])

    def test_pupils_str_never_carries_a_name(self, world, pupils):
        pupil = pupils["3-1"]
        assert str(pupil) == f"pupil:{pupil.code}"
        assert pupil.status == PupilStatus.ENROLLED


def test_a_user_with_no_grants_sees_nothing(db):
    assert not Pupil.objects.visible_to(UserFactory()).exists()


class TestRefusedBeforeTheCode:
    """Someone who holds a child-level permission nowhere is refused at once
    (403, audited), never sent to type a second-factor code first."""

    @pytest.mark.parametrize(("name", "args"), [
        ("schools:pupil_detail", "pupil"), ("schools:circumstance_add", "pupil"),
        ("schools:guardian_add", "pupil"), ("schools:pupil_status", "pupil"),
        ("schools:roster_import", "school"),
    ])
    def test_staff_without_the_permission_get_403_not_the_code_page(self, world, client,
                                                                     name, args):
        from django.urls import reverse

        from tests.conftest import sign_in

        pupil = make_pupil(world.school_a, number="G330100201703050011")
        sign_in(client, world.staff)
        arg = pupil.code if args == "pupil" else world.school_a.pk
        response = client.get(reverse(name, args=[arg]))
        assert response.status_code == 403
        assert AuditEvent.objects.filter(user=world.staff, outcome="denied").exists()

    def test_a_principal_holding_it_is_asked_for_the_code(self, world, client):
        from django.urls import reverse

        from tests.conftest import sign_in

        pupil = make_pupil(world.school_a, number="G330100201703050011")
        sign_in(client, world.principal)
        response = client.get(reverse("schools:pupil_detail", args=[pupil.code]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("second_factor_enrol"))
