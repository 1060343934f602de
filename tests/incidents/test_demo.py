"""The demo's mandatory-reporting cases (issue 10 item 8): at the two schools
whose logins are printed, a concern not yet opened, a referral in every
state and a child not on the roll; seeding again adds nothing."""

import io

import pytest
from django.core.management import call_command

from followups.models import FollowUp
from incidents.followup_kinds import POLICE_REPORT, REFERRAL_REVIEW
from incidents.models import Concern, Referral, ReferralState
from notifications.models import Notice

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", schools=2, without_pupils=True, stdout=io.StringIO())


def test_every_state_is_there_once_and_nobody_is_told_of_history():
    seed()
    for code in ("S001", "S002"):
        referrals = Referral.objects.filter(school__code=code)
        assert set(referrals.values_list("state", flat=True)) == set(ReferralState.values)
        concerns = Concern.objects.filter(school__code=code)
        assert concerns.filter(referral__isnull=True).count() == 2
        assert concerns.filter(pupil__isnull=True).exclude(child_description="").exists()
        closed = referrals.get(state=ReferralState.CLOSED)
        assert closed.outcome
        assert closed.closed_at
    # The overdue police report and the review due are on the follow-up engine.
    assert FollowUp.objects.filter(kind=POLICE_REPORT, state="open").exists()
    assert FollowUp.objects.filter(kind=REFERRAL_REVIEW).exists()
    assert not Notice.objects.filter(kind__startswith="incidents.").exists()
    before = (Concern.objects.count(), Referral.objects.count())
    seed()
    assert (Concern.objects.count(), Referral.objects.count()) == before
