"""The bureau's view of the monthly dispute screening (矛盾纠纷排查; issue 10
items 4 and 7): which schools filed their return for each month, on time or
late, and how many disputes were found, of which kinds, risks and mediation
states.

Filing is about schools, as on the reporting dashboard: exact numbers and, per
school, the month's mark. Disputes are about children and families: counted
through core.suppression only (1–4 → "<5", complements withheld "*"), never a
party, a summary or a code.

A bureau and a calendar year read in a fixed number of queries whatever the
number of schools and returns: the schools owed each month, the filing and
dispute tallies kept as returns and disputes change (incidents.tallies), and
the returns of the few schools that joined or closed within the year (a
school that did not owe a month is not counted as filing it); the per-school
table adds a count and a page of schools and their returns (50 a page).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import IO

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from core import clock
from core.suppression import (
    WITHHELD,
    SuppressedTable,
    small_mark,
    suppress_table,
    threshold_default,
)
from schools.models import School, SchoolType, expected_on_q, in_period

from .disputes import Schedule, due_date
from .models import (
    DisputeKind,
    DisputeReturn,
    DisputeRisk,
    IncidentTally,
    MediationStatus,
    TallyMeasure,
)

M = TallyMeasure

# How a school stands for a month, as the per-school table marks it.
ON_TIME, LATE, MISSING, PENDING, NOT_OWED = "on_time", "late", "missing", "pending", "not_owed"


@dataclass(frozen=True)
class MonthFiling:
    """One month of the bureau: its first day and due date, how many schools
    owe the return, how many filed it on time, late, and (of those filed) with
    "none found"; `missing` the schools that owe it and have not filed, past
    the due date; `pending` the same before it (not late yet)."""

    month: dt.date
    due: dt.date
    owed: int
    on_time: int
    late: int
    none_found: int
    missing: int
    pending: int

    @property
    def filed(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        """Filed ÷ owed, in percent with one decimal, once the due date has
        passed; None before it or when nobody owes."""
        if not self.owed or self.pending:
            return None
        return round(100 * self.filed / self.owed, 1)


@dataclass(frozen=True)
class DisputeCompleteness:
    """Everything the bureau view shows but the per-school table."""

    year: int
    school_type: str
    due_day: int  # the one in effect for the latest month shown
    months: list[MonthFiling]
    kinds: list[tuple[str, str]]
    by_kind: SuppressedTable  # kind × month found, with totals
    risks: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    by_risk: SuppressedTable  # risk × mediation, with totals


def _months(year: int, today: dt.date) -> list[dt.date]:
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    return [dt.date(year, m, 1) for m in range(1, last + 1)]


def _owed_q(month: dt.date, due: dt.date, prefix: str = "") -> Q:
    return expected_on_q(month, prefix) & expected_on_q(due, prefix)


def dispute_completeness(*, bureau_id: int, year: int, school_type: str = "",
                         at: dt.datetime | None = None) -> DisputeCompleteness:
    """The bureau's months of `year` (Asia/Shanghai) up to the current one,
    for schools of `school_type` ("" for all): filing per month (exact) and
    the disputes found that year (suppressed). `at` (default now) decides
    which months are past their due date. Four queries: the schedule, the
    schools owing each month, the tallies (incidents.tallies), and the
    returns of the few schools that joined or closed within the year."""
    at = at or clock.now()
    today = clock.today(at)
    schedule = Schedule(bureau_id)
    due_day = schedule(min(dt.date(year, 12, 1), today.replace(day=1)))
    months = _months(year, today)
    schools = School.objects.filter(bureau_id=bureau_id)
    if school_type:
        schools = schools.filter(school_type=school_type)

    rows: list[MonthFiling] = []
    dues = {m: due_date(m, schedule(m)) for m in months}
    tallied = _tallied(bureau_id, year, school_type)
    if months:
        owed = schools.aggregate(**{f"m{m.month}": Count("id", filter=_owed_q(m, dues[m]))
                                    for m in months})
        on_time, late, none_found = _filings(tallied.get(M.RETURN_FILED, {}), dues)
        _leave_out_unowed(schools, months, dues, on_time, late, none_found)
        for m in months:
            n_owed = owed[f"m{m.month}"]
            unfiled = n_owed - on_time[m.month] - late[m.month]
            past = today > dues[m]
            rows.append(MonthFiling(month=m, due=dues[m], owed=n_owed, on_time=on_time[m.month],
                                    late=late[m.month], none_found=none_found[m.month],
                                    missing=unfiled if past else 0,
                                    pending=0 if past else unfiled))

    kinds = [(v, str(label)) for v, label in DisputeKind.choices]
    risks = [(v, str(label)) for v, label in DisputeRisk.choices]
    statuses = [(v, str(label)) for v, label in MediationStatus.choices]
    grid: Counter[tuple[str, int]] = Counter()
    cross: Counter[tuple[str, str]] = Counter()
    for key, n in tallied.get(M.DISPUTE, {}).items():
        kind, month, risk, status = key.split("/")
        grid[(kind, int(month))] += n
        cross[(risk, status)] += n
    by_kind = suppress_table([[grid[(k, m)] for m in range(1, 13)] for k, _l in kinds],
                             row_totals=True, column_totals=True)
    by_risk = suppress_table([[cross[(r, s)] for s, _l in statuses] for r, _l in risks],
                             row_totals=True, column_totals=True)
    return DisputeCompleteness(year=year, school_type=school_type, due_day=due_day,
                               months=rows, kinds=kinds, by_kind=by_kind, risks=risks,
                               statuses=statuses, by_risk=by_risk)


def _tallied(bureau_id: int, year: int, school_type: str) -> dict[str, dict[str, int]]:
    """The year's filing and dispute tallies (incidents.tallies), summed
    over school types (or of one), by measure and key: one query."""
    rows = IncidentTally.objects.filter(bureau_id=bureau_id, year=year,
                                        measure__in=[M.RETURN_FILED, M.DISPUTE])
    if school_type:
        rows = rows.filter(school_type=school_type)
    out: dict[str, dict[str, int]] = {}
    for measure, key, n in rows.values("measure", "key").annotate(total=Sum("n")) \
            .values_list("measure", "key", "total"):
        if n:
            out.setdefault(measure, {})[key] = n
    return out


def _filings(keys: dict[str, int], dues: dict[dt.date, dt.date]
             ) -> tuple[Counter[int], Counter[int], Counter[int]]:
    """(on time, late, none found) by month number, from the RETURN_FILED
    keys "month/day filed/none found": on time when filed on or before the
    month's due date (Asia/Shanghai dates)."""
    due_by_number = {m.month: d for m, d in dues.items()}
    on_time: Counter[int] = Counter()
    late: Counter[int] = Counter()
    none_found: Counter[int] = Counter()
    for key, n in keys.items():
        month, day, none = key.split("/")
        due = due_by_number.get(int(month))
        if due is None:
            continue
        (on_time if dt.date.fromisoformat(day) <= due else late)[int(month)] += n
        if none == "1":
            none_found[int(month)] += n
    return on_time, late, none_found


