from celery import shared_task
from django.core import management

# Security logs are kept at least six months (Cybersecurity Law Art. 21).
SECURITY_LOG_RETENTION_DAYS = 200


@shared_task(name="schools.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Expired sessions pile up in the database; Django does not remove them."""
    management.call_command("clearsessions")


@shared_task(name="schools.prune_login_logs")
def prune_login_logs() -> None:
    """Drop sign-in logs older than the retention period."""
    management.call_command("axes_reset_logs", age=SECURITY_LOG_RETENTION_DAYS)
    management.call_command("axes_reset_failure_logs", age=SECURITY_LOG_RETENTION_DAYS)


@shared_task(name="schools.abandon_expired_roster_uploads")
def abandon_expired_roster_uploads() -> int:
    """Roster files uploaded for a preview that nobody confirmed within 24 hours
    are abandoned and their files deleted: a roster names children, and is kept
    no longer than the import needs. Returns how many (no names in the result)."""
    from .roster.uploads import abandon_expired

    return abandon_expired()


@shared_task(name="schools.refresh_pupil_counts")
def refresh_pupil_counts() -> int:
    """Recount every school's kept pupil counts for the new day (circumstances
    begin and end by date without being saved), so that the bureau's first
    view of the 重点群体统计 page in the morning costs one row per school.
    Returns the schools recounted (counts only, no child)."""
    from .pupil_counts import refresh_counts

    return refresh_counts()
