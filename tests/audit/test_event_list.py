"""The auditor's page: filters, a fixed number of queries, the Excel export."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from tests.conftest import shanghai

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


def event(**fields) -> AuditEvent:
    defaults = {"username": "x", "action": "record.view", "outcome": "allowed"}
    return AuditEvent.objects.create(**{**defaults, **fields})


def shown(response) -> list:
    return [e.pk for e in response.context["page"]]


def test_the_auditor_filters_by_person_action_record_school_and_dates(world, login):
    a = event(username="a-counselor", target_type="incidents.referral", target_code="c1",
              school=world.school_a, at=shanghai("2026-05-13 23:59"))
    b = event(username="inspector", action="report.approve",
              target_type="reporting.progressreport", target_code="c2",
              school=world.school_b, at=shanghai("2026-05-14 00:00"))
    c = event(action="access.denied", outcome="denied", target="report:c3",
              at=shanghai("2026-05-15 08:00"))
    client = login(world.auditor)
    assert shown(client.get(URL, {"user": "a-counselor"})) == [a.pk]
    assert shown(client.get(URL, {"action": "report.approve"})) == [b.pk]
    assert shown(client.get(URL, {"target_type": "incidents.referral"})) == [a.pk]
    assert shown(client.get(URL, {"target_code": "c2"})) == [b.pk]
    assert shown(client.get(URL, {"target_code": "c3"})) == [c.pk]
    assert shown(client.get(URL, {"school": world.school_b.pk})) == [b.pk]
    assert shown(client.get(URL, {"outcome": "denied"})) == [c.pk]
    assert shown(client.get(URL, {"date_from": "2026-05-14", "date_to": "2026-05-14"})) == [
        b.pk]
    assert shown(client.get(URL, {"date_to": "2026-05-13"})) == [a.pk]


def test_the_action_is_shown_by_its_label_in_the_reader_s_language(world, login):
    event(action="report.return")
    assert "退回报告" in login(world.auditor).get(URL).content.decode()
    world.auditor.language = "en"
    world.auditor.save()
    assert "Return report" in login(world.auditor).get(URL).content.decode()


def test_the_date_filters_have_their_own_labels_not_the_status_change_s(world, login):
    body = login(world.auditor).get(URL).content.decode()
    assert "原状态" not in body
    assert "新状态" not in body
    form = login(world.auditor).get(URL).context["form"]
    assert [str(form[name].label) for name in ("date_from", "date_to")] == [
        "开始日期", "结束日期"]


@pytest.mark.parametrize(("params", "field"), [
    ({"date_from": "abc"}, "date_from"),
    ({"date_to": "2026-13-45"}, "date_to"),
    ({"school": "abc"}, "school"),
    ({"action": "<script>alert(1)</script>"}, "action"),
    ({"target_type": "no.such"}, "target_type"),
    ({"date_from": "2026-05-14", "date_to": "2026-05-13"}, "date_to"),
])
def test_an_invalid_filter_shows_its_error_and_no_rows_never_the_whole_log(
        world, login, params, field):
    event(username="someone", action="report.submit", school=world.school_a)
    response = login(world.auditor).get(URL, {"user": "someone", **params})
    assert response.status_code == 400
    assert shown(response) == []
    form = response.context["form"]
    assert list(form.errors) == [field]
    body = response.content.decode()
    assert 'data-testid="audit-filter-invalid"' in body
    assert 'data-testid="audit-filter-error"' in body
    assert 'value="someone"' in body  # what was typed is kept
    assert "<script>alert(1)</script>" not in body
    # The reading is still on the log (G4), with the filters that were valid.
    row = AuditEvent.objects.get(action="audit.view")
    assert row.status == 400
    assert row.extra["filters"]["user"] == "someone"
    assert field not in row.extra["filters"]


def test_a_reversed_date_range_says_so(world, login):
    world.auditor.language = "en"
    world.auditor.save()
    response = login(world.auditor).get(URL, {"date_from": "2026-05-14",
                                              "date_to": "2026-05-13"})
    assert response.context["form"].errors["date_to"] == [
        "The end date is before the start date."]  # 结束日期早于开始日期
    assert 'value="2026-05-14"' in response.content.decode()


def test_an_invalid_filter_exports_nothing(world, login):
    event(action="report.submit")
    response = login(world.auditor).get(reverse("audit:event_export"), {"date_from": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_the_record_type_is_a_choice_of_known_types_by_their_names(world, login):
    event(target_type="schools.school", target_code="1")
    event(target_type="gone.model", target_code="2")
    choices = dict(login(world.auditor).get(URL).context["form"].fields["target_type"].choices)
    assert choices["reporting.progressreport"] == "进度报告"  # from the vocabulary
    assert choices["schools.school"] == "学校"  # from the data
    assert choices["gone.model"] == "gone.model"  # an app removed since: as it is
    assert choices[""] == "全部记录类型"


def test_the_person_filter_matches_part_of_a_username_or_full_name_in_any_case(
        world, login):
    by_name = event(user=world.principal, username="a-principal")
    by_username = event(username="Inspector-Zhang")
    event(username="other")
    client = login(world.auditor)
    assert shown(client.get(URL, {"user": "王校"})) == [by_name.pk]
    assert shown(client.get(URL, {"user": "inspector-z"})) == [by_username.pk]
    assert set(shown(client.get(URL, {"user": "PRINCIPAL"}))) == {by_name.pk}


def test_the_auditor_s_own_reads_are_hidden_unless_asked_for(world, login):
    client = login(world.auditor)
    denial = event(action="access.denied", outcome="denied", target="/x/")
    client.get(URL)
    client.get(URL)
    reads = list(AuditEvent.objects.filter(action="audit.view").values_list("pk", flat=True))
    assert len(reads) == 2  # still recorded
    assert shown(client.get(URL)) == [denial.pk]
    everything = shown(client.get(URL, {"include_own_reads": "on"}))
    assert denial.pk in everything
    assert set(reads) <= set(everything)
    assert set(reads) <= set(shown(client.get(URL, {"action": "audit.view"})))
    body = client.get(URL).content.decode()
    assert 'name="include_own_reads"' in body
    assert 'type="checkbox"' in body


def test_a_long_typed_filter_is_cut_in_the_audit_row(world, login):
    login(world.auditor).get(URL, {"user": "x" * 10_000})
    row = AuditEvent.objects.get(action="audit.view")
    assert row.extra == {"filters": {"user": "x" * 200}}


# Session, user, the second-factor device (django-otp), grants, the record types
# in the log, the count, one page with its schools, the school choices, the row
# for this reading: the same whatever the number of rows, and with the person and
# record-type filters.
QUERIES = 13


@pytest.mark.parametrize("rows", [3, 120])
@pytest.mark.parametrize("params", [{}, {"user": "王", "target_type": "schools.school"}])
def test_the_page_runs_a_fixed_number_of_queries(world, login, rows, params,
                                                django_assert_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(username="x", action="record.view", outcome="allowed",
                   user=world.principal, target_type="schools.school", target_code=str(n),
                   school=world.school_a if n % 2 else world.school_b) for n in range(rows))
    client = login(world.auditor)
    with django_assert_num_queries(QUERIES):
        response = client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 50)


def test_the_next_page_link_keeps_the_filters(world, login):
    for n in range(51):
        event(outcome="denied", target=f"t{n}")
    body = login(world.auditor).get(URL, {"outcome": "denied"}).content
    assert b'href="?outcome=denied&amp;page=2"' in body


def test_the_auditor_exports_the_filtered_log_and_the_export_is_logged(world, login):
    event(username="=HYPERLINK(\"http://x\")", action="report.submit",
          target_type="reporting.progressreport", target_code="c1", school=world.school_a)
    event(username="other", action="record.view")
    response = login(world.auditor).get(reverse("audit:event_export"),
                                        {"action": "report.submit"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"  # kept as text, not a formula
    assert rows[1][3] == "report.submit"
    assert rows[1][4] == "进度报告"  # the record type by its name
    assert rows[1][6] == world.school_a.name
    row = AuditEvent.objects.get(action="audit.export")
    assert (row.username, row.extra) == (
        "auditor", {"filters": {"action": "report.submit"}, "rows": 1})


@pytest.mark.parametrize("who", ["principal", "bureau_admin", "inspector"])
def test_only_the_auditor_may_export(world, login, who):
    response = login(getattr(world, who)).get(reverse("audit:event_export"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_the_export_is_readable_chinese_with_a_frozen_filtered_header(world, login):
    event(action="role.grant", target_type="schools.membership", target_code="7",
          extra={"role": "head_teacher", "subject_user": 12})
    event(action="report.return", target_type="reporting.progressreport", target_code="c9",
          extra={"old": "submitted", "new": "returned", "reason_given": True})
    event(action="access.denied", outcome="denied", extra={"legacy_key": "v"})
    response = login(world.auditor).get(reverse("audit:event_export"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    details = {row[3]: row[8] for row in rows[1:]}
    # 角色 is translated already; the new keys' Chinese is in i18n/auditux.po.
    assert details["role.grant"] == "角色: 班主任；涉及人员（用户 ID）: 12"
    assert "submitted" in details["report.return"]
    assert "{" not in details["report.return"]
    assert details["access.denied"] == "legacy_key: v"
    assert {row[4] for row in rows[1:]} >= {"进度报告"}
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L4"
    assert sheet.column_dimensions["I"].width >= 40
    assert sheet["A1"].font.b
