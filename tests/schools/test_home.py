"""The workbench (工作台): each person meets what their roles need."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reporting.models import DeadlineKind, ReportStatus
from schools.models import Role, TaskForceMember
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import UserFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 5, 11, 10, 0, tzinfo=dt.UTC), tick=False)
def test_school_staff_see_the_next_deadline_with_a_countdown(world, login):
    campaign = CampaignFactory(bureau=world.bureau)
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    body = login(world.safety_officer).get(reverse("home")).content.decode()
    assert "2026年5月13日" in body
    assert "还剩 2 天" in body
    assert "填写报告" in body
    assert world.school_a.name in body
    assert world.school_b.name not in body


@time_machine.travel(dt.datetime(2026, 12, 23, 17, 0, tzinfo=dt.UTC), tick=False)
def test_on_the_year_end_day_the_card_names_the_summary(world, login):
    # 01:00 on 24 December in Asia/Shanghai: due today.
    DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau), kind=DeadlineKind.YEAR_END,
                    due_date=dt.date(2026, 12, 24))
    body = login(world.principal).get(reverse("home")).content.decode()
    assert "年度工作总结" in body
    assert "今天截止" in body


def test_a_returned_report_comes_first_with_the_inspectors_reason(world, login):
    campaign = CampaignFactory(bureau=world.bureau)
    old = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    ProgressReportFactory(school=world.school_a, deadline=old, status=ReportStatus.RETURNED,
                          first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC),
                          return_reason="请补充活动照片")
    with time_machine.travel(dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC), tick=False):
        body = login(world.safety_officer).get(reverse("home")).content.decode()
    assert "请补充活动照片" in body
    assert "已退回" in body


def test_a_head_teacher_sees_the_deadline_but_no_fill_in_button(world, login):
    DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau), due_date=dt.date(2099, 5, 13))
    body = login(world.head_teacher).get(reverse("home")).content.decode()
    assert "下一个截止日期" in body
    assert "填写报告" not in body


def test_staff_without_report_access_see_no_deadline_card(world, login):
    DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau), due_date=dt.date(2099, 5, 13))
    body = login(world.staff).get(reverse("home")).content.decode()
    assert 'data-testid="next-deadline"' not in body


def test_the_principal_sees_the_task_force(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.safety_officer,
                                   duty="校园安保", is_leader=True)
    body = login(world.principal).get(reverse("home")).content.decode()
    assert "工作专班" in body
    assert "校园安保" in body


def test_the_head_teacher_does_not_see_the_task_force_card(world, login):
    TaskForceMember.objects.create(school=world.school_a, user=world.safety_officer,
                                   duty="校园安保")
    body = login(world.head_teacher).get(reverse("home")).content.decode()
    assert "校园安保" not in body


def test_an_inspector_sees_the_district_overview_of_their_own_district_only(world, login):
    world.school_b.is_open = False
    world.school_b.save()
    response = login(world.inspector).get(reverse("home"))
    overview = response.context["overview"]
    assert overview["total"] == 2  # schools A and B; C is in another district
    assert overview["expected"] == 1  # B is closed


def test_the_auditor_is_pointed_to_the_audit_log(world, login):
    body = login(world.auditor).get(reverse("home")).content.decode()
    assert reverse("audit:event_list") in body


def test_a_user_without_a_role_is_told_so(client, db, login):
    body = login(UserFactory()).get(reverse("home")).content.decode()
    assert "尚未分配角色" in body


def test_the_district_overview_costs_the_same_queries_for_more_schools(
    world, login, django_assert_max_num_queries
):
    from tests.schools.factories import SchoolFactory

    client = login(world.inspector)
    client.get(reverse("home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    SchoolFactory.create_batch(40, bureau=world.bureau)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)


def test_roles_are_listed_in_a_stable_order(world, login):
    from tests.schools.factories import MembershipFactory

    MembershipFactory(user=world.principal, role=Role.COUNSELOR, school=world.school_a)
    response = login(world.principal).get(reverse("home"))
    assert response.context["school_cards"][0]["roles"] == [Role.PRINCIPAL, Role.COUNSELOR]


@time_machine.travel(dt.datetime(2026, 5, 15, 2, 0, tzinfo=dt.UTC), tick=False)
def test_my_to_do_list_shows_what_is_owed_overdue_first(world, login):
    # 10:00 on 15 May in Asia/Shanghai: the 13 May report is two days overdue.
    campaign = CampaignFactory(bureau=world.bureau)
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    body = login(world.safety_officer).get(reverse("home")).content.decode()
    todos = body[body.index('data-testid="todos"'):]
    assert "我的待办" in body
    assert todos.index("已逾期 2 天") < todos.index("还剩 9 天")
    assert world.school_b.name not in todos


def test_people_who_owe_nothing_are_told_so(world, login):
    body = login(world.head_teacher).get(reverse("home")).content.decode()
    assert "我的待办" in body
    todos = body[body.index('data-testid="todos"'):]
    assert "目前没有需要您处理的事项。" in todos


def test_an_inspector_sees_how_many_reports_await_review_in_their_district(world, login):
    campaign = CampaignFactory(bureau=world.bureau)
    first = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
    second = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
    ProgressReportFactory(school=world.school_a, deadline=first, status=ReportStatus.SUBMITTED)
    ProgressReportFactory(school=world.school_b, deadline=first, status=ReportStatus.RESUBMITTED)
    ProgressReportFactory(school=world.school_a, deadline=second, status=ReportStatus.APPROVED)
    ProgressReportFactory(school=world.school_b, deadline=second, status=ReportStatus.RETURNED)
    other = DeadlineFactory(campaign=CampaignFactory(bureau=world.school_c.bureau))
    ProgressReportFactory(school=world.school_c, deadline=other, status=ReportStatus.SUBMITTED)
    response = login(world.inspector).get(reverse("home"))
    assert response.context["awaiting_review"] == 2
    assert "2 份待审" in response.content.decode()


def test_no_report_awaiting_review_says_none(world, login):
    body = login(world.inspector).get(reverse("home")).content.decode()
    assert "0 份待审" in body
