"""plan_import: what a roster file would change, read without writing."""

import datetime as dt
import json

import pytest
from django.utils import translation

from schools.models import Pupil, SchoolClass, SchoolType
from schools.roster.plan import plan_import
from schools.roster.table import CellProblem
from tests.schools.factories import SchoolFactory
from tests.schools.roster_helpers import (
    TODAY,
    YEAR,
    g_number,
    guardian,
    id_number,
    pupil,
    row,
    school_class,
    table,
)


@pytest.fixture(autouse=True)
def english():
    """Messages and labels as their English msgids (the catalogue may not have them yet)."""
    with translation.override("en"):
        yield


def plan(world, rows, school=None, **kwargs):
    kwargs.setdefault("full_roster", False)
    return plan_import(table(rows) if isinstance(rows, list) else rows,
                       school or world.school_a, today=TODAY, **kwargs)


def test_new_pupils_and_their_classes_are_planned_and_nothing_is_written(world):
    p = plan(world, [row(g_number(), "张小明"), row(g_number(), "李小红", gender="女",
                                                     grade="四年级", cls="1班")])
    assert p.ok
    assert [r.row for r in p.new] == [2, 3]
    assert p.classes_to_create == [(3, 2), (4, 1)]
    assert p.counts["new"] == 2
    assert p.counts["changed"] == 0
    assert not Pupil.objects.exists()
    assert not SchoolClass.objects.exists()


def test_each_bad_cell_is_an_error_with_row_column_field_and_how_to_fix(world):
    p = plan(world, [row(g_number()), row(g_number(), gender="未知", born="2013.03")])
    assert [(e.row, e.column, e.field) for e in p.errors] == [
        (3, "C", "Gender"), (3, "D", "Date of birth")]
    assert "男" in p.errors[0].message
    assert "day is missing" in p.errors[1].message
    assert not p.ok
    assert len(p.new) == 1


def test_the_readers_cell_problems_are_errors_too(world):
    problem = CellProblem(row=2, column="D", field="date_of_birth",
                          message="公式没有保存计算结果")
    p = plan(world, table([row(g_number(), born=None)], problems=[problem]))
    assert [(e.row, e.column, e.message) for e in p.errors] == [(2, "D", "公式没有保存计算结果")]


def test_the_same_student_number_twice_is_an_error_on_both_rows(world):
    number = g_number()
    p = plan(world, [row(number), row(g_number()), row(number, "王五")])
    assert [(e.row, e.column) for e in p.errors] == [(2, "A"), (4, "A")]
    assert "row 4" in p.errors[0].message
    assert "row 2" in p.errors[1].message


def test_a_pupil_enrolled_at_another_school_of_the_bureau_needs_a_transfer(world):
    number = g_number()
    pupil(world.school_b, number)
    p = plan(world, [row(number)])
    assert [e.row for e in p.errors] == [2]
    assert "转学" in p.errors[0].message
    assert world.school_b.name not in p.errors[0].message
    revealed = plan(world, [row(number)], reveal_other_school=True)
    assert world.school_b.name in revealed.errors[0].message


def test_the_same_number_in_another_bureau_is_another_pupil(world):
    number = g_number()
    pupil(world.school_c, number)
    p = plan(world, [row(number)])
    assert p.ok
    assert len(p.new) == 1


def test_a_pupil_who_left_another_school_of_the_bureau_moves_here(world):
    number = g_number()
    pupil(world.school_b, number, status="transferred_out")
    p = plan(world, [row(number)])
    assert p.ok
    assert len(p.changed) == 1
    fields = {c.field: (c.old, c.new) for c in p.changed[0].changes}
    assert fields["school"] == ("Another school of the bureau", world.school_a.name)
    assert fields["status"][1] == "Enrolled"


