"""The late-school notice (通报): drafted from the data, worded, published."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from reporting import bulletins
from reporting.models import Bulletin, ReportStatus
from schools.models import Role, SchoolType
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory, bureau_member

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def deadline(world):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 13, 12, tzinfo=SHANGHAI))
    ProgressReportFactory(school=world.school_b, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 14, 9, tzinfo=SHANGHAI))
    SchoolFactory(bureau=world.bureau, name="丙幼儿园")
    SchoolFactory(bureau=world.bureau, name="停办小学", is_open=False)
    return deadline


def test_the_draft_names_late_and_missing_schools_and_nothing_else(world, deadline):
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    f = item.figures
    assert (f["expected"], f["on_time"], f["late"], f["missing"]) == (
        3, ["甲小学"], ["乙小学"], ["丙幼儿园"])
    assert "3" in item.body
    assert "2026年5月13日" in item.title
    assert set(f) == {"expected", "submitted", "on_time", "late", "missing", "on_time_rate"}


def test_opening_it_twice_keeps_one_draft_with_fresh_figures(world, deadline):
    bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    ProgressReportFactory(school=world.school_c, deadline=deadline)  # another district
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    assert Bulletin.objects.count() == 1
    assert item.figures["expected"] == 3


def test_a_published_notice_is_frozen(world, deadline):
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    bulletins.bulletin_publish(bulletin=item, by=world.inspector)
    late_school = SchoolFactory(bureau=world.bureau, name="新办小学")
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector)
    assert late_school.name not in item.figures["missing"]
    with pytest.raises(ValidationError):
        bulletins.bulletin_edit(bulletin=item, by=world.inspector, title="改", body="改",
                                remedy_by=None)


def test_no_notice_before_the_deadline_has_passed(world):
    future = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                             due_date=dt.date(2999, 5, 13))
    with pytest.raises(ValidationError):
        bulletins.bulletin_draft(deadline=future, by=world.inspector)


def test_the_notice_can_be_drafted_from_midnight_after_the_due_date(world, deadline, at):
    with pytest.raises(ValidationError):
        bulletins.bulletin_draft(deadline=deadline, by=world.inspector,
                                 at=at("2026-05-13 23:59:59"))
    item = bulletins.bulletin_draft(deadline=deadline, by=world.inspector,
                                    at=at("2026-05-14 00:00:00"))
    assert item.figures["expected"] == 3


def test_an_inspector_of_another_district_writes_no_notice(world, deadline):
    neighbour = bureau_member(world.other_bureau, Role.INSPECTOR, username="c-inspector")
    with pytest.raises(PermissionDenied):
        bulletins.bulletin_draft(deadline=deadline, by=neighbour)
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize("who", ["principal", "auditor", "foreign_principal"])
def test_only_reviewers_of_the_district_write_notices(world, deadline, who):
    with pytest.raises(PermissionDenied):
        bulletins.bulletin_draft(deadline=deadline, by=getattr(world, who))


@time_machine.travel(dt.datetime(2026, 5, 15, 9, tzinfo=SHANGHAI), tick=False)
def test_the_inspector_edits_and_publishes_from_the_page(world, deadline, login):
    client = login(world.inspector)
    url = reverse("reporting:bulletin", args=[deadline.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "关于5月13日进度报告报送情况的通报",
                                 "body": "现将情况通报如下。请于2026年5月20日前补报。",
                                 "remedy_by": "2026-05-20", "publish": ""})
    assert response.status_code == 302
    item = Bulletin.objects.get()
    assert (item.status, item.title, item.published_by) == (
        "published", "关于5月13日进度报告报送情况的通报", world.inspector)
    page = client.get(url).content.decode()
    assert "乙小学" in page
    assert "丙幼儿园" in page


def test_an_empty_title_is_an_error_and_the_wording_is_kept(world, deadline, login):
    client = login(world.inspector)
    url = reverse("reporting:bulletin", args=[deadline.pk])
    client.get(url)
    response = client.post(url, {"title": "", "body": "我写的正文", "save": ""})
    assert response.status_code == 400
    assert "我写的正文" in response.content.decode()


def test_the_excel_file_lists_the_late_and_missing_schools(world, deadline, login):
    from openpyxl import load_workbook

    client = login(world.inspector)
    client.get(reverse("reporting:bulletin", args=[deadline.pk]))
    response = client.get(reverse("reporting:bulletin_xlsx", args=[deadline.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [tuple(c for c in row if c is not None) for row in wb.active.iter_rows(
        values_only=True)]
    assert ("逾期", "乙小学") in rows
    assert ("未报", "丙幼儿园") in rows


def test_the_notice_counts_the_last_second_of_the_due_date_on_time_and_midnight_late(world, at):
    """security.md G13 through the 通报 itself, not only through the rule."""
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                               due_date=dt.date(2026, 5, 13))
    for school, moment in ((world.school_a, "2026-05-13 23:59:59"),
                           (world.school_b, "2026-05-14 00:00:00")):
        ProgressReportFactory(school=school, deadline=deadline, status=ReportStatus.SUBMITTED,
                              first_submitted_at=at(moment))
    figures = bulletins.bulletin_figures(deadline)
    assert (figures["on_time"], figures["late"], figures["missing"]) == (
        ["甲小学"], ["乙小学"], [])
    assert figures["on_time_rate"] == 50.0


@pytest.mark.parametrize("outsider", [
    {"is_open": False},
    {"in_campaign": False},
    {"school_type": SchoolType.KINDERGARTEN},
], ids=["closed", "out_of_the_campaign", "type_out_of_scope"])
def test_the_notice_ignores_schools_out_of_the_campaign_or_its_types(world, at, outsider):
    campaign = CampaignFactory(bureau=world.bureau,
                               school_types=[SchoolType.PRIMARY, SchoolType.JUNIOR])
    deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    outside = SchoolFactory(bureau=world.bureau, name="不在范围学校",
                            **{"school_type": SchoolType.PRIMARY, **outsider})
    # Neither a late report nor none at all puts it in the notice.
    ProgressReportFactory(school=outside, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=at("2026-05-15 09:00"))
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=at("2026-05-13 09:00"))
    figures = bulletins.bulletin_figures(deadline)
    assert (figures["expected"], figures["submitted"]) == (2, 1)
    assert (figures["on_time"], figures["late"], figures["missing"]) == (
        ["甲小学"], [], ["乙小学"])
    assert world.school_c.name not in figures["missing"]  # another district
