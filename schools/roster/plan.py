"""Importing a roster: what a file would change (`plan_import`, reads only) and
doing it (`commit_import`, all or nothing). Issue 9 item 3.

A plan says, for one school and one RosterTable: the rows that cannot be taken
(errors: row, column letters, field, how to fix), the new pupils, the pupils
whose record changes (old → new per field), how many stay as they are, for a
full roster the 在读 pupils the file no longer lists (offered as 转出 or 毕业,
never deleted), the rows Excel hid (skipped unless the school includes them),
and the classes of the current school year that would be created. Its
`fingerprint` (the file, the decisions that shape the plan, the database state)
lets a confirmation on a stale preview be refused.

Rules: the 学籍号 is the key within a bureau, so a pupil 在读 at another school
of the bureau is a transfer (转学) and the row is refused; which school is said
only to deployment staff (reveal_other_school). An ID-card number read from the
file only cross-checks the date of birth and the 学籍号: it is kept nowhere,
not in the plan, not in a message. A blank cell keeps what the portal holds;
only a value changes a record. No name goes into the audit row (counts only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.signals import business_action

from .. import student_numbers
from ..models import School, SchoolClass, SchoolType
from ..pupil_counts import mark_counts_stale
from ..pupil_models import Enrolment, Gender, Guardian, GuardianRelationship, Pupil, PupilStatus
from ..school_year import school_year_of
from . import parse
from .table import GUARDIAN_SLOTS, RosterTable, SourceRow

NEW, CHANGED, UNCHANGED, REFUSED = "new", "changed", "unchanged", "refused"
KEEP = "keep"
LEAVE_CHOICES = (PupilStatus.TRANSFERRED_OUT.value, PupilStatus.GRADUATED.value, KEEP)

# The last grade of each kind of school: a pupil of that grade who is no
# longer on a full roster has most likely graduated (毕业), any other has left
# (转出). A special school has no fixed last grade.
TOP_GRADES = {
    SchoolType.KINDERGARTEN: 3, SchoolType.PRIMARY: 6, SchoolType.JUNIOR: 9,
    SchoolType.SENIOR: 12, SchoolType.NINE_YEAR: 9, SchoolType.COMPLETE_SECONDARY: 12,
    SchoolType.TWELVE_YEAR: 12,
}

FIELD_LABELS = {
    "student_number": gettext_lazy("Student number"),
    "name": gettext_lazy("Name"),
    "gender": gettext_lazy("Gender"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "id_number": gettext_lazy("ID number"),
    "grade": gettext_lazy("Grade"),
    "class_number": gettext_lazy("Class"),
    "class_name": gettext_lazy("Grade and class"),
    "class": gettext_lazy("Class"),
    "status": gettext_lazy("Status"),
    "boarder": gettext_lazy("Boarder"),
    "home_area": gettext_lazy("Home village or community"),
    "school": gettext_lazy("School"),
}
_GUARDIAN_LABELS = {
    "name": gettext_lazy("Guardian %(n)s name"),
    "relationship": gettext_lazy("Guardian %(n)s relationship"),
    "phone": gettext_lazy("Guardian %(n)s phone"),
    "lives_with_child": gettext_lazy("Guardian %(n)s lives with the child"),
    "works_away": gettext_lazy("Guardian %(n)s works away"),
    "works_away_place": gettext_lazy("Guardian %(n)s place of work"),
}
# Values the command's JSON leaves out of a change (it says only that the field
# changed): they identify a child or a family.
PERSONAL_FIELDS = {"name", "date_of_birth", "home_area"}
PERSONAL_GUARDIAN_FIELDS = {"name", "phone", "works_away_place"}


def field_label(name: str) -> str:
    """The field's label in the active language ("guardian2_phone" → 监护人2电话)."""
    if name.startswith("guardian") and "_" in name:
        slot, _sep, rest = name.partition("_")
        if rest in _GUARDIAN_LABELS:
            return str(_GUARDIAN_LABELS[rest]) % {"n": slot.removeprefix("guardian")}
    return str(FIELD_LABELS.get(name, name))


class RosterHasErrors(Exception):
    """The plan has rows that cannot be taken; nothing was written."""


class StalePlan(Exception):
    """The roster or the file changed since the preview; nothing was written."""


