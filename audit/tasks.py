"""Celery tasks of the audit trail: thin adapters over audit.retention."""

from celery import shared_task

from .retention import purge_older_than


@shared_task(name="audit.purge_expired")
def purge_expired() -> dict:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (at least 183). Safe to
    run twice: the second finds nothing older than the cut-off."""
    return {"deleted": purge_older_than()}
