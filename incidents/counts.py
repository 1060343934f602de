"""The bureau's view of mandatory reporting (issue 10 item 7): how many
referrals, of which situations, in which months and school types, how
fast the police were told, and the bullying cases by state and whether
their 10-day investigation and 15-day re-check were kept — counts only,
never a child, a school's case or a code, and every count through
core.suppression (1–4 → "<5", complements withheld "*").

A bureau and a calendar year (Asia/Shanghai) are read from the tallies kept
as the records change (incidents.tallies), in the same five queries whatever
the size of the district: the counts by month, situation, state and clock;
the detection → police gap histogram; the open clocks summed either side of
the day that holds "now"; and, live, the few open records of that day (one
query for referrals, one for bullying cases).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.suppression import (
    WITHHELD,
    Cell,
    SuppressedTable,
    small_mark,
    suppress_table,
    threshold_default,
)
from schools.models import SchoolType

from . import tallies
from .models import (
    BullyingCase,
    BullyingState,
    IncidentTally,
    Referral,
    ReferralState,
    Situation,
    TallyMeasure,
)

MONTHS = range(1, 13)
M = TallyMeasure
# The measures split at a moment (summed in SQL), and the one read as a
# histogram; every other measure is read row by row.
OPEN_MEASURES = (M.UNREPORTED_OPEN, M.INVESTIGATION_OPEN, M.RECHECK_OPEN)


@dataclass(frozen=True)
class Timeliness:
    """Detection → report to the police over the year's referrals: `table`
    is one suppressed row (in time, late, not reported and overdue, not
    reported and still within the limit, closed without a police report;
    total); `median_hours` and `p90_hours` (floats, hours, rounded up to the
    tenth; to the hour beyond 72 hours) over the reported ones, None when
    fewer than the small-cell threshold were reported (a median of three
    describes three cases)."""

    limit_hours: int
    table: SuppressedTable
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class ReferralCounts:
    """Everything the bureau view shows, suppressed. `by_month` is one row
    (referrals detected each month, total); `by_situation` a row per
    situation (a referral with two situations counts in both, so only the
    row totals are additive); `by_type` school type × state with both
    totals."""

    year: int
    school_type: str
    by_month: SuppressedTable
    situations: list[tuple[str, str]]
    by_situation: SuppressedTable
    types: list[tuple[str, str]]
    states: list[tuple[str, str]]
    by_type: SuppressedTable
    timeliness: Timeliness
    bullying: BullyingCounts


@dataclass(frozen=True)
class BullyingCounts:
    """The year's bullying cases (by the day reported), suppressed:
    `by_state` one row (a count per state, total); `investigation` one row
    (decided within the 10 days, decided late, not decided and overdue, not
    decided and within the 10 days; total of those started); `recheck` the
    same for the 15-day re-check of appealed cases (2017 plan)."""

    states: list[tuple[str, str]]
    by_state: SuppressedTable
    investigation: SuppressedTable
    recheck: SuppressedTable


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


@dataclass(frozen=True)
class _Split:
    """Open clocks of one measure either side of a moment: `before` were
    due (or, for referrals, detected) before it, `total` all of them."""

    before: int
    total: int


def referral_counts(*, bureau_id: int, year: int, school_type: str = "",
                    at: dt.datetime | None = None) -> ReferralCounts:
    """The referrals of bureau `bureau_id` detected in calendar `year`
    (Asia/Shanghai) and its bullying cases reported in it, of schools of
    `school_type` ("" for all), counted and suppressed (see the module
    docstring). `at` (default now) decides which unreported referrals are
    already overdue (settings.INCIDENTS_POLICE_REPORT_HOURS after detection;
    the law says 立即, 2020 Opinion Art. 4) and which clocks have run out.
    Raises nothing for an empty year: every count is 0."""
    at = at or clock.now()
    limit = dt.timedelta(hours=settings.INCIDENTS_POLICE_REPORT_HOURS)
    rows = IncidentTally.objects.filter(bureau_id=bureau_id, year=year)
    if school_type:
        rows = rows.filter(school_type=school_type)

    # 1. Everything but the histogram and the open clocks, row by row.
    grid: Counter[tuple[str, str, str]] = Counter()
    for kind, measure, key, n in rows.exclude(measure__in=(*OPEN_MEASURES, M.POLICE_GAP)) \
            .values_list("school_type", "measure", "key", "n"):
        grid[(kind, measure, key)] += n
    total: Counter[tuple[str, str]] = Counter()
    for (_kind, measure, key), n in grid.items():
        total[(measure, key)] += n

    by_month = suppress_table([[total[(M.REFERRAL_MONTH, str(m))] for m in MONTHS]],
                              row_totals=True)
    by_situation = suppress_table(
        [[total[(M.REFERRAL_SITUATION, f"{code}:{m}")] for m in MONTHS]
         for code in Situation.values], row_totals=True)
    types = [(v, str(label)) for v, label in SchoolType.choices
             if not school_type or v == school_type]
    states = [(v, str(label)) for v, label in ReferralState.choices]
    by_type = suppress_table([[grid[(t, M.REFERRAL_STATE, s)] for s, _label in states]
                              for t, _label in types], row_totals=True, column_totals=True)

    # 2. The open clocks, split at their day in SQL (3.), then that day live (4., 5.).
    splits = _open_splits(rows, {M.UNREPORTED_OPEN: at - limit, M.INVESTIGATION_OPEN: at,
                                 M.RECHECK_OPEN: at})
    scope = {"school__bureau_id": bureau_id}
    if school_type:
        scope["school__school_type"] = school_type
    start, end = _year_bounds(year)
    return ReferralCounts(
        year=year, school_type=school_type, by_month=by_month,
        situations=[(v, str(label)) for v, label in Situation.choices],
        by_situation=by_situation, types=types, states=states, by_type=by_type,
        timeliness=_timeliness(rows, total, splits[M.UNREPORTED_OPEN], scope=scope,
                               start=start, end=end, at=at, limit=limit),
        bullying=_bullying(total, splits, scope=scope, start=start, end=end, at=at))


def _open_splits(rows, moments: dict[str, dt.datetime]) -> dict[str, _Split]:
    """For each open measure, the rows of days before its moment's day and
    all its rows, summed in one query."""
    sums = {}
    for measure, moment in moments.items():
        sums[f"{measure}_before"] = Sum("n", filter=Q(measure=measure,
                                                      key__lt=tallies.day_key(moment)))
        sums[f"{measure}_total"] = Sum("n", filter=Q(measure=measure))
    got = rows.filter(measure__in=list(moments)).aggregate(**sums)
    return {measure: _Split(got[f"{measure}_before"] or 0, got[f"{measure}_total"] or 0)
            for measure in moments}


def _day_start(moment: dt.datetime) -> dt.datetime:
    return clock.start_of_day(clock.today(moment))


def _bullying(total: Counter, splits: dict[str, _Split], *, scope: dict, start, end,
              at) -> BullyingCounts:
    """The bullying part of the bureau view: the tallies, and one live query
    for the clocks due earlier today."""
    states = [(v, str(label)) for v, label in BullyingState.choices]
    today = _day_start(at)
    live = BullyingCase.objects.filter(**scope, reported_at__gte=start, reported_at__lt=end) \
        .filter(Q(decided_at__isnull=True, investigation_due_at__gte=today,
                  investigation_due_at__lt=at)
                | Q(rechecked_at__isnull=True, recheck_due_at__gte=today, recheck_due_at__lt=at)) \
        .aggregate(inv=Count("id", filter=Q(decided_at__isnull=True,
                                            investigation_due_at__gte=today,
                                            investigation_due_at__lt=at)),
                   rc=Count("id", filter=Q(rechecked_at__isnull=True, recheck_due_at__gte=today,
                                           recheck_due_at__lt=at)))

    def clock_row(done: str, split: _Split, due_today: int) -> list[int]:
        overdue = split.before + due_today
        return [total[(done, tallies.IN_TIME)], total[(done, tallies.LATE)], overdue,
                split.total - overdue]

    return BullyingCounts(
        states=states,
        by_state=suppress_table([[total[(M.BULLYING_STATE, v)] for v, _label in states]],
                                row_totals=True),
        investigation=suppress_table([clock_row(M.INVESTIGATION_DONE,
                                                splits[M.INVESTIGATION_OPEN], live["inv"])],
                                     row_totals=True),
        recheck=suppress_table([clock_row(M.RECHECK_DONE, splits[M.RECHECK_OPEN], live["rc"])],
                               row_totals=True))


def _timeliness(rows, total: Counter, unreported: _Split, *, scope: dict, start, end, at,
                limit: dt.timedelta) -> Timeliness:
    """Detection → police report: the histogram (one query) and the open
    referrals detected on the day the limit falls in, before it (one)."""
    histogram = sorted(
        (int(bucket), n) for bucket, n in rows.filter(measure=M.POLICE_GAP)
        .annotate(bucket=Cast("key", IntegerField())).values("bucket")
        .annotate(total=Sum("n")).values_list("bucket", "total") if n)
    limit_bucket = tallies.gap_bucket(limit)
    in_time = sum(n for bucket, n in histogram if bucket <= limit_bucket)
    late = sum(n for bucket, n in histogram if bucket > limit_bucket)
    boundary = at - limit
    overdue = unreported.before + Referral.objects.filter(
        **scope, detected_at__gte=max(start, _day_start(boundary)),
        detected_at__lt=min(end, boundary), police_reported_at__isnull=True) \
        .exclude(state=ReferralState.CLOSED).count()
    row = [in_time, late, overdue, unreported.total - overdue,
           total[(M.CLOSED_UNREPORTED, "")]]
    n_reported = in_time + late
    median = p90 = None
    if n_reported >= threshold_default():
        median = _quantile(histogram, n_reported, 0.5)
        p90 = _quantile(histogram, n_reported, 0.9)
    return Timeliness(limit_hours=settings.INCIDENTS_POLICE_REPORT_HOURS,
                      table=suppress_table([row], row_totals=True),
                      median_hours=median, p90_hours=p90)


def _quantile(histogram: list[tuple[int, int]], n: int, q: float) -> float:
    """The q-quantile (nearest rank) of the `n` gaps of `histogram` ((bucket
    in tenths of an hour, count) in order), in hours."""
    rank = _rank(n, q)
    seen = 0
    for bucket, count in histogram:
        seen += count
        if seen > rank:
            return bucket / 10
    raise ValueError("the histogram holds fewer than n gaps")


def _rank(n: int, q: float) -> int:
    """The 0-based index of the q-quantile of n sorted values (nearest rank:
    the smallest value with at least q·n values at or below it)."""
    return max(0, math.ceil(q * n) - 1)


def month_labels() -> list[str]:
    """"1月" … "12月" (translated)."""
    return [_("Month %(month)s") % {"month": m} for m in MONTHS]


def legend() -> str:
    """The words under the tables and the sheet saying what the marks mean."""
    return _(
        "%(small)s: from 1 to %(limit)s referrals, not shown so that no child or school can "
        "be recognised. %(withheld)s: withheld so that a small number cannot be worked out "
        "from a total. A referral with two situations counts under both. The median and the "
        "90th percentile are shown from %(threshold)s reported referrals.") % {
        "small": small_mark(), "limit": threshold_default() - 1, "withheld": WITHHELD,
        "threshold": threshold_default()}


def write_workbook(counts: ReferralCounts, *, bureau_name: str, out: IO[bytes]) -> None:
    """The bureau view as an .xlsx into `out`: one sheet, the same tables and
    the same shown cells ("<5", "*" or the number), texts through
    core.excel.safe_cell, printed like a 台账. No child, school or code."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from core.excel import print_setup, safe_cell

    wb = Workbook()
    ws = wb.active
    ws.title = _("Mandatory reporting")[:31]
    bold = Font(bold=True)

    def header(values):
        ws.append([safe_cell(str(v)) for v in values])
        for cell in ws[ws.max_row]:
            cell.font = bold

    def shown(cells: list[Cell]) -> list:
        return [c.shown for c in cells]

    kind = dict(SchoolType.choices).get(counts.school_type, _("All types"))
    ws.append([safe_cell(_("%(bureau)s: mandatory-reporting referrals, %(year)s (%(kind)s)") % {
        "bureau": bureau_name, "year": counts.year, "kind": kind})])
    ws[1][0].font = bold
    ws.append([])
    months = month_labels()
    header([_("Referrals per month"), *months, _("Total")])
    ws.append([str(_("Referrals")), *shown(counts.by_month.cells[0]),
               counts.by_month.row_totals[0].shown])
    ws.append([])
    header([_("Situation"), *months, _("Total")])
    for (_code, label), cells, total in zip(counts.situations, counts.by_situation.cells,
                                            counts.by_situation.row_totals, strict=True):
        ws.append([safe_cell(label), *shown(cells), total.shown])
    ws.append([])
    header([_("School type"), *(label for _v, label in counts.states), _("Total")])
    for (_t, label), cells, total in zip(counts.types, counts.by_type.cells,
                                         counts.by_type.row_totals, strict=True):
        ws.append([safe_cell(label), *shown(cells), total.shown])
    ws.append([str(_("Total")), *shown(counts.by_type.column_totals),
               counts.by_type.grand_total.shown])
    ws.append([])
    t = counts.timeliness
    header([_("Report to the police"), _("In time"), _("Reported late"), _("Not reported, overdue"),
            _("Not reported yet"), _("Closed without a police report"), _("Total")])
    ws.append([str(_("Referrals")), *shown(t.table.cells[0]), t.table.row_totals[0].shown])
    ws.append([str(_("Limit (hours)")), t.limit_hours])
    ws.append([str(_("Median (hours)")), t.median_hours if t.median_hours is not None else "—"])
    ws.append([str(_("90th percentile (hours)")),
               t.p90_hours if t.p90_hours is not None else "—"])
    ws.append([])
    b = counts.bullying
    header([_("Bullying cases"), *(label for _v, label in b.states), _("Total")])
    ws.append([str(_("Cases")), *shown(b.by_state.cells[0]), b.by_state.row_totals[0].shown])
    header([_("Clock"), _("Done in time"), _("Done late"), _("Not done, overdue"),
            _("Not done, still in time"), _("Total")])
    ws.append([str(_("Investigation (10 days)")), *shown(b.investigation.cells[0]),
               b.investigation.row_totals[0].shown])
    ws.append([str(_("Re-check (15 days)")), *shown(b.recheck.cells[0]),
               b.recheck.row_totals[0].shown])
    ws.append([])
    ws.append([safe_cell(legend())])
    ws.column_dimensions["A"].width = 40
    print_setup(ws, title_rows=None, title_cols="A:A")
    wb.save(out)
