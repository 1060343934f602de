"""Read-only functions for pages (and for other apps' pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from schools.models import School, days_expected_q

from .models import (
    REVIEWABLE_STATUSES,
    SECTIONS,
    Campaign,
    Deadline,
    ProgressReport,
    ReportStatus,
    Timeliness,
)


def deadlines_for_school(school: School) -> QuerySet[Deadline]:
    """Deadlines that expect this school (Deadline.expects): of the campaigns
    covering its type, due within its campaign period (after it joined, before
    it closed: issue 8 item 3). A bureau runs a handful of campaigns, so their
    type lists are read once and matched here (portable across PostgreSQL and
    SQLite, which has no JSON containment lookup)."""
    campaign_ids = [
        c.pk for c in Campaign.objects.filter(bureau_id=school.bureau_id)
        if school.school_type in c.school_types
    ]
    return (Deadline.objects.filter(campaign_id__in=campaign_ids)
            .filter(days_expected_q("due_date", school.joined_on, school.closed_on))
            .select_related("campaign"))


@dataclass
class DeadlineRow:
    deadline: Deadline
    report: ProgressReport | None
    timeliness: Timeliness
    days_left: int

    @property
    def status(self) -> str:
        return self.report.status if self.report else ""

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else ""


def school_deadline_rows(school: School, today: dt.date | None = None) -> list[DeadlineRow]:
    """The school's deadlines (those that expect it) with its report (if any)
    for each, and each deadline's moves: three queries."""
    today = today or timezone.localdate()
    deadlines = list(deadlines_for_school(school).order_by("due_date", "kind")
                     .prefetch_related("moves"))
    reports = {r.deadline_id: r for r in ProgressReport.objects.filter(
        school=school, deadline__in=deadlines)}
    rows = []
    for d in deadlines:
        report = reports.get(d.pk)
        rows.append(DeadlineRow(
            deadline=d, report=report,
            timeliness=d.timeliness(report.first_submitted_at if report else None),
            days_left=(d.due_date - today).days,
        ))
    return rows


def next_open_row(rows: list[DeadlineRow]) -> DeadlineRow | None:
    """What the school should work on now: the earliest deadline not yet
    submitted whose date has not passed, else the earliest returned report."""
    returned = [r for r in rows if r.status == ReportStatus.RETURNED]
    if returned:
        return returned[0]
    upcoming = [r for r in rows if r.days_left >= 0 and r.status in ("", ReportStatus.DRAFT)]
    return upcoming[0] if upcoming else None


def review_candidates(user) -> QuerySet[ProgressReport]:
    """Every report `user` may see that has been submitted at least once (not a
    draft), with its school and deadline, in queue order — the newest deadline
    first (what an inspector works on), then first come first served: the
    review queue's list before its filters (reporting.filters.ReviewQueueFilter)."""
    return (ProgressReport.objects.visible_to(user)
            .exclude(status=ReportStatus.DRAFT)
            .select_related("school", "deadline")
            .order_by("-deadline__due_date", "last_submitted_at", "pk"))


def next_to_review(user, after: ProgressReport) -> ProgressReport | None:
    """The report awaiting review that comes after `after` in the queue's order
    (for 通过并下一份), else the first one still waiting, else None."""
    waiting = review_candidates(user).filter(status__in=REVIEWABLE_STATUSES).exclude(pk=after.pk)
    return waiting.first()


def report_detail(report: ProgressReport) -> dict:
    return {
        "section_items": [{"label": label, "text": report.sections.get(key, "")}
                          for key, label in SECTIONS[report.deadline.kind]],
        "measures": list(report.measures.all()),
        "transitions": list(report.transitions.select_related("actor")),
        "photos": list(report.photos.all()),
    }
