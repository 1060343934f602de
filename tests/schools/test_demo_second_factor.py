"""The demo's second factor (issue 9 item 6): with DEBUG on, every demo bureau
account has a TOTP device with a fixed key, and `manage.py totp_code USERNAME`
prints its current code, so a tester signs in without a phone; never without
DEBUG."""

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from schools import demo
from schools import second_factor as devices
from tests.conftest import shanghai, totp_code

pytestmark = pytest.mark.django_db


def seed(settings, debug: bool):
    settings.DEBUG = debug
    call_command("seed_demo", schools=1, stdout=io.StringIO())


def test_demo_bureau_accounts_get_a_device_with_a_fixed_key_school_staff_none(settings):
    seed(settings, debug=True)
    for username, _role, _name in demo.BUREAU_ACCOUNTS:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.key == demo.demo_totp_key(username)
    keys = {demo.demo_totp_key(u) for u, _r, _n in demo.BUREAU_ACCOUNTS}
    assert len(keys) == len(demo.BUREAU_ACCOUNTS)
    assert not TOTPDevice.objects.filter(user__username__startswith="s01-").exists()


def test_seeding_again_keeps_a_device_someone_enrolled(settings):
    seed(settings, debug=True)
    TOTPDevice.objects.filter(user__username="inspector").update(key="ab" * 20)
    seed(settings, debug=True)
    assert TOTPDevice.objects.get(user__username="inspector").key == "ab" * 20


def test_without_debug_no_device_is_made(settings):
    seed(settings, debug=False)
    assert not TOTPDevice.objects.exists()


def test_totp_code_prints_the_code_the_portal_accepts(settings):
    seed(settings, debug=True)
    with time_machine.travel(shanghai("2026-05-13 09:00:00"), tick=False):
        out = io.StringIO()
        call_command("totp_code", "inspector", stdout=out, stderr=io.StringIO())
        code = out.getvalue().strip()
        device = TOTPDevice.objects.get(user__username="inspector")
        assert code == totp_code(device)
        assert devices.verify(device.user, code) == device


def test_totp_code_refuses_without_debug(settings):
    seed(settings, debug=True)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "inspector", stdout=io.StringIO())


def test_totp_code_says_when_there_is_no_device(settings):
    seed(settings, debug=True)
    with pytest.raises(CommandError, match="has no TOTP device"):
        call_command("totp_code", "s01-safety", stdout=io.StringIO())


def test_totp_code_prints_the_code_of_a_device_being_enrolled(settings, world):
    """A school account enrols its own device (the demo enrols none for school
    staff); the tester gets the code of the device the enrol page shows."""
    settings.DEBUG = True
    device = TOTPDevice.objects.create(user=world.principal, name="x", confirmed=False)
    out = io.StringIO()
    call_command("totp_code", world.principal.username, stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == totp_code(device)


def test_totp_code_says_how_to_start_when_there_is_no_device(settings, world):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="enrol"):
        call_command("totp_code", world.safety_officer.username, stdout=io.StringIO(),
                     stderr=io.StringIO())
