"""Recording and ending a pupil's circumstance (issue 9 item 2): who may, what
is checked (困境 sub-type only and always for 困境儿童, until not before
since, a note of at most 2000 characters), errors next to the field with what
was typed kept, and one audit row with codes only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core import clock
from schools import pupil_services
from schools.pupil_models import Circumstance, DifficultyType, PriorityGroup
from tests.conftest import sign_in
from tests.schools.pupil_factories import CircumstanceFactory
from tests.schools.pupil_page_setup import sample_pupil


@pytest.fixture
def setup(world):
    return sample_pupil(world, name="赵小红")


def add_url(pupil):
    return reverse("schools:circumstance_add", kwargs={"code": pupil.code})


def end_url(circumstance):
    return reverse("schools:circumstance_end", kwargs={"code": circumstance.code})


def post(client, user, url, data):
    sign_in(client, user, verified=True)
    return client.post(url, data)


# ------------------------------------------------------------------ record


@pytest.mark.parametrize("name", ["principal", "safety_officer", "head_teacher"])
def test_the_school_and_the_head_teacher_record_a_circumstance(world, setup, client, name):
    user = getattr(world, name)
    response = post(client, user, add_url(setup.pupil), {
        "group": PriorityGroup.LEFT_BEHIND, "since": "2026-03-01", "note": "父母在外务工"})
    assert response.status_code == 302
    assert response["Location"] == reverse("schools:pupil_detail",
                                           kwargs={"code": setup.pupil.code})
    c = Circumstance.objects.get(pupil=setup.pupil)
    assert (c.group, c.since, c.until, c.note, c.recorded_by) == (
        PriorityGroup.LEFT_BEHIND, dt.date(2026, 3, 1), None, "父母在外务工", user)


def test_the_form_starts_today(world, setup, client):
    sign_in(client, world.principal, verified=True)
    response = client.get(add_url(setup.pupil))
    assert response.status_code == 200
    assert response.context["form"].initial["since"] == clock.today()


def test_the_counselor_sees_circumstances_but_may_not_record_them(world, setup, client):
    response = post(client, world.counselor, add_url(setup.pupil),
                    {"group": PriorityGroup.LEFT_BEHIND, "since": "2026-03-01"})
    assert response.status_code == 403
    assert not Circumstance.objects.exists()


@pytest.mark.parametrize(("name", "status"), [
    # Holding the right nowhere: refused before any pupil is looked up.
    ("staff", 403), ("inspector", 403),
    # Holding it at another school: the pupil is not theirs to know of.
    ("peer_principal", 404)])
def test_people_who_do_not_see_the_pupil_are_refused(world, setup, client, name, status):
    response = post(client, getattr(world, name), add_url(setup.pupil),
                    {"group": PriorityGroup.LEFT_BEHIND, "since": "2026-03-01"})
    assert response.status_code == status
    assert not Circumstance.objects.exists()


def test_the_head_teacher_of_another_class_gets_a_404(world, setup, client):
    response = post(client, setup.head_other, add_url(setup.pupil),
                    {"group": PriorityGroup.LEFT_BEHIND, "since": "2026-03-01"})
    assert response.status_code == 404


def test_a_child_in_difficulty_needs_the_kind_of_difficulty(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil),
                    {"group": PriorityGroup.IN_DIFFICULTY, "since": "2026-03-01",
                     "note": "要保留的文字"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "difficulty_type" in form.errors
    assert "要保留的文字" in response.content.decode()
    assert not Circumstance.objects.exists()


def test_a_kind_of_difficulty_is_refused_for_another_group(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil),
                    {"group": PriorityGroup.ORPHAN, "difficulty_type": DifficultyType.FAMILY,
                     "since": "2026-03-01"})
    assert response.status_code == 400
    assert "difficulty_type" in response.context["form"].errors


def test_a_child_in_difficulty_with_its_kind_is_recorded(world, setup, client):
    post(client, world.principal, add_url(setup.pupil),
         {"group": PriorityGroup.IN_DIFFICULTY, "difficulty_type": DifficultyType.SAFETY,
          "since": "2026-03-01"})
    assert Circumstance.objects.get().difficulty_type == DifficultyType.SAFETY


def test_the_end_cannot_be_before_the_start(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil),
                    {"group": PriorityGroup.MIGRANT, "since": "2026-03-01",
                     "until": "2026-02-01"})
    assert response.status_code == 400
    assert "until" in response.context["form"].errors


def test_a_note_longer_than_2000_characters_is_refused(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil),
                    {"group": PriorityGroup.MIGRANT, "since": "2026-03-01",
                     "note": "字" * 2001})
    assert response.status_code == 400
    assert "note" in response.context["form"].errors


def test_an_empty_form_says_what_is_missing(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil), {})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"group", "since"}


def test_recording_is_one_audit_row_with_codes_only(world, setup, client):
    post(client, world.head_teacher, add_url(setup.pupil),
         {"group": PriorityGroup.LEFT_BEHIND, "since": "2026-03-01", "note": "秘密备注"})
    c = Circumstance.objects.get()
    [row] = AuditEvent.objects.filter(action="circumstance.record")
    assert (row.target_type, row.target_code, row.school_id, row.user) == (
        "schools.circumstance", str(c.code), world.school_a.pk, world.head_teacher)
    assert row.extra == {"new": "2026-03-01"}
    # A POST is audited by its action, not as a read of the page.
    assert not AuditEvent.objects.filter(action="record.view").exists()
    assert "秘密备注" not in str(row.extra)
    assert "赵小红" not in str(row.extra)


def test_the_service_refuses_someone_without_the_permission(world, setup):
    with pytest.raises(PermissionDenied):
        pupil_services.circumstance_record(pupil=setup.pupil, group=PriorityGroup.MIGRANT,
                                           by=world.counselor)
    with pytest.raises(PermissionDenied):
        pupil_services.circumstance_record(pupil=setup.pupil, group=PriorityGroup.MIGRANT,
                                           by=setup.head_other)


def test_the_service_checks_the_rules_itself(world, setup):
    with pytest.raises(ValidationError) as exc:
        pupil_services.circumstance_record(pupil=setup.pupil,
                                           group=PriorityGroup.IN_DIFFICULTY,
                                           by=world.principal)
    assert "difficulty_type" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pupil_services.circumstance_record(pupil=setup.pupil, group=PriorityGroup.MIGRANT,
                                           since=dt.date(2026, 3, 2),
                                           until=dt.date(2026, 3, 1), by=world.principal)
    assert "until" in exc.value.message_dict


# ------------------------------------------------------------------ end


def test_ending_sets_the_end_and_is_audited(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil, since=dt.date(2026, 1, 1))
    response = post(client, world.safety_officer, end_url(c),
                    {f"end{c.pk}-until": "2026-03-31"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.until == dt.date(2026, 3, 31)
    [row] = AuditEvent.objects.filter(action="circumstance.end")
    assert (row.target_code, row.school_id, row.extra) == (
        str(c.code), world.school_a.pk, {"old": None, "new": "2026-03-31"})


def test_an_end_before_the_start_is_refused_next_to_the_field(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil, since=dt.date(2026, 1, 1))
    response = post(client, world.principal, end_url(c), {f"end{c.pk}-until": "2025-12-31"})
    assert response.status_code == 400
    assert "until" in response.context["form"].errors
    assert 'value="2025-12-31"' in response.content.decode()
    c.refresh_from_db()
    assert c.until is None


def test_an_end_without_a_day_is_refused(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil)
    response = post(client, world.principal, end_url(c), {})
    assert response.status_code == 400


def test_ending_is_a_post(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil)
    sign_in(client, world.principal, verified=True)
    assert client.get(end_url(c)).status_code == 405


def test_ending_someone_elses_circumstance_is_a_404_or_403(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil)
    data = {f"end{c.pk}-until": "2026-03-31"}
    assert post(client, setup.head_other, end_url(c), data).status_code == 404
    assert post(client, world.peer_principal, end_url(c), data).status_code == 404
    assert post(client, world.counselor, end_url(c), data).status_code == 403
    c.refresh_from_db()
    assert c.until is None


def test_ending_needs_a_recent_second_factor(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil)
    sign_in(client, world.principal, verified=False)
    response = client.post(end_url(c), {f"end{c.pk}-until": "2026-03-31"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.until is None


def test_the_page_offers_the_end_form_only_to_those_who_may_end(world, setup, client):
    c = CircumstanceFactory(pupil=setup.pupil)
    page = reverse("schools:pupil_detail", kwargs={"code": setup.pupil.code})
    sign_in(client, world.head_teacher, verified=True)
    assert end_url(c) in client.get(page).content.decode()
    sign_in(client, world.counselor, verified=True)
    body = client.get(page).content.decode()
    assert end_url(c) not in body
    assert add_url(setup.pupil) not in body
