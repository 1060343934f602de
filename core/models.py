"""Abstract models every app builds on. No table of its own lives here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import clock


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TransitionRecord(models.Model):
    """One state change of a record with a lifecycle, written by
    core.workflows.Workflow.apply and never changed afterwards. A domain's
    concrete model adds the foreign key to its record (named by the workflow's
    `subject_field`) and, if it likes, choices for the states."""

    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
        help_text=_("Empty when the system made the change (a scheduled job)."),
    )
    at = models.DateTimeField(_("at"), default=clock.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