def _leave_out_unowed(schools, months: list[dt.date], dues: dict[dt.date, dt.date],
                      on_time: Counter[int], late: Counter[int],
                      none_found: Counter[int]) -> None:
    """The tallies count every filed return; a school that did not owe the
    month (it joined after the month began, or closed by its due date:
    schools.models.in_period) is taken out here. Only schools whose period
    begins or ends within the year can be such a school: their returns are
    read live (one query, a handful of rows)."""
    first, last_due = months[0], max(dues.values())
    changing = schools.filter(Q(joined_on__gte=first)
                              | Q(closed_on__isnull=False, closed_on__lte=last_due))
    for month, submitted_at, none, joined_on, closed_on in DisputeReturn.objects.filter(
            school__in=changing, month__in=months, submitted_at__isnull=False) \
            .values_list("month", "submitted_at", "none_found", "school__joined_on",
                         "school__closed_on"):
        if in_period(month, joined_on, closed_on) and in_period(dues[month], joined_on,
                                                                closed_on):
            continue
        (on_time if clock.today(submitted_at) <= dues[month] else late)[month.month] -= 1
        if none:
            none_found[month.month] -= 1


def school_marks(schools, *, months: list[MonthFiling],
                 at: dt.datetime | None = None) -> list[tuple[School, list[str]]]:
    """For each school of `schools` (a page: a list), its mark for each month
    of `months`: ON_TIME, LATE, MISSING (owed, not filed, past the due
    date), PENDING (owed, not filed, not yet due) or NOT_OWED. One query."""
    today = clock.today(at)
    filed = {(r.school_id, r.month): r.submitted_at for r in DisputeReturn.objects.filter(
        school__in=schools, month__in=[m.month for m in months], submitted_at__isnull=False)
        .only("school_id", "month", "submitted_at")}
    result = []
    for school in schools:
        marks = []
        for m in months:
            submitted = filed.get((school.pk, m.month))
            owed = (in_period(m.month, school.joined_on, school.closed_on)
                    and in_period(m.due, school.joined_on, school.closed_on))
            if not owed:
                marks.append(NOT_OWED)
            elif submitted is not None:
                marks.append(ON_TIME if clock.today(submitted) <= m.due else LATE)
            else:
                marks.append(MISSING if today > m.due else PENDING)
        result.append((school, marks))
    return result


