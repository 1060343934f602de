"""The demo district's roster (issue 9 item 9): every open demo school has a
roll of its size, pupils with a history, guardians, circumstances; nothing can
name or reach a real person (学籍号 on region 99, phones on 100…); seeding
twice changes nothing; and a sample roster file to try the importer on.

Seeds a few schools of different kinds (seed_district(only=...)), not the
whole district, to stay quick."""

import contextlib
import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from schools import demo, demo_roster
from schools.models import Membership, Role, School, SchoolClass, SchoolType
from schools.pupil_models import (
    Circumstance,
    Enrolment,
    Guardian,
    PriorityGroup,
    Pupil,
    PupilStatus,
)
from schools.roster.table import TEMPLATE_COLUMNS
from schools.student_numbers import (
    InvalidStudentNumber,
    birth_date_in_id,
    is_valid_id_number,
    normalise,
)

pytestmark = pytest.mark.django_db

URBAN_PRIMARY = 1  # 示例区实验小学
KINDERGARTEN = 10  # 示例区第一幼儿园
RURAL_KINDERGARTEN = 12  # 东城镇中心幼儿园
RURAL_JUNIOR = 17  # 东城镇初级中学
SPECIAL = 26  # 示例区特殊教育学校
YEAR = 2026  # the school year of the frozen day


