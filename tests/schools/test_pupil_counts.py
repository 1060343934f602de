"""重点群体统计 (issue 9 item 8): the bureau's counts of enrolled pupils per school
and priority group, suppressed, never a child."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from core.suppression import WITHHELD
from schools import pupil_counts as pupil_counts_module
from schools import pupil_services
from schools.models import School, SchoolType
from schools.pupil_counts import GROUPS, count_schools, forget_tables, pupil_counts
from schools.pupil_models import PriorityGroup, PupilStatus, SchoolPupilCount
from tests.schools.factories import SchoolFactory
from tests.schools.pupil_factories import CircumstanceFactory, PupilFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 10)
CANARY = "金丝雀测试名"
URL = "schools:pupil_counts"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def column(group: PriorityGroup) -> int:
    return GROUPS.index(group)


def pupils(school, n: int, *, group=None, **fields):
    made = PupilFactory.create_batch(n, school=school, **fields)
    if group is not None:
        for pupil in made:
            CircumstanceFactory(pupil=pupil, group=group)
    return made


def row_of(table, school):
    return next(r for r in table.rows if r.school_id == school.pk)


class TestCounting:
    def test_enrolled_pupils_are_counted_per_school_and_group(self, world):
        pupils(world.school_a, 12)
        pupils(world.school_a, 6, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_b, 7, group=PriorityGroup.MIGRANT)
        table = pupil_counts(bureau_id=world.bureau.pk)
        a, b = row_of(table, world.school_a), row_of(table, world.school_b)
        assert a.enrolled.shown == 18
        assert a.groups[column(PriorityGroup.LEFT_BEHIND)].shown == 6
        assert a.left_behind_share == "33.3%"
        assert b.groups[column(PriorityGroup.MIGRANT)].shown == 7
        assert table.total.enrolled.shown == 25
        assert world.school_c.pk not in {r.school_id for r in table.rows}

    def test_a_pupil_with_two_records_of_one_group_counts_once(self, world):
        for pupil in pupils(world.school_a, 5):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.DISABLED)
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.DISABLED,
                                since=dt.date(2024, 1, 1))
        table = pupil_counts(bureau_id=world.bureau.pk)
        assert row_of(table, world.school_a).groups[column(PriorityGroup.DISABLED)].shown == 5

    def test_only_current_circumstances_of_enrolled_pupils_count(self, world):
        current = pupils(world.school_a, 5)
        for pupil in current:
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.ORPHAN,
                                since=TODAY, until=TODAY)  # the last day still counts
        for pupil in pupils(world.school_a, 5):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.ORPHAN,
                                since=dt.date(2025, 1, 1), until=TODAY - dt.timedelta(days=1))
        for pupil in pupils(world.school_a, 5):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.ORPHAN,
                                since=TODAY + dt.timedelta(days=1))
        pupils(world.school_a, 5, group=PriorityGroup.ORPHAN, status=PupilStatus.DROPPED_OUT)
        table = pupil_counts(bureau_id=world.bureau.pk)
        row = row_of(table, world.school_a)
        assert row.groups[column(PriorityGroup.ORPHAN)].value == 5
        assert row.enrolled.value == 15  # the dropped-out five are not on the roll

    def test_the_school_type_filter_keeps_its_schools_only(self, world):
        junior = SchoolFactory(bureau=world.bureau, school_type=SchoolType.JUNIOR)
        pupils(junior, 9, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_a, 9, group=PriorityGroup.LEFT_BEHIND)
        table = pupil_counts(bureau_id=world.bureau.pk, school_type=SchoolType.JUNIOR)
        assert [r.school_id for r in table.rows] == [junior.pk]
        assert table.total.groups[column(PriorityGroup.LEFT_BEHIND)].value == 9
        with pytest.raises(ValueError, match="school type"):
            pupil_counts(bureau_id=world.bureau.pk, school_type="castle")


class TestSuppression:
    def test_one_to_four_show_as_under_five_and_the_total_cannot_give_them_away(self, world):
        pupils(world.school_a, 20)
        pupils(world.school_a, 3, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_b, 8, group=PriorityGroup.LEFT_BEHIND)
        table = pupil_counts(bureau_id=world.bureau.pk)
        a, b = row_of(table, world.school_a), row_of(table, world.school_b)
        lb = column(PriorityGroup.LEFT_BEHIND)
        assert a.groups[lb].shown == "<5"
        # 11 in the district minus 8 at school B would be 3: B's 8 is withheld.
        assert b.groups[lb].shown == WITHHELD
        assert table.total.groups[lb].shown == 11
        # The share would give the count back: withheld too.
        assert a.left_behind_share == WITHHELD
        assert b.left_behind_share == WITHHELD

    def test_a_school_of_one_to_four_pupils_shows_under_five_everywhere(self, world):
        pupils(world.school_b, 2, group=PriorityGroup.ORPHAN)
        table = pupil_counts(bureau_id=world.bureau.pk)
        b = row_of(table, world.school_b)
        assert b.enrolled.shown == "<5"
        assert b.groups[column(PriorityGroup.ORPHAN)].shown == "<5"
        assert table.total.enrolled.shown == "<5"

    def test_zero_shows_as_zero(self, world):
        pupils(world.school_a, 10)
        table = pupil_counts(bureau_id=world.bureau.pk)
        assert [c.shown for c in row_of(table, world.school_a).groups] == [0] * len(GROUPS)
        assert row_of(table, world.school_a).left_behind_share == "0.0%"


class TestQueries:
    @pytest.mark.parametrize("per_school", [1, 30])
    def test_two_queries_when_every_school_was_counted_today_and_one_when_seen(
            self, world, django_assert_num_queries, per_school):
        for school in (world.school_a, world.school_b):
            for group in (PriorityGroup.LEFT_BEHIND, PriorityGroup.MIGRANT):
                pupils(school, per_school, group=group)
        pupil_counts(bureau_id=world.bureau.pk)  # counts and keeps
        forget_tables()
        with django_assert_num_queries(2):  # fingerprint, read the kept counts
            first = pupil_counts(bureau_id=world.bureau.pk)
        with django_assert_num_queries(1):  # fingerprint: the same table
            assert pupil_counts(bureau_id=world.bureau.pk) is first

    @pytest.mark.parametrize("per_school", [1, 30])
    def test_a_recount_costs_the_same_whatever_the_pupils_and_schools(
            self, world, django_assert_num_queries, per_school):
        for _ in range(per_school // 10):
            SchoolFactory(bureau=world.bureau)
        for school in (world.school_a, world.school_b):
            pupils(school, per_school, group=PriorityGroup.LEFT_BEHIND)
        # Fingerprint, read, count enrolled, count groups, create missing
        # rows, keep.
        with django_assert_num_queries(6):
            pupil_counts(bureau_id=world.bureau.pk)

    def test_the_page_costs_the_same_for_few_and_many_pupils(self, world, login):
        client = login(world.inspector)
        pupils(world.school_a, 2, group=PriorityGroup.LEFT_BEHIND)
        client.get(reverse(URL))  # warm the session and caches
        with CaptureQueriesContext(connection) as few:
            assert client.get(reverse(URL)).status_code == 200
        pupils(world.school_a, 40, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_b, 40, group=PriorityGroup.DISABLED)
        with CaptureQueriesContext(connection) as recount:
            assert client.get(reverse(URL)).status_code == 200
        with CaptureQueriesContext(connection) as many:
            assert client.get(reverse(URL)).status_code == 200
        assert len(many) == len(few)
        assert len(recount) == len(few) + 4  # the two schools recounted together


class TestKeptCounts:
    """The counts are kept per school (SchoolPupilCount) and always exact: any
    change to a pupil or a circumstance, the turn of the day, a bulk import,
    and a change made while a recount runs are all seen by the next view."""

    def lb(self, world, school=None):
        table = pupil_counts(bureau_id=world.bureau.pk)
        return row_of(table, school or world.school_a).groups[
            column(PriorityGroup.LEFT_BEHIND)].value

    def test_a_circumstance_recorded_or_ended_after_a_view_shows_at_the_next(self, world):
        made = pupils(world.school_a, 6, group=PriorityGroup.LEFT_BEHIND)
        assert self.lb(world) == 6
        extra = PupilFactory(school=world.school_a)
        pupil_services.circumstance_record(pupil=extra, group=PriorityGroup.LEFT_BEHIND,
                                           by=world.principal)
        assert self.lb(world) == 7
        ended = made[0].circumstances.get()
        pupil_services.circumstance_end(circumstance=ended, until=TODAY - dt.timedelta(days=1),
                                        by=world.principal)
        assert self.lb(world) == 6
        made[1].circumstances.get().delete()
        assert self.lb(world) == 5

    def test_a_status_change_or_a_transfer_counts_at_both_schools(self, world):
        made = pupils(world.school_a, 7, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_b, 6, group=PriorityGroup.LEFT_BEHIND)
        assert (self.lb(world), self.lb(world, world.school_b)) == (7, 6)
        pupil_services.pupil_change_status(pupil=made[0], status=PupilStatus.DROPPED_OUT,
                                           on=TODAY, reason="家长外出", by=world.principal)
        assert self.lb(world) == 6
        made[1].school = world.school_b
        made[1].save()
        assert (self.lb(world), self.lb(world, world.school_b)) == (5, 7)

    def test_a_circumstance_that_ends_or_starts_by_date_counts_the_next_day(self, world):
        for pupil in pupils(world.school_a, 6):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.LEFT_BEHIND,
                                since=dt.date(2026, 1, 1), until=TODAY)
        for pupil in pupils(world.school_a, 5):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.LEFT_BEHIND,
                                since=TODAY + dt.timedelta(days=1))
        assert self.lb(world) == 6
        with time_machine.travel(dt.datetime(2026, 11, 11, 9, 0, tzinfo=dt.UTC), tick=False):
            assert self.lb(world) == 5  # nobody saved anything

    def test_a_roster_import_marks_its_school(self, world):
        from schools.roster.plan import commit_import, plan_import
        from tests.schools.roster_helpers import g_number, row, table

        pupils(world.school_a, 5)
        assert row_of(pupil_counts(bureau_id=world.bureau.pk), world.school_a).enrolled.value == 5
        plan = plan_import(table([row(g_number()) for _ in range(3)]), world.school_a,
                           today=TODAY, full_roster=False)
        commit_import(plan, by=world.principal)
        assert row_of(pupil_counts(bureau_id=world.bureau.pk), world.school_a).enrolled.value == 8

    def test_a_change_made_while_a_recount_runs_is_not_hidden_by_it(self, world):
        pupils(world.school_a, 6, group=PriorityGroup.LEFT_BEHIND)
        pupil_counts(bureau_id=world.bureau.pk)
        read = dict(SchoolPupilCount.objects.values_list("pk", "version"))
        counted = count_schools([world.school_a.pk], TODAY)  # the recount's snapshot
        pupils(world.school_a, 1, group=PriorityGroup.LEFT_BEHIND)  # lands meanwhile
        assert pupil_counts_module._keep(counted, read, TODAY) == 0
        assert SchoolPupilCount.objects.get(pk=world.school_a.pk).stale
        assert self.lb(world) == 7

    def test_the_nightly_recount_leaves_every_school_current(self, world,
                                                             django_assert_num_queries):
        from schools.tasks import refresh_pupil_counts

        pupils(world.school_a, 6, group=PriorityGroup.LEFT_BEHIND)
        recounted = refresh_pupil_counts.apply().get()
        assert recounted == School.objects.count() == SchoolPupilCount.objects.count()
        kept = SchoolPupilCount.objects.get(pk=world.school_a.pk)
        assert (kept.stale, kept.counted_on, kept.enrolled, kept.groups) == (
            False, TODAY, 6, {PriorityGroup.LEFT_BEHIND.value: 6})
        with django_assert_num_queries(2):
            pupil_counts(bureau_id=world.bureau.pk)

    def test_another_day_is_counted_from_the_pupils_and_not_kept(self, world):
        for pupil in pupils(world.school_a, 6):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.LEFT_BEHIND,
                                since=dt.date(2026, 1, 1), until=TODAY)
        pupil_counts(bureau_id=world.bureau.pk)
        later = pupil_counts(bureau_id=world.bureau.pk, day=TODAY + dt.timedelta(days=1))
        assert row_of(later, world.school_a).groups[column(PriorityGroup.LEFT_BEHIND)].value == 0
        assert SchoolPupilCount.objects.get(pk=world.school_a.pk).counted_on == TODAY


class TestPage:
    @pytest.mark.parametrize("who", ["bureau_admin", "inspector"])
    def test_the_bureau_sees_counts_and_never_a_child(self, world, login, who):
        canary = PupilFactory(school=world.school_a, name=CANARY)
        CircumstanceFactory(pupil=canary, group=PriorityGroup.LEFT_BEHIND, note=CANARY)
        pupils(world.school_a, 9, group=PriorityGroup.LEFT_BEHIND)
        response = login(getattr(world, who)).get(reverse(URL))
        body = response.content.decode()
        assert response.status_code == 200
        assert world.school_a.name in body
        assert CANARY not in body
        assert canary.student_number not in body
        assert canary.student_number[1:] not in body
        assert str(canary.code) not in body
        assert "/pupils/" not in body
        assert "10" in body  # school A's ten left-behind children

    def test_a_bureau_parameter_naming_another_bureau_shows_ones_own(self, world, login):
        # ?bureau= only chooses among the bureaus where one holds the permission;
        # another bureau's id is ignored, on the page and in its export.
        client = login(world.inspector)
        other = world.school_c.bureau
        assert other != world.bureau
        response = client.get(reverse(URL), {"bureau": other.pk})
        assert response.status_code == 200
        assert response.context["bureau"] == world.bureau
        shown = {r.school_id for r in response.context["table"].rows}
        assert world.school_a.pk in shown
        assert world.school_c.pk not in shown
        export = client.get(reverse("schools:pupil_counts_xlsx"), {"bureau": other.pk})
        sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
        names = {row[1] for row in sheet.iter_rows(values_only=True)}
        assert world.school_a.name in names
        assert world.school_c.name not in names

    def test_the_page_is_in_the_navigation_of_those_who_may_open_it(self, world, login):
        assert 'data-testid="nav-pupil-counts"' in login(world.inspector).get(
            reverse("home")).content.decode()

    @pytest.mark.parametrize("who", ["auditor", "principal", "safety_officer", "staff"])
    def test_others_neither_open_it_nor_see_the_link(self, world, client, who):
        from tests.conftest import sign_in

        sign_in(client, getattr(world, who))
        assert client.get(reverse(URL)).status_code == 403
        assert client.get(reverse("schools:pupil_counts_xlsx")).status_code == 403
        assert 'data-testid="nav-pupil-counts"' not in client.get(
            reverse("home")).content.decode()

    def test_signed_out_people_are_sent_to_sign_in(self, client):
        response = client.get(reverse(URL))
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_an_unknown_school_type_is_refused_with_a_message(self, world, login):
        response = login(world.inspector).get(reverse(URL), {"school_type": "castle"})
        assert response.status_code == 400
        assert "There is no such school type" in response.content.decode() or \
            "没有这种学校类型" in response.content.decode()
        assert response.context["table"] is None

    def test_the_filter_narrows_the_table(self, world, login):
        junior = SchoolFactory(bureau=world.bureau, school_type=SchoolType.JUNIOR,
                               name="丁中学")
        response = login(world.inspector).get(reverse(URL), {"school_type": SchoolType.JUNIOR})
        assert [r.school_id for r in response.context["table"].rows] == [junior.pk]


class TestExcel:
    def test_the_export_holds_the_same_suppressed_table_and_is_audited(self, world, login):
        canary = PupilFactory(school=world.school_a, name=CANARY)
        CircumstanceFactory(pupil=canary, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_a, 2, group=PriorityGroup.LEFT_BEHIND)
        pupils(world.school_a, 10)
        pupils(world.school_b, 8, group=PriorityGroup.LEFT_BEHIND)
        response = login(world.bureau_admin).get(reverse("schools:pupil_counts_xlsx"))
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        text = repr(rows)
        assert CANARY not in text
        assert canary.student_number not in text
        by_code = {row[0]: row for row in rows if row and row[0]}
        lb = 4 + column(PriorityGroup.LEFT_BEHIND)
        assert by_code[world.school_a.code][3] == 13
        assert by_code[world.school_a.code][lb] == "<5"
        assert by_code[world.school_b.code][lb] == WITHHELD
        event = AuditEvent.objects.get(action="export.pupil_counts")
        assert event.user == world.bureau_admin
        assert event.target_code == str(world.bureau.code) or event.target_type

    def test_the_export_follows_the_filter(self, world, login):
        junior = SchoolFactory(bureau=world.bureau, school_type=SchoolType.JUNIOR)
        response = login(world.inspector).get(reverse("schools:pupil_counts_xlsx"),
                                              {"school_type": SchoolType.JUNIOR})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        # School rows carry a school type; the total and the legend do not.
        codes = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)
                 if len(row) > 2 and row[2]]
        assert codes == [junior.code]


class TestFinishedTables:
    """A finished table is reused by the process only while nothing it shows
    could have changed."""

    def lb_at_a(self, world, **kwargs):
        table = pupil_counts(bureau_id=world.bureau.pk, **kwargs)
        return row_of(table, world.school_a).groups[column(PriorityGroup.LEFT_BEHIND)].value

    def test_a_change_to_a_pupil_shows_at_once(self, world):
        pupils(world.school_a, 6, group=PriorityGroup.LEFT_BEHIND)
        assert self.lb_at_a(world) == 6
        assert self.lb_at_a(world) == 6  # the kept table
        pupils(world.school_a, 1, group=PriorityGroup.LEFT_BEHIND)
        assert self.lb_at_a(world) == 7

    def test_a_renamed_or_retyped_school_shows_at_once(self, world):
        pupils(world.school_a, 6)
        pupil_counts(bureau_id=world.bureau.pk)
        world.school_a.name = "新名字小学"
        world.school_a.school_type = SchoolType.JUNIOR
        world.school_a.save()
        table = pupil_counts(bureau_id=world.bureau.pk)
        assert row_of(table, world.school_a).name == "新名字小学"
        assert pupil_counts(bureau_id=world.bureau.pk, school_type=SchoolType.JUNIOR).rows[
            0].school_id == world.school_a.pk

    def test_each_language_and_filter_has_its_own_table(self, world):
        from django.utils import translation

        pupils(world.school_a, 6)
        with translation.override("en"):
            english = pupil_counts(bureau_id=world.bureau.pk)
        with translation.override("zh-hans"):
            chinese = pupil_counts(bureau_id=world.bureau.pk)
        assert english.total.name == "District total"
        assert chinese.total.name != english.total.name
        junior = pupil_counts(bureau_id=world.bureau.pk, school_type=SchoolType.JUNIOR)
        assert junior.rows == []

    def test_the_next_day_is_counted_again(self, world):
        for pupil in pupils(world.school_a, 6):
            CircumstanceFactory(pupil=pupil, group=PriorityGroup.LEFT_BEHIND,
                                since=dt.date(2026, 1, 1), until=TODAY)
        assert self.lb_at_a(world) == 6
        with time_machine.travel(dt.datetime(2026, 11, 11, 9, 0, tzinfo=dt.UTC), tick=False):
            assert self.lb_at_a(world) == 0


class TestPages:
    def test_a_long_table_comes_in_pages_with_the_district_total_on_each(
            self, world, login, monkeypatch):
        from schools import views

        monkeypatch.setattr(views, "COUNTS_PER_PAGE", 2)
        junior = SchoolFactory(bureau=world.bureau, school_type=SchoolType.JUNIOR,
                               name="丙初中", code="ZZZ-LAST")
        pupils(junior, 6)
        client = login(world.inspector)
        first = client.get(reverse(URL)).content.decode()
        assert "丙初中" not in first
        assert "1 / 2" in first
        second = client.get(reverse(URL), {"page": 2}).content.decode()
        assert "丙初中" in second
        assert world.school_a.name not in second
        for page in (first, second):
            assert page.count("<tfoot>") == 1  # the district's totals
        filtered = client.get(reverse(URL), {"school_type": SchoolType.JUNIOR, "page": 1})
        assert "丙初中" in filtered.content.decode()
