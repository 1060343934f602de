"""强制报告负责人 (issue 10 item 1): the principal names the school's
mandatory-reporting leads among its staff; a lead is told of every concern
and opens the referrals; taking the designation away ends both; every change
is a role grant or revoke in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from incidents import services
from incidents.access_rules import IncidentsPerm
from notifications.models import Notice
from schools import access
from schools.models import Membership, Role
from tests.conftest import shanghai, sign_in
from tests.schools.factories import UserFactory

pytestmark = pytest.mark.django_db


def leads_url(world):
    return reverse("incidents:school_leads", args=[world.school_a.pk])


def designated(world) -> set[str]:
    return set(Membership.objects.active().filter(
        school=world.school_a, role=Role.REPORTING_LEAD).values_list("user__username",
                                                                   flat=True))


class TestThePrincipalDesignates:
    def test_the_page_lists_the_staff_and_ticks_the_leads(self, client, world):
        services.reporting_leads_set(school=world.school_a, user_ids=[world.safety_officer.pk],
                                     by=world.principal)
        sign_in(client, world.principal, verified=True)
        page = client.get(leads_url(world))
        assert page.status_code == 200
        form = page.context["form"]
        assert {pk for pk, _label in form.fields["leads"].choices} == {
            u.pk for u in (world.principal, world.safety_officer, world.head_teacher,
                           world.counselor, world.staff)}
        assert form.initial["leads"] == [world.safety_officer.pk]

    def test_saving_grants_and_revokes_and_each_change_is_audited(self, client, world):
        sign_in(client, world.principal, verified=True)
        response = client.post(leads_url(world), {"leads": [world.safety_officer.pk,
                                                            world.counselor.pk]})
        assert response.status_code == 302
        assert designated(world) == {"a-safety", "a-counselor"}
        client.post(leads_url(world), {"leads": [world.safety_officer.pk]})
        assert designated(world) == {"a-safety"}
        # Unticking everyone posts no field at all: that is "no lead", not an error.
        assert client.post(leads_url(world), {}).status_code == 302
        assert designated(world) == set()
        client.post(leads_url(world), {"leads": [world.safety_officer.pk]})
        # Kept as history, not deleted; given again, the same row comes back.
        assert Membership.objects.filter(user=world.counselor,
                                         role=Role.REPORTING_LEAD).count() == 1
        client.post(leads_url(world), {"leads": [world.safety_officer.pk, world.counselor.pk]})
        assert designated(world) == {"a-safety", "a-counselor"}
        actions = list(AuditEvent.objects.filter(action__in=["role.grant", "role.revoke"])
                       .order_by("id").values_list("action", flat=True))
        assert actions == ["role.grant", "role.grant", "role.revoke", "role.revoke",
                           "role.grant", "role.grant"]

    def test_saving_the_same_choice_changes_nothing(self, world):
        services.reporting_leads_set(school=world.school_a, user_ids=[world.safety_officer.pk],
                                     by=world.principal)
        assert services.reporting_leads_set(
            school=world.school_a, user_ids=[world.safety_officer.pk], by=world.principal) == 0

    def test_someone_outside_the_staff_is_refused_and_nothing_changes(self, client, world):
        stranger = UserFactory()
        sign_in(client, world.principal, verified=True)
        for bad in (stranger.pk, world.peer_principal.pk, "x"):
            response = client.post(leads_url(world), {"leads": [world.safety_officer.pk, bad]})
            assert response.status_code == 400
            assert response.context["form"].errors["leads"]
        assert designated(world) == set()
        with pytest.raises(ValidationError):
            services.reporting_leads_set(school=world.school_a, user_ids=[stranger.pk],
                                         by=world.principal)

    def test_only_the_principal_designates(self, client, world):
        with pytest.raises(PermissionDenied):
            services.reporting_leads_set(school=world.school_a,
                                         user_ids=[world.safety_officer.pk],
                                         by=world.safety_officer)
        for user, status in [(world.safety_officer, 403), (world.staff, 403),
                             (world.inspector, 403), (world.peer_principal, 404)]:
            sign_in(client, user, verified=True)
            assert client.get(leads_url(world)).status_code == status
            assert client.post(leads_url(world), {"leads": [user.pk]}).status_code == status
        assert designated(world) == set()

    def test_it_asks_for_the_principals_code_first(self, client, world):
        sign_in(client, world.principal, verified=False)
        assert client.get(leads_url(world)).status_code == 302


class TestWhatTheDesignationDoes:
    def test_a_lead_is_told_and_opens_referrals_until_the_designation_ends(self, world):
        services.reporting_leads_set(school=world.school_a, user_ids=[world.counselor.pk],
                                     by=world.principal)
        assert access.can(world.counselor, IncidentsPerm.MANAGE_REFERRAL, world.school_a)
        services.concern_log(school=world.school_a, by=world.staff, observed="看到的情况",
                             observed_at=shanghai("2026-11-30 08:00"),
                             child_description="约10岁男孩", at=shanghai("2026-11-30 09:00"))
        told = set(Notice.objects.values_list("recipient__username", flat=True))
        assert told == {"a-principal", "a-counselor"}
        services.reporting_leads_set(school=world.school_a, user_ids=[], by=world.principal)
        counselor = type(world.counselor).objects.get(pk=world.counselor.pk)
        assert not access.can(counselor, IncidentsPerm.MANAGE_REFERRAL, world.school_a)
        services.concern_log(school=world.school_a, by=world.staff, observed="又一件",
                             observed_at=shanghai("2026-11-30 08:00"),
                             child_description="约10岁男孩",
                             at=shanghai("2026-11-30 09:00") + dt.timedelta(hours=1))
        assert Notice.objects.filter(recipient=world.counselor).count() == 1
