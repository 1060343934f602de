"""Business actions of mandatory reporting (issue 10 items 1–2). Views, tasks
and commands call these; none writes the models directly.

Every action checks the access layer, writes in one transaction with its
chronology entry, its follow-ups and its notices (the outbox), and is
announced to audit by code only (incidents/audit_actions.py). Nothing of what
was seen, no name and no receipt number goes into an audit row, a notice or
a log line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from core.photos import PhotoRejected, process_photo, random_storage_name, safe_display_name
from core.signals import announce as _announce
from followups.models import FollowUp
from followups.services import followup_cancel, followup_complete, followup_open
from notifications.services import NoticeDraft, notice_enqueue_many
from schools import access
from schools.models import Membership, Pupil, PupilStatus, Role, School, SchoolClass
from schools.school_year import current_school_year
from schools.services import membership_designate

from .access_rules import IncidentsPerm
from .followup_kinds import LEADS, POLICE_REPORT, REFERRAL_REVIEW
from .models import (
    MAX_ATTACHMENTS_PER_REFERRAL,
    Agency,
    AgencyReport,
    ChronologyEntry,
    ChronologyKind,
    Concern,
    Referral,
    ReferralAttachment,
    ReferralState,
    ReportMethod,
    Situation,
)
from .notice_kinds import CONCERN_LOGGED, CONCERN_SUBJECT, REFERRAL_SUBJECT
from .workflows import REFERRAL

# An ID-card number (GB 11643: 17 digits and a check character) must not be
# written about a child (issue 9: no 身份证号 is stored).
ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# A concern sent again with the same words within this many seconds is the
# same concern (a double tap on a phone).
REPEAT_WINDOW_SECONDS = 600




def police_report_due(detected_at: dt.datetime) -> dt.datetime:
    """When the report to the police is due: `detected_at` plus
    settings.INCIDENTS_POLICE_REPORT_HOURS (default 24). The law's word is
    立即 (2020 Opinion Art. 4; 未成年人保护法 Art. 11): this is the bureau's
    outer limit, and the dashboard shows every referral's actual gap."""
    return detected_at + dt.timedelta(hours=settings.INCIDENTS_POLICE_REPORT_HOURS)


def _leads_of(school_id: int) -> list[int]:
    """Ids of the people told of a concern at once: the school's
    mandatory-reporting leads and principal (active)."""
    return sorted(set(Membership.objects.active().filter(
        school_id=school_id, role__in=LEADS).values_list("user_id", flat=True)))


# ------------------------------------------------------------------ concerns


@transaction.atomic
def concern_log(*, school: School, by, observed: str, observed_at: dt.datetime,
                pupil: Pupil | None = None, child_description: str = "",
                child_words: str = "", place: str = "", immediate_actions: str = "",
                at: dt.datetime | None = None, notify: bool = True,
                request=None) -> Concern:
    """Log a concern at `school` (issue 10 item 1): about `pupil` (a pupil of
    that school the logger may know of) or, for a child not on the roll,
    `child_description` (at most 200 characters) — exactly one of the two.
    `observed` (required, at most 4000 characters) in objective words;
    `observed_at` not in the future; no ID-card number in the description.
    `at` is the logging time (default now); it is also the detection time the
    police-report clock runs from. The same `observed` and `observed_at` sent
    again by the same person within REPEAT_WINDOW_SECONDS returns the first
    concern and tells nobody again.

    In the same transaction: the school's leads and principal get a notice
    ("a record needs your attention", incidents.concern), and the follow-up
    incidents.police_report opens, due police_report_due(at). Raises
    PermissionDenied when `by` may not log concerns at `school`
    (incidents.log_concern), ValidationError keyed by field otherwise."""
    if not access.can(by, IncidentsPerm.LOG_CONCERN, school):
        raise PermissionDenied
    at = at or clock.now()
    errors: dict[str, str] = {}
    observed = (observed or "").strip()
    child_description = (child_description or "").strip()
    if not observed:
        errors["observed"] = _("Say what you saw or heard.")
    if pupil is not None and child_description:
        errors["child_description"] = _(
            "Choose a pupil or describe a child not on the roll, not both.")
    elif pupil is None and not child_description:
        errors["pupil"] = _("Choose the pupil, or describe the child if they are not on the "
                            "school's roll.")
    elif pupil is not None and pupil.school_id != school.pk:
        errors["pupil"] = _("This pupil is not on the school's roll.")
    if ID_CARD.search(child_description):
        errors["child_description"] = _("Do not write an ID-card number here.")
    if observed_at is None:
        errors["observed_at"] = _("Say when it happened.")
    elif observed_at > at:
        errors["observed_at"] = _("The time cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    repeat = Concern.objects.filter(
        school=school, logged_by=by, observed=observed, observed_at=observed_at,
        logged_at__gte=at - dt.timedelta(seconds=REPEAT_WINDOW_SECONDS)).first()
    if repeat is not None:
        # The same words sent twice (a double tap, a resend on a bad
        # network): the first is the concern, and nobody is told twice.
        return repeat
    concern = Concern(school=school, pupil=pupil, child_description=child_description,
                      observed=observed, child_words=(child_words or "").strip(),
                      observed_at=observed_at, place=(place or "").strip(),
                      immediate_actions=(immediate_actions or "").strip(),
                      logged_by=by, logged_at=at)
    concern.full_clean()
    concern.save()
    followup_open(kind=POLICE_REPORT, subject_code=str(concern.code), school_id=school.pk,
                  due_at=police_report_due(at), data={"school_id": school.pk})
    if notify:
        _tell_leads(concern)
    _announce("concern.log", by=by, obj=concern, school_id=school.pk, request=request)
    return concern


