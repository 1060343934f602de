"""The bureau's dashboard (督导看板): who reported on time, late or not at all.

Every function here runs a fixed number of SQL queries whatever the number of
schools, and none reads every school or report of the district: the counts
come from the tallies kept per deadline and school type (reporting.tallies:
the schools each deadline expects and their reports), the matrix reads one
keyset page of the schools the selected deadline expects (the (bureau, code)
index) and their reports. Who is expected is Deadline.expected_schools (issue
8 item 3): a school added or closed today changes no past deadline's figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools import access
from schools.models import School, SchoolType

from . import tallies
from .access_rules import ReportingPerm
from .models import (
    Campaign,
    Deadline,
    DeadlineKind,
    DeadlineMove,
    ProgressReport,
    ReportStatus,
    timeliness_at,
)

STATE_LABELS = [
    ("submitted", _("Submitted")),  # on time or late: the 已提交 tile's list
    ("on_time", _("On time")),
    ("late", _("Late")),
    ("missing", _("Not submitted")),
    ("returned", _("Returned")),
    ("approved", _("Approved")),
]
STATES = tuple(value for value, _label in STATE_LABELS)
SCHOOLS_PER_PAGE = 50


def campaigns_for(user) -> QuerySet[Campaign]:
    """The campaigns of the bureaus whose people the user is (auditor included)."""
    return Campaign.objects.filter(
        bureau_id__in=access.bureaus_for(user, ReportingPerm.VIEW_CAMPAIGN))


def default_deadline(deadlines: list[Deadline], today: dt.date) -> Deadline | None:
    """The latest deadline already past, else the first one."""
    past = [d for d in deadlines if d.due_date < today]
    return past[-1] if past else (deadlines[0] if deadlines else None)


def _state_q(state: str, deadline: Deadline) -> Q:
    reports = ProgressReport.objects.filter(school=OuterRef("pk"), deadline=deadline)
    submitted = reports.filter(first_submitted_at__isnull=False)
    return {
        "submitted": Q(Exists(submitted)),
        "on_time": Q(Exists(submitted.filter(deadline.on_time_q()))),
        "late": Q(Exists(submitted.filter(deadline.late_q()))),
        "missing": ~Q(Exists(submitted)),
        "returned": Q(Exists(reports.filter(status=ReportStatus.RETURNED))),
        "approved": Q(Exists(reports.filter(status=ReportStatus.APPROVED))),
    }[state]


@dataclass
class DeadlineStats:
    deadline: Deadline
    expected: int
    submitted: int
    on_time: int
    returned: int
    approved: int
    is_closed: bool

    @property
    def late(self) -> int:
        return self.submitted - self.on_time

    @property
    def missing(self) -> int:
        return max(self.expected - self.submitted, 0) if self.is_closed else 0

    @property
    def awaiting_review(self) -> int:
        """Submitted (or resubmitted) and neither returned nor approved."""
        return max(self.submitted - self.returned - self.approved, 0)

    @property
    def not_yet_due(self) -> int:
        return 0 if self.is_closed else max(self.expected - self.submitted, 0)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected and self.is_closed else None

    @property
    def completeness(self) -> float | None:
        return self.submitted / self.expected if self.expected else None


@dataclass
class Counts:
    """Per (deadline, type) of the campaign's scope: the schools that deadline
    expects and the tallies of their reports. One query whatever the
    district's size."""

    school_types: list[str]
    rows: dict[tuple[int, str], tallies.Tally]

    def of(self, deadline: Deadline, school_types=None) -> tuple[int, tallies.Marks]:
        types = self.school_types if school_types is None else school_types
        expected, total = 0, [0, 0, 0, 0]
        for t in types:
            row = self.rows.get((deadline.pk, t))
            if row is None:
                continue
            expected += row.expected
            total = [a + b for a, b in zip(total, astuple(row.marks), strict=True)]
        return expected, tallies.Marks(*total)


def campaign_types(campaign: Campaign, school_type: str = "") -> list[str]:
    """The school types the campaign covers, narrowed to `school_type` when
    that is a school type (none, if the campaign does not cover it)."""
    valid = [t for t in campaign.school_types if t in SchoolType.values]
    if school_type in SchoolType.values:
        return [school_type] if school_type in valid else []
    return valid


def counts_of_campaign(campaign: Campaign, school_types: list[str],
                       deadlines: list[Deadline]) -> Counts:
    """Each deadline's expected schools of `school_types` and their reports'
    tallies: one query of a few rows per deadline, whatever the district's
    size (reporting.tallies keeps both counts). A reader sees the whole bureau
    (dashboard() and the export check so)."""
    rows = tallies.read(deadlines, school_types) if deadlines and school_types else {}
    return Counts(school_types=list(school_types), rows=rows)


def deadline_stats(counts: Counts, deadlines: list[Deadline],
                   now: dt.datetime) -> list[DeadlineStats]:
    """Per deadline: expected, submitted, on time, returned, approved."""
    result = []
    for d in deadlines:
        expected, m = counts.of(d)
        result.append(DeadlineStats(
            deadline=d, expected=expected, submitted=m.submitted, on_time=m.on_time,
            returned=m.returned, approved=m.approved, is_closed=d.is_closed(now)))
    return result


def stats_by_type(counts: Counts, deadline: Deadline) -> list[dict]:
    """Completeness and on-time rate per school type for one deadline."""
    result = []
    for value, label in SchoolType.choices:
        if value not in counts.school_types:
            continue
        n, m = counts.of(deadline, [value])
        if n:
            result.append({"label": label, "expected": n, "submitted": m.submitted,
                           "on_time": m.on_time, "rate": m.on_time / n})
    return result


