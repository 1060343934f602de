"""Business actions of the reporting cycle. Views, admin actions, tasks and
commands all call these; none writes the models directly.

Lifecycle (reporting/workflows.py): draft → submitted → returned (reason
required) → resubmitted → approved; a submitted report not yet reviewed may be
withdrawn (撤回) back to a draft. Nothing is edited after submission unless
it is returned. Each change goes through the declared workflow's apply(): a
ReportTransition row with who and when, and an audit row. Services take `at=`
(default: core.clock.now()) so demo data is written as of the past without
patching the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core import clock
from core.photos import (
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
    random_storage_name,
    safe_display_name,
)
from core.workflows import InvalidTransition
from schools import access
from schools.models import Bureau, School, User

from . import followups, notices, tallies, workflows
from .access_rules import ReportingPerm
from .calendar import REPORT_DAYS, YEAR_END
from .models import (
    EDITABLE_STATUSES,
    MAX_PHOTOS_PER_REPORT,
    SECTIONS,
    Bulletin,
    Campaign,
    Deadline,
    DeadlineKind,
    DeadlineMove,
    Measure,
    ProgressReport,
    ReportMeasure,
    ReportPhoto,
    ReportStatus,
)

MAX_SECTION_CHARS = 5000


def _months(start: dt.date, end: dt.date) -> Iterable[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def deadline_dates(start_month: dt.date, end_date: dt.date) -> list[tuple[str, dt.date]]:
    """The campaign's calendar: the 13th and 24th of every month from the start
    month to the end date, and the year-end summary on 24 December."""
    dates = []
    for year, month in _months(start_month, end_date):
        for day in REPORT_DAYS:
            due = dt.date(year, month, day)
            if start_month <= due <= end_date:
                dates.append((DeadlineKind.PROGRESS, due))
        if month == YEAR_END[0]:
            due = dt.date(year, *YEAR_END)
            if start_month <= due <= end_date:
                dates.append((DeadlineKind.YEAR_END, due))
    return dates


@transaction.atomic
def campaign_create(
    *, bureau: Bureau, name: str, start_month: dt.date, end_date: dt.date,
    school_types: list[str],
) -> Campaign:
    campaign = Campaign(bureau=bureau, name=name, start_month=start_month.replace(day=1),
                        end_date=end_date, school_types=list(school_types))
    campaign.full_clean()
    campaign.save()
    campaign_generate_deadlines(campaign=campaign)
    return campaign


def campaign_generate_deadlines(*, campaign: Campaign) -> int:
    """Create the deadlines the calendar asks for; existing ones (moved or not)
    are left alone, so this may run again after the end date is extended."""
    rows = [
        Deadline(campaign=campaign, kind=kind, due_date=due, original_due_date=due)
        for kind, due in deadline_dates(campaign.start_month, campaign.end_date)
    ]
    existing = set(
        Deadline.objects.filter(campaign=campaign).values_list("kind", "original_due_date")
    )
    new = [d for d in rows if (d.kind, d.original_due_date) not in existing]
    created = Deadline.objects.bulk_create(new)
    tallies.rebuild(created)  # no reports yet, but the schools each one expects
    followups.arm_deadlines(created)
    return len(new)


def deadline_settled(deadline: Deadline, at: dt.datetime) -> bool:
    """Is the deadline part of history: its 通报 published, or its date passed
    at `at`? Moving it then revises history (issue 8 item 3)."""
    return deadline.is_closed(at) or Bulletin.objects.filter(
        deadline=deadline, status=Bulletin.Status.PUBLISHED).exists()


def deadline_move_check(*, deadline: Deadline, new_date: dt.date | None, reason: str, by: User,
                        at: dt.datetime | None = None) -> str:
    """Refuse a move `by` may not make, before anything is written; return the
    reason, stripped. The admin's form calls it to show the refusal next to
    the fields; deadline_move calls it again on the locked row.

    A deadline whose 通报 has been published or whose date has passed may be
    moved only by a bureau admin (ReportingPerm.REVISE_DEADLINE); any other
    move needs ReportingPerm.MANAGE_CAMPAIGN. Raises PermissionDenied (with a
    message saying who may) or ValidationError by field: no reason, the same
    date, an open deadline moved to a day already past (every school would be
    late at once; a closed one may be corrected after the fact), a day outside
    the campaign."""
    at = at or clock.now()
    bureau_id = deadline.campaign.bureau_id
    if deadline_settled(deadline, at):
        if not access.can_in_bureau(by, ReportingPerm.REVISE_DEADLINE, bureau_id):
            raise PermissionDenied(_(
                "This deadline's notice has been published or its date has passed: only a "
                "bureau administrator may move it, giving the reason."))
    elif not access.can_in_bureau(by, ReportingPerm.MANAGE_CAMPAIGN, bureau_id):
        raise PermissionDenied(_("Only a bureau administrator may move a deadline."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"moved_reason": _("Give the reason for moving the deadline.")})
    if new_date is None or new_date == deadline.due_date:
        raise ValidationError({"due_date": _("Choose a day other than the current one.")})
    if not deadline.is_closed(at) and new_date < clock.today(at):
        raise ValidationError({"due_date": _("An open deadline cannot be moved to a day already "
                                             "past; choose today or later.")})
    campaign = deadline.campaign
    if not campaign.start_month <= new_date <= campaign.end_date:
        raise ValidationError({"due_date": _(
            "Choose a day within the campaign (%(start)s to %(end)s).") % {
            "start": campaign.start_month.isoformat(), "end": campaign.end_date.isoformat()}})
    return reason


@transaction.atomic
def deadline_move(*, deadline: Deadline, new_date: dt.date, reason: str, by: User,
                  at: dt.datetime | None = None) -> DeadlineMove:
    """Move one deadline (a holiday, 调休, or a correction after the fact) and
    return the DeadlineMove that records it (old and new date, reason, who,
    when: every move is kept, issue 8 item 3). Its counts are redone (on time
    is measured against the new date, and the schools it expects are those in
    the campaign on that day) and its reminders re-armed for the new date. A
    published 通报 of the deadline is marked superseded by this move and says
    so. Audited as "deadline.move" (extra old, new, reason_given) and
    "bulletin.supersede" (extra old, new: the dates). Raises PermissionDenied,
    ValidationError (deadline_move_check)."""
    at = at or clock.now()
    given, deadline = deadline, Deadline.objects.select_for_update().select_related(
        "campaign").get(pk=deadline.pk)
    reason = deadline_move_check(deadline=deadline, new_date=new_date, reason=reason, by=by,
                                 at=at)
    settled = deadline_settled(deadline, at)
    previous = deadline.due_date
    move = DeadlineMove(deadline=deadline, old_date=previous, new_date=new_date, reason=reason,
                        moved_by=by, moved_at=at, revises_history=settled)
    move.full_clean()
    move.save()
    deadline.due_date = new_date
    deadline.full_clean()
    deadline.save(update_fields=["due_date", "updated_at"])
    given.due_date = new_date  # the caller's copy shows the move too
    tallies.rebuild([deadline])
    followups.deadline_moved(deadline)
    audit_record(user=by, action="deadline.move", obj=deadline, at=at, extra={
        "old": previous.isoformat(), "new": new_date.isoformat(), "reason_given": True})
    published = (Bulletin.objects.select_for_update()
                 .filter(deadline=deadline, status=Bulletin.Status.PUBLISHED).first())
    if published is not None:
        published.superseded_at, published.superseded_by = at, move
        published.save(update_fields=["superseded_at", "superseded_by", "updated_at"])
        audit_record(user=by, action="bulletin.supersede", obj=published, at=at, extra={
            "old": previous.isoformat(), "new": new_date.isoformat()})
    return move


def _editable(report: ProgressReport, by: User, *, lock: bool = True) -> ProgressReport:
    """The report (locked for the transaction unless lock=False) if `by` may
    edit it and it is a draft or returned. Raises PermissionDenied or
    ValidationError. The one guard of every edit that is not a transition."""
    if lock:
        report = workflows.REPORT.lock(report)
    else:
        report = ProgressReport.objects.select_related("school", "deadline").get(pk=report.pk)
    if not access.can(by, ReportingPerm.EDIT_REPORT, report.school):
        raise PermissionDenied
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError(_("This report has been submitted and can no longer be changed."))
    return report


@transaction.atomic
def report_start(*, school: School, deadline: Deadline, by: User) -> ProgressReport:
    """The school's report for a deadline, created as a draft on first use."""
    if not access.can(by, ReportingPerm.EDIT_REPORT, school):
        raise PermissionDenied
    report, _created = ProgressReport.objects.get_or_create(school=school, deadline=deadline)
    return report


