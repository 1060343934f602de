"""Exports in the background: progress while it runs, the file for its owner only."""

import datetime as dt
import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from reporting.models import ExportJob, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def campaign(world):
    campaign = CampaignFactory(bureau=world.bureau)
    deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    return campaign


def start(client, campaign, kind="timeliness"):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the worker runs eagerly
        return client.post(reverse("reporting:export_start"),
                           {"campaign": campaign.pk, "kind": kind})


def test_the_inspector_starts_an_export_waits_and_downloads_it(world, login, campaign):
    client = login(world.inspector)
    response = start(client, campaign)
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("reporting:export", args=[job.code])
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    page = client.get(response["Location"]).content.decode()
    assert "下载 Excel 文件" in page
    download = client.get(reverse("reporting:export_download", args=[job.code]))
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    names = [row[1] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names == ["甲小学", "乙小学"]  # the other district's school is not in it


def test_the_report_list_export_holds_only_submitted_reports(world, login, campaign):
    start(login(world.inspector), campaign, kind="reports")
    job = ExportJob.objects.get()
    assert job.total == 1


def test_a_running_export_refreshes_itself(world, login, campaign):
    job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                   requested_by=world.inspector, status="running", done=1,
                                   total=4)
    body = login(world.inspector).get(reverse("reporting:export", args=[job.code])).content
    assert b'http-equiv="refresh"' in body
    assert b"progress-25" in body


def test_someone_elses_export_is_not_found(world, login, campaign):
    start(login(world.inspector), campaign)
    job = ExportJob.objects.get()
    other = login(world.bureau_admin)
    assert other.get(reverse("reporting:export", args=[job.code])).status_code == 404
    assert other.get(reverse("reporting:export_download", args=[job.code])).status_code == 404


def test_an_export_of_another_districts_campaign_is_refused(world, login):
    foreign = CampaignFactory(bureau=world.other_bureau)
    response = start(login(world.inspector), foreign)
    assert response.status_code == 302
    assert not ExportJob.objects.exists()


def test_a_redelivered_task_does_not_run_the_export_twice(world, campaign):
    from reporting.export_jobs import export_run

    job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                   requested_by=world.inspector)
    export_run(job.pk)
    first = ExportJob.objects.get().file.name
    export_run(job.pk)
    assert ExportJob.objects.get().file.name == first
