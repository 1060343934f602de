"""The roster benchmarks' data (benchmarks/pupils.py and roster_file.py, issue 9
item 10) is what the roster page, the bureau counts and the importer meet in a
real school: valid 学籍号 unique in the bureau, a class of this school year, an
enrolment and a primary guardian each, ~15 % left behind; the import school
goes back to the same baseline before each import; the roster file differs from
the database in exactly the changes it says. The figures themselves are
measured by `make bench`, never here."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.db.models import F
from openpyxl import load_workbook

from benchmarks import pupils, roster_file
from schools.models import SchoolClass
from schools.pupil_models import Circumstance, Enrolment, Guardian, Pupil, PupilStatus
from schools.roster.table import TEMPLATE_COLUMNS
from schools.school_year import current_school_year
from schools.student_numbers import birth_date_in_id, embeds_id_number, normalise

pytestmark = pytest.mark.django_db

PER_SCHOOL = 300


@pytest.fixture
def bureau():
    return pupils.build(2 * PER_SCHOOL, PER_SCHOOL, import_rows=300)


def regular(pb):
    return Pupil.objects.filter(bureau=pb.bureau).exclude(school=pb.import_school)


def test_every_school_gets_its_pupils_and_the_import_school_its_rows(bureau):
    per_school = Counter(Pupil.objects.filter(bureau=bureau.bureau)
                         .values_list("school__code", flat=True))

    assert per_school == {"P600-000000": 300, "P600-000001": 300, "P600-IMPORT": 300}
    assert bureau.page_school.code == "P600-000000"
    assert bureau.principal.memberships.get().school == bureau.page_school
    assert bureau.importer.memberships.get().school == bureau.import_school
    assert bureau.inspector.memberships.get().bureau == bureau.bureau


def test_student_numbers_are_g_plus_a_valid_id_number_of_the_pupils_birth_and_gender(bureau):
    rows = list(Pupil.objects.filter(bureau=bureau.bureau)
                .values_list("student_number", "date_of_birth", "gender"))

    assert len({number for number, _, _ in rows}) == len(rows) == 900
    for number, born, gender in rows:
        assert normalise(number) == number
        assert embeds_id_number(number)
        assert birth_date_in_id(number[1:]) == born
        assert int(number[17]) % 2 == (1 if gender == "M" else 0)


def test_enrolled_pupils_sit_in_a_class_of_this_school_year_with_its_enrolment(bureau):
    year = current_school_year()
    enrolled = Pupil.objects.filter(bureau=bureau.bureau, status=PupilStatus.ENROLLED)

    assert not enrolled.filter(current_class=None).exists()
    assert set(enrolled.values_list("current_class__school_year", flat=True)) == {year}
    assert not enrolled.exclude(current_class__school=F("school")).exists()
    enrolments = Enrolment.objects.filter(pupil__bureau=bureau.bureau)
    assert enrolments.count() == 900
    assert set(enrolments.values_list("school_year", flat=True)) == {year}
    assert not enrolments.exclude(school_class=F("pupil__current_class")).filter(
        pupil__status=PupilStatus.ENROLLED).exists()
    # A grade-1 pupil was born six years before the school year, a grade-6 one eleven.
    for grade, born in enrolled.values_list("current_class__grade", "date_of_birth__year"):
        assert born == year - 5 - grade


def test_a_few_regular_pupils_have_left_and_have_no_class(bureau):
    left = regular(bureau).filter(status=PupilStatus.TRANSFERRED_OUT)

    assert 1 <= left.count() <= 30  # ~2 % of 600
    assert not left.exclude(current_class=None).exists()
    assert not Pupil.objects.filter(school=bureau.import_school).exclude(
        status=PupilStatus.ENROLLED).exists()


def test_each_pupil_has_one_guardian_the_primary_contact_with_a_mobile_number(bureau):
    guardians = Guardian.objects.filter(pupil__bureau=bureau.bureau)

    assert guardians.count() == 900
    assert not guardians.filter(is_primary=False).exists()
    assert all(len(p) == 11 and p.startswith("13") for p in guardians.values_list("phone",
                                                                                 flat=True))


def test_about_fifteen_percent_are_left_behind_now_and_some_in_other_groups(bureau):
    current = Circumstance.objects.filter(pupil__bureau=bureau.bureau, until=None)
    groups = Counter(current.values_list("group", flat=True))

    assert 0.10 * 900 <= groups["left_behind"] <= 0.20 * 900
    assert {"migrant", "in_difficulty", "disabled"} <= set(groups)
    assert not current.filter(group="in_difficulty").exclude(difficulty_type="family").exists()
    assert Circumstance.objects.filter(pupil__bureau=bureau.bureau, until__isnull=False).exists()
    # The left-behind child's guardian is the grandmother.
    assert set(Guardian.objects.filter(pupil__circumstances__in=current.filter(
        group="left_behind")).values_list("relationship", flat=True)) == {"grandmother"}


def test_building_again_adds_nothing(bureau):
    before = (Pupil.objects.count(), Guardian.objects.count(), Enrolment.objects.count(),
              Circumstance.objects.count(), SchoolClass.objects.count())

    pupils.build(2 * PER_SCHOOL, PER_SCHOOL, import_rows=300)

    assert (Pupil.objects.count(), Guardian.objects.count(), Enrolment.objects.count(),
            Circumstance.objects.count(), SchoolClass.objects.count()) == before


def snapshot(school):
    return sorted(Pupil.objects.filter(school=school).values_list(
        "student_number", "name", "current_class__grade", "current_class__number",
        "guardians__phone", "status"))


def test_reset_puts_the_import_school_back_to_its_baseline(bureau):
    school = bureau.import_school
    before = snapshot(school)
    pupil = Pupil.objects.filter(school=school).order_by("student_number").first()
    other = SchoolClass.objects.filter(school=school).exclude(pk=pupil.current_class_id).first()
    Pupil.objects.filter(pk=pupil.pk).update(current_class=other)
    Guardian.objects.filter(pupil=pupil).update(phone="13900000000")
    Pupil.objects.filter(school=school).exclude(pk=pupil.pk).first().delete()
    SchoolClass.objects.create(school=school, school_year=current_school_year(), grade=1,
                               number=9)
    classes = SchoolClass.objects.filter(school=school).count()
    assert snapshot(school) != before

    assert pupils.reset_import_school(bureau) == 300

    assert snapshot(school) == before
    assert Enrolment.objects.filter(pupil__school=school).count() == 300
    assert SchoolClass.objects.filter(school=school).count() == classes - 1


def test_the_roster_file_has_the_template_header_every_pupil_and_exactly_its_changes(bureau):
    school = bureau.import_school
    rf = roster_file.build(school, 20, pupils.classes_per_grade(300))

    sheet = load_workbook(io.BytesIO(rf.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [title for _name, title in TEMPLATE_COLUMNS]
    assert len(rows) - 1 == rf.rows == 300
    assert (rf.class_changes, rf.phone_changes) == (10, 10)
    fields = [name for name, _title in TEMPLATE_COLUMNS]
    # (Excel, like openpyxl, leaves out a row's empty trailing cells.)
    in_file = {row[0]: dict(zip(fields, row + (None,) * (len(fields) - len(row)),
                                strict=True)) for row in rows[1:]}
    db = {p.student_number: p for p in Pupil.objects.filter(school=school)
          .select_related("current_class").prefetch_related("guardians")}
    assert set(in_file) == set(db)
    moved = phoned = 0
    for number, cells in in_file.items():
        pupil = db[number]
        assert cells["name"] == pupil.name
        assert cells["grade"] == pupil.current_class.grade
        moved += cells["class_number"] != pupil.current_class.number
        phoned += cells["guardian1_phone"] != pupil.guardians.get().phone
    assert (moved, phoned) == (10, 10)


def index_definitions():
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                  [pupils.LOADED_TABLES])
        return sorted(row[0] for row in c.fetchall())


def test_a_big_load_makes_the_indexes_and_unique_constraints_again_as_they_were(monkeypatch):
    before = index_definitions()
    monkeypatch.setattr(pupils, "BIG_LOAD", 1)  # what 1,000,000 pupils do

    pb = pupils.build(300, PER_SCHOOL)

    assert index_definitions() == before
    assert Pupil.objects.filter(bureau=pb.bureau).count() == 300
    assert Guardian.objects.filter(pupil__bureau=pb.bureau, is_primary=True).count() == 300


def test_the_importer_finds_in_the_roster_file_exactly_its_changes_and_no_error(bureau):
    from schools.roster.plan import plan_import
    from schools.roster.reader import read_roster

    rf = roster_file.build(bureau.import_school, 20, pupils.classes_per_grade(300))

    plan = plan_import(read_roster(rf.data, rf.filename), bureau.import_school,
                       full_roster=True, by=bureau.importer)

    counts = plan.counts
    assert (counts["errors"], counts["new"], counts["missing"]) == (0, 0, 0)
    assert (counts["changed"], counts["unchanged"]) == (20, 280)