class DraftConflict(ValidationError):
    """An autosave typed over an older version of the draft than the one saved
    (another tab or device saved since): refused, never overwriting it."""


@transaction.atomic
def report_save_draft(
    *, report: ProgressReport, by: User, sections: Mapping[str, str],
    measures: Mapping[str, str], expected_version: int | None = None,
) -> ProgressReport:
    """Keep what the school has written so far. Nothing is required yet.

    Every save raises `draft_version` by one and returns the saved (locked,
    re-read) report. With `expected_version` (an autosave: the version the
    page was typed over) a different stored version raises DraftConflict and
    nothing is written (issue 8 item 1: an autosave never overwrites a newer
    save). Raises PermissionDenied, ValidationError (not editable, too long)."""
    report = _editable(report, by)
    if expected_version is not None and report.draft_version != expected_version:
        raise DraftConflict(_(
            "This report was saved in another window or on another device after this page "
            "was opened. Autosave has stopped here so as not to overwrite it: copy what you "
            "need, then reload the page."), code="stale")
    known = {key for key, _label in SECTIONS[report.deadline.kind]}
    errors = {}
    cleaned_sections = {}
    for key, text in sections.items():
        if key not in known:
            continue  # a tampered form field: ignored, never stored
        text = (text or "").strip()
        if len(text) > MAX_SECTION_CHARS:
            errors[key] = _("Keep this section under %(n)s characters.") % {
                "n": MAX_SECTION_CHARS}
        cleaned_sections[key] = text
    cleaned_measures = {}
    for measure, narrative in measures.items():
        if measure not in Measure.values:
            continue
        narrative = (narrative or "").strip()
        if len(narrative) > MAX_SECTION_CHARS:
            errors[f"measure_{measure}"] = _("Keep this section under %(n)s characters.") % {
                "n": MAX_SECTION_CHARS}
        cleaned_measures[measure] = narrative
    if errors:
        raise ValidationError(errors)
    report.sections = cleaned_sections
    report.draft_version += 1
    report.save(update_fields=["sections", "draft_version", "updated_at"])
    report.measures.exclude(measure__in=list(cleaned_measures)).delete()
    for measure, narrative in cleaned_measures.items():
        ReportMeasure.objects.update_or_create(
            report=report, measure=measure, defaults={"narrative": narrative})
    return report