def _tell_leads(concern: Concern) -> None:
    school = concern.school
    notice_enqueue_many(
        NoticeDraft(key=f"incidents.concern:{concern.code}:{user_id}",
                    kind=CONCERN_LOGGED.name, recipient_id=user_id,
                    context={"school_name": school.name,
                             "path": reverse("incidents:concern_detail",
                                             args=[concern.code])},
                    subject=(CONCERN_SUBJECT, str(concern.code)))
        for user_id in _leads_of(school.pk))


def concern_child(*, school: School, school_class_id: int | None, name: str,
                  details: str = "") -> tuple[Pupil | None, str]:
    """Who a concern is about, from what a member of staff can say from a
    phone without seeing the roster: the class (one of `school`'s classes this
    school year, or None), the child's `name` and free `details`. Returns
    (pupil, "") when exactly one enrolled pupil of that class has that name
    (spaces ignored), else (None, description) — the name, the class and the
    details joined, at most 200 characters. The logger is never told which:
    the page says the same either way, so nobody learns from it who is on the
    roll (security.md G3). No class, no match: a name alone may fit several
    children."""
    name = "".join((name or "").split())
    details = " ".join((details or "").split())
    school_class = None
    if school_class_id:
        school_class = SchoolClass.objects.filter(
            pk=school_class_id, school=school,
            school_year=current_school_year()).first()
    if school_class is not None and name:
        matches = list(Pupil.objects.filter(
            school=school, current_class=school_class, status=PupilStatus.ENROLLED,
            name=name)[:2])
        if len(matches) == 1:
            return matches[0], ""
    parts = [part for part in (name, str(school_class) if school_class else "", details)
             if part]
    return None, "，".join(parts)[:200]


# ------------------------------------------------------------------ designations


@dataclass(frozen=True)
class StaffMember:
    """One person of a school as the designation page lists them: the user,
    the labels of their roles there (the designation left out) and whether
    they are a mandatory-reporting lead."""

    user: object
    roles: tuple[str, ...]
    is_lead: bool

    @property
    def pk(self) -> int:
        return self.user.pk

    @property
    def name(self) -> str:
        return self.user.full_name or self.user.username


def school_staff_for_designation(school: School) -> list[StaffMember]:
    """The people of `school` a principal may designate as leads: every user
    with an active role there other than the designation itself, by name
    (one query)."""
    roles: dict[int, list[str]] = {}
    leads: set[int] = set()
    users: dict[int, object] = {}
    for membership in Membership.objects.active().filter(school=school) \
            .select_related("user").order_by("user__full_name", "user__username", "role"):
        users.setdefault(membership.user_id, membership.user)
        if membership.role == Role.REPORTING_LEAD:
            leads.add(membership.user_id)
        else:
            roles.setdefault(membership.user_id, []).append(membership.get_role_display())
    return [StaffMember(user=user, roles=tuple(roles[pk]), is_lead=pk in leads)
            for pk, user in users.items() if pk in roles]


