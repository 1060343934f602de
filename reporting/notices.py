"""What the reporting cycle tells people, through the notifications outbox.

Every notice has a dedupe key, so the scan may run twice, late, or on two beats
at once and still create each notice once. A notice whose reason has gone (the
report arrived) is cancelled, not sent. Contexts carry school names, dates and
a link, never a child's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from notifications.services import NoticeDraft, notice_cancel_for, notice_enqueue_many
from schools.models import Membership, Role, School

from .models import REVIEWABLE_STATUSES, Deadline, ProgressReport, ReportTransition
from .notice_kinds import DIGEST, OVERDUE, REMINDER, REPORT, RETURNED, deadline_school_subject

# Who at a school hears about its reports: the first responsible person and the
# officer who writes them.
SCHOOL_RECIPIENT_ROLES = (Role.PRINCIPAL, Role.SAFETY_OFFICER)
OVERDUE_CATCH_UP_DAYS = 7


def _school_recipients(schools) -> list[tuple[int, str, int, str]]:
    """(school id, school name, user id, user's language) for each recipient:
    one query."""
    return list(
        Membership.objects.active()
        .filter(role__in=SCHOOL_RECIPIENT_ROLES, school__in=schools)
        .values_list("school_id", "school__name", "user_id", "user__language")
        .distinct()
    )


def _unsubmitted(deadline: Deadline):
    submitted = ProgressReport.objects.filter(deadline=deadline, first_submitted_at__isnull=False)
    return deadline.campaign.expected_schools().exclude(
        pk__in=submitted.values("school_id"))


_SENTINEL = 987_654_321


def _report_paths(deadline: Deadline):
    """The report page of each school for one deadline: reverse() once, not
    once per school (24,000 reverse() calls were a fifth of a large scan)."""
    def reverse_one(school_id: int) -> str:
        return reverse("reporting:report_edit", args=[school_id, deadline.pk])

    template = reverse_one(_SENTINEL)
    if template.count(str(_SENTINEL)) != 1:
        return reverse_one
    head, tail = template.split(str(_SENTINEL))
    return lambda school_id: f"{head}{int(school_id)}{tail}"


def reminder_offset(days_left: int, offsets: list[int]) -> int | None:
    """The reminder due today: the tightest configured offset not before today.
    A scan that missed a day catches up with one reminder, not several."""
    applicable = [o for o in offsets if o >= days_left >= 0]
    return min(applicable) if applicable else None


@dataclass
class ScanResult:
    reminders: int = 0
    overdue: int = 0
    digests: int = 0


def scan(*, now: dt.datetime | None = None) -> ScanResult:
    now = now or timezone.now()
    today = timezone.localdate(now)
    offsets = sorted(set(settings.REPORT_REMINDER_DAYS))
    result = ScanResult()
    upcoming = Deadline.objects.filter(
        due_date__gte=today, due_date__lte=today + dt.timedelta(days=max(offsets, default=0))
    ).select_related("campaign")
    for deadline in upcoming:
        offset = reminder_offset((deadline.due_date - today).days, offsets)
        if offset is None:
            continue
        result.reminders += notice_enqueue_many(
            _school_drafts(deadline, REMINDER.name, f"reminder:{deadline.pk}:{offset}"))
    missed = Deadline.objects.filter(
        due_date__lt=today, due_date__gte=today - dt.timedelta(days=OVERDUE_CATCH_UP_DAYS)
    ).select_related("campaign")
    for deadline in missed:
        result.overdue += notice_enqueue_many(
            _school_drafts(deadline, OVERDUE.name, f"overdue:{deadline.pk}"))
    result.digests = _digests(today)
    return result


# ---------------------------------------------------------------- draft construction
# (the notices' subjects and group keys; see reporting/notice_kinds.py)


def _school_drafts(deadline: Deadline, kind: str, key_prefix: str):
    """One notice per recipient of each school that has not submitted for
    `deadline`, keyed `<key_prefix>:<school>:<user>`, linking to the report.
    Its subject is the school × deadline pair; the school's group robot hears of
    it once per `<key_prefix>:<school>` (each reminder day, and once overdue)."""
    path = _report_paths(deadline)
    for school_id, name, user_id, language in _school_recipients(_unsubmitted(deadline)):
        yield NoticeDraft(
            key=f"{key_prefix}:{school_id}:{user_id}", kind=kind, recipient_id=user_id,
            language=language,
            context={"path": path(school_id), "school_id": school_id, "school_name": name,
                     "deadline_id": deadline.pk, "deadline_date": deadline.due_date},
            subject=deadline_school_subject(deadline.pk, school_id),
            school_id=school_id, group_key=f"{key_prefix}:{school_id}",
        )


def _digests(today: dt.date) -> int:
    """Each inspector's daily count of reports awaiting review in their district."""
    waiting = dict(
        School.objects.filter(reports__status__in=REVIEWABLE_STATUSES)
        .values_list("bureau_id").annotate(n=Count("reports")).values_list("bureau_id", "n")
    )
    inspectors = Membership.objects.active().filter(role=Role.INSPECTOR,
                                                    bureau_id__in=list(waiting))
    return notice_enqueue_many(
        NoticeDraft(key=f"digest:{today.isoformat()}:{m.user_id}", kind=DIGEST.name,
                    recipient_id=m.user_id,
                    context={"path": reverse("reporting:review_queue"),
                             "count": waiting[m.bureau_id]})
        for m in inspectors
    )


def report_returned(report: ProgressReport, transition: ReportTransition) -> int:
    """Tell the school its report came back. Called inside the return's
    transaction: the notice exists exactly when the return does."""
    return notice_enqueue_many(
        NoticeDraft(
            key=f"returned:{transition.pk}:{user_id}", kind=RETURNED.name,
            recipient_id=user_id, language=language, subject=(REPORT, str(report.code)),
            context={"path": reverse("reporting:report_detail", args=[report.code]),
                     "school_id": report.school_id, "school_name": name,
                     "deadline_id": report.deadline_id,
                     "deadline_date": report.deadline.due_date},
        )
        for _school, name, user_id, language in _school_recipients(
            School.objects.filter(pk=report.school_id))
    )


def report_arrived(report: ProgressReport) -> int:
    """The report is in: reminders and overdue notices not yet sent are moot,
    e-mails and group messages alike. Returns how many notices were cancelled."""
    return notice_cancel_for(*deadline_school_subject(report.deadline_id, report.school_id),
                             kinds=[REMINDER.name, OVERDUE.name])
