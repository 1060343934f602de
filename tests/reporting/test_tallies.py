"""The dashboard's tallies move with the reports, whoever changes what, and a
recount from the reports always agrees with them."""

import datetime as dt
import logging
import threading
import time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from reporting import services, tallies
from reporting.models import (
    Deadline,
    DeadlineTally,
    Measure,
    ProgressReport,
    ReportStatus,
)
from reporting.tasks import check_tallies
from schools.models import School, SchoolType
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PRIMARY, MIDDLE = SchoolType.PRIMARY, SchoolType.JUNIOR
ON_TIME = dt.datetime(2026, 5, 13, 23, 59, 59, tzinfo=SHANGHAI)
LATE = dt.datetime(2026, 5, 14, 0, 0, tzinfo=SHANGHAI)


def at(moment):
    return time_machine.travel(moment, tick=False)


def tally(deadline, school_type=PRIMARY) -> dict:
    row = DeadlineTally.objects.get(deadline=deadline, school_type=school_type)
    return {name: getattr(row, name) for name in tallies.FIELDS}


def counts(submitted=0, on_time=0, returned=0, approved=0) -> dict:
    return {"submitted": submitted, "on_time": on_time, "returned": returned,
            "approved": approved}


def assert_a_recount_agrees():
    assert tallies.rebuild(Deadline.objects.all()) == 0


def draft(school, deadline):
    report = ProgressReportFactory(school=school, deadline=deadline)
    report.measures.create(measure=Measure.CAMPUS, narrative="开展门卫值守检查 2 次。")
    return report


BEFORE = dt.datetime(2026, 5, 10, 9, 0, tzinfo=SHANGHAI)  # before the 13 May deadline
AFTER = dt.datetime(2026, 5, 20, 9, 0, tzinfo=SHANGHAI)  # after it


def save_at(school, moment, **changes):
    """Change a school as its bureau would on `moment` (the day stamps its period)."""
    for name, value in changes.items():
        setattr(school, name, value)
    with at(moment):
        school.save()


def submit(world, report, moment):
    with at(moment):
        return services.report_submit(report=report, by=world.principal)


class TestTheReportServicesMoveTheTally:
    def test_a_new_deadline_starts_at_zero_for_every_school_type(self, deadline):
        assert DeadlineTally.objects.filter(deadline=deadline).count() == len(SchoolType.values)
        assert tally(deadline) == counts()

    def test_a_draft_counts_for_nothing(self, world, deadline):
        draft(world.school_a, deadline)
        assert tally(deadline) == counts()

    def test_a_submission_at_235959_counts_as_on_time(self, world, deadline):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        assert tally(deadline) == counts(submitted=1, on_time=1)
        assert_a_recount_agrees()

    def test_a_submission_at_midnight_counts_as_submitted_and_late(self, world, deadline):
        submit(world, draft(world.school_a, deadline), LATE)
        assert tally(deadline) == counts(submitted=1)
        assert_a_recount_agrees()

    def test_return_resubmission_and_approval_each_move_it(self, world, deadline):
        report = submit(world, draft(world.school_a, deadline), ON_TIME)
        services.report_return(report=report, by=world.inspector, reason="请补充照片。")
        assert tally(deadline) == counts(submitted=1, on_time=1, returned=1)
        # The resubmission comes late, but the first submission decides timeliness.
        submit(world, report, LATE + dt.timedelta(days=3))
        assert tally(deadline) == counts(submitted=1, on_time=1)
        services.report_approve(report=report, by=world.inspector)
        assert tally(deadline) == counts(submitted=1, on_time=1, approved=1)
        assert_a_recount_agrees()

    def test_a_refused_transition_leaves_it_alone(self, world, deadline):
        report = submit(world, draft(world.school_a, deadline), ON_TIME)
        with pytest.raises(ValidationError):
            submit(world, report, ON_TIME)
        assert tally(deadline) == counts(submitted=1, on_time=1)

    def test_schools_of_each_type_are_counted_apart(self, world, deadline):
        middle = SchoolFactory(bureau=world.bureau, school_type=MIDDLE)
        MembershipFactory(user=world.principal, school=middle)
        submit(world, draft(world.school_a, deadline), ON_TIME)
        submit(world, draft(middle, deadline), LATE)
        assert tally(deadline, PRIMARY) == counts(submitted=1, on_time=1)
        assert tally(deadline, MIDDLE) == counts(submitted=1)