@transaction.atomic
def reporting_leads_set(*, school: School, user_ids: Iterable[int], by,
                        request=None) -> int:
    """Make exactly `user_ids` (members of `school`'s staff) its
    mandatory-reporting leads (强制报告负责人; issue 10 item 1: "a designation
    given by the principal"): those chosen get the designation, the others
    lose it. The principal is told of every concern whether designated or
    not. Each change is a role grant or revoke in the audit trail. Returns
    how many changed. Raises PermissionDenied unless `by` holds
    incidents.designate_lead at `school`; ValidationError({"leads": …}) when
    an id is not one of the school's staff (nothing changes)."""
    if not access.can(by, IncidentsPerm.DESIGNATE_LEAD, school):
        raise PermissionDenied
    chosen = {int(pk) for pk in user_ids}
    staff = {person.pk: person for person in school_staff_for_designation(school)}
    if chosen - set(staff):
        raise ValidationError({"leads": _("Choose among the school's staff.")})
    return sum(
        membership_designate(school=school, user=person.user, role=Role.REPORTING_LEAD,
                             held=pk in chosen, by=by, request=request)
        for pk, person in staff.items())


# ------------------------------------------------------------------ referrals


def _chronicle(referral: Referral, kind: str, text: str, *, by, at: dt.datetime) -> None:
    ChronologyEntry.objects.create(referral=referral, kind=kind, text=text, by=by, at=at)


def _clean_situations(situations: Iterable[str]) -> list[str]:
    chosen = sorted({str(s) for s in situations or []})
    if not chosen or set(chosen) - set(Situation.values):
        raise ValidationError({"situations": _("Choose at least one situation.")})
    return chosen


@transaction.atomic
def referral_open(*, concern: Concern, situations: Iterable[str], by,
                  at: dt.datetime | None = None, request=None) -> Referral:
    """Open the referral of `concern` (one per concern), with the situations
    of the 2020 Opinion Art. 4 (Situation values, at least one). Detected at
    the concern's logging time. Raises PermissionDenied unless `by` holds
    incidents.manage_referral at the concern's school, ValidationError
    ({"situations": …}) or ({"concern": …}) when it already has one."""
    if not access.can(by, IncidentsPerm.MANAGE_REFERRAL, concern.school):
        raise PermissionDenied
    chosen = _clean_situations(situations)
    at = at or clock.now()
    Concern.objects.select_for_update().get(pk=concern.pk)
    if Referral.objects.filter(concern=concern).exists():
        raise ValidationError({"concern": _("This concern already has a referral.")})
    referral = Referral.objects.create(
        school_id=concern.school_id, concern=concern, situations=chosen,
        detected_at=concern.logged_at, opened_by=by)
    _chronicle(referral, ChronologyKind.CONCERN, _("Concern logged"), by=concern.logged_by,
               at=concern.logged_at)
    _chronicle(referral, ChronologyKind.OPENED, _("Referral opened"), by=by, at=at)
    _announce("referral.open", by=by, obj=referral, school_id=concern.school_id,
              request=request)
    return referral


