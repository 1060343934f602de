"""The monthly dispute screening (矛盾纠纷排查; the plan's 三.三(四): "按月排查、
梳理师生之间、学生之间、家校之间矛盾纠纷"; issue 10 item 4): business actions and
the reads of the school's pages. Views, tasks and the demo call these.

Each school files one return a month — the disputes it found, each with its
kind, the parties by role, the risk level, the member of staff responsible
and its mediation (调处中 / 已化解 / 已移交 with dates), or an explicit "none
found" — by the bureau's due day: 0 (the default) the last day of the month
screened, 1–28 that day of the following month (每月N日前报送上月情况). A
follow-up (incidents.dispute_return) is armed nightly for the current and the
previous month of every school expected for them, and completed when the
return is filed; its steps remind the principal and the safety officer on
the due day and tell them the morning after that it is overdue.

A return screens what the school found in its month: a dispute found on a day
of another month belongs to that month's return. Once filed, a return is
final; its disputes' mediation goes on being recorded.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from core import clock
from core.signals import announce as _announce
from followups.models import FollowUp
from followups.services import Opening, followup_complete, followup_open_many, followup_rearm
from schools import access
from schools.models import Bureau, Membership, School, in_period

from .access_rules import IncidentsPerm
from .followup_kinds import DISPUTE_RETURN, dispute_subject_code
from .models import (
    Dispute,
    DisputeKind,
    DisputeReturn,
    DisputeRisk,
    DisputeSchedule,
    MediationStatus,
)
from .services import ID_CARD
from .workflows import DISPUTE

# The latest day of the following month a bureau may set (every month has it).
MAX_DUE_DAY = 28




# ------------------------------------------------------------------ the calendar


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    """The first day of the month before `month` (a first day)."""
    return month_start(month - dt.timedelta(days=1))


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month` (a first day)."""
    return month_start(month + dt.timedelta(days=31))


class Schedule:
    """A bureau's due days by the month they apply from (one query): call it
    with a month (a first day) for that month's due day, 0 before the
    bureau set any."""

    def __init__(self, bureau_id: int):
        self.changes = list(DisputeSchedule.objects.filter(bureau_id=bureau_id)
                            .order_by("effective_from").values_list("effective_from",
                                                                    "due_day"))

    def __call__(self, month: dt.date) -> int:
        day = 0
        for effective_from, due_day in self.changes:
            if effective_from > month:
                break
            day = due_day
        return day


def due_day_of(bureau_id: int, month: dt.date | None = None) -> int:
    """The bureau's due day for `month` (a first day; default the current
    month): the DisputeSchedule in effect then, 0 when it set none."""
    return Schedule(bureau_id)(month or month_start(clock.today()))


def due_date(month: dt.date, due_day: int) -> dt.date:
    """When the return for `month` (its first day) is due, an Asia/Shanghai
    date: its last day for `due_day` 0, else day `due_day` (1–28) of the
    following month."""
    if not due_day:
        return month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return next_month(month).replace(day=min(int(due_day), MAX_DUE_DAY))


def due_at(month: dt.date, due_day: int) -> dt.datetime:
    """The first instant after the due date (a return filed before it is on
    time), aware, Asia/Shanghai."""
    return clock.end_of_day(due_date(month, due_day))


def expected_schools(bureau_id: int, month: dt.date, due_day: int):
    """The schools of the bureau that owe the return for `month`: in the
    campaign from before the month began until after its due date
    (schools.models.in_period at both ends: a school that joins mid-month
    owes from the next month, one that closed before the due date owes
    nothing)."""
    return (School.objects.filter(bureau_id=bureau_id).expected_on(month)
            .expected_on(due_date(month, due_day)))


def month_choices(school: School, *, today: dt.date | None = None,
                  count: int = 12) -> list[dt.date]:
    """The months the school's return page offers, newest first: the current
    month and up to `count` - 1 before it, none before the school joined."""
    today = today or clock.today()
    months, month = [], month_start(today)
    while len(months) < count and month >= month_start(school.joined_on):
        months.append(month)
        month = previous_month(month)
    return months


# ------------------------------------------------------------------ follow-ups


