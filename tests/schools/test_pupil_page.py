"""A pupil's page (issue 9 item 2): who sees it, behind the step-up; one audit
row per open; the 学籍号 masked unless one manages the roster; guardians,
enrolments, circumstances (only for their holders), the pupil's timeline and,
for the principal, who looked at the record; a fixed number of queries."""

import datetime as dt
import uuid

import pytest
from django.db import reset_queries
from django.urls import reverse

from audit.models import AuditEvent
from audit.timeline import pupil_reads
from core import clock
from core.timelines import entries_for
from schools import pupil_services
from schools.access.rules import rulebook
from schools.access_rules import SchoolsPerm
from schools.models import Role
from schools.pupil_detail import age_on
from schools.pupil_models import DifficultyType, PriorityGroup, PupilStatus
from schools.school_year import current_school_year
from tests.conftest import sign_in, totp_device
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_factories import (
    CircumstanceFactory,
    EnrolmentFactory,
    GuardianFactory,
    PupilFactory,
)
from tests.schools.pupil_page_setup import sample_pupil

VERIFY = reverse("second_factor_verify")
ENROL = reverse("second_factor_enrol")


@pytest.fixture
def setup(world):
    return sample_pupil(world, name="王小明")


def page(pupil):
    return reverse("schools:pupil_detail", kwargs={"code": pupil.code})


def who(world, setup, name):
    extra = {"head_other": setup.head_other, "head_last_year": setup.head_last_year}
    return extra.get(name) or getattr(world, name)


def open_as(client, user, pupil):
    sign_in(client, user, verified=True)
    return client.get(page(pupil))


# ------------------------------------------------------------------ who sees it


@pytest.mark.parametrize("name", ["principal", "safety_officer", "counselor", "head_teacher"])
def test_the_schools_named_people_and_the_pupils_head_teacher_see_the_page(
        world, setup, client, name):
    response = open_as(client, who(world, setup, name), setup.pupil)
    assert response.status_code == 200
    assert "王小明" in response.content.decode()


@pytest.mark.parametrize("name", ["head_other", "head_last_year", "peer_principal",
                                  "foreign_principal"])
def test_everyone_else_gets_a_404_that_says_nothing(world, setup, client, name):
    response = open_as(client, who(world, setup, name), setup.pupil)
    assert response.status_code == 404
    assert "王小明" not in response.content.decode()


@pytest.mark.parametrize("name", ["staff", "bureau_admin", "inspector", "auditor"])
def test_who_may_see_no_child_anywhere_gets_a_403_for_any_code(world, setup, client, name):
    """Refused before the record is looked up, so the answer is the same for
    a pupil that exists and one that does not: it says nothing."""
    response = open_as(client, who(world, setup, name), setup.pupil)
    assert response.status_code == 403
    assert "王小明" not in response.content.decode()
    unknown = client.get(reverse("schools:pupil_detail", args=[uuid.uuid4()]))
    assert unknown.status_code == 403


def test_a_head_teacher_who_no_longer_leads_the_class_loses_the_pupil(world, setup, client):
    assert open_as(client, world.head_teacher, setup.pupil).status_code == 200
    setup.own_class.head_teacher_memberships.clear()
    assert open_as(client, world.head_teacher, setup.pupil).status_code == 404


def test_a_pupil_moved_to_another_class_goes_with_it(world, setup, client):
    setup.pupil.current_class = setup.other_class
    setup.pupil.save()
    assert open_as(client, world.head_teacher, setup.pupil).status_code == 404
    assert open_as(client, setup.head_other, setup.pupil).status_code == 200


def test_an_unknown_code_is_a_404(world, client):
    sign_in(client, world.principal, verified=True)
    url = reverse("schools:pupil_detail", kwargs={"code": "00000000-0000-0000-0000-000000000000"})
    assert client.get(url).status_code == 404


# ------------------------------------------------------------------ step-up


def test_without_a_second_factor_in_this_session_the_page_asks_for_one(world, setup, client):
    totp_device(world.principal)
    sign_in(client, world.principal, verified=False)
    response = client.get(page(setup.pupil))
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not AuditEvent.objects.filter(target_code=str(setup.pupil.code)).exists()


