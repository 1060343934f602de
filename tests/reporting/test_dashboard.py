"""The bureau's dashboard: tiles, matrix, rates, filters, fixed queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting import dashboard
from reporting.models import ReportStatus
from schools.models import SchoolType
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def submitted(school, deadline, at, status=ReportStatus.SUBMITTED):
    return ProgressReportFactory(school=school, deadline=deadline, status=status,
                                 first_submitted_at=at.astimezone(dt.UTC))


@pytest.fixture
def scene(world):
    """Four schools expected; at the 13 May deadline A is on time (approved), B
    late, C returned after an on-time submission, D missing. One closed school
    and one of another district are never counted."""
    campaign = CampaignFactory(bureau=world.bureau)
    may13 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    may24 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    school_d = SchoolFactory(bureau=world.bureau, name="丁幼儿园",
                             school_type=SchoolType.KINDERGARTEN)
    extra = SchoolFactory(bureau=world.bureau, name="戊小学")
    SchoolFactory(bureau=world.bureau, name="已停办小学", is_open=False)
    submitted(world.school_a, may13, dt.datetime(2026, 5, 13, 23, 59, 59, tzinfo=SHANGHAI),
              ReportStatus.APPROVED)
    submitted(world.school_b, may13, dt.datetime(2026, 5, 14, 0, 0, tzinfo=SHANGHAI))
    submitted(extra, may13, dt.datetime(2026, 5, 12, 9, 0, tzinfo=SHANGHAI),
              ReportStatus.RETURNED)
    return {"campaign": campaign, "may13": may13, "may24": may24, "school_d": school_d,
            "extra": extra}


def get(login, world, **params):
    with time_machine.travel(NOW, tick=False):
        return login(world.inspector).get(reverse("reporting:dashboard"), params)


def test_the_tiles_count_the_latest_past_deadline_by_default(world, login, scene):
    tiles = get(login, world).context["tiles"]
    assert tiles.deadline == scene["may13"]
    assert (tiles.expected, tiles.submitted, tiles.on_time, tiles.late, tiles.missing) == (
        4, 3, 2, 1, 1)
    assert tiles.on_time_rate == 0.5


def test_the_matrix_shows_each_school_at_each_deadline(world, login, scene):
    rows = {r.school.name: [(c.state, c.review) for c in r.cells]
            for r in get(login, world).context["rows"]}
    assert rows == {
        "甲小学": [("on_time", "approved"), ("upcoming", "")],
        "乙小学": [("late", ""), ("upcoming", "")],
        "丁幼儿园": [("missing", ""), ("upcoming", "")],
        "戊小学": [("on_time", "returned"), ("upcoming", "")],
    }


@pytest.mark.parametrize(("state", "names"), [
    ("late", ["乙小学"]), ("missing", ["丁幼儿园"]), ("returned", ["戊小学"]),
    ("approved", ["甲小学"]), ("on_time", ["甲小学", "戊小学"]),
    ("submitted", ["甲小学", "乙小学", "戊小学"]),
])
def test_a_tile_links_to_the_schools_behind_it(world, login, scene, state, names):
    response = get(login, world, deadline=scene["may13"].pk, state=state)
    assert sorted(r.school.name for r in response.context["rows"]) == sorted(names)
    assert response.context["page"].count == len(names)
    assert response.context["tiles"].expected == 4  # the tiles do not shrink with a filter


def test_filtering_by_school_type(world, login, scene):
    response = get(login, world, school_type=SchoolType.KINDERGARTEN)
    assert [r.school.name for r in response.context["rows"]] == ["丁幼儿园"]
    assert response.context["tiles"].expected == 1


def test_rates_per_school_type(world, login, scene):
    by_type = {r["label"]: r for r in get(login, world).context["by_type"]}
    assert by_type["小学"]["expected"] == 3
    assert by_type["小学"]["on_time"] == 2
    assert by_type["幼儿园"]["submitted"] == 0


def test_the_trend_has_one_point_per_closed_deadline(world, login, scene):
    assert get(login, world).context["trend"] == [
        {"date": "2026-05-13", "year_end": False, "rate": 50.0}]


def test_rates_never_exceed_100_percent_when_a_school_closes_after_reporting(
    world, login, scene
):
    world.school_a.is_open = False
    world.school_a.save()
    tiles = get(login, world).context["tiles"]
    assert tiles.submitted <= tiles.expected
    assert tiles.on_time_rate <= 1


def test_nonsense_filters_are_ignored(world, login, scene):
    response = get(login, world, deadline="x", state="<script>", school_type="nope", page="-3",
                   campaign="999999")
    assert response.status_code == 200


def test_the_page_runs_the_same_queries_for_many_more_schools(world, login, scene):
    client = login(world.inspector)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("reporting:dashboard"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("reporting:dashboard"))
        for school in SchoolFactory.create_batch(80, bureau=world.bureau):
            submitted(school, scene["may13"], dt.datetime(2026, 5, 13, 9, tzinfo=SHANGHAI))
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("reporting:dashboard"))
    assert len(response.context["rows"]) == 50  # paginated
    assert response.context["page"].count == 84  # expected schools
    assert response.context["page"].has_next
    assert len(many) == len(few)


def test_pages_follow_the_school_codes_forwards_and_back(world, login, scene):
    SchoolFactory.create_batch(110, bureau=world.bureau)  # 114 expected schools
    codes = sorted(world.bureau.schools.filter(is_open=True).values_list("code", flat=True))
    first = get(login, world)
    page = first.context["page"]
    assert [r.school.code for r in first.context["rows"]] == codes[:50]
    assert (page.has_previous, page.has_next, page.count) == (False, True, 114)
    second = get(login, world, after=page.next_after)
    assert [r.school.code for r in second.context["rows"]] == codes[50:100]
    third = get(login, world, after=second.context["page"].next_after)
    assert [r.school.code for r in third.context["rows"]] == codes[100:]
    assert (third.context["page"].has_previous, third.context["page"].has_next) == (True, False)
    back = get(login, world, before=third.context["page"].previous_before)
    assert [r.school.code for r in back.context["rows"]] == codes[50:100]
    back = get(login, world, before=back.context["page"].previous_before)
    assert [r.school.code for r in back.context["rows"]] == codes[:50]
    assert (back.context["page"].has_previous, back.context["page"].has_next) == (False, True)
    body = second.content.decode()
    assert f"after={codes[99]}" in body
    assert f"before={codes[50]}" in body


def test_a_page_after_a_filter_keeps_the_filter(world, login, scene):
    SchoolFactory.create_batch(60, bureau=world.bureau, school_type=SchoolType.KINDERGARTEN)
    first = get(login, world, school_type=SchoolType.KINDERGARTEN)
    assert first.context["page"].count == 61
    second = get(login, world, school_type=SchoolType.KINDERGARTEN,
                 after=first.context["page"].next_after)
    assert len(second.context["rows"]) == 11
    assert {r.school.school_type for r in second.context["rows"]} == {SchoolType.KINDERGARTEN}


def test_the_matrix_reports_query_neither_joins_nor_sorts(world, login, scene):
    """The reports of a page go into a dict: the model's default ordering
    (deadline date, school code) would join two tables only to sort them."""
    with CaptureQueriesContext(connection) as ctx:
        get(login, world)
    reports = [q["sql"] for q in ctx.captured_queries
               if 'FROM "reporting_progressreport"' in q["sql"]]
    assert reports
    assert all("JOIN" not in sql and "ORDER BY" not in sql for sql in reports)


def test_the_page_does_not_count_the_schools(world, login, scene):
    """Expected schools per type come from their tally rows, not from counting
    the district's schools on each view (a sequential scan at national scale)."""
    client = login(world.inspector)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("reporting:dashboard"))
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("reporting:dashboard"))
    assert not [q["sql"] for q in ctx.captured_queries
                if 'FROM "schools_school"' in q["sql"] and "COUNT(" in q["sql"]]


