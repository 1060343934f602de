"""The roster as an Excel file (学生名册导出), for the roster's manager
(schools.manage_roster): the columns of our import template
(table.TEMPLATE_COLUMNS) with its choice words (男/女, 在读, 父亲, 是/否), so an
exported roster can be edited and imported again; the full 学籍号 and the
guardians 1 and 2 (the primary contact first). No circumstance: those are
never exported with the roster.

Written with the house's rules for files (core.excel): openpyxl write-only,
values that look like formulas kept as text and characters XML cannot carry
removed (safe_cell), the 学籍号 and phone numbers as text cells (a long
number would otherwise be rounded by Excel), and the sheet printed like a 台账
(print_setup).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.excel import print_setup, safe_cell

from ..models import Pupil
from ..pupil_models import Guardian
from .table import (
    GENDER_WORDS,
    GUARDIAN_FIELDS,
    GUARDIAN_SLOTS,
    RELATIONSHIP_WORDS,
    STATUS_WORDS,
    TEMPLATE_COLUMNS,
    YES_NO_WORDS,
)

TEXT = "@"  # Excel's text number format
DATE = "yyyy-mm-dd"
# Columns written as text cells (a typed-over number must stay a string).
TEXT_FIELDS = {"student_number"} | {f"guardian{n}_phone" for n in GUARDIAN_SLOTS}
WIDE = {"name": 10, "student_number": 24, "home_area": 20}


def _guardian_cells(guardians: list[Guardian]) -> dict[str, object]:
    cells: dict[str, object] = {}
    for slot, guardian in zip(GUARDIAN_SLOTS, guardians, strict=False):
        values = {
            "name": guardian.name,
            "relationship": RELATIONSHIP_WORDS.get(guardian.relationship, ""),
            "phone": guardian.phone,
            "lives_with_child": YES_NO_WORDS[guardian.lives_with_child],
            "works_away": YES_NO_WORDS[guardian.works_away],
            "works_away_place": guardian.works_away_place,
        }
        for name in GUARDIAN_FIELDS:
            cells[f"guardian{slot}_{name}"] = values[name]
    return cells


def row_values(pupil: Pupil) -> dict[str, object]:
    """{template field: cell value} of one pupil (its class and guardians
    already loaded): text, an int (grade, class number) or a date."""
    school_class = pupil.current_class
    values: dict[str, object] = {
        "student_number": pupil.student_number,
        "name": pupil.name,
        "gender": GENDER_WORDS.get(pupil.gender, ""),
        "date_of_birth": pupil.date_of_birth,
        "grade": school_class.grade if school_class else None,
        "class_number": school_class.number if school_class else None,
        "status": STATUS_WORDS.get(pupil.status, ""),
        "boarder": YES_NO_WORDS[pupil.boarder],
        "home_area": pupil.home_area,
    }
    values.update(_guardian_cells(list(pupil.guardians.all())))
    return values


def with_export_data(pupils: QuerySet[Pupil]) -> QuerySet[Pupil]:
    """`pupils` with what a row needs: the class (joined) and the guardians
    (one more query per chunk, primary contact first)."""
    return pupils.select_related("current_class").prefetch_related(
        Prefetch("guardians", queryset=Guardian.objects.order_by("-is_primary", "id")))


def write_roster_workbook(pupils: Iterable[Pupil], out: IO[bytes]) -> list[str]:
    """Write `pupils` (scoped, filtered and ordered by the caller, loaded with
    `with_export_data`) to `out` as .xlsx, one row each under the template's
    header row; return their public codes (str UUIDs) in file order, for the
    audit trail. Raises nothing of its own (openpyxl's errors pass)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Pupil roster"))
    for index, (name, _header) in enumerate(TEMPLATE_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = WIDE.get(name, 14)
    ws.freeze_panes = "C2"
    # Each printed page repeats the header row and the 学籍号 and name.
    print_setup(ws, title_rows="1:1", title_cols="A:B")
    bold = Font(bold=True)
    header = []
    for _name, title in TEMPLATE_COLUMNS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    codes: list[str] = []
    for pupil in pupils:
        values = row_values(pupil)
        row = []
        for name, _header in TEMPLATE_COLUMNS:
            cell = WriteOnlyCell(ws, value=safe_cell(values.get(name)))
            if name in TEXT_FIELDS:
                cell.number_format = TEXT
            elif name == "date_of_birth":
                cell.number_format = DATE
            row.append(cell)
        ws.append(row)
        codes.append(str(pupil.code))
    ws.auto_filter.ref = f"A1:{get_column_letter(len(TEMPLATE_COLUMNS))}{len(codes) + 1}"
    wb.save(out)
    return codes
