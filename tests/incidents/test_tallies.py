"""The bureau view's counts are kept as the records change (incidents.tallies,
issue 10 items 7 and 10): every service step, admin edit, school move and
deletion leaves the rows equal to a count from scratch; the numbers the view
reads from them are those of the records; the police gap is exact against
the limit and its median is read to the tenth of an hour, rounded up; a
wrong row is found and repaired by the nightly recount, which logs only
ids and counts."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import bullying, services, tallies
from incidents.bullying import Involved
from incidents.counts import referral_counts
from incidents.models import (
    BullyingCase,
    IncidentTally,
    Referral,
    ReferralState,
    TallyMeasure,
)
from schools.models import School, SchoolType
from schools.school_year import current_school_year
from tests.conftest import shanghai
from tests.incidents.conftest import CANARY
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-16 10:00")
H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def exact(world, year=2026) -> None:
    """The rows of the world's bureau are what a count from scratch gives."""
    assert tallies.recount(world.bureau.pk, year) == 0


def values(world, **kwargs):
    """The unsuppressed numbers of the bureau view."""
    result = referral_counts(bureau_id=world.bureau.pk, year=2026, **kwargs)
    t, b = result.timeliness, result.bullying
    return {
        "by_month": [c.value for c in result.by_month.cells[0]],
        "by_type": [[c.value for c in row] for row in result.by_type.cells],
        "police": [c.value for c in t.table.cells[0]],
        "median": t.median_hours, "p90": t.p90_hours,
        "cases": [c.value for c in b.by_state.cells[0]],
        "investigation": [c.value for c in b.investigation.cells[0]],
        "recheck": [c.value for c in b.recheck.cells[0]],
    }


_SEEN = itertools.count()


def concern(world, at=NOW):
    return services.concern_log(school=world.school_a, by=world.head_teacher,
                                observed=f"淤青 {next(_SEEN)}",
                                observed_at=at - dt.timedelta(minutes=10), pupil=world.pupil,
                                at=at)


def police(world, referral, reported_at, *, agency="police"):
    return services.referral_record_report(
        referral=referral, agency=agency, reported_at=reported_at, receiving_unit="派出所",
        method="call_110", by=world.safety_officer, at=max(reported_at, NOW))


class TestEveryStepKeepsTheRowsExact:
    def test_a_referral_from_concern_to_closure(self, people):
        referral = services.referral_open(concern=concern(people), situations=["missing"],
                                          by=people.safety_officer, at=NOW)
        exact(people)
        assert values(people)["police"][3] == 1  # open, not reported, within the limit
        police(people, referral, NOW + 2 * H, agency="civil_affairs")
        exact(people)
        assert values(people)["police"][3] == 1  # told 民政, not the police yet
        with time_machine.travel(NOW + 3 * H, tick=False):
            police(people, referral, NOW + 3 * H)
        exact(people)
        for name in ("accept", "cooperate"):
            services.referral_transition(referral=referral, name=name, by=people.safety_officer)
            exact(people)
        services.referral_transition(referral=referral, name="close", by=people.safety_officer,
                                     reason="已处理")
        exact(people)
        got = values(people)
        assert got["police"] == [1, 0, 0, 0, 0]
        assert got["by_month"][10] == 1
        states = [s for s, _label in ReferralState.choices]
        row = SchoolType.values.index(people.school_a.school_type)
        assert got["by_type"][row][states.index(ReferralState.CLOSED)] == 1

    def test_a_referral_closed_as_unfounded_counts_as_closed_without_a_police_report(self,
                                                                                    people):
        referral = services.referral_open(concern=concern(people), situations=["missing"],
                                          by=people.safety_officer, at=NOW)
        services.referral_transition(referral=referral, name="close", by=people.safety_officer,
                                     reason="查无实据")
        exact(people)
        assert values(people, at=NOW + 48 * H)["police"] == [0, 0, 0, 0, 1]

    def test_a_bullying_case_through_every_clock(self, people):
        cls = SchoolClassFactory(school=people.school_a, school_year=current_school_year())
        PupilFactory(school=people.school_a, current_class=cls, name="甲生")
        case = bullying.bullying_report(
            school=people.school_a, by=people.safety_officer, reporter="staff",
            reported_at=NOW - H, acts=["dignity"], description="经过",
            involved=[Involved(cls.pk, "甲生", "target")], at=NOW)
        exact(people)
        bullying.bullying_record_stop(case=case, stopped_at=NOW - H / 2, safety_measures="分开",
                                      by=people.safety_officer, at=NOW)
        case = bullying.bullying_start_investigation(case=case, by=people.safety_officer, at=NOW)
        exact(people)
        assert values(people)["investigation"] == [0, 0, 0, 1]
        case = bullying.bullying_decide(
            case=case, committee_on=dt.date(2026, 11, 20), committee_members="校长等",
            is_bullying=True, finding="构成", severity="minor", measures=["education"],
            by=people.principal, at=shanghai("2026-11-28 10:00"))  # after the 10 days
        exact(people)
        case = bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 29),
                                        by=people.principal, at=shanghai("2026-11-29 10:00"))
        exact(people)
        assert values(people, at=shanghai("2026-12-30 10:00"))["recheck"] == [0, 0, 1, 0]
        case = bullying.bullying_transition(case=case, name="recheck", by=people.principal,
                                            reason="维持", at=shanghai("2026-12-01 10:00"))
        bullying.bullying_transition(case=case, name="close", by=people.principal,
                                     reason="已结案", at=shanghai("2026-12-02 10:00"))
        exact(people)
        got = values(people)
        assert got["investigation"] == [0, 1, 0, 0]
        assert got["recheck"] == [1, 0, 0, 0]
        assert sum(got["cases"]) == 1

    def test_an_edit_outside_the_services_and_a_deletion(self, people):
        logged = concern(people)
        referral = Referral.objects.create(school=people.school_a, concern=logged,
                                           situations=["missing"], detected_at=NOW,
                                           opened_by=people.safety_officer)
        exact(people)
        referral.situations = ["missing", "begging"]
        referral.save()  # as the admin would
        exact(people)
        referral.delete()  # one that has no chronology yet
        exact(people)
        assert values(people)["by_month"] == [0] * 12

    def test_a_school_given_another_type_or_bureau_takes_its_counts_along(self, people):
        services.referral_open(concern=concern(people), situations=["missing"],
                               by=people.safety_officer, at=NOW)
        school = School.objects.get(pk=people.school_a.pk)
        school.school_type = SchoolType.KINDERGARTEN
        school.save()
        exact(people)
        only = referral_counts(bureau_id=people.bureau.pk, year=2026,
                               school_type=SchoolType.KINDERGARTEN)
        assert only.by_month.row_totals[0].value == 1
        school.bureau = people.other_bureau
        school.save()
        exact(people)
        assert values(people)["by_month"] == [0] * 12
        assert referral_counts(bureau_id=people.other_bureau.pk,
                               year=2026).by_month.row_totals[0].value == 1

    def test_a_save_of_other_fields_reads_nothing_more(self, people):
        referral = services.referral_open(concern=concern(people), situations=["missing"],
                                          by=people.safety_officer, at=NOW)
        with CaptureQueriesContext(connection) as ctx:
            referral.save(update_fields=["outcome"])
        assert len(ctx.captured_queries) == 1