def test_without_a_campaign_the_page_says_so(world, login):
    response = login(world.inspector).get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    assert "暂无专项行动" in response.content.decode()


def test_completeness_and_on_time_rate_per_deadline(world, login, scene):
    body = get(login, world).content.decode()
    stats = {s.deadline: (s.completeness, s.on_time_rate)
             for s in get(login, world).context["stats"]}
    assert stats[scene["may13"]] == (0.75, 0.5)
    assert stats[scene["may24"]] == (0.0, None)  # not yet due: no rate
    assert "75.0%" in body


def test_only_the_campaigns_own_bureau_may_read_its_counts(world, scene):
    """The counts cover every school of the bureau: the selector itself refuses
    anyone else, whatever view calls it."""
    for outsider in (world.principal, world.foreign_principal):
        with pytest.raises(PermissionDenied):
            dashboard.dashboard(outsider, campaign=scene["campaign"], now=NOW)
    assert dashboard.dashboard(world.inspector, campaign=scene["campaign"],
                               now=NOW)["tiles"].expected == 4


def test_the_submitted_tile_opens_every_school_that_submitted_on_time_or_late(world, login,
                                                                            scene):
    body = get(login, world, deadline=scene["may13"].pk).content.decode()
    tile = body[:body.index('data-testid="tile-submitted"')]
    assert tile[tile.rindex("<a "):].count("state=submitted") == 1
