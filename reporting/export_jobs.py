"""Exports that may be large run in a Celery worker; the page shows progress.

The job row is the queue (an outbox, architecture.md "Lists, filters and
exports"). Recording a job needs only the database; after commit we *try* to
queue `run_export` (core.publish: one quick attempt, never waits on Redis). The
sweep (`reporting.sweep_exports`, every minute) does the rest:

- a PENDING job untouched for PENDING_GRACE (its kick was lost, or Redis was
  down when it was recorded) is queued again;
- a RUNNING job whose heartbeat (`updated_at`, written by every progress step)
  is older than settings.EXPORT_STALE_SECONDS lost its worker: it goes back to
  PENDING for another run, or to FAILED ("interrupted") once it has had
  EXPORT_MAX_ATTEMPTS runs.

Only one worker runs a job: the job's lifecycle is a declared workflow
(reporting.workflows.EXPORT_JOB): the claim locks the row and moves it from
PENDING to RUNNING, and every later transition of a run checks that run's
attempt number on the locked row, so a worker that wakes up after its job was
handed to another changes nothing. Progress writes are conditional UPDATEs on
the same attempt number. At run time the job re-checks what its owner may see now: an owner
deactivated, or no longer holding a bureau role that may view the district,
gets a FAILED job ("access") and no file.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core import clock, downloads
from core.publish import fire_and_forget
from core.workflows import InvalidTransition
from schools import access
from schools.access_rules import SchoolsPerm as Perm
from schools.models import School, User

from . import exports, workflows
from .access_rules import ReportingPerm
from .models import Campaign, ExportJob, ProgressReport

logger = logging.getLogger("safety_portal.reporting")

# A PENDING job this old was not picked up by its kick: queue it again.
PENDING_GRACE = timedelta(seconds=30)
# Jobs queued again per sweep; the rest wait for the next minute.
SWEEP_BATCH = 100


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "EXPORT_STALE_SECONDS", 600))


def max_attempts() -> int:
    return getattr(settings, "EXPORT_MAX_ATTEMPTS", 3)


def may_export(user: User, campaign: Campaign) -> bool:
    """May `user` export this campaign's data now? (At start and again at run time.)"""
    return access.has_perm(user, Perm.VIEW_DISTRICT) and \
        campaign.bureau_id in access.bureaus_for(user, ReportingPerm.VIEW_CAMPAIGN)


def export_start(*, user: User, campaign: Campaign, kind: str) -> ExportJob:
    if not may_export(user, campaign):
        raise PermissionDenied
    job = ExportJob.objects.create(kind=ExportJob.Kind(kind), campaign=campaign,
                                   requested_by=user)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> bool:
    from .tasks import run_export

    return fire_and_forget(run_export, job_id, label=f"export {job_id}", log=logger,
                           fallback="the export sweep queues it within a minute")


def download_names(job: ExportJob) -> tuple[str, str]:
    """(name, ASCII fallback) of a finished export's file: what it holds, the
    bureau and when it was made, in the reader's language and Asia/Shanghai
    time (issue 8 item 5), e.g. 报送及时情况表_示例区教育和体育局_20261201-0930.xlsx
    and timeliness_<bureau code>_20261201-0930.xlsx."""
    bureau = job.campaign.bureau
    made = downloads.stamp(job.finished_at or job.created_at)
    return (downloads.file_name(job.get_kind_display(), bureau.name, made, ext="xlsx"),
            f"{job.kind}_{bureau.code}_{made}.xlsx")


# ------------------------------------------------------------------ one run


def export_claim(job_id: int, *, now: datetime | None = None) -> int | None:
    """Take a PENDING job for this run; returns the run's attempt number, or None
    when another worker has it (or it is finished, or gone)."""
    now = now or clock.now()
    try:
        with transaction.atomic():
            applied = workflows.EXPORT_JOB.apply(
                ExportJob(pk=job_id), "claim", by=None, at=now,
                changes=lambda job, when: {"attempts": job.attempts + 1, "started_at": when,
                                           "updated_at": when, "done": 0, "total": 0})
    except (InvalidTransition, ExportJob.DoesNotExist):
        return None
    return applied.obj.attempts


class _LostJob(ValidationError):
    """The job was handed to another run meanwhile."""


def _end_run(job_id: int, attempt: int, transition: str, **fields) -> bool:
    """Apply `transition` (finish, fail) for this run; False when the job is no
    longer this run's (the sweep gave it to another) or no longer running."""
    def same_run(job: ExportJob) -> None:
        if job.attempts != attempt:
            raise _LostJob("lost")

    now = clock.now()
    try:
        with transaction.atomic():
            workflows.EXPORT_JOB.apply(
                ExportJob(pk=job_id), transition, by=None, at=now, guard=same_run,
                changes=lambda job, when: {**fields, "finished_at": when, "updated_at": when})
    except (InvalidTransition, _LostJob):
        return False
    return True


def _this_run(job_id: int, attempt: int):
    """The job, if it is still this run's: the progress writes of a run that lost
    its job to the sweep change nothing."""
    return ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING,
                                    attempts=attempt)


