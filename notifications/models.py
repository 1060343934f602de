"""The outbox: one Notice row per thing the portal must tell one person.

A scan or a service writes the row in its own transaction, keyed by a dedupe key,
so running a scan twice (or on two beats) adds nothing. Delivery reads pending
rows later (notifications.services.deliver_due); nothing here needs Redis.

`context` carries only what an e-mail may say: ids, school and campaign names,
dates and a relative link path into the portal, never data about a child or
anything typed into a report (security.md G3, G5; ASVS 2.2.3). Which keys a
notice may carry is declared by its kind (notifications.kinds, registered by
each app) and enforced by the services; the e-mail templates see nothing else,
and the details stay behind the link.

`subject_type`/`subject_code` name the record a notice is about (a model label
and its public code or id as text), so a notice whose reason has gone is
cancelled through an index, not by searching the JSON context.

A school's group robot (企业微信/钉钉) hears of a notice once per school and per
(kind, subject), not once per recipient: GroupMessage is that outbox, delivered
by the same periodic task (notifications.robots).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Sending failed")


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
    Status = DeliveryStatus

    key = models.CharField(
        _("dedupe key"),
        max_length=200,
        unique=True,
        help_text=_("For example overdue:DEADLINE:SCHOOL:USER (ids). "
                    "A second notice with the same key is never created."),
    )
    # No database choices: the kinds are registered by the apps (notifications.kinds).
    kind = models.CharField(_("kind"), max_length=40)
    subject_type = models.CharField(
        _("subject type"), max_length=100, blank=True,
        help_text=_("The model label of the record the notice is about."))
    subject_code = models.CharField(
        _("subject code"), max_length=100, blank=True,
        help_text=_("The public code or id of the record the notice is about."))
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
            # notice_cancel_for: the pending notices about one record.
            models.Index(fields=["subject_type", "subject_code", "status"],
                         name="notice_subject_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notice_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def kind_label(self) -> str:
        from .kinds import label_of

        return label_of(self.kind)


class GroupRobot(models.Model):
    """A school's group chat robot, set up by its principal.

    The webhook URL and the secret are credentials (the WeCom URL's ``key`` is
    the whole secret): they are never logged, never shown back in full, and
    ``__str__`` names neither.
    """

    class Platform(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk custom robot (钉钉)")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE,
                               related_name="group_robots", verbose_name=_("school"))
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    # DingTalk's signing secret ("SEC..."); empty when the robot does not sign.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["school", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["school", "platform"],
                                    name="grouprobot_one_per_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} #{self.pk}"


class GroupMessageQuerySet(models.QuerySet):
    def due(self, at) -> GroupMessageQuerySet:
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=at)


class GroupMessage(models.Model):
    """One message to one school's group robot: the group channel's outbox row.

    Written in the transaction that enqueues the notices it stands for (one per
    school and (kind, subject), whatever the number of recipients). ``context``
    holds only the kind's ``group_keys`` and the link path: what is not
    whitelisted is never stored here, so it can never reach a group chat.
    """

    Status = DeliveryStatus

    key = models.CharField(_("dedupe key"), max_length=200,
                           help_text=_("Unique per robot, e.g. overdue:7:3 (kind and subject)."))
    robot = models.ForeignKey(GroupRobot, on_delete=models.CASCADE, related_name="messages",
                              verbose_name=_("group robot"))
    kind = models.CharField(_("kind"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_code = models.CharField(_("subject code"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    context = models.JSONField(_("context"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # An exception class, HTTP status or the platform's errcode: never the URL.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    objects = GroupMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("group message")
        verbose_name_plural = _("group messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"),
                         name="groupmsg_pending_due_idx"),
            models.Index(fields=["subject_type", "subject_code", "status"],
                         name="groupmsg_subject_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["robot", "key"], name="groupmsg_one_per_robot_key"),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False),
                                   name="groupmsg_sent_has_sent_at"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def kind_label(self) -> str:
        from .kinds import label_of

        return label_of(self.kind)
