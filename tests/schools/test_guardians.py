"""Adding and editing a pupil's guardians (issue 9 item 5): the roster's
managers and the pupil's own head teacher (schools.edit_guardians), a phone
number that can be dialled, one primary contact."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from schools import pupil_services
from schools.pupil_forms import normalise_phone
from schools.pupil_models import Guardian, GuardianRelationship
from tests.conftest import sign_in
from tests.schools.pupil_factories import GuardianFactory, PupilFactory
from tests.schools.pupil_page_setup import sample_pupil


@pytest.fixture
def setup(world):
    return sample_pupil(world)


def add_url(pupil):
    return reverse("schools:guardian_add", kwargs={"code": pupil.code})


def edit_url(guardian):
    return reverse("schools:guardian_edit", kwargs={"code": guardian.pupil.code,
                                                    "pk": guardian.pk})


def form_data(**overrides):
    data = {"name": "张爸爸", "relationship": GuardianRelationship.FATHER,
            "phone": "139 1234 5678", "lives_with_child": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, user, url, data):
    sign_in(client, user, verified=True)
    return client.post(url, data)


@pytest.mark.parametrize("name", ["principal", "safety_officer", "head_teacher"])
def test_the_school_and_the_head_teacher_add_a_guardian(world, setup, client, name):
    response = post(client, getattr(world, name), add_url(setup.pupil), form_data())
    assert response.status_code == 302
    g = Guardian.objects.get(pupil=setup.pupil, name="张爸爸")
    assert (g.phone, g.relationship, g.lives_with_child, g.is_primary) == (
        "13912345678", GuardianRelationship.FATHER, True, False)


@pytest.mark.parametrize(("name", "status"), [
    ("counselor", 403), ("staff", 403), ("bureau_admin", 403), ("peer_principal", 404)])
def test_nobody_else_may(world, setup, client, name, status):
    assert post(client, getattr(world, name), add_url(setup.pupil),
                form_data()).status_code == status
    assert not Guardian.objects.filter(name="张爸爸").exists()


def test_the_head_teacher_of_another_class_may_not(world, setup, client):
    guardian = setup.pupil.guardians.get()
    assert post(client, setup.head_other, edit_url(guardian),
                form_data()).status_code == 404


def test_the_edit_form_is_filled_in_and_saves(world, setup, client):
    guardian = setup.pupil.guardians.get()
    sign_in(client, world.head_teacher, verified=True)
    response = client.get(edit_url(guardian))
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == guardian.name
    response = client.post(edit_url(guardian), form_data(
        name="新名字", phone="0571-8800 1234", lives_with_child=None, works_away="on",
        works_away_place="浙江宁波", is_primary="on"))
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.name, guardian.phone, guardian.lives_with_child, guardian.works_away,
            guardian.works_away_place, guardian.is_primary) == (
        "新名字", "0571-88001234", False, True, "浙江宁波", True)


def test_a_guardian_of_another_pupil_is_a_404(world, setup, client):
    other = GuardianFactory(pupil=PupilFactory(school=world.school_a))
    sign_in(client, world.principal, verified=True)
    url = reverse("schools:guardian_edit", kwargs={"code": setup.pupil.code, "pk": other.pk})
    assert client.get(url).status_code == 404


def test_choosing_a_new_primary_contact_demotes_the_old_one(world, setup, client):
    old = setup.pupil.guardians.get()
    assert old.is_primary
    post(client, world.principal, add_url(setup.pupil), form_data(is_primary="on"))
    new = Guardian.objects.get(name="张爸爸")
    old.refresh_from_db()
    assert new.is_primary
    assert not old.is_primary
    assert setup.pupil.guardians.filter(is_primary=True).count() == 1
    post(client, world.principal, edit_url(old), form_data(name=old.name, is_primary="on"))
    assert list(setup.pupil.guardians.filter(is_primary=True)) == [old]


def test_an_invalid_phone_is_refused_next_to_the_field_and_kept(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil), form_data(phone="12345"))
    assert response.status_code == 400
    assert "phone" in response.context["form"].errors
    body = response.content.decode()
    assert 'value="12345"' in body
    assert 'value="张爸爸"' in body
    assert not Guardian.objects.filter(name="张爸爸").exists()


def test_working_away_needs_where(world, setup, client):
    response = post(client, world.principal, add_url(setup.pupil),
                    form_data(works_away="on"))
    assert response.status_code == 400
    assert "works_away_place" in response.context["form"].errors


def test_the_place_of_work_is_dropped_for_someone_at_home(world, setup):
    g = pupil_services.guardian_save(pupil=setup.pupil, by=world.principal, data={
        "name": "甲", "relationship": "mother", "works_away": False,
        "works_away_place": "上海"})
    assert g.works_away_place == ""


@pytest.mark.parametrize(("typed", "kept"), [
    ("13912345678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"),  # full-width digits from a Chinese IME
    ("0571-88001234", "0571-88001234"),
    ("(0571)88001234", "0571-88001234"),
    ("010-12345678", "010-12345678"),
    ("0571-88001234转123", "0571-88001234#123"),
    ("", ""),
])
def test_phone_numbers_are_normalised(typed, kept):
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize("typed", [
    "12345", "1391234567", "139123456789", "12912345678", "88001234", "010-1234567",
    "abc", "0571-123",
])
def test_numbers_that_cannot_be_dialled_are_refused(typed):
    with pytest.raises(forms.ValidationError):
        normalise_phone(typed)


def test_saving_is_audited_with_no_name_or_phone(world, setup, client):
    post(client, world.head_teacher, add_url(setup.pupil), form_data(is_primary="on"))
    g = Guardian.objects.get(name="张爸爸")
    [row] = AuditEvent.objects.filter(action="guardian.add")
    assert (row.target_type, row.target_code, row.school_id, row.extra) == (
        "schools.guardian", str(g.pk), world.school_a.pk, {"role": "primary"})
    assert "13912345678" not in str(row.extra)
    post(client, world.head_teacher, edit_url(g), form_data())
    assert AuditEvent.objects.filter(action="guardian.edit", target_code=str(g.pk)).count() == 1


def test_the_service_refuses_a_guardian_of_another_pupil(world, setup):
    other = GuardianFactory(pupil=PupilFactory(school=world.school_a))
    with pytest.raises(PermissionDenied):
        pupil_services.guardian_save(pupil=setup.pupil, guardian=other,
                                     data={"name": "x"}, by=world.principal)
    with pytest.raises(PermissionDenied):
        pupil_services.guardian_save(pupil=setup.pupil, data={"name": "x"},
                                     by=world.counselor)
