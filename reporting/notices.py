"""What the reporting cycle tells people directly, through the notifications
outbox: a report returned to its school, the receipt for each submission, and
the inspectors' daily digest.
Reminders and overdue notices are follow-up steps (reporting/followup_kinds.py).

Every notice has a dedupe key, so the digest may run twice, late, or on two
beats at once and still create each notice once. Contexts carry school names,
dates and a link, never a child's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Sum
from django.urls import reverse

from core import clock
from notifications.services import NoticeDraft, notice_cancel_for, notice_enqueue_many
from schools.models import Membership, Role, School

from . import tallies
from .models import Deadline, DeadlineTally, ProgressReport, ReportTransition
from .notice_kinds import DIGEST, RECEIPT, REPORT, RETURNED

# Who at a school hears about its reports: the first responsible person and the
# officer who writes them.
SCHOOL_RECIPIENT_ROLES = (Role.PRINCIPAL, Role.SAFETY_OFFICER)


def _school_recipients(schools) -> list[tuple[int, str, int, str]]:
    """(school id, school name, user id, user's language) for each recipient:
    one query."""
    return list(
        Membership.objects.active()
        .filter(role__in=SCHOOL_RECIPIENT_ROLES, school__in=schools)
        .values_list("school_id", "school__name", "user_id", "user__language")
        .distinct()
    )


@dataclass
class ScanResult:
    digests: int = 0


def scan(*, now: dt.datetime | None = None) -> ScanResult:
    """The inspectors' daily digest. Reminders and overdue notices are the
    report-due follow-ups' steps (reporting/followup_kinds.py), told by the
    follow-up scan every minute."""
    return ScanResult(digests=_digests(clock.today(now)))


def waiting_by_bureau() -> dict[int, int]:
    """Reports awaiting review (submitted or resubmitted) per bureau, from the
    dashboard's tallies: a report counted as submitted that is neither returned
    nor approved is awaiting review. Reads a few rows per deadline instead of
    every report (as the tallies, only expected schools' reports count: those
    of a closed school wait in the review queue without being in the digest)."""
    untallied = list(Deadline.objects.filter(tallies__isnull=True))
    if untallied:
        tallies.rebuild(untallied)
    rows = (DeadlineTally.objects.order_by().values("deadline__campaign__bureau_id")
            .annotate(n=Sum(F("submitted") - F("returned") - F("approved")))
            .values_list("deadline__campaign__bureau_id", "n"))
    return {bureau_id: n for bureau_id, n in rows if n > 0}


def _digests(today: dt.date) -> int:
    """Each inspector's daily count of reports awaiting review in their district."""
    waiting = waiting_by_bureau()
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


def report_withdrawn(report: ProgressReport) -> int:
    """A withdrawn submission's receipt that has not gone out yet is not sent: a
    receipt arriving after the school took the report back says the opposite of
    where it stands (a walk-through saw one). A receipt already sent stays, true
    of its moment. Called inside the withdrawal's transaction; returns how many
    were cancelled."""
    return notice_cancel_for(REPORT, report.code, kinds=[RECEIPT.name])


def report_received(report: ProgressReport, transition: ReportTransition, submitter) -> int:
    """The receipt (回执) for one submission or resubmission (issue 8 item 5),
    for the person who submitted it: in 消息 and by e-mail, saying the school's
    name and the deadline only. Called inside the submission's transaction, and
    keyed by its transition row, so each submission has exactly one receipt
    however often this runs. Returns 1 when written, 0 when it already was."""
    return notice_enqueue_many([NoticeDraft(
        key=f"receipt:{transition.pk}:{submitter.pk}", kind=RECEIPT.name,
        recipient_id=submitter.pk, language=getattr(submitter, "language", None) or None,
        subject=(REPORT, str(report.code)),
        context={"path": reverse("reporting:report_detail", args=[report.code]),
                 "school_name": report.school.name,
                 "deadline_date": report.deadline.due_date})])
