"""Changing a pupil's 学籍状态 (issue 9 item 8): 转出/休学/辍学/毕业/死亡/在读
with a day and a reason, by whoever manages the roster, behind the step-up;
a transition row (who, when, from, to, reason) and one audit row with codes
only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core import clock
from schools import pupil_services
from schools.pupil_models import PupilStatus, PupilStatusChange
from tests.conftest import sign_in
from tests.schools.pupil_page_setup import sample_pupil


@pytest.fixture
def setup(world):
    return sample_pupil(world, name="钱小军")


def url(pupil):
    return reverse("schools:pupil_status", kwargs={"code": pupil.code})


def post(client, user, pupil, data):
    sign_in(client, user, verified=True)
    return client.post(url(pupil), data)


YESTERDAY = clock.today() - dt.timedelta(days=1)


@pytest.mark.parametrize("status", [
    PupilStatus.TRANSFERRED_OUT, PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT,
    PupilStatus.GRADUATED, PupilStatus.DECEASED])
def test_the_roster_manager_changes_the_status(world, setup, client, status):
    response = post(client, world.safety_officer, setup.pupil, {
        "status": status, "on": YESTERDAY.isoformat(), "reason": "家长申请"})
    assert response.status_code == 302
    setup.pupil.refresh_from_db()
    assert (setup.pupil.status, setup.pupil.status_changed_on) == (status, YESTERDAY)
    change = PupilStatusChange.objects.get(pupil=setup.pupil)
    assert (change.from_state, change.to_state, change.reason, change.actor,
            change.effective_on) == (PupilStatus.ENROLLED, status, "家长申请",
                                     world.safety_officer, YESTERDAY)


def test_a_pupil_comes_back_to_school(world, setup):
    for status in (PupilStatus.DROPPED_OUT, PupilStatus.ENROLLED):
        pupil_services.pupil_change_status(pupil=setup.pupil, status=status,
                                           on=clock.today(), reason="劝返", by=world.principal)
    setup.pupil.refresh_from_db()
    assert setup.pupil.status == PupilStatus.ENROLLED
    assert PupilStatusChange.objects.filter(pupil=setup.pupil).count() == 2


def test_the_change_is_audited_with_codes_and_no_reason(world, setup, client):
    post(client, world.principal, setup.pupil, {
        "status": PupilStatus.SUSPENDED, "on": YESTERDAY.isoformat(), "reason": "重病住院"})
    [row] = AuditEvent.objects.filter(action="pupil.suspend")
    assert (row.target_type, row.target_code, row.school_id, row.user) == (
        "schools.pupil", str(setup.pupil.code), world.school_a.pk, world.principal)
    assert row.extra == {"old": "enrolled", "new": "suspended", "reason_given": True}
    assert "重病住院" not in str(row.extra)
    assert "钱小军" not in str(row.extra)


@pytest.mark.parametrize(("name", "status"), [
    ("head_teacher", 403), ("counselor", 403), ("staff", 403), ("inspector", 403),
    ("peer_principal", 404)])
def test_nobody_else_may(world, setup, client, name, status):
    response = post(client, getattr(world, name), setup.pupil, {
        "status": PupilStatus.DROPPED_OUT, "on": YESTERDAY.isoformat(), "reason": "x"})
    assert response.status_code == status
    setup.pupil.refresh_from_db()
    assert setup.pupil.status == PupilStatus.ENROLLED


def test_a_reason_and_a_day_are_required_and_what_was_typed_is_kept(world, setup, client):
    response = post(client, world.principal, setup.pupil,
                    {"status": PupilStatus.DROPPED_OUT})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"on", "reason"}
    assert 'value="dropped_out" selected' in response.content.decode()


def test_the_day_cannot_be_in_the_future(world, setup, client):
    tomorrow = clock.today() + dt.timedelta(days=1)
    response = post(client, world.principal, setup.pupil, {
        "status": PupilStatus.GRADUATED, "on": tomorrow.isoformat(), "reason": "x"})
    assert response.status_code == 400
    assert "on" in response.context["form"].errors


def test_the_same_status_again_is_refused(world, setup, client):
    response = post(client, world.principal, setup.pupil, {
        "status": PupilStatus.ENROLLED, "on": YESTERDAY.isoformat(), "reason": "x"})
    assert response.status_code == 400
    assert "status" in response.context["form"].errors
    assert not PupilStatusChange.objects.exists()


def test_the_service_checks_everything_itself(world, setup):
    with pytest.raises(PermissionDenied):
        pupil_services.pupil_change_status(pupil=setup.pupil, status=PupilStatus.SUSPENDED,
                                           on=YESTERDAY, reason="x", by=world.head_teacher)
    with pytest.raises(ValidationError) as exc:
        pupil_services.pupil_change_status(pupil=setup.pupil, status=PupilStatus.SUSPENDED,
                                           on=YESTERDAY, reason="  ", by=world.principal)
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        pupil_services.pupil_change_status(pupil=setup.pupil, status=PupilStatus.ENROLLED,
                                           on=YESTERDAY, reason="x", by=world.principal)
    with pytest.raises(ValidationError):
        pupil_services.pupil_change_status(pupil=setup.pupil, status="lost",
                                           on=YESTERDAY, reason="x", by=world.principal)
    assert not PupilStatusChange.objects.exists()


def test_the_status_page_needs_a_recent_second_factor(world, setup, client):
    sign_in(client, world.principal, verified=False)
    assert client.get(url(setup.pupil)).status_code == 302
    sign_in(client, world.principal, verified=True)
    response = client.get(url(setup.pupil))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
