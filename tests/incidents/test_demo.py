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


def test_every_school_has_its_dispute_returns_some_late_some_none_found_some_missing():
    from core import clock
    from incidents.disputes import due_date
    from incidents.followup_kinds import DISPUTE_RETURN
    from incidents.models import Dispute, DisputeReturn

    call_command("seed_demo", schools=8, without_pupils=True, stdout=io.StringIO())
    returns = DisputeReturn.objects.all()
    assert returns.filter(submitted_at__isnull=True).count() == 0
    assert returns.filter(none_found=True).exists()
    assert returns.filter(none_found=False).exists()
    assert set(Dispute.objects.values_list("status", flat=True)) == {
        "mediating", "resolved", "transferred"}
    late = [r for r in returns if clock.today(r.submitted_at) > due_date(r.month, 0)]
    assert late
    # Some schools have not filed last month: their follow-ups are open.
    assert FollowUp.objects.filter(kind=DISPUTE_RETURN, state="open").exists()
    assert not Notice.objects.filter(kind__startswith="incidents.dispute").exists()
    before = (returns.count(), Dispute.objects.count())
    call_command("seed_demo", schools=8, without_pupils=True, stdout=io.StringIO())
    assert (DisputeReturn.objects.count(), Dispute.objects.count()) == before


def test_bullying_cases_in_every_state_at_the_first_two_schools():
    """With pupils in the classes teacher-a leads (made here: the demo's
    full roster is slow), every state once, nobody told of history but the
    follow-ups still open, and seeding again adds nothing."""
    from incidents import demo
    from incidents.models import BullyingCase, BullyingState
    from schools.models import Bureau, Membership, School
    from schools.school_year import current_school_year
    from tests.schools.factories import SchoolClassFactory
    from tests.schools.pupil_factories import PupilFactory

    seed()
    for code in ("S001", "S002"):
        school = School.objects.get(code=code)
        teacher = Membership.objects.get(user__username=f"s{int(code[1:]):02d}-teacher-a",
                                         school=school)
        cls = SchoolClassFactory(school=school, grade=9, number=9,
                                 school_year=current_school_year())
        teacher.classes.add(cls)
        for n in range(8):
            PupilFactory(school=school, current_class=cls, name=f"演示学生{n}")
    bureau = Bureau.objects.get(schools__code="S001")
    demo._seed_bullying(bureau)
    for code in ("S001", "S002"):
        states = set(BullyingCase.objects.filter(school__code=code)
                     .values_list("state", flat=True))
        assert states == set(BullyingState.values)
    assert not Notice.objects.filter(kind="incidents.bullying").exists()
    assert FollowUp.objects.filter(kind="incidents.bullying_visit", state="open").exists()
    before = BullyingCase.objects.count()
    demo._seed_bullying(bureau)
    assert BullyingCase.objects.count() == before
