"""The bureau's view of mandatory reporting (issue 10 item 7): how many
referrals, of which situations, in which months and school types, how
fast the police were told, and the bullying cases by state and whether
their 10-day investigation and 15-day re-check were kept — counts only,
never a child, a school's case or a code, and every count through
core.suppression (1–4 → "<5", complements withheld "*").

A bureau and a calendar year (Asia/Shanghai) are read in a fixed number of
queries whatever the number of referrals: one for the months and the
situations, one for school type × state, one for timeliness, one for the
bullying cases, two for the median and 90th percentile of the
detection→police gap (left out when fewer than the small-cell threshold were
reported).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, TextField
from django.db.models.functions import Cast, ExtractMonth
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

from .models import BullyingCase, BullyingState, Referral, ReferralState, Situation

MONTHS = range(1, 13)


@dataclass(frozen=True)
class Timeliness:
    """Detection → report to the police over the year's referrals: `table`
    is one suppressed row (in time, late, not reported and overdue, not
    reported and still within the limit; total); `median_hours` and
    `p90_hours` (floats, hours, one decimal) over the reported ones, None
    when fewer than the small-cell threshold were reported (a median of
    three describes three cases)."""

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


def referral_counts(*, bureau_id: int, year: int, school_type: str = "",
                    at: dt.datetime | None = None) -> ReferralCounts:
    """The referrals of bureau `bureau_id` detected in calendar `year`
    (Asia/Shanghai), of schools of `school_type` ("" for all), counted and
    suppressed (see the module docstring). `at` (default now) decides which
    unreported referrals are already overdue (settings.
    INCIDENTS_POLICE_REPORT_HOURS after detection; the law says 立即, 2020
    Opinion Art. 4). Raises nothing for an empty year: every count is 0."""
    at = at or clock.now()
    start, end = _year_bounds(year)
    referrals = Referral.objects.filter(school__bureau_id=bureau_id, detected_at__gte=start,
                                        detected_at__lt=end)
    if school_type:
        referrals = referrals.filter(school__school_type=school_type)

    # Months and situations: one query. The situations are a JSON list of
    # codes; its text holds each chosen code in quotes on every database.
    text = Cast("situations", TextField())
    per_month = {row["month"]: row for row in referrals
                 .annotate(month=ExtractMonth("detected_at",
                                              tzinfo=timezone.get_default_timezone()),
                           situations_text=text)
                 .values("month")
                 .annotate(total=Count("id"), **{
                     f"s_{code}": Count("id", filter=Q(situations_text__contains=f'"{code}"'))
                     for code in Situation.values})}
    by_month = suppress_table([[per_month.get(m, {}).get("total", 0) for m in MONTHS]],
                              row_totals=True)
    by_situation = suppress_table(
        [[per_month.get(m, {}).get(f"s_{code}", 0) for m in MONTHS]
         for code in Situation.values], row_totals=True)

    # School type × state: one query.
    types = [(v, str(label)) for v, label in SchoolType.choices
             if not school_type or v == school_type]
    states = [(v, str(label)) for v, label in ReferralState.choices]
    grid = {(r["school__school_type"], r["state"]): r["n"] for r in referrals
            .values("school__school_type", "state").annotate(n=Count("id"))}
    by_type = suppress_table([[grid.get((t, s), 0) for s, _label in states]
                              for t, _label in types], row_totals=True, column_totals=True)

    return ReferralCounts(
        year=year, school_type=school_type, by_month=by_month,
        situations=[(v, str(label)) for v, label in Situation.choices],
        by_situation=by_situation, types=types, states=states, by_type=by_type,
        timeliness=_timeliness(referrals, at),
        bullying=_bullying(bureau_id=bureau_id, start=start, end=end, school_type=school_type,
                           at=at))


def _bullying(*, bureau_id: int, start, end, school_type: str, at) -> BullyingCounts:
    """The bullying part of the bureau view: one query."""
    cases = BullyingCase.objects.filter(school__bureau_id=bureau_id, reported_at__gte=start,
                                        reported_at__lt=end)
    if school_type:
        cases = cases.filter(school__school_type=school_type)
    states = [(v, str(label)) for v, label in BullyingState.choices]

    def clock(prefix: str, done: str, due: str) -> dict:
        return {
            f"{prefix}_in_time": Count("id", filter=Q(**{f"{done}__isnull": False,
                                                         f"{done}__lte": F(due)})),
            f"{prefix}_late": Count("id", filter=Q(**{f"{done}__isnull": False,
                                                      f"{done}__gt": F(due)})),
            f"{prefix}_overdue": Count("id", filter=Q(**{f"{done}__isnull": True,
                                                         f"{due}__lt": at})),
            f"{prefix}_running": Count("id", filter=Q(**{f"{done}__isnull": True,
                                                         f"{due}__gte": at})),
        }

    got = cases.aggregate(
        **{f"s_{v}": Count("id", filter=Q(state=v)) for v, _label in states},
        **clock("inv", "decided_at", "investigation_due_at"),
        **clock("rc", "rechecked_at", "recheck_due_at"))
    parts = ("in_time", "late", "overdue", "running")
    return BullyingCounts(
        states=states,
        by_state=suppress_table([[got[f"s_{v}"] for v, _label in states]], row_totals=True),
        investigation=suppress_table([[got[f"inv_{p}"] for p in parts]], row_totals=True),
        recheck=suppress_table([[got[f"rc_{p}"] for p in parts]], row_totals=True))


def _timeliness(referrals, at: dt.datetime) -> Timeliness:
    limit = dt.timedelta(hours=settings.INCIDENTS_POLICE_REPORT_HOURS)
    gap = ExpressionWrapper(F("police_reported_at") - F("detected_at"),
                            output_field=DurationField())
    reported = Q(police_reported_at__isnull=False)
    counts = referrals.annotate(gap=gap).aggregate(
        in_time=Count("id", filter=reported & Q(gap__lte=limit)),
        late=Count("id", filter=reported & Q(gap__gt=limit)),
        overdue=Count("id", filter=Q(police_reported_at__isnull=True,
                                     detected_at__lt=at - limit)),
        pending=Count("id", filter=Q(police_reported_at__isnull=True,
                                     detected_at__gte=at - limit)))
    row = [counts["in_time"], counts["late"], counts["overdue"], counts["pending"]]
    n_reported = counts["in_time"] + counts["late"]
    median = p90 = None
    if n_reported >= threshold_default():
        ordered = referrals.filter(reported).annotate(gap=gap).order_by("gap") \
            .values_list("gap", flat=True)
        median = _hours(ordered[_rank(n_reported, 0.5)])
        p90 = _hours(ordered[_rank(n_reported, 0.9)])
    return Timeliness(limit_hours=settings.INCIDENTS_POLICE_REPORT_HOURS,
                      table=suppress_table([row], row_totals=True),
                      median_hours=median, p90_hours=p90)


def _rank(n: int, q: float) -> int:
    """The 0-based index of the q-quantile of n sorted values (nearest rank:
    the smallest value with at least q·n values at or below it)."""
    return max(0, math.ceil(q * n) - 1)


def _hours(gap: dt.timedelta) -> float:
    return round(gap.total_seconds() / 3600, 1)


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
            _("Not reported yet"), _("Total")])
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