def test_someone_without_a_device_is_sent_to_enrol_first(world, setup, client):
    sign_in(client, world.head_teacher, verified=False)
    assert client.get(page(setup.pupil))["Location"].startswith(ENROL)


def test_a_second_factor_older_than_the_step_up_window_is_asked_again(
        world, setup, client, settings):
    import time_machine

    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as frozen:
        sign_in(client, world.principal, verified=True)
        frozen.shift(dt.timedelta(seconds=settings.STEP_UP_SECONDS + 1))
        assert client.get(page(setup.pupil))["Location"].startswith(VERIFY)


def test_signed_out_people_are_sent_to_sign_in(setup, client):
    assert client.get(page(setup.pupil))["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------ audit


def test_each_open_is_exactly_one_audit_row_naming_the_pupil_by_code(world, setup, client):
    sign_in(client, world.principal, verified=True)
    for expected_rows in (1, 2):
        client.get(page(setup.pupil), REMOTE_ADDR="10.1.2.3")
        rows = list(AuditEvent.objects.filter(target_code=str(setup.pupil.code)))
        assert len(rows) == expected_rows
    row = rows[0]
    assert (row.action, row.target_type, row.target_code, row.school_id, row.ip,
            row.user, row.outcome) == (
        "record.view", "schools.pupil", str(setup.pupil.code), world.school_a.pk, "10.1.2.3",
        world.principal, "allowed")


def test_a_refused_open_is_one_denied_row_naming_no_school(world, setup, client):
    open_as(client, setup.head_other, setup.pupil)
    [row] = AuditEvent.objects.filter(target_code=str(setup.pupil.code))
    assert (row.action, row.outcome, row.status, row.school_id) == (
        "access.denied", "denied", 404, None)


def test_no_audit_row_holds_the_childs_name_or_number(world, setup, client):
    open_as(client, world.principal, setup.pupil)
    open_as(client, setup.head_other, setup.pupil)
    for row in AuditEvent.objects.all():
        text = f"{row.target} {row.target_code} {row.extra}"
        assert "王小明" not in text
        assert setup.pupil.student_number not in text


def test_the_page_is_never_stored_by_the_browser(world, setup, client):
    response = open_as(client, world.principal, setup.pupil)
    assert "no-store" in response["Cache-Control"]


# ------------------------------------------------------------------ profile


def test_the_roster_managers_see_the_student_number_in_full(world, setup, client):
    for user in (world.principal, world.safety_officer):
        response = open_as(client, user, setup.pupil)
        assert response.context["student_number"] == setup.pupil.student_number
        assert setup.pupil.student_number in response.content.decode()


@pytest.mark.parametrize("name", ["counselor", "head_teacher"])
def test_everyone_else_sees_it_masked(world, setup, client, name):
    response = open_as(client, who(world, setup, name), setup.pupil)
    body = response.content.decode()
    assert setup.pupil.student_number not in body
    assert setup.pupil.masked_student_number in body
    assert "*" in setup.pupil.masked_student_number


def test_the_profile_shows_age_class_status_and_home_area(world, setup, client):
    pupil = setup.pupil
    pupil.home_area = "青山村"
    pupil.boarder = True
    pupil.save()
    response = open_as(client, world.principal, pupil)
    body = response.content.decode()
    assert response.context["age"] == age_on(pupil.date_of_birth, clock.today())
    assert "青山村" in body
    assert str(setup.own_class) in body
    assert pupil.date_of_birth.isoformat() in body


def test_the_page_leads_back_to_the_roster(world, setup, client):
    body = open_as(client, world.head_teacher, setup.pupil).content.decode()
    assert f'href="{reverse("schools:roster", args=[setup.pupil.school_id])}"' in body


def test_age_counts_whole_years():
    assert age_on(dt.date(2016, 5, 13), dt.date(2026, 5, 12)) == 9
    assert age_on(dt.date(2016, 5, 13), dt.date(2026, 5, 13)) == 10
    assert age_on(dt.date(2016, 2, 29), dt.date(2026, 2, 28)) == 9


def test_guardians_show_primary_first_with_a_phone_link(world, setup, client):
    GuardianFactory(pupil=setup.pupil, name="李奶奶", phone="13800001111", works_away=True,
                    works_away_place="广东东莞", lives_with_child=False)
    response = open_as(client, world.head_teacher, setup.pupil)
    guardians = response.context["guardians"]
    assert guardians[0].is_primary
    body = response.content.decode()
    assert 'href="tel:13800001111"' in body
    assert "广东东莞" in body


def test_the_enrolment_history_names_each_school_year(world, setup, client):
    response = open_as(client, world.principal, setup.pupil)
    labels = [e.year_label for e in response.context["enrolments"]]
    year = current_school_year()
    assert labels[0].startswith(str(year))
    assert labels[1].startswith(str(year - 1))


# ------------------------------------------------------------------ circumstances


def test_circumstances_show_current_first_then_past(world, setup, client):
    today = clock.today()
    CircumstanceFactory(pupil=setup.pupil, group=PriorityGroup.MIGRANT,
                        since=dt.date(2019, 1, 1), until=dt.date(2020, 1, 1),
                        note="已回户籍地")
    CircumstanceFactory(pupil=setup.pupil, group=PriorityGroup.IN_DIFFICULTY,
                        difficulty_type=DifficultyType.FAMILY, since=today,
                        recorded_by=world.safety_officer, note="父母离异")
    response = open_as(client, world.counselor, setup.pupil)
    [current] = response.context["circumstances_current"]
    [past] = response.context["circumstances_past"]
    assert current.group == PriorityGroup.IN_DIFFICULTY
    assert past.group == PriorityGroup.MIGRANT
    body = response.content.decode()
    assert body.index("父母离异") < body.index("已回户籍地")
    assert str(world.safety_officer) in body


def test_circumstances_are_hidden_from_a_viewer_without_the_permission(
        world, setup, client, monkeypatch):
    # No role sees a pupil without seeing its circumstances today; take the
    # permission from the counselor to show the page asks the access layer.
    book = rulebook()
    monkeypatch.setitem(book.school, SchoolsPerm.VIEW_CIRCUMSTANCES,
                        frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER}))
    CircumstanceFactory(pupil=setup.pupil, note="不应看到的备注")
    response = open_as(client, world.counselor, setup.pupil)
    assert response.status_code == 200
    assert response.context["circumstances_current"] is None
    body = response.content.decode()
    assert "不应看到的备注" not in body
    assert 'data-testid="circumstances"' not in body
    assert not [e for e in response.context["timeline"] if e.source == "schools.circumstance"]
    assert open_as(client, world.principal, setup.pupil).context["circumstances_current"]


