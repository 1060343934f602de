"""The scan, as a thin Celery task (every minute, followups/schedules.py)."""

from celery import shared_task

from . import services


@shared_task(name="followups.scan_followups", ignore_result=True)
def scan_followups() -> dict:
    """Fire the escalation steps that are due. Safe to run twice or on two
    beats at once: rows are claimed under SKIP LOCKED and each notice has a
    dedupe key per (follow-up, arm, step, recipient)."""
    result = services.scan()
    return {"claimed": result.claimed, "told": result.told, "notices": result.notices}
