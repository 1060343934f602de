"""The dashboard's counts, kept as reports change (DeadlineTally).

Counting every report of a campaign on each dashboard view costs time in
proportion to the district (0.33 s at 50,000 schools × 16 deadlines). Instead
each (deadline, school type) has one row of counts:

* the report services call `marks_of` before a change and `record_change`
  after it, in the same transaction, so the row moves with the report;
* each row also holds `expected`: how many schools of the type the deadline
  counts (Deadline.counted_schools_q, issue 8 item 3). A school that joins,
  closes, or changes type or bureau moves one count on the rows of the
  deadlines its period covers (`school_moved`): only deadlines after the
  change, so no past rate moves;
* moving a deadline (on time is measured against its date, and the schools it
  expects depend on it) and changing a school recount the deadlines they touch
  with `rebuild`;
* `rebuild` also fills deadlines that have no rows yet: older data, or rows
  loaded in bulk outside the services; `manage.py rebuild_tallies` recounts
  everything and says how many rows were wrong.

Concurrency: `record_change` is one UPDATE with F() increments, which
PostgreSQL serialises per row and re-applies on the latest committed values.
`rebuild` locks the rows it recounts before it counts, so a change committed
before the lock is counted and one still waiting adds itself afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import astuple, dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest

from schools.models import School, SchoolType, days_expected_q

from .models import (
    Deadline,
    DeadlineTally,
    ProgressReport,
    ReportStatus,
    Timeliness,
)

logger = logging.getLogger(__name__)

FIELDS = ("submitted", "on_time", "returned", "approved")


@dataclass(frozen=True)
class Marks:
    """What one report adds to its tally row: 0 or 1 per count."""

    submitted: int = 0
    on_time: int = 0
    returned: int = 0
    approved: int = 0

    def __sub__(self, other: Marks) -> Marks:
        return Marks(*(a - b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def __bool__(self) -> bool:
        return any(astuple(self))


NOTHING = Marks()


def marks_of(report: ProgressReport) -> Marks:
    """What `report` counts for now. A school the deadline does not count (not
    in the campaign on its day, or of another bureau) counts for nothing."""
    if not report.deadline.counts(report.school):
        return NOTHING
    submitted = report.first_submitted_at is not None
    return Marks(
        submitted=int(submitted),
        on_time=int(report.deadline.timeliness(report.first_submitted_at) == Timeliness.ON_TIME),
        returned=int(report.status == ReportStatus.RETURNED),
        approved=int(report.status == ReportStatus.APPROVED),
    )


def record_change(report: ProgressReport, before: Marks) -> None:
    """Move the report's tally row from `before` to what the report counts for
    now. Call inside the transaction that changed the report."""
    delta = marks_of(report) - before
    if not delta:
        return
    updated = DeadlineTally.objects.filter(
        deadline_id=report.deadline_id, school_type=report.school.school_type,
    ).update(**{name: F(name) + getattr(delta, name) for name in FIELDS if getattr(delta, name)})
    if not updated:
        # No row yet (a deadline older than the tallies): count it from the
        # reports, which already include this change.
        rebuild([report.deadline])


def ensure_rows(deadlines: Iterable[Deadline]) -> None:
    """A zero row for each school type of each deadline that has none. A new
    deadline has no reports, but schools expect it: create deadlines with
    `rebuild`, which calls this and then counts."""
    DeadlineTally.objects.bulk_create(
        [DeadlineTally(deadline=d, school_type=t) for d in deadlines for t in SchoolType.values],
        ignore_conflicts=True,
    )


def count_expected(deadline: Deadline) -> dict[str, int]:
    """How many schools the deadline counts, by type (one query)."""
    return dict(School.objects.filter(deadline.counted_schools_q()).order_by()
                .values_list("school_type").annotate(n=Count("id")))


def count(deadline: Deadline) -> dict[str, Marks]:
    """Count one deadline's reports from scratch, by school type."""
    rows = ProgressReport.objects.filter(
        deadline.counted_schools_q("school__"), deadline=deadline,
    ).values("school__school_type").order_by().annotate(
        submitted=Count("id", filter=Q(first_submitted_at__isnull=False)),
        on_time=Count("id", filter=deadline.on_time_q()),
        returned=Count("id", filter=Q(status=ReportStatus.RETURNED)),
        approved=Count("id", filter=Q(status=ReportStatus.APPROVED)),
    )
    return {r["school__school_type"]: Marks(*(r[name] for name in FIELDS)) for r in rows}


