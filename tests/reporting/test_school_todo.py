"""The school's workbench (报告) is a to-do list (issue 8 item 5): every
returned report first (newest return first, with its reason), then every
missed deadline to 补报, then the current deadline, then the rest."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting import selectors, services
from reporting.models import Bulletin, DeadlineKind, ReportStatus
from tests.reporting.factories import DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 5, 20)
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendar(world, campaign):
    """School A on 20 May: 3 May approved; 8 May returned on the 15th; 10 May
    returned on the 12th (reason on two lines); 11 May a draft never sent;
    13 May nothing (its 通报 says 补报 by 22 May); 24 May due next; two June
    deadlines later."""
    d = {day: DeadlineFactory(campaign=campaign, due_date=dt.date(2026, m, day_))
         for day, (m, day_) in {"may3": (5, 3), "may8": (5, 8), "may10": (5, 10),
                                "may11": (5, 11), "may13": (5, 13), "may24": (5, 24),
                                "jun13": (6, 13), "jun24": (6, 24)}.items()}
    ProgressReportFactory(school=world.school_a, deadline=d["may3"], status=ReportStatus.APPROVED,
                          first_submitted_at=shanghai(2026, 5, 2, 9))
    ProgressReportFactory(school=world.school_a, deadline=d["may8"], status=ReportStatus.RETURNED,
                          first_submitted_at=shanghai(2026, 5, 8, 9),
                          last_submitted_at=shanghai(2026, 5, 15, 9), return_reason="缺照片")
    ProgressReportFactory(school=world.school_a, deadline=d["may10"],
                          status=ReportStatus.RETURNED, first_submitted_at=shanghai(2026, 5, 10, 9),
                          last_submitted_at=shanghai(2026, 5, 12, 9),
                          return_reason="第一处：数据不全\n第二处：缺少签字")
    ProgressReportFactory(school=world.school_a, deadline=d["may11"])
    Bulletin.objects.create(deadline=d["may13"], title="通报", body="正文",
                            remedy_by=dt.date(2026, 5, 22), status=Bulletin.Status.PUBLISHED,
                            figures={})
    return d


def dates(rows):
    return [f"{r.deadline.due_date:%m-%d}" for r in rows]


class TestTheOrder:
    def test_each_group_in_its_order(self, world, calendar):
        todo = selectors.school_todo(world.school_a, TODAY)
        assert dates(todo.returned) == ["05-08", "05-10"]  # returned on the 15th, then the 12th
        assert dates(todo.missed) == ["05-11", "05-13"]
        assert dates(todo.current) == ["05-24"]
        assert dates(todo.later) == ["06-13", "06-24"]
        assert dates(todo.history) == ["05-03"]

    def test_every_deadline_is_in_exactly_one_group(self, world, calendar):
        todo = selectors.school_todo(world.school_a, TODAY)
        shown = todo.returned + todo.missed + todo.current + todo.later + todo.history
        assert sorted(r.deadline.pk for r in shown) == sorted(d.pk for d in calendar.values())

    def test_a_missed_deadline_carries_the_notices_late_date(self, world, calendar):
        todo = selectors.school_todo(world.school_a, TODAY)
        assert [r.remedy_by for r in todo.missed] == [None, dt.date(2026, 5, 22)]

    def test_a_draft_notice_sets_no_late_date(self, world, calendar):
        Bulletin.objects.filter(deadline=calendar["may13"]).update(status=Bulletin.Status.DRAFT)
        assert [r.remedy_by for r in selectors.school_todo(world.school_a, TODAY).missed] == [
            None, None]

    def test_the_due_date_itself_is_current_not_missed(self, world, calendar):
        todo = selectors.school_todo(world.school_a, dt.date(2026, 5, 13))
        assert dates(todo.current) == ["05-13"]
        assert dates(todo.missed) == ["05-11"]

    def test_a_submitted_past_deadline_awaiting_review_is_history_not_to_do(
        self, world, calendar
    ):
        with time_machine.travel(shanghai(2026, 5, 19, 9), tick=False):
            ProgressReportFactory(school=world.school_a, deadline=calendar["may13"],
                                  status=ReportStatus.SUBMITTED,
                                  first_submitted_at=shanghai(2026, 5, 19, 9))
        todo = selectors.school_todo(world.school_a, TODAY)
        assert dates(todo.missed) == ["05-11"]
        assert dates(todo.history) == ["05-13", "05-03"]  # newest first

    def test_a_report_withdrawn_after_its_deadline_is_to_do_again(self, world, calendar):
        report = ProgressReportFactory(school=world.school_a, deadline=calendar["may13"],
                                       status=ReportStatus.SUBMITTED,
                                       first_submitted_at=shanghai(2026, 5, 13, 9))
        services.report_withdraw(report=report, by=world.safety_officer, at=NOW)
        assert dates(selectors.school_todo(world.school_a, TODAY).missed) == ["05-11", "05-13"]

    def test_on_24_december_both_reports_are_current(self, world, campaign):
        for kind in DeadlineKind.values:
            DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 12, 24), kind=kind)
        DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 12, 13))
        todo = selectors.school_todo(world.school_a, dt.date(2026, 12, 20))
        assert sorted(r.deadline.kind for r in todo.current) == sorted(DeadlineKind.values)
        assert dates(todo.missed) == ["12-13"]


def page(login, user, world):
    with time_machine.travel(NOW, tick=False):
        return login(user).get(reverse("reporting:school_reports", args=[world.school_a.pk]))


def cards(body):
    return re.findall(r'data-testid="deadline-row" data-group="(\w+)"', body)




def test_the_page_lists_the_cards_in_to_do_order(world, login, calendar):
    body = page(login, world.safety_officer, world).content.decode()
    assert cards(body) == ["returned", "returned", "missed", "missed", "current", "later",
                           "later", "history"]


def test_the_return_reason_is_shown_with_its_line_breaks(world, login, calendar):
    body = page(login, world.safety_officer, world).content.decode()
    reasons = re.findall(r'data-testid="return-reason">.*?<div class="pre-line">(.*?)</div>',
                         body, re.S)
    assert reasons == ["缺照片", "第一处：数据不全\n第二处：缺少签字"]
    css = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"
    assert ".pre-line { white-space: pre-line; }" in css.read_text()


def test_each_card_offers_what_to_do(world, login, calendar):
    body = page(login, world.safety_officer, world).content.decode()
    assert body.count("修改并重新提交") == 2
    assert body.count(">补报<") == 2
    assert "补报截止日期：2026年5月22日（星期五）" in body
    assert "已逾期 7 天" in body  # 13 May, seen on the 20th


def test_with_nothing_to_do_the_first_card_is_the_current_deadline(world, login, campaign):
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    ProgressReportFactory(school=world.school_a, deadline=campaign.deadlines.get(
        due_date=dt.date(2026, 5, 13)), status=ReportStatus.SUBMITTED,
        first_submitted_at=shanghai(2026, 5, 12, 9))
    body = page(login, world.principal, world).content.decode()
    assert cards(body)[0] == "current"
    first = body[body.index('data-group="current"'):]
    assert "2026年5月24日" in first[:first.index('data-testid="deadline-row"')
                                    if 'data-testid="deadline-row"' in first else None]


def test_a_reader_who_may_not_write_sees_the_list_without_buttons_to_write(world, login,
                                                                          calendar):
    body = page(login, world.head_teacher, world).content.decode()
    assert cards(body)[0] == "returned"
    assert "修改并重新提交" not in body
    assert ">补报<" not in body


def test_the_page_costs_the_same_queries_with_more_returned_and_missed_reports(
    world, login, calendar, campaign
):
    client = login(world.principal)
    url = reverse("reporting:school_reports", args=[world.school_a.pk])
    with time_machine.travel(NOW, tick=False):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for day in (1, 2, 4, 5, 6):
            d = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, day))
            ProgressReportFactory(school=world.school_a, deadline=d,
                                  status=ReportStatus.RETURNED,
                                  first_submitted_at=shanghai(2026, 5, day, 9))
            Bulletin.objects.create(deadline=d, title="通报", body="正文", figures={},
                                    remedy_by=dt.date(2026, 5, 30),
                                    status=Bulletin.Status.PUBLISHED)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
    assert len(many) == len(few)
