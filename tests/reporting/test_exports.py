"""Excel exports: the timeliness matrix with its totals, and the report list.

Read back with openpyxl; words, numbers, formula injection, scope and a fixed
number of queries per chunk of schools or reports."""

import datetime as dt
import math
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from reporting.exports import (
    safe_cell,
    write_report_list_workbook,
    write_timeliness_workbook,
)
from reporting.models import DeadlineKind, Measure, ProgressReport, ReportMeasure, ReportStatus
from schools.models import School, SchoolType
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Between the 13 May deadline (closed) and the 24 May one (still open).
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
EVIL_NAME = '=HYPERLINK("http://evil","x")'


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def report(school, deadline, at=None, status=ReportStatus.SUBMITTED, **fields):
    if at is None:
        status = ReportStatus.DRAFT
    return ProgressReportFactory(school=school, deadline=deadline, status=status,
                                 first_submitted_at=at.astimezone(dt.UTC) if at else None,
                                 last_submitted_at=at.astimezone(dt.UTC) if at else None,
                                 **fields)


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def wall(*args):
    """What Excel shows: Asia/Shanghai wall time, without a zone."""
    return shanghai(*args).replace(tzinfo=None)


@pytest.fixture
def scene(world):
    """Five schools expected by the campaign. At the 13 May deadline: A on time
    (one second to midnight), B late (on the stroke of midnight), D missing, E
    returned, F approved. At 24 May, still open: B already on time, A with a
    draft, the others nothing yet. A closed school and another district's
    school also reported; neither is expected."""
    campaign = CampaignFactory(bureau=world.bureau)
    may13 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    may24 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    dec24 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 12, 24),
                            kind=DeadlineKind.YEAR_END)
    school_d = SchoolFactory(bureau=world.bureau, name="丁幼儿园",
                             school_type=SchoolType.KINDERGARTEN)
    school_e = SchoolFactory(bureau=world.bureau, name="戊小学")
    school_f = SchoolFactory(bureau=world.bureau, name="己中学", school_type=SchoolType.JUNIOR)
    closed = SchoolFactory(bureau=world.bureau, name="已停办小学", is_open=False)
    report(world.school_a, may13, shanghai(2026, 5, 13, 23, 59, 59))
    report(world.school_b, may13, shanghai(2026, 5, 14, 0, 0, 0))
    report(school_e, may13, shanghai(2026, 5, 12, 9, 0), ReportStatus.RETURNED)
    report(school_f, may13, shanghai(2026, 5, 13, 8, 0), ReportStatus.APPROVED)
    report(closed, may13, shanghai(2026, 5, 13, 8, 0))
    report(world.school_c, may13, shanghai(2026, 5, 13, 8, 0))
    report(world.school_b, may24, shanghai(2026, 5, 19, 8, 0))
    report(world.school_a, may24)
    return {"campaign": campaign, "may13": may13, "may24": may24, "dec24": dec24,
            "school_d": school_d, "school_e": school_e, "school_f": school_f,
            "closed": closed}


def export_matrix(campaign, schools, **kwargs):
    out = BytesIO()
    rows = write_timeliness_workbook(campaign=campaign, schools=schools, out=out, **kwargs)
    return rows, load_workbook(BytesIO(out.getvalue()))


def export_reports(reports, **kwargs):
    out = BytesIO()
    rows = write_report_list_workbook(reports=reports, out=out, **kwargs)
    return rows, load_workbook(BytesIO(out.getvalue()))


def values(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_it_writes_the_matrix_in_chinese_with_a_word_per_cell(scene):
    rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())

    assert rows == 5
    ws = wb.worksheets[0]
    assert ws.title == "及时性"
    # Two columns per deadline: on time or not, and where the review stands.
    assert values(ws) == [
        ["学校代码", "学校", "学校类型", "2026-05-13 是否按时", "2026-05-13 审核状态",
         "2026-05-24 是否按时", "2026-05-24 审核状态",
         "2026-12-24（年度总结） 是否按时", "2026-12-24（年度总结） 审核状态"],
        [ws["A2"].value, "甲小学", "小学", "按时", "待审核", "未到期", None, "未到期", None],
        [ws["A3"].value, "乙小学", "小学", "逾期", "待审核", "按时", "待审核", "未到期", None],
        [ws["A4"].value, "丁幼儿园", "幼儿园", "未报", None, "未到期", None, "未到期", None],
        [ws["A5"].value, "戊小学", "小学", "按时", "已退回", "未到期", None, "未到期", None],
        [ws["A6"].value, "己中学", "初中", "按时", "已通过", "未到期", None, "未到期", None],
    ]
    codes = [ws.cell(row=r, column=1).value for r in range(2, 7)]
    assert codes == sorted(codes)
    assert ws.freeze_panes == "D2"
    assert ws.column_dimensions["B"].width == 32