# ------------------------------------------------------------------ timeline


def test_the_timeline_has_the_pupils_status_changes_and_circumstances(world, setup, client):
    pupil_services.pupil_change_status(pupil=setup.pupil, status=PupilStatus.SUSPENDED,
                                       on=clock.today(), reason="病休", by=world.principal)
    pupil_services.circumstance_record(pupil=setup.pupil, group=PriorityGroup.LEFT_BEHIND,
                                       by=world.head_teacher)
    response = open_as(client, world.head_teacher, setup.pupil)
    sources = {e.source for e in response.context["timeline"]}
    assert sources == {"schools.pupil_status", "schools.circumstance"}
    assert "病休" not in response.content.decode().split('data-testid="timeline"')[1]


def test_the_timeline_source_gives_nothing_to_someone_who_cannot_see_the_pupil(world, setup):
    CircumstanceFactory(pupil=setup.pupil)
    code = str(setup.pupil.code)
    assert entries_for("schools.pupil", code, world.principal)
    for user in (setup.head_other, world.inspector, world.peer_principal):
        assert entries_for("schools.pupil", code, user) == []


# ------------------------------------------------------------------ who looked


def test_only_the_principal_sees_who_looked_at_the_record(world, setup, client):
    open_as(client, world.head_teacher, setup.pupil)
    open_as(client, setup.head_other, setup.pupil)  # refused
    response = open_as(client, world.principal, setup.pupil)
    reads = response.context["reads"]
    assert [e.actor for e in reads] == [
        u.get_full_name() for u in (world.principal, setup.head_other, world.head_teacher)]
    body = response.content.decode()
    # Staff's addresses are the auditor's business, not the principal's.
    assert "127.0.0.1" not in body
    assert 'data-testid="reads"' in body
    for user in (world.safety_officer, world.counselor, world.head_teacher):
        response = open_as(client, user, setup.pupil)
        assert "reads" not in response.context
        assert 'data-testid="reads"' not in response.content.decode()