class TestThePoliceGap:
    @pytest.mark.parametrize(("gap", "bucket"), [
        (dt.timedelta(hours=24), 240),
        (dt.timedelta(hours=24, microseconds=1), 241),
        (dt.timedelta(minutes=61), 11),
        (dt.timedelta(0), 0),
        (dt.timedelta(minutes=-90), -15),
        (dt.timedelta(hours=72), 720),
        (dt.timedelta(hours=72, minutes=1), 730),  # whole hours beyond 72
        (dt.timedelta(days=10, minutes=1), 2410),
    ])
    def test_the_gap_is_kept_in_tenths_of_an_hour_rounded_up(self, gap, bucket):
        assert tallies.gap_bucket(gap) == bucket

    def test_a_report_at_the_limit_is_in_time_and_a_second_later_is_late(self, people):
        for gap in (24 * H, 24 * H + dt.timedelta(seconds=1)):
            detected = NOW - 30 * H
            referral = services.referral_open(concern=concern(people, at=detected),
                                              situations=["missing"], by=people.safety_officer,
                                              at=detected)
            police(people, referral, detected + gap)
        assert values(people)["police"][:2] == [1, 1]

    def test_the_median_and_p90_are_read_to_the_tenth_rounded_up(self, people):
        for minutes in (61, 62, 125, 180, 2000):
            detected = NOW - 40 * H
            referral = services.referral_open(concern=concern(people, at=detected),
                                              situations=["missing"], by=people.safety_officer,
                                              at=detected)
            police(people, referral, detected + dt.timedelta(minutes=minutes))
        got = values(people)
        assert (got["median"], got["p90"]) == (2.1, 33.4)


class TestTheRecount:
    def test_a_wrong_row_is_found_repaired_and_logged_without_names(self, people, caplog):
        services.referral_open(concern=concern(people), situations=["missing"],
                               by=people.safety_officer, at=NOW)
        IncidentTally.objects.filter(measure=TallyMeasure.REFERRAL_MONTH).update(n=7)
        with caplog.at_level(logging.WARNING, logger="incidents.tallies"):
            assert tallies.recount_all() == (1, 1)
        assert values(people)["by_month"][10] == 1
        assert tallies.recount_all() == (1, 0)
        assert "rows were wrong" in caplog.text
        assert CANARY not in caplog.text
        assert people.school_a.name not in caplog.text

    def test_rows_loaded_behind_the_services_back_are_counted(self, people):
        services.referral_open(concern=concern(people), situations=["missing"],
                               by=people.safety_officer, at=NOW)
        IncidentTally.objects.all().delete()
        assert values(people)["by_month"][10] == 0
        assert tallies.recount(people.bureau.pk, 2026) > 0
        assert values(people)["by_month"][10] == 1

    def test_the_nightly_task_recounts(self, people, settings):
        from incidents.tasks import recount_tallies

        settings.CELERY_TASK_ALWAYS_EAGER = True
        services.referral_open(concern=concern(people), situations=["missing"],
                               by=people.safety_officer, at=NOW)
        IncidentTally.objects.filter(measure=TallyMeasure.REFERRAL_STATE).update(n=0)
        assert recount_tallies.delay().get() == {"years": 1, "wrong": 1}

    def test_the_rows_hold_counts_and_nothing_that_names_a_child_or_a_school(self, people):
        services.referral_open(concern=concern(people), situations=["missing"],
                               by=people.safety_officer, at=NOW)
        text = " ".join(str(row) + row.key for row in IncidentTally.objects.all())
        assert CANARY not in text
        assert people.school_a.name not in text
        assert not any(str(r.code) in text for r in Referral.objects.all())
        assert not BullyingCase.objects.exists()