def bureau_schools(bureau_id: int, school_type: str = ""):
    """The bureau's schools for the per-school table, by code."""
    schools = School.objects.filter(bureau_id=bureau_id).order_by("code")
    return schools.filter(school_type=school_type) if school_type else schools


def mark_labels() -> dict[str, str]:
    """The words of each mark (translated)."""
    return {ON_TIME: _("Filed"), LATE: _("Filed late"), MISSING: _("Not filed"),
            PENDING: _("Not yet due"), NOT_OWED: "—"}


def legend() -> str:
    """The words under the dispute tables and the sheet."""
    return _(
        "Disputes: %(small)s from 1 to %(limit)s, not shown so that no child or family can be "
        "recognised; %(withheld)s withheld so that a small number cannot be worked out from a "
        "total. Filing is counted per school, exactly.") % {
        "small": small_mark(), "limit": threshold_default() - 1, "withheld": WITHHELD}


def due_day_text(due_day: int) -> str:
    """How the due day reads: the last day of the month, or day N of the next."""
    if not due_day:
        return _("the last day of the month screened")
    return _("day %(day)s of the following month") % {"day": due_day}


def write_workbook(data: DisputeCompleteness, *, bureau_name: str, schools,
                   out: IO[bytes], at: dt.datetime | None = None) -> None:
    """The bureau view as an .xlsx into `out`: a sheet of filing per month and
    the suppressed dispute counts, and a sheet with every school's mark per
    month (`schools`: an iterable of schools, read 2,000 at a time). Texts
    through core.excel.safe_cell; printed like a 台账."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from core.excel import print_setup, safe_cell

    wb = Workbook()
    ws = wb.active
    ws.title = _("Dispute screening")[:31]
    bold = Font(bold=True)

    def header(sheet, values):
        sheet.append([safe_cell(str(v)) for v in values])
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    kind = dict(SchoolType.choices).get(data.school_type, _("All types"))
    ws.append([safe_cell(_("%(bureau)s: monthly dispute screening, %(year)s (%(kind)s)") % {
        "bureau": bureau_name, "year": data.year, "kind": kind})])
    ws[1][0].font = bold
    ws.append([safe_cell(_("Due: %(day)s") % {"day": due_day_text(data.due_day)})])
    ws.append([])
    header(ws, [_("Month"), _("Due date"), _("Schools owing"), _("Filed on time"),
                _("Filed late"), _("Of which none found"), _("Not filed"), _("Not yet due"),
                _("Filed (%)")])
    for m in data.months:
        ws.append([f"{m.month:%Y-%m}", m.due, m.owed, m.on_time, m.late, m.none_found,
                   m.missing, m.pending, m.rate if m.rate is not None else "—"])
    ws.append([])
    header(ws, [_("Disputes found"), *(_("Month %(month)s") % {"month": n}
                                       for n in range(1, 13)), _("Total")])
    for (_v, label), cells, total in zip(data.kinds, data.by_kind.cells,
                                         data.by_kind.row_totals, strict=True):
        ws.append([safe_cell(label), *(c.shown for c in cells), total.shown])
    ws.append([str(_("Total")), *(c.shown for c in data.by_kind.column_totals),
               data.by_kind.grand_total.shown])
    ws.append([])
    header(ws, [_("Risk level"), *(label for _v, label in data.statuses), _("Total")])
    for (_v, label), cells, total in zip(data.risks, data.by_risk.cells,
                                         data.by_risk.row_totals, strict=True):
        ws.append([safe_cell(label), *(c.shown for c in cells), total.shown])
    ws.append([str(_("Total")), *(c.shown for c in data.by_risk.column_totals),
               data.by_risk.grand_total.shown])
    ws.append([])
    ws.append([safe_cell(legend())])
    ws.column_dimensions["A"].width = 30
    print_setup(ws, title_rows=None, title_cols="A:A")

    per_school = wb.create_sheet(_("Schools")[:31])
    header(per_school, [_("School code"), _("School"),
                        *(f"{m.month:%Y-%m}" for m in data.months)])
    labels = mark_labels()
    batch: list[School] = []

    def flush():
        for school, marks in school_marks(batch, months=data.months, at=at):
            per_school.append([safe_cell(school.code), safe_cell(school.name),
                               *(labels[mark] for mark in marks)])
        batch.clear()

    for school in schools:
        batch.append(school)
        if len(batch) == 2000:
            flush()
    flush()
    per_school.column_dimensions["B"].width = 30
    print_setup(per_school, title_rows="1:1", title_cols="A:B")
    wb.save(out)
