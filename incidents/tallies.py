"""The bureau view's counts, kept as referrals and bullying cases change
(IncidentTally; issue 10 items 7 and 10).

Counting every referral and case of a district on each view costs time in
proportion to the district (≈0.3 s at 50,000 schools and 500,000 records).
Instead each record counts under a few (bureau, year, school type, measure,
key) rows — its month, each of its situations, its state, its detection →
police gap, the state of its clocks — and a view sums a few hundred rows:

* `referral_marks` and `case_marks` say what one record counts for, from
  plain values (so a model instance, a `values()` row and a historical model
  give the same answer);
* the receivers (incidents/receivers.py) read a record's marks before each
  save and apply the difference after it, in the same transaction, whatever
  saves it: the services, the admin, a test's factory. A school that changes
  type or bureau moves its records' marks (`school_moved`). Bulk loads that
  bypass save() (the benchmarks) call `recount`;
* what depends on the clock is kept by day so that a view can split it at
  "now": open referrals not yet reported to the police by the day they were
  detected, undecided investigations and unrecorded re-checks by the day
  they are due (incidents.counts adds the few records of the split day live);
* `recount` counts a bureau's year from its records and repairs the rows;
  the nightly task `incidents.recount_tallies` runs it for every bureau and
  year and logs how many rows were wrong (there should be none).

The detection → police gap is kept as a histogram in tenths of an hour,
rounded up (whole hours beyond 72 hours), so "in time" against any whole-hour
limit is exact and the median and 90th percentile are read to the tenth.

Concurrency: `apply` inserts missing rows with ON CONFLICT DO NOTHING, then
adds with one UPDATE … SET n = n + d per row in a fixed order, which
PostgreSQL serialises per row on the latest committed value. `recount` locks
the rows it rewrites before it counts. Rows are never deleted (a row at 0 is
harmless; deleting one could lose a concurrent increment).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from .models import (
    BullyingCase,
    Dispute,
    DisputeReturn,
    IncidentTally,
    Referral,
    ReferralState,
    TallyMeasure,
)

logger = logging.getLogger(__name__)

M = TallyMeasure
# (bureau id, year, school type, measure, key)
Mark = tuple[int, int, str, str, str]

# The fields whose values decide a record's marks (with its school's bureau
# and type): a save that changes none of them changes no tally.
REFERRAL_FIELDS = ("school_id", "detected_at", "situations", "state", "police_reported_at")
CASE_FIELDS = ("school_id", "reported_at", "state", "investigation_due_at", "decided_at",
               "recheck_due_at", "rechecked_at")
RETURN_FIELDS = ("school_id", "month", "submitted_at", "none_found")
DISPUTE_FIELDS = ("school_id", "found_on", "kind", "risk", "status")
SCHOOL_FIELDS = ("bureau_id", "school_type")

FINE_GAP_HOURS = 72  # tenths of an hour up to here, whole hours beyond
IN_TIME, LATE = "in_time", "late"


def gap_bucket(gap: dt.timedelta) -> int:
    """The histogram key of a detection → police gap: the gap in tenths of
    an hour rounded up (whole hours, as tenths, beyond FINE_GAP_HOURS), so
    that `gap_bucket(g) <= 10 * h` exactly when `g <= h hours` for any whole
    number of hours h. Negative gaps (110 called before the concern was
    logged) round up towards zero."""
    micro = gap // dt.timedelta(microseconds=1)
    step = 360_000_000 if gap <= dt.timedelta(hours=FINE_GAP_HOURS) else 3_600_000_000
    return -(-micro // step) * (step // 360_000_000)


def day_key(moment: dt.datetime) -> str:
    """The Asia/Shanghai date of `moment` as "YYYY-MM-DD" (sorts as time)."""
    return timezone.localtime(moment).date().isoformat()


def _year_month(moment: dt.datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.year, local.month


def referral_marks(*, bureau_id: int, school_type: str, detected_at: dt.datetime,
                   situations: Iterable[str], state: str,
                   police_reported_at: dt.datetime | None, **_ignored) -> Counter[Mark]:
    """What one referral counts for: its month of detection, each of its
    situations in that month, its state, and either its gap to the police
    report, or "closed without a police report", or "open and not yet
    reported" by its day of detection (the view splits those at the limit)."""
    year, month = _year_month(detected_at)
    base = (bureau_id, year, school_type)
    marks: Counter[Mark] = Counter()
    marks[(*base, M.REFERRAL_MONTH, str(month))] += 1
    for code in sorted(set(situations or [])):
        marks[(*base, M.REFERRAL_SITUATION, f"{code}:{month}")] += 1
    marks[(*base, M.REFERRAL_STATE, state)] += 1
    if police_reported_at is not None:
        marks[(*base, M.POLICE_GAP, str(gap_bucket(police_reported_at - detected_at)))] += 1
    elif state == ReferralState.CLOSED:
        marks[(*base, M.CLOSED_UNREPORTED, "")] += 1
    else:
        marks[(*base, M.UNREPORTED_OPEN, day_key(detected_at))] += 1
    return marks


