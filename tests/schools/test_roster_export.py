"""学生名册导出: the roster as .xlsx for its manager, behind a recent second
factor, in the template's columns with its choice words (so it imports again),
the full 学籍号 as text, guardians 1 and 2, the page's filters, one audit row
per pupil exported, no-store, a fixed number of queries (issue 9 item 5)."""

import datetime as dt
import io
from urllib.parse import quote, urlencode

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from schools.pupil_models import PupilStatus
from schools.roster.table import TEMPLATE_COLUMNS
from tests.conftest import shanghai
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_list_factories import CircumstanceFactory, GuardianFactory, PupilFactory

NOW = shanghai("2026-12-01 10:00")
HEADERS = [title for _field, title in TEMPLATE_COLUMNS]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def roster(world):
    a = world.school_a
    r = type("R", (), {})()
    r.c31 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=1)
    r.c32 = SchoolClassFactory(school=a, school_year=2026, grade=3, number=2)
    r.zhang = PupilFactory(school=a, current_class=r.c31, name="张三", gender="M",
                           boarder=True, date_of_birth=dt.date(2017, 5, 6), home_area="东村")
    GuardianFactory(pupil=r.zhang, name="张父", relationship="father", phone="13800000001",
                    works_away=True, works_away_place="杭州")
    GuardianFactory(pupil=r.zhang, name="张母", relationship="mother", phone="13800000002",
                    is_primary=True)
    r.li = PupilFactory(school=a, current_class=r.c32, name="李四", gender="F",
                        home_area="=HYPERLINK(\"x\")\x07")
    r.gone = PupilFactory(school=a, current_class=r.c31, name="王五",
                          status=PupilStatus.TRANSFERRED_OUT)
    PupilFactory(school=world.school_b, name="别校")
    return r


def url(world, school=None, **params):
    base = reverse("schools:roster_export", args=[(school or world.school_a).pk])
    return f"{base}?{urlencode(params)}" if params else base


def sheet(response):
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    return wb.worksheets[0]


def rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def by_field(row):
    return {name: value for (name, _title), value in zip(TEMPLATE_COLUMNS, row, strict=True)}


def test_the_manager_gets_the_roster_in_the_templates_columns(world, login, roster):
    response = login(world.principal, verified=True).get(url(world))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "no-store" in response["Cache-Control"]
    # 学生名册_甲小学_20261201.xlsx once the catalogue has the translation.
    with translation.override("zh-hans"):
        name = f"{translation.gettext('Pupil roster')}_{world.school_a.name}_20261201.xlsx"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response["Content-Disposition"]
    ws = sheet(response)
    table = rows(ws)
    assert table[0] == HEADERS
    assert len(table) == 3  # the two 在读 pupils of school A, class by class
    zhang, li = by_field(table[1]), by_field(table[2])
    assert zhang["student_number"] == roster.zhang.student_number  # full, not masked
    assert zhang["name"] == "张三"
    assert (zhang["gender"], zhang["status"], zhang["boarder"]) == ("男", "在读", "是")
    assert (zhang["grade"], zhang["class_number"]) == (3, 1)
    assert zhang["date_of_birth"].date() == dt.date(2017, 5, 6)
    assert zhang["home_area"] == "东村"
    # The primary contact is guardian 1.
    assert (zhang["guardian1_name"], zhang["guardian1_relationship"],
            zhang["guardian1_phone"], zhang["guardian1_works_away"]) == (
        "张母", "母亲", "13800000002", "否")
    assert (zhang["guardian2_name"], zhang["guardian2_relationship"],
            zhang["guardian2_works_away"], zhang["guardian2_works_away_place"]) == (
        "张父", "父亲", "是", "杭州")
    assert li["guardian1_name"] is None
    assert li["gender"] == "女"


def test_the_student_number_and_phones_are_text_cells(world, login, roster):
    ws = sheet(login(world.principal, verified=True).get(url(world)))
    columns = {name: index for index, (name, _t) in enumerate(TEMPLATE_COLUMNS, start=1)}
    for name in ("student_number", "guardian1_phone"):
        cell = ws.cell(row=2, column=columns[name])
        assert isinstance(cell.value, str)
        assert cell.number_format == "@"


