"""Keeping an uploaded roster between its preview and its confirmation, and
confirming it (issue 9 item 3). Views and commands call these.

The file is read once at upload (a file the reader refuses is never stored),
kept in private storage under a random name (schools.roster_models), read again
for each preview and for the confirmation, and deleted once the import is
committed or the upload abandoned or expired (24 h). A confirmation is taken
only from the person who uploaded, for a pending upload that has not expired,
and only when the preview they saw is still what the import would do (the
plan's fingerprint).
"""

from __future__ import annotations

import hashlib
import re

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock

from ..roster_models import RosterUpload, RosterUploadStatus, roster_storage_name
from .plan import RosterPlan, StalePlan, commit_import, plan_import
from .table import RosterFileError, RosterTable

# What a school may upload at most (the reader's own limit, issue 9 item 3).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


class UploadRefused(Exception):
    """A confirmation that cannot be taken. `reason` is "not_yours",
    "finished", "expired" or "stale"; `status` the HTTP status a page answers
    with; `message` a translated sentence saying what to do."""

    STATUS = {"not_yours": 403, "finished": 409, "expired": 410, "stale": 409}

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = self.STATUS[reason]


def _kind(filename: str) -> str:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    return ext if re.fullmatch(r"[a-z0-9]{1,8}", ext) else "bin"


def read(data: bytes, kind: str) -> RosterTable:
    """The reader (schools.roster.reader.read_roster) on `data`, told only
    the kind of file ("roster.xlsx"), never the user's file name. Raises
    RosterFileError."""
    from .plan import field_label
    from .reader import missing_required, read_roster

    table = read_roster(data, f"roster.{kind}", max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    missing = missing_required(table)
    if missing:
        raise RosterFileError("no_header", _(
            "The roster has no column for: %(fields)s. Add the column with its heading "
            "(as in the template) and upload again.") % {
            "fields": ", ".join(field_label(f) for f in missing)})
    return table


def store_upload(*, school, by, uploaded, full_roster: bool) -> RosterUpload:
    """Read `uploaded` (a Django UploadedFile) and, if the reader takes it,
    keep it as a pending RosterUpload. Raises RosterFileError (nothing kept)."""
    if uploaded.size is not None and uploaded.size > MAX_BYTES:
        raise RosterFileError("too_large", _(
            "The file is larger than %(mb)s MB. Keep only the roster sheet and save it "
            "again.") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = uploaded.read(MAX_BYTES + 1)
    kind = _kind(uploaded.name or "")
    read(data, kind)
    name = default_storage.save(roster_storage_name(kind), ContentFile(data))
    return RosterUpload.objects.create(
        school=school, uploaded_by=by, file=name, file_kind=kind,
        sha256=hashlib.sha256(data).hexdigest(), full_roster=full_roster)


def plan_for(upload: RosterUpload, *, today=None) -> RosterPlan:
    """The plan of a kept upload, read again from storage. Raises
    RosterFileError when the file cannot be read any more."""
    with default_storage.open(upload.file.name, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise RosterFileError("corrupt", _("The stored file has changed: upload it again."))
    return plan_import(read(data, upload.file_kind), upload.school,
                       full_roster=upload.full_roster, today=today,
                       file_sha256=upload.sha256)


def check_open(upload: RosterUpload, by) -> None:
    """Raise UploadRefused unless `by` may still confirm `upload`."""
    if upload.uploaded_by_id != by.pk:
        raise UploadRefused("not_yours", _(
            "Only the person who uploaded this file can confirm its import. Upload the "
            "file yourself to import it."))
    if upload.status != RosterUploadStatus.PENDING:
        raise UploadRefused("finished", _(
            "This file has already been imported or abandoned; nothing was changed. "
            "Upload the file again to import it once more."))
    if upload.is_expired():
        raise UploadRefused("expired", _(
            "This preview is more than 24 hours old and has expired; nothing was changed. "
            "Upload the file again."))


def _forget_file(name: str) -> None:
    transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def confirm_upload(upload: RosterUpload, *, by, fingerprint: str, leave: dict | None,
                   include_hidden: bool, request=None):
    """Import a kept upload as previewed: the person who uploaded it, while
    pending and not expired, with the fingerprint of the preview they saw.
    Returns the ImportResult. Raises UploadRefused ("not_yours", "finished",
    "expired", "stale"), RosterHasErrors, LeaveNotChosen (a pupil missing
    from a full roster without a choice in `leave`), RosterFileError;
    nothing is written then."""
    upload = RosterUpload.objects.select_for_update().get(pk=upload.pk)
    check_open(upload, by)
    plan = plan_for(upload)
    if plan.fingerprint != fingerprint:
        raise UploadRefused("stale", _(
            "The roster has changed since this preview (someone else imported or edited "
            "pupils); nothing was changed. Look at the new preview and confirm again."))
    try:
        result = commit_import(plan, by=by, leave=leave, include_hidden=include_hidden,
                               every_leave_chosen=True, request=request)
    except StalePlan:
        raise UploadRefused("stale", _(
            "The roster has changed since this preview; nothing was changed. Look at the "
            "new preview and confirm again.")) from None
    upload.status = RosterUploadStatus.COMMITTED
    upload.finished_at = clock.now()
    upload.result = result.as_dict()
    upload.save(update_fields=["status", "finished_at", "result"])
    _forget_file(upload.file.name)
    return result


def abandon_expired(at=None) -> int:
    """Mark pending uploads older than 24 h abandoned and delete their files;
    return how many."""
    from ..roster_models import EXPIRES_AFTER

    at = at or clock.now()
    stale = list(RosterUpload.objects.filter(status=RosterUploadStatus.PENDING,
                                             created_at__lte=at - EXPIRES_AFTER))
    with transaction.atomic():
        for upload in stale:
            _forget_file(upload.file.name)
        RosterUpload.objects.filter(pk__in=[u.pk for u in stale]).update(
            status=RosterUploadStatus.ABANDONED, finished_at=at)
    return len(stale)
