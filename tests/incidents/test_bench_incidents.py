"""The incidents benchmarks' data (benchmarks/incidents_data.py) is what the
bureau pages meet in a real district: this year's referrals each with its
concern, bullying cases whose clocks are set as the services set them, a
dispute return per school and past month in the stated mix; building again
adds nothing. The helpers that compare two requests' queries
(benchmarks/incidents_pages.py) find the query that grows. The figures
themselves are measured by `make bench`, never here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, F, Q

from benchmarks import incidents_data, incidents_pages
from incidents.bullying import investigation_due, recheck_due
from incidents.dispute_counts import dispute_completeness
from incidents.models import (
    BullyingCase,
    Concern,
    Dispute,
    DisputeReturn,
    Referral,
    Situation,
)
from tests.conftest import shanghai

AT = shanghai("2026-12-02 18:00")
SCHOOLS = 400


def test_the_returns_are_filed_for_the_months_of_the_year_before_the_current_one():
    assert incidents_data.past_months(dt.date(2026, 12, 2)) == [
        dt.date(2026, m, 1) for m in range(1, 12)]
    assert incidents_data.past_months(dt.date(2027, 1, 31)) == []
    assert incidents_data.past_months(dt.date(2027, 3, 1)) == [dt.date(2027, 1, 1),
                                                                dt.date(2027, 2, 1)]


def test_ten_referrals_and_bullying_cases_per_school():
    assert incidents_data.counts_for(500) == (3000, 2000)
    assert incidents_data.counts_for(50000) == (300000, 200000)


def test_the_same_query_with_other_values_has_one_shape():
    a = "SELECT x FROM t WHERE t.id = 12 AND t.name = 'a''b' AND t.k IN (1, 2, 3)"
    b = "SELECT x FROM t WHERE t.id = 7 AND t.name = 'zz' AND t.k IN (4, 5)"

    assert incidents_pages.shape(a) == incidents_pages.shape(b)
    assert incidents_pages.shape(a) != incidents_pages.shape("SELECT y FROM t WHERE t.id = 1")


def test_the_query_run_once_a_school_is_the_one_that_grows():
    fixed = ["SELECT count(*) FROM incidents_referral WHERE year = 2026"]
    per_school = "SELECT * FROM incidents_disputereturn WHERE school_id = {}"
    few = fixed + [per_school.format(n) for n in range(3)]
    many = fixed + [per_school.format(n) for n in range(30)]

    grown = incidents_pages.growing(few, many)

    assert [(a, b) for _shape, a, b in grown] == [(3, 30)]
    assert "incidents_disputereturn" in grown[0][0]
    assert incidents_pages.growing(many, many) == []


def test_the_table_passes_equal_query_counts_and_fails_unequal_ones():
    r = dict.fromkeys(incidents_pages.KEYS)
    r.update(incidents_bureau_view_queries_500=15, incidents_bureau_view_queries_50000=15,
             incidents_bureau_view_ms_50000=220.5, dispute_bureau_view_queries_500=17,
             dispute_bureau_view_queries_50000=66)

    rows = {row[0]: row for row in incidents_pages.table_rows(
        r, 500, 50000, lambda v, unit="": "not measured" if v is None else f"{v}{unit}",
        lambda ok: "not measured" if ok is None else ("PASS" if ok else "FAIL"))}

    assert set(rows) == set(incidents_pages.KEYS)
    assert rows["incidents_bureau_view_queries_50000"][2:] == ("15", "equal at both sizes",
                                                               "PASS")
    assert rows["incidents_bureau_view_ms_50000"][2] == "220.5 ms"
    assert rows["dispute_bureau_view_queries_500"][4] == "FAIL"
    assert rows["dispute_bureau_view_ms_50000"][2] == "not measured"


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="the data is built with PostgreSQL's SQL")


@pytest.fixture
def bench():
    return incidents_data.build(SCHOOLS, at=AT)


def of(model, bench):
    return model.objects.filter(school__bureau=bench.bureau)


@postgresql_only
@pytest.mark.django_db
def test_each_referral_has_its_concern_and_a_state_that_fits_its_police_report(bench):
    referrals = of(Referral, bench)

    assert (bench.year, bench.referrals, referrals.count()) == (2026, 2400, 2400)
    assert of(Concern, bench).count() == 2400
    assert not referrals.exclude(concern__school=F("school")).exists()
    assert not referrals.filter(Q(detected_at__year__lt=2026) | Q(detected_at__gt=AT)).exists()
    assert not referrals.filter(state="detected", police_reported_at__isnull=False).exists()
    assert not referrals.filter(state__in=["reported", "accepted", "cooperating"],
                                police_reported_at=None).exists()
    assert not referrals.filter(police_reported_at__lt=F("detected_at")).exists()
    assert not referrals.filter(state="closed", closed_at=None).exists()
    for situations in referrals.values_list("situations", flat=True):
        assert 1 <= len(situations) <= 2
        assert len(set(situations)) == len(situations)
        assert set(situations) <= set(Situation.values)
    reported = referrals.filter(police_reported_at__isnull=False).count()
    assert 0.6 * 2400 <= reported <= 0.95 * 2400


@postgresql_only
@pytest.mark.django_db
def test_bullying_cases_are_in_every_state_with_their_clocks_set_as_the_services_set_them(
        bench):
    cases = list(of(BullyingCase, bench))

    assert len(cases) == bench.cases == 1600
    assert len({c.state for c in cases}) >= 5
    for case in cases:
        started = case.state != "reported"
        assert (case.investigation_started_at is not None) == started
        if started:
            assert case.investigation_due_at == investigation_due(case.investigation_started_at)
        decided = case.state not in ("reported", "investigating")
        assert (case.decided_at is not None) == decided
        if decided:
            assert case.committee_on
            assert case.is_bullying is not None
            assert case.decided_at >= case.investigation_started_at
        if case.recheck_started_at:
            assert case.recheck_due_at == recheck_due(case.recheck_started_at)
            assert case.appealed_on >= case.committee_on
        assert (case.rechecked_at is None) or case.state in ("follow_up", "closed")
        assert (case.closed_at is not None) == (case.state == "closed")
        assert max(t for t in (case.reported_at, case.decided_at, case.rechecked_at,
                               case.closed_at) if t) <= AT


@postgresql_only
@pytest.mark.django_db
def test_every_school_owes_every_past_month_and_most_file_none_found_on_time(bench):
    data = dispute_completeness(bureau_id=bench.bureau.pk, year=2026, at=AT)

    past = [m for m in data.months if m.month < dt.date(2026, 12, 1)]
    assert len(past) == 11
    for m in past:
        assert m.owed == SCHOOLS
        assert m.pending == 0
        assert m.on_time >= 0.75 * SCHOOLS
        assert 0.04 * SCHOOLS <= m.late <= 0.17 * SCHOOLS
        assert 0.01 * SCHOOLS <= m.missing <= 0.10 * SCHOOLS
        assert m.none_found >= 0.85 * m.filed
    december = data.months[-1]
    assert december.pending == SCHOOLS
    assert december.filed == 0


@postgresql_only
@pytest.mark.django_db
def test_a_dispute_sits_in_a_return_of_its_month_that_did_not_say_none_found(bench):
    disputes = of(Dispute, bench)
    returns = of(DisputeReturn, bench)

    assert 0.03 * returns.count() <= disputes.count() <= 0.08 * returns.count()
    assert not disputes.filter(screening_return__none_found=True).exists()
    assert not disputes.exclude(screening_return__school=F("school")).exists()
    for found_on, month in disputes.values_list("found_on", "screening_return__month"):
        assert (found_on.year, found_on.month) == (month.year, month.month)
    assert not returns.filter(none_found=False, submitted_at__isnull=False).annotate(
        n=Count("disputes")).filter(n=0).exists()
    assert {"mediating", "resolved"} <= set(disputes.values_list("status", flat=True))


@postgresql_only
@pytest.mark.django_db
def test_building_again_adds_nothing(bench):
    before = (Referral.objects.count(), BullyingCase.objects.count(),
              DisputeReturn.objects.count(), Dispute.objects.count())

    again = incidents_data.build(SCHOOLS, at=AT + dt.timedelta(hours=1))

    assert (Referral.objects.count(), BullyingCase.objects.count(),
            DisputeReturn.objects.count(), Dispute.objects.count()) == before
    assert (again.referrals, again.returns) == (bench.referrals, bench.returns)


@postgresql_only
@pytest.mark.django_db
def test_the_bureau_views_tallies_are_counted_from_the_loaded_rows(bench):
    from incidents.counts import referral_counts
    from incidents.tallies import recount

    assert recount(bench.bureau.pk, 2026) == 0
    counts = referral_counts(bureau_id=bench.bureau.pk, year=2026, at=AT)
    assert counts.by_month.row_totals[0].value == bench.referrals
    assert counts.bullying.by_state.row_totals[0].value == bench.cases
