"""The outbox: one Notice row per thing the portal must tell one person.

A scan or a service writes the row in its own transaction, keyed by a dedupe key,
so running a scan twice (or on two beats) adds nothing. Delivery reads pending
rows later (notifications.services.deliver_due); nothing here needs Redis.

`context` carries only what an e-mail may say: ids, school and campaign names,
dates and a relative link path into the portal, never data about a child or
anything typed into a report (security.md G3, G5; ASVS 2.2.3). The allowed keys
are listed in CONTEXT_KEYS and enforced by the services; the e-mail templates
see nothing else, and the details stay behind the link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# key -> the JSON types its value may have. Dates are stored as ISO strings.
CONTEXT_KEYS: dict[str, tuple[type, ...]] = {
    "path": (str,),  # required: relative link into the portal, e.g. "/reports/12/"
    "school_id": (int,),
    "school_name": (str,),
    "campaign_id": (int,),
    "campaign_name": (str,),
    "deadline_id": (int,),
    "deadline_date": (str,),  # "YYYY-MM-DD"
    "report_id": (int,),
    "count": (int,),  # digest: how many items wait
    # Which reports are due (codes such as "progress", "year_end"): one message
    # may name two reports due the same day.
    "deadline_kinds": (list,),
}


class NoticeQuerySet(models.QuerySet):
    def pending(self) -> NoticeQuerySet:
        return self.filter(status=Notice.Status.PENDING)

    def due(self, at) -> NoticeQuerySet:
        """Pending notices whose next attempt is due at `at` (uses the partial index)."""
        return self.filter(status=Notice.Status.PENDING, next_attempt_at__lte=at)

    def for_recipient(self, user) -> NoticeQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Deadline reminder")
        OVERDUE = "overdue", _("Overdue notice")
        RETURNED = "returned", _("Report returned for revision")
        DIGEST = "digest", _("Summary of pending items")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Sending failed")

    key = models.CharField(
        _("dedupe key"),
        max_length=200,
        unique=True,
        help_text=_("For example overdue:DEADLINE:SCHOOL:USER (ids). "
                    "A second notice with the same key is never created."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("recipient"),
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    context = models.JSONField(
        _("context"),
        default=dict,
        blank=True,
        help_text=_("Only ids, school names, dates and a link path; never data about a child."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # An exception class and SMTP code only: SMTP error texts can quote addresses.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery scan reads only pending rows; sent ones pile up forever
            # and must not make it slower.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notice_pending_due_idx",
            ),
            models.Index(fields=["recipient", "-created_at"], name="notice_recipient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notice_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return self.key