def test_changes_are_listed_old_to_new_per_field(world):
    number = g_number()
    p1 = pupil(world.school_a, number, "张小明", cls=school_class(world.school_a, 3, 1),
               boarder=False, home_area="东村")
    guardian(p1, "张大山", "father", "13812345678")
    p = plan(world, [row(number, "张晓明", cls="2", boarder="住校", home_area="西村",
                         status="休学", guardian1_name="张大山", guardian1_phone="13900001111",
                         guardian2_name="李梅", guardian2_relationship="妈妈")])
    assert p.ok
    assert len(p.changed) == 1
    changes = {c.field: (c.old, c.new) for c in p.changed[0].changes}
    assert changes == {
        "name": ("张小明", "张晓明"), "boarder": ("No", "Yes"), "home_area": ("东村", "西村"),
        "status": ("Enrolled", "Suspended schooling"),
        "class": ("Grade 3 Class 1", "Grade 3 Class 2"),
        "guardian1_phone": ("13812345678", "13900001111"),
        "guardian2_name": ("", "李梅"),
    }


def test_a_class_of_last_school_year_is_a_change_to_this_years(world):
    number = g_number()
    pupil(world.school_a, number, cls=school_class(world.school_a, 3, 2, year=YEAR - 1))
    p = plan(world, [row(number)])
    change = {c.field: (c.old, c.new) for c in p.changed[0].changes}["class"]
    assert change == (f"Grade 3 Class 2 ({YEAR - 1})", "Grade 3 Class 2")
    assert p.classes_to_create == [(3, 2)]


def test_a_pupil_as_the_portal_holds_them_is_unchanged_and_blank_cells_keep_values(world):
    number = g_number()
    p1 = pupil(world.school_a, number, cls=school_class(world.school_a), home_area="东村",
               boarder=True)
    guardian(p1)
    p = plan(world, [row(number, boarder="", home_area=None, guardian1_name="张大山",
                         guardian1_relationship="爸爸")])
    assert p.ok
    assert p.unchanged == 1
    assert not p.changed
    assert not p.new


def test_a_full_roster_offers_the_pupils_it_no_longer_lists_as_leaving(world):
    school = SchoolFactory(bureau=world.bureau, school_type=SchoolType.PRIMARY)
    staying, sixth, third = g_number(), g_number(), g_number()
    pupil(school, staying, cls=school_class(school, 3, 2))
    pupil(school, sixth, cls=school_class(school, 6, 1))
    pupil(school, third, cls=school_class(school, 3, 1))
    pupil(school, g_number(), status="transferred_out")
    full = plan(world, [row(staying)], school=school, full_roster=True)
    assert {(m.masked_number, m.default) for m in full.missing} == {
        (Pupil.objects.get(student_number=sixth).masked_student_number, "graduated"),
        (Pupil.objects.get(student_number=third).masked_student_number, "transferred_out")}
    assert plan(world, [row(staying)], school=school).missing == []


def test_hidden_rows_are_listed_apart_and_their_errors_do_not_block(world):
    p = plan(world, table([row(g_number()), row(g_number(), gender="?")], hidden={3}))
    assert p.ok
    assert [r.row for r in p.new] == [2]
    assert [r.row for r in p.hidden] == [3]
    assert [e.row for e in p.hidden_errors] == [3]


def test_a_new_pupil_needs_gender_date_of_birth_and_class(world):
    p = plan(world, [row(g_number(), gender=None, born=None, grade=None, cls=None)])
    assert {e.field for e in p.errors} == {"Gender", "Date of birth", "Grade"}


def test_the_id_number_cross_checks_and_is_never_kept(world):
    number = g_number("20150305")
    same = number[1:]
    other = id_number("20150306")
    p = plan(world, [row(number, id_number=same),
                     row(g_number("20150305"), id_number=other),
                     row(g_number("20140101"))])
    assert [(e.row, e.field) for e in p.errors] == [
        (3, "ID number"), (3, "ID number"), (4, "Date of birth")]
    dumped = json.dumps(p.as_json(), ensure_ascii=False)
    assert other not in dumped
    assert same not in dumped
    assert all("id_number" not in r.values for r in p.rows)


