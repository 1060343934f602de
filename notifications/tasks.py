"""Celery side of the outbox: a thin periodic task and the after-commit kick.

The task takes no arguments: the rows are the queue. Running it twice, on two
workers, or again after Redis redelivers it (acks_late) sends nothing twice,
because each notice is locked, sent and marked sent in one transaction.
"""

import logging

from celery import shared_task
from django.db import OperationalError, close_old_connections, transaction

from core.publish import fire_and_forget

logger = logging.getLogger("safety_portal.notifications")


@shared_task(
    name="notifications.deliver_notices",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    # Every countdown stays far below the Redis visibility timeout (1 h), or a
    # waiting retry is redelivered and runs twice (security.md §1.5).
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    # Nobody reads the count it returns (the worker logs it): no result backend,
    # so publishing it never touches Redis' result channel.
    ignore_result=True,
)
def deliver_notices(batch: int = 50) -> int:
    """Send the pending notices that are due, then the pending group robot
    messages (up to `batch` of each); returns how many e-mails were sent."""
    from .robots import deliver_group_due
    from .services import deliver_due

    # A connection left broken by a database restart fails once, not forever.
    _close_old_connections()
    try:
        sent = deliver_due(batch=batch)
        deliver_group_due(batch=batch)
        return sent
    finally:
        _close_old_connections()


def _close_old_connections() -> None:
    # An eager run (the test settings) happens inside the caller's transaction,
    # which Django would take for a stale connection and close.
    if not transaction.get_connection().in_atomic_block:
        close_old_connections()


def kick_delivery() -> bool:
    """Ask a worker to deliver now. Called after commit; one quick attempt, never
    raises and never waits on a dead broker (core.publish): the periodic run
    (every minute) sends the notice anyway."""
    return fire_and_forget(deliver_notices, label="notice delivery", log=logger,
                           fallback="the periodic delivery run will send it")