def report_missing_parts(report: ProgressReport) -> dict[str, str]:
    """What must be filled before the report can be submitted, by field."""
    missing = {}
    for key, label in SECTIONS[report.deadline.kind]:
        if not report.sections.get(key):
            missing[key] = _("Fill in “%(section)s”.") % {"section": label}
    measures = list(report.measures.all())
    if report.deadline.kind == DeadlineKind.PROGRESS and not measures:
        missing["measures"] = _("Tick at least one measure of the plan you worked on.")
    for m in measures:
        if not m.narrative:
            missing[f"measure_{m.measure}"] = _(
                "Say what was done under “%(measure)s”.") % {"measure": m.get_measure_display()}
    return missing


@transaction.atomic
def report_submit(*, report: ProgressReport, by: User,
                  at: dt.datetime | None = None, notify: bool = True) -> ProgressReport:
    """Submit a draft, or resubmit a returned report, at `at` (default now: the
    server's clock decides timeliness; a resubmission never changes the first
    submission time, a submission after a withdrawal sets it anew: see
    report_withdraw). The submitter gets a receipt (in the portal and by
    e-mail), once per submission; `notify=False` sends none, for history
    written after the fact (the demo's past submissions: a receipt weeks after
    the event tells nobody anything). Raises PermissionDenied, InvalidTransition (already
    submitted) or ValidationError naming each missing part."""
    current = workflows.REPORT.lock(report)
    name = "resubmit" if current.status == ReportStatus.RETURNED else "submit"

    def complete(locked: ProgressReport) -> None:
        missing = report_missing_parts(locked)
        if missing:
            raise ValidationError(missing)

    def stamps(locked: ProgressReport, when: dt.datetime) -> dict:
        first = {"first_submitted_at": when} if name == "submit" else {}
        return {**first, "last_submitted_at": when}

    applied = workflows.REPORT.apply(current, name, by=by, at=at, guard=complete,
                                     changes=stamps, locked=True)
    report = applied.obj
    tallies.record_change(report, tallies.marks_of(applied.before))
    if name == "resubmit":
        followups.report_resubmitted(report, at=applied.at)
    else:
        followups.report_arrived(report, at=applied.at)
    if notify:
        notices.report_received(report, applied.record, by)
    return report