class LeaveNotChosen(Exception):
    """A full-roster import was confirmed without saying, for every enrolled
    pupil missing from the file, what happened (转出 / 毕业 / keep); nothing
    was written. Carries how many were left without a choice."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number in the sheet
    column: str  # column letters ("C"), "" when the row as a whole is wrong
    field: str  # the field's label in the user's language
    message: str  # translated, says how to fix it


@dataclass(frozen=True)
class FieldChange:
    field: str  # a FIELDS name, "class" or "school"
    label: str
    old: str
    new: str

    @property
    def personal(self) -> bool:
        if self.field.startswith("guardian"):
            return self.field.partition("_")[2] in PERSONAL_GUARDIAN_FIELDS
        return self.field in PERSONAL_FIELDS


@dataclass
class GuardianRow:
    slot: int
    values: dict  # GUARDIAN_FIELDS name → parsed value (given cells only)
    existing: Guardian | None = None
    changes: dict = field(default_factory=dict)  # field → new value


@dataclass
class RowPlan:
    """One source row, parsed and compared with the portal's record."""

    row: int
    hidden: bool
    student_number: str = ""
    values: dict = field(default_factory=dict)  # pupil field → parsed value (given cells)
    class_key: tuple[int, int] | None = None
    guardians: list[GuardianRow] = field(default_factory=list)
    pupil: Pupil | None = None
    kind: str = NEW
    changes: list[FieldChange] = field(default_factory=list)
    pupil_updates: dict = field(default_factory=dict)  # model field → new value
    errors: list[RowError] = field(default_factory=list)

    @property
    def masked_number(self) -> str:
        return student_numbers.mask(self.student_number) if self.student_number else ""

    @property
    def name(self) -> str:
        return self.values.get("name", "")

    @property
    def class_label(self) -> str:
        return class_label(self.class_key) if self.class_key else ""


@dataclass
class MissingPupil:
    """A 在读 pupil of the school that a full roster no longer lists."""

    pupil: Pupil
    default: str  # "graduated" or "transferred_out"

    @property
    def code(self) -> str:
        return str(self.pupil.code)

    @property
    def masked_number(self) -> str:
        return self.pupil.masked_student_number


@dataclass
class RosterPlan:
    school: School
    table: RosterTable
    full_roster: bool
    today: dt.date
    school_year: int
    file_sha256: str
    reveal_other_school: bool
    rows: list[RowPlan]
    errors: list[RowError]  # of the visible rows and of the file
    hidden_errors: list[RowError]  # of the hidden rows (matter only if included)
    missing: list[MissingPupil]
    classes_to_create: list[tuple[int, int]]  # (grade, number), visible rows
    fingerprint: str
    # What the fingerprint was made of apart from the database's state, and the
    # file's 学籍号: commit_import checks the state again under the lock
    # without parsing the file a second time.
    static_state: dict = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)

    def _of(self, kind: str, hidden: bool = False) -> list[RowPlan]:
        return [r for r in self.rows if r.kind == kind and r.hidden == hidden]

    @property
    def new(self) -> list[RowPlan]:
        return self._of(NEW)

    @property
    def changed(self) -> list[RowPlan]:
        return self._of(CHANGED)

    @property
    def unchanged(self) -> int:
        return len(self._of(UNCHANGED))

    @property
    def hidden(self) -> list[RowPlan]:
        return [r for r in self.rows if r.hidden]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {"rows": len(self.rows), "errors": len(self.errors), "new": len(self.new),
                "changed": len(self.changed), "unchanged": self.unchanged,
                "missing": len(self.missing), "hidden": len(self.hidden),
                "classes_to_create": len(self.classes_to_create)}

    def as_json(self) -> dict:
        """The preview for the command line: counts, errors (row, column, field,
        message), and pupils by row number and masked 学籍号 only; changed
        values of names, dates of birth, places and phones are left out."""
        def changes(row):
            return [{"field": c.field, "label": c.label,
                     **({} if c.personal else {"old": c.old, "new": c.new})}
                    for c in row.changes]
        return {
            "school": self.school.code,
            "school_year": self.school_year,
            "full_roster": self.full_roster,
            "sheet": self.table.sheet,
            "columns": self.table.columns,
            "ignored_headers": self.table.ignored_headers,
            "counts": self.counts,
            "errors": [{"row": e.row, "column": e.column, "field": e.field,
                        "message": e.message} for e in self.errors],
            "new": [{"row": r.row, "student_number": r.masked_number, "class": r.class_label}
                    for r in self.new],
            "changed": [{"row": r.row, "student_number": r.masked_number,
                         "changes": changes(r)} for r in self.changed],
            "missing": [{"student_number": m.masked_number, "default": m.default}
                        for m in self.missing],
            "hidden": [{"row": r.row, "student_number": r.masked_number, "kind": r.kind}
                       for r in self.hidden],
            "hidden_errors": [{"row": e.row, "column": e.column, "field": e.field,
                               "message": e.message} for e in self.hidden_errors],
            "classes_to_create": [{"grade": g, "number": n} for g, n in self.classes_to_create],
            "fingerprint": self.fingerprint,
        }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    left: int = 0
    unchanged: int = 0
    classes_created: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# ------------------------------------------------------------------ display


