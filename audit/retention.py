"""Retention of the audit trail: rows are kept at least six months
(Cybersecurity Law Art. 21), then may be purged.

The purge is the one DELETE the append-only trigger lets through (migration
0005): inside a transaction that has said ``SET LOCAL audit.purge = 'on'``, and
only of rows older than 183 days, checked by the database itself. Here the
cut-off is AUDIT_RETENTION_DAYS (default 365); asking for fewer than
MIN_RETENTION_DAYS is refused before anything is deleted.

Run monthly by beat (audit/schedules.py → audit.purge_expired), or by hand:
``manage.py purge_audit --older-than-days 400``. Each purge leaves a row of its
own ("audit.purge": how many rows, the cut-off date).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction

from core import clock

from . import actions
from .models import AuditEvent
from .services import audit_record

MIN_RETENTION_DAYS = 183  # six months of any length; the trigger checks the same
BATCH = 5_000


class RetentionTooShort(ValueError):
    """A purge asked to delete rows younger than MIN_RETENTION_DAYS."""


def retention_days() -> int:
    return int(getattr(settings, "AUDIT_RETENTION_DAYS", 365))


def _purge_switch(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.purge', %s, true)", [value])


def purge_older_than(days: int | None = None, *, at: dt.datetime | None = None,
                     batch: int = BATCH) -> int:
    """Delete audit rows older than `days` (default AUDIT_RETENTION_DAYS) before
    `at` (default now) and return how many went. Deletes in batches, each in
    its own transaction, so a long purge does not hold one huge lock.

    Raises RetentionTooShort when `days` < MIN_RETENTION_DAYS (nothing is
    deleted), and the database's error if it refuses a row (on PostgreSQL a row
    younger than 183 days by the database's clock).
    """
    days = retention_days() if days is None else int(days)
    if days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(
            f"audit rows are kept at least {MIN_RETENTION_DAYS} days; asked for {days}")
    cutoff = (at or clock.now()) - dt.timedelta(days=days)
    total = 0
    while True:
        with transaction.atomic():
            _purge_switch("on")
            try:
                ids = list(AuditEvent.objects.filter(at__lt=cutoff).order_by("id")
                           .values_list("id", flat=True)[:batch])
                if ids:
                    total += AuditEvent.objects.filter(id__in=ids).delete()[0]
            finally:
                # SET LOCAL lasts to the end of the outermost transaction: when
                # the purge runs inside a caller's, switch it off again now.
                _purge_switch("off")
        if not ids:
            break
    audit_record(user=None, action=actions.AUDIT_PURGE.code, target=f"before {cutoff:%Y-%m-%d}",
                 extra={"rows": total}, at=at)
    return total