@transaction.atomic
def report_withdraw(*, report: ProgressReport, by: User,
                    at: dt.datetime | None = None) -> ProgressReport:
    """撤回: the school takes back a submitted report that no inspector has
    reviewed yet (issue 8 item 5); it is a draft again, to edit and submit anew.

    Timeliness: a withdrawn submission does not count. The first (and last)
    submission time is cleared, so the report is measured by the submission
    that follows: withdrawn and submitted again before the deadline closes it
    is on time; submitted again after the deadline it is late, and until then
    it is missing once the deadline has passed — what an inspector expects,
    since a report the school took back was not in the bureau's hands. (A
    resubmission after a return keeps the first submission time: that report
    was in the bureau's hands and reviewed.)

    Tallies move with it in this transaction (it leaves the submitted and
    on-time counts, so it leaves the review queue and the digest's count too);
    the school's report-due follow-up opens again (the report is owed again:
    its reminders, or the overdue notice, are told again). The submission's
    receipt, if not sent yet, is not sent; one already sent stays (it was
    received then). Audit row: report.withdraw.

    Raises PermissionDenied (not the school's writer), InvalidTransition with a
    message saying why: already reviewed (returned, resubmitted, approved), or
    never submitted (a draft: nothing to withdraw, e.g. a second tap)."""
    current = workflows.REPORT.lock(report)
    try:
        applied = workflows.REPORT.apply(
            current, "withdraw", by=by, at=at, locked=True,
            changes=lambda locked, when: {"first_submitted_at": None,
                                          "last_submitted_at": None})
    except InvalidTransition:
        if current.status == ReportStatus.DRAFT:
            raise InvalidTransition(_("This report has not been submitted (or was already "
                                      "withdrawn), so there is nothing to withdraw.")) from None
        raise
    report = applied.obj
    tallies.record_change(report, tallies.marks_of(applied.before))
    followups.report_withdrawn(report)
    notices.report_withdrawn(report)
    return report


@transaction.atomic
def report_return(*, report: ProgressReport, by: User, reason: str,
                  at: dt.datetime | None = None, notify: bool = True) -> ProgressReport:
    """Send a submitted report back to the school, with the reason it must fix
    (required); its principal and safety officer are told, unless
    `notify=False` (history written after the fact, as report_submit). The
    revision is owed either way (its follow-up opens). Raises
    PermissionDenied, InvalidTransition, ValidationError."""
    applied = workflows.REPORT.apply(
        report, "return", by=by, reason=reason, at=at,
        changes=lambda locked, when: {"return_reason": (reason or "").strip()})
    report = applied.obj
    tallies.record_change(report, tallies.marks_of(applied.before))
    if notify:
        notices.report_returned(report, applied.record)
    followups.report_returned(report, at=applied.at)
    return report


@transaction.atomic
def report_approve(*, report: ProgressReport, by: User,
                   at: dt.datetime | None = None) -> ProgressReport:
    """Approve a submitted report. Raises PermissionDenied, InvalidTransition."""
    applied = workflows.REPORT.apply(report, "approve", by=by, at=at,
                                     changes=lambda locked, when: {"approved_at": when})
    report = applied.obj
    tallies.record_change(report, tallies.marks_of(applied.before))
    return report


@dataclass
class PhotoUpload:
    file: UploadedFile
    caption: str
    taken_on: dt.date


def report_add_photos(
    *, report: ProgressReport, by: User, uploads: list[PhotoUpload],
) -> tuple[list[ReportPhoto], list[str]]:
    """Re-encode and attach photos. Each bad file is skipped with a message
    naming it; the good ones are kept. Returns (added, messages)."""
    # Not locked: re-encoding photos takes seconds, and nothing here depends on
    # another writer (the photo count is re-read in the insert's transaction).
    report = _editable(report, by, lock=False)
    errors: list[str] = []
    processed: list[tuple[PhotoUpload, ProcessedPhoto]] = []
    for upload in uploads:
        try:
            processed.append((upload, process_photo(upload.file)))
        except PhotoRejected as exc:
            errors.append(exc.message)
    room = MAX_PHOTOS_PER_REPORT - report.photos.count()
    if len(processed) > room:
        for upload, _photo in processed[max(room, 0):]:
            errors.append(_("%(name)s was not added: a report holds at most %(n)s photos.") % {
                "name": safe_display_name(upload.file.name), "n": MAX_PHOTOS_PER_REPORT})
        processed = processed[:max(room, 0)]
    added: list[ReportPhoto] = []
    written: list[str] = []
    try:
        with transaction.atomic():
            for upload, photo in processed:
                image_name = default_storage.save(random_storage_name(), ContentFile(photo.image))
                written.append(image_name)
                thumb_name = default_storage.save(random_storage_name(),
                                                  ContentFile(photo.thumbnail))
                written.append(thumb_name)
                row = ReportPhoto(
                    report=report, image=image_name, thumbnail=thumb_name,
                    caption=upload.caption.strip()[:200], taken_on=upload.taken_on,
                    width=photo.width, height=photo.height, sha256=photo.sha256, uploaded_by=by)
                row.full_clean()
                row.save()
                added.append(row)
    except Exception:
        # A failed save (a full disk, a database error) leaves no orphan files.
        for name in written:
            default_storage.delete(name)
        raise
    return added, errors


@transaction.atomic
def report_remove_photo(*, photo: ReportPhoto, by: User) -> None:
    _editable(photo.report, by)
    names = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
