"""强制报告统计, the bureau's view (issue 10 item 7): referrals by month,
situation, school type and state, and how long it took to tell the police —
counts only, 1–4 shown as "<5", never a child, a school's name or a code, on
the page or in its Excel; the same queries for 5 referrals or 32."""

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
from incidents.counts import referral_counts
from incidents.models import Concern, Referral, ReferralState
from schools.models import Role, SchoolType
from tests.conftest import shanghai, sign_in
from tests.schools.factories import SchoolFactory, bureau_member
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-30 12:00")
CANARY = "金丝雀学生"
URL = reverse("incidents:bureau_counts")
XLSX = reverse("incidents:bureau_counts_xlsx")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def referral(school, *, detected, situations=("missing",), reported_after=None,
             state=ReferralState.REPORTED, by=None, pupil=None):
    """A referral of `school` detected at `detected`, told to the police
    `reported_after` (a timedelta) later or not at all."""
    by = by or school_staff(school)
    concern = Concern.objects.create(
        school=school, pupil=pupil, child_description="" if pupil else "约10岁男孩",
        observed="样本", observed_at=detected, logged_by=by, logged_at=detected)
    reported = detected + reported_after if reported_after is not None else None
    return Referral.objects.create(
        school=school, concern=concern, situations=sorted(situations), detected_at=detected,
        police_reported_at=reported,
        state=state if reported or state != ReferralState.REPORTED else ReferralState.DETECTED,
        opened_by=by, outcome="结案" if state == ReferralState.CLOSED else "",
        closed_at=detected if state == ReferralState.CLOSED else None)


def school_staff(school):
    from tests.schools.factories import school_member

    return school_member(school, Role.PRINCIPAL)


def counts(world, **kwargs):
    return referral_counts(bureau_id=world.bureau.pk, year=2026, **kwargs)


class TestTheCounts:
    def test_a_month_of_four_shows_as_small_and_five_as_five(self, world):
        for day in range(1, 5):
            referral(world.school_a, detected=shanghai(f"2026-03-0{day} 10:00"))
        march = counts(world).by_month.cells[0][2]
        assert (march.shown, march.primary) == ("<5", True)
        referral(world.school_a, detected=shanghai("2026-03-09 10:00"))
        assert counts(world).by_month.cells[0][2].shown == 5

    def test_months_are_shanghai_months_and_other_years_and_bureaus_are_left_out(self, world):
        for _ in range(5):
            referral(world.school_a, detected=shanghai("2026-04-01 00:30"))  # 03-31 UTC
        referral(world.school_a, detected=shanghai("2025-12-31 23:00"))
        referral(world.school_c, detected=shanghai("2026-04-02 10:00"))  # another district
        table = counts(world).by_month
        assert [c.shown for c in table.cells[0][2:4]] == [0, 5]
        assert table.row_totals[0].shown == 5

    def test_a_referral_counts_under_each_of_its_situations(self, world):
        for _ in range(5):
            referral(world.school_a, detected=shanghai("2026-05-10 10:00"),
                     situations=("missing", "injury_neglect"))
        result = counts(world)
        by_code = dict(zip([code for code, _label in result.situations],
                           result.by_situation.row_totals, strict=True))
        assert by_code["missing"].shown == 5
        assert by_code["injury_neglect"].shown == 5
        assert by_code["begging"].shown == 0
        assert result.by_month.row_totals[0].shown == 5

    def test_school_types_and_states_with_a_lone_small_cell_withheld(self, world):
        kindergarten = SchoolFactory(bureau=world.bureau, school_type=SchoolType.KINDERGARTEN)
        for _ in range(6):
            referral(world.school_a, detected=shanghai("2026-06-01 10:00"),
                     reported_after=dt.timedelta(hours=1))
        referral(world.school_a, detected=shanghai("2026-06-01 10:00"),
                 reported_after=dt.timedelta(hours=1), state=ReferralState.CLOSED)
        for _ in range(5):
            referral(kindergarten, detected=shanghai("2026-06-01 10:00"),
                     reported_after=dt.timedelta(hours=1))
        result = counts(world)
        types = [t for t, _label in result.types]
        states = [s for s, _label in result.states]
        primary_row = result.by_type.cells[types.index(world.school_a.school_type)]
        assert primary_row[states.index(ReferralState.CLOSED)].shown == "<5"
        # 6 reported + "<5" closed = 7 would give the 1 away: another cell goes.
        assert any(cell.secondary for cell in [*primary_row,
                                               result.by_type.row_totals[
                                                   types.index(world.school_a.school_type)]])
        only = counts(world, school_type=SchoolType.KINDERGARTEN)
        assert only.types == [(SchoolType.KINDERGARTEN, str(SchoolType.KINDERGARTEN.label))]
        assert only.by_type.grand_total.shown == 5

    def test_timeliness_in_time_late_overdue_and_pending_with_median_and_p90(self, world):
        for hours in (1, 2, 3, 4, 30):
            referral(world.school_a, detected=shanghai("2026-07-01 08:00"),
                     reported_after=dt.timedelta(hours=hours))
        # Overdue: detected on the day the limit falls in (counted live) and
        # on an earlier day (from the tallies).
        for _ in range(4):
            referral(world.school_a, detected=NOW - dt.timedelta(hours=30))
        referral(world.school_a, detected=shanghai("2026-11-20 10:00"))
        referral(world.school_a, detected=NOW - dt.timedelta(hours=2))  # within the limit
        for _ in range(5):  # closed as unfounded without telling the police
            referral(world.school_a, detected=shanghai("2026-08-01 10:00"),
                     state=ReferralState.CLOSED)
        t = counts(world).timeliness
        assert [c.shown for c in t.table.cells[0]] == ["<5", "<5", 5, "<5", 5]
        assert (t.median_hours, t.p90_hours) == (3.0, 30.0)
        assert t.limit_hours == 24

    def test_no_median_from_fewer_than_five_reported(self, world):
        for hours in (1, 2, 3, 4):
            referral(world.school_a, detected=shanghai("2026-07-01 08:00"),
                     reported_after=dt.timedelta(hours=hours))
        t = counts(world).timeliness
        assert (t.median_hours, t.p90_hours) == (None, None)

    def test_an_empty_year_is_all_zeros(self, world):
        result = counts(world)
        assert result.by_month.row_totals[0].shown == 0
        assert result.by_type.grand_total.shown == 0