def class_label(key: tuple[int, int]) -> str:
    return _("Grade %(grade)s Class %(number)s") % {"grade": key[0], "number": key[1]}


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _shown(name: str, value) -> str:
    """A field's value as the preview shows it."""
    if value is None or value == "":
        return ""
    if name == "gender":
        return str(Gender(value).label)
    if name == "status":
        return str(PupilStatus(value).label)
    if name == "relationship":
        return str(GuardianRelationship(value).label)
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------ parsing a row

_PUPIL_PARSERS = {
    "name": parse.parse_name,
    "gender": parse.parse_gender,
    "status": parse.parse_status,
    "boarder": parse.parse_yes_no,
    "home_area": parse.parse_text,
}
_GUARDIAN_PARSERS = {
    "name": parse.parse_name,
    "relationship": parse.parse_relationship,
    "phone": parse.parse_phone,
    "lives_with_child": parse.parse_yes_no,
    "works_away": parse.parse_yes_no,
    "works_away_place": parse.parse_text,
}


def _parse_row(source: SourceRow, table: RosterTable, today: dt.date,
               problem_fields: set[str]) -> RowPlan:
    plan = RowPlan(row=source.number, hidden=source.hidden)
    cells = source.cells

    def error(fieldname: str, message: str) -> None:
        plan.errors.append(RowError(source.number, table.columns.get(fieldname, ""),
                                    field_label(fieldname), message))

    def given(fieldname: str) -> bool:
        return fieldname not in problem_fields and not parse.is_blank(cells.get(fieldname))

    def take(fieldname: str, parser, **kwargs):
        try:
            return parser(cells.get(fieldname), **kwargs)
        except parse.ParseError as exc:
            error(fieldname, exc.message)
            return None

    if "student_number" not in problem_fields:
        plan.student_number = take("student_number", parse.parse_student_number) or ""
    if "name" not in problem_fields:
        name = take("name", parse.parse_name)
        if name:
            plan.values["name"] = name
    for fieldname, parser in _PUPIL_PARSERS.items():
        if fieldname != "name" and given(fieldname):
            value = take(fieldname, parser)
            if value is not None:
                plan.values[fieldname] = value
    if given("date_of_birth"):
        born = take("date_of_birth", parse.parse_date_of_birth, today=today)
        if born is not None:
            plan.values["date_of_birth"] = born
    _parse_class(plan, given, take, error)
    _cross_check(plan, given, take, error)
    for slot in GUARDIAN_SLOTS:
        names = {f: f"guardian{slot}_{f}" for f in _GUARDIAN_PARSERS}
        present = [f for f, full in names.items() if given(full)]
        if not present:
            continue
        guardian = GuardianRow(slot=slot, values={})
        for f in present:
            value = take(names[f], _GUARDIAN_PARSERS[f])
            if value is not None:
                guardian.values[f] = value
        if "name" not in present and names["name"] not in problem_fields:
            error(names["name"], _(
                "This guardian's name is missing: type it, or clear the guardian's other "
                "cells."))
        plan.guardians.append(guardian)
    return plan