def test_the_command_says_what_it_recounted(people):
    from io import StringIO

    from django.core.management import call_command

    services.referral_open(concern=concern(people), situations=["missing"],
                           by=people.safety_officer, at=NOW)
    out = StringIO()
    call_command("recount_incident_tallies", stdout=out)
    assert out.getvalue().strip() == "1 bureau-years recounted; 0 tally rows were wrong."


# ------------------------------------------------------------------ dispute screening
OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def _month(district, month, **kwargs):
    from incidents.dispute_counts import dispute_completeness

    data = dispute_completeness(bureau_id=district.bureau.pk, year=2026, **kwargs)
    return {m.month: m for m in data.months}[month], data


def _add(district, *, month=NOVEMBER, found_on=dt.date(2026, 11, 10), risk="medium"):
    from incidents import disputes

    return disputes.dispute_add(school=district.school_a, month=month, by=district.safety_officer,
                                kind="home_school", parties="家长与班主任", summary="作业",
                                risk=risk, responsible_id=district.safety_officer.pk,
                                found_on=found_on)


class TestTheDisputeScreeningRows:
    def test_a_return_counts_when_filed_on_time_or_late_by_the_day_it_was_filed(self,
                                                                                 district):
        from incidents import disputes

        disputes.dispute_return_submit(school=district.school_a, month=OCTOBER,
                                       by=district.principal, none_found=True,
                                       at=shanghai("2026-10-31 23:59"))
        disputes.dispute_return_submit(school=district.school_b, month=OCTOBER,
                                       by=district.peer_principal, none_found=True,
                                       at=shanghai("2026-11-01 00:01"))
        exact(district)
        october, _data = _month(district, OCTOBER)
        assert (october.on_time, october.late, october.none_found) == (1, 1, 2)

    def test_moving_the_due_day_moves_on_time_and_late_without_a_recount(self, district):
        from incidents import disputes

        disputes.dispute_return_submit(school=district.school_b, month=OCTOBER,
                                       by=district.peer_principal, none_found=True,
                                       at=shanghai("2026-11-03 10:00"))
        assert _month(district, OCTOBER)[0].late == 1
        from incidents.models import DisputeSchedule

        DisputeSchedule.objects.create(bureau=district.bureau, effective_from=OCTOBER,
                                       due_day=5)
        october = _month(district, OCTOBER)[0]
        assert (october.on_time, october.late) == (1, 0)

    def test_a_draft_counts_for_nothing_and_a_filed_school_that_did_not_owe_is_left_out(
            self, district):
        from incidents import disputes

        disputes.dispute_return_submit(school=district.school_a, month=OCTOBER,
                                       by=district.principal, none_found=True,
                                       at=shanghai("2026-10-30 09:00"))
        _add(district)  # November's return is a draft
        assert _month(district, NOVEMBER)[0].on_time + _month(district, NOVEMBER)[0].late == 0
        # School A closes on 31 October, before October's due date has passed.
        School.objects.filter(pk=district.school_a.pk).update(is_open=False,
                                                              closed_on=dt.date(2026, 10, 31))
        october = _month(district, OCTOBER)[0]
        assert (october.owed, october.on_time, october.none_found) == (1, 0, 0)

    def test_disputes_move_with_their_mediation_and_leave_when_taken_back(self, district):
        from incidents import disputes

        kept = [_add(district) for _ in range(5)]
        taken = _add(district, risk="high")
        exact(district)
        data = _month(district, NOVEMBER)[1]
        assert data.by_kind.grand_total.value == 6
        disputes.dispute_settle(dispute=kept[0], name="resolve", on=dt.date(2026, 11, 12),
                                by=district.principal)
        disputes.dispute_remove(dispute=taken, by=district.safety_officer)
        exact(district)
        data = _month(district, NOVEMBER)[1]
        statuses = [s for s, _label in data.statuses]
        risks = [r for r, _label in data.risks]
        medium = data.by_risk.cells[risks.index("medium")]
        assert medium[statuses.index("resolved")].value == 1
        assert medium[statuses.index("mediating")].value == 4
        assert data.by_kind.grand_total.value == 5
