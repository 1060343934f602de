"""History cannot be rewritten silently (issue 8 item 3).

A school counts as expected only for deadlines within its campaign period, so
adding or closing a school today changes no past rate, no past 通报 and no past
column of an export; a deadline whose 通报 is published or whose date has
passed is moved only by a bureau admin with a reason, the published 通报 then
says it was superseded, and every move is kept and shown.
"""

import datetime as dt
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from audit.models import AuditEvent
from reporting import bulletins, dashboard, exports, services
from reporting.models import Bulletin, DeadlineMove, ReportStatus
from schools.models import School, SchoolType
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# After the 13 May deadline (closed, its 通报 published), before the 24 May one.
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(world, frozen):
    """School A on time at 13 May, school B missing, a kindergarten late; the
    13 May 通报 published on 15 May. 24 May is still open."""
    campaign = CampaignFactory(bureau=world.bureau)
    may13 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    may24 = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    kindergarten = SchoolFactory(bureau=world.bureau, name="丁幼儿园",
                                 school_type=SchoolType.KINDERGARTEN)
    for school, at in ((world.school_a, shanghai(2026, 5, 13, 9)),
                       (kindergarten, shanghai(2026, 5, 14, 9))):
        ProgressReportFactory(school=school, deadline=may13, status=ReportStatus.SUBMITTED,
                              first_submitted_at=at)
    item = bulletins.bulletin_draft(deadline=may13, by=world.inspector,
                                    at=shanghai(2026, 5, 15, 9))
    bulletins.bulletin_publish(bulletin=item, by=world.inspector, at=shanghai(2026, 5, 15, 10))
    return {"campaign": campaign, "may13": may13, "may24": may24, "bulletin": item,
            "kindergarten": kindergarten}


def figures_of(world, campaign, deadline) -> dict:
    """Everything the bureau reads about one deadline: the dashboard's tiles,
    per-type table and matrix, the 通报's live figures, the export's totals."""
    page = dashboard.dashboard(world.inspector, campaign=campaign, deadline_id=deadline.pk,
                               now=NOW)
    t = page["tiles"]
    out = BytesIO()
    exports.write_timeliness_workbook(campaign=campaign, schools=campaign.expected_schools(),
                                      out=out, now=NOW)
    totals = [list(r) for r in load_workbook(BytesIO(out.getvalue())).worksheets[1]
              .iter_rows(min_row=2, values_only=True)]
    return {
        "tiles": (t.expected, t.submitted, t.on_time, t.late, t.missing, t.on_time_rate),
        "by_type": [(r["label"], r["expected"], r["submitted"]) for r in page["by_type"]],
        "matrix": (page["page"].count, [r.school.name for r in page["rows"]]),
        "bulletin": bulletins.bulletin_figures(deadline),
        "export_totals": [row for row in totals
                          if row[0] == f"{deadline.due_date:%Y-%m-%d}"],
    }


def new_school_as_the_bureau_adds_it(bureau, name="新办小学"):
    """No joined_on given: the school joins the day it is added (as in the admin)."""
    return School.objects.create(bureau=bureau, code=f"N-{name}", name=name,
                                 school_type=SchoolType.PRIMARY)