def _parse_class(plan: RowPlan, given, take, error) -> None:
    if given("grade") or given("class_number"):
        if not (given("grade") and given("class_number")):
            missing = "class_number" if given("grade") else "grade"
            error(missing, _("Give both the grade and the class, or neither."))
            return
        grade = take("grade", parse.parse_grade)
        number = take("class_number", parse.parse_class_number)
        if grade is not None and number is not None:
            plan.class_key = (grade, number)
    elif given("class_name"):
        plan.class_key = take("class_name", parse.parse_class_name)


def _cross_check(plan: RowPlan, given, take, error) -> None:
    """The ID-card number (never kept) against the date of birth and the ID
    inside a G-学籍号; the G-学籍号's own birth date against the date of birth."""
    born = plan.values.get("date_of_birth")
    number = plan.student_number
    embedded = number[1:] if number and student_numbers.embeds_id_number(number) else None
    if embedded and born and student_numbers.birth_date_in_id(embedded) != born:
        error("date_of_birth", _(
            "The date of birth differs from the one inside the student number: check both "
            "against the 学籍系统."))
    if not given("id_number"):
        return
    id_number = take("id_number", parse.parse_id_number)
    if id_number is None:
        return
    if born and student_numbers.birth_date_in_id(id_number) != born:
        error("id_number", _(
            "The date of birth differs from the one in the ID number: check both against "
            "the ID card."))
    if embedded and embedded != id_number:
        error("id_number", _(
            "The ID number differs from the one inside the student number: check both "
            "against the 学籍系统."))


# ------------------------------------------------------------------ the plan


def _default_leave(school: School, pupil: Pupil) -> str:
    top = TOP_GRADES.get(school.school_type)
    cls = pupil.current_class
    if top is not None and cls is not None and cls.grade == top:
        return PupilStatus.GRADUATED.value
    return PupilStatus.TRANSFERRED_OUT.value


def _table_digest(table: RosterTable) -> str:
    digest = hashlib.sha256()
    for row in table.rows:
        digest.update(repr((row.number, row.hidden, sorted(
            (k, repr(v)) for k, v in row.cells.items()))).encode())
    return digest.hexdigest()


def plan_import(table: RosterTable, school: School, *, full_roster: bool, by=None,
                today: dt.date | None = None, file_sha256: str | None = None,
                reveal_other_school: bool = False) -> RosterPlan:
    """What importing `table` into `school` would do; writes nothing.

    `full_roster`: the file is the school's whole roll, so its 在读 pupils not
    in it are offered as leaving (`missing`). `today` (default core.clock.today)
    is the import day: ages and the school year (classes) are reckoned on it.
    `file_sha256` (hex) names the file in the fingerprint (default: a digest of
    the table). `reveal_other_school`: name the school a refused pupil is 在读
    at (the command line only; a school's page never does). `by` is who asks
    (kept for symmetry with commit_import; the plan is the same for anyone).
    Queries: a fixed number (five), whatever the number of rows."""
    today = today or clock.today()
    year = school_year_of(today)
    problem_fields: dict[int, set[str]] = defaultdict(set)
    rows: list[RowPlan] = []
    file_errors: list[RowError] = []
    for problem in table.problems:
        problem_fields[problem.row].add(problem.field)
    for source in table.rows:
        rows.append(_parse_row(source, table, today, problem_fields[source.number]))
    by_row = {r.row: r for r in rows}
    for problem in table.problems:
        err = RowError(problem.row, problem.column, field_label(problem.field), problem.message)
        if problem.row in by_row:
            by_row[problem.row].errors.insert(0, err)
        else:
            file_errors.append(err)

    # The same 学籍号 twice in one file: both rows are wrong.
    by_number: dict[str, list[RowPlan]] = defaultdict(list)
    for r in rows:
        if r.student_number:
            by_number[r.student_number].append(r)
    column = table.columns.get("student_number", "")
    for same in by_number.values():
        if len(same) > 1:
            for r in same:
                others = ", ".join(str(o.row) for o in same if o is not r)
                r.errors.append(RowError(r.row, column, field_label("student_number"), _(
                    "The same student number is also on row %(rows)s: keep one row per "
                    "pupil.") % {"rows": others}))

    numbers = list(by_number)
    existing = {
        p.student_number: p for p in Pupil.objects.filter(
            bureau_id=school.bureau_id, student_number__in=numbers,
        ).select_related("school", "current_class").prefetch_related("guardians")
    }
    classes = {(c.grade, c.number): c for c in
               SchoolClass.objects.filter(school=school, school_year=year)}
    status_column = "status" in table.columns
    for r in rows:
        if r.errors:
            r.kind = REFUSED
            continue
        _compare(r, existing.get(r.student_number), school, year, table, status_column,
                 reveal_other_school)

    missing: list[MissingPupil] = []
    if full_roster:
        gone = (Pupil.objects.filter(school=school, status=PupilStatus.ENROLLED)
                .exclude(student_number__in=numbers).select_related("current_class")
                .order_by("current_class__grade", "current_class__number", "student_number"))
        missing = [MissingPupil(p, _default_leave(school, p)) for p in gone]

    errors = file_errors + [e for r in rows if not r.hidden for e in r.errors]
    hidden_errors = [e for r in rows if r.hidden for e in r.errors]
    to_create = sorted({r.class_key for r in rows if r.class_key and not r.hidden
                        and r.kind in (NEW, CHANGED) and r.class_key not in classes})

    static = {
        "file": file_sha256 or _table_digest(table), "school": school.pk,
        "full": full_roster, "year": year, "today": today.isoformat(),
    }
    state = _database_state(school, numbers, [c.pk for c in classes.values()])
    return RosterPlan(
        school=school, table=table, full_roster=full_roster, today=today, school_year=year,
        file_sha256=file_sha256 or "", reveal_other_school=reveal_other_school, rows=rows,
        errors=errors, hidden_errors=hidden_errors, missing=missing,
        classes_to_create=to_create, fingerprint=_fingerprint(static, state),
        static_state=static, numbers=numbers)


