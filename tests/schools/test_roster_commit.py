"""commit_import: a plan done all or nothing, a second import of the same file
changes nothing, and the work does not grow in queries with the rows."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from audit.models import AuditEvent
from schools.models import Enrolment, Guardian, Pupil, SchoolClass, SchoolType
from schools.roster.plan import RosterHasErrors, StalePlan, commit_import, plan_import
from tests.schools.factories import SchoolFactory
from tests.schools.roster_helpers import (
    TODAY,
    YEAR,
    g_number,
    guardian,
    pupil,
    row,
    school_class,
    table,
)


@pytest.fixture(autouse=True)
def english_and_today():
    at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    with translation.override("en"), time_machine.travel(at, tick=False):
        yield


def plan(school, rows, **kwargs):
    kwargs.setdefault("full_roster", False)
    return plan_import(table(rows) if isinstance(rows, list) else rows, school, today=TODAY,
                       **kwargs)


def test_new_pupils_come_with_classes_enrolments_and_guardians(world):
    number = g_number()
    p = plan(world.school_a, [row(number, "张小明", guardian1_name="张大山",
                                  guardian1_relationship="爸爸",
                                  guardian1_phone="138 1234 5678",
                                  guardian2_name="李梅", guardian2_relationship="妈妈")])
    result = commit_import(p, by=world.principal)
    assert (result.created, result.classes_created, result.guardians_created) == (1, 1, 2)
    created = Pupil.objects.get(student_number=number)
    cls = SchoolClass.objects.get(school=world.school_a, school_year=YEAR, grade=3, number=2)
    assert (created.name, created.current_class, created.status) == ("张小明", cls, "enrolled")
    assert created.status_changed_on == TODAY
    assert Enrolment.objects.get(pupil=created).school_class == cls
    assert [(g.name, g.is_primary, g.phone) for g in created.guardians.all()] == [
        ("张大山", True, "13812345678"), ("李梅", False, "")]


def test_an_import_is_one_audit_row_with_counts_only(world):
    number = g_number()
    commit_import(plan(world.school_a, [row(number, "张小明")]), by=world.principal)
    event = AuditEvent.objects.get(action="roster.import")
    assert event.school_id == world.school_a.pk
    assert event.user == world.principal
    assert event.extra == {"kind": "partial",
                           "rows": {"new": 1, "changed": 0, "left": 0, "unchanged": 0}}
    text = str(event.__dict__)
    assert "张小明" not in text
    assert number not in text


def test_importing_the_same_file_again_changes_nothing(world):
    rows = [row(g_number(), guardian1_name="张大山", guardian1_relationship="父亲",
                guardian1_phone="13812345678", boarder="是", home_area="东村")
            for _ in range(3)]
    commit_import(plan(world.school_a, rows), by=world.principal)
    stamps = dict(Pupil.objects.values_list("pk", "updated_at"))
    guardian_stamps = dict(Guardian.objects.values_list("pk", "updated_at"))
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        again = plan_import(table(rows), world.school_a, full_roster=False,
                            today=TODAY)
        assert again.unchanged == 3
        assert not again.new
        assert not again.changed
        result = commit_import(again, by=world.principal)
    assert (result.created, result.updated, result.left, result.unchanged) == (0, 0, 0, 3)
    assert dict(Pupil.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Guardian.objects.values_list("pk", "updated_at")) == guardian_stamps


def test_changed_pupils_are_updated_in_place_by_student_number(world):
    number = g_number()
    old = pupil(world.school_a, number, "张小明", cls=school_class(world.school_a, 3, 1))
    guardian(old, "张大山", "father", "13812345678")
    Enrolment.objects.create(pupil=old, school_year=YEAR, school=world.school_a,
                             school_class=old.current_class)
    p = plan(world.school_a, [row(number, "张晓明", cls="2", status="休学",
                                  guardian1_name="张大山", guardian1_phone="13900001111")])
    result = commit_import(p, by=world.principal)
    old.refresh_from_db()
    assert result.updated == 1
    assert Pupil.objects.count() == 1
    assert (old.name, old.current_class.number, old.status) == ("张晓明", 2, "suspended")
    assert old.status_changed_on == TODAY
    assert Enrolment.objects.get(pupil=old).school_class == old.current_class
    assert old.guardians.get().phone == "13900001111"


def test_pupils_missing_from_a_full_roster_leave_as_chosen_never_deleted(world):
    school = SchoolFactory(bureau=world.bureau, school_type=SchoolType.PRIMARY)
    staying = g_number()
    pupil(school, staying, cls=school_class(school, 3, 2))
    sixth = pupil(school, g_number(), cls=school_class(school, 6, 1))
    third = pupil(school, g_number(), cls=school_class(school, 3, 1))
    kept = pupil(school, g_number(), cls=school_class(school, 4, 1))
    p = plan(school, [row(staying)], full_roster=True)
    result = commit_import(p, by=world.principal, leave={str(kept.code): "keep"})
    assert result.left == 2
    assert Pupil.objects.filter(school=school).count() == 4
    statuses = dict(Pupil.objects.values_list("pk", "status"))
    assert statuses[sixth.pk] == "graduated"
    assert statuses[third.pk] == "transferred_out"
    assert statuses[kept.pk] == "enrolled"
    assert Pupil.objects.get(pk=third.pk).status_changed_on == TODAY


def test_a_leave_choice_can_override_the_default(world):
    school = SchoolFactory(bureau=world.bureau, school_type=SchoolType.PRIMARY)
    gone = pupil(school, g_number(), cls=school_class(school, 6, 1))
    p = plan(school, [row(g_number())], full_roster=True)
    commit_import(p, by=world.principal, leave={str(gone.code): "transferred_out"})
    gone.refresh_from_db()
    assert gone.status == "transferred_out"
    with pytest.raises(ValueError, match="leave choices"):
        commit_import(plan(school, [row(g_number())], full_roster=True), by=world.principal,
                      leave={str(gone.code): "deceased"})


def test_a_plan_with_errors_writes_nothing(world):
    p = plan(world.school_a, [row(g_number()), row(g_number(), gender="?")])
    with pytest.raises(RosterHasErrors):
        commit_import(p, by=world.principal)
    assert not Pupil.objects.exists()
    assert not SchoolClass.objects.exists()
    assert not AuditEvent.objects.filter(action="roster.import").exists()


def test_hidden_rows_are_skipped_unless_included(world):
    rows = table([row(g_number()), row(g_number())], hidden={3})
    commit_import(plan(world.school_a, rows), by=world.principal)
    assert Pupil.objects.count() == 1
    result = commit_import(plan(world.school_a, rows), by=world.principal, include_hidden=True)
    assert result.created == 1
    assert Pupil.objects.count() == 2


def test_included_hidden_rows_with_errors_block_the_import(world):
    rows = table([row(g_number()), row(g_number(), gender="?")], hidden={3})
    with pytest.raises(RosterHasErrors):
        commit_import(plan(world.school_a, rows), by=world.principal, include_hidden=True)
    assert not Pupil.objects.exists()


def test_a_stale_plan_is_refused_and_writes_nothing(world):
    p = plan(world.school_a, [row(g_number())])
    pupil(world.school_a, g_number())  # someone changed the roster meanwhile
    with pytest.raises(StalePlan):
        commit_import(p, by=world.principal)
    assert Pupil.objects.count() == 1


def test_a_failure_half_way_through_writes_nothing(world, monkeypatch):
    # All or nothing: the pupils and classes written before a failure (here the
    # guardians' insert) are rolled back with it.
    p = plan(world.school_a, [row(g_number(), guardian1_name="张大山",
                                  guardian1_relationship="父亲")])

    def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Guardian.objects, "bulk_create", fails)
    with pytest.raises(RuntimeError):
        commit_import(p, by=world.principal)
    assert not Pupil.objects.exists()
    assert not SchoolClass.objects.exists()
    assert not Enrolment.objects.exists()


def test_a_guardian_changed_since_the_preview_makes_the_plan_stale(world):
    number = g_number()
    father = guardian(pupil(world.school_a, number, cls=school_class(world.school_a)))
    p = plan(world.school_a, [row(number, guardian1_name="张大山",
                                  guardian1_phone="13900000000")])
    # Meanwhile the head teacher corrects the father's phone on the pupil's page.
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 5, tzinfo=dt.UTC), tick=False):
        father.phone = "13700000000"
        father.save()
    with pytest.raises(StalePlan):
        commit_import(p, by=world.principal)
    father.refresh_from_db()
    assert father.phone == "13700000000"

def test_a_transfer_in_from_a_school_the_pupil_left(world):
    number = g_number()
    moved = pupil(world.school_b, number, status="transferred_out")
    commit_import(plan(world.school_a, [row(number)]), by=world.principal)
    moved.refresh_from_db()
    assert (moved.school, moved.status) == (world.school_a, "enrolled")
    assert Enrolment.objects.get(pupil=moved).school == world.school_a


def _rows(count):
    out = []
    for i in range(count):
        born = dt.date(2015, 3, 5) + dt.timedelta(days=i // 1000)
        out.append(row(g_number(born.strftime("%Y%m%d"), seq=i), f"学生{i}", born=born.isoformat(),
                       cls=str(1 + i % 5), guardian1_name="家长", guardian1_relationship="父亲",
                       guardian1_phone="13812345678"))
    return out


@pytest.mark.parametrize("size", [20, 300])
def test_committing_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries,
                                                     size):
    # Half known (some to change), half new, a full roster with pupils to leave.
    cls = school_class(world.school_a, 3, 1)
    rows = _rows(size)
    for r in rows[: size // 2]:
        pupil(world.school_a, r["student_number"], "旧名", cls=cls)
    for i in range(5):
        pupil(world.school_a, g_number(seq=900 + i), cls=cls)
    p = plan(world.school_a, rows, full_roster=True)
    with django_assert_max_num_queries(30):
        result = commit_import(p, by=world.principal)
    assert (result.created, result.updated, result.left) == (size - size // 2, size // 2, 5)


def test_three_thousand_rows_commit_in_bulk(world, django_assert_max_num_queries):
    p = plan(world.school_a, _rows(3000))
    assert p.ok
    with django_assert_max_num_queries(30):
        result = commit_import(p, by=world.principal)
    assert result.created == 3000
    assert Guardian.objects.count() == 3000
