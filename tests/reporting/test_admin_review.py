"""Inspectors who live in the admin review there, through the same services."""

import datetime as dt
import re
import time

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from notifications.models import Notice
from reporting import services
from reporting.models import Measure, ProgressReport, ReportStatus
from tests.dead_broker import dead_broker  # noqa: F401
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
        "action": "approve", "apply": "1", ACTION_CHECKBOX_NAME: [submitted.pk]})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED
    assert submitted.transitions.last().actor == world.inspector


def test_approving_from_the_list_asks_first_and_changes_nothing(world, login, submitted):
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", ACTION_CHECKBOX_NAME: [submitted.pk]})
    assert response.status_code == 200
    body = response.content.decode()
    assert "将通过以下 1 份报告并通知其学校：" in body
    assert 'name="apply"' in body
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_the_approval_page_names_each_report_it_will_skip_and_why(world, login, submitted):
    deadline = DeadlineFactory(campaign=submitted.deadline.campaign,
                               due_date=submitted.deadline.due_date.replace(day=27))
    draft = ProgressReportFactory(school=world.school_a, deadline=deadline)
    approved = ProgressReportFactory(school=world.school_b, deadline=submitted.deadline)
    approved.measures.create(measure=Measure.LEGAL, narrative="x")
    services.report_submit(report=approved, by=world.peer_principal)
    services.report_approve(report=approved, by=world.inspector)
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", ACTION_CHECKBOX_NAME: [submitted.pk, draft.pk, approved.pk]})
    page = response.content.decode()
    to_approve = re.search(r'data-testid="to-approve">(.*?)</ul>', page, re.S).group(1)
    skipped = re.findall(r"<li>(.*?)</li>",
                         re.search(r'data-testid="skipped">(.*?)</ul>', page, re.S).group(1))
    assert "甲小学" in to_approve
    assert to_approve.count("<li>") == 1
    with translation.override(settings.LANGUAGE_CODE):
        refused = translation.gettext("Only a submitted report can be approved.")
        assert sorted(skipped) == sorted([
            f"甲小学 · {deadline}: {refused}",
            f"乙小学 · {submitted.deadline}: {translation.gettext('already approved')}"])
    assert set(ProgressReport.objects.values_list("status", flat=True)) == {
        ReportStatus.SUBMITTED, ReportStatus.DRAFT, ReportStatus.APPROVED}


def test_the_approval_page_offers_no_button_when_nothing_can_be_approved(world, login):
    deadline = DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau))
    draft = ProgressReportFactory(school=world.school_a, deadline=deadline)
    body = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", ACTION_CHECKBOX_NAME: [draft.pk]}).content.decode()
    assert "所选报告均不能通过。" in body
    assert 'type="submit"' not in body.split("<form method=\"post\">")[-1]


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
        "action": "approve", "apply": "1", ACTION_CHECKBOX_NAME: [draft.pk]})
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
    moves = {"moves-TOTAL_FORMS": "0", "moves-INITIAL_FORMS": "0"}  # the read-only history
    assert client.post(url, {"due_date": "2026-05-15", "moved_reason": "", **moves}
                       ).status_code == 200
    response = client.post(url, {"due_date": "2026-05-15", "moved_reason": "端午调休", **moves})
    assert response.status_code == 302
    deadline.refresh_from_db()
    assert (deadline.due_date, deadline.original_due_date) == (
        dt.date(2026, 5, 15), dt.date(2026, 5, 13))
    assert [(m.old_date, m.new_date, m.reason, m.moved_by) for m in deadline.moves.all()] == [
        (dt.date(2026, 5, 13), dt.date(2026, 5, 15), "端午调休", world.bureau_admin)]


# ---------------------------------------------------------------- per-item outcome