def _database_state(school: School, numbers: list[str], class_ids: list[int]) -> dict:
    """What a plan's comparisons depend on in the database (two queries): the
    school's pupils and those of the bureau with the file's 学籍号 (count and
    last change), the school's guardians (the same), and this year's classes."""
    pupils = Pupil.objects.filter(Q(school=school) | Q(bureau_id=school.bureau_id,
                                                       student_number__in=numbers))
    marker = pupils.aggregate(n=Count("id"), last=Max("updated_at"))
    guardian_marker = Guardian.objects.filter(pupil__school=school).aggregate(
        n=Count("id"), last=Max("updated_at"))
    return {
        "pupils": [marker["n"], str(marker["last"])],
        "guardians": [guardian_marker["n"], str(guardian_marker["last"])],
        "classes": sorted(class_ids),
    }


def _fingerprint(static: dict, state: dict) -> str:
    return hashlib.sha256(json.dumps({**static, **state}, sort_keys=True).encode()).hexdigest()


def _implied_relationship(table: RosterTable, slot: int) -> str:
    """The relationship of guardian `slot` when the file has no relationship
    column for it: what the name's heading says (父亲姓名 → father, 母亲姓名 →
    mother), else "other". Many schools' own 花名册 have only 家长姓名 and 电话
    (the fixtures' 07 kind); their guardians are kept, and the relationship
    can be corrected on the pupil's page."""
    heading = table.headers.get(f"guardian{slot}_name", "")
    if "父" in heading or "爸" in heading:
        return GuardianRelationship.FATHER
    if "母" in heading or "妈" in heading:
        return GuardianRelationship.MOTHER
    return GuardianRelationship.OTHER


def _imply_relationship(g, table: RosterTable) -> None:
    """A NEW guardian's relationship when the file has no relationship column
    for its slot (an existing guardian keeps the one on record)."""
    if "relationship" not in g.values and f"guardian{g.slot}_relationship" not in table.columns:
        g.values["relationship"] = _implied_relationship(table, g.slot)


