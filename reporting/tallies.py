"""The dashboard's counts, kept as reports change (DeadlineTally).

Counting every report of a campaign on each dashboard view costs time in
proportion to the district (0.33 s at 50,000 schools × 16 deadlines). Instead
each (deadline, school type) has one row of counts:

* the report services call `marks_of` before a change and `record_change`
  after it, in the same transaction, so the row moves with the report;
* moving a deadline (on time is measured against its date) and changing a
  school (closed, out of the campaign, another type or bureau) recount the deadlines
  they touch with `rebuild`;
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

from schools.models import School, SchoolType

from .models import (
    Deadline,
    DeadlineTally,
    ExpectedSchoolTally,
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
    """What `report` counts for now. A closed school, one taken out of the
    campaign or one of another bureau is not expected and counts for nothing."""
    school = report.school
    if not (school.is_open and school.in_campaign
            and school.bureau_id == report.deadline.campaign.bureau_id):
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
    """A zero row for each school type of each deadline (a new deadline has no
    reports yet, so zero is its count)."""
    DeadlineTally.objects.bulk_create(
        [DeadlineTally(deadline=d, school_type=t) for d in deadlines for t in SchoolType.values],
        ignore_conflicts=True,
    )


def count(deadline: Deadline) -> dict[str, Marks]:
    """Count one deadline's reports from scratch, by school type."""
    rows = ProgressReport.objects.filter(
        deadline=deadline, school__is_open=True, school__in_campaign=True,
        school__bureau_id=F("deadline__campaign__bureau_id"),
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
        counted = count(deadline)
        for school_type in SchoolType.values:
            row = rows[(deadline.pk, school_type)]
            right = counted.get(school_type, NOTHING)
            if astuple(right) != tuple(getattr(row, name) for name in FIELDS):
                for name in FIELDS:
                    setattr(row, name, getattr(right, name))
                changed.append(row)
    DeadlineTally.objects.bulk_update(changed, FIELDS)
    return len(changed)


def read(deadlines: list[Deadline], school_types: Iterable[str]) -> dict[tuple[int, str], Marks]:
    """The counts of `deadlines` for `school_types`, keyed by (deadline pk,
    type): one query, plus a rebuild for deadlines that have no rows yet."""
    school_types = list(school_types)

    def fetch():
        return {
            (row.deadline_id, row.school_type): Marks(*(getattr(row, name) for name in FIELDS))
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
    transaction so that reports keep moving meanwhile, and the expected schools
    of their bureaus. Returns (deadlines recounted, rows that were wrong)."""
    deadlines = Deadline.objects.order_by("pk")
    if campaigns is not None:
        deadlines = deadlines.filter(campaign__in=campaigns)
    wrong = n = 0
    for deadline in deadlines.iterator():
        wrong += rebuild([deadline])
        n += 1
    bureaus = (sorted({c.bureau_id for c in campaigns}) if campaigns is not None
               else list(School.objects.order_by().values_list("bureau_id", flat=True)
                         .distinct()))
    for bureau_id in bureaus:
        wrong += rebuild_expected(bureau_id)
    if wrong:
        logger.warning("Deadline tallies: %s rows were wrong and have been recounted.", wrong)
    return n, wrong


# ------------------------------------------------------------ expected schools
#
# The other half of the dashboard's counts: how many schools of each type a
# bureau expects (open and in the campaign), one ExpectedSchoolTally row per
# (bureau, type). Reporting's receivers call school_moved() when a school is
# created, changed or deleted, in the same transaction.


def counted_key(values: dict | None) -> tuple[int, str] | None:
    """(bureau id, school type) under which a school with these values
    (is_open, in_campaign, school_type, bureau_id) is expected, or None."""
    if not values or not (values["is_open"] and values["in_campaign"]):
        return None
    return values["bureau_id"], values["school_type"]


def school_moved(before: dict | None, after: dict | None) -> None:
    """A school went from `before` to `after` (None: did not exist / is gone):
    move one count between their rows. A bureau without rows yet is counted
    from scratch when first read (rebuild_expected), so it is left alone."""
    old, new = counted_key(before), counted_key(after)
    if old == new:
        return
    for key, step in ((old, -1), (new, +1)):
        if key is None:
            continue
        bureau_id, school_type = key
        ExpectedSchoolTally.objects.filter(bureau_id=bureau_id, school_type=school_type).update(
            expected=F("expected") + step)


@transaction.atomic
def rebuild_expected(bureau_id: int) -> int:
    """Recount the bureau's expected schools per type. Returns how many rows
    held a different count (0 when they were right; rows created now, for a
    bureau never counted before, are not wrong)."""
    had = set(ExpectedSchoolTally.objects.filter(bureau_id=bureau_id)
              .values_list("school_type", flat=True))
    ExpectedSchoolTally.objects.bulk_create(
        [ExpectedSchoolTally(bureau_id=bureau_id, school_type=t) for t in SchoolType.values],
        ignore_conflicts=True)
    # Lock first, then count: a school change committed before the lock is
    # counted, one still waiting moves its row afterwards.
    rows = list(ExpectedSchoolTally.objects.select_for_update()
                .filter(bureau_id=bureau_id).order_by("pk"))
    counted = dict(School.objects.in_campaign().filter(bureau_id=bureau_id).order_by()
                   .values_list("school_type").annotate(n=Count("id")))
    changed = [row for row in rows if row.expected != counted.get(row.school_type, 0)]
    for row in changed:
        row.expected = counted.get(row.school_type, 0)
    ExpectedSchoolTally.objects.bulk_update(changed, ["expected"])
    return sum(1 for row in changed if row.school_type in had)


def read_expected(bureau_id: int, school_types: Iterable[str]) -> dict[str, int]:
    """The bureau's expected schools of `school_types`, by type, types with
    none left out: one query (plus a recount the first time a bureau is read)."""
    school_types = list(school_types)

    def fetch():
        return dict(ExpectedSchoolTally.objects.filter(
            bureau_id=bureau_id, school_type__in=school_types,
        ).values_list("school_type", "expected"))

    found = fetch()
    if any(t not in found for t in school_types):
        rebuild_expected(bureau_id)
        found = fetch()
    return {t: n for t, n in found.items() if n}