@transaction.atomic
def referral_record_report(*, referral: Referral, agency: str, reported_at: dt.datetime,
                           receiving_unit: str, method: str, officer: str = "",
                           receipt_number: str = "", by, at: dt.datetime | None = None,
                           request=None) -> AgencyReport:
    """Record a report made to a department (Agency value) at `reported_at`
    (not in the future, not more than a day before the concern was logged:
    calling 110 comes first), to
    `receiving_unit` (required), by `method` (ReportMethod value), with the
    officer and receipt number if known. Adds it to the chronology. The first
    report of a DETECTED referral moves it to REPORTED; the first report to
    the police sets police_reported_at and completes the police-report
    follow-up. Raises PermissionDenied (incidents.manage_referral),
    ValidationError keyed by field, InvalidTransition for a closed referral."""
    at = at or clock.now()
    locked = REFERRAL.lock(referral)
    if not access.allows(by, IncidentsPerm.MANAGE_REFERRAL, locked):
        raise PermissionDenied
    if locked.state == ReferralState.CLOSED:
        raise ValidationError({"referral": _("This referral is closed.")})
    errors: dict[str, str] = {}
    if agency not in Agency.values:
        errors["agency"] = _("Choose the department.")
    if method not in ReportMethod.values:
        errors["method"] = _("Choose how it was reported.")
    if not (receiving_unit or "").strip():
        errors["receiving_unit"] = _("Name the unit that received the report.")
    if reported_at is None:
        errors["reported_at"] = _("Give the time of the report.")
    elif reported_at > at:
        errors["reported_at"] = _("The time cannot be in the future.")
    elif reported_at < locked.detected_at - dt.timedelta(days=1):
        # Calling 110 first and logging after is right (the page says so);
        # a report a day before the concern was logged is a typing mistake.
        errors["reported_at"] = _("The report cannot be more than a day before the concern "
                                  "was logged.")
    if errors:
        raise ValidationError(errors)
    report = AgencyReport(referral=locked, agency=agency, reported_at=reported_at,
                          receiving_unit=receiving_unit.strip(), method=method,
                          officer=(officer or "").strip(),
                          receipt_number=(receipt_number or "").strip(),
                          recorded_by=by, recorded_at=at)
    report.full_clean()
    report.save()
    _chronicle(locked, ChronologyKind.REPORT, _("Reported to %(agency)s (%(unit)s) by %(method)s")
               % {"agency": Agency(agency).label, "unit": report.receiving_unit,
                  "method": ReportMethod(method).label}, by=by, at=at)
    if locked.state == ReferralState.DETECTED:
        REFERRAL.apply(locked, "report", by=by, at=at, locked=True)
    if agency == Agency.POLICE and locked.police_reported_at is None:
        locked.police_reported_at = reported_at
        locked.save(update_fields=["police_reported_at", "updated_at"])
        followup_complete(FollowUp.objects.open().for_subject(
            CONCERN_SUBJECT, str(locked.concern.code)).filter(kind=POLICE_REPORT), by=by)
    _announce("referral.agency_report", by=by, obj=locked, school_id=locked.school_id,
              request=request, kind=agency)
    return report


@transaction.atomic
def referral_transition(*, referral: Referral, name: str, by, reason: str = "",
                        at: dt.datetime | None = None, request=None) -> Referral:
    """Move `referral` by transition `name` of REFERRAL ("accept",
    "cooperate", "close"; "report" happens by recording a report). "close"
    needs the outcome as `reason` (kept on the referral). Entering
    COOPERATING opens the review follow-up INCIDENTS_REVIEW_DAYS later;
    closing cancels every open follow-up of the referral and of its concern.
    Raises PermissionDenied, InvalidTransition, ValidationError({"reason":
    …})."""
    at = at or clock.now()
    if name == "report":
        raise ValidationError({"name": _("Record the report instead.")})

    def closing(obj, when):
        if name != "close":
            return {}
        return {"outcome": (reason or "").strip(), "closed_at": when}

    applied = REFERRAL.apply(referral, name, by=by, reason=reason, at=at, changes=closing)
    locked = applied.obj
    _chronicle(locked, ChronologyKind.STATE, _("State: %(state)s") % {
        "state": ReferralState(locked.state).label}, by=by, at=at)
    review = FollowUp.objects.open().for_subject(REFERRAL_SUBJECT, str(locked.code))
    if locked.state == ReferralState.COOPERATING:
        followup_open(kind=REFERRAL_REVIEW, subject_code=str(locked.code),
                      school_id=locked.school_id,
                      due_at=at + dt.timedelta(days=settings.INCIDENTS_REVIEW_DAYS),
                      data={"school_id": locked.school_id})
    elif locked.state == ReferralState.CLOSED:
        followup_cancel(review, by=by, outcome="referral closed")
        followup_cancel(FollowUp.objects.open().for_subject(
            CONCERN_SUBJECT, str(locked.concern.code)), by=by, outcome="referral closed")
    return locked


@transaction.atomic
def referral_add_note(*, referral: Referral, text: str, by, at: dt.datetime | None = None,
                      request=None) -> ChronologyEntry:
    """Add a note (at most 4000 characters) to the chronology: what was done,
    who called, what the police asked. Notes are never edited; a correction
    is another note. Raises PermissionDenied (incidents.manage_referral),
    ValidationError({"text": …})."""
    if not access.allows(by, IncidentsPerm.MANAGE_REFERRAL, referral):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > 4000:
        raise ValidationError({"text": _("At most 4000 characters.")})
    at = at or clock.now()
    entry = ChronologyEntry.objects.create(referral=referral, kind=ChronologyKind.NOTE,
                                           text=text, by=by, at=at)
    _announce("referral.note", by=by, obj=referral, school_id=referral.school_id,
              request=request)
    return entry