def _fail(job_id: int, attempt: int, failure: str) -> None:
    _end_run(job_id, attempt, "fail", failure=failure)


def export_run(job_id: int) -> None:
    """Write the workbook, reporting progress on the job row after each chunk.
    The data is scoped to what the requester may see, checked again now."""
    attempt = export_claim(job_id)
    if attempt is None:
        return  # taken by another worker (a redelivered task), or finished
    job = ExportJob.objects.select_related("campaign", "requested_by").get(pk=job_id)
    user = job.requested_by
    if not may_export(user, job.campaign):
        logger.warning("export %s stopped: its owner (user %s) may no longer see it",
                       job.pk, user.pk)
        _fail(job.pk, attempt, ExportJob.Failure.ACCESS)
        return

    def progress(done: int, total: int) -> None:
        _this_run(job.pk, attempt).update(done=done, total=total, updated_at=timezone.now())

    name = f"exports/{job.code}.xlsx"
    try:
        with tempfile.TemporaryFile() as out:
            if job.kind == ExportJob.Kind.TIMELINESS:
                schools = job.campaign.expected_schools().filter(
                    pk__in=School.objects.visible_to(user))
                exports.write_timeliness_workbook(campaign=job.campaign, schools=schools,
                                                  out=out, progress=progress)
            else:
                reports = ProgressReport.objects.visible_to(user).filter(
                    deadline__campaign=job.campaign).exclude(first_submitted_at=None)
                exports.write_report_list_workbook(reports=reports, out=out,
                                                   progress=progress)
            out.seek(0)
            # A run killed after saving left this file; the new run replaces it.
            if default_storage.exists(name):
                default_storage.delete(name)
            name = default_storage.save(name, File(out))
    except Exception:
        logger.exception("export %s failed", job.pk)
        _fail(job.pk, attempt, ExportJob.Failure.ERROR)
        raise
    finished = _end_run(job.pk, attempt, "finish", file=name)
    if not finished:  # the sweep gave the job to another run meanwhile
        logger.warning("export %s: run %s finished after losing the job", job.pk, attempt)


# ------------------------------------------------------------------ the sweep


@dataclass
class SweepResult:
    requeued: int = 0  # RUNNING jobs whose worker died, put back to PENDING
    failed: int = 0  # of those, the ones out of attempts
    kicked: int = 0  # PENDING jobs queued again

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "failed": self.failed, "kicked": self.kicked}


def _recover(job_id: int, cutoff: datetime, now: datetime) -> str | None:
    """Put one job whose worker died back to PENDING, or FAILED once it has had
    its attempts. Re-checked on the locked row: a heartbeat that arrived since
    the sweep looked leaves the job alone. Returns the transition applied."""
    def still_stale(job: ExportJob) -> None:
        if job.updated_at >= cutoff:
            raise _LostJob("alive")

    out_of_attempts = ExportJob.objects.filter(
        pk=job_id, attempts__gte=max_attempts()).exists()
    name = "fail" if out_of_attempts else "requeue"
    if name == "fail":
        def fields(job, when):
            return {"failure": ExportJob.Failure.INTERRUPTED, "finished_at": when,
                    "updated_at": when}
    else:
        def fields(job, when):
            # Due for a kick at once (the PENDING grace has already passed).
            return {"updated_at": when - PENDING_GRACE}
    try:
        with transaction.atomic():
            workflows.EXPORT_JOB.apply(ExportJob(pk=job_id), name, by=None, at=now,
                                       guard=still_stale, changes=fields)
    except (InvalidTransition, _LostJob, ExportJob.DoesNotExist):
        return None
    return name


def export_sweep(*, now: datetime | None = None, kick=None) -> SweepResult:
    """Recover the jobs a lost broker message or a dead worker left behind.
    Safe to run twice or on two beats: every change is a workflow transition on
    a locked row that re-checks its condition, or a conditional UPDATE."""
    now = now or timezone.now()
    kick = kick or _enqueue
    result = SweepResult()
    cutoff = now - stale_after()
    stale = list(ExportJob.objects.filter(status=ExportJob.Status.RUNNING,
                                          updated_at__lt=cutoff)
                 .values_list("pk", flat=True)[:SWEEP_BATCH])
    for job_id in stale:
        outcome = _recover(job_id, cutoff, now)
        if outcome == "fail":
            result.failed += 1
        elif outcome == "requeue":
            result.requeued += 1
    if result.failed or result.requeued:
        logger.warning("export sweep: %s jobs lost their worker and were queued again, "
                       "%s failed after %s attempts",
                       result.requeued, result.failed, max_attempts())
    waiting = list(ExportJob.objects.filter(
        status=ExportJob.Status.PENDING, updated_at__lte=now - PENDING_GRACE,
    ).order_by("updated_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for job_id in waiting:
        # Touched first: the next sweep leaves it alone for PENDING_GRACE, so a
        # busy queue gets at most one extra message per job a minute (and a
        # duplicate finds the job claimed and returns).
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
            updated_at=now)
        if kick(job_id):
            result.kicked += 1
    return result
