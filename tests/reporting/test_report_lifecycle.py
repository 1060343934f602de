"""A report's life: draft → submitted → returned → resubmitted → approved, with
timeliness from the server's clock in Asia/Shanghai."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from reporting import services
from reporting.models import Measure, ReportStatus, Timeliness
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def report(world, deadline):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    report.measures.create(measure=Measure.CAMPUS, narrative="开展门卫值守检查 2 次。")
    return report


class TestTimeliness:
    def test_a_report_submitted_at_235959_on_the_due_date_is_on_time(self, world, report):
        with at(2026, 5, 13, 23, 59, 59):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.timeliness == Timeliness.ON_TIME

    def test_the_last_tenth_of_a_second_of_the_due_date_is_still_on_time(self, world, report):
        with at(2026, 5, 13, 23, 59, 59, 900_000):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.first_submitted_at.microsecond == 900_000  # stored, not rounded up
        assert report.timeliness == Timeliness.ON_TIME

    def test_a_report_submitted_at_midnight_after_the_due_date_is_late(self, world, report):
        with at(2026, 5, 14, 0, 0, 0):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.timeliness == Timeliness.LATE

    def test_shanghai_time_decides_not_utc(self, world, report):
        # 16:30 UTC on the 13th is 00:30 on the 14th in Shanghai: late.
        with time_machine.travel(dt.datetime(2026, 5, 13, 16, 30, tzinfo=dt.UTC), tick=False):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.timeliness == Timeliness.LATE

    def test_a_moved_deadline_moves_the_boundary(self, world, report, deadline):
        services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 15),
                               reason="端午调休", by=world.bureau_admin)
        with at(2026, 5, 15, 23, 0):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.timeliness == Timeliness.ON_TIME
        deadline.refresh_from_db()
        assert deadline.original_due_date == dt.date(2026, 5, 13)
        assert [(m.old_date, m.new_date, m.reason) for m in deadline.moves.all()] == [
            (dt.date(2026, 5, 13), dt.date(2026, 5, 15), "端午调休")]

    def test_nothing_submitted_is_missing(self, world, report):
        assert report.timeliness == Timeliness.MISSING

    def test_a_resubmission_after_return_keeps_the_first_submission_time(self, world, report):
        with at(2026, 5, 12, 9, 0):
            services.report_submit(report=report, by=world.safety_officer)
        with at(2026, 5, 14, 9, 0):
            services.report_return(report=report, by=world.inspector, reason="缺少活动照片")
        with at(2026, 5, 16, 9, 0):
            services.report_submit(report=report, by=world.safety_officer)
        report.refresh_from_db()
        assert report.status == ReportStatus.RESUBMITTED
        assert report.timeliness == Timeliness.ON_TIME
        assert report.was_resubmitted
        assert report.last_submitted_at.astimezone(SHANGHAI).date() == dt.date(2026, 5, 16)


class TestLifecycle:
    def test_the_whole_cycle_leaves_a_timeline_with_who_and_when(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        services.report_return(report=report, by=world.inspector, reason="请补充数据")
        services.report_submit(report=report, by=world.principal)
        services.report_approve(report=report, by=world.inspector)
        report.refresh_from_db()
        assert report.status == ReportStatus.APPROVED
        steps = [(t.from_state, t.to_state, t.actor.username, t.reason)
                 for t in report.transitions.all()]
        assert steps == [
            ("draft", "submitted", "a-safety", ""),
            ("submitted", "returned", "inspector", "请补充数据"),
            ("returned", "resubmitted", "a-principal", ""),
            ("resubmitted", "approved", "inspector", ""),
        ]

    def test_a_submitted_report_cannot_be_edited(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        with pytest.raises(ValidationError):
            services.report_save_draft(report=report, by=world.safety_officer,
                                       sections={"results": "改"}, measures={})

    def test_a_returned_report_can_be_edited_again(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        services.report_return(report=report, by=world.inspector, reason="补充")
        services.report_save_draft(report=report, by=world.safety_officer,
                                   sections={**report.sections, "results": "已补充数据"},
                                   measures={Measure.CAMPUS: "检查 3 次"})
        report.refresh_from_db()
        assert report.sections["results"] == "已补充数据"

    def test_submitting_twice_is_refused_the_second_time(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        with pytest.raises(ValidationError):
            services.report_submit(report=report, by=world.safety_officer)
        assert report.transitions.count() == 1

    def test_returning_needs_a_reason(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        with pytest.raises(ValidationError) as exc:
            services.report_return(report=report, by=world.inspector, reason="   ")
        assert "reason" in exc.value.message_dict
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED

    def test_a_draft_cannot_be_approved_or_returned(self, world, report):
        with pytest.raises(ValidationError):
            services.report_approve(report=report, by=world.inspector)
        with pytest.raises(ValidationError):
            services.report_return(report=report, by=world.inspector, reason="x")

    def test_an_incomplete_report_names_what_is_missing(self, world, report):
        report.sections = {"organisation": "有"}
        report.save()
        report.measures.all().delete()
        with pytest.raises(ValidationError) as exc:
            services.report_submit(report=report, by=world.safety_officer)
        assert set(exc.value.message_dict) == {"results", "problems", "next_steps", "measures"}

    def test_a_ticked_measure_needs_its_narrative(self, world, report):
        services.report_save_draft(report=report, by=world.safety_officer,
                                   sections=report.sections,
                                   measures={Measure.CAMPUS: "x", Measure.PSYCH: ""})
        with pytest.raises(ValidationError) as exc:
            services.report_submit(report=report, by=world.safety_officer)
        assert set(exc.value.message_dict) == {"measure_psych"}

    def test_unknown_sections_and_measures_from_a_tampered_form_are_ignored(self, world, report):
        services.report_save_draft(report=report, by=world.safety_officer,
                                   sections={"results": "数据", "evil": "<script>"},
                                   measures={"nonsense": "x"})
        report.refresh_from_db()
        assert "evil" not in report.sections
        assert not report.measures.exists()

    def test_an_overlong_section_is_an_error_naming_the_section(self, world, report):
        with pytest.raises(ValidationError) as exc:
            services.report_save_draft(report=report, by=world.safety_officer,
                                       sections={"results": "长" * 5001}, measures={})
        assert set(exc.value.message_dict) == {"results"}


class TestPermissions:
    @pytest.mark.parametrize("who", ["head_teacher", "counselor", "staff", "inspector",
                                     "auditor", "peer_principal"])
    def test_only_the_principal_and_safety_officer_submit(self, world, report, who):
        with pytest.raises(PermissionDenied):
            services.report_submit(report=report, by=getattr(world, who))

    @pytest.mark.parametrize("who", ["principal", "safety_officer", "auditor",
                                     "foreign_principal"])
    def test_only_bureau_reviewers_approve(self, world, report, who):
        services.report_submit(report=report, by=world.safety_officer)
        with pytest.raises(PermissionDenied):
            services.report_approve(report=report, by=getattr(world, who))

    def test_an_inspector_of_another_district_cannot_review(self, world, report):
        from schools.models import Role
        from tests.schools.factories import bureau_member

        outsider = bureau_member(world.other_bureau, Role.INSPECTOR, username="other-inspector")
        services.report_submit(report=report, by=world.safety_officer)
        with pytest.raises(PermissionDenied):
            services.report_return(report=report, by=outsider, reason="x")

    def test_only_the_bureau_admin_moves_a_deadline_and_only_with_a_reason(self, world,
                                                                         deadline):
        with pytest.raises(PermissionDenied):
            services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 14),
                                   reason="x", by=world.inspector)
        with pytest.raises(ValidationError):
            services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 14),
                                   reason=" ", by=world.bureau_admin)


class TestMovingADeadlineSafely:
    def test_an_open_deadline_cannot_be_moved_into_the_past(self, world, deadline):
        with pytest.raises(ValidationError) as exc:
            services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 8),
                                   reason="误操作", by=world.bureau_admin,
                                   at=dt.datetime(2026, 5, 10, 9, 0, tzinfo=SHANGHAI))
        assert "due_date" in exc.value.message_dict
        deadline.refresh_from_db()
        assert deadline.due_date == dt.date(2026, 5, 13)

    def test_it_may_be_moved_to_today(self, world, deadline):
        services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 10), reason="提前",
                               by=world.bureau_admin,
                               at=dt.datetime(2026, 5, 10, 9, 0, tzinfo=SHANGHAI))
        deadline.refresh_from_db()
        assert deadline.due_date == dt.date(2026, 5, 10)

    def test_no_deadline_leaves_its_campaign(self, world, deadline):
        with pytest.raises(ValidationError):
            services.deadline_move(deadline=deadline, new_date=dt.date(2020, 1, 1),
                                   reason="x", by=world.bureau_admin)
        with pytest.raises(ValidationError):
            services.deadline_move(deadline=deadline, new_date=dt.date(2027, 1, 5),
                                   reason="x", by=world.bureau_admin)