class TestAddingOrClosingASchoolRewritesNoPast:
    def test_a_past_deadlines_figures_are_the_same_before_and_after(self, world, scene):
        campaign, may13 = scene["campaign"], scene["may13"]
        before = figures_of(world, campaign, may13)
        assert before["tiles"][:5] == (3, 2, 1, 1, 1)

        new_school_as_the_bureau_adds_it(world.bureau)
        world.school_b.is_open = False  # closed today, after it missed 13 May
        world.school_b.save()
        scene["kindergarten"].in_campaign = False
        scene["kindergarten"].save()

        assert figures_of(world, campaign, may13) == before
        assert "乙小学" in bulletins.bulletin_figures(may13)["missing"]

    def test_the_published_notice_is_untouched_and_not_superseded(self, world, scene):
        new_school_as_the_bureau_adds_it(world.bureau)
        item = Bulletin.objects.get(pk=scene["bulletin"].pk)
        assert item.figures == scene["bulletin"].figures
        assert item.superseded_at is None

    def test_a_later_deadline_counts_the_change(self, world, scene):
        may24 = scene["may24"]
        before = dashboard.dashboard(world.inspector, campaign=scene["campaign"],
                                     deadline_id=may24.pk, now=NOW)["tiles"].expected
        new_school_as_the_bureau_adds_it(world.bureau)
        world.school_b.is_open = False
        world.school_b.save()
        new_school_as_the_bureau_adds_it(world.bureau, "另一所新小学")
        after = dashboard.dashboard(world.inspector, campaign=scene["campaign"],
                                    deadline_id=may24.pk, now=NOW)["tiles"].expected
        assert after == before + 1
        assert {s.name for s in may24.expected_schools()} >= {"新办小学", "另一所新小学"}
        assert world.school_b not in may24.expected_schools()

    def test_the_matrix_shows_a_school_outside_its_period_as_not_expected(self, world, scene):
        new = new_school_as_the_bureau_adds_it(world.bureau)
        page = dashboard.dashboard(world.inspector, campaign=scene["campaign"],
                                   deadline_id=scene["may24"].pk, now=NOW)
        row = next(r for r in page["rows"] if r.school == new)
        assert [c.state for c in row.cells] == ["not_expected", "upcoming"]
        may13 = dashboard.dashboard(world.inspector, campaign=scene["campaign"],
                                    deadline_id=scene["may13"].pk, now=NOW)
        assert new not in [r.school for r in may13["rows"]]

    def test_the_export_says_not_expected_for_those_columns(self, world, scene):
        new = new_school_as_the_bureau_adds_it(world.bureau)
        out = BytesIO()
        with translation.override("en"):
            exports.write_timeliness_workbook(campaign=scene["campaign"],
                                              schools=scene["campaign"].expected_schools(),
                                              out=out, now=NOW)
        rows = {r[1]: r[3:] for r in load_workbook(BytesIO(out.getvalue())).worksheets[0]
                .iter_rows(min_row=2, values_only=True)}
        # Two columns per deadline (on time?, review): 13 May not expected, 24 May not yet due.
        assert rows[new.name] == ("Not expected", None, "Not yet due", None)
        assert rows["乙小学"][0] == "Not submitted"

    def test_the_school_is_not_asked_for_deadlines_before_it_joined(self, world, scene):
        from reporting.selectors import school_deadline_rows

        new = new_school_as_the_bureau_adds_it(world.bureau)
        assert [r.deadline for r in school_deadline_rows(new)] == [scene["may24"]]

    def test_a_school_back_in_the_campaign_cannot_open_a_report_of_the_gap(self, world, scene,
                                                                          login):
        with time_machine.travel(shanghai(2026, 5, 10, 9), tick=False):
            world.school_a.in_campaign = False
            world.school_a.save()
        world.school_a.in_campaign = True  # back on 20 May, after the 13 May deadline
        world.school_a.save()
        client = login(world.safety_officer)
        may13 = client.get(reverse("reporting:report_edit",
                                   args=[world.school_a.pk, scene["may13"].pk]))
        may24 = client.get(reverse("reporting:report_edit",
                                   args=[world.school_a.pk, scene["may24"].pk]))
        assert (may13.status_code, may24.status_code) == (404, 200)