def test_ages_are_reckoned_on_the_import_day(world):
    p = plan(world, [row(g_number(), born="2005-01-01")])
    assert "21 years" in p.errors[0].message


def test_the_fingerprint_changes_with_the_file_the_choice_and_the_roster(world):
    rows = [row(g_number())]
    first = plan(world, table(rows))
    assert plan(world, table(rows)).fingerprint == first.fingerprint
    assert plan(world, table(rows), full_roster=True).fingerprint != first.fingerprint
    assert plan(world, table([*rows, row(g_number())])).fingerprint != first.fingerprint
    pupil(world.school_a, g_number())
    assert plan(world, table(rows)).fingerprint != first.fingerprint


@pytest.mark.parametrize("size", [10, 200])
def test_planning_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries, size):
    cls = school_class(world.school_a)
    numbers = [g_number(seq=i) for i in range(size)]
    for number in numbers[: size // 2]:
        guardian(pupil(world.school_a, number, cls=cls))
    rows = [row(n, guardian1_name="张大山", guardian1_relationship="父亲") for n in numbers]
    with django_assert_max_num_queries(6):
        p = plan(world, rows, full_roster=True)
    assert p.ok
    assert len(p.new) == size - size // 2


def test_the_json_preview_shows_rows_and_masked_numbers_not_names(world):
    number = g_number()
    pupil(world.school_a, number, "张小明", cls=school_class(world.school_a))
    out = plan(world, [row(number, "张晓明"), row(g_number(), "李四")]).as_json()
    dumped = json.dumps(out, ensure_ascii=False)
    assert "张晓明" not in dumped
    assert "李四" not in dumped
    assert number not in dumped
    assert out["changed"][0]["changes"] == [{"field": "name", "label": "Name"}]
    assert out["new"][0]["row"] == 3
    assert "*" in out["new"][0]["student_number"]


def test_guardians_are_matched_by_name_before_slot(world):
    number = g_number()
    p1 = pupil(world.school_a, number, cls=school_class(world.school_a))
    guardian(p1, "张大山", "father", primary=True)
    guardian(p1, "李梅", "mother", "13900001111", primary=False)
    p = plan(world, [row(number, guardian1_name="李梅", guardian1_relationship="母亲",
                         guardian2_name="张大山", guardian2_relationship="父亲")])
    assert p.unchanged == 1, [c for r in p.changed for c in r.changes]


def test_dates_of_birth_in_the_future_are_refused(world):
    p = plan(world, [row(g_number(), born=dt.date(2027, 1, 1))])
    assert "future" in p.errors[0].message


class TestARosterWithoutARelationshipColumn:
    """Many schools' own 花名册 have 家长姓名 and 联系电话 but no 与学生关系 (the
    fixtures' 07 kind): the guardian is kept, its relationship taken from the
    heading (父亲姓名 → father) or recorded as another guardian; a relationship
    column left empty on one row is still that row's error."""

    def test_a_guardian_without_a_relationship_column_is_another_guardian(self, world):
        p = plan(world, [row(g_number(), guardian1_name="张大山",
                             guardian1_phone="13812345678")])
        assert p.ok
        assert p.new[0].guardians[0].values["relationship"] == "other"

    def test_the_heading_father_or_mother_gives_the_relationship(self, world):
        t = table([row(g_number(), guardian1_name="张大山", guardian2_name="李梅")])
        t.headers["guardian1_name"] = "父亲姓名"
        t.headers["guardian2_name"] = "母亲姓名"
        p = plan(world, t)
        assert [g.values["relationship"] for g in p.new[0].guardians] == ["father", "mother"]

    def test_an_empty_relationship_cell_in_a_relationship_column_is_an_error(self, world):
        p = plan(world, [row(g_number(), guardian1_name="张大山", guardian1_relationship="父亲"),
                         row(g_number(), guardian1_name="李梅", guardian1_relationship=None)])
        assert not p.ok
        assert [e.row for e in p.errors] == [3]