NOT_EXPECTED = "not_expected"


@dataclass
class Cell:
    state: str  # on_time, late, missing, upcoming, not_expected
    review: str = ""  # returned, approved or ""
    code: str = ""  # the report's public UUID when the school has one (the cell's link)


@dataclass
class MatrixRow:
    school: School
    cells: list[Cell] = field(default_factory=list)


@dataclass
class KeysetPage:
    """One page of the matrix, found by school code rather than by offset (an
    offset reads and throws away every school before the page)."""

    object_list: list
    count: int  # schools matching, over every page
    has_next: bool
    has_previous: bool

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_after(self) -> str | None:
        return self.object_list[-1].code if self.object_list and self.has_next else None

    @property
    def previous_before(self) -> str | None:
        return self.object_list[0].code if self.object_list and self.has_previous else None


def _cursor(value) -> str | None:
    value = value if isinstance(value, str) else None
    return value[:40] if value else None


def matrix_page(schools: QuerySet[School], deadlines: list[Deadline], now: dt.datetime, *,
                after=None, before=None, count: int | None = None):
    """One page of the schools × deadlines matrix, in code order: the schools
    after the code `after` (or before the code `before`; neither: the first
    page). Three queries (count, page, reports), two when the caller already
    knows how many schools there are. A page walks the (bureau, code) index."""
    after, before = _cursor(after), _cursor(before)
    if before is not None:
        found = list(schools.filter(code__lt=before).order_by("-code")[:SCHOOLS_PER_PAGE + 1])
        has_previous, has_next = len(found) > SCHOOLS_PER_PAGE, True
        school_list = found[:SCHOOLS_PER_PAGE][::-1]
    else:
        page = schools.order_by("code")
        if after is not None:
            page = page.filter(code__gt=after)
        found = list(page[:SCHOOLS_PER_PAGE + 1])
        has_next, has_previous = len(found) > SCHOOLS_PER_PAGE, after is not None
        school_list = found[:SCHOOLS_PER_PAGE]
    if count is None:
        count = schools.count()
    closing = {d.pk: d.closes_at for d in deadlines}
    found_reports = {
        (s, d): (status, submitted_at, code)
        # order_by(): the model's default ordering would join schools and
        # deadlines only to sort rows that go into a dict. The code comes in
        # the same query: each cell with a report links to it (issue 8 item 5).
        for s, d, status, submitted_at, code in ProgressReport.objects.filter(
            school__in=school_list, deadline__in=deadlines,
        ).order_by().values_list("school_id", "deadline_id", "status", "first_submitted_at",
                                 "code")
    }
    rows = []
    for school in school_list:
        row = MatrixRow(school=school)
        for d in deadlines:
            if not school.expected_on(d.due_date):
                # Not in the campaign on that day (joined later, closed
                # before): owes nothing, counted nowhere (issue 8 item 3).
                row.cells.append(Cell(state=NOT_EXPECTED))
                continue
            status, submitted_at, code = found_reports.get((school.pk, d.pk), ("", None, ""))
            state = timeliness_at(submitted_at, closing[d.pk], now).value
            review = status if status in (ReportStatus.RETURNED, ReportStatus.APPROVED) else ""
            row.cells.append(Cell(state=state, review=review, code=str(code) if code else ""))
        rows.append(row)
    return KeysetPage(object_list=school_list, count=count, has_next=has_next,
                      has_previous=has_previous), rows


def dashboard(user, *, campaign: Campaign, deadline_id=None, school_type: str = "",
              state: str = "", after=None, before=None,
              now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    deadlines = list(campaign.deadlines.order_by("due_date", "kind"))
    selected = next((d for d in deadlines if d.pk == deadline_id), None) or \
        default_deadline(deadlines, timezone.localdate(now))
    if campaign.bureau_id not in access.bureaus_for(user, ReportingPerm.VIEW_CAMPAIGN):
        # The counts below cover every school of the bureau (the tallies count
        # whole school types); only the bureau's own people may read them.
        raise PermissionDenied
    counts = counts_of_campaign(campaign, campaign_types(campaign, school_type), deadlines)
    stats = deadline_stats(counts, deadlines, now)
    selected_stats = next((s for s in stats if s.deadline == selected), None)
    # The matrix lists the schools the selected deadline expects: as many as
    # its 应报 tile counts, so the count needs no query of its own.
    if selected is None:
        schools, count = School.objects.none(), 0
    else:
        schools = selected.expected_schools().filter(pk__in=School.objects.visible_to(user))
        if school_type in SchoolType.values:
            schools = schools.filter(school_type=school_type)
        count = selected_stats.expected
        if state in STATES:
            schools, count = schools.filter(_state_q(state, selected)), None
    page, rows = matrix_page(schools, deadlines, now, after=after, before=before, count=count)
    # The selected deadline's moves, oldest first (issue 8 item 3: a change of
    # date after the fact is shown, never silent).
    moves = (list(DeadlineMove.objects.filter(deadline=selected).select_related("moved_by"))
             if selected is not None and selected.is_moved else [])
    return {
        "campaign": campaign, "deadlines": deadlines, "selected": selected, "moves": moves,
        "stats": stats, "tiles": selected_stats,
        "by_type": stats_by_type(counts, selected) if selected else [],
        "page": page, "rows": rows,
        "trend": [{"date": s.deadline.due_date.isoformat(),
                   "year_end": s.deadline.kind == DeadlineKind.YEAR_END,
                   "rate": round(s.on_time_rate * 100, 1)}
                  for s in stats if s.on_time_rate is not None],
    }
