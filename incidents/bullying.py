"""Bullying cases (学生欺凌; issue 10 item 3; domain.md §2d): business actions
and the reads of their pages. Views, tasks and the demo call these.

The law and the rules behind each step:
- stop it at once and keep the pupils safe (未成年人保护法 Art. 39;
  《未成年人学校保护规定》 Art. 21);
- tell both sets of guardians and involve them (未成年人保护法 Art. 39);
- the school's bullying governance committee investigates and decides; the
  investigation is finished within 10 days of starting, a guardian's appeal
  goes to the county office and its re-check within 15 days (2017
  《加强中小学生欺凌综合治理方案》);
- measures by severity: education; a disciplinary sanction; a police
  admonition or a special school; the police for an unlawful act (ibid.);
- psychological support for the pupils involved (未成年人保护法 Art. 39);
- a serious case is reported to the police and the education department
  (ibid.): it links to a mandatory-reporting referral.

Every action checks the access layer, writes its chronology entry and its
follow-ups in one transaction and is announced to audit by code only. No
pupil's name, what happened, or a finding reaches an audit row, a notice or
a log line.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core import clock
from core.signals import announce as _announce
from followups.models import FollowUp
from followups.services import followup_cancel, followup_complete, followup_open
from schools import access
from schools.models import Membership, Pupil, PupilStatus, Role, School, SchoolClass
from schools.school_year import current_school_year

from .access_rules import IncidentsPerm
from .followup_kinds import (
    BULLYING_INVESTIGATION,
    BULLYING_RECHECK,
    BULLYING_SUPPORT,
    BULLYING_VISIT,
    INVESTIGATION_DAYS,
    RECHECK_DAYS,
)
from .models import (
    BullyingAct,
    BullyingCase,
    BullyingEntry,
    BullyingEntryKind,
    BullyingMeasure,
    BullyingParty,
    BullyingReporter,
    BullyingRole,
    BullyingSeverity,
    BullyingState,
    ContactMethod,
    GuardianContact,
    Referral,
)
from .notice_kinds import BULLYING_SUBJECT
from .services import ID_CARD
from .workflows import BULLYING


def _entry(case: BullyingCase, kind: str, text: str, *, by, at: dt.datetime) -> None:
    BullyingEntry.objects.create(case=case, kind=kind, text=text, by=by, at=at)


def _text(value: str, field: str, limit: int, errors: dict, *, required: bool = True,
          missing: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = missing or _("This is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(limit)s characters.") % {"limit": limit}
    elif ID_CARD.search(value):
        errors[field] = _("Do not write an ID-card number here.")
    return value


def _not_future(value, field: str, at: dt.datetime, errors: dict, *, missing: str) -> None:
    if value is None:
        errors[field] = missing
        return
    moment = value if isinstance(value, dt.datetime) else None
    if moment is not None and moment > at or moment is None and value > clock.today(at):
        errors[field] = _("The time cannot be in the future.")


def investigation_due(started_at: dt.datetime) -> dt.datetime:
    """The end of the INVESTIGATION_DAYS-th (10th) day after the
    investigation started, Asia/Shanghai (2017 plan: 10 days)."""
    return clock.end_of_day(clock.today(started_at) + dt.timedelta(days=INVESTIGATION_DAYS))


def recheck_due(started_at: dt.datetime) -> dt.datetime:
    """The end of the RECHECK_DAYS-th (15th) day after the appeal was
    recorded, Asia/Shanghai (2017 plan: 15 days)."""
    return clock.end_of_day(clock.today(started_at) + dt.timedelta(days=RECHECK_DAYS))


# ------------------------------------------------------------------ who is involved


@dataclass(frozen=True)
class Involved:
    """One pupil named on the report form: the class (its id), the name
    typed and the role (a BullyingRole)."""

    school_class_id: int | None
    name: str
    role: str


def _match_pupils(school: School, involved: Iterable[Involved], errors: dict
                  ) -> list[tuple[Pupil, str]]:
    """The pupils named, each the one enrolled pupil of that class (this
    school year) with that name (spaces ignored). A lead reads the roster, so
    a name that fits nobody or several is said so."""
    found: list[tuple[Pupil, str]] = []
    rows = [row for row in involved if (row.name or "").strip() or row.school_class_id]
    if not rows:
        errors["parties"] = _("Name at least one pupil involved.")
        return found
    classes = {c.pk: c for c in SchoolClass.objects.filter(
        school=school, school_year=current_school_year(),
        pk__in=[r.school_class_id for r in rows if r.school_class_id])}
    seen: set[int] = set()
    for number, row in enumerate(rows, start=1):
        name = "".join((row.name or "").split())
        school_class = classes.get(row.school_class_id)
        if school_class is None or not name:
            errors["parties"] = _("Line %(n)s: choose the class and type the name.") % {
                "n": number}
            continue
        if row.role not in BullyingRole.values:
            errors["parties"] = _("Line %(n)s: choose the pupil's role.") % {"n": number}
            continue
        matches = list(Pupil.objects.filter(school=school, current_class=school_class,
                                            status=PupilStatus.ENROLLED, name=name)[:2])
        if len(matches) != 1:
            errors["parties"] = _(
                "Line %(n)s: no single pupil of that name in %(class)s; check the roster.") % {
                "n": number, "class": school_class}
            continue
        if matches[0].pk in seen:
            errors["parties"] = _("Line %(n)s: this pupil is named twice.") % {"n": number}
            continue
        seen.add(matches[0].pk)
        found.append((matches[0], row.role))
    if found and not errors.get("parties") and not any(
            role == BullyingRole.TARGET for _p, role in found):
        errors["parties"] = _("Name the pupil who was bullied.")
    return found


# ------------------------------------------------------------------ the report


@transaction.atomic
def bullying_report(*, school: School, by, reporter: str, reported_at: dt.datetime,
                    acts: Iterable[str], description: str, involved: Iterable[Involved],
                    occurred_on: dt.date | None = None, place: str = "",
                    at: dt.datetime | None = None, request=None) -> BullyingCase:
    """Record a bullying case at `school` (a lead or the principal:
    incidents.manage_bullying): who reported it (BullyingReporter) and when
    (not in the future), the acts (BullyingAct values, at least one), what
    happened (required, at most 4000 characters, no ID-card number), when
    and where, and the pupils involved (`involved`; at least the bullied
    pupil). Opens the counselor's psychological-support follow-up, due
    settings.INCIDENTS_BULLYING_SUPPORT_DAYS later (the counselor is told at
    once). Raises PermissionDenied, ValidationError keyed by field
    ("parties" for the pupils)."""
    if not access.can(by, IncidentsPerm.MANAGE_BULLYING, school):
        raise PermissionDenied
    at = at or clock.now()
    errors: dict[str, str] = {}
    if reporter not in BullyingReporter.values:
        errors["reporter"] = _("Say who reported it.")
    _not_future(reported_at, "reported_at", at, errors,
                missing=_("Say when the school learned of it."))
    chosen = sorted({str(a) for a in acts or []})
    if not chosen or set(chosen) - set(BullyingAct.values):
        errors["acts"] = _("Choose at least one kind of act.")
    description = _text(description, "description", 4000, errors,
                        missing=_("Say what happened."))
    place = _text(place, "place", 200, errors, required=False)
    if occurred_on is not None and occurred_on > clock.today(at):
        errors["occurred_on"] = _("The date cannot be in the future.")
    parties = _match_pupils(school, involved, errors)
    if errors:
        raise ValidationError(errors)
    case = BullyingCase.objects.create(
        school=school, reported_at=reported_at, reporter=reporter, acts=chosen,
        description=description, occurred_on=occurred_on, place=place, recorded_by=by)
    BullyingParty.objects.bulk_create(
        BullyingParty(case=case, pupil=pupil, role=role) for pupil, role in parties)
    _entry(case, BullyingEntryKind.REPORTED, _("Case reported (%(reporter)s)") % {
        "reporter": BullyingReporter(reporter).label}, by=by, at=at)
    followup_open(kind=BULLYING_SUPPORT, subject_code=str(case.code), school_id=school.pk,
                  due_at=at + dt.timedelta(days=settings.INCIDENTS_BULLYING_SUPPORT_DAYS),
                  data={"school_id": school.pk})
    _announce("bullying.report", by=by, obj=case, school_id=school.pk, request=request)
    return case


def _locked(case: BullyingCase, by, perm=IncidentsPerm.MANAGE_BULLYING) -> BullyingCase:
    locked = BULLYING.lock(case)
    if not access.allows(by, perm, locked):
        raise PermissionDenied
    return locked


def _open_case(case: BullyingCase) -> None:
    if case.state == BullyingState.CLOSED:
        raise ValidationError({"case": _("This case is closed.")})


@transaction.atomic
def bullying_record_stop(*, case: BullyingCase, stopped_at: dt.datetime, safety_measures: str,
                         by, at: dt.datetime | None = None, request=None) -> BullyingCase:
    """Record that the bullying was stopped (when: not in the future, not
    before the day it happened) and the measures that keep the pupils safe
    (required, at most 2000 characters). May be recorded again (a later,
    fuller account). Raises PermissionDenied, ValidationError."""
    at = at or clock.now()
    locked = _locked(case, by)
    _open_case(locked)
    errors: dict[str, str] = {}
    _not_future(stopped_at, "stopped_at", at, errors, missing=_("Say when it was stopped."))
    if "stopped_at" not in errors and locked.occurred_on and \
            clock.today(stopped_at) < locked.occurred_on:
        errors["stopped_at"] = _("It cannot have been stopped before it happened.")
    measures = _text(safety_measures, "safety_measures", 2000, errors,
                     missing=_("Say what keeps the pupils safe now."))
    if errors:
        raise ValidationError(errors)
    locked.stopped_at, locked.safety_measures = stopped_at, measures
    locked.save(update_fields=["stopped_at", "safety_measures", "updated_at"])
    _entry(locked, BullyingEntryKind.STOPPED, _("Stopped; safety measures recorded"),
           by=by, at=at)
    _announce("bullying.stop", by=by, obj=locked, school_id=locked.school_id, request=request)
    return locked


@transaction.atomic
def bullying_inform_guardians(*, case: BullyingCase, side: str, informed_at: dt.datetime,
                              method: str, note: str = "", by, at: dt.datetime | None = None,
                              request=None) -> GuardianContact:
    """Record that the guardians of one `side` ("target" or "perpetrator")
    were told (when, how: ContactMethod). Raises PermissionDenied,
    ValidationError."""
    at = at or clock.now()
    locked = _locked(case, by)
    _open_case(locked)
    errors: dict[str, str] = {}
    if side not in (BullyingRole.TARGET, BullyingRole.PERPETRATOR):
        errors["side"] = _("Choose whose guardians were told.")
    if method not in ContactMethod.values:
        errors["method"] = _("Choose how they were told.")
    _not_future(informed_at, "informed_at", at, errors, missing=_("Say when they were told."))
    note = _text(note, "note", 500, errors, required=False)
    if errors:
        raise ValidationError(errors)
    contact = GuardianContact.objects.create(case=locked, side=side, informed_at=informed_at,
                                             method=method, note=note, recorded_by=by)
    _entry(locked, BullyingEntryKind.GUARDIANS, _("Guardians informed: %(side)s, %(how)s") % {
        "side": contact.get_side_display(), "how": ContactMethod(method).label}, by=by, at=at)
    _announce("bullying.guardians", by=by, obj=locked, school_id=locked.school_id,
              request=request, kind=side)
    return contact


@transaction.atomic
def bullying_start_investigation(*, case: BullyingCase, by, at: dt.datetime | None = None,
                                 request=None) -> BullyingCase:
    """The committee starts investigating: the 10-day clock
    (investigation_due) opens. The bullying must have been recorded as
    stopped first (未成年人保护法 Art. 39: stop it at once). Raises
    PermissionDenied, InvalidTransition, ValidationError({"stopped_at": …})."""
    at = at or clock.now()

    def guard(obj):
        if obj.stopped_at is None:
            raise ValidationError({"stopped_at": _(
                "Record first that the bullying was stopped and how the pupils are kept "
                "safe.")})

    locked = BULLYING.apply(case, "investigate", by=by, at=at, guard=guard,
                            changes=lambda obj, when: {"investigation_started_at": when,
                                                       "investigation_due_at":
                                                           investigation_due(when)}).obj
    _entry(locked, BullyingEntryKind.STATE, _("Investigation started"), by=by, at=at)
    followup_open(kind=BULLYING_INVESTIGATION, subject_code=str(locked.code),
                  school_id=locked.school_id, due_at=locked.investigation_due_at,
                  data={"school_id": locked.school_id})
    return locked


@transaction.atomic
def bullying_decide(*, case: BullyingCase, committee_on: dt.date, committee_members: str,
                    is_bullying: bool | None, finding: str, investigation_findings: str = "",
                    severity: str = "", measures: Iterable[str] = (), by,
                    at: dt.datetime | None = None, request=None) -> BullyingCase:
    """The committee's decision on an investigated case: the day it met (not
    before the investigation started, not in the future), the members
    present (required), whether it is bullying (required), its finding
    (required); for bullying, the severity (BullyingSeverity) and at least
    one measure (BullyingMeasure). Completes the investigation clock (late
    or not: the bureau counts which). Raises PermissionDenied,
    InvalidTransition, ValidationError keyed by field."""
    at = at or clock.now()
    errors: dict[str, str] = {}
    members = _text(committee_members, "committee_members", 500, errors,
                    missing=_("Name the members present."))
    finding = _text(finding, "finding", 4000, errors, missing=_("Give the finding."))
    findings = _text(investigation_findings, "investigation_findings", 4000, errors,
                     required=False)
    if is_bullying is None:
        errors["is_bullying"] = _("Say whether the committee found it to be bullying.")
    chosen = sorted({str(m) for m in measures or []})
    if is_bullying:
        if severity not in BullyingSeverity.values:
            errors["severity"] = _("Choose the severity.")
        if not chosen or set(chosen) - set(BullyingMeasure.values):
            errors["measures"] = _("Choose at least one measure.")
    else:
        severity, chosen = "", []
    if committee_on is None:
        errors["committee_on"] = _("Give the date the committee met.")
    elif committee_on > clock.today(at):
        errors["committee_on"] = _("The date cannot be in the future.")
    elif case.investigation_started_at and committee_on < clock.today(
            case.investigation_started_at):
        errors["committee_on"] = _("The committee cannot have met before the investigation "
                                   "started.")
    if errors:
        raise ValidationError(errors)

    def changes(obj, when):
        return {"committee_on": committee_on, "committee_members": members,
                "is_bullying": bool(is_bullying), "finding": finding,
                "investigation_findings": findings, "severity": severity, "measures": chosen,
                "decided_at": when}

    locked = BULLYING.apply(case, "decide", by=by, at=at, changes=changes).obj
    _entry(locked, BullyingEntryKind.STATE, _("Decided by the committee: %(finding)s") % {
        "finding": _("bullying") if is_bullying else _("not bullying")}, by=by, at=at)
    followup_complete(FollowUp.objects.filter(kind=BULLYING_INVESTIGATION,
                                              subject_code=str(locked.code)),
                      by=by, outcome="decided", at=at)
    return locked


@transaction.atomic
def bullying_appeal(*, case: BullyingCase, appealed_on: dt.date, by,
                    at: dt.datetime | None = None, request=None) -> BullyingCase:
    """A guardian appealed the decision to the county's anti-bullying office
    on `appealed_on` (not in the future, not before the committee met): the
    case is under re-check and its 15-day clock opens (recheck_due). Raises
    PermissionDenied, InvalidTransition, ValidationError({"appealed_on": …})."""
    at = at or clock.now()
    if appealed_on is None or appealed_on > clock.today(at):
        raise ValidationError({"appealed_on": _("Give the day of the appeal, not in the "
                                                "future.")})
    if case.committee_on and appealed_on < case.committee_on:
        raise ValidationError({"appealed_on": _("An appeal cannot come before the decision.")})
    if case.appealed_on is not None:
        # The county's re-check is the last word (2017 plan): one appeal a case.
        raise ValidationError({"appealed_on": _("This case was appealed and re-checked "
                                                "already.")})
    locked = BULLYING.apply(case, "appeal", by=by, at=at, changes=lambda obj, when: {
        "appealed_on": appealed_on, "recheck_started_at": when,
        "recheck_due_at": recheck_due(when), "rechecked_at": None, "recheck_result": ""}).obj
    _entry(locked, BullyingEntryKind.STATE, _("Appealed to the county office"), by=by, at=at)
    followup_open(kind=BULLYING_RECHECK, subject_code=str(locked.code),
                  school_id=locked.school_id, due_at=locked.recheck_due_at,
                  data={"school_id": locked.school_id})
    return locked


@transaction.atomic
def bullying_transition(*, case: BullyingCase, name: str, by, reason: str = "",
                        at: dt.datetime | None = None, request=None) -> BullyingCase:
    """Move `case` by "recheck" (the re-check's result as `reason`),
    "follow_up" or "close" (the outcome as `reason`). Closing cancels every
    open follow-up of the case. Raises PermissionDenied, InvalidTransition,
    KeyError (another name), ValidationError({"reason": …})."""
    if name not in ("recheck", "follow_up", "close"):
        raise KeyError(name)
    at = at or clock.now()
    reason = (reason or "").strip()
    if len(reason) > 4000:
        raise ValidationError({"reason": _("At most 4000 characters.")})

    def changes(obj, when):
        if name == "recheck":
            return {"recheck_result": reason, "rechecked_at": when}
        if name == "close":
            return {"outcome": reason, "closed_at": when}
        return {}

    locked = BULLYING.apply(case, name, by=by, reason=reason, at=at, changes=changes).obj
    text = _("State: %(state)s") % {"state": BullyingState(locked.state).label}
    if name == "recheck":
        text = _("Re-check result: %(result)s") % {"result": reason}
    elif name == "close":
        text = _("Closed: %(outcome)s") % {"outcome": reason}
    _entry(locked, BullyingEntryKind.STATE, text, by=by, at=at)
    mine = FollowUp.objects.filter(Q(subject_code=str(locked.code))
                                   | Q(subject_code__startswith=f"{locked.code}:"),
                                   subject_type=BULLYING_SUBJECT)
    if name == "recheck":
        followup_complete(mine.filter(kind=BULLYING_RECHECK), by=by, outcome="rechecked", at=at)
    elif name == "close":
        followup_cancel(mine, by=by, outcome="case closed", at=at)
    return locked


@transaction.atomic
def bullying_link_referral(*, case: BullyingCase, referral: Referral, by,
                           at: dt.datetime | None = None, request=None) -> BullyingCase:
    """Link a serious case to the mandatory-reporting referral of the same
    school under which it was reported to the police (未成年人保护法 Art. 39:
    serious cases are reported). Raises PermissionDenied, ValidationError
    ({"referral": …}) for another school's referral."""
    at = at or clock.now()
    locked = _locked(case, by)
    if referral.school_id != locked.school_id or not access.allows(
            by, IncidentsPerm.VIEW_REFERRAL, referral):
        raise ValidationError({"referral": _("Choose one of the school's referrals.")})
    locked.referral = referral
    locked.save(update_fields=["referral", "updated_at"])
    _entry(locked, BullyingEntryKind.REFERRAL, _("Linked to a mandatory report"), by=by, at=at)
    _announce("bullying.link_referral", by=by, obj=locked, school_id=locked.school_id,
              request=request)
    return locked


@transaction.atomic
def bullying_add_note(*, case: BullyingCase, text: str, by, at: dt.datetime | None = None,
                      request=None) -> BullyingEntry:
    """Add a note (at most 4000 characters) to the case's chronology. Raises
    PermissionDenied, ValidationError({"text": …})."""
    at = at or clock.now()
    locked = _locked(case, by)
    errors: dict[str, str] = {}
    text = _text(text, "text", 4000, errors, missing=_("Write the note."))
    if errors:
        raise ValidationError(errors)
    entry = BullyingEntry.objects.create(case=locked, kind=BullyingEntryKind.NOTE, text=text,
                                         by=by, at=at)
    _announce("bullying.note", by=by, obj=locked, school_id=locked.school_id, request=request)
    return entry


# ------------------------------------------------------------------ support and visits


@transaction.atomic
def bullying_record_support(*, case: BullyingCase, text: str, by,
                            at: dt.datetime | None = None, request=None) -> BullyingEntry:
    """The counselor (or a lead) records psychological support given to the
    pupils involved (at most 4000 characters; kept in the chronology as
    support only). The first completes the support follow-up. Raises
    PermissionDenied (incidents.support_bullying), ValidationError."""
    at = at or clock.now()
    locked = BULLYING.lock(case)
    if not access.can(by, IncidentsPerm.SUPPORT_BULLYING, locked.school):
        raise PermissionDenied
    errors: dict[str, str] = {}
    text = _text(text, "text", 4000, errors, missing=_("Say what support was given."))
    if errors:
        raise ValidationError(errors)
    entry = BullyingEntry.objects.create(case=locked, kind=BullyingEntryKind.SUPPORT,
                                         text=text, by=by, at=at)
    followup_complete(FollowUp.objects.filter(kind=BULLYING_SUPPORT,
                                              subject_code=str(locked.code)),
                      by=by, outcome="support given", at=at)
    _announce("bullying.support", by=by, obj=locked, school_id=locked.school_id,
              request=request)
    return entry


def visit_staff(case: BullyingCase) -> list[tuple[int, str]]:
    """(user id, label) of the people a visit may be given to: the head
    teachers of the classes of the pupils involved (this school year, their
    name marked as such), then the school's other staff, by name."""
    heads = set(Membership.objects.active().filter(
        school_id=case.school_id, role=Role.HEAD_TEACHER,
        classes__in=case.parties.values("pupil__current_class")).values_list(
        "user_id", flat=True))
    people: dict[int, str] = {}
    for m in (Membership.objects.active().filter(school_id=case.school_id)
              .select_related("user").order_by("user__full_name", "user__username")):
        people.setdefault(m.user_id, m.user.full_name or m.user.username)
    mark = _("head teacher of a pupil involved")
    return ([(pk, f"{name}（{mark}）") for pk, name in people.items() if pk in heads]
            + [(pk, name) for pk, name in people.items() if pk not in heads])


@transaction.atomic
def bullying_schedule_visit(*, case: BullyingCase, assignee_id: int, due_on: dt.date, by,
                            at: dt.datetime | None = None, request=None) -> FollowUp:
    """Give a follow-up visit (回访) to a member of the school's staff —
    usually the head teacher of a pupil involved — due by the end of
    `due_on` (today or later). It is their task in 我的待办 and on the case's
    status page. Raises PermissionDenied, ValidationError keyed by
    "assignee" or "due_on"."""
    at = at or clock.now()
    locked = _locked(case, by)
    _open_case(locked)
    errors: dict[str, str] = {}
    if assignee_id not in {pk for pk, _name in visit_staff(locked)}:
        errors["assignee"] = _("Choose a member of the school's staff.")
    if due_on is None or due_on < clock.today(at):
        errors["due_on"] = _("Give a day from today on.")
    if errors:
        raise ValidationError(errors)
    row, _created = followup_open(
        kind=BULLYING_VISIT, subject_code=f"{locked.code}:{uuid.uuid4().hex[:8]}",
        school_id=locked.school_id, due_at=clock.end_of_day(due_on),
        data={"school_id": locked.school_id}, assignee_id=assignee_id)
    _announce("bullying.schedule_visit", by=by, obj=locked, school_id=locked.school_id,
              request=request)
    return row


def open_visits(case: BullyingCase, user=None):
    """The case's open follow-up visits (of `user`, if given), by due time."""
    rows = FollowUp.objects.open().filter(kind=BULLYING_VISIT,
                                          subject_code__startswith=f"{case.code}:")
    if user is not None:
        rows = rows.filter(assignee=user)
    return rows.select_related("assignee").order_by("due_at")


@transaction.atomic
def bullying_record_visit(*, case: BullyingCase, text: str, by, at: dt.datetime | None = None,
                          request=None) -> BullyingEntry:
    """Record a follow-up visit (what was seen and agreed; at most 4000
    characters) by a lead, or by the member of staff it was given to — the
    head teacher, who holds an open visit of the case. Completes `by`'s open
    visits of the case. Raises PermissionDenied, ValidationError."""
    at = at or clock.now()
    locked = BULLYING.lock(case)
    mine = open_visits(locked, by)
    if not (access.allows(by, IncidentsPerm.MANAGE_BULLYING, locked) or mine.exists()):
        raise PermissionDenied
    errors: dict[str, str] = {}
    text = _text(text, "text", 4000, errors, missing=_("Say what the visit found."))
    if errors:
        raise ValidationError(errors)
    entry = BullyingEntry.objects.create(case=locked, kind=BullyingEntryKind.VISIT, text=text,
                                         by=by, at=at)
    followup_complete(FollowUp.objects.filter(pk__in=[row.pk for row in mine]), by=by,
                      outcome="visited", at=at)
    _announce("bullying.visit", by=by, obj=locked, school_id=locked.school_id,
              request=request)
    return entry


# ------------------------------------------------------------------ reads


def school_cases(school: School, *, closed: bool = False):
    """The school's cases, open ones (or closed ones), newest first."""
    cases = BullyingCase.objects.filter(school=school)
    cases = cases.filter(state=BullyingState.CLOSED) if closed else cases.exclude(
        state=BullyingState.CLOSED)
    return cases.order_by("-reported_at", "-id")


def clock_of(case: BullyingCase, kind: str) -> FollowUp | None:
    """The case's investigation or re-check follow-up (open or not), if any."""
    return (FollowUp.objects.filter(kind=kind, subject_code=str(case.code))
            .order_by("-created_at").first())


ROLE_ORDER = {BullyingRole.TARGET: 0, BullyingRole.PERPETRATOR: 1, BullyingRole.BYSTANDER: 2}


def ordered_parties(case: BullyingCase) -> list[BullyingParty]:
    """The pupils involved: the bullied first, then those who did it, then
    the bystanders; by name within each."""
    return sorted(case.parties.select_related("pupil__current_class"),
                  key=lambda p: (ROLE_ORDER.get(p.role, 9), p.pupil.name))


def due_day(row: FollowUp | None) -> dt.date | None:
    """The day a follow-up is due (its due_at is the first instant after it)."""
    return None if row is None else clock.today(row.due_at - dt.timedelta(microseconds=1))


def parties_for_head_teacher(user):
    """The pupils of the classes `user` leads (or of the school, for a lead)
    involved in a case, with their case: what the status page lists."""
    visible = Pupil.objects.filter(access.pupils_visible_q(
        user, IncidentsPerm.VIEW_BULLYING_STATUS))
    return (BullyingParty.objects.filter(pupil__in=visible)
            .select_related("case", "pupil__current_class")
            .order_by("-case__reported_at", "pupil__name"))
