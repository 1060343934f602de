"""The district's referrals for the bureau's child-protection officer (issue
10 item 6): open ones with the longest waiting first, the overdue police
reports marked, only the officer's own bureau, behind the step-up, every
referral shown an audit row; nobody else reaches the list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from core.nav import nav_for
from incidents.models import ReferralState
from schools.models import Role
from tests.conftest import shanghai, sign_in
from tests.incidents.test_bureau_counts import referral
from tests.schools.factories import bureau_member
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-30 12:00")
URL = reverse("incidents:bureau_referrals")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officer(world):
    return bureau_member(world.bureau, Role.PROTECTION_OFFICER, username="cp-officer")


def test_the_officer_sees_the_districts_open_referrals_longest_waiting_first(client, world,
                                                                           officer):
    pupil = PupilFactory(school=world.school_a, name="金丝雀学生")
    late = referral(world.school_a, detected=NOW - dt.timedelta(hours=30), pupil=pupil)
    recent = referral(world.school_b, detected=NOW - dt.timedelta(hours=2),
                      reported_after=dt.timedelta(hours=1))
    referral(world.school_a, detected=NOW - dt.timedelta(days=9),
             reported_after=dt.timedelta(hours=1), state=ReferralState.CLOSED)
    referral(world.school_c, detected=NOW - dt.timedelta(hours=40))  # another district
    sign_in(client, officer)
    page = client.get(URL)
    assert page.status_code == 200
    assert [r.pk for r in page.context["page"]] == [late.pk, recent.pk]
    body = page.content.decode()
    assert "金丝雀学生" in body
    assert body.count('data-testid="overdue"') == 1
    shown = set(AuditEvent.objects.filter(action="record.view",
                                          target_type="incidents.referral")
                .values_list("target_code", flat=True))
    assert shown == {str(late.code), str(recent.code)}
    closed = client.get(URL, {"closed": "1"})
    assert [r.state for r in closed.context["page"]] == [ReferralState.CLOSED]


def test_the_officers_top_bar_leads_here_and_to_the_counts(officer):
    links = {link.testid: link.href for link in nav_for(officer, "/")}
    assert links["nav-incidents"] == URL
    assert links["nav-incident-counts"] == reverse("incidents:bureau_counts")


def test_nobody_else_reaches_it(client, world):
    for user in (world.principal, world.safety_officer, world.staff, world.inspector,
                 world.bureau_admin, world.auditor):
        sign_in(client, user, verified=True)
        assert client.get(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="record.view").exists()


def test_it_asks_the_officer_for_a_recent_code(client, world, officer):
    sign_in(client, officer, verified=False)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_verify"))


def test_the_same_queries_for_2_or_20_referrals(client, world, officer):
    sign_in(client, officer)
    for _ in range(2):
        referral(world.school_a, detected=NOW - dt.timedelta(hours=3))
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(18):
        referral(world.school_b if i % 2 else world.school_a,
                 detected=NOW - dt.timedelta(hours=4 + i),
                 pupil=PupilFactory(school=world.school_a) if i % 3 else None)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)
