import datetime as dt

import factory

from reporting import followups, tallies
from reporting.models import Campaign, Deadline, DeadlineKind, ProgressReport
from schools.models import SchoolType
from tests.schools.factories import BureauFactory


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
        # As campaign_generate_deadlines does: a new deadline starts with zero
        # tallies, and every expected school owes it a report (a follow-up).
        deadline = super()._create(model_class, *args, **kwargs)
        tallies.ensure_rows([deadline])
        followups.arm_deadlines([deadline])
        return deadline


class ProgressReportFactory(factory.django.DjangoModelFactory):
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
    def _create(cls, model_class, *args, **kwargs):
        # Reports come into being through the services, which keep the
        # dashboard's tallies; a report made here is counted the same way.
        report = super()._create(model_class, *args, **kwargs)
        tallies.record_change(report, tallies.NOTHING)
        if report.first_submitted_at is not None:
            followups.report_arrived(report)
        return report
