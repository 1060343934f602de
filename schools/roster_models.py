"""An uploaded roster kept between its preview and its confirmation (issue 9
item 3). The file lies in private storage (MEDIA_ROOT, outside the static
root, under a random name: never the uploader's file name) and is read again
for the confirmation, so what is committed is what was previewed (sha256 and
the plan's fingerprint). An upload is good for EXPIRES_AFTER; then, or once
committed or abandoned, it can no longer be confirmed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import clock

# How long a preview can be confirmed (issue 9 item 3: 24 hours).
EXPIRES_AFTER = dt.timedelta(hours=24)


class RosterUploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    COMMITTED = "committed", _("Imported")
    ABANDONED = "abandoned", _("Abandoned")


def roster_storage_name(ext: str) -> str:
    """rosters/YYYY/MM/<uuid4>.<ext>: the user's file name never reaches storage."""
    today = clock.today()
    return f"rosters/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{ext}"


class RosterUpload(models.Model):
    """One roster file a school uploaded to import."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE,
                               related_name="roster_uploads", verbose_name=_("school"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=clock.now)
    file = models.FileField(_("file"), max_length=200)
    # "xlsx" or "csv": what the reader is told the file is (not the user's name).
    file_kind = models.CharField(_("kind of file"), max_length=10)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    full_roster = models.BooleanField(_("full roster"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=RosterUploadStatus.choices,
                              default=RosterUploadStatus.PENDING)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The counts of a committed import (new/changed/left/…), never a name.
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="roster_upload_status_idx")]

    def __str__(self) -> str:
        return f"roster_upload:{self.code}"

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + EXPIRES_AFTER

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        return (at or clock.now()) >= self.expires_at
