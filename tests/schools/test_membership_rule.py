"""A school's campaign period (issue 8 item 3): the one rule of who is expected
when, its three forms agreeing, and the days stamped whoever saves a school."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from schools import services
from schools.models import School, SchoolType, days_expected_q, expected_on_q, in_period
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def on(*args):
    return time_machine.travel(dt.datetime(*args, 9, 0, tzinfo=SHANGHAI), tick=False)


PERIODS = [(D(2026, 5, 1), None), (D(2026, 5, 13), None), (D(2026, 5, 1), D(2026, 5, 13)),
           (D(2026, 5, 1), D(2026, 5, 14)), (D(2026, 5, 20), D(2026, 5, 20))]
DAYS = [D(2026, 5, 1), D(2026, 5, 2), D(2026, 5, 12), D(2026, 5, 13), D(2026, 5, 14),
        D(2026, 5, 20), D(2026, 6, 1)]


def test_a_school_is_expected_after_it_joined_and_before_it_closed():
    assert not in_period(D(2026, 5, 13), D(2026, 5, 13), None)  # joined on the day
    assert in_period(D(2026, 5, 13), D(2026, 5, 12), None)
    assert in_period(D(2026, 5, 13), D(2026, 5, 1), D(2026, 5, 14))
    assert not in_period(D(2026, 5, 13), D(2026, 5, 1), D(2026, 5, 13))  # closed that day


def test_the_three_forms_of_the_rule_agree(world):
    schools = []
    for joined, closed in PERIODS:
        school = SchoolFactory(bureau=world.bureau, joined_on=joined)
        School.objects.filter(pk=school.pk).update(
            closed_on=closed, is_open=closed is None)
        schools.append(School.objects.get(pk=school.pk))
    ids = [s.pk for s in schools]
    for day in DAYS:
        by_python = {s.pk for s in schools if s.expected_on(day)}
        by_schools = set(School.objects.filter(expected_on_q(day), pk__in=ids)
                         .values_list("pk", flat=True))
        assert by_python == by_schools, day
    for school in schools:
        wanted = {day for day in DAYS if school.expected_on(day)}
        q = days_expected_q("d", school.joined_on, school.closed_on)
        # days_expected_q over plain values: evaluate it as a filter on schools
        # whose joined_on carries the day (any date field works the same).
        found = {day for day in DAYS
                 if School.objects.filter(pk=school.pk).annotate(d=_date(day)).filter(q).exists()}
        assert wanted == found, school


def _date(day):
    from django.db.models import DateField, Value

    return Value(day, output_field=DateField())


class TestTheDaysAreStampedWhoeverSaves:
    def test_a_new_school_joins_the_day_it_is_added(self, world):
        with on(2026, 5, 20):
            school = School.objects.create(bureau=world.bureau, code="N1", name="新校",
                                           school_type=SchoolType.PRIMARY)
        assert (school.joined_on, school.closed_on) == (D(2026, 5, 20), None)

    def test_a_school_created_closed_is_expected_for_nothing(self, world):
        with on(2026, 5, 20):
            school = School.objects.create(bureau=world.bureau, code="N2", name="停办校",
                                           school_type=SchoolType.PRIMARY, is_open=False)
        assert school.joined_on == school.closed_on == D(2026, 5, 20)
        assert not any(school.expected_on(day) for day in DAYS)

    @pytest.mark.parametrize("flag", ["is_open", "in_campaign"])
    def test_closing_or_leaving_sets_the_day_and_coming_back_starts_a_new_period(
            self, world, flag):
        school = world.school_a
        with on(2026, 5, 20):
            setattr(school, flag, False)
            school.save()
        assert (school.joined_on, school.closed_on) == (D(2020, 1, 1), D(2026, 5, 20))
        with on(2026, 6, 2):
            setattr(school, flag, True)
            school.save()
        school.refresh_from_db()
        assert (school.joined_on, school.closed_on) == (D(2026, 6, 2), None)

    def test_other_changes_keep_the_days(self, world):
        with on(2026, 5, 20):
            world.school_a.name = "甲小学（新校区）"
            world.school_a.save()
        world.school_a.refresh_from_db()
        assert (world.school_a.joined_on, world.school_a.closed_on) == (D(2020, 1, 1), None)

    def test_the_database_refuses_a_closed_school_without_its_day(self, world):
        with pytest.raises(IntegrityError), transaction.atomic():
            School.objects.filter(pk=world.school_a.pk).update(is_open=False)
        with pytest.raises(IntegrityError), transaction.atomic():
            School.objects.filter(pk=world.school_a.pk).update(closed_on=D(2026, 5, 1))


class TestJoiningAndClosingAreAudited:
    def test_closing_and_reopening_through_the_service(self, world):
        with on(2026, 5, 20):
            world.school_a.is_open = False
            services.school_save(school=world.school_a, by=world.bureau_admin)
        with on(2026, 6, 2):
            world.school_a.is_open = True
            services.school_save(school=world.school_a, by=world.bureau_admin)
        rows = list(AuditEvent.objects.filter(action__startswith="school.").order_by("id"))
        assert [(r.action, r.username, r.target_type, r.target_code, r.school_id, r.extra)
                for r in rows] == [
            ("school.close", "bureau-admin", "schools.school", world.school_a.code,
             world.school_a.pk, {"new": "2026-05-20"}),
            ("school.join", "bureau-admin", "schools.school", world.school_a.code,
             world.school_a.pk, {"new": "2026-06-02"})]

    def test_a_save_that_changes_no_period_writes_no_row(self, world):
        world.school_a.name = "改名"
        services.school_save(school=world.school_a, by=world.bureau_admin)
        assert not AuditEvent.objects.filter(action__startswith="school.").exists()

    def test_closing_a_school_in_the_admin_is_audited_and_stamps_the_day(self, world, login):
        school = world.school_a
        with on(2026, 5, 20):
            response = login(world.bureau_admin).post(
                reverse("admin:schools_school_change", args=[school.pk]), {
                    "bureau": world.bureau.pk, "code": school.code, "name": school.name,
                    "school_type": school.school_type, "address": "", "in_campaign": "on",
                    "classes-TOTAL_FORMS": "0", "classes-INITIAL_FORMS": "0"})
        assert response.status_code == 302
        school.refresh_from_db()
        assert (school.is_open, school.closed_on) == (False, D(2026, 5, 20))
        row = AuditEvent.objects.get(action="school.close")
        assert (row.username, row.extra) == ("bureau-admin", {"new": "2026-05-20"})