def test_a_bulk_approval_reports_what_it_did_and_what_it_skipped_and_why(world, login,
                                                                        submitted):
    deadline = DeadlineFactory(campaign=submitted.deadline.campaign,
                               due_date=submitted.deadline.due_date.replace(day=27))
    draft = ProgressReportFactory(school=world.school_a, deadline=deadline)
    client = login(world.inspector)
    client.post(reverse(CHANGELIST), {"action": "approve", "apply": "1",
                                      ACTION_CHECKBOX_NAME: [submitted.pk]},
                follow=True)  # its message is shown (and consumed) here
    response = client.post(reverse(CHANGELIST), {
        "action": "approve", "apply": "1", ACTION_CHECKBOX_NAME: [submitted.pk, draft.pk]},
        follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    with translation.override(settings.LANGUAGE_CODE):
        expected = translation.gettext("%(m)s of %(total)s skipped: %(items)s") % {
            "m": 2, "total": 2, "items": "; ".join([
                f"甲小学 2026-05-13: {translation.gettext('already approved')}",
                f"甲小学 2026-05-27: "
                f"{translation.gettext('Only a submitted report can be approved.')}"])}
    assert shown == [expected]
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


def test_one_report_that_breaks_does_not_stop_the_others(world, login, submitted,
                                                         monkeypatch):
    deadline = DeadlineFactory(campaign=submitted.deadline.campaign,
                               due_date=submitted.deadline.due_date.replace(day=27))
    second = ProgressReportFactory(school=world.school_a, deadline=deadline)
    second.measures.create(measure=Measure.LEGAL, narrative="x")
    services.report_submit(report=second, by=world.safety_officer)
    real = services.report_approve

    def approve(*, report, by):
        if report.pk == submitted.pk:
            raise RuntimeError("a bug in one report")
        return real(report=report, by=by)

    monkeypatch.setattr(services, "report_approve", approve)
    response = login(world.inspector).post(reverse(CHANGELIST), {
        "action": "approve", "apply": "1", ACTION_CHECKBOX_NAME: [submitted.pk, second.pk]},
        follow=True)
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.status == ReportStatus.APPROVED
    with translation.override(settings.LANGUAGE_CODE):
        expected = [
            translation.gettext("%(n)s reports approved.") % {"n": 1},
            translation.gettext("%(m)s of %(total)s skipped: %(items)s") % {
                "m": 1, "total": 2, "items": "甲小学 2026-05-13: " + translation.gettext(
                    "an error occurred; it has been logged")}]
    assert [str(m) for m in response.context["messages"]] == expected


# ---------------------------------------------------------------- Redis down


@pytest.fixture
def five_submitted(world):
    campaign = CampaignFactory(bureau=world.bureau)
    reports = []
    for day in (13, 14, 15, 16, 17):
        deadline = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, day))
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.LEGAL, narrative="法治副校长授课 1 次")
        services.report_submit(report=report, by=world.safety_officer)
        reports.append(report)
    return reports


# The requests commit for real, so that their after-commit kicks run inside
# them against the dead broker, as in production.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("dead_broker")
def test_returning_a_report_with_redis_down_answers_within_a_second(world, login,
                                                                   five_submitted):
    report = five_submitted[0]
    client = login(world.inspector)
    started = time.monotonic()
    response = client.post(reverse("reporting:report_return", args=[report.code]),
                           {"reason": "请补充活动照片"})
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 1.0, f"the return waited {took:.1f} s on the dead broker"
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    # The notices are saved; the periodic delivery run sends them.
    assert Notice.objects.filter(kind="returned", status="pending").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("dead_broker")
def test_a_bulk_return_of_five_reports_with_redis_down_returns_all_five(world, login,
                                                                       five_submitted):
    client = login(world.inspector)
    started = time.monotonic()
    response = client.post(reverse(CHANGELIST), {
        "action": "return_to_school", "apply": "1", "reason": "请补充活动照片",
        ACTION_CHECKBOX_NAME: [r.pk for r in five_submitted]})
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 5.0, f"the bulk return waited {took:.1f} s on the dead broker"
    statuses = set(ProgressReport.objects.filter(
        pk__in=[r.pk for r in five_submitted]).values_list("status", flat=True))
    assert statuses == {ReportStatus.RETURNED}
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == ["已退回 5 份报告。"]
