"""The access layer's answers, role by role."""

import pytest

from audit.access_rules import AuditPerm
from schools import access
from schools.access_rules import SchoolsPerm
from schools.models import School
from tests.schools.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_school_staff_see_only_their_own_school(world):
    assert list(School.objects.visible_to(world.head_teacher)) == [world.school_a]


def test_bureau_staff_see_their_district_and_not_the_next_one(world):
    visible = set(School.objects.visible_to(world.inspector))
    assert visible == {world.school_a, world.school_b}


def test_the_auditor_sees_no_school(world):
    assert not School.objects.visible_to(world.auditor).exists()


def test_a_user_with_roles_at_two_schools_sees_both(world):
    from schools.models import Role
    from tests.schools.factories import MembershipFactory

    MembershipFactory(user=world.counselor, role=Role.COUNSELOR, school=world.school_b)
    assert set(School.objects.visible_to(world.counselor)) == {world.school_a, world.school_b}


def test_an_inactive_membership_grants_nothing(world):
    world.counselor.memberships.update(is_active=False)
    assert not School.objects.visible_to(world.counselor).exists()


@pytest.mark.parametrize(("who", "allowed"), [
    ("principal", True), ("safety_officer", False), ("head_teacher", False),
    ("counselor", False), ("staff", False), ("bureau_admin", True), ("inspector", False),
    ("auditor", False), ("foreign_principal", False),
])
def test_who_may_manage_school_a_task_force(world, who, allowed):
    assert access.can(getattr(world, who), SchoolsPerm.MANAGE_TASK_FORCE, world.school_a) is allowed


def test_only_the_auditor_reads_the_audit_log(world):
    readers = [name for name in ("principal", "bureau_admin", "inspector", "auditor")
               if access.has_perm(getattr(world, name), AuditPerm.VIEW_AUDIT_LOG)]
    assert readers == ["auditor"]


def test_a_denial_is_logged_with_the_username_encoded(world, rf, caplog):
    from django.http import Http404

    world.principal.username = "evil\nFAKE LOG LINE"
    request = rf.get("/")
    request.user = world.principal
    with pytest.raises(Http404):
        access.get_for_user(request, School.objects, SchoolsPerm.VIEW_SCHOOL,
                            pk=world.school_c.pk)
    line = next(r.getMessage() for r in caplog.records if r.name == "safety_portal.access")
    assert "\n" not in line
    assert "'evil\\nFAKE LOG LINE'" in line


def test_a_role_at_one_school_does_not_carry_to_another_school_the_user_sees(world, login):
    """can() looks at the roles held at *that* school: a counselor at A who is the
    principal of B manages B's task force, not A's (both schools are visible)."""
    from django.urls import reverse

    from schools.models import Role
    from tests.schools.factories import MembershipFactory

    MembershipFactory(user=world.counselor, role=Role.PRINCIPAL, school=world.school_b)
    client = login(world.counselor)
    assert client.get(reverse("schools:task_force_add", args=[world.school_b.pk])
                      ).status_code == 200
    assert client.get(reverse("schools:task_force_add", args=[world.school_a.pk])
                      ).status_code == 403
    assert not access.can(world.counselor, SchoolsPerm.MANAGE_TASK_FORCE, world.school_a)


def test_a_bureau_role_does_not_reach_another_districts_school(world):
    from reporting.access_rules import ReportingPerm

    assert access.can(world.inspector, ReportingPerm.REVIEW_REPORT, world.school_b)
    assert not access.can(world.inspector, ReportingPerm.REVIEW_REPORT, world.school_c)
    assert access.can_in_bureau(world.inspector, ReportingPerm.REVIEW_REPORT, world.bureau.pk)
    assert not access.can_in_bureau(world.inspector, ReportingPerm.REVIEW_REPORT,
                                    world.other_bureau.pk)
    assert access.bureaus_for(world.inspector, ReportingPerm.REVIEW_REPORT) == [world.bureau.pk]
    assert access.bureaus_for(world.auditor, ReportingPerm.REVIEW_REPORT) == []


def test_a_superuser_holds_only_the_superuser_perms_without_a_role():
    root = UserFactory(username="root", is_superuser=True)
    assert access.has_perm(root, SchoolsPerm.USE_ADMIN)
    assert not access.has_perm(root, SchoolsPerm.VIEW_DISTRICT)