@pytest.fixture(autouse=True)
def in_november():
    with time_machine.travel(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


def seed(*numbers):
    return demo.seed_district(schools=len(demo.SCHOOLS), only=set(numbers))


def school(number):
    return School.objects.get(code=f"S{number:03d}")


def test_each_kind_of_school_gets_a_roll_of_its_size_in_this_years_classes():
    seed(URBAN_PRIMARY, KINDERGARTEN, RURAL_JUNIOR, SPECIAL)
    sizes = {n: Pupil.objects.filter(school=school(n)).count()
             for n in (URBAN_PRIMARY, KINDERGARTEN, RURAL_JUNIOR, SPECIAL)}
    assert 600 <= sizes[URBAN_PRIMARY] <= 1300
    assert 250 <= sizes[KINDERGARTEN] <= 350
    assert 600 <= sizes[RURAL_JUNIOR] <= 1500
    assert 80 <= sizes[SPECIAL] <= 150
    grades = {n: set(SchoolClass.objects.filter(school=school(n), school_year=YEAR)
                     .values_list("grade", flat=True)) for n in sizes}
    assert grades == {URBAN_PRIMARY: set(range(1, 7)), KINDERGARTEN: {1, 2, 3},
                      RURAL_JUNIOR: {7, 8, 9}, SPECIAL: set(range(1, 10))}
    per_grade = Counter(SchoolClass.objects.filter(school=school(URBAN_PRIMARY), school_year=YEAR)
                        .values_list("grade", flat=True))
    assert set(per_grade.values()) <= {3, 4, 5}
    # Last year's classes exist too, and nobody sits in one now.
    assert SchoolClass.objects.filter(school=school(URBAN_PRIMARY), school_year=YEAR - 1).count() \
        == sum(per_grade.values())
    assert not Pupil.objects.filter(current_class__school_year=YEAR - 1).exists()


def test_pupils_have_a_history_an_age_for_their_grade_and_mostly_attend():
    seed(URBAN_PRIMARY, KINDERGARTEN)
    pupils = list(Pupil.objects.filter(current_class__isnull=False)
                  .select_related("current_class", "school"))
    for p in pupils:
        # 6 by 31 August in grade 1 (3 in 小班); a few are a year older.
        entry = 3 if p.school.school_type == SchoolType.KINDERGARTEN else 6
        age = YEAR - p.date_of_birth.year - (
            (p.date_of_birth.month, p.date_of_birth.day) > (8, 31))
        assert age - (p.current_class.grade - 1) in (entry, entry + 1)
    statuses = Counter(Pupil.objects.values_list("status", flat=True))
    assert statuses[PupilStatus.ENROLLED] / sum(statuses.values()) > 0.95
    assert statuses[PupilStatus.TRANSFERRED_OUT]
    assert statuses[PupilStatus.SUSPENDED]
    assert not Pupil.objects.filter(status=PupilStatus.TRANSFERRED_OUT,
                                    current_class__isnull=False).exists()
    # Grade 3 this year was grade 2 last year, in the class of the same number.
    third = Pupil.objects.filter(school=school(URBAN_PRIMARY), current_class__grade=3)
    last_year = Enrolment.objects.filter(pupil__in=third, school_year=YEAR - 1)
    assert last_year.count() >= 0.95 * third.count()
    assert set(last_year.values_list("school_class__grade", flat=True)) == {2}
    assert Enrolment.objects.filter(pupil__in=third, school_year=YEAR).count() == third.count()
    # Grade 1 pupils are new: no last year here.
    assert not Enrolment.objects.filter(pupil__current_class__grade=1,
                                        pupil__school=school(URBAN_PRIMARY),
                                        school_year=YEAR - 1).exists()


def test_about_15_percent_of_rural_pupils_are_left_behind_with_a_parent_working_away():
    seed(URBAN_PRIMARY, RURAL_KINDERGARTEN, RURAL_JUNIOR)
    for number in (RURAL_KINDERGARTEN, RURAL_JUNIOR):
        pupils = Pupil.objects.filter(school=school(number))
        left_behind = pupils.filter(circumstances__group=PriorityGroup.LEFT_BEHIND,
                                    circumstances__until__isnull=True).distinct()
        assert 0.10 <= left_behind.count() / pupils.count() <= 0.20
        for p in left_behind.prefetch_related("guardians"):
            primary, *others = p.guardians.all()
            assert primary.is_primary
            assert primary.lives_with_child
            assert any(g.works_away and g.works_away_place and not g.lives_with_child
                       for g in others)
        assert set(pupils.values_list("home_area", flat=True))
        assert all(
            a.endswith("村") for a in pupils.values_list("home_area", flat=True))
    urban = Pupil.objects.filter(school=school(URBAN_PRIMARY))
    assert not urban.filter(circumstances__group=PriorityGroup.LEFT_BEHIND).exists()
    assert urban.filter(circumstances__group=PriorityGroup.MIGRANT).exists()
    assert all(a.endswith("社区") for a in urban.values_list("home_area", flat=True))
    # Boarders: about 30% in the rural junior school, none in the primary.
    junior = Pupil.objects.filter(school=school(RURAL_JUNIOR))
    assert 0.2 <= junior.filter(boarder=True).count() / junior.count() <= 0.4
    assert not urban.filter(boarder=True).exists()
    # Circumstances are recorded by the school's safety officer.
    officers = {c.recorded_by.username
                for c in Circumstance.objects.select_related("recorded_by")}
    assert officers == {f"s{n:02d}-safety"
                        for n in (URBAN_PRIMARY, RURAL_KINDERGARTEN, RURAL_JUNIOR)}
    in_difficulty = Circumstance.objects.filter(group=PriorityGroup.IN_DIFFICULTY)
    assert in_difficulty.exists()
    assert not in_difficulty.filter(difficulty_type="").exists()


def test_every_student_number_is_valid_unique_and_on_the_made_up_region():
    seed(URBAN_PRIMARY, RURAL_JUNIOR, SPECIAL)
    numbers = list(Pupil.objects.values_list("student_number", "date_of_birth", "gender"))
    assert len({n for n, _, _ in numbers}) == len(numbers)
    for number, born, gender in numbers:
        assert normalise(number) == number
        assert number[0] == "G"
        assert number[1:3] == "99"
        assert is_valid_id_number(number[1:])
        assert birth_date_in_id(number[1:]) == born
        assert int(number[17]) % 2 == (1 if gender == "M" else 0)
    # Guardians: one or two, exactly one primary, phones that reach nobody.
    per_pupil = Counter(Guardian.objects.values_list("pupil_id", flat=True))
    assert set(per_pupil.values()) == {1, 2}
    assert Guardian.objects.filter(is_primary=True).count() == len(numbers)
    phones = Guardian.objects.values_list("phone", flat=True)
    assert all(p.startswith("100") and len(p) == 11 and p.isdigit() for p in phones)
    # Every pupil of the special school has a disability on record.
    special = Pupil.objects.filter(school=school(SPECIAL))
    assert special.filter(circumstances__group=PriorityGroup.DISABLED).distinct().count() \
        == special.count()


def test_demo_head_teachers_lead_classes_of_this_school_year_and_see_their_pupils():
    seed(URBAN_PRIMARY, SPECIAL)
    teachers = Membership.objects.filter(role=Role.HEAD_TEACHER).select_related("user")
    assert teachers.count() == 4
    for m in teachers:
        led = list(m.classes.all())
        assert led
        assert {c.school_year for c in led} == {YEAR}
        visible = Pupil.objects.visible_to(m.user)
        assert visible.exists()
        assert set(visible.values_list("current_class_id", flat=True)) <= {c.pk for c in led}
    # The two head teachers of the special school (one class a grade) lead
    # different classes.
    a, b = (set(m.classes.all()) for m in teachers.filter(school=school(SPECIAL)))
    assert a
    assert b
    assert not a & b


def test_seeding_twice_adds_nothing_and_the_roster_is_the_same_every_time():
    seed(URBAN_PRIMARY, KINDERGARTEN)

    def counts():
        return [m.objects.count() for m in (Pupil, Guardian, Enrolment, Circumstance,
                                             SchoolClass)]

    first = counts()
    numbers = sorted(Pupil.objects.values_list("student_number", "name", "code"))
    assert seed(URBAN_PRIMARY, KINDERGARTEN).created_pupils == 0
    assert counts() == first
    Pupil.objects.all().delete()
    assert seed(URBAN_PRIMARY, KINDERGARTEN).created_pupils == first[0]
    assert sorted(Pupil.objects.values_list("student_number", "name", "code")) == numbers


def test_a_closed_school_gets_no_pupils():
    seed(29)
    assert not school(29).is_open
    assert not Pupil.objects.exists()


def test_seed_demo_writes_a_sample_roster_to_try_the_importer_on(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("seed_demo", schools=1, stdout=out)
    path = tmp_path / "demo" / "学生名册样例.xlsx"
    assert str(path) in out.getvalue()
    assert "学校管理员在 学生名册 → 导入名册 上传此文件" in out.getvalue()
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [header for _, header in TEMPLATE_COLUMNS]
    on_a_list = Pupil.objects.filter(current_class__isnull=False).count()
    assert len(rows) - 1 == on_a_list - 2 + 6
    pupils = Pupil.objects.count()
    call_command("seed_demo", schools=1, stdout=io.StringIO())
    assert Pupil.objects.count() == pupils, "seed_demo twice: no pupil twice"
    assert load_workbook(path).active.max_row == len(rows)
    for column, (field, _header) in enumerate(TEMPLATE_COLUMNS, start=1):
        if field in ("student_number", "guardian1_phone", "guardian2_phone"):
            assert sheet.cell(row=2, column=column).number_format == "@"


def test_the_sample_roster_holds_every_kind_of_change_the_preview_shows(tmp_path):
    seed(URBAN_PRIMARY)
    path = tmp_path / "sample.xlsx"
    changes = demo_roster.write_sample_roster(school(URBAN_PRIMARY), URBAN_PRIMARY, path)
    fields = [f for f, _ in TEMPLATE_COLUMNS]
    sheet = load_workbook(path).active
    rows = {}
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        rows[number] = dict(zip(fields, values, strict=True))
    by_number = {}
    for number, row in rows.items():
        with contextlib.suppress(InvalidStudentNumber):  # the error row
            by_number[normalise(row["student_number"])] = (number, row)
    pupils = {p.student_number: p for p in Pupil.objects.select_related("current_class")
              .prefetch_related("guardians")}
    assert len(changes.moved) == 3
    for number in changes.moved:
        assert by_number[number][1]["class_number"] != pupils[number].current_class.number
    [changed] = changes.phone_changed
    assert by_number[changed][1]["guardian1_phone"] != pupils[changed].guardians.all()[0].phone
    assert by_number[changed][1]["guardian1_phone"].startswith("100")
    assert len(changes.new) == 5
    for number in changes.new:
        assert number in by_number
        assert number not in pupils
        assert is_valid_id_number(number[1:])
        assert number[1:3] == "99"
    assert len(changes.missing) == 2
    assert all(n in pupils and n not in by_number for n in changes.missing)
    # Messy cells: a full-width 学籍号 of a pupil on the roll, a dotted date,
    # a 学籍号 with a wrong check character.
    full_width = rows[changes.full_width_row]["student_number"]
    assert full_width.startswith("Ｇ")
    assert normalise(full_width) in pupils
    assert isinstance(rows[changes.dotted_date_row]["date_of_birth"], str)
    assert rows[changes.dotted_date_row]["date_of_birth"].count(".") == 2
    with pytest.raises(InvalidStudentNumber):
        normalise(rows[changes.bad_check_digit_row]["student_number"])
    assert all(n[1:3] == "99" for n in by_number)