class TestChangesElsewhereRecount:
    def test_moving_the_deadline_later_makes_a_late_report_on_time(self, world, deadline):
        submit(world, draft(world.school_a, deadline), LATE)
        services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 15),
                               reason="调休", by=world.bureau_admin)
        assert tally(deadline) == counts(submitted=1, on_time=1)

    def test_moving_it_earlier_makes_an_on_time_report_late(self, world, deadline):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 12),
                               reason="提前", by=world.bureau_admin)
        assert tally(deadline) == counts(submitted=1)

    def test_a_school_closed_before_the_deadline_drops_out_and_comes_back_when_reopened(
            self, world, deadline):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        save_at(world.school_a, BEFORE, is_open=False)  # a correction dated before it
        assert tally(deadline) == counts()
        save_at(world.school_a, BEFORE + dt.timedelta(days=1), is_open=True)
        assert tally(deadline) == counts(submitted=1, on_time=1)
        assert_a_recount_agrees()

    def test_a_school_taken_out_of_the_campaign_before_the_deadline_drops_out(self, world,
                                                                              deadline):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        save_at(world.school_a, BEFORE, in_campaign=False)
        assert tally(deadline) == counts()

    @pytest.mark.parametrize("change", [{"is_open": False}, {"in_campaign": False}],
                             ids=["closed", "out_of_the_campaign"])
    def test_a_school_closed_after_the_deadline_still_counts_for_it(self, world, deadline,
                                                                    change):
        """Issue 8 item 3: closing a school today rewrites no past figure."""
        submit(world, draft(world.school_a, deadline), ON_TIME)
        save_at(world.school_a, AFTER, **change)
        assert tally(deadline) == counts(submitted=1, on_time=1)
        assert_a_recount_agrees()

    def test_a_school_given_another_type_moves_its_counts(self, world, deadline):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        world.school_a.school_type = MIDDLE
        world.school_a.save()
        assert tally(deadline, PRIMARY) == counts()
        assert tally(deadline, MIDDLE) == counts(submitted=1, on_time=1)

    def test_renaming_a_school_recounts_nothing(self, world, deadline,
                                                django_assert_num_queries):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        world.school_a.name = "甲小学（新校区）"
        # the flags schools reads, the fields reporting and incidents remember
        # (each reads the row as it is in the database), the UPDATE
        with django_assert_num_queries(4):
            world.school_a.save()

    @pytest.mark.parametrize("change", [{"is_open": False}, {"in_campaign": False}],
                             ids=["closed", "out_of_the_campaign"])
    def test_a_report_submitted_by_a_school_no_longer_expected_counts_for_nothing(
        self, world, deadline, change
    ):
        report = draft(world.school_a, deadline)
        save_at(world.school_a, BEFORE, **change)
        submit(world, report, ON_TIME)
        assert tally(deadline) == counts()
        assert_a_recount_agrees()

    def test_a_report_of_another_bureaus_school_is_never_counted(self, world, deadline):
        ProgressReportFactory(school=world.school_c, deadline=deadline,
                              status=ReportStatus.SUBMITTED, first_submitted_at=ON_TIME)
        assert tally(deadline) == counts()
        assert_a_recount_agrees()