class TestThePageAndTheExcel:
    def test_the_bureau_reads_counts_and_nothing_that_names_a_child_or_a_case(self, client,
                                                                             world):
        officer = bureau_member(world.bureau, Role.PROTECTION_OFFICER)
        pupil = PupilFactory(school=world.school_a, name=CANARY)
        made = [referral(world.school_a, detected=shanghai("2026-08-01 09:00"), pupil=pupil,
                         reported_after=dt.timedelta(minutes=40)) for _ in range(5)]
        for user in (world.inspector, world.bureau_admin, officer):
            sign_in(client, user)
            page = client.get(URL)
            assert page.status_code == 200
            body = page.content.decode()
            assert CANARY not in body
            assert world.school_a.name not in body
            assert not any(str(r.code) in body for r in made)
            assert "<td class=\"text-end\">5</td>" in body

    def test_the_excel_holds_the_same_suppressed_cells_and_is_an_audit_row(self, client,
                                                                           world):
        pupil = PupilFactory(school=world.school_a, name=CANARY)
        for _ in range(3):
            referral(world.school_a, detected=shanghai("2026-08-01 09:00"), pupil=pupil)
        sign_in(client, world.inspector)
        response = client.get(XLSX, {"year": 2026})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        assert "<5" in values
        assert 3 not in values
        assert not any(CANARY in str(v) or world.school_a.name in str(v) for v in values)
        event = AuditEvent.objects.get(action="export.referral_counts")
        assert event.user == world.inspector

    def test_school_staff_and_the_auditor_are_refused(self, client, world):
        for user in (world.principal, world.staff, world.auditor):
            sign_in(client, user)
            assert client.get(URL).status_code == 403
            assert client.get(XLSX).status_code == 403

    @pytest.mark.parametrize("query", [{"year": "1999"}, {"year": "abc"},
                                       {"school_type": "university"}])
    def test_a_bad_filter_is_a_400_that_says_what_to_do(self, client, world, query):
        sign_in(client, world.inspector)
        response = client.get(URL, query)
        assert response.status_code == 400
        assert response.context["form"].errors
        assert client.get(XLSX, query).status_code == 400

    def test_the_same_queries_for_5_or_32_referrals(self, client, world):
        # (With fewer than 5 reported the two percentile queries are skipped.)
        sign_in(client, world.inspector)
        for _ in range(5):
            referral(world.school_a, detected=shanghai("2026-09-01 09:00"),
                     reported_after=dt.timedelta(hours=1))
        client.get(URL)
        with CaptureQueriesContext(connection) as few:
            client.get(URL)
        for i in range(27):
            referral(world.school_b if i % 2 else world.school_a,
                     detected=shanghai("2026-10-01 09:00"), situations=("begging", "missing"),
                     reported_after=dt.timedelta(hours=i))
        with CaptureQueriesContext(connection) as many:
            client.get(URL)
        assert len(many) == len(few)