def test_it_says_missing_once_the_deadline_has_closed(scene):
    after = shanghai(2026, 5, 25, 0, 0)
    _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools(), now=after)

    column = [row[5] for row in values(wb.worksheets[0])[1:]]
    # A's draft and the schools without a report are missing; B reported on time.
    assert column == ["未报", "按时", "未报", "未报", "未报"]


def test_it_leaves_out_schools_outside_the_queryset(world, scene):
    _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())
    names = [row[1] for row in values(wb.worksheets[0])[1:]]
    assert "已停办小学" not in names  # closed
    assert "丙小学" not in names  # another district

    only_two = School.objects.filter(pk__in=[world.school_a.pk, scene["school_d"].pk])
    rows, wb = export_matrix(scene["campaign"], only_two)
    assert rows == 2
    assert [row[1] for row in values(wb.worksheets[0])[1:]] == ["甲小学", "丁幼儿园"]


def test_it_totals_each_deadline_on_a_second_sheet(scene):
    _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())

    ws = wb.worksheets[1]
    assert ws.title == "汇总"
    header, may13, may24, dec24 = values(ws)
    assert header == ["截止日期", "应报", "已提交", "按时", "逾期", "未报", "未到期", "待审核",
                      "已退回", "已通过", "按时率"]
    # The returned and approved reports were first submitted on time; the closed
    # school's and the other district's reports are not counted.
    assert may13 == ["2026-05-13", 5, 4, 3, 1, 1, 0, 2, 1, 1, 0.6]
    assert may24 == ["2026-05-24", 5, 1, 1, 0, 0, 4, 1, 0, 0, None]
    assert dec24[1:] == [5, 0, 0, 0, 0, 5, 0, 0, 0, None]
    assert ws["K2"].number_format == "0.0%"


def test_it_neutralises_formulas_in_names_and_sections(world, scene):
    evil = SchoolFactory(bureau=world.bureau, name=EVIL_NAME)
    report(evil, scene["may13"], shanghai(2026, 5, 13, 8, 0),
           sections={"organisation": "+cmd|' /C calc'!A0", "results": "@SUM(1+1)",
                     "problems": "正常内容\x0b第二行", "next_steps": "-2+3"})

    _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())
    [cell] = [row[1] for row in wb.worksheets[0].iter_rows(min_row=2)
              if row[1].value.endswith('"x")')]
    assert cell.value == "'" + EVIL_NAME
    assert cell.data_type == "s"

    _rows, wb = export_reports(ProgressReport.objects.filter(school=evil))
    header, row = values(wb.worksheets[0])
    by_column = dict(zip(header, row, strict=True))
    assert by_column["学校"] == "'" + EVIL_NAME
    assert by_column["组织领导与责任落实"] == "'+cmd|' /C calc'!A0"
    assert by_column[gettext("Results and figures")] == "'@SUM(1+1)"
    # A vertical tab pasted from Word cannot go into XML: it is dropped.
    assert by_column[gettext("Problems")] == "正常内容第二行"
    assert by_column[gettext("Next steps")] == "'-2+3"
    assert all(c.data_type != "f" for c in next(wb.worksheets[0].iter_rows(min_row=2)))


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("甲小学", "甲小学"), ("a=b", "a=b"), (5, 5), (None, None),
    ("x" * 40_000, "x" * 32_767),
])
def test_it_makes_each_value_safe(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("n", [3, 4, 7])
def test_it_runs_a_fixed_number_of_queries_per_chunk_of_schools(world, n):
    campaign = CampaignFactory(bureau=world.bureau)
    deadlines = [DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, day))
                 for day in (13, 24)]
    schools = [SchoolFactory(bureau=world.bureau) for _ in range(n)]
    for school in schools[::2]:
        report(school, deadlines[0], shanghai(2026, 5, 13, 8, 0))
    scoped = School.objects.filter(pk__in=[s.pk for s in schools])

    with CaptureQueriesContext(connection) as queries:
        rows, _wb = export_matrix(campaign, scoped, chunk_size=2)

    assert rows == n
    # deadlines, school count, and for the totals the tallies (each deadline's
    # expected schools and their reports); per chunk the schools and their reports.
    assert len(queries) == 3 + 2 * math.ceil(n / 2)


