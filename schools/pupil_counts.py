"""重点群体统计: how many enrolled pupils of each school of a bureau are in each
priority group today (issue 9 item 8), for the bureau's page and its Excel
export. Counts only, never a child: no name, 学籍号 or code leaves this
module, and every count goes through core.suppression ("<5" for 1–4, and a
second cell withheld where a column's district total would give a small one
away).

The rule of a "current" circumstance: since ≤ day and (until is None or until
≥ day) (Circumstance.is_current). A pupil counts once per group at the school
they are on the roll of now (Pupil.school), and only while enrolled (在读).

The counts are kept per school (SchoolPupilCount) and recounted only where
something changed or the day turned, so the page reads one row per school
whatever the number of pupils (benchmarks: bureau_priority_counts_ms_1000000).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import IO

from django.db.models import (
    Case,
    Count,
    F,
    JSONField,
    Max,
    PositiveIntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import translation
from django.utils.translation import gettext as _

from core import clock
from core.suppression import WITHHELD, Cell, small_mark, suppress_table, threshold_default

from .models import School, SchoolType
from .pupil_models import Circumstance, PriorityGroup, Pupil, PupilStatus, SchoolPupilCount

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


# ------------------------------------------------------------ the kept counts

Counts = tuple[int, dict[str, int]]  # (enrolled, {group value: pupils})


def mark_counts_stale(school_ids: Iterable[int | None]) -> None:
    """Say that the pupils or circumstances of `school_ids` (School pks; None
    and repeats ignored) changed, so that their kept counts are recounted
    before they are shown (SchoolPupilCount). Call it inside the transaction
    that made the change: the mark commits with it. Two queries."""
    ids = sorted({pk for pk in school_ids if pk})
    if not ids:
        return
    SchoolPupilCount.objects.bulk_create(
        [SchoolPupilCount(school_id=pk) for pk in ids], ignore_conflicts=True)
    SchoolPupilCount.objects.filter(pk__in=ids).update(stale=True, version=F("version") + 1)


def count_schools(school_ids: Iterable[int], day: dt.date) -> dict[int, Counts]:
    """Count, from the pupils themselves, the enrolled pupils of each school of
    `school_ids` and those of them in each priority group on `day`
    (Asia/Shanghai date): {school pk: (enrolled, {group value: pupils})};
    a school with no pupil is (0, {}). Two queries whatever the number of
    pupils: one COUNT per school, one GROUP BY (school, group) with
    COUNT(DISTINCT pupil) (a pupil with two records of a group counts once)."""
    ids = list(school_ids)
    found: dict[int, Counts] = {pk: (0, {}) for pk in ids}
    if not ids:
        return found
    enrolled = (Pupil.objects.filter(school_id__in=ids, status=PupilStatus.ENROLLED)
                .order_by().values("school_id").annotate(n=Count("pk")))
    for row in enrolled:
        found[row["school_id"]] = (row["n"], {})
    # order_by() drops the model's ordering, which would join the GROUP BY.
    grouped = (Circumstance.objects.filter(
        current_circumstances_q(day), pupil__school_id__in=ids,
        pupil__status=PupilStatus.ENROLLED)
        .order_by().values("pupil__school_id", "group")
        .annotate(n=Count("pupil_id", distinct=True)))
    for row in grouped:
        found[row["pupil__school_id"]][1][row["group"]] = row["n"]
    return found


def _keep(counts: dict[int, Counts], versions: dict[int, int], day: dt.date) -> int:
    """Write `counts` back as the kept counts of `day`, each only if its row's
    version is still the one read before counting (`versions`, 0 for a row
    that did not exist): a school marked stale meanwhile keeps its mark and is
    recounted next time. Rows are created first where missing. At most one
    insert and one update per 500 schools. Returns the rows written."""
    if not counts:
        return 0
    SchoolPupilCount.objects.bulk_create(
        [SchoolPupilCount(school_id=pk) for pk in counts], ignore_conflicts=True)
    now, written, pks = clock.now(), 0, sorted(counts)
    for start in range(0, len(pks), 500):
        chunk = pks[start:start + 500]
        unchanged = reduce(operator.or_, (Q(pk=pk, version=versions.get(pk, 0)) for pk in chunk))
        written += SchoolPupilCount.objects.filter(unchanged).update(
            enrolled=Case(*(When(pk=pk, then=Value(counts[pk][0])) for pk in chunk),
                          output_field=PositiveIntegerField()),
            groups=Case(*(When(pk=pk, then=Value(counts[pk][1], output_field=JSONField()))
                          for pk in chunk), output_field=JSONField()),
            stale=False, counted_on=day, counted_at=now)
    return written


def refresh_counts(*, bureau_id: int | None = None) -> int:
    """Recount every school (of `bureau_id`, or of all bureaus) for today,
    Asia/Shanghai, stale or not, and keep the result; the nightly task's body
    (circumstances begin and end by date without anyone saving them). Five
    queries a bureau, whatever its number of pupils. Returns the schools
    whose counts were kept (a school changed during the count is left stale)."""
    day = clock.today()
    bureaus = School.objects.order_by().values_list("bureau_id", flat=True).distinct()
    if bureau_id is not None:
        bureaus = [bureau_id]
    kept = 0
    for bid in list(bureaus):
        versions = dict(School.objects.filter(bureau_id=bid)
                        .values_list("pk", "pupil_count__version"))
        versions = {pk: v or 0 for pk, v in versions.items()}
        kept += _keep(count_schools(versions, day), versions, day)
    return kept


def pupil_counts(*, bureau_id: int, school_type: str = "", day: dt.date | None = None
                 ) -> CountTable:
    """The counts of bureau `bureau_id`'s schools (optionally only those of
    `school_type`, a SchoolType value; "" for all) on `day` (default today,
    Asia/Shanghai), suppressed. Schools listed: the open ones, and closed ones
    that still have enrolled pupils, by school code.

    Today's counts come from the kept counts (SchoolPupilCount): two queries
    when every school's are current (one when this process made the same
    table since: _fingerprint); schools marked stale (or never counted, or
    counted on an earlier day) are recounted first — at most five queries more
    whatever the number of pupils or schools. Another day is counted live
    (three queries). Raises ValueError for an unknown school type (the caller
    validates first)."""
    if school_type and school_type not in SchoolType.values:
        raise ValueError(f"unknown school type {school_type!r}")
    today = clock.today()
    day = day or today
    schools = School.objects.filter(bureau_id=bureau_id)
    if school_type:
        schools = schools.filter(school_type=school_type)
    key = (bureau_id, school_type, day, translation.get_language())
    seen = _fingerprint(schools, today) if day == today else None
    kept = _TABLES.get(key)
    if seen is not None and kept is not None and kept[0] == seen:
        _TABLES.move_to_end(key)
        return kept[1]
    table = _count_table(schools, day=day, today=today)
    if seen is not None:  # every school was current: nothing was recounted
        _TABLES[key] = (seen, table)
        while len(_TABLES) > TABLES_KEPT:
            _TABLES.popitem(last=False)
    return table


# The finished tables of this process, by (bureau, school type, day,
# language): the suppression of a 1,000-school district costs more than the
# rest of the page. Used only while its schools' fingerprint is unchanged.
TABLES_KEPT = 32
_TABLES: OrderedDict[tuple, tuple[tuple, CountTable]] = OrderedDict()


def forget_tables() -> None:
    """Drop this process's finished tables (tests: a rolled-back database can
    give a new table the fingerprint of an old one)."""
    _TABLES.clear()


def _fingerprint(schools, today: dt.date) -> tuple | None:
    """What a finished table of `schools` depends on, in one aggregate query:
    the schools (how many, their last change: name, type, open) and their
    kept counts (every version bump and recount moves the sum of versions or
    the last count's time). None when some school's counts are stale or not
    of `today`: the table must be recounted."""
    agg = schools.aggregate(
        n=Count("pk"), changed=Max("updated_at"),
        current=Count("pupil_count", filter=Q(pupil_count__stale=False,
                                              pupil_count__counted_on=today)),
        versions=Sum("pupil_count__version"), counted_at=Max("pupil_count__counted_at"))
    if agg["current"] != agg["n"]:
        return None
    return (agg["n"], agg["changed"], agg["versions"], agg["counted_at"])


def _count_table(schools, *, day: dt.date, today: dt.date) -> CountTable:
    """The suppressed table of the `schools` queryset on `day` (see
    pupil_counts)."""
    listed = list(schools.order_by("code").values_list(
        "pk", "code", "name", "school_type", "is_open", "pupil_count__stale",
        "pupil_count__counted_on", "pupil_count__version", "pupil_count__enrolled",
        "pupil_count__groups"))
    counts: dict[int, Counts] = {}
    if day == today:
        versions: dict[int, int] = {}
        for pk, _c, _n, _t, _o, stale, counted_on, version, enrolled, groups in listed:
            if stale is False and counted_on == day:
                counts[pk] = (enrolled, groups or {})
            else:
                versions[pk] = version or 0
        recounted = count_schools(versions, day)
        _keep(recounted, versions, day)
        counts.update(recounted)
    else:
        counts = count_schools([row[0] for row in listed], day)

    schools_shown = [(pk, code, name, kind) for pk, code, name, kind, is_open, *_rest in listed
                     if is_open or counts[pk][0] > 0]
    grid = [[counts[pk][0], *(counts[pk][1].get(group.value, 0) for group in GROUPS)]
            for pk, _code, _name, _kind in schools_shown]
    table = suppress_table(grid, column_totals=True)
    left_behind = 1 + GROUPS.index(PriorityGroup.LEFT_BEHIND)
    type_labels = {value: str(label) for value, label in SchoolType.choices}

    def row(cells: list[Cell], pk: int, code: str, name: str, kind: str) -> CountRow:
        return CountRow(school_id=pk, code=code, name=name,
                        school_type=type_labels.get(kind, ""),
                        enrolled=cells[0], groups=cells[1:],
                        left_behind_share=_share(cells[left_behind], cells[0]))

    rows = [row(cells, *shown) for cells, shown in zip(table.cells, schools_shown, strict=True)]
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
