"""Every download of the reporting cycle is named in Chinese with Asia/Shanghai
time, sent as RFC 5987 filename* with an ASCII fallback (issue 8 item 5)."""

import datetime as dt
import io

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from reporting.export_jobs import download_names
from reporting.models import ExportJob, ReportStatus
from tests.core.test_downloads import names_in
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db
# 01:30 UTC is 09:30 the same day in Shanghai.
MADE = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def campaign(world):
    world.bureau.code = "QX-01"
    world.bureau.save()
    campaign = CampaignFactory(bureau=world.bureau)
    deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    return campaign


@pytest.mark.parametrize(("kind", "name", "fallback"), [
    ("timeliness", "报送及时情况表_示例区教育和体育局_20261201-0930.xlsx",
     "timeliness_QX-01_20261201-0930.xlsx"),
    ("reports", "报告清单_示例区教育和体育局_20261201-0930.xlsx",
     "reports_QX-01_20261201-0930.xlsx"),
])
def test_an_export_downloads_under_its_chinese_name(world, login, campaign, kind, name,
                                                    fallback):
    client = login(world.inspector)
    with time_machine.travel(MADE, tick=False), \
            TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("reporting:export_start"), {"campaign": campaign.pk, "kind": kind})
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE
    with time_machine.travel(MADE + dt.timedelta(minutes=10), tick=False):  # downloaded later
        response = client.get(reverse("reporting:export_download", args=[job.code]))
    assert names_in(response["Content-Disposition"]) == (fallback, name)
    b"".join(response.streaming_content)


def test_the_name_follows_the_readers_language(world, campaign):
    job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                   requested_by=world.inspector, status="done",
                                   finished_at=MADE)
    with translation.override("en"):
        name, _fallback = download_names(job)
    assert name == "Timeliness matrix_示例区教育和体育局_20261201-0930.xlsx"


def test_the_notice_excel_is_named_by_its_bureau_and_deadline(world, login, campaign):
    deadline = campaign.deadlines.get()
    client = login(world.inspector)
    client.get(reverse("reporting:bulletin", args=[deadline.pk]))
    response = client.get(reverse("reporting:bulletin_xlsx", args=[deadline.pk]))
    assert names_in(response["Content-Disposition"]) == (
        "tongbao_QX-01_20260513.xlsx", "通报_示例区教育和体育局_20260513.xlsx")
    b"".join(response.streaming_content)


def test_the_audit_log_is_named_in_chinese_with_shanghai_time(world, login):
    with time_machine.travel(MADE, tick=False):
        response = login(world.auditor).get(reverse("audit:event_export"))
    assert response.status_code == 200
    assert names_in(response["Content-Disposition"]) == (
        "audit-log_20261201-0930.xlsx", "审计日志_20261201-0930.xlsx")
    assert io.BytesIO(b"".join(response.streaming_content)).getvalue()[:2] == b"PK"
