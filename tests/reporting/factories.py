import datetime as dt

import factory

from core import clock
from reporting import followups, services, tallies
from reporting.models import (
    Campaign,
    Deadline,
    DeadlineKind,
    Measure,
    ProgressReport,
    ReportStatus,
)
from schools.models import Membership, Role, SchoolType
from tests.schools.factories import BureauFactory, bureau_member, school_member


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    bureau = factory.SubFactory(BureauFactory)
    name = "防范化解未成年人突出安全风险隐患专项治理行动"
    start_month = dt.date(2026, 5, 1)
    end_date = dt.date(2026, 12, 31)
    school_types = factory.LazyFunction(lambda: list(SchoolType.values))


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    campaign = factory.SubFactory(CampaignFactory)
    kind = DeadlineKind.PROGRESS
    due_date = dt.date(2026, 5, 13)
    original_due_date = factory.SelfAttribute("due_date")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As campaign_generate_deadlines does: a new deadline is counted (no
        # reports, the schools it expects), and every expected school owes it a
        # report (a follow-up).
        deadline = super()._create(model_class, *args, **kwargs)
        tallies.rebuild([deadline])
        followups.arm_deadlines([deadline])
        return deadline


def _author(school):
    """Someone who may write the school's reports: its safety officer or
    principal, or a new safety officer when it has none."""
    member = (Membership.objects.active()
              .filter(school=school, role__in=[Role.SAFETY_OFFICER, Role.PRINCIPAL])
              .select_related("user").order_by("role", "pk").first())
    if member is not None:
        return member.user
    return school_member(school, Role.SAFETY_OFFICER, username=f"author-{school.pk}")


def _reviewer(bureau):
    member = (Membership.objects.active().filter(bureau=bureau, role=Role.INSPECTOR)
              .select_related("user").order_by("pk").first())
    if member is not None:
        return member.user
    return bureau_member(bureau, Role.INSPECTOR, username=f"reviewer-{bureau.pk}")


class ProgressReportFactory(factory.django.DjangoModelFactory):
    """A report in any status, reached the way a school and an inspector reach
    it: created as a draft, then submitted, returned, resubmitted or approved
    through the services (at `first_submitted_at`, `last_submitted_at`,
    `approved_at` when given), so tallies, follow-ups, notices and audit rows
    are what the portal would have made."""

    class Meta:
        model = ProgressReport

    deadline = factory.SubFactory(DeadlineFactory)
    sections = factory.LazyFunction(lambda: {
        "organisation": "校长任组长，成立工作专班。",
        "results": "开展安全教育 3 次，覆盖学生 1200 人次。",
        "problems": "部分家长参与度不高。",
        "next_steps": "开展防溺水专题家长会。",
    })

    @classmethod
    def _create(cls, model_class, *args, status=ReportStatus.DRAFT, first_submitted_at=None,
                last_submitted_at=None, approved_at=None, return_reason="", **kwargs):
        report = super()._create(model_class, *args, **kwargs)
        tallies.record_change(report, tallies.NOTHING)
        if status == ReportStatus.DRAFT:
            return report
        if report.deadline.kind == DeadlineKind.PROGRESS and not report.measures.exists():
            report.measures.create(measure=Measure.CAMPUS, narrative="门卫值守检查 2 次。")
        author, reviewer = _author(report.school), _reviewer(report.school.bureau)
        submitted = first_submitted_at or clock.now()
        services.report_submit(report=report, by=author, at=submitted)
        later = last_submitted_at or submitted
        if status in (ReportStatus.RETURNED, ReportStatus.RESUBMITTED):
            services.report_return(report=report, by=reviewer, at=max(submitted, later),
                                   reason=return_reason or "请补充本期活动照片。")
        if status == ReportStatus.RESUBMITTED:
            services.report_submit(report=report, by=author, at=later)
        if status == ReportStatus.APPROVED:
            services.report_approve(report=report, by=reviewer, at=approved_at or later)
        report.refresh_from_db()
        return report
