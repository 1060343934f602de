"""The dashboard's matrix answers "show me that report" in one tap: a cell
with a report links to it (issue 8 item 5), a cell without one links nowhere,
and the links cost no query."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.models import ProgressReport, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def scene(world):
    campaign = CampaignFactory(bureau=world.bureau)
    may13 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    approved = ProgressReportFactory(
        school=world.school_a, deadline=may13, status=ReportStatus.APPROVED,
        first_submitted_at=dt.datetime(2026, 5, 12, 9, tzinfo=SHANGHAI))
    return {"campaign": campaign, "may13": may13, "approved": approved}


def dashboard(client, **params):
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("reporting:dashboard"), params)


def cells_of(body: str, school_name: str) -> list[str]:
    row = re.search(rf"<tr><th[^>]*><a [^>]*>{school_name}</a></th>(.*?)</tr>", body, re.S)
    return re.findall(r"<td class=\"matrix-cell.*?</td>", row.group(1), re.S)


def test_a_cell_with_a_report_links_to_that_report(world, login, scene):
    body = dashboard(login(world.inspector)).content.decode()
    may13, may24 = cells_of(body, world.school_a.name)
    href = reverse("reporting:report_detail", args=[scene["approved"].code])
    assert f'href="{href}"' in may13
    assert "<a" not in may24  # no report yet for 24 May: nothing to open


def test_a_cell_without_a_report_has_no_link(world, login, scene):
    body = dashboard(login(world.inspector)).content.decode()
    assert all("<a" not in cell for cell in cells_of(body, world.school_b.name))


def test_a_draft_is_a_report_too_and_its_cell_opens_it(world, login, scene):
    draft = ProgressReportFactory(school=world.school_b, deadline=scene["may13"])
    body = dashboard(login(world.inspector)).content.decode()
    href = reverse("reporting:report_detail", args=[draft.code])
    assert f'href="{href}"' in cells_of(body, world.school_b.name)[0]


def test_the_links_cost_no_query_however_many_reports_there_are(world, login, scene):
    client = login(world.inspector)
    dashboard(client)
    with CaptureQueriesContext(connection) as few:
        dashboard(client)
    for school in SchoolFactory.create_batch(30, bureau=world.bureau):
        ProgressReportFactory(school=school, deadline=scene["may13"],
                              status=ReportStatus.SUBMITTED,
                              first_submitted_at=dt.datetime(2026, 5, 13, 9, tzinfo=SHANGHAI))
    with CaptureQueriesContext(connection) as many:
        response = dashboard(client)
    assert len(many) == len(few)
    links = {m for m in re.findall(r'href="(/[^"]*reports/[0-9a-f-]{36}/)"',
                                   response.content.decode())}
    assert len(links) == ProgressReport.objects.count() == 31
