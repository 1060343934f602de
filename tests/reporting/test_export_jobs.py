"""Exports in the background: progress while it runs, the file for its owner only."""

import datetime as dt
import io
import time

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from reporting import export_jobs
from reporting.export_jobs import PENDING_GRACE, export_claim, export_run, export_sweep
from reporting.models import ExportJob, ReportStatus
from schools.models import Membership, Role, User
from tests.dead_broker import celery_app_on, closed_port
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


class TestAnExportNoWorkerPicksUp:
    """With no worker running (runserver alone) a queued export says so after
    90 seconds instead of sitting at 排队中 0% with no hint."""

    def page(self, world, login, job):
        return login(world.inspector).get(reverse("reporting:export", args=[job.code])).content

    def test_a_job_queued_for_a_minute_and_a_half_is_not_yet_called_stalled(
            self, world, login, campaign):
        job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                       requested_by=world.inspector)
        assert not job.is_stalled(at=job.created_at + dt.timedelta(seconds=90))
        assert b"export-stalled" not in self.page(world, login, job)

    def test_a_job_still_queued_after_that_tells_the_inspector_why(self, world, login, campaign):
        job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                       requested_by=world.inspector)
        ExportJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - dt.timedelta(seconds=91))
        job.refresh_from_db()
        assert job.is_stalled()
        body = self.page(world, login, job).decode()
        assert "后台任务进程可能未运行" in body
        assert 'http-equiv="refresh"' in body  # it keeps looking

    def test_a_running_job_is_never_called_stalled(self, world, campaign):
        job = ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                       requested_by=world.inspector, status="running")
        assert not job.is_stalled(at=job.created_at + dt.timedelta(hours=1))


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


# ---------------------------------------------------------------- the job row is the queue


def aged(job, seconds):
    """Make the job's last sign of life `seconds` old."""
    ExportJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - dt.timedelta(seconds=seconds))
    job.refresh_from_db()
    return job


def job_for(world, campaign, **fields):
    return ExportJob.objects.create(kind="timeliness", campaign=campaign,
                                    requested_by=world.inspector, **fields)


def test_an_export_recorded_while_redis_is_down_runs_when_it_is_back(world, login, campaign):
    client = login(world.inspector)
    with closed_port() as port, celery_app_on(f"redis://127.0.0.1:{port}/0"):
        started = time.monotonic()
        response = start(client, campaign)
        took = time.monotonic() - started
    assert took < 1.0, f"the export start waited {took:.1f} s on the dead broker"
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("reporting:export", args=[job.code])
    assert job.status == "pending"
    assert b'http-equiv="refresh"' in client.get(response["Location"]).content

    # Redis is back (eager in this process): the sweep queues the waiting job.
    assert export_sweep().kicked == 0  # not yet: its kick may still be on the way
    result = export_sweep(now=timezone.now() + PENDING_GRACE)
    assert result.kicked == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.total) == ("done", 1, 2)
    assert job.file.name


def test_a_waiting_job_is_queued_again_at_most_once_per_grace_period(world, campaign):
    job = job_for(world, campaign)
    kicks = []

    def kick(job_id):
        kicks.append(job_id)
        return True  # queued, but no worker has picked it up yet

    later = timezone.now() + PENDING_GRACE
    assert export_sweep(now=later, kick=kick).kicked == 1
    assert export_sweep(now=later + dt.timedelta(seconds=10), kick=kick).kicked == 0
    assert export_sweep(now=later + PENDING_GRACE, kick=kick).kicked == 1
    assert kicks == [job.pk, job.pk]


def test_a_job_whose_worker_died_runs_again(world, campaign, settings):
    job = aged(job_for(world, campaign, status="running", attempts=1, done=1, total=2),
               settings.EXPORT_STALE_SECONDS + 1)
    result = export_sweep()
    assert (result.requeued, result.kicked) == (1, 1)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done) == ("done", 2, 2)


def test_a_running_job_that_shows_signs_of_life_is_left_alone(world, campaign, settings):
    job = aged(job_for(world, campaign, status="running", attempts=1),
               settings.EXPORT_STALE_SECONDS - 60)
    assert export_sweep().as_dict() == {"requeued": 0, "failed": 0, "kicked": 0}
    job.refresh_from_db()
    assert job.status == "running"


def test_a_job_that_lost_its_worker_three_times_fails_visibly(world, login, campaign,
                                                              settings):
    job = aged(job_for(world, campaign, status="running", attempts=3),
               settings.EXPORT_STALE_SECONDS + 1)
    assert export_sweep().failed == 1
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "interrupted")
    assert job.finished_at is not None
    page = login(world.inspector).get(reverse("reporting:export", args=[job.code]))
    body = page.content.decode()
    assert b'http-equiv="refresh"' not in page.content
    with translation.override(settings.LANGUAGE_CODE):
        assert str(ExportJob.Failure.INTERRUPTED.label) in body
    assert "导出失败" in body


