"""The dispute screening's pages (issue 10 items 4 and 7): a school's
principal and safety officer record disputes and file the month's return
from a phone, keeping what they typed when something is wrong; the bureau
sees which schools filed, on time or late, and counts of disputes that never
show a number from 1 to 4, a party or a summary — on the page and in the
Excel; the page runs the same queries for 3 schools or 30."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from incidents import dispute_counts, disputes
from incidents.models import Dispute, DisputeReturn
from schools.models import School, SchoolType
from tests.conftest import shanghai, sign_in
from tests.schools.factories import SchoolFactory, school_member

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-20 12:00")
NOVEMBER, OCTOBER, SEPTEMBER = dt.date(2026, 11, 1), dt.date(2026, 10, 1), dt.date(2026, 9, 1)
PARTIES = "金丝雀学生甲与学生乙"
SUMMARY = "金丝雀争执内容"
BUREAU = reverse("incidents:bureau_disputes")
XLSX = reverse("incidents:bureau_disputes_xlsx")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def district(world):
    School.objects.filter(bureau__in=[world.bureau, world.other_bureau]).update(
        joined_on=dt.date(2025, 12, 1))
    for name in ("school_a", "school_b", "school_c"):
        getattr(world, name).refresh_from_db()
    return world


def record(school, by, month, *, found_on=None, kind="student_student", risk="low", n=1):
    for _ in range(n):
        disputes.dispute_add(school=school, month=month, by=by, kind=kind, parties=PARTIES,
                             summary=SUMMARY, risk=risk, responsible_id=by.pk,
                             found_on=found_on or month + dt.timedelta(days=4))


def file(school, by, month, *, at=None, none_found=False):
    return disputes.dispute_return_submit(school=school, month=month, by=by,
                                          none_found=none_found, at=at)


def return_url(school, month, name="incidents:dispute_return"):
    return reverse(name, args=[school.pk, month.year, month.month])


class TestTheSchoolsPages:
    def test_the_months_with_their_due_dates_and_marks(self, client, district):
        file(district.school_a, district.principal, SEPTEMBER, none_found=True,
             at=shanghai("2026-10-03 09:00"))  # late
        file(district.school_a, district.principal, OCTOBER, none_found=True,
             at=shanghai("2026-10-30 09:00"))
        sign_in(client, district.safety_officer)
        page = client.get(reverse("incidents:school_disputes", args=[district.school_a.pk]))
        assert page.status_code == 200
        months = {row.month: row for row in page.context["months"]}
        assert list(months)[0] == NOVEMBER
        assert len(months) == 12
        assert (months[SEPTEMBER].filed, months[SEPTEMBER].late) == (True, True)
        assert (months[OCTOBER].filed, months[OCTOBER].late) == (True, False)
        assert months[NOVEMBER].filed is False
        assert months[NOVEMBER].due == dt.date(2026, 11, 30)
        assert (months[NOVEMBER].missing, months[dt.date(2026, 8, 1)].missing) == (False, True)
        assert months[dt.date(2025, 12, 1)].owed is False  # joined on its first day
        body = page.content.decode()
        assert 'data-testid="month-overdue"' in body
        assert 'data-testid="month-not-owed"' in body

    def test_record_a_dispute_then_file_the_return(self, client, district):
        sign_in(client, district.safety_officer)
        response = client.post(return_url(district.school_a, NOVEMBER, "incidents:dispute_add"), {
            "kind": "teacher_student", "parties": "一名教师与一名学生", "summary": "课堂冲突",
            "risk": "high", "responsible": district.principal.pk, "found_on": "2026-11-18"})
        assert response.status_code == 302
        dispute = Dispute.objects.get()
        assert (dispute.risk, dispute.responsible) == ("high", district.principal)
        page = client.get(return_url(district.school_a, NOVEMBER))
        assert "一名教师与一名学生" in page.content.decode()
        filed = client.post(return_url(district.school_a, NOVEMBER,
                                       "incidents:dispute_return_submit"))
        assert filed.status_code == 302
        assert DisputeReturn.objects.get().is_submitted
        page = client.get(return_url(district.school_a, NOVEMBER))
        assert page.context["dispute_form"] is None
        assert page.context["submit_form"] is None

    def test_a_bad_dispute_is_a_400_that_keeps_every_word(self, client, district):
        sign_in(client, district.principal)
        response = client.post(return_url(district.school_a, NOVEMBER, "incidents:dispute_add"), {
            "kind": "home_school", "parties": "家长与学校", "summary": "对处理结果不满意，多次来校",
            "risk": "medium", "responsible": district.principal.pk, "found_on": "2026-10-31"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "对处理结果不满意，多次来校" in body
        assert "家长与学校" in body
        assert response.context["dispute_form"].errors["found_on"]
        assert not Dispute.objects.exists()

    def test_filing_with_nothing_recorded_asks_for_none_found(self, client, district):
        sign_in(client, district.principal)
        url = return_url(district.school_a, NOVEMBER, "incidents:dispute_return_submit")
        refused = client.post(url)
        assert refused.status_code == 400
        assert refused.context["submit_form"].errors["none_found"]
        assert client.post(url, {"none_found": "on"}).status_code == 302
        assert DisputeReturn.objects.get().none_found

    def test_resolving_from_the_schools_page(self, client, district):
        record(district.school_a, district.principal, NOVEMBER)
        dispute = Dispute.objects.get()
        sign_in(client, district.principal)
        url = reverse("incidents:dispute_settle", args=[dispute.code])
        refused = client.post(url, {"action": "transfer", "on": "2026-11-19"})
        assert refused.status_code == 400
        assert refused.context["settle_form"].errors["transferred_to"]
        assert client.post(url, {"action": "resolve", "on": "2026-11-19"}).status_code == 302
        dispute.refresh_from_db()
        assert dispute.resolved_on == dt.date(2026, 11, 19)

    @pytest.mark.parametrize(("year", "month"), [(2026, 12), (2025, 11), (2026, 13)])
    def test_a_month_the_page_does_not_offer_is_not_found(self, client, district, year, month):
        sign_in(client, district.principal)
        url = reverse("incidents:dispute_return", args=[district.school_a.pk, year, month])
        assert client.get(url).status_code == 404


class TestTheBureauView:
    def test_filing_per_month_on_time_late_missing_and_pending(self, district):
        a, b = district.school_a, district.school_b
        file(a, district.principal, OCTOBER, none_found=True, at=shanghai("2026-10-31 23:59"))
        file(b, district.peer_principal, OCTOBER, none_found=True,
             at=shanghai("2026-11-01 00:00"))
        file(a, district.principal, NOVEMBER, none_found=True)
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
        months = {m.month: m for m in data.months}
        assert len(months) == 11
        october = months[OCTOBER]
        assert (october.owed, october.on_time, october.late, october.none_found,
                october.missing, october.pending) == (2, 1, 1, 2, 0, 0)
        november = months[NOVEMBER]
        assert (november.on_time, november.missing, november.pending) == (1, 0, 1)
        assert months[SEPTEMBER].missing == 2
        assert months[SEPTEMBER].rate == 0.0

    def test_the_marks_per_school(self, district):
        file(district.school_a, district.principal, OCTOBER, none_found=True,
             at=shanghai("2026-11-02 10:00"))
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
        marks = dict(dispute_counts.school_marks([district.school_a, district.school_b],
                                                 months=data.months))
        assert marks[district.school_a][9:] == ["late", "pending"]
        assert marks[district.school_b][9:] == ["missing", "pending"]

    def test_disputes_of_four_show_as_small_and_five_as_five(self, district):
        record(district.school_a, district.principal, OCTOBER, n=4)
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
        kinds = [k for k, _label in data.kinds]
        row = data.by_kind.cells[kinds.index("student_student")]
        assert row[9].shown == "<5"
        record(district.school_b, district.peer_principal, OCTOBER)
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
        assert data.by_kind.cells[kinds.index("student_student")][9].shown == 5

    def test_another_districts_schools_and_disputes_are_left_out(self, district):
        record(district.school_c, district.foreign_principal, OCTOBER, n=6)
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
        assert data.by_kind.grand_total.shown == 0
        assert {m.owed for m in data.months} == {2}

    def test_the_page_shows_schools_and_counts_never_a_party(self, client, district):
        record(district.school_a, district.principal, OCTOBER, n=6)
        for user in (district.inspector, district.bureau_admin):
            sign_in(client, user)
            page = client.get(BUREAU)
            assert page.status_code == 200
            body = page.content.decode()
            assert district.school_a.name in body  # filing is about schools
            assert PARTIES not in body
            assert SUMMARY not in body
            assert not any(str(d.code) in body for d in Dispute.objects.all())
        assert page.context["due_day_form"] is not None  # the admin's
        sign_in(client, district.inspector)
        assert client.get(BUREAU).context["due_day_form"] is None

    def test_the_excel_has_the_same_cells_every_school_and_is_an_audit_row(self, client,
                                                                         district):
        record(district.school_a, district.principal, OCTOBER, n=3)
        sign_in(client, district.inspector)
        response = client.get(XLSX, {"year": 2026})
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        values = [v for sheet in book for row in sheet.iter_rows(values_only=True)
                  for v in row if v is not None]
        assert "<5" in values
        assert not any(PARTIES in str(v) or SUMMARY in str(v) for v in values)
        schools = [row[1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
        assert schools == [district.school_a.name, district.school_b.name]
        assert AuditEvent.objects.get(action="export.dispute_returns").user == district.inspector

    def test_the_bureau_admin_sets_the_due_day_from_the_page(self, client, district):
        sign_in(client, district.bureau_admin)
        assert client.post(reverse("incidents:bureau_dispute_day"),
                           {"due_day": "5"}).status_code == 302
        assert disputes.due_day_of(district.bureau.pk) == 5
        refused = client.post(reverse("incidents:bureau_dispute_day"), {"due_day": "31"})
        assert refused.status_code == 400
        assert refused.context["due_day_form"].errors["due_day"]
        assert disputes.due_day_of(district.bureau.pk) == 5

    @pytest.mark.parametrize("query", [{"year": "1999"}, {"school_type": "university"}])
    def test_a_bad_filter_is_a_400(self, client, district, query):
        sign_in(client, district.inspector)
        assert client.get(BUREAU, query).status_code == 400
        assert client.get(XLSX, query).status_code == 400

    def test_a_school_type_narrows_everything(self, district, world):
        kindergarten = SchoolFactory(bureau=world.bureau, school_type=SchoolType.KINDERGARTEN)
        School.objects.filter(pk=kindergarten.pk).update(joined_on=dt.date(2025, 12, 1))
        data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026,
                                                   school_type=SchoolType.KINDERGARTEN)
        assert {m.owed for m in data.months} == {1}

    def test_the_same_queries_for_3_or_30_schools(self, client, district, world):
        sign_in(client, district.inspector)
        client.get(BUREAU)
        with CaptureQueriesContext(connection) as few:
            assert client.get(BUREAU).status_code == 200
        for n in range(27):
            school = SchoolFactory(bureau=world.bureau)
            School.objects.filter(pk=school.pk).update(joined_on=dt.date(2025, 12, 1))
            principal = school_member(school, "principal")
            school = School.objects.get(pk=school.pk)
            if n % 4 == 0:
                record(school, principal, OCTOBER)
            if n % 3 == 0:
                file(school, principal, OCTOBER, none_found=n % 4 != 0)
        with CaptureQueriesContext(connection) as many:
            assert client.get(BUREAU).status_code == 200
        assert len(many) == len(few)


class TestTakingBack:
    def test_a_dispute_is_taken_back_until_the_return_is_filed(self, client, district):
        record(district.school_a, district.principal, NOVEMBER, n=2)
        first, second = Dispute.objects.order_by("id")
        sign_in(client, district.safety_officer)
        url = reverse("incidents:dispute_remove", args=[first.code])
        assert client.post(url).status_code == 302
        assert list(Dispute.objects.all()) == [second]
        assert AuditEvent.objects.filter(action="dispute.remove",
                                         target_code=str(first.code)).exists()
        file(district.school_a, district.principal, NOVEMBER)
        refused = client.post(reverse("incidents:dispute_remove", args=[second.code]))
        assert refused.status_code == 400
        assert Dispute.objects.filter(pk=second.pk).exists()

    def test_nobody_else_takes_one_back(self, district):
        from django.core.exceptions import PermissionDenied

        record(district.school_a, district.principal, NOVEMBER)
        dispute = Dispute.objects.get()
        for who in (district.head_teacher, district.peer_principal):
            with pytest.raises(PermissionDenied):
                disputes.dispute_remove(dispute=dispute, by=who)