@pytest.mark.parametrize("n", [3, 4, 7])
def test_it_runs_a_fixed_number_of_queries_per_chunk_of_reports(world, n):
    deadlines = [DeadlineFactory(campaign__bureau=world.bureau, due_date=dt.date(2026, 5, 13))]
    reports = []
    for _ in range(n):
        r = report(SchoolFactory(bureau=world.bureau), deadlines[0], shanghai(2026, 5, 13, 8, 0))
        ReportMeasure.objects.create(report=r, measure=Measure.PSYCH, narrative="心理健康讲座")
        reports.append(r)

    with CaptureQueriesContext(connection) as queries:
        rows, _wb = export_reports(ProgressReport.objects.filter(pk__in=[r.pk for r in reports]),
                                   chunk_size=2)

    assert rows == n
    # the count; per chunk the reports (with school and deadline) and their measures
    assert len(queries) == 1 + 2 * math.ceil(n / 2)


def test_it_reports_progress_after_each_chunk(scene):
    calls = []
    export_matrix(scene["campaign"], scene["campaign"].expected_schools(), chunk_size=2,
                  progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]

    calls.clear()
    export_reports(ProgressReport.objects.all(), chunk_size=3,
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 8), (6, 8), (8, 8)]


def test_it_writes_english_when_asked(scene):
    with translation.override("en"):
        _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())
        _count, reports = export_reports(ProgressReport.objects.all())

    matrix, totals = wb.worksheets
    assert (matrix.title, totals.title) == ("Timeliness", "Totals")
    header, a, b, d, e, f = values(matrix)
    assert header[:3] == ["School code", "School", "School type"]
    assert header[3:5] == ["2026-05-13: on time?", "2026-05-13: review"]
    assert header[7:] == ["2026-12-24 (year-end): on time?", "2026-12-24 (year-end): review"]
    assert [row[3:5] for row in (a, b, d, e, f)] == [
        ["On time", "Awaiting review"], ["Late", "Awaiting review"], ["Not submitted", None],
        ["On time", "Returned"], ["On time", "Approved"]]
    assert a[2:] == ["Primary school", "On time", "Awaiting review", "Not yet due", None,
                     "Not yet due", None]
    assert values(totals)[0][-1] == "On-time rate"
    assert reports.worksheets[0].title == "Progress reports"
    assert values(reports.worksheets[0])[0][:8] == [
        "School code", "School", "School type", "Due date", "Kind", "Status", "Timeliness",
        "First submitted at"]


def test_it_lists_one_row_per_report_with_sections_and_measures(world, scene):
    late = ProgressReport.objects.get(school=world.school_b, deadline=scene["may13"])
    ReportMeasure.objects.create(report=late, measure=Measure.DROPOUT, narrative="逐户家访 12 户")
    year_end = report(world.school_a, scene["dec24"], None,
                      sections={"overview": "全年开展专项行动。", "experience": "家校共育。"})

    rows, wb = export_reports(ProgressReport.objects.filter(pk__in=[late.pk, year_end.pk]))

    assert rows == 2
    ws = wb.worksheets[0]
    assert ws.title == "进度报告"
    header, first, second = values(ws)
    assert header[:8] == ["学校代码", "学校", "学校类型", "截止日期", "类型", "状态", "及时性",
                          "首次提交时间"]
    # Progress sections first, then those only the year-end summary has, then measures.
    assert header[8:15] == ["组织领导与责任落实", gettext("Results and figures"),
                            gettext("Problems"), gettext("Next steps"),
                            gettext("The year's work in brief"),
                            gettext("Practices worth sharing"), gettext("Plans for next year")]
    assert header[15:] == [str(label) for _value, label in Measure.choices]
    assert first[:8] == [world.school_b.code, "乙小学", "小学", wall(2026, 5, 13),
                         "进度报告", "已提交", "逾期", wall(2026, 5, 14, 0, 0)]
    assert first[8:12] == ["校长任组长，成立工作专班。", "开展安全教育 3 次，覆盖学生 1200 人次。",
                           "部分家长参与度不高。", "开展防溺水专题家长会。"]
    by_header = dict(zip(header, first, strict=True))
    assert by_header[str(Measure.DROPOUT.label)] == "逐户家访 12 户"
    assert by_header[str(Measure.PSYCH.label)] is None
    assert second[3:8] == [wall(2026, 12, 24), "年度工作总结", "草稿", "未到期", None]
    assert second[12] == "全年开展专项行动。"
    assert second[13] == "家校共育。"
    assert ws["H2"].is_date
    assert ws.freeze_panes == "D2"


