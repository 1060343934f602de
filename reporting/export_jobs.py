"""Exports that may be large run in a Celery worker; the page shows progress."""

from __future__ import annotations

import logging
import tempfile

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from schools import access
from schools.access_rules import SchoolsPerm as Perm
from schools.models import School, User

from . import exports
from .access_rules import ReportingPerm
from .models import Campaign, ExportJob, ProgressReport

logger = logging.getLogger("safety_portal.reporting")


def export_start(*, user: User, campaign: Campaign, kind: str) -> ExportJob:
    if not access.has_perm(user, Perm.VIEW_DISTRICT) or \
            campaign.bureau_id not in access.bureaus_for(user, ReportingPerm.VIEW_CAMPAIGN):
        raise PermissionDenied
    job = ExportJob.objects.create(kind=ExportJob.Kind(kind), campaign=campaign,
                                   requested_by=user)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_export

    try:
        run_export.delay(job_id)
    except Exception:  # noqa: BLE001 - a broker outage must not fail the request
        logger.warning("export %s could not be queued; it stays waiting", job_id)


def export_run(job_id: int) -> None:
    """Write the workbook, reporting progress on the job row after each chunk.
    The data is scoped to what the requester may see, checked again now."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING)
    if not claimed:
        return  # already taken by another worker (a redelivered task)
    job = ExportJob.objects.select_related("campaign", "requested_by").get(pk=job_id)
    user = job.requested_by

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=done, total=total)

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
            name = default_storage.save(f"exports/{job.code}.xlsx", File(out))
    except Exception:
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED,
                                                   finished_at=timezone.now())
        raise
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE, file=name,
                                               finished_at=timezone.now())
