"""One row per thing that is due.

A FollowUp is about a subject (a record of some app, named by its model label
and public code, never by a name), belongs to a school, is of a registered
kind, and is due at an instant. Who must act is the row's `assignee` if set,
else the kind's roles at the school. `next_notice_at` is when the next
escalation step fires (None: nothing more to say); `step` is that step's index
and `arm` counts re-arming (a moved due time), so each (follow-up, arm, step)
is told once. The scan reads only open rows with a next notice, through a
partial index, so done and cancelled rows piling up never slow it down.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from schools.models import School


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        return self.filter(state=FollowUp.State.OPEN)

    def for_subject(self, subject_type: str, subject_code: str) -> FollowUpQuerySet:
        return self.filter(subject_type=subject_type, subject_code=str(subject_code))

    def notice_due(self, at: dt.datetime) -> FollowUpQuerySet:
        """Open rows whose next step fires at or before `at` (the partial index)."""
        return self.filter(state=FollowUp.State.OPEN, next_notice_at__lte=at)


class FollowUp(TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=60)
    subject_type = models.CharField(_("record type"), max_length=60)
    subject_code = models.CharField(_("record"), max_length=64)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("who must act"),
        help_text=_("Empty: the kind's roles at the school."),
    )
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.OPEN)
    step = models.PositiveSmallIntegerField(_("next step"), default=0)
    arm = models.PositiveIntegerField(_("times armed"), default=0)
    next_notice_at = models.DateTimeField(_("next notice at"), null=True, blank=True)
    # Values the kind's wording may use: ids, dates, names of schools. Never a
    # child's data (it would reach e-mails and group messages).
    data = models.JSONField(_("data"), default=dict, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("closed by"),
    )

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "id"]
        indexes = [
            # The scan: open rows with a step to fire, in firing order (its
            # ORDER BY next_notice_at, id: with id in the index a batch is read
            # off the index, not sorted from every due row; at 50,000 rows due
            # at one instant that sort was redone for each batch). Done and
            # cancelled rows are not in the index at all.
            models.Index(fields=["next_notice_at", "id"],
                         condition=Q(state="open", next_notice_at__isnull=False),
                         name="followup_notice_due_idx"),
            models.Index(fields=["subject_type", "subject_code"], name="followup_subject_idx"),
            # 我的待办: a school's open follow-ups, by due time.
            models.Index(fields=["school", "due_at"], condition=Q(state="open"),
                         name="followup_school_open_idx"),
        ]
        constraints = [
            # One open follow-up of a kind per subject: opening twice is a no-op.
            models.UniqueConstraint(fields=["kind", "subject_type", "subject_code"],
                                    condition=Q(state="open"),
                                    name="followup_open_once_per_subject"),
            models.CheckConstraint(condition=Q(state="open") | Q(closed_at__isnull=False),
                                   name="followup_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_code}"