@transaction.atomic
def rebuild(deadlines: Iterable[Deadline]) -> int:
    """Recount the deadlines' rows from their reports. Returns how many rows
    held a different count (0 when the tallies were right)."""
    deadlines = list(deadlines)
    if not deadlines:
        return 0
    ensure_rows(deadlines)
    rows = {
        (row.deadline_id, row.school_type): row
        for row in DeadlineTally.objects.select_for_update().filter(
            deadline__in=deadlines).order_by("pk")
    }
    changed = []
    for deadline in deadlines:
        counted, expected = count(deadline), count_expected(deadline)
        for school_type in SchoolType.values:
            row = rows[(deadline.pk, school_type)]
            right = astuple(counted.get(school_type, NOTHING)) + (expected.get(school_type, 0),)
            if right != tuple(getattr(row, name) for name in (*FIELDS, "expected")):
                for name, value in zip((*FIELDS, "expected"), right, strict=True):
                    setattr(row, name, value)
                changed.append(row)
    DeadlineTally.objects.bulk_update(changed, (*FIELDS, "expected"))
    return len(changed)


@dataclass(frozen=True)
class Tally:
    """One (deadline, type) row as read: the schools expected, their reports' marks."""

    expected: int
    marks: Marks


def read(deadlines: list[Deadline], school_types: Iterable[str]) -> dict[tuple[int, str], Tally]:
    """The counts of `deadlines` for `school_types`, keyed by (deadline pk,
    type): one query, plus a rebuild for deadlines that have no rows yet."""
    school_types = list(school_types)

    def fetch():
        return {
            (row.deadline_id, row.school_type): Tally(
                row.expected, Marks(*(getattr(row, name) for name in FIELDS)))
            for row in DeadlineTally.objects.filter(deadline__in=deadlines,
                                                    school_type__in=school_types)
        }

    found = fetch()
    untallied = [d for d in deadlines if any((d.pk, t) not in found for t in school_types)]
    if untallied:
        rebuild(untallied)
        found = fetch()
    return found


def rebuild_all(campaigns=None) -> tuple[int, int]:
    """Recount every deadline (of `campaigns`, or of all), one deadline per
    transaction so that reports keep moving meanwhile. Returns (deadlines
    recounted, rows that were wrong)."""
    deadlines = Deadline.objects.select_related("campaign").order_by("pk")
    if campaigns is not None:
        deadlines = deadlines.filter(campaign__in=campaigns)
    wrong = n = 0
    for deadline in deadlines.iterator():
        wrong += rebuild([deadline])
        n += 1
    if wrong:
        logger.warning("Deadline tallies: %s rows were wrong and have been recounted.", wrong)
    return n, wrong


# ------------------------------------------------------------ expected schools
#
# A school's contribution to `expected`: one per row of (a deadline of its
# bureau's campaigns that its period covers, its type). Reporting's receivers
# call school_moved() when a school is created, changed or deleted, in the same
# transaction. Deadlines without rows yet are counted when first read.

COUNTED_BY = ("joined_on", "closed_on", "school_type", "bureau_id")


def _rows_of(values: dict):
    return DeadlineTally.objects.filter(
        days_expected_q("deadline__due_date", values["joined_on"], values["closed_on"]),
        deadline__campaign__bureau_id=values["bureau_id"], school_type=values["school_type"])


def school_moved(before: dict | None, after: dict | None) -> None:
    """A school went from `before` to `after` (dicts of COUNTED_BY; None: did
    not exist / is gone): take one count off the rows its old period covered
    and add one to the rows its new period covers. Two UPDATEs at most. A
    school that joins today touches only deadlines due after today; one that
    closes today, only deadlines due from today on."""
    if before == after:
        return
    if before is not None:
        # Never below zero: a row counted wrong is repaired by check_tallies.
        _rows_of(before).update(expected=Greatest(F("expected") - 1, 0))
    if after is not None:
        _rows_of(after).update(expected=F("expected") + 1)