# Every character XML 1.0 cannot carry: C0 controls but tab/newline/CR, U+FFFE,
# U+FFFF, and every lone surrogate (issue 8 item 6: one of them killed every export).
XML_ILLEGAL_CHARS = ([chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
                     + ["\ufffe", "\uffff"] + [chr(c) for c in range(0xD800, 0xE000)])


def test_no_character_can_break_an_export(world, scene):
    """A school name and report text carrying every character XML refuses: the
    timeliness matrix, the report list and the 通报's workbook are all written,
    and each such character is gone."""
    from reporting.bulletins import bulletin_draft, bulletin_workbook

    # PostgreSQL stores neither NUL nor a lone surrogate (the helper's own test
    # below covers those); every other such character goes through the database.
    poison = "".join(c for c in XML_ILLEGAL_CHARS
                     if c != "\x00" and not "\ud800" <= c <= "\udfff")
    school = SchoolFactory(bureau=world.bureau, name=f"甲{poison[:40]}乙小学")
    report(school, scene["may13"], shanghai(2026, 5, 14, 8, 0),
           sections={"organisation": f"校长{poison}任组长", "results": "x", "problems": "x",
                     "next_steps": "x"})
    _rows, wb = export_matrix(scene["campaign"], scene["campaign"].expected_schools())
    assert "甲乙小学" in [row[1] for row in values(wb.worksheets[0])]
    _rows, wb = export_reports(ProgressReport.objects.filter(school=school))
    header, row = values(wb.worksheets[0])
    assert dict(zip(header, row, strict=True))["组织领导与责任落实"] == "校长任组长"
    with time_machine.travel(shanghai(2026, 5, 20, 9, 0), tick=False):
        bulletin = bulletin_draft(deadline=scene["may13"], by=world.inspector)
    out = BytesIO()
    bulletin_workbook(bulletin, out)
    names = [r[1] for r in values(load_workbook(BytesIO(out.getvalue())).worksheets[0])]
    assert "甲乙小学" in names


@pytest.mark.parametrize("char", XML_ILLEGAL_CHARS[:31] + ["\ufffe", "\uffff", "\ud800", "\udfff"],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_the_shared_helper_drops_the_character_and_keeps_tab_newline_cr(char):
    assert safe_cell(f"甲{char}乙") == "甲乙"
    assert safe_cell("甲\t乙\n丙\r丁") == "甲\t乙\n丙\r丁"


def test_the_field_trials_pasted_section_exports(world, scene):
    """The text a school pasted in the field trial (U+FFFF inside a sentence,
    tests/reporting/field_trial/uffff_section.txt) no longer stops the report
    list export; the file holds the sentence without it."""
    pasted = (Path(__file__).parent / "field_trial" / "uffff_section.txt").read_text("utf-8")
    assert "\uffff" in pasted
    school = SchoolFactory(bureau=world.bureau, name="丁小学")
    report(school, scene["may13"], shanghai(2026, 5, 12, 8, 0),
           sections={"organisation": pasted, "results": "x", "problems": "x",
                     "next_steps": "x"})
    _rows, wb = export_reports(ProgressReport.objects.filter(school=school))
    header, row = values(wb.worksheets[0])
    assert dict(zip(header, row, strict=True))["组织领导与责任落实"] == pasted.replace(
        "\uffff", "").strip()