def case_marks(*, bureau_id: int, school_type: str, reported_at: dt.datetime, state: str,
               investigation_due_at: dt.datetime | None, decided_at: dt.datetime | None,
               recheck_due_at: dt.datetime | None, rechecked_at: dt.datetime | None,
               **_ignored) -> Counter[Mark]:
    """What one bullying case counts for: its state, and for each of its
    clocks that has started (the 10-day investigation, the 15-day re-check)
    whether it was done in time or late, or, not done yet, the day it is due."""
    year, _month = _year_month(reported_at)
    base = (bureau_id, year, school_type)
    marks: Counter[Mark] = Counter()
    marks[(*base, M.BULLYING_STATE, state)] += 1
    for due, done, done_measure, open_measure in (
            (investigation_due_at, decided_at, M.INVESTIGATION_DONE, M.INVESTIGATION_OPEN),
            (recheck_due_at, rechecked_at, M.RECHECK_DONE, M.RECHECK_OPEN)):
        if due is None:
            continue
        if done is not None:
            marks[(*base, done_measure, IN_TIME if done <= due else LATE)] += 1
        else:
            marks[(*base, open_measure, day_key(due))] += 1
    return marks


def return_marks(*, bureau_id: int, school_type: str, month: dt.date,
                 submitted_at: dt.datetime | None, none_found: bool,
                 **_ignored) -> Counter[Mark]:
    """What one dispute-screening return counts for once filed: its month,
    the day it was filed (Asia/Shanghai; the view compares it with the
    month's due date) and whether it said "none found". A draft counts for
    nothing."""
    if submitted_at is None:
        return Counter()
    key = f"{month.month}/{day_key(submitted_at)}/{int(bool(none_found))}"
    return Counter({(bureau_id, month.year, school_type, M.RETURN_FILED, key): 1})


def dispute_marks(*, bureau_id: int, school_type: str, found_on: dt.date, kind: str,
                  risk: str, status: str, **_ignored) -> Counter[Mark]:
    """What one dispute counts for: its kind, month found, risk and
    mediation state."""
    key = f"{kind}/{found_on.month}/{risk}/{status}"
    return Counter({(bureau_id, found_on.year, school_type, M.DISPUTE, key): 1})


def difference(after: Counter[Mark], before: Counter[Mark]) -> dict[Mark, int]:
    """after − before, keeping negative counts (Counter's `-` drops them)."""
    delta = Counter(after)
    delta.subtract(before)
    return {mark: n for mark, n in delta.items() if n}


def apply(delta: Mapping[Mark, int]) -> None:
    """Add `delta` to the rows: create the missing ones at 0, then one
    UPDATE per row in a fixed order (see the module docstring). Call inside
    the transaction that changed the records."""
    items = sorted((mark, n) for mark, n in delta.items() if n)
    if not items:
        return
    IncidentTally.objects.bulk_create(
        [IncidentTally(bureau_id=b, year=y, school_type=t, measure=m, key=k)
         for (b, y, t, m, k), _n in items], ignore_conflicts=True)
    for (b, y, t, m, k), n in items:
        IncidentTally.objects.filter(bureau_id=b, year=y, school_type=t, measure=m,
                                     key=k).update(n=F("n") + n)


# ------------------------------------------------------------ reading a record


@dataclass(frozen=True)
class Source:
    """A kind of record the tallies count: what it counts for (`marks`, from
    the values of `fields` and its school's bureau and type) and which of
    them belong to a calendar year (`of_year`)."""

    marks: Callable[..., Counter[Mark]]
    fields: tuple[str, ...]
    of_year: Callable[[int], Q]
    year_of: Callable[[], object]  # an expression of the record's year

    def values(self, queryset) -> Iterable[dict]:
        """The facts `marks` needs, one dict per record of `queryset`,
        read in chunks in no particular order."""
        return queryset.order_by().values(
            *self.fields, bureau_id=F("school__bureau_id"),
            school_type=F("school__school_type")).iterator(chunk_size=5000)


