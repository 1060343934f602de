"""The audit trail: who read or changed which sensitive record, or was refused.

Rows hold references and outcomes, never the sensitive data itself (ASVS 8.3.5):
the record is named by its model label and public code (`target_type`,
`target_code`; never a name), `extra` holds only the fixed keys of EXTRA_KEYS
(statuses, dates, roles: no personal data). `target` keeps free-form references
that are not a record (the URL path of a refused page).

They are append-only: on PostgreSQL a trigger refuses UPDATE and DELETE, so not
even a bug in the application can rewrite history. The one exception is the
retention purge (audit.retention): a DELETE in a transaction that has said
``SET LOCAL audit.purge = 'on'`` of rows older than 183 days (Cybersecurity Law
Art. 21: logs kept at least six months).

Foreign keys are PROTECT: a person or school with audit rows cannot be deleted
(deactivate them instead). SET_NULL would be an UPDATE the trigger refuses
anyway, and `username` keeps the person's name as it was when they acted.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import clock

# The only keys `extra` may hold (audit.services checks): old/new values of a
# change (statuses, dates), the permission refused, the role granted or
# revoked, the user it concerns (id), a reason's presence (never its text),
# an export's filters and row count, a kind (of export job or notice), a group
# robot's platform and whether it is enabled (never its webhook URL or secret).
# Every string in it is cut at audit.services.MAX_EXTRA_CHARS characters.
# key -> its label (the export and the page show it in this order).
EXTRA_LABELS = {
    "old": _("Old value"),
    "new": _("New value"),
    "permission": _("Permission"),
    "role": _("Role"),
    "subject_user": _("Person concerned (user id)"),
    "reason_given": _("Reason given"),
    "filters": _("Filters"),
    "rows": _("Rows"),
    "kind": _("Kind"),
    "platform": _("Platform"),
    "enabled": _("Enabled"),
}
EXTRA_KEYS = frozenset(EXTRA_LABELS)


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept apart from the FK so the row names the person as they were.
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("record type"), max_length=100, blank=True)
    target_code = models.CharField(_("record code"), max_length=64, blank=True)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    target = models.CharField(_("reference"), max_length=200, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["school", "action", "at"], name="audit_school_action_at"),
            models.Index(fields=["target_type", "target_code"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.record_ref}"

    @property
    def record_ref(self) -> str:
        """"<type>:<code>" for a record, else the free-form reference."""
        if self.target_type:
            return f"{self.target_type}:{self.target_code}"
        return self.target