def _compare(r: RowPlan, pupil: Pupil | None, school: School, year: int, table: RosterTable,
             status_column: bool, reveal_other_school: bool) -> None:
    column = table.columns.get("student_number", "")

    def refuse(fieldname: str, message: str) -> None:
        r.errors.append(RowError(r.row, table.columns.get(fieldname, ""),
                                 field_label(fieldname), message))
        r.kind = REFUSED

    if (pupil is not None and pupil.school_id != school.pk
            and pupil.status == PupilStatus.ENROLLED):
        if reveal_other_school:
            message = _(
                "This pupil is enrolled (在读) at %(school)s. A move between schools is a "
                "transfer (转学): that school records the transfer out first.") % {
                "school": pupil.school.name}
        else:
            message = _(
                "This pupil is enrolled (在读) at another school of the bureau. A move "
                "between schools is a transfer (转学): ask the bureau to arrange it, then "
                "import again.")
        r.errors.append(RowError(r.row, column, field_label("student_number"), message))
        r.kind = REFUSED
        return
    if pupil is None:
        needed = [f for f in ("gender", "date_of_birth") if f not in r.values]
        status = r.values.get("status", PupilStatus.ENROLLED)
        for f in needed:
            refuse(f, _("A new pupil needs this: fill it in."))
        if r.class_key is None and status == PupilStatus.ENROLLED:
            refuse("grade" if "grade" in table.columns or "class_name" not in table.columns
                   else "class_name", _("A new pupil needs a grade and a class: fill them in."))
        for g in r.guardians:
            _imply_relationship(g, table)
            if "relationship" not in g.values:
                refuse(f"guardian{g.slot}_relationship",
                       _("A new guardian needs the relationship to the pupil: fill it in."))
        if r.kind != REFUSED:
            r.kind = NEW
        return

    r.pupil = pupil
    updates: dict = {}

    def change(fieldname: str, model_field: str, old, new) -> None:
        if old != new:
            updates[model_field] = new
            r.changes.append(FieldChange(fieldname, field_label(fieldname),
                                         _shown(fieldname, old), _shown(fieldname, new)))

    if pupil.school_id != school.pk:
        updates["school"] = school
        r.changes.append(FieldChange("school", field_label("school"),
                                     pupil.school.name if reveal_other_school
                                     else _("Another school of the bureau"), school.name))
    for f in ("name", "gender", "date_of_birth", "boarder", "home_area"):
        if f in r.values:
            change(f, f, getattr(pupil, f), r.values[f])
    status = r.values.get("status")
    if status is None and (not status_column or pupil.school_id != school.pk):
        status = PupilStatus.ENROLLED.value  # listed on a roll: 在读
    if status is not None:
        change("status", "status", pupil.status, status)
    if r.class_key is not None:
        current = pupil.current_class
        same = (current is not None and current.school_id == school.pk
                and current.school_year == year
                and (current.grade, current.number) == r.class_key)
        if not same:
            updates["current_class"] = r.class_key  # resolved to a SchoolClass on commit
            old = "" if current is None else (
                class_label((current.grade, current.number))
                + ("" if current.school_year == year else f" ({current.school_year})"))
            r.changes.append(FieldChange("class", field_label("class"), old,
                                         class_label(r.class_key)))
    _compare_guardians(r, list(pupil.guardians.all()), table)
    r.pupil_updates = updates
    r.kind = REFUSED if r.errors else (CHANGED if r.changes else UNCHANGED)


def _compare_guardians(r: RowPlan, existing: list[Guardian], table: RosterTable) -> None:
    existing = sorted(existing, key=lambda g: (not g.is_primary, g.pk))
    used: set[int] = set()
    file_names = {g.values.get("name") for g in r.guardians}
    for g in r.guardians:
        match = next((e for e in existing if e.name == g.values.get("name")
                      and e.pk not in used), None)
        if match is not None:
            g.existing = match
            used.add(match.pk)
    for g in r.guardians:
        if g.existing is None and g.slot - 1 < len(existing):
            candidate = existing[g.slot - 1]
            if candidate.pk not in used and candidate.name not in file_names:
                g.existing = candidate
                used.add(candidate.pk)
    for g in r.guardians:
        if g.existing is None:
            _imply_relationship(g, table)
            if "relationship" not in g.values:
                r.errors.append(RowError(r.row, "", field_label(
                    f"guardian{g.slot}_relationship"), _(
                    "A new guardian needs the relationship to the pupil: fill it in.")))
                r.kind = REFUSED
                continue
            r.changes.append(FieldChange(f"guardian{g.slot}_name",
                                         field_label(f"guardian{g.slot}_name"), "",
                                         g.values.get("name", "")))
            continue
        for f, value in g.values.items():
            old = getattr(g.existing, f)
            if old != value:
                g.changes[f] = value
                name = f"guardian{g.slot}_{f}"
                r.changes.append(FieldChange(name, field_label(name), _shown(f, old),
                                             _shown(f, value)))


