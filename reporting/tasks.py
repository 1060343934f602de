"""Celery tasks of the reporting cycle: thin adapters over services. Celery's
Django fixup closes stale database connections around every task."""

from celery import shared_task

from . import followups, notices, tallies


@shared_task(name="reporting.scan_notices")
def scan_notices() -> dict:
    """The inspectors' digests (reminders and overdue notices are follow-up
    steps). Safe to run twice or on two beats at once: each notice's dedupe key
    lets it exist once."""
    return {"digests": notices.scan().digests}


@shared_task(name="reporting.check_tallies")
def check_tallies() -> dict:
    """Recount the dashboard's tallies from the reports. They are kept exact by
    the services; this finds (logs) and repairs a drift from writes that went
    around them, such as a bulk UPDATE in a shell."""
    deadlines, wrong = tallies.rebuild_all()
    return {"deadlines": deadlines, "wrong_rows": wrong}


@shared_task(name="reporting.run_export", acks_late=True, ignore_result=True)
def run_export(job_id: int) -> None:
    """Run one export job. A duplicate message (a lost ack, a sweep's re-kick)
    finds the job claimed and returns."""
    from .export_jobs import export_run

    export_run(job_id)


@shared_task(name="reporting.arm_followups", ignore_result=True)
def arm_followups() -> dict:
    """Open the report-due follow-ups missing for deadlines within reach
    (idempotent; the services open them as they go, this catches writes that
    went around them)."""
    from core import clock

    from .followup_kinds import CATCH_UP
    from .models import Deadline

    today = clock.today()
    recent = Deadline.objects.filter(due_date__gte=today - CATCH_UP).select_related("campaign")
    return {"opened": followups.arm_deadlines(recent)}


@shared_task(name="reporting.sweep_exports", ignore_result=True)
def sweep_exports() -> dict:
    """Queue again the export jobs a lost kick or a dead worker left behind
    (the job rows are the queue). Safe on two beats at once."""
    from .export_jobs import export_sweep

    return export_sweep().as_dict()
