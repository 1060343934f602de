"""Building roster tables and pupils for the importer's tests (the reader's
output, without a file)."""

from __future__ import annotations

import datetime as dt
import itertools
import string

from schools.models import Guardian, Pupil, SchoolClass
from schools.roster.table import FIELDS, TEMPLATE_COLUMNS, RosterTable, SourceRow
from schools.school_year import school_year_of
from schools.student_numbers import id_check_character

TODAY = dt.date(2026, 12, 1)  # school year 2026
YEAR = school_year_of(TODAY)
_serial = itertools.count(1)


def letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = string.ascii_uppercase[rem] + out
    return out


def id_number(born: str = "20150305", seq: int | None = None) -> str:
    seq = next(_serial) if seq is None else seq
    first17 = f"330102{born}{seq % 1000:03d}"
    return first17 + id_check_character(first17)


def g_number(born: str = "20150305", seq: int | None = None) -> str:
    return "G" + id_number(born, seq)


def row(number: str, name: str = "张小明", *, gender="男", born="2015-03-05", grade="三年级",
        cls="2", **more) -> dict:
    cells = {"student_number": number, "name": name, "gender": gender, "date_of_birth": born,
             "grade": grade, "class_number": cls}
    cells.update(more)
    return {k: v for k, v in cells.items() if v is not ...}


def table(rows: list[dict], *, hidden: set[int] = frozenset(), fields=None,
          problems=()) -> RosterTable:
    """A table as the reader would give it: header on row 1, data from row 2;
    columns in template order (extra fields after)."""
    wanted = list(fields or dict.fromkeys(f for r in rows for f in r))
    order = [f for f, _h in TEMPLATE_COLUMNS if f in wanted] + [
        f for f in wanted if f not in dict(TEMPLATE_COLUMNS)]
    assert set(order) <= set(FIELDS)
    columns = {f: letters(i) for i, f in enumerate(order)}
    source = [SourceRow(number=i + 2, cells={f: r.get(f) for f in order},
                        hidden=(i + 2) in hidden) for i, r in enumerate(rows)]
    return RosterTable(sheet="Sheet1", header_row=1, columns=columns,
                       headers={f: dict(TEMPLATE_COLUMNS).get(f, f) for f in order},
                       rows=source, problems=list(problems))


def school_class(school, grade=3, number=2, year=YEAR) -> SchoolClass:
    return SchoolClass.objects.get_or_create(school=school, school_year=year, grade=grade,
                                             number=number)[0]


def pupil(school, number: str, name: str = "张小明", *, cls=None, status="enrolled",
          born=dt.date(2015, 3, 5), gender="M", **fields) -> Pupil:
    return Pupil.objects.create(
        bureau=school.bureau, school=school, student_number=number, name=name, gender=gender,
        date_of_birth=born, current_class=cls, status=status, **fields)


def guardian(p, name="张大山", relationship="father", phone="13812345678", primary=True,
             **fields) -> Guardian:
    return Guardian.objects.create(pupil=p, name=name, relationship=relationship, phone=phone,
                                   is_primary=primary, **fields)