def test_only_one_worker_claims_a_job(world, campaign):
    job = job_for(world, campaign)
    assert export_claim(job.pk) == 1
    assert export_claim(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert job.started_at is not None


def test_a_run_that_lost_its_job_to_the_sweep_changes_nothing(world, campaign, settings):
    job = job_for(world, campaign)
    first = export_claim(job.pk)
    aged(job, settings.EXPORT_STALE_SECONDS + 1)
    export_sweep()  # the first worker looks dead: run 2 takes the job and finishes
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    # The first worker wakes up and fails: the finished job stays finished.
    export_jobs._fail(job.pk, first, ExportJob.Failure.ERROR)
    job.refresh_from_db()
    assert (job.status, job.failure) == ("done", "")


def test_an_owner_whose_bureau_role_ended_gets_no_file(world, login, campaign, settings):
    job = job_for(world, campaign)
    Membership.objects.filter(user=world.inspector).update(is_active=False)
    export_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure, job.file.name) == ("failed", "access", "")
    assert not default_storage.exists(f"exports/{job.code}.xlsx")
    Membership.objects.filter(user=world.inspector).update(is_active=True)
    body = login(world.inspector).get(reverse("reporting:export", args=[job.code])).content
    with translation.override(settings.LANGUAGE_CODE):
        assert str(ExportJob.Failure.ACCESS.label) in body.decode()


def test_a_run_that_lost_its_job_to_a_run_still_going_changes_nothing(world, campaign,
                                                                      settings):
    job = job_for(world, campaign)
    first = export_claim(job.pk)
    aged(job, settings.EXPORT_STALE_SECONDS + 1)
    export_sweep(kick=lambda job_id: True)  # queued again; no worker has it yet
    second = export_claim(job.pk)
    assert (first, second) == (1, 2)
    export_jobs._fail(job.pk, first, ExportJob.Failure.ERROR)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.failure) == ("running", 2, "")


def test_a_run_that_wakes_after_its_job_was_given_up_changes_nothing(world, campaign,
                                                                     settings, monkeypatch):
    job = job_for(world, campaign, attempts=2)  # the last run allowed starts

    def stalls_until_the_sweep_gives_up(**kwargs):
        aged(job, settings.EXPORT_STALE_SECONDS + 1)
        assert export_sweep().failed == 1

    monkeypatch.setattr(export_jobs.exports, "write_timeliness_workbook",
                        stalls_until_the_sweep_gives_up)
    export_run(job.pk)  # then the worker comes back and saves its file
    job.refresh_from_db()
    assert (job.status, job.failure, job.file.name) == ("failed", "interrupted", "")


def owner_runs_after(world, campaign, **membership_change):
    job = job_for(world, campaign)
    Membership.objects.filter(user=world.inspector).update(**membership_change)
    export_run(job.pk)
    job.refresh_from_db()
    return job


def test_an_owner_who_is_now_the_auditor_gets_no_file(world, campaign):
    # The auditor knows the campaign exists, but may not view the district.
    job = owner_runs_after(world, campaign, role=Role.AUDITOR)
    assert (job.status, job.failure, job.file.name) == ("failed", "access", "")
    assert not default_storage.exists(f"exports/{job.code}.xlsx")


def test_an_owner_moved_to_another_district_gets_no_file(world, campaign):
    job = owner_runs_after(world, campaign, bureau=world.other_bureau)
    assert (job.status, job.failure, job.file.name) == ("failed", "access", "")
    assert not default_storage.exists(f"exports/{job.code}.xlsx")


def test_a_deactivated_owner_gets_no_file(world, campaign):
    job = job_for(world, campaign)
    User.objects.filter(pk=world.inspector.pk).update(is_active=False)
    export_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure, job.file.name) == ("failed", "access", "")
    assert not default_storage.exists(f"exports/{job.code}.xlsx")


def test_progress_is_the_heartbeat(world, campaign, monkeypatch):
    job = aged(job_for(world, campaign), 120)
    beats = []
    real = export_jobs.exports.write_timeliness_workbook

    def spy(*, progress, **kwargs):
        def beating(done, total):
            progress(done, total)
            beats.append(ExportJob.objects.get(pk=job.pk).updated_at)

        return real(progress=beating, **kwargs)

    monkeypatch.setattr(export_jobs.exports, "write_timeliness_workbook", spy)
    export_run(job.pk)
    assert beats
    assert all(beat > job.updated_at for beat in beats)


def test_the_sweep_runs_every_minute_under_a_registered_task():
    from reporting.schedules import SCHEDULES
    from safety_portal.celery import app

    task, cron = SCHEDULES["Recover waiting and stalled exports"]
    assert (task, cron) == ("reporting.sweep_exports", {"minute": "*"})
    assert task in app.tasks


def test_a_live_job_is_never_taken_for_dead(settings):
    """The longest a live run goes without a heartbeat is the task's time limit
    (a chunk of rows takes well under a second); stale must be longer."""
    assert settings.EXPORT_STALE_SECONDS > settings.CELERY_TASK_TIME_LIMIT