def arm_dispute_returns(*, at: dt.datetime | None = None,
                        school_ids: list[int] | None = None) -> int:
    """Open the dispute-return follow-up of every school that owes the return
    for the current or the previous month (at `at`, default now) and has not
    filed it. Idempotent (the nightly beat and a school joining call it).
    Returns how many were opened."""
    today = clock.today(at)
    opened = 0
    for bureau_id in Bureau.objects.values_list("pk", flat=True):
        schedule = Schedule(bureau_id)
        for month in (previous_month(month_start(today)), month_start(today)):
            due_day = schedule(month)
            filed = DisputeReturn.objects.filter(school=OuterRef("pk"), month=month,
                                                 submitted_at__isnull=False)
            schools = (expected_schools(bureau_id, month, due_day).filter(~Exists(filed))
                       .order_by().values_list("pk", flat=True))
            if school_ids is not None:
                schools = schools.filter(pk__in=school_ids)
            when = due_at(month, due_day)
            opened += followup_open_many(kind=DISPUTE_RETURN, openings=(
                Opening(subject_code=dispute_subject_code(school_id, month),
                        school_id=school_id, due_at=when, data={"month": f"{month:%Y-%m}"})
                for school_id in schools.iterator(chunk_size=5000)))
    return opened


@transaction.atomic
def dispute_schedule_set(*, bureau: Bureau, due_day: int, by, at: dt.datetime | None = None,
                         request=None) -> DisputeSchedule:
    """Set the day the bureau's schools file their return by, from the
    current month (at `at`) on: 0 for the last day of the month screened,
    1–28 for that day of the following month. Earlier months keep their due
    dates (and their late marks). The open follow-ups of this month's and
    later returns move to the new date (a reminder already sent is sent
    again for it). Raises PermissionDenied unless `by` holds
    incidents.set_dispute_day in `bureau`; ValidationError({"due_day": …})."""
    if bureau.pk not in access.bureaus_for(by, IncidentsPerm.SET_DISPUTE_DAY):
        raise PermissionDenied
    try:
        due_day = int(due_day)
    except (TypeError, ValueError):
        due_day = -1
    if not 0 <= due_day <= MAX_DUE_DAY:
        raise ValidationError({"due_day": _(
            "Choose the last day of the month, or a day from 1 to %(max)s of the following "
            "month.") % {"max": MAX_DUE_DAY}})
    at = at or clock.now()
    this_month = month_start(clock.today(at))
    schedule, _created = DisputeSchedule.objects.select_for_update().update_or_create(
        bureau=bureau, effective_from=this_month,
        defaults={"due_day": due_day, "updated_by": by})
    rows = FollowUp.objects.open().filter(kind=DISPUTE_RETURN, school__bureau=bureau)
    for month_text in sorted({row["data__month"] for row in rows.values("data__month")}):
        month = dt.date.fromisoformat(f"{month_text}-01")
        if month >= this_month:
            followup_rearm(rows.filter(subject_code__endswith=f":{month_text}"),
                           due_at=due_at(month, due_day))
    arm_dispute_returns(at=at)
    _announce("dispute_schedule.set", by=by, obj=bureau, school_id=None, request=request,
              kind=str(due_day))
    return schedule


# ------------------------------------------------------------------ returns


def _check_month(school: School, month: dt.date, at: dt.datetime) -> None:
    if month.day != 1 or month > month_start(clock.today(at)):
        raise ValidationError({"month": _("A return can be filed only for this month or an "
                                          "earlier one.")})
    if month < month_start(school.joined_on):
        raise ValidationError({"month": _("The school was not in the campaign that month.")})


def _staff_ids(school: School) -> set[int]:
    return set(Membership.objects.active().filter(school=school)
               .values_list("user_id", flat=True))


def responsible_choices(school: School) -> list[tuple[int, str]]:
    """(user id, name) of the school's active staff, by name: who may be
    responsible for a dispute."""
    seen: dict[int, str] = {}
    for membership in (Membership.objects.active().filter(school=school)
                       .select_related("user").order_by("user__full_name", "user__username")):
        seen.setdefault(membership.user_id,
                        membership.user.full_name or membership.user.username)
    return list(seen.items())


def return_for(school: School, month: dt.date) -> DisputeReturn | None:
    """The school's return for `month` (its first day), None before anything
    was recorded for it."""
    return DisputeReturn.objects.filter(school=school, month=month).first()