@dataclass
class AttachmentUpload:
    """One file chosen on the referral's page, and what it shows."""

    file: object  # an UploadedFile
    caption: str


def referral_attach(*, referral: Referral, uploads: list[AttachmentUpload], by,
                    at: dt.datetime | None = None, request=None
                    ) -> tuple[list[ReferralAttachment], list[str]]:
    """Keep photos of injuries or of documents with `referral` (issue 10 item 1),
    each re-encoded by core.photos (JPEG, PNG or HEIC in; a clean JPEG and a
    thumbnail out; at most core.photos.DEFAULT_MAX_BYTES each). A file that is not
    a readable photo is skipped with a message naming it (safe_display_name);
    the others are kept, at most MAX_ATTACHMENTS_PER_REFERRAL in all. `caption`
    (what it shows, required, at most 200 characters, no ID-card number) is
    the same for the batch. Each kept file is a chronology entry and an audit
    row by code. Returns (kept, messages). Raises PermissionDenied
    (incidents.manage_referral), ValidationError({"caption": …}) or
    ({"referral": …}) for a closed referral."""
    if not access.allows(by, IncidentsPerm.MANAGE_REFERRAL, referral):
        raise PermissionDenied
    if referral.state == ReferralState.CLOSED:
        raise ValidationError({"referral": _("This referral is closed.")})
    at = at or clock.now()
    errors: list[str] = []
    for upload in uploads:
        caption = (upload.caption or "").strip()
        if not caption:
            raise ValidationError({"caption": _("Say what the photo shows.")})
        if len(caption) > 200:
            raise ValidationError({"caption": _("At most 200 characters.")})
        if ID_CARD.search(caption):
            raise ValidationError({"caption": _("Do not write an ID-card number here.")})
    processed = []
    # Re-encoding takes seconds: outside the transaction and without a lock.
    for upload in uploads:
        try:
            processed.append((upload, process_photo(upload.file)))
        except PhotoRejected as exc:
            errors.append(exc.message)
    written: list[str] = []
    kept: list[ReferralAttachment] = []
    try:
        with transaction.atomic():
            locked = REFERRAL.lock(referral)
            room = MAX_ATTACHMENTS_PER_REFERRAL - locked.attachments.count()
            for upload, _photo in processed[max(room, 0):]:
                errors.append(_("%(name)s was not kept: a referral holds at most %(n)s "
                                "attachments.") % {"name": safe_display_name(upload.file.name),
                                                   "n": MAX_ATTACHMENTS_PER_REFERRAL})
            for upload, photo in processed[:max(room, 0)]:
                image = default_storage.save(random_storage_name(folder="incidents"),
                                             ContentFile(photo.image))
                written.append(image)
                thumb = default_storage.save(random_storage_name(folder="incidents"),
                                             ContentFile(photo.thumbnail))
                written.append(thumb)
                row = ReferralAttachment.objects.create(
                    referral=locked, image=image, thumbnail=thumb,
                    caption=upload.caption.strip(), width=photo.width, height=photo.height,
                    sha256=photo.sha256, uploaded_by=by, uploaded_at=at)
                kept.append(row)
                _chronicle(locked, ChronologyKind.ATTACHMENT, _("Attachment added"), by=by,
                           at=at)
                _announce("referral.attach", by=by, obj=locked, school_id=locked.school_id,
                          request=request, kind=str(row.code))
    except Exception:
        # A failed save (a full disk, a database error) leaves no orphan files.
        for name in written:
            default_storage.delete(name)
        raise
    return kept, errors


def referral_counts_exported(*, bureau, year: int, school_type: str, by, request=None) -> None:
    """Announce ("export.referral_counts") that `by` downloaded the bureau
    view's Excel (counts only, suppressed) for `year` and `school_type` ("" for
    all)."""
    filters = f"year={year}" + (f"&school_type={school_type}" if school_type else "")
    _announce("export.referral_counts", by=by, obj=bureau, school_id=None, request=request,
              filters=filters, kind="referral_counts")
