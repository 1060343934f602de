"""重点群体统计: how many enrolled pupils of each school of a bureau are in each
priority group today (issue 9 item 8), for the bureau's page and its Excel
export. Counts only, never a child: no name, 学籍号 or code leaves this
module, and every count goes through core.suppression ("<5" for 1–4, and a
second cell withheld where a column's district total would give a small one
away).

The rule of a "current" circumstance: since ≤ day and (until is None or until
≥ day) (Circumstance.is_current). A pupil counts once per group at the school
they are on the roll of now (Pupil.school), and only while enrolled (在读).

Two queries whatever the number of pupils: the schools with their enrolled
count, and one GROUP BY (school, group) with COUNT(DISTINCT pupil).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core import clock
from core.suppression import WITHHELD, Cell, small_mark, suppress_table, threshold_default

from .models import School, SchoolType
from .pupil_models import Circumstance, PriorityGroup, PupilStatus

GROUPS: tuple[PriorityGroup, ...] = tuple(PriorityGroup)


@dataclass(frozen=True)
class CountRow:
    """One school: its enrolled pupils and one Cell per group of GROUPS; the
    share of left-behind children as text ("12.5%", WITHHELD or "—")."""

    school_id: int
    code: str
    name: str
    school_type: str
    enrolled: Cell
    groups: list[Cell]
    left_behind_share: str


@dataclass(frozen=True)
class CountTable:
    day: dt.date
    groups: list[tuple[str, str]]  # (value, label) in column order
    rows: list[CountRow]
    total: CountRow  # the district's totals (school_id 0)


def _share(part: Cell, whole: Cell) -> str:
    """part / whole as "12.5%"; WITHHELD when either is suppressed (the share
    times a shown total would give a suppressed count back); "—" for no
    pupils."""
    if part.suppressed or whole.suppressed:
        return WITHHELD
    if whole.value == 0:
        return "—"
    return f"{100 * part.value / whole.value:.1f}%"


def current_circumstances_q(day: dt.date, prefix: str = "") -> Q:
    """Circumstances current on `day`: since ≤ day ≤ until (open-ended until)."""
    return (Q(**{f"{prefix}since__lte": day})
            & (Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": day})))


def pupil_counts(*, bureau_id: int, school_type: str = "", day: dt.date | None = None
                 ) -> CountTable:
    """The counts of bureau `bureau_id`'s schools (optionally only those of
    `school_type`, a SchoolType value; "" for all) on `day` (default today,
    Asia/Shanghai), suppressed. Schools listed: the open ones, and closed ones
    that still have enrolled pupils, by school code. Two queries. Raises
    ValueError for an unknown school type (the caller validates first)."""
    if school_type and school_type not in SchoolType.values:
        raise ValueError(f"unknown school type {school_type!r}")
    day = day or clock.today()
    schools = School.objects.filter(bureau_id=bureau_id)
    if school_type:
        schools = schools.filter(school_type=school_type)
    schools = list(
        schools.annotate(enrolled=Count("pupils", filter=Q(pupils__status=PupilStatus.ENROLLED)))
        .filter(Q(is_open=True) | Q(enrolled__gt=0))
        .order_by("code")
        .values_list("pk", "code", "name", "school_type", "enrolled"))

    circumstances = Circumstance.objects.filter(
        current_circumstances_q(day), pupil__bureau_id=bureau_id,
        pupil__status=PupilStatus.ENROLLED)
    if school_type:
        circumstances = circumstances.filter(pupil__school__school_type=school_type)
    # One GROUP BY (school, group); order_by() drops the model's ordering,
    # which would otherwise join the GROUP BY.
    grouped = (circumstances.order_by().values("pupil__school_id", "group")
               .annotate(n=Count("pupil_id", distinct=True)))
    counts = {(g["pupil__school_id"], g["group"]): g["n"] for g in grouped}

    grid = [[enrolled, *(counts.get((pk, group.value), 0) for group in GROUPS)]
            for pk, _code, _name, _type, enrolled in schools]
    table = suppress_table(grid, column_totals=True)
    left_behind = 1 + GROUPS.index(PriorityGroup.LEFT_BEHIND)
    type_labels = dict(SchoolType.choices)

    def row(cells: list[Cell], pk: int, code: str, name: str, kind: str) -> CountRow:
        return CountRow(school_id=pk, code=code, name=name,
                        school_type=str(type_labels.get(kind, "")),
                        enrolled=cells[0], groups=cells[1:],
                        left_behind_share=_share(cells[left_behind], cells[0]))

    rows = [row(cells, pk, code, name, kind)
            for cells, (pk, code, name, kind, _n) in zip(table.cells, schools, strict=True)]
    totals = table.column_totals or [Cell(0, 0) for _ in range(1 + len(GROUPS))]
    return CountTable(
        day=day, groups=[(g.value, str(g.label)) for g in GROUPS], rows=rows,
        total=row(totals, 0, "", _("District total"), ""))


def legend() -> str:
    """The words under the table and the sheet saying what the marks mean."""
    return _(
        "%(small)s: from 1 to %(limit)s pupils, not shown so that no child can be "
        "recognised. %(withheld)s: withheld so that a small number cannot be worked out "
        "from the total. Pupils on the roll now (enrolled), in a priority group today.") % {
        "small": small_mark(), "limit": threshold_default() - 1, "withheld": WITHHELD}


def write_workbook(table: CountTable, *, bureau_name: str, out: IO[bytes]) -> None:
    """The table as an .xlsx into `out`: a title row, the header, one row per
    school, the district total and the legend; every count as the page shows
    it (the same Cells: "<5", "*" or the number), texts through
    core.excel.safe_cell, printed like a 台账 (core.excel.print_setup)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from core.excel import print_setup, safe_cell

    wb = Workbook()
    ws = wb.active
    ws.title = _("Priority groups")[:31]
    header = [_("School code"), _("School"), _("School type"), _("Enrolled pupils"),
              *(label for _value, label in table.groups), _("Left-behind share")]
    ws.append([safe_cell(_("%(bureau)s: priority-group pupils on %(day)s") % {
        "bureau": bureau_name, "day": f"{table.day:%Y-%m-%d}"})])
    ws.append([safe_cell(str(h)) for h in header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in [*table.rows, table.total]:
        ws.append([safe_cell(r.code), safe_cell(r.name), safe_cell(r.school_type),
                   r.enrolled.shown, *(c.shown for c in r.groups), r.left_behind_share])
    ws[ws.max_row][1].font = Font(bold=True)
    ws.append([])
    ws.append([safe_cell(legend())])
    for i, width in enumerate([12, 24, 14, 10, *([12] * len(table.groups)), 12], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    print_setup(ws, title_rows="2:2", title_cols="A:B")
    wb.save(out)