class TestRecounting:
    def test_a_deadline_older_than_the_tallies_is_counted_when_first_read(self, world):
        campaign = CampaignFactory(bureau=world.bureau)
        older = Deadline.objects.create(campaign=campaign, kind="progress",
                                        due_date=dt.date(2026, 5, 13),
                                        original_due_date=dt.date(2026, 5, 13))
        ProgressReport.objects.create(school=world.school_a, deadline=older,
                                      status=ReportStatus.APPROVED, first_submitted_at=ON_TIME)
        assert not DeadlineTally.objects.filter(deadline=older).exists()

        read = tallies.read([older], [PRIMARY])

        assert read[(older.pk, PRIMARY)] == tallies.Tally(
            expected=2, marks=tallies.Marks(submitted=1, on_time=1, approved=1))
        assert tally(older) == counts(submitted=1, on_time=1, approved=1)

    def test_the_command_repairs_a_drift_and_says_how_many_rows_were_wrong(self, world,
                                                                           deadline):
        report = submit(world, draft(world.school_a, deadline), ON_TIME)
        # A write around the services: a bulk UPDATE in a shell.
        ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.APPROVED)
        out = StringIO()

        call_command("rebuild_tallies", stdout=out)

        assert "1 tally rows were wrong" in out.getvalue()
        assert tally(deadline) == counts(submitted=1, on_time=1, approved=1)
        out = StringIO()
        call_command("rebuild_tallies", "--campaign", str(deadline.campaign_id), stdout=out)
        assert "0 tally rows were wrong" in out.getvalue()

    def test_a_report_submitted_for_a_deadline_older_than_the_tallies_leaves_no_drift(
        self, world
    ):
        campaign = CampaignFactory(bureau=world.bureau)
        older = Deadline.objects.create(campaign=campaign, kind="progress",
                                        due_date=dt.date(2026, 5, 13),
                                        original_due_date=dt.date(2026, 5, 13))
        submit(world, draft(world.school_a, older), ON_TIME)
        assert tally(older) == counts(submitted=1, on_time=1)
        assert_a_recount_agrees()

    def test_the_command_refuses_an_unknown_campaign(self):
        with pytest.raises(CommandError, match="No campaign with id 999999"):
            call_command("rebuild_tallies", "--campaign", "999999")

    def test_the_nightly_check_logs_a_drift_as_a_warning(self, world, deadline, caplog):
        report = submit(world, draft(world.school_a, deadline), ON_TIME)
        ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.RETURNED)

        with caplog.at_level(logging.WARNING, logger="reporting.tallies"):
            result = check_tallies.apply().get()

        assert result["wrong_rows"] == 1
        assert "1 rows were wrong" in caplog.text
        assert tally(deadline) == counts(submitted=1, on_time=1, returned=1)

    def test_the_nightly_check_is_quiet_when_all_is_right(self, world, deadline, caplog):
        submit(world, draft(world.school_a, deadline), ON_TIME)
        with caplog.at_level(logging.WARNING, logger="reporting.tallies"):
            assert check_tallies.apply().get()["wrong_rows"] == 0
        assert caplog.text == ""


