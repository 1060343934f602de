"""Read-only functions for pages (and for other apps' pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from schools.models import School, days_expected_q

from .models import (
    REVIEWABLE_STATUSES,
    SECTIONS,
    Bulletin,
    Campaign,
    Deadline,
    ProgressReport,
    ReportStatus,
    ReportTransition,
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
    days_left: int  # negative: days since the due date
    remedy_by: dt.date | None = None  # the published 通报's 补报截止日期, if any

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def returned_at(self) -> dt.datetime | None:
        """When the report was last returned (annotated by school_deadline_rows)."""
        return getattr(self.report, "returned_at", None)

    @property
    def is_submitted(self) -> bool:
        return self.report is not None and self.report.first_submitted_at is not None

    @property
    def status(self) -> str:
        return self.report.status if self.report else ""

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else ""


def school_deadline_rows(school: School, today: dt.date | None = None) -> list[DeadlineRow]:
    """The school's deadlines (those that expect it, in date order) with its report
    (if any) for each, and each deadline's moves; each report carries `returned_at`
    (its last return, or None): a fixed number of queries (deadlines, their moves,
    reports)."""
    today = today or timezone.localdate()
    deadlines = list(deadlines_for_school(school).order_by("due_date", "kind")
                     .prefetch_related("moves"))
    last_return = (ReportTransition.objects.filter(report=OuterRef("pk"), action="return")
                   .order_by("-at", "-pk").values("at")[:1])
    reports = {r.deadline_id: r for r in ProgressReport.objects.filter(
        school=school, deadline__in=deadlines).annotate(returned_at=Subquery(last_return))}
    rows = []
    for d in deadlines:
        report = reports.get(d.pk)
        rows.append(DeadlineRow(
            deadline=d, report=report,
            timeliness=d.timeliness(report.first_submitted_at if report else None),
            days_left=(d.due_date - today).days,
        ))
    return rows


@dataclass
class SchoolTodo:
    """The school's workbench (报告 page) as a to-do list, issue 8 item 5.
    Every deadline of the school is in exactly one group."""

    returned: list[DeadlineRow]  # returned reports to revise, newest return first
    missed: list[DeadlineRow]  # past deadlines not submitted: 补报, longest overdue first
    current: list[DeadlineRow]  # the next due date (two reports on 24 December)
    later: list[DeadlineRow]  # due dates after it, in date order
    history: list[DeadlineRow]  # past deadlines submitted, newest first


def school_todo(school: School, today: dt.date | None = None) -> SchoolTodo:
    """What the school must do, in the order it must be done (issue 8 item 5):
    every returned report (newest return first, with the reason), then every
    missed deadline still open for 补报, then the current (next) deadline,
    then the rest. The portal takes a late report at any time (no service
    refuses one), so every missed deadline is still open for 补报: a past
    deadline whose report is not submitted (none, or a draft — also a report
    withdrawn after the deadline). When the deadline's published 通报 set a
    补报截止日期, the row carries it (`remedy_by`). Four queries, whatever the
    number of deadlines."""
    today = today or timezone.localdate()
    rows = school_deadline_rows(school, today)
    remedies = dict(Bulletin.objects.filter(
        deadline__in=[r.deadline for r in rows], status=Bulletin.Status.PUBLISHED,
        remedy_by__isnull=False).values_list("deadline_id", "remedy_by")) if rows else {}
    for row in rows:
        row.remedy_by = remedies.get(row.deadline.pk)
    returned = sorted((r for r in rows if r.status == ReportStatus.RETURNED),
                      key=lambda r: (r.returned_at or r.report.updated_at, r.deadline.due_date),
                      reverse=True)
    open_rows = [r for r in rows if r.status != ReportStatus.RETURNED]
    missed = [r for r in open_rows if r.days_left < 0 and not r.is_submitted]
    upcoming = [r for r in open_rows if r.days_left >= 0]
    next_date = min((r.deadline.due_date for r in upcoming), default=None)
    current = [r for r in upcoming if r.deadline.due_date == next_date]
    later = [r for r in upcoming if r.deadline.due_date != next_date]
    history = [r for r in reversed(open_rows) if r.days_left < 0 and r.is_submitted]
    return SchoolTodo(returned=returned, missed=missed, current=current, later=later,
                      history=history)


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


def awaiting_review_count(user) -> int:
    """How many reports `user` may see are waiting for review (submitted or
    resubmitted, the queue's default view): one COUNT query, for the inspector's
    workbench (issue 8 item 5, walk-through l)."""
    return review_candidates(user).filter(status__in=REVIEWABLE_STATUSES).count()


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
