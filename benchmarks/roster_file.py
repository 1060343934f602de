"""The roster file of the import measurement: the import school's pupils as
its 学籍系统 export would list them, in our template's columns
(schools.roster.table.TEMPLATE_COLUMNS, with its choice words), `changes` of
them changed against the database: half moved to another class of their
grade, half with a new phone number for their first guardian.

Written with openpyxl's write-only workbook (as the roster export is): the
学籍号 and phone numbers as text cells, the date of birth as a date."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from schools.roster.table import (
    GENDER_WORDS,
    RELATIONSHIP_WORDS,
    STATUS_WORDS,
    TEMPLATE_COLUMNS,
    YES_NO_WORDS,
)

TEXT_FIELDS = {"student_number", "guardian1_phone", "guardian2_phone"}


@dataclass
class RosterFile:
    data: bytes
    filename: str
    rows: int
    class_changes: int
    phone_changes: int


def build(school, changes: int, classes_per_grade: int) -> RosterFile:
    """The .xlsx of every pupil of `school` (by 学籍号), `changes` of them
    (evenly spread) changed: even ones to class number n mod max(cpg, 2) + 1 of
    the same grade, odd ones with guardian 1's phone changed."""
    from schools.pupil_models import Guardian, Pupil

    pupils = list(Pupil.objects.filter(school=school).select_related("current_class")
                  .order_by("student_number"))
    guardians = {g.pupil_id: g for g in Guardian.objects.filter(pupil__school=school,
                                                                 is_primary=True)}
    step = max(1, len(pupils) // changes) if changes else 0
    changed = set(range(0, step * changes, step)) if changes else set()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学生名册")
    ws.append([title for _name, title in TEMPLATE_COLUMNS])
    class_changes = phone_changes = 0
    for i, pupil in enumerate(pupils):
        klass = pupil.current_class
        guardian = guardians.get(pupil.pk)
        values = {
            "student_number": pupil.student_number,
            "name": pupil.name,
            "gender": GENDER_WORDS[pupil.gender],
            "date_of_birth": pupil.date_of_birth,
            "grade": klass.grade if klass else None,
            "class_number": klass.number if klass else None,
            "status": STATUS_WORDS[pupil.status],
            "boarder": YES_NO_WORDS[pupil.boarder],
            "home_area": pupil.home_area,
        }
        if guardian:
            values.update({
                "guardian1_name": guardian.name,
                "guardian1_relationship": RELATIONSHIP_WORDS[guardian.relationship],
                "guardian1_phone": guardian.phone,
                "guardian1_lives_with_child": YES_NO_WORDS[guardian.lives_with_child],
                "guardian1_works_away": YES_NO_WORDS[guardian.works_away],
                "guardian1_works_away_place": guardian.works_away_place,
            })
        if i in changed:
            if (i // step) % 2 == 0 and klass:
                values["class_number"] = klass.number % max(classes_per_grade, 2) + 1
                class_changes += 1
            elif guardian:
                values["guardian1_phone"] = \
                    f"139{zlib.crc32(pupil.student_number.encode()) % 10**8:08d}"
                phone_changes += 1
        row = []
        for name, _title in TEMPLATE_COLUMNS:
            cell = WriteOnlyCell(ws, value=values.get(name))
            if name in TEXT_FIELDS:
                cell.number_format = "@"
            elif name == "date_of_birth":
                cell.number_format = "yyyy-mm-dd"
            row.append(cell)
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return RosterFile(data=out.getvalue(), filename="学生名册.xlsx", rows=len(pupils),
                      class_changes=class_changes, phone_changes=phone_changes)