def _between(field: str, *, dates: bool = False) -> Callable[[int], Q]:
    """The records whose `field` (a moment, or a date) falls in a year."""
    def of_year(year: int) -> Q:
        start, end = ((dt.date(year, 1, 1), dt.date(year + 1, 1, 1)) if dates
                      else _year_bounds(year))
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return of_year


def _zone_year(field: str):
    return lambda: ExtractYear(field, tzinfo=timezone.get_default_timezone())


SOURCES: dict[type, Source] = {
    Referral: Source(referral_marks, REFERRAL_FIELDS, _between("detected_at"),
                     _zone_year("detected_at")),
    BullyingCase: Source(case_marks, CASE_FIELDS, _between("reported_at"),
                         _zone_year("reported_at")),
    DisputeReturn: Source(return_marks, RETURN_FIELDS, _between("month", dates=True),
                          lambda: ExtractYear("month")),
    Dispute: Source(dispute_marks, DISPUTE_FIELDS, _between("found_on", dates=True),
                    lambda: ExtractYear("found_on")),
}


def marks_in_database(model, pk: int) -> Counter[Mark]:
    """What the saved row `pk` of `model` (a SOURCES model) counts for now
    (nothing when there is no such row)."""
    source = SOURCES[model]
    total: Counter[Mark] = Counter()
    for facts in source.values(model.objects.filter(pk=pk)):
        total.update(source.marks(**facts))
    return total


def marks_of_instance(instance, school: Mapping[str, object]) -> Counter[Mark]:
    """What `instance` (a record of a SOURCES model, as it is in memory)
    counts for at `school` ({"bureau_id", "school_type"})."""
    source = SOURCES[instance._meta.concrete_model]
    return source.marks(**{name: getattr(instance, name) for name in source.fields}, **school)


def school_moved(school_id: int, before: Mapping[str, object],
                 after: Mapping[str, object]) -> None:
    """A school's bureau or type went from `before` to `after` (dicts of
    SCHOOL_FIELDS): move the marks of all its records."""
    if dict(before) == dict(after):
        return
    delta: Counter[Mark] = Counter()
    for model, source in SOURCES.items():
        for facts in model.objects.filter(school_id=school_id).values(*source.fields) \
                .iterator():
            delta.update(source.marks(**facts, **after))
            delta.subtract(source.marks(**facts, **before))
    apply(delta)


# ------------------------------------------------------------ recounting


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def count(bureau_id: int, year: int) -> Counter[Mark]:
    """What the rows of `bureau_id`'s `year` should hold, counted from the
    records (every referral detected, case reported, return for a month and
    dispute found in the year)."""
    right: Counter[Mark] = Counter()
    for model, source in SOURCES.items():
        for facts in source.values(model.objects.filter(source.of_year(year),
                                                        school__bureau_id=bureau_id)):
            right.update(source.marks(**facts))
    return right


@transaction.atomic
def recount(bureau_id: int, year: int) -> int:
    """Recount `bureau_id`'s `year` from its records and repair its rows.
    Returns how many rows held a wrong count (0 when the tallies were right)."""
    rows = {(r.school_type, r.measure, r.key): r for r in IncidentTally.objects
            .select_for_update().filter(bureau_id=bureau_id, year=year).order_by("pk")}
    right = count(bureau_id, year)
    changed = []
    for (school_type, measure, key), row in rows.items():
        want = right.pop((bureau_id, year, school_type, measure, key), 0)
        if row.n != want:
            row.n = want
            changed.append(row)
    IncidentTally.objects.bulk_update(changed, ["n"], batch_size=1000)
    missing = [IncidentTally(bureau_id=b, year=y, school_type=t, measure=m, key=k, n=n)
               for (b, y, t, m, k), n in sorted(right.items()) if n]
    IncidentTally.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
    return len(changed) + len(missing)


def years_to_count() -> list[tuple[int, int]]:
    """Every (bureau id, year) that has records or rows, in order."""
    found = set(IncidentTally.objects.values_list("bureau_id", "year").distinct())
    for model, source in SOURCES.items():
        found |= set(model.objects.annotate(y=source.year_of())
                     .values_list("school__bureau_id", "y").distinct().order_by())
    return sorted(found)


def recount_all() -> tuple[int, int]:
    """Recount every bureau's every year, one per transaction so that the
    records keep moving meanwhile. Returns (years recounted, rows that were
    wrong); wrong rows are logged as a warning (ids and counts only)."""
    wrong = n = 0
    for bureau_id, year in years_to_count():
        fixed = recount(bureau_id, year)
        if fixed:
            logger.warning("Incident tallies of bureau %s, %s: %s rows were wrong and have been "
                           "recounted.", bureau_id, year, fixed)
        wrong += fixed
        n += 1
    return n, wrong