@transaction.atomic
def dispute_add(*, school: School, month: dt.date, by, kind: str, parties: str, summary: str,
                risk: str, responsible_id: int, found_on: dt.date,
                at: dt.datetime | None = None, request=None) -> Dispute:
    """Record a dispute found at `school` on `found_on` (a day of `month`, not
    in the future) in the month's return (made as a draft if there is none):
    `kind` a DisputeKind, `parties` by role (required, at most 200
    characters, no ID-card number), `summary` (required, at most 1000), `risk`
    a DisputeRisk, `responsible_id` one of the school's active staff. It
    starts being mediated (调处中). Raises PermissionDenied unless `by` holds
    incidents.file_disputes at `school`; ValidationError keyed by field, or
    by "month" when the month's return is already filed."""
    if not access.can(by, IncidentsPerm.FILE_DISPUTES, school):
        raise PermissionDenied
    at = at or clock.now()
    _check_month(school, month, at)
    parties, summary = (parties or "").strip(), (summary or "").strip()
    errors: dict[str, str] = {}
    if kind not in DisputeKind.values:
        errors["kind"] = _("Choose the kind of dispute.")
    if risk not in DisputeRisk.values:
        errors["risk"] = _("Choose the risk level.")
    if not parties:
        errors["parties"] = _("Say who the parties are, by their role.")
    elif len(parties) > 200:
        errors["parties"] = _("At most 200 characters.")
    if not summary:
        errors["summary"] = _("Say what the dispute is about.")
    elif len(summary) > 1000:
        errors["summary"] = _("At most 1000 characters.")
    for field, text in (("parties", parties), ("summary", summary)):
        if ID_CARD.search(text):
            errors[field] = _("Do not write an ID-card number here.")
    if responsible_id not in _staff_ids(school):
        errors["responsible"] = _("Choose a member of the school's staff.")
    if found_on is None or month_start(found_on) != month:
        errors["found_on"] = _("The day must be in the month of this return; a dispute found "
                               "in another month belongs to that month's return.")
    elif found_on > clock.today(at):
        errors["found_on"] = _("The day cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    screening, _created = DisputeReturn.objects.get_or_create(school=school, month=month)
    screening = DisputeReturn.objects.select_for_update().get(pk=screening.pk)
    if screening.is_submitted:
        raise ValidationError({"month": _(
            "This month's return is filed. A dispute found later belongs to the return of the "
            "month it was found in.")})
    dispute = Dispute.objects.create(
        school=school, screening_return=screening, kind=kind, parties=parties,
        summary=summary, risk=risk, responsible_id=responsible_id, found_on=found_on,
        recorded_by=by)
    _announce("dispute.add", by=by, obj=dispute, school_id=school.pk, request=request)
    return dispute


@transaction.atomic
def dispute_return_submit(*, school: School, month: dt.date, by, none_found: bool = False,
                          at: dt.datetime | None = None, request=None) -> DisputeReturn:
    """File the school's return for `month`: with the disputes recorded in it,
    or — `none_found` and none recorded — saying that none were found. Its
    follow-up is completed. Raises PermissionDenied (incidents.file_disputes);
    ValidationError({"none_found": …}) when the choice contradicts the
    disputes recorded, ({"month": …}) for a month not yet begun or a return
    already filed."""
    if not access.can(by, IncidentsPerm.FILE_DISPUTES, school):
        raise PermissionDenied
    at = at or clock.now()
    _check_month(school, month, at)
    screening, _created = DisputeReturn.objects.get_or_create(school=school, month=month)
    screening = DisputeReturn.objects.select_for_update().get(pk=screening.pk)
    if screening.is_submitted:
        raise ValidationError({"month": _("This month's return is already filed.")})
    listed = screening.disputes.exists()
    if none_found and listed:
        raise ValidationError({"none_found": _(
            "Disputes are recorded for this month: file the return with them.")})
    if not none_found and not listed:
        raise ValidationError({"none_found": _(
            "Record the disputes found, or confirm that none were found.")})
    screening.none_found = bool(none_found)
    screening.submitted_at, screening.submitted_by = at, by
    screening.save(update_fields=["none_found", "submitted_at", "submitted_by", "updated_at"])
    followup_complete(FollowUp.objects.filter(
        kind=DISPUTE_RETURN, subject_code=dispute_subject_code(school.pk, month)),
        by=by, outcome="filed", at=at)
    _announce("dispute_return.submit", by=by, obj=screening, school_id=school.pk,
              request=request, kind="none_found" if none_found else "disputes")
    return screening


@transaction.atomic
def dispute_remove(*, dispute: Dispute, by, request=None) -> None:
    """Take back a dispute recorded by mistake while its month's return is not
    filed (a filed return is final, and so are its disputes). The removal is
    an audit row by code ("dispute.remove"). Raises PermissionDenied unless
    `by` holds incidents.file_disputes at the dispute's school;
    ValidationError({"dispute": …}) once the return is filed."""
    if not access.allows(by, IncidentsPerm.FILE_DISPUTES, dispute):
        raise PermissionDenied
    screening = DisputeReturn.objects.select_for_update().get(pk=dispute.screening_return_id)
    if screening.is_submitted:
        raise ValidationError({"dispute": _(
            "This month's return is filed: its disputes stay as they were filed.")})
    _announce("dispute.remove", by=by, obj=dispute, school_id=dispute.school_id,
              request=request)
    dispute.delete()


@transaction.atomic
def dispute_settle(*, dispute: Dispute, name: str, on: dt.date, by, transferred_to: str = "",
                   at: dt.datetime | None = None, request=None) -> Dispute:
    """Record the end of a dispute's mediation: `name` "resolve" (已化解) or
    "transfer" (已移交, to `transferred_to`, required, at most 100
    characters), on `on` — not before it was found, not in the future.
    Raises PermissionDenied, InvalidTransition (already settled), KeyError
    (another name), ValidationError keyed by "on" or "transferred_to"."""
    at = at or clock.now()
    transferred_to = (transferred_to or "").strip()
    errors: dict[str, str] = {}
    if on is None:
        errors["on"] = _("Give the date.")
    elif on < dispute.found_on:
        errors["on"] = _("The date cannot be before the dispute was found.")
    elif on > clock.today(at):
        errors["on"] = _("The date cannot be in the future.")
    if name == "transfer" and not transferred_to:
        errors["transferred_to"] = _("Name the body it was transferred to.")
    elif len(transferred_to) > 100:
        errors["transferred_to"] = _("At most 100 characters.")
    if errors:
        raise ValidationError(errors)

    def changes(obj, when):
        if name == "resolve":
            return {"resolved_on": on}
        return {"transferred_on": on, "transferred_to": transferred_to}

    return DISPUTE.apply(dispute, name, by=by, at=at, changes=changes).obj


def dispute_completeness_exported(*, bureau: Bureau, year: int, school_type: str, by,
                                  request=None) -> None:
    """Announce ("export.dispute_returns") that `by` downloaded the bureau's
    dispute-return Excel for `year` and `school_type` ("" for all)."""
    filters = f"year={year}" + (f"&school_type={school_type}" if school_type else "")
    _announce("export.dispute_returns", by=by, obj=bureau, school_id=None, request=request,
              filters=filters, kind="dispute_returns")


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class MonthRow:
    """One month on the school's return page: the month (first day), its due
    date, the return (None before anything was recorded), how many disputes
    it lists, whether the school owes it, and whether it is past due."""

    month: dt.date
    due: dt.date
    screening: DisputeReturn | None
    disputes: int
    owed: bool = True  # the school owes it (expected_schools)
    overdue: bool = False  # past the due date

    @property
    def missing(self) -> bool:
        """Owed, past its due date and not filed."""
        return self.owed and self.overdue and not self.filed

    @property
    def filed(self) -> bool:
        return self.screening is not None and self.screening.is_submitted

    @property
    def late(self) -> bool:
        return self.filed and clock.today(self.screening.submitted_at) > self.due


def school_months(school: School, *, today: dt.date | None = None) -> list[MonthRow]:
    """The school's months (month_choices) with their returns: two queries."""
    today = today or clock.today()
    months = month_choices(school, today=today)
    schedule = Schedule(school.bureau_id)
    returns = {r.month: r for r in DisputeReturn.objects.filter(
        school=school, month__in=months).annotate(n=Count("disputes"))}
    rows = []
    for m in months:
        due = due_date(m, schedule(m))
        rows.append(MonthRow(month=m, due=due, screening=returns.get(m),
                             disputes=returns[m].n if m in returns else 0,
                             owed=in_period(m, school.joined_on, school.closed_on)
                             and in_period(due, school.joined_on, school.closed_on),
                             overdue=today > due))
    return rows


def open_disputes(school: School):
    """The school's disputes still being mediated, from every month, oldest
    first, with the person responsible."""
    return (Dispute.objects.filter(school=school, status=MediationStatus.MEDIATING)
            .select_related("responsible").order_by("found_on", "id"))


def month_disputes(screening: DisputeReturn | None):
    """The disputes a return lists, in the order they were found."""
    if screening is None:
        return Dispute.objects.none()
    return screening.disputes.select_related("responsible").order_by("found_on", "id")


def carried_over(school: School, month: dt.date):
    """Disputes found before `month` and still being mediated at its start or
    settled within it: what the month's screening carried over."""
    return (Dispute.objects.filter(school=school, found_on__lt=month)
            .filter(Q(status=MediationStatus.MEDIATING)
                    | Q(resolved_on__gte=month) | Q(transferred_on__gte=month))
            .select_related("responsible").order_by("found_on", "id"))
