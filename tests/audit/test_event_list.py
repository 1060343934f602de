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


def test_nonsense_filters_are_ignored_not_an_error(world, login):
    response = login(world.auditor).get(URL, {"action": "<x>", "school": "abc",
                                              "date_from": "x", "page": "-1"})
    assert response.status_code == 200


# Session, user and grants, the count, one page with its schools, the school
# choices, the row for this reading: the same whatever the number of rows.
QUERIES = 11


@pytest.mark.parametrize("rows", [3, 120])
def test_the_page_runs_a_fixed_number_of_queries(world, login, rows,
                                                django_assert_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(username="x", action="record.view", outcome="allowed",
                   school=world.school_a if n % 2 else world.school_b) for n in range(rows))
    client = login(world.auditor)
    with django_assert_num_queries(QUERIES):
        assert client.get(URL).status_code == 200


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
    assert rows[1][6] == world.school_a.name
    row = AuditEvent.objects.get(action="audit.export")
    assert (row.username, row.extra) == (
        "auditor", {"filters": {"action": "report.submit"}, "rows": 1})


@pytest.mark.parametrize("who", ["principal", "bureau_admin", "inspector"])
def test_only_the_auditor_may_export(world, login, who):
    response = login(getattr(world, who)).get(reverse("audit:event_export"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()