@pytest.mark.django_db(transaction=True)
def test_schools_submitting_at_the_same_moment_are_all_counted(world):
    """The deadline rush: many schools submit at once to the same tally row."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions: PostgreSQL")
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    schools = [SchoolFactory(bureau=world.bureau) for _ in range(6)]
    officer = UserFactory()
    for school in schools:
        MembershipFactory(user=officer, school=school)
    reports = [draft(school, deadline) for school in schools]
    barrier = threading.Barrier(len(reports))
    errors = []

    def worker(report):
        try:
            barrier.wait(timeout=10)
            services.report_submit(report=report, by=officer)
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    with at(ON_TIME):
        threads = [threading.Thread(target=worker, args=(r,)) for r in reports]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert tally(deadline) == counts(submitted=6, on_time=6)
    assert_a_recount_agrees()


class TestExpectedSchools:
    """Each deadline's expected schools per type (DeadlineTally.expected): kept
    as schools change, only for the deadlines their change reaches (issue 8
    item 3), in step with a count by the rule, and repaired after a drift."""

    @staticmethod
    def expected(deadline, school_type=PRIMARY) -> int:
        return DeadlineTally.objects.get(deadline=deadline, school_type=school_type).expected

    @staticmethod
    def counted(deadline, school_type=PRIMARY) -> int:
        return deadline.expected_schools().filter(school_type=school_type).count()

    @pytest.fixture
    def two(self, campaign):
        """13 May and 13 June."""
        return (DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13)),
                DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 6, 13)))

    def test_a_deadline_is_counted_when_created(self, world, deadline):
        assert self.expected(deadline) == self.counted(deadline) == 2

    def test_a_school_added_between_two_deadlines_counts_only_for_the_later(self, world, two):
        may, june = two
        with at(AFTER):
            new = SchoolFactory(bureau=world.bureau, joined_on=dt.date(2026, 5, 20))
        assert (self.expected(may), self.expected(june)) == (2, 3)
        save_at(new, dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), is_open=False)
        assert (self.expected(may), self.expected(june)) == (2, 2)
        assert tallies.rebuild(two) == 0

    def test_each_change_of_a_school_moves_the_count_of_the_deadlines_it_reaches(
            self, world, two):
        may, june = two
        save_at(world.school_b, AFTER, is_open=False)  # between the two deadlines
        assert (self.expected(may), self.expected(june)) == (2, 1)
        save_at(world.school_a, BEFORE, school_type=MIDDLE)
        assert (self.expected(may), self.expected(may, MIDDLE)) == (1, 1)
        save_at(world.school_a, BEFORE, bureau=world.other_bureau)
        assert (self.expected(may), self.expected(may, MIDDLE)) == (1, 0)
        assert tallies.rebuild(two) == 0

    def test_renaming_a_school_moves_nothing(self, world, deadline):
        world.school_a.name = "甲小学（新校区）"
        world.school_a.save()
        assert tallies.rebuild([deadline]) == 0

    def test_a_bulk_update_around_the_receivers_is_repaired_by_the_nightly_check(
            self, world, deadline, caplog):
        School.objects.filter(pk=world.school_a.pk).update(   # no signal
            is_open=False, closed_on=dt.date(2026, 5, 1))
        assert self.expected(deadline) == 2  # drifted
        with caplog.at_level(logging.WARNING, logger="reporting.tallies"):
            assert check_tallies.apply().get()["wrong_rows"] == 1
        assert self.expected(deadline) == 1
        assert "1 rows were wrong" in caplog.text

    def test_the_command_recounts_the_campaigns_deadlines(self, world, deadline):
        DeadlineTally.objects.filter(deadline=deadline, school_type=PRIMARY).update(expected=99)
        out = StringIO()
        call_command("rebuild_tallies", "--campaign", str(deadline.campaign_id), stdout=out)
        assert "1 tally rows were wrong" in out.getvalue()
        assert self.expected(deadline) == 2


@pytest.mark.django_db(transaction=True)
def test_a_recount_racing_a_submission_keeps_the_submission(world):
    """The recount waits for the submission's transaction, then counts it: a
    drift repaired at the deadline rush loses no report."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions: PostgreSQL")
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    report = draft(world.school_a, deadline)
    DeadlineTally.objects.filter(deadline=deadline, school_type=PRIMARY).update(submitted=5)
    submitted, release = threading.Event(), threading.Event()
    errors = []

    def submission():
        try:
            with transaction.atomic():
                submit(world, report, ON_TIME)
                submitted.set()
                release.wait(timeout=10)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def recount():
        try:
            submitted.wait(timeout=10)
            tallies.rebuild([deadline])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submission), threading.Thread(target=recount)]
    for thread in threads:
        thread.start()
    submitted.wait(timeout=10)
    time.sleep(0.5)  # the recount is now waiting on the submission's row
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert tally(deadline) == counts(submitted=1, on_time=1)
