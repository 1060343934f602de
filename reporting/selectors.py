"""Read-only functions other apps' pages may call."""

from __future__ import annotations

from django.utils import timezone

from .calendar import DueDate, next_due_date


def next_deadline() -> DueDate:
    return next_due_date(timezone.localdate())