def test_formula_looking_values_stay_text_and_illegal_characters_go(world, login, roster):
    ws = sheet(login(world.principal, verified=True).get(url(world, q="李四")))
    li = by_field(rows(ws)[1])
    assert li["home_area"] == "'=HYPERLINK(\"x\")"


def test_the_pages_filters_are_applied(world, login, roster):
    client = login(world.safety_officer, verified=True)
    only_c32 = rows(sheet(client.get(url(world, school_class=roster.c32.pk))))
    assert [r[1] for r in only_c32[1:]] == ["李四"]
    every_status = rows(sheet(client.get(url(world, status="all"))))
    assert sorted(r[1] for r in every_status[1:]) == ["张三", "李四", "王五"]


def test_the_priority_group_filter_applies_to_the_export(world, login, roster):
    CircumstanceFactory(pupil=roster.li, group="migrant")
    table = rows(sheet(login(world.principal, verified=True).get(url(world, group="migrant"))))
    assert [r[1] for r in table[1:]] == ["李四"]


def test_every_exported_pupil_is_an_audit_row(world, login, roster):
    login(world.principal, verified=True).get(url(world, status="all"))
    exported = AuditEvent.objects.filter(action="record.export")
    assert exported.count() == 3
    assert {e.target_code for e in exported} == {
        str(p.code) for p in (roster.zhang, roster.li, roster.gone)}
    for event in exported:
        assert (event.user, event.target_type, event.school_id, event.status) == (
            world.principal, "schools.pupil", world.school_a.pk, 200)
        assert event.extra == {"permission": "schools.manage_roster"}


def test_an_empty_export_writes_the_header_and_no_audit_row(world, login, roster):
    response = login(world.principal, verified=True).get(url(world, q="没有这个人"))
    assert rows(sheet(response)) == [HEADERS]
    assert not AuditEvent.objects.filter(action="record.export").exists()


def test_without_a_recent_second_factor_the_manager_is_sent_to_verify(world, login, roster):
    client = login(world.principal)
    response = client.get(url(world, status="all"))
    assert response.status_code == 302
    # No device yet: the enrol page, and back to this export afterwards.
    assert response["Location"].startswith(reverse("second_factor_enrol"))
    assert quote(url(world, status="all"), safe="") in response["Location"]
    assert not AuditEvent.objects.filter(action="record.export").exists()


def test_a_second_factor_past_the_step_up_limit_is_asked_again(
        world, login, roster, settings):
    settings.STEP_UP_SECONDS = 600
    client = login(world.principal, verified=True)
    with time_machine.travel(NOW + dt.timedelta(seconds=660), tick=False):
        response = client.get(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_verify"))


@pytest.mark.parametrize("role", ["head_teacher", "counselor", "staff", "bureau_admin",
                                  "inspector"])
def test_those_who_do_not_manage_the_roster_are_refused(world, login, roster, role):
    # Refused before being asked for a code: a code would not help them.
    assert login(getattr(world, role), verified=True).get(url(world)).status_code == 403
    assert login(getattr(world, role)).get(url(world)).status_code == 403


def test_another_schools_roster_cannot_be_exported(world, login, roster):
    assert login(world.peer_principal, verified=True).get(url(world)).status_code == 404
    assert login(world.auditor).get(url(world)).status_code == 404


def test_the_export_is_get_only(world, login, roster):
    assert login(world.principal, verified=True).post(url(world)).status_code == 405


def test_the_export_costs_the_same_queries_for_3_pupils_as_for_60(
        world, login, roster, django_assert_num_queries):
    client = login(world.principal, verified=True)
    client.get(url(world))
    with CaptureQueriesContext(connection) as few:
        client.get(url(world))
    for n in range(58):
        pupil = PupilFactory(school=world.school_a, current_class=roster.c32, name=f"乙{n:02d}")
        GuardianFactory(pupil=pupil, is_primary=True)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url(world))
    assert len(rows(sheet(response))) == 61
