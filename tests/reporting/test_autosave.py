"""自动保存 (issue 8 item 1, screens.md "a draft is never lost"): the report
form saves its draft on the server as the user types, through the same access
as 保存草稿, only while the report is editable, never submitting and never
overwriting a newer save."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from reporting import services
from reporting.models import ProgressReport, ReportStatus, ReportTransition
from tests.conftest import LOGIN_BACKEND
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db

TYPED = {"organisation": "校长任组长，专班每周研判。", "measure_campus_on": "on",
         "measure_campus": "门卫值守检查 2 次。"}


def autosave_url(world, deadline, school=None):
    return reverse("reporting:report_autosave", args=[(school or world.school_a).pk, deadline.pk])


def edit_url(world, deadline):
    return reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])


def autosave(client, world, deadline, version, **fields):
    return client.post(autosave_url(world, deadline), {**fields, "version": str(version)})


class TestSaving:
    def test_the_first_autosave_starts_the_draft_and_says_when_in_shanghai_time(
            self, world, login, deadline):
        with time_machine.travel(dt.datetime(2026, 5, 12, 6, 5, tzinfo=dt.UTC), tick=False):
            response = autosave(login(world.safety_officer), world, deadline, 0, **TYPED)
        assert response.status_code == 200
        answer = response.json()
        assert answer["ok"] is True
        assert answer["version"] == 1
        assert answer["message"] == "已自动保存 14:05"
        assert answer["saved_at"] == "2026-05-12T14:05:00+08:00"
        report = ProgressReport.objects.get()
        assert report.status == ReportStatus.DRAFT
        assert report.sections["organisation"] == "校长任组长，专班每周研判。"
        assert list(report.measures.values_list("measure", "narrative")) == [
            ("campus", "门卫值守检查 2 次。")]

    def test_each_save_raises_the_version_the_next_one_types_over(self, world, login, deadline):
        client = login(world.safety_officer)
        assert autosave(client, world, deadline, 0, organisation="一").json()["version"] == 1
        assert autosave(client, world, deadline, 1, organisation="一二").json()["version"] == 2
        assert ProgressReport.objects.get().sections["organisation"] == "一二"

    def test_an_unticked_measure_is_removed_as_in_a_normal_save(self, world, login, deadline):
        client = login(world.safety_officer)
        autosave(client, world, deadline, 0, **TYPED)
        autosave(client, world, deadline, 1, organisation="只写了这一节")
        assert not ProgressReport.objects.get().measures.exists()

    def test_a_returned_report_is_editable_and_autosaved(self, world, login, deadline):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                       status=ReportStatus.RETURNED,
                                       first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
        response = autosave(login(world.safety_officer), world, deadline,
                            report.draft_version, organisation="按退回意见补充")
        assert response.status_code == 200
        report.refresh_from_db()
        assert report.sections["organisation"] == "按退回意见补充"
        assert report.status == ReportStatus.RETURNED


class TestNothingMoreThanADraftSave:
    def test_an_autosave_never_submits_even_when_asked(self, world, login, deadline):
        complete = {"organisation": "有", "results": "有", "problems": "无",
                    "next_steps": "有", "measure_campus_on": "on", "measure_campus": "有"}
        response = autosave(login(world.safety_officer), world, deadline, 0, **complete,
                            submit="1")
        assert response.status_code == 200
        report = ProgressReport.objects.get()
        assert report.status == ReportStatus.DRAFT
        assert report.first_submitted_at is None

    def test_no_transition_and_no_audit_row(self, world, login, deadline):
        client = login(world.safety_officer)
        before = AuditEvent.objects.count()
        for version in range(3):
            assert autosave(client, world, deadline, version, **TYPED).status_code == 200
        assert AuditEvent.objects.count() == before
        assert not ReportTransition.objects.exists()


class TestRefusals:
    def test_a_stale_autosave_from_another_tab_is_refused_and_writes_nothing(
            self, world, login, deadline):
        client = login(world.safety_officer)
        autosave(client, world, deadline, 0, organisation="第一个窗口")   # version 1
        autosave(client, world, deadline, 1, organisation="第一个窗口，后来写的")  # version 2
        response = autosave(client, world, deadline, 1, organisation="第二个窗口的旧内容")
        assert response.status_code == 409
        answer = response.json()
        assert answer == {"ok": False, "error": "stale", "message": answer["message"]}
        assert "另一个窗口或设备上保存过" in answer["message"]
        report = ProgressReport.objects.get()
        assert report.sections["organisation"] == "第一个窗口，后来写的"
        assert report.draft_version == 2

    def test_an_explicit_save_elsewhere_makes_an_older_page_stale(self, world, login, deadline):
        client = login(world.safety_officer)
        autosave(client, world, deadline, 0, organisation="自动保存的")
        client.post(edit_url(world, deadline), {"organisation": "另一台设备上点了保存草稿",
                                                "save": "1"})
        response = autosave(client, world, deadline, 1, organisation="旧页面")
        assert response.status_code == 409
        assert ProgressReport.objects.get().sections["organisation"] == "另一台设备上点了保存草稿"

    def test_a_page_without_a_report_is_stale_once_someone_started_it(self, world, login,
                                                                       deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline, draft_version=1,
                              sections={"organisation": "别人写的"})
        response = autosave(login(world.safety_officer), world, deadline, 0,
                            organisation="我的")
        assert response.status_code == 409
        assert ProgressReport.objects.get().sections["organisation"] == "别人写的"

    def test_a_new_report_typed_over_a_version_that_never_existed_is_refused(
            self, world, login, deadline):
        response = autosave(login(world.safety_officer), world, deadline, 3,
                            organisation="我的")
        assert response.status_code == 409
        assert response.json()["error"] == "stale"
        assert not ProgressReport.objects.exists()

    def test_a_submitted_report_is_refused_with_a_clear_message(self, world, login, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              status=ReportStatus.SUBMITTED,
                              first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
        response = autosave(login(world.safety_officer), world, deadline, 0,
                            organisation="迟到的自动保存")
        assert response.status_code == 409
        assert response.json()["error"] == "not_editable"
        assert response.json()["message"] == "这份报告已提交，不能再修改，自动保存已停止。"
        assert ProgressReport.objects.get().sections["organisation"] == "校长任组长，成立工作专班。"

    def test_submitted_between_the_check_and_the_save_is_refused_too(self, world, login,
                                                                     deadline, monkeypatch):
        # The lock in report_save_draft decides: a submission that lands after
        # the view looked at the report is still refused.
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        real_lock = services.workflows.REPORT.lock

        def submitted_meanwhile(obj):
            ProgressReport.objects.filter(pk=report.pk).update(
                status=ReportStatus.SUBMITTED,
                first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
            return real_lock(obj)

        monkeypatch.setattr(services.workflows.REPORT, "lock", submitted_meanwhile)
        response = autosave(login(world.safety_officer), world, deadline, 0, organisation="晚了")
        assert response.status_code == 409
        assert response.json()["error"] == "not_editable"

    @pytest.mark.parametrize("version", ["", "abc", "-1"])
    def test_a_missing_or_bad_version_is_refused(self, world, login, deadline, version):
        response = login(world.safety_officer).post(autosave_url(world, deadline),
                                                    {"organisation": "x", "version": version})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid"
        assert not ProgressReport.objects.exists()

    def test_a_section_too_long_is_refused_with_the_reason_and_nothing_saved(
            self, world, login, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              sections={"organisation": "原文"})
        response = autosave(login(world.safety_officer), world, deadline, 0,
                            organisation="长" * (services.MAX_SECTION_CHARS + 1))
        assert response.status_code == 400
        answer = response.json()
        assert answer["error"] == "invalid"
        assert answer["message"].startswith("未能自动保存：")
        assert "organisation" in answer["fields"]
        assert ProgressReport.objects.get().sections["organisation"] == "原文"

    def test_the_service_s_own_length_rule_is_reported_as_a_refusal_too(
            self, world, login, deadline, monkeypatch):
        monkeypatch.setattr(services, "MAX_SECTION_CHARS", 5)  # the form still allows more
        response = autosave(login(world.safety_officer), world, deadline, 0,
                            organisation="六个字的内容")
        assert response.status_code == 400
        assert response.json()["fields"] == {"organisation": ["本部分请控制在 5 字以内。"]}

    def test_a_get_is_not_allowed(self, world, login, deadline):
        assert login(world.safety_officer).get(autosave_url(world, deadline)).status_code == 405


class TestAccess:
    def test_without_the_csrf_token_it_is_refused(self, world, deadline):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.safety_officer, backend=LOGIN_BACKEND)
        response = client.post(autosave_url(world, deadline), {"version": "0", **TYPED})
        assert response.status_code == 403
        assert not ProgressReport.objects.exists()

    def test_with_the_page_s_token_it_is_saved(self, world, deadline):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.safety_officer, backend=LOGIN_BACKEND)
        client.get(edit_url(world, deadline))
        token = client.cookies["csrftoken"].value
        response = client.post(autosave_url(world, deadline),
                               {"version": "0", "csrfmiddlewaretoken": token, **TYPED})
        assert response.status_code == 200

    def test_signed_out_goes_to_sign_in(self, world, client, deadline):
        response = client.post(autosave_url(world, deadline), {"version": "0", **TYPED})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_head_teacher_may_not_and_is_told_so(self, world, login, deadline):
        response = autosave(login(world.head_teacher), world, deadline, 0, **TYPED)
        assert response.status_code == 403
        assert response.json() == {"ok": False, "error": "forbidden",
                                   "message": "您无权修改这份报告。"}
        assert not ProgressReport.objects.exists()

    def test_another_school_s_report_is_not_found(self, world, login, deadline):
        response = login(world.peer_principal).post(
            autosave_url(world, deadline), {"version": "0", **TYPED})
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert not ProgressReport.objects.exists()

    def test_an_inspector_may_read_but_not_autosave(self, world, login, deadline):
        response = autosave(login(world.inspector), world, deadline, 0, **TYPED)
        assert response.status_code == 403
        assert not ProgressReport.objects.exists()


class TestThePageCarriesTheVersion:
    """Every page the form comes back on holds the version just saved, or its
    next autosave would be refused as stale."""

    def test_the_form_names_its_autosave_url_draft_key_and_version(self, world, login,
                                                                   deadline):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                       draft_version=7)
        body = login(world.safety_officer).get(edit_url(world, deadline)).content.decode()
        assert f'data-autosave-url="{autosave_url(world, deadline)}"' in body
        key = f"sp-draft:{world.safety_officer.pk}:{world.school_a.pk}:{deadline.pk}"
        assert f'data-draft-key="{key}"' in body
        assert 'name="version" value="7"' in body
        assert report.code  # the key needs no code: a report may not exist yet
        assert 'src="/static/js/report_draft.js"' in body
        assert 'data-testid="autosave-status"' in body

    def test_after_a_refused_submission(self, world, login, deadline):
        client = login(world.safety_officer)
        response = client.post(edit_url(world, deadline), {**TYPED, "submit": "1"})
        assert response.status_code == 400
        assert 'name="version" value="1"' in response.content.decode()
        assert autosave(client, world, deadline, 1, organisation="接着写").status_code == 200

    def test_after_a_photo_error(self, world, login, deadline, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client = login(world.safety_officer)
        response = client.post(
            reverse("reporting:photo_add", args=[world.school_a.pk, deadline.pk]),
            {**TYPED, "draft_carried": "1", "caption": ""})
        assert response.status_code == 400
        assert 'name="version" value="1"' in response.content.decode()
        assert autosave(client, world, deadline, 1, organisation="接着写").status_code == 200


class TestBrowserCopyIsClearedWhereItMustBe:
    def test_a_submitted_report_s_page_clears_its_copy(self, world, login, deadline):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                       status=ReportStatus.SUBMITTED,
                                       first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
        body = login(world.safety_officer).get(
            reverse("reporting:report_detail", args=[report.code])).content.decode()
        key = f"sp-draft:{world.safety_officer.pk}:{world.school_a.pk}:{deadline.pk}"
        assert f'data-draft-clear="{key}"' in body

    def test_a_draft_s_page_keeps_it(self, world, login, deadline):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        body = login(world.safety_officer).get(
            reverse("reporting:report_detail", args=[report.code])).content.decode()
        assert "data-draft-clear" not in body

    def test_the_sign_out_form_clears_every_copy(self, world, login):
        body = login(world.safety_officer).get(reverse("home")).content.decode()
        assert f'action="{reverse("logout")}" data-clear-drafts' in body


def test_the_service_refuses_a_stale_expected_version(world, deadline):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline, draft_version=2)
    with pytest.raises(services.DraftConflict):
        services.report_save_draft(report=report, by=world.safety_officer,
                                   sections={"organisation": "旧"}, measures={},
                                   expected_version=1)
    report.refresh_from_db()
    assert report.sections["organisation"] == "校长任组长，成立工作专班。"
    assert report.draft_version == 2
    saved = services.report_save_draft(report=report, by=world.safety_officer,
                                       sections={"organisation": "新"}, measures={},
                                       expected_version=2)
    assert saved.draft_version == 3