# ------------------------------------------------------------------ commit


def _validated_leave(leave: dict | None) -> dict[str, str]:
    leave = {str(k): str(v) for k, v in (leave or {}).items()}
    bad = {v for v in leave.values() if v not in LEAVE_CHOICES}
    if bad:
        raise ValueError(f"leave choices must be among {LEAVE_CHOICES}")
    return leave


@transaction.atomic
def commit_import(plan: RosterPlan, *, by, leave: dict | None = None,
                  include_hidden: bool = False, every_leave_chosen: bool = False,
                  request=None) -> ImportResult:
    """Do what `plan` says, all or nothing, and return the counts.

    `leave` maps a missing pupil's public code (str) to "transferred_out",
    "graduated" or "keep" (default: each MissingPupil's `default`); the status
    changes with status_changed_on = the plan's day. `include_hidden` also
    takes the rows Excel hid. Raises RosterHasErrors when a row to be taken has
    an error, StalePlan when the school's roster changed since the plan was
    made (the database state behind its fingerprint is read again under a
    lock on the school and compared; the file is not parsed again) or
    another school of the bureau took one of its new 学籍号 meanwhile,
    ValueError for an unknown leave choice, LeaveNotChosen when
    `every_leave_chosen` (the web page: a person says what happened to each
    child, the portal never guesses) and `leave` lacks a missing pupil. Creates the
    missing classes of the plan's school year, the new pupils with their
    enrolment and guardians (the first primary), updates changed pupils by
    学籍号 (with their enrolment for the year) and guardians; never deletes.
    Queries: a fixed number, whatever the number of rows. Announces
    business_action "roster.import" with counts only."""
    leave = _validated_leave(leave)
    school = School.objects.select_for_update().get(pk=plan.school.pk)
    # Under the lock, the database is checked against the plan (three
    # queries): unchanged, the plan's rows still hold and are not parsed again.
    class_ids = SchoolClass.objects.filter(
        school=school, school_year=plan.school_year).values_list("pk", flat=True)
    state = _database_state(school, plan.numbers, list(class_ids))
    if not plan.static_state or _fingerprint(plan.static_state, state) != plan.fingerprint:
        raise StalePlan
    fresh = plan
    if fresh.errors or (include_hidden and fresh.hidden_errors):
        raise RosterHasErrors
    if every_leave_chosen:
        unchosen = sum(1 for m in fresh.missing if m.code not in leave)
        if unchosen:
            raise LeaveNotChosen(unchosen)
    today, year, now = fresh.today, fresh.school_year, clock.now()
    rows = [r for r in fresh.rows if r.kind in (NEW, CHANGED)
            and (include_hidden or not r.hidden)]
    result = ImportResult(unchanged=sum(1 for r in fresh.rows if r.kind == UNCHANGED
                                        and (include_hidden or not r.hidden)))

    classes = {(c.grade, c.number): c for c in
               SchoolClass.objects.filter(school=school, school_year=year)}
    needed = sorted({r.class_key for r in rows if r.class_key} - set(classes))
    if needed:
        SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, school_year=year, grade=g, number=n) for g, n in needed])
        result.classes_created = len(needed)
        classes = {(c.grade, c.number): c for c in
                   SchoolClass.objects.filter(school=school, school_year=year)}

    new_rows = [r for r in rows if r.kind == NEW]
    new_pupils = [Pupil(
        bureau_id=school.bureau_id, school=school, student_number=r.student_number,
        name=r.values["name"], gender=r.values["gender"],
        date_of_birth=r.values["date_of_birth"],
        current_class=classes.get(r.class_key) if r.class_key else None,
        status=r.values.get("status", PupilStatus.ENROLLED), status_changed_on=today,
        boarder=r.values.get("boarder", False), home_area=r.values.get("home_area", ""),
    ) for r in new_rows]
    try:
        Pupil.objects.bulk_create(new_pupils)
    except IntegrityError:
        # Another school of the bureau imported one of these 学籍号 meanwhile:
        # the plan, made under a lock on this school only, could not see it.
        # Not a 500 whose traceback quotes the number (security.md G5).
        raise StalePlan from None
    result.created = len(new_pupils)

    changed_rows = [r for r in rows if r.kind == CHANGED]
    changed_pupils, update_fields = [], {"updated_at"}
    enrol_moves: dict[int, SchoolClass] = {}
    for r in changed_rows:
        pupil = r.pupil
        for model_field, value in r.pupil_updates.items():
            if model_field == "current_class":
                value = classes[value]
                enrol_moves[pupil.pk] = value
            setattr(pupil, model_field, value)
            update_fields.add("school_id" if model_field == "school" else model_field)
            if model_field == "status":
                pupil.status_changed_on = today
                update_fields.add("status_changed_on")
        if r.pupil_updates:
            pupil.updated_at = now
            changed_pupils.append(pupil)
    if changed_pupils:
        Pupil.objects.bulk_update(changed_pupils,
                                  sorted(f.removesuffix("_id") for f in update_fields))
    result.updated = len(changed_rows)

    # Enrolments of the school year: new pupils, and changed pupils whose class moved.
    enrolments = [Enrolment(pupil=p, school_year=year, school=school,
                            school_class=p.current_class)
                  for p in new_pupils if p.current_class is not None]
    if enrol_moves:
        held = {e.pupil_id: e for e in Enrolment.objects.filter(
            pupil_id__in=list(enrol_moves), school_year=year, school=school)}
        for pupil_id, cls in enrol_moves.items():
            if pupil_id in held:
                held[pupil_id].school_class = cls
            else:
                enrolments.append(Enrolment(pupil_id=pupil_id, school_year=year, school=school,
                                            school_class=cls))
        if held:
            Enrolment.objects.bulk_update(list(held.values()), ["school_class"])
    Enrolment.objects.bulk_create(enrolments)

    # Guardians: new ones (the first of a pupil without a primary is primary), changes.
    new_guardians, changed_guardians, guardian_fields = [], [], {"updated_at"}
    by_row_pupil = [(r, p) for r, p in zip(new_rows, new_pupils, strict=True)]
    by_row_pupil += [(r, r.pupil) for r in changed_rows]
    for r, pupil in by_row_pupil:
        has_primary = r.kind == CHANGED and any(
            g.is_primary for g in pupil.guardians.all())
        for g in r.guardians:
            if g.existing is None:
                values = g.values
                new_guardians.append(Guardian(
                    pupil=pupil, name=values["name"], relationship=values["relationship"],
                    phone=values.get("phone", ""),
                    lives_with_child=values.get("lives_with_child", True),
                    works_away=values.get("works_away", False),
                    works_away_place=values.get("works_away_place", ""),
                    is_primary=not has_primary))
                has_primary = True
            elif g.changes:
                for f, value in g.changes.items():
                    setattr(g.existing, f, value)
                    guardian_fields.add(f)
                g.existing.updated_at = now
                changed_guardians.append(g.existing)
    Guardian.objects.bulk_create(new_guardians)
    if changed_guardians:
        Guardian.objects.bulk_update(changed_guardians, sorted(guardian_fields))
    result.guardians_created = len(new_guardians)
    result.guardians_updated = len(changed_guardians)

    # A full roster: who is no longer on it leaves as the school chose.
    leaving = []
    for m in fresh.missing:
        choice = leave.get(m.code, m.default)
        if choice == KEEP:
            continue
        m.pupil.status = choice
        m.pupil.status_changed_on = today
        m.pupil.updated_at = now
        leaving.append(m.pupil)
    if leaving:
        Pupil.objects.bulk_update(leaving, ["status", "status_changed_on", "updated_at"])
    result.left = len(leaving)
    # Bulk writes send no signals: the school's kept counts are marked here.
    mark_counts_stale([school.pk])

    business_action.send(
        sender=None, code="roster.import", by=by, obj=school, school_id=school.pk,
        request=request,
        extra={"kind": "full" if fresh.full_roster else "partial",
               "rows": {"new": result.created, "changed": result.updated,
                        "left": result.left, "unchanged": result.unchanged}})
    return result
