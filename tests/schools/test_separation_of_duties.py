"""Separation of duties (issue 9 item 7; security.md G6): the bureau admin runs
the accounts of their own bureau, but never makes an auditor, never touches the
auditor's credentials, never reaches into another bureau, and every change of
a role, a password or a device leaves a row the auditor can find."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from schools import access
from schools.models import Membership, Role
from tests.conftest import totp_device
from tests.schools.factories import PASSWORD, MembershipFactory, UserFactory, bureau_member

pytestmark = pytest.mark.django_db

ADD = reverse("admin:schools_membership_add")
NEW_PASSWORD = "A-much-longer-secret-99"


def grant(client, user, role, *, school=None, bureau=None):
    data = {"user": user.pk, "role": role, "is_active": "on"}
    if school is not None:
        data["school"] = school.pk
    if bureau is not None:
        data["bureau"] = bureau.pk
    return client.post(ADD, data)


@pytest.fixture
def two_bureau_teacher(world):
    """A teacher at school A who also holds a role at school C, in the other bureau."""
    person = UserFactory(username="seconded")
    MembershipFactory(user=person, role=Role.STAFF, school=world.school_a)
    MembershipFactory(user=person, role=Role.STAFF, school=world.school_c)
    return person


# ------------------------------------------------------------------ the auditor role


class TestTheAuditorRole:
    def test_the_bureau_admin_cannot_make_themselves_the_auditor(self, world, login):
        client = login(world.bureau_admin)
        response = grant(client, world.bureau_admin, Role.AUDITOR, bureau=world.bureau)
        assert response.status_code == 200  # the form again, with the error
        assert not world.bureau_admin.memberships.filter(role=Role.AUDITOR).exists()

    def test_nor_anyone_else_nor_by_changing_an_existing_role(self, world, login):
        client = login(world.bureau_admin)
        assert grant(client, world.inspector, Role.AUDITOR,
                     bureau=world.bureau).status_code == 200
        membership = world.inspector.memberships.get()
        client.post(reverse("admin:schools_membership_change", args=[membership.pk]), {
            "user": world.inspector.pk, "role": Role.AUDITOR, "bureau": world.bureau.pk,
            "is_active": "on"})
        membership.refresh_from_db()
        assert membership.role == Role.INSPECTOR
        assert not Membership.objects.filter(role=Role.AUDITOR).exclude(
            user=world.auditor).exists()

    def test_the_user_form_has_no_way_to_a_role_or_to_superuser(self, world, login):
        client = login(world.bureau_admin)
        url = reverse("admin:schools_user_change", args=[world.staff.pk])
        form = client.get(url).context["adminform"].form
        assert not {"is_superuser", "is_staff", "groups", "user_permissions",
                    "memberships"} & set(form.fields)
        client.post(url, {"username": world.staff.username, "full_name": "x",
                          "is_active": "on", "is_superuser": "on", "is_staff": "on"})
        world.staff.refresh_from_db()
        assert not world.staff.is_superuser
        assert not world.staff.is_staff

    def test_the_bureau_admin_cannot_set_the_auditors_password(self, world, login):
        response = login(world.bureau_admin).post(
            reverse("admin:auth_user_password_change", args=[world.auditor.pk]),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 403
        world.auditor.refresh_from_db()
        assert world.auditor.check_password(PASSWORD)
        assert not AuditEvent.objects.filter(action="password.reset").exists()

    def test_the_bureau_admin_cannot_reset_the_auditors_device(self, world, login):
        totp_device(world.auditor)
        login(world.bureau_admin).post(reverse("admin:schools_user_changelist"), {
            "action": "reset_second_factor", "_selected_action": [world.auditor.pk],
            "reason": "lost"})
        assert TOTPDevice.objects.filter(user=world.auditor).exists()
        assert not AuditEvent.objects.filter(action="device.reset").exists()


# ------------------------------------------------------------------ other bureaus


class TestOtherBureaus:
    @pytest.mark.parametrize("where", ["school", "bureau"])
    def test_no_role_for_someone_of_another_bureau(self, world, login, where):
        if where == "school":
            person = world.foreign_principal  # a role at school C
        else:
            person = bureau_member(world.other_bureau, Role.INSPECTOR, username="b-inspector")
        response = grant(login(world.bureau_admin), person, Role.STAFF, school=world.school_a)
        assert response.status_code == 200
        assert "another bureau" in response.content.decode() or \
            response.context["adminform"].form.errors
        assert not person.memberships.filter(school=world.school_a).exists()
        assert not AuditEvent.objects.filter(action="role.grant").exists()

    def test_no_role_for_someone_who_also_belongs_to_another_bureau(self, world, login,
                                                                     two_bureau_teacher):
        response = grant(login(world.bureau_admin), two_bureau_teacher, Role.HEAD_TEACHER,
                         school=world.school_b)
        assert response.status_code == 200
        assert not two_bureau_teacher.memberships.filter(school=world.school_b).exists()

    @pytest.mark.parametrize("where", ["school", "bureau"])
    def test_no_role_at_a_school_or_office_of_another_bureau(self, world, login, where):
        newcomer = UserFactory(username="newcomer")
        place = {"school": world.school_c} if where == "school" else {
            "bureau": world.other_bureau}
        role = Role.STAFF if where == "school" else Role.INSPECTOR
        response = grant(login(world.bureau_admin), newcomer, role, **place)
        assert response.status_code == 200
        assert not newcomer.memberships.exists()

    def test_a_newcomer_and_a_person_of_the_bureau_get_roles_as_before(self, world, login):
        client = login(world.bureau_admin)
        newcomer = UserFactory(username="newcomer")
        assert grant(client, newcomer, Role.STAFF, school=world.school_b).status_code == 302
        assert grant(client, world.staff, Role.STAFF,
                     school=world.school_b).status_code == 302
        assert AuditEvent.objects.filter(action="role.grant").count() == 2

    def test_nor_change_the_account_or_credentials_of_such_a_person(self, world, login,
                                                                     two_bureau_teacher):
        client = login(world.bureau_admin)
        response = client.post(
            reverse("admin:schools_user_change", args=[two_bureau_teacher.pk]),
            {"username": "seconded", "full_name": "x"})  # would deactivate them
        assert response.status_code == 403
        two_bureau_teacher.refresh_from_db()
        assert two_bureau_teacher.is_active
        assert client.post(
            reverse("admin:auth_user_password_change", args=[two_bureau_teacher.pk]),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
        assert not access.may_reset_credentials(world.bureau_admin, two_bureau_teacher)
        assert not access.may_manage_account(world.bureau_admin, two_bureau_teacher)

    def test_the_rules_in_short(self, world, two_bureau_teacher):
        admin = world.bureau_admin
        newcomer = UserFactory(username="newcomer")
        assert access.may_manage_account(admin, world.staff)
        assert access.may_manage_account(admin, newcomer)
        assert not access.may_manage_account(admin, world.foreign_principal)
        assert not access.may_manage_account(world.inspector, world.staff)
        assert access.may_place_membership(admin, newcomer, role=Role.STAFF,
                                           school=world.school_a)
        assert not access.may_place_membership(admin, newcomer, role=Role.STAFF,
                                               school=world.school_c)
        assert not access.may_place_membership(admin, newcomer, role=Role.INSPECTOR,
                                               bureau_id=world.other_bureau.pk)
        assert not access.may_place_membership(admin, newcomer, role=Role.AUDITOR,
                                               bureau_id=world.bureau.pk)
        assert not access.may_place_membership(admin, newcomer, role=Role.STAFF)


# ------------------------------------------------------------------ the trail


def test_every_account_change_is_a_row_the_auditor_finds_under_account_changes(world, login):
    admin = login(world.bureau_admin)
    newcomer = UserFactory(username="newcomer")
    assert grant(admin, newcomer, Role.STAFF, school=world.school_a).status_code == 302
    membership = newcomer.memberships.get()
    admin.post(reverse("admin:schools_membership_delete", args=[membership.pk]),
               {"post": "yes"})
    assert admin.post(reverse("admin:auth_user_password_change", args=[world.staff.pk]),
                      {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
                      ).status_code == 302
    totp_device(world.staff)
    admin.post(reverse("admin:schools_user_changelist"), {
        "action": "reset_second_factor", "_selected_action": [world.staff.pk],
        "reason": "lost"})
    AuditEvent.objects.create(username="x", action="record.view", outcome="allowed")

    expected = ["device.reset", "password.reset", "role.grant", "role.revoke"]
    made = AuditEvent.objects.filter(action__in=expected)
    assert sorted(made.values_list("action", flat=True)) == expected
    assert set(made.values_list("username", flat=True)) == {"bureau-admin"}

    auditor = login(world.auditor)
    url = reverse("audit:event_list")
    form = auditor.get(url).context["form"]
    offered = {value for value, _label in form.fields["action"].choices}
    assert {"role.grant", "role.revoke", "password.reset", "password.change",
            "device.reset", "device.enrol"} <= offered
    assert "accounts" in {value for value, _label in form.fields["action_group"].choices}
    response = auditor.get(url, {"action_group": "accounts"})
    assert response.status_code == 200
    assert sorted(e.action for e in response.context["page"]) == expected
    assert auditor.get(url, {"action_group": "nonsense"}).status_code == 400
