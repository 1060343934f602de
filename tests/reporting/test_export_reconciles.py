"""The per-school timeliness sheet keeps on time / late apart from the review
(issue 8 item 5): a late report that was approved is still late. Read back with
openpyxl, each column's words add up to the totals sheet, deadline by deadline."""

import datetime as dt
from collections import Counter
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from reporting import services
from reporting.exports import write_timeliness_workbook
from reporting.models import ReportStatus
from schools.models import SchoolType, User
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def workbook(world):
    """Every kind of school at 13 May (closed) and 24 May (open)."""
    campaign = CampaignFactory(bureau=world.bureau)
    may13 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    may24 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    on_time, late = shanghai(2026, 5, 13, 9), shanghai(2026, 5, 15, 9)
    cases = [  # (name, deadline, status, first submitted at)
        ("按时已通过", may13, ReportStatus.APPROVED, on_time),
        ("逾期已通过", may13, ReportStatus.APPROVED, late),
        ("逾期已退回", may13, ReportStatus.RETURNED, late),
        ("逾期再提交", may13, ReportStatus.RESUBMITTED, late),
        ("按时待审核", may13, ReportStatus.SUBMITTED, on_time),
        ("只有草稿", may13, ReportStatus.DRAFT, None),
        ("提前报下期", may24, ReportStatus.APPROVED, shanghai(2026, 5, 19, 9)),
        ("下期草稿", may24, ReportStatus.DRAFT, None),
    ]
    for name, deadline, status, at in cases:
        school = SchoolFactory(bureau=world.bureau, name=name,
                               school_type=SchoolType.JUNIOR if "期" in name
                               else SchoolType.PRIMARY)
        ProgressReportFactory(school=school, deadline=deadline, status=status,
                              first_submitted_at=at, last_submitted_at=at and at + dt.timedelta(
                                  days=1))
    # Submitted on time, then withdrawn after the deadline: missing again.
    withdrawn = SchoolFactory(bureau=world.bureau, name="撤回未再报")
    report = ProgressReportFactory(school=withdrawn, deadline=may13,
                                   status=ReportStatus.SUBMITTED, first_submitted_at=on_time)
    writer = User.objects.get(username=f"author-{withdrawn.pk}")  # who submitted it
    services.report_withdraw(report=report, by=writer, at=shanghai(2026, 5, 14, 9))
    out = BytesIO()
    with time_machine.travel(NOW, tick=False):
        write_timeliness_workbook(campaign=campaign, schools=campaign.expected_schools(),
                                  out=out)
    return load_workbook(BytesIO(out.getvalue()))


def by_school(wb):
    header, *rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    return header, {row[1]: dict(zip(header, row, strict=True)) for row in rows}


def test_a_late_report_that_was_approved_is_still_late(workbook):
    _header, schools = by_school(workbook)
    row = schools["逾期已通过"]
    assert (row["2026-05-13 是否按时"], row["2026-05-13 审核状态"]) == ("逾期", "已通过")
    row = schools["逾期已退回"]
    assert (row["2026-05-13 是否按时"], row["2026-05-13 审核状态"]) == ("逾期", "已退回")
    row = schools["逾期再提交"]
    assert (row["2026-05-13 是否按时"], row["2026-05-13 审核状态"]) == ("逾期", "待审核")
    row = schools["撤回未再报"]
    assert (row["2026-05-13 是否按时"], row["2026-05-13 审核状态"]) == ("未报", None)


def test_each_column_adds_up_to_the_totals_sheet(workbook):
    header, schools = by_school(workbook)
    totals_header, *totals = [list(r) for r in workbook.worksheets[1].iter_rows(
        values_only=True)]
    assert len(totals) == 2
    for total in totals:
        t = dict(zip(totals_header, total, strict=True))
        label = t["截止日期"]
        on_time = Counter(row[f"{label} 是否按时"] for row in schools.values())
        review = Counter(row[f"{label} 审核状态"] for row in schools.values())
        assert len(schools) == t["应报"] == sum(on_time.values())
        assert on_time["按时"] == t["按时"]
        assert on_time["逾期"] == t["逾期"]
        assert on_time["未报"] == t["未报"]
        assert on_time["未到期"] == t["未到期"]
        assert on_time["按时"] + on_time["逾期"] == t["已提交"]
        assert review["待审核"] == t["待审核"]
        assert review["已退回"] == t["已退回"]
        assert review["已通过"] == t["已通过"]
        assert review["待审核"] + review["已退回"] + review["已通过"] == t["已提交"]
        assert set(on_time) <= {"按时", "逾期", "未报", "未到期"}
        assert set(review) <= {"待审核", "已退回", "已通过", None}


def test_the_totals_are_what_the_cases_say(workbook):
    totals_header, may13, may24 = [list(r) for r in workbook.worksheets[1].iter_rows(
        values_only=True)]
    may13, may24 = dict(zip(totals_header, may13, strict=True)), dict(
        zip(totals_header, may24, strict=True))
    # 11 schools (甲 and 乙 report nothing): 2 on time, 3 late, 6 missing (the
    # draft, the withdrawn one, the two that report only for 24 May, 甲, 乙).
    assert [may13[k] for k in ("应报", "已提交", "按时", "逾期", "未报", "待审核", "已退回",
                               "已通过")] == [11, 5, 2, 3, 6, 2, 1, 2]
    assert [may24[k] for k in ("已提交", "按时", "未到期", "已通过")] == [1, 1, 10, 1]
