"""Inspectors who live in the admin review there, through the same services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from reporting import services
from reporting.models import Measure, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:reporting_progressreport_changelist"


@pytest.fixture
def submitted(world):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau))
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    report.measures.create(measure=Measure.LEGAL, narrative="法治副校长授课 1 次")
    services.report_submit(report=report, by=world.safety_officer)
    return report


def test_an_inspector_approves_from_the_list(world, login, submitted):
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", ACTION_CHECKBOX_NAME: [submitted.pk]})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED
    assert submitted.transitions.last().actor == world.inspector


def test_returning_asks_for_the_reason_first(world, login, submitted):
    client = login(world.inspector)
    response = client.post(reverse(CHANGELIST), {
        "action": "return_to_school", ACTION_CHECKBOX_NAME: [submitted.pk]})
    assert response.status_code == 200
    assert "退回原因" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_returning_with_an_empty_reason_keeps_the_report_and_says_why(world, login, submitted):
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "return_to_school", ACTION_CHECKBOX_NAME: [submitted.pk], "apply": "1",
        "reason": ""})
    assert response.status_code == 400
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_returning_with_a_reason_sends_it_back(world, login, submitted):
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "return_to_school", ACTION_CHECKBOX_NAME: [submitted.pk], "apply": "1",
        "reason": "请补充活动照片"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_reason) == (ReportStatus.RETURNED, "请补充活动照片")


def test_approving_a_draft_warns_and_changes_nothing(world, login):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau))
    draft = ProgressReportFactory(school=world.school_a, deadline=deadline)
    login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", ACTION_CHECKBOX_NAME: [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


def test_the_list_shows_only_this_districts_reports(world, login, submitted):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.other_bureau))
    ProgressReportFactory(school=world.school_c, deadline=deadline)
    response = login(world.inspector).get(reverse(CHANGELIST))
    assert list(response.context["cl"].queryset) == [submitted]


def test_the_bureau_admin_creates_a_campaign_and_gets_its_calendar(world, login):
    response = login(world.bureau_admin).post(reverse("admin:reporting_campaign_add"), {
        "bureau": world.bureau.pk, "name": "专项治理行动", "start_month": "2026-05-01",
        "end_date": "2026-12-31", "school_types": ["primary", "junior"]})
    assert response.status_code == 302
    from reporting.models import Campaign

    assert Campaign.objects.get().deadlines.count() == 17


def test_moving_a_deadline_in_the_admin_requires_a_reason(world, login):
    import datetime as dt

    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau))
    url = reverse("admin:reporting_deadline_change", args=[deadline.pk])
    client = login(world.bureau_admin)
    assert client.post(url, {"due_date": "2026-05-15", "moved_reason": ""}).status_code == 200
    response = client.post(url, {"due_date": "2026-05-15", "moved_reason": "端午调休"})
    assert response.status_code == 302
    deadline.refresh_from_db()
    assert (deadline.due_date, deadline.original_due_date, deadline.moved_by) == (
        dt.date(2026, 5, 15), dt.date(2026, 5, 13), world.bureau_admin)