class TestMovingASettledDeadline:
    def test_a_deadline_is_settled_once_its_date_passed_or_its_notice_is_published(
            self, world, scene):
        assert services.deadline_settled(scene["may13"], NOW)
        assert not services.deadline_settled(scene["may24"], NOW)
        # Moved to a later day, 13 May is open again, but its notice stays published.
        services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 22),
                               reason="更正", by=world.bureau_admin)
        assert not scene["may13"].is_closed(NOW)
        assert services.deadline_settled(scene["may13"], NOW)

    def test_a_past_deadline_without_a_notice_is_settled_too(self, world, scene):
        """The date alone settles a deadline: moving it revises history, only the
        bureau admin may, and the move says so."""
        past = DeadlineFactory(campaign=scene["campaign"], due_date=dt.date(2026, 5, 3))
        assert not Bulletin.objects.filter(deadline=past).exists()
        assert services.deadline_settled(past, NOW)
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.deadline_move(deadline=past, new_date=dt.date(2026, 5, 4), reason="更正",
                                   by=world.inspector)
        assert "only a bureau administrator may move it" in str(exc.value)
        services.deadline_move(deadline=past, new_date=dt.date(2026, 5, 4), reason="更正",
                               by=world.bureau_admin)
        assert DeadlineMove.objects.get(deadline=past).revises_history

    @pytest.mark.parametrize("who", ["inspector", "auditor", "principal", "superuser"])
    def test_anyone_but_a_bureau_admin_is_refused_with_a_clear_message(self, world, scene,
                                                                       who):
        user = UserFactory(is_superuser=True) if who == "superuser" else getattr(world, who)
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 15),
                                   reason="更正", by=user)
        assert "only a bureau administrator may move it" in str(exc.value)
        assert not DeadlineMove.objects.exists()

    def test_an_open_deadline_refuses_them_with_the_ordinary_message(self, world, scene):
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 25),
                                   reason="调休", by=world.inspector)
        assert "notice has been published" not in str(exc.value)

    def test_a_bureau_admin_must_give_a_reason(self, world, scene):
        with pytest.raises(ValidationError) as exc:
            services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 15),
                                   reason="  ", by=world.bureau_admin)
        assert "moved_reason" in exc.value.message_dict

    def test_moving_it_to_its_own_day_is_refused(self, world, scene):
        with pytest.raises(ValidationError) as exc:
            services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 13),
                                   reason="无", by=world.bureau_admin)
        assert "due_date" in exc.value.message_dict

    def test_the_published_notice_is_marked_superseded_by_the_move(self, world, scene):
        move = services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 14),
                                      reason="系统故障，顺延一天", by=world.bureau_admin)
        item = Bulletin.objects.get(pk=scene["bulletin"].pk)
        assert (item.superseded_at, item.superseded_by) == (NOW, move)
        assert move.revises_history
        assert item.figures == scene["bulletin"].figures  # as published: never recounted

    def test_an_ordinary_move_supersedes_nothing(self, world, scene):
        move = services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 25),
                                      reason="端午调休", by=world.bureau_admin)
        assert not move.revises_history
        assert not Bulletin.objects.exclude(superseded_at=None).exists()

    def test_the_notice_page_says_the_deadline_changed(self, world, scene, login):
        services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 14),
                               reason="系统故障，顺延一天", by=world.bureau_admin)
        body = login(world.inspector).get(
            reverse("reporting:bulletin", args=[scene["may13"].pk])).content.decode()
        assert 'data-testid="bulletin-superseded"' in body
        assert "本通报所依据的截止日期已于2026年5月20日调整" in body
        assert "2026年5月13日 → 2026年5月14日" in body
        assert "系统故障，顺延一天" in body

    def test_the_notice_stays_readable_when_its_deadline_is_moved_to_a_later_day(
            self, world, scene, login):
        services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 22),
                               reason="更正为 5 月 22 日", by=world.bureau_admin)
        response = login(world.inspector).get(
            reverse("reporting:bulletin", args=[scene["may13"].pk]))
        assert response.status_code == 200
        assert 'data-testid="bulletin-superseded"' in response.content.decode()

    def test_a_notice_not_superseded_has_no_banner(self, world, scene, login):
        body = login(world.inspector).get(
            reverse("reporting:bulletin", args=[scene["may13"].pk])).content.decode()
        assert "bulletin-superseded" not in body


