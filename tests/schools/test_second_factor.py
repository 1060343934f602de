"""The second factor (security.md G6, issue 9 item 6): TOTP at sign-in for every
bureau account and the admin site, step-up for school staff before a
child-level page, enrolment with a QR code and recovery codes, replay and
brute force refused, every failure, enrolment, recovery-code use and reset
audited."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from schools import access
from schools import second_factor as devices
from schools.models import Role
from tests.conftest import shanghai, sign_in, totp_code, totp_device
from tests.schools.factories import MembershipFactory, UserFactory, bureau_member

NOW = shanghai("2026-05-13 09:00:00")
HOME = reverse("home")
VERIFY = reverse("second_factor_verify")
ENROL = reverse("second_factor_enrol")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in_without_code(client, user):
    """Password accepted, no code yet: what the sign-in page leaves."""
    return sign_in(client, user, verified=False)


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# ------------------------------------------------------------------ the policy


@pytest.mark.parametrize(("who", "required"), [
    ("bureau_admin", True), ("inspector", True), ("auditor", True),
    ("principal", False), ("safety_officer", False), ("head_teacher", False),
    ("counselor", False), ("staff", False),
])
def test_every_bureau_role_and_no_school_role_needs_the_code_at_sign_in(world, who, required):
    assert access.second_factor_required(getattr(world, who)) is required


def test_the_admin_sites_flags_need_the_code_at_sign_in(db):
    assert access.second_factor_required(UserFactory(username="staff-flag", is_staff=True))
    assert access.second_factor_required(UserFactory(username="root", is_superuser=True))
    assert not access.second_factor_required(UserFactory(username="nobody"))


def test_a_deactivated_bureau_account_needs_nothing_it_cannot_sign_in_anyway(world):
    world.inspector.is_active = False
    assert not access.second_factor_required(world.inspector)


# ------------------------------------------------------------------ at sign-in


def test_a_bureau_account_without_a_device_is_sent_to_enrol_from_every_page(world, client):
    signed_in_without_code(client, world.inspector)
    for url in (HOME, reverse("reporting:dashboard"), reverse("schools:list"),
                reverse("password_change"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{ENROL}?next={url.replace('/', '%2F')}"


def test_a_bureau_account_with_a_device_is_sent_to_the_code_first(world, client):
    totp_device(world.bureau_admin)
    signed_in_without_code(client, world.bureau_admin)
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_the_pages_one_may_open_before_the_code(world, client):
    signed_in_without_code(client, world.inspector)
    assert client.get(ENROL).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(HOME)["Location"].startswith(reverse("login"))


def test_school_staff_are_not_asked_at_sign_in(world, client):
    signed_in_without_code(client, world.safety_officer)
    assert client.get(HOME).status_code == 200


def test_the_admin_site_refuses_an_unverified_session_even_without_the_middleware(
        world, rf):
    from django.contrib import admin
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.user = world.bureau_admin
    request.user.is_verified = lambda: False
    request.session = SessionStore()
    assert not admin.site.has_permission(request)
    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request)


# ------------------------------------------------------------------ enrolment


def test_enrolment_shows_a_qr_code_and_the_key_in_groups_of_four(world, client):
    signed_in_without_code(client, world.inspector)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=world.inspector, confirmed=False)
    assert re.search(r'<svg role="img" aria-label="[^"]+"', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
    groups = devices.secret_groups(device)
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", groups)
    assert groups in page
    # A reload keeps the same key: the app scanned a moment ago still matches.
    client.get(ENROL)
    assert TOTPDevice.objects.get(user=world.inspector).key == device.key


def test_a_first_valid_code_confirms_the_device_and_shows_ten_recovery_codes_once(
        world, client, frozen):
    signed_in_without_code(client, world.inspector)
    client.get(f"{ENROL}?next=/reporting/dashboard/")
    device = TOTPDevice.objects.get(user=world.inspector)

    response = client.post(ENROL, {"code": totp_code(device), "next": "/reporting/dashboard/"})
    assert response.status_code == 302
    shown = client.get(response["Location"])
    codes = shown.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(code in shown.content.decode() for code in codes)
    assert shown.context["next"] == "/reporting/dashboard/"
    assert client.get(response["Location"]).context["codes"] is None  # once

    device.refresh_from_db()
    assert device.confirmed
    assert sorted(StaticToken.objects.filter(device__user=world.inspector)
                  .values_list("token", flat=True)) == sorted(codes)
    assert client.get(HOME).status_code == 200
    [row] = audit_rows("device.enrol")
    assert (row.user, row.outcome, row.extra["subject_user"]) == (
        world.inspector, "allowed", world.inspector.pk)


def test_the_recovery_codes_page_says_continue_not_continue_filling_in(world, client, frozen):
    """Its button took the report form's "Continue" (继续填写, "continue filling in"),
    which read oddly after setting up a second factor; it has its own context now
    (继续 in the catalogue, "Continue" until the catalogue has it)."""
    signed_in_without_code(client, world.inspector)
    client.get(f"{ENROL}?next=/reporting/dashboard/")
    device = TOTPDevice.objects.get(user=world.inspector)
    response = client.post(ENROL, {"code": totp_code(device), "next": "/reporting/dashboard/"})
    page = client.get(response["Location"]).content.decode()
    [label] = re.findall(
        r'<a class="btn btn-primary" href="/reporting/dashboard/">([^<]*)</a>', page)
    assert label != "继续填写"
    assert label in ("继续", "Continue")


def test_a_wrong_first_code_is_refused_in_chinese_audited_and_nothing_confirmed(
        world, client, frozen):
    signed_in_without_code(client, world.inspector)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.inspector, confirmed=True).exists()
    [row] = audit_rows("device.verify_fail")
    assert (row.user, row.outcome, row.extra["kind"]) == (world.inspector, "denied", "enrol")
    assert client.get(HOME)["Location"].startswith(ENROL)


def test_someone_with_a_device_cannot_enrol_another_with_only_the_password(world, client):
    device = totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert client.post(ENROL, {"code": totp_code(device)})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=world.inspector).count() == 1
    with pytest.raises(devices.AlreadyEnrolled):
        devices.enrolment_start(world.inspector)


# ------------------------------------------------------------------ verification


def test_the_right_code_opens_the_page_asked_for(world, client, frozen):
    device = totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    asked = client.get(reverse("reporting:dashboard"))["Location"]
    response = client.post(asked, {"code": totp_code(device),
                                   "next": reverse("reporting:dashboard")})
    assert response["Location"] == reverse("reporting:dashboard")
    assert client.get(reverse("reporting:dashboard")).status_code == 200
    assert client.session[access.VERIFIED_AT_SESSION_KEY] == int(NOW.timestamp())


def test_next_never_leads_off_the_portal(world, client, frozen):
    device = totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_the_session_key_changes_when_the_code_is_accepted(world, client, frozen):
    device = totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    before = client.session.session_key
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.session.session_key != before


def test_a_replayed_code_is_refused(world, client, frozen):
    device = totp_device(world.inspector)
    code = totp_code(device)
    signed_in_without_code(client, world.inspector)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    client.logout()
    signed_in_without_code(client, world.inspector)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert client.get(HOME)["Location"].startswith(VERIFY)
    [row] = audit_rows("device.verify_fail")
    assert (row.outcome, row.extra["kind"]) == ("denied", "totp")


def test_wrong_codes_are_throttled_and_the_wait_is_stated(world, client, frozen):
    device = totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    for wait in (1, 2, 4, 8):  # django-otp: each failure doubles the wait
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
        frozen.shift(dt.timedelta(seconds=wait))
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    # After 5 failures the next try waits 16 s; even the right code is refused.
    frozen.shift(dt.timedelta(seconds=10))
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 400
    assert "请等待 6 秒后再试" in response.content.decode()
    frozen.shift(dt.timedelta(seconds=6))
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    rows = audit_rows("device.verify_fail")
    assert [r.extra["kind"] for r in rows] == ["totp"] * 5 + ["totp_throttled"]


def test_a_throttled_device_states_the_whole_wait(world, frozen):
    device = totp_device(world.inspector)
    for n in range(5):
        if n:
            frozen.shift(dt.timedelta(seconds=60))
        with pytest.raises(devices.CodeRefused):
            devices.verify(world.inspector, "000000")
    with pytest.raises(devices.CodeRefused) as refused:
        devices.verify(world.inspector, totp_code(device))
    assert refused.value.wait_seconds == 16


def test_a_recovery_code_works_once_and_is_audited(world, client, frozen):
    signed_in_without_code(client, world.inspector)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.inspector)
    _device, codes = devices.enrolment_confirm(world.inspector, totp_code(device))

    client.logout()
    signed_in_without_code(client, world.inspector)
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert client.get(HOME).status_code == 200
    [row] = audit_rows("device.recovery_use")
    assert (row.user, row.extra["new"]) == (world.inspector, 9)

    client.logout()
    signed_in_without_code(client, world.inspector)
    frozen.shift(dt.timedelta(seconds=5))
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 400
    assert "恢复码无效或已用过" in response.content.decode()
    assert audit_rows("device.verify_fail")[-1].extra["kind"] == "recovery"


def test_the_verify_page_sends_someone_without_a_device_to_enrol(world, client):
    signed_in_without_code(client, world.inspector)
    assert client.get(f"{VERIFY}?next=/x/")["Location"] == f"{ENROL}?next=%2Fx%2F"


# ------------------------------------------------------------------ step-up

pytestmark_urls = pytest.mark.urls("tests.plugin_app.urls")


@pytestmark_urls
def test_step_up_school_staff_without_a_device_enrol_first_then_come_back(
        world, client, frozen):
    signed_in_without_code(client, world.principal)
    page = reverse("plugin_sensitive")
    response = client.get(page)
    assert response["Location"] == f"{ENROL}?next=%2Fplugin%2Fsensitive%2F"
    client.get(response["Location"])
    device = TOTPDevice.objects.get(user=world.principal)
    done = client.post(ENROL, {"code": totp_code(device), "next": page})
    assert client.get(done["Location"]).context["next"] == page
    assert client.get(page).content == b"sensitive page"


@pytestmark_urls
def test_step_up_asks_for_a_code_when_none_was_given_in_this_session(world, client, frozen):
    device = totp_device(world.principal)
    signed_in_without_code(client, world.principal)
    page = reverse("plugin_sensitive")
    response = client.get(page)
    assert response["Location"] == f"{VERIFY}?next=%2Fplugin%2Fsensitive%2F"
    assert client.post(VERIFY, {"code": totp_code(device), "next": page})["Location"] == page
    assert client.get(page).status_code == 200


@pytestmark_urls
def test_step_up_lasts_two_hours_then_asks_again(world, client, settings, frozen):
    assert settings.STEP_UP_SECONDS == 2 * 60 * 60
    settings.SESSION_COOKIE_AGE = 3 * 60 * 60  # not signed out as idle meanwhile
    sign_in(client, world.principal, verified=True)
    page = reverse("plugin_sensitive")
    frozen.shift(dt.timedelta(hours=2))
    assert client.get(page).status_code == 200
    frozen.shift(dt.timedelta(seconds=1))
    assert client.get(page)["Location"].startswith(VERIFY)


@pytestmark_urls
def test_step_up_takes_a_shorter_max_age_for_a_more_sensitive_page(world, client, frozen):
    sign_in(client, world.principal, verified=True)
    frozen.shift(dt.timedelta(seconds=601))
    assert client.get(reverse("plugin_sensitive")).status_code == 200
    assert client.get(reverse("plugin_very_sensitive"))["Location"].startswith(VERIFY)


@pytestmark_urls
def test_step_up_applies_to_bureau_accounts_too_after_two_hours(world, client, settings,
                                                               frozen):
    settings.SESSION_COOKIE_AGE = 3 * 60 * 60  # not signed out as idle meanwhile
    sign_in(client, world.inspector)
    frozen.shift(dt.timedelta(hours=2, seconds=1))
    assert client.get(HOME).status_code == 200  # signed in with the code: still fine
    assert client.get(reverse("plugin_sensitive"))["Location"].startswith(VERIFY)


@pytestmark_urls
def test_step_up_sends_the_signed_out_to_sign_in(client, db):
    assert client.get(reverse("plugin_sensitive"))["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------ reset


def test_the_bureau_admin_resets_a_school_users_and_an_inspectors_device(world, client):
    for person in (world.principal, world.inspector):
        totp_device(person)
        StaticDevice.objects.create(user=person, name="recovery")
        assert devices.reset(person, by=world.bureau_admin, reason="lost") == 2
        assert not TOTPDevice.objects.filter(user=person).exists()
        assert not StaticDevice.objects.filter(user=person).exists()
    rows = audit_rows("device.reset")
    assert [(r.user, r.extra["subject_user"], r.extra["kind"]) for r in rows] == [
        (world.bureau_admin, world.principal.pk, "lost"),
        (world.bureau_admin, world.inspector.pk, "lost")]


def test_a_reset_ends_the_verification_of_the_persons_open_sessions(world, client):
    sign_in(client, world.inspector)
    assert client.get(HOME).status_code == 200
    devices.reset(world.inspector, by=world.bureau_admin, reason="compromised")
    assert client.get(HOME)["Location"].startswith(ENROL)


def test_nobody_but_a_superuser_resets_the_auditors_device(world):
    totp_device(world.auditor)
    with pytest.raises(PermissionDenied):
        devices.reset(world.auditor, by=world.bureau_admin, reason="lost")
    assert TOTPDevice.objects.filter(user=world.auditor).exists()
    assert not audit_rows("device.reset")
    root = UserFactory(username="root", is_superuser=True)
    devices.reset(world.auditor, by=root, reason="lost")
    assert not TOTPDevice.objects.filter(user=world.auditor).exists()


@pytest.mark.parametrize("who", ["inspector", "principal", "foreign_principal"])
def test_only_a_bureau_admin_of_the_persons_own_bureau_resets(world, who):
    subject = world.foreign_principal if who == "foreign_principal" else world.staff
    by = world.bureau_admin if who == "foreign_principal" else getattr(world, who)
    totp_device(subject)
    with pytest.raises(PermissionDenied):
        devices.reset(subject, by=by, reason="lost")
    assert TOTPDevice.objects.filter(user=subject).exists()


def test_a_reset_needs_one_of_the_listed_reasons(world):
    with pytest.raises(ValueError, match="reason"):
        devices.reset(world.staff, by=world.bureau_admin, reason="")


def test_the_admin_action_asks_for_a_reason_then_resets(world, login):
    totp_device(world.staff)
    totp_device(world.auditor)
    client = login(world.bureau_admin)
    url = reverse("admin:schools_user_changelist")
    ids = [world.staff.pk, world.auditor.pk]
    asked = client.post(url, {"action": "reset_second_factor", "_selected_action": ids})
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    done = client.post(url, {"action": "reset_second_factor", "_selected_action": ids,
                             "reason": "new_phone"}, follow=True)
    assert not TOTPDevice.objects.filter(user=world.staff).exists()
    assert TOTPDevice.objects.filter(user=world.auditor).exists()
    page = done.content.decode()
    assert "您无权重置此人的两步验证" in page
    assert [r.extra["kind"] for r in audit_rows("device.reset")] == ["new_phone"]


def test_the_inspector_has_no_reset_action(world, login):
    totp_device(world.staff)
    client = login(world.inspector)
    url = reverse("admin:schools_user_changelist")
    client.post(url, {"action": "reset_second_factor", "_selected_action": [world.staff.pk],
                      "reason": "lost"})
    assert TOTPDevice.objects.filter(user=world.staff).exists()


def test_the_bureau_admin_cannot_set_the_auditors_password(world, login):
    client = login(world.bureau_admin)
    url = reverse("admin:auth_user_password_change", args=[world.auditor.pk])
    response = client.post(url, {"password1": "Another-pass-2026", "password2":
                                 "Another-pass-2026"})
    assert response.status_code == 403
    world.auditor.refresh_from_db()
    assert world.auditor.check_password("correct-horse-42")


# ------------------------------------------------------------------ the auditor role


def test_the_bureau_admin_cannot_grant_the_auditor_role(world, login):
    client = login(world.bureau_admin)
    add = reverse("admin:schools_membership_add")
    assert 'value="auditor"' not in client.get(add).content.decode()
    response = client.post(add, {"user": world.staff.pk, "role": "auditor",
                                 "bureau": world.bureau.pk, "is_active": "on"})
    assert response.status_code == 200  # the form again, with the error
    assert not world.staff.memberships.filter(role=Role.AUDITOR).exists()


def test_the_bureau_admin_cannot_move_or_delete_the_auditors_membership(world, login):
    client = login(world.bureau_admin)
    membership = world.auditor.memberships.get()
    change = reverse("admin:schools_membership_change", args=[membership.pk])
    client.post(change, {"user": world.bureau_admin.pk, "role": "auditor",
                         "bureau": world.bureau.pk, "is_active": "on"})
    membership.refresh_from_db()
    assert membership.user == world.auditor
    client.post(reverse("admin:schools_membership_delete", args=[membership.pk]),
                {"post": "yes"})
    client.post(reverse("admin:schools_membership_changelist"),
                {"action": "delete_selected", "_selected_action": [membership.pk],
                 "post": "yes"})
    assert world.auditor.memberships.filter(pk=membership.pk, is_active=True).exists()


def test_only_a_superuser_may_grant_the_auditor_role(world):
    root = get_user_model().objects.create_superuser("root", password="x-long-password")
    assert access.may_grant_role(root, Role.AUDITOR)
    assert not access.may_grant_role(world.bureau_admin, Role.AUDITOR)
    assert access.may_grant_role(world.bureau_admin, Role.INSPECTOR)


def test_a_reset_of_another_bureaus_inspector_is_refused(world):
    other = bureau_member(world.other_bureau, Role.INSPECTOR, username="other-inspector")
    totp_device(other)
    assert not access.may_reset_credentials(world.bureau_admin, other)


def test_a_bureau_admin_cannot_reset_a_superusers_device(world):
    root = get_user_model().objects.create_superuser("root", password="x-long-password")
    MembershipFactory(user=root, role=Role.INSPECTOR, school=None, bureau=world.bureau)
    assert not access.may_reset_credentials(world.bureau_admin, root)
    assert access.may_reset_credentials(root, world.bureau_admin)


def test_the_code_page_names_none_of_the_accounts_pages(world, client):
    totp_device(world.inspector)
    signed_in_without_code(client, world.inspector)
    body = client.get(VERIFY).content.decode()
    for entry in ("nav-dashboard", "nav-review", "nav-admin", "nav-notices"):
        assert f'data-testid="{entry}"' not in body
    sign_in(client, world.inspector)
    assert 'data-testid="nav-dashboard"' in client.get(HOME).content.decode()


def test_school_staff_keep_their_bar_without_a_code(world, login):
    body = login(world.safety_officer).get(HOME).content.decode()
    assert 'data-testid="nav-reports"' in body