def test_who_looked_names_the_person_by_their_full_name(world, setup, client):
    world.head_teacher.full_name = "王老师"
    world.head_teacher.save()
    open_as(client, world.head_teacher, setup.pupil)
    reads = pupil_reads(str(setup.pupil.code), world.principal, 50)
    assert [e.actor for e in reads] == ["王老师"]


def test_the_reads_source_answers_only_the_access_log_holder(world, setup, client):
    open_as(client, world.safety_officer, setup.pupil)
    code = str(setup.pupil.code)
    assert len(pupil_reads(code, world.principal, 50)) == 1
    for user in (world.safety_officer, world.head_teacher, world.auditor,
                 world.peer_principal, world.bureau_admin):
        assert pupil_reads(code, user, 50) == []
    assert pupil_reads("not-a-uuid", world.principal, 50) == []


def test_the_reads_are_limited_newest_first(world, setup, client):
    sign_in(client, world.safety_officer, verified=True)
    for _ in range(4):
        client.get(page(setup.pupil))
    entries = pupil_reads(str(setup.pupil.code), world.principal, 3)
    assert len(entries) == 3
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)


def test_other_pupils_reads_are_not_listed(world, setup, client):
    other = PupilFactory(school=world.school_a, current_class=setup.own_class)
    open_as(client, world.safety_officer, other)
    assert pupil_reads(str(setup.pupil.code), world.principal, 50) == []


# ------------------------------------------------------------------ queries


def grow(world, setup, n, *, start=0):
    pupil = setup.pupil
    for i in range(start, start + n):
        GuardianFactory(pupil=pupil)
        CircumstanceFactory(pupil=pupil, since=dt.date(2020, 1, 1) + dt.timedelta(days=i))
        CircumstanceFactory(pupil=pupil, since=dt.date(2018, 1, 1), until=dt.date(2019, 1, 1))
        cls = SchoolClassFactory(school=world.school_a, grade=1, number=10 + i,
                                 school_year=2000 + i)
        EnrolmentFactory(pupil=pupil, school_year=2000 + i, school_class=cls)
    pupil_services.pupil_change_status(pupil=pupil, status=PupilStatus.SUSPENDED,
                                       on=clock.today(), reason="x", by=world.principal)
    pupil_services.pupil_change_status(pupil=pupil, status=PupilStatus.ENROLLED,
                                       on=clock.today(), reason="x", by=world.principal)


@pytest.mark.parametrize("name", ["principal", "head_teacher"])
def test_the_page_runs_a_fixed_number_of_queries(world, setup, client, django_assert_num_queries,
                                                 django_assert_max_num_queries, name):
    user = who(world, setup, name)
    sign_in(client, user, verified=True)
    grow(world, setup, 1)
    client.get(page(setup.pupil))  # warm: the first open of a session
    # Each request empties the connection's query log (request_started).
    reset_queries()
    with django_assert_max_num_queries(100) as small:
        assert client.get(page(setup.pupil)).status_code == 200
    count = len(small.captured_queries)  # now: the next request empties the log
    grow(world, setup, 6, start=1)
    for _ in range(5):
        client.get(page(setup.pupil))
    reset_queries()
    with django_assert_num_queries(count):
        response = client.get(page(setup.pupil))
    assert len(response.context["guardians"]) == 8