class TestEveryMoveIsKept:
    def test_two_moves_are_two_rows_and_nothing_is_overwritten(self, world, scene):
        first = services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 25),
                                       reason="端午调休", by=world.bureau_admin)
        with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
            services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 26),
                                   reason="再次顺延", by=world.bureau_admin)
        moves = list(scene["may24"].moves.all())
        assert [(m.old_date, m.new_date, m.reason, m.moved_by, m.moved_at) for m in moves] == [
            (dt.date(2026, 5, 24), dt.date(2026, 5, 25), "端午调休", world.bureau_admin, NOW),
            (dt.date(2026, 5, 25), dt.date(2026, 5, 26), "再次顺延", world.bureau_admin,
             NOW + dt.timedelta(hours=2))]
        assert moves[0] == first
        scene["may24"].refresh_from_db()
        assert (scene["may24"].original_due_date, scene["may24"].due_date) == (
            dt.date(2026, 5, 24), dt.date(2026, 5, 26))

    def test_the_dashboard_shows_the_change_of_the_selected_deadline(self, world, scene,
                                                                     login):
        services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 14),
                               reason="系统故障，顺延一天", by=world.bureau_admin)
        response = login(world.inspector).get(reverse("reporting:dashboard"), {
            "campaign": scene["campaign"].pk, "deadline": scene["may13"].pk})
        body = response.content.decode()
        assert [m.reason for m in response.context["moves"]] == ["系统故障，顺延一天"]
        assert 'data-testid="deadline-moves"' in body
        assert "已调整" in body
        assert "2026年5月13日 → 2026年5月14日" in body

    def test_the_dashboard_shows_no_moves_for_an_unmoved_deadline(self, world, scene, login):
        response = login(world.inspector).get(reverse("reporting:dashboard"), {
            "campaign": scene["campaign"].pk, "deadline": scene["may13"].pk})
        assert response.context["moves"] == []
        assert 'data-testid="deadline-moves"' not in response.content.decode()

    def test_the_schools_page_lists_each_move(self, world, scene, login):
        services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 25),
                               reason="端午调休", by=world.bureau_admin)
        services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 26),
                               reason="再次顺延", by=world.bureau_admin)
        body = login(world.principal).get(
            reverse("reporting:school_reports", args=[world.school_a.pk])).content.decode()
        assert body.count('data-testid="deadline-move"') == 2
        assert "端午调休" in body
        assert "再次顺延" in body

    def test_the_admin_shows_the_moves_read_only(self, world, scene, login):
        services.deadline_move(deadline=scene["may24"], new_date=dt.date(2026, 5, 25),
                               reason="端午调休", by=world.bureau_admin)
        response = login(world.bureau_admin).get(
            reverse("admin:reporting_deadline_change", args=[scene["may24"].pk]))
        body = response.content.decode()
        assert "端午调休" in body
        assert 'name="moves-0-reason"' not in body  # shown, not editable
        assert "moves-TOTAL_FORMS" in body

    def test_the_admin_form_keeps_what_was_typed_and_says_what_is_missing(self, world,
                                                                          scene, login):
        url = reverse("admin:reporting_deadline_change", args=[scene["may13"].pk])
        response = login(world.bureau_admin).post(url, {
            "due_date": "2026-05-16", "moved_reason": "", "moves-TOTAL_FORMS": "0",
            "moves-INITIAL_FORMS": "0"})
        assert response.status_code == 200
        assert 'value="2026-05-16"' in response.content.decode()
        assert not DeadlineMove.objects.exists()

    def test_the_admin_refuses_a_superuser_on_the_form(self, world, scene, login):
        root = UserFactory(is_superuser=True, is_staff=True)
        url = reverse("admin:reporting_deadline_change", args=[scene["may13"].pk])
        response = login(root).post(url, {
            "due_date": "2026-05-16", "moved_reason": "更正", "moves-TOTAL_FORMS": "0",
            "moves-INITIAL_FORMS": "0"})
        assert response.status_code == 200
        assert "只有局管理员" in response.content.decode()
        assert not DeadlineMove.objects.exists()

    def test_the_admin_moves_it_for_a_bureau_admin(self, world, scene, login):
        url = reverse("admin:reporting_deadline_change", args=[scene["may13"].pk])
        response = login(world.bureau_admin).post(url, {
            "due_date": "2026-05-16", "moved_reason": "更正", "moves-TOTAL_FORMS": "0",
            "moves-INITIAL_FORMS": "0"})
        assert response.status_code == 302
        assert DeadlineMove.objects.get().reason == "更正"
        assert Bulletin.objects.get().superseded_by == DeadlineMove.objects.get()


class TestAudit:
    def test_a_move_that_supersedes_a_notice_writes_both_rows(self, world, scene):
        services.deadline_move(deadline=scene["may13"], new_date=dt.date(2026, 5, 14),
                               reason="系统故障", by=world.bureau_admin)
        moved = AuditEvent.objects.get(action="deadline.move")
        superseded = AuditEvent.objects.get(action="bulletin.supersede")
        assert (moved.username, moved.target_code, moved.extra) == (
            "bureau-admin", str(scene["may13"].pk),
            {"old": "2026-05-13", "new": "2026-05-14", "reason_given": True})
        assert (superseded.username, superseded.target_type, superseded.target_code,
                superseded.extra, superseded.at) == (
            "bureau-admin", "reporting.bulletin", str(scene["bulletin"].pk),
            {"old": "2026-05-13", "new": "2026-05-14"}, NOW)
        assert "系统故障" not in str(moved.extra)  # a reason's presence, never its text
