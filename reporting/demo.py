"""The reporting cycle's demo data (called by `manage.py seed_demo`): this
year's campaign with every past deadline's reports in every state."""

import datetime as dt

from django.utils import timezone

from schools.models import Bureau, SchoolType, User

from . import services as reporting
from .models import Campaign, Measure, ProgressReport


def seed(bureau: Bureau) -> None:
    """This year's campaign (May to December) with every past deadline's
    reports in every state: on time, late, returned, approved, missing."""
    today = timezone.localdate()
    campaign = Campaign.objects.filter(bureau=bureau).first()
    if campaign is None:
        campaign = reporting.campaign_create(
            bureau=bureau, name="防范化解未成年人突出安全风险隐患专项治理行动",
            start_month=dt.date(today.year, 5, 1), end_date=dt.date(today.year, 12, 31),
            school_types=list(SchoolType.values))
    if ProgressReport.objects.filter(deadline__campaign=campaign).exists():
        return
    inspector = User.objects.get(username="inspector")
    past = list(campaign.deadlines.filter(due_date__lt=today).order_by("due_date"))
    for school in campaign.expected_schools().order_by("code"):
        officer = User.objects.get(username=f"s{int(school.code[1:]):02d}-safety")
        number = int(school.code[1:])
        for index, deadline in enumerate(past):
            if (number + index) % 7 == 0 or not deadline.expects(school):
                continue  # missing
            report = reporting.report_start(school=school, deadline=deadline, by=officer)
            reporting.report_save_draft(
                report=report, by=officer,
                sections={"organisation": "校长任组长，安全专干具体负责，工作专班每周研判。",
                          "results": "开展安全教育 3 次，覆盖 1200 人次；"
                                     "排查隐患 2 处，均已整改。",
                          "problems": "部分家长对防溺水教育重视不够。",
                          "next_steps": "召开防溺水专题家长会，加强周边巡查。",
                          "overview": "全年按计划推进专项治理行动。",
                          "experience": "家校共育，网格化巡查。",
                          "next_year": "巩固成果，常态化开展。"},
                measures={Measure.CAMPUS: "门卫值守检查 2 次，护学岗每日到岗。",
                          Measure.LEGAL: "法治副校长授课 1 次。"})
            late = (number + index) % 5 == 0
            submitted_at = timezone.make_aware(dt.datetime.combine(
                deadline.due_date + dt.timedelta(days=1 if late else -1), dt.time(10)))
            # Demo reports were submitted in the past: the services take the
            # time as an argument, so nothing patches the clock; and nobody is
            # told about it now (no receipt or return notice for history).
            reporting.report_submit(report=report, by=officer, at=submitted_at,
                                    notify=False)
            reviewed_at = min(submitted_at + dt.timedelta(days=1), timezone.now())
            if (number + index) % 3 == 0:
                reporting.report_approve(report=report, by=inspector, at=reviewed_at)
            elif (number + index) % 11 == 0:
                reporting.report_return(report=report, by=inspector, at=reviewed_at,
                                        reason="请补充本期活动照片和具体数据。",
                                        notify=False)
