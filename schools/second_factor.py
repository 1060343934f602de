"""Second-factor devices: enrolment, verification, recovery codes, reset
(security.md G6; issue 9 item 6). Views, the admin action and the demo call
these; nothing else touches django-otp's devices.

A person has at most one TOTP device (an authenticator app, 30-second codes)
and one static device holding RECOVERY_CODES single-use recovery codes, shown
once when the TOTP device is confirmed. django-otp refuses a code already used
(TOTPDevice.last_t) and throttles wrong ones per device (1, 2, 4, 8, 16 … s).

Every enrolment, failed code, recovery-code use and reset is announced through
core.signals.business_action and so is an audit row ("device.enrol",
"device.verify_fail" with outcome denied, "device.recovery_use",
"device.reset"); schools may not import audit. Codes and keys are never
announced, logged or put in a task.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.signals import business_action

from . import access

if TYPE_CHECKING:
    from .models import User

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
TOTP_CODE = re.compile(r"^\d{6}$")

# Why a device is reset: a fixed list, so the audit row can carry it (audit
# rows keep no free text).
RESET_REASONS = {
    "lost": gettext_lazy("Phone lost or stolen"),
    "new_phone": gettext_lazy("New phone"),
    "app_removed": gettext_lazy("Authenticator app removed or reset"),
    "compromised": gettext_lazy("Code or key may be known to someone else"),
}


class CodeRefused(Exception):
    """A code was not accepted. `wait_seconds` is set when the device is
    throttled (too many wrong codes): no code is tried until then."""

    def __init__(self, message: str, wait_seconds: int | None = None):
        super().__init__(message)
        self.message = message
        self.wait_seconds = wait_seconds


class AlreadyEnrolled(Exception):
    """The person already has a confirmed TOTP device: enrolling another needs a
    reset by the bureau admin first (else a stolen password would do)."""


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret_groups: str  # the base32 key in groups of four, for typing by hand
    qr_svg: str  # an inline <svg> of the otpauth:// URL, no script, no style


def _announce(code: str, *, by, subject, request, outcome: str = "allowed", **extra) -> None:
    business_action.send(sender=None, code=code, by=by, obj=subject, request=request,
                         outcome=outcome, extra={"subject_user": subject.pk, **extra})


def _wait_message(seconds: int) -> str:
    return _("Too many wrong codes. Wait %(seconds)s seconds, then try again.") % {
        "seconds": seconds}


def _wait_seconds(device) -> int | None:
    allowed, data = device.verify_is_allowed()
    if allowed or not data or data.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return None
    left = (data["locked_until"] - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


def secret_groups(device: TOTPDevice) -> str:
    """The device's key as its authenticator app wants it typed: base32,
    upper case, in groups of four separated by spaces."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice, label: str) -> str:
    """An inline SVG QR code of the device's otpauth:// URL (drawn here: no
    CDN, no script, no style attribute, so the CSP holds). `label` is the
    accessible name."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="220" height="220"', svg, count=1)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def enrolment_start(user: User) -> Enrolment:
    """The unconfirmed TOTP device `user` is enrolling (created on first call,
    the same key on every later call until confirmed), with its key in groups
    of four and its QR code. Raises AlreadyEnrolled if `user` has a confirmed
    device."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AlreadyEnrolled
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return Enrolment(device=device, secret_groups=secret_groups(device),
                     qr_svg=qr_svg(device, _("QR code for your authenticator app")))


def _check(device, code: str, *, user, request, kind: str) -> CodeRefused | None:
    """Verify `code` on `device` (locked for update), announcing a failure.
    Returns the refusal (raised by the caller once the transaction has
    committed: the throttle's count and the audit row must stay), or None."""
    wait = _wait_seconds(device)
    if wait is not None:
        _announce("device.verify_fail", by=user, subject=user, request=request,
                  outcome="denied", kind=f"{kind}_throttled")
        return CodeRefused(_wait_message(wait), wait)
    if device.verify_token(code):
        return None
    _announce("device.verify_fail", by=user, subject=user, request=request,
              outcome="denied", kind=kind)
    if kind == "recovery":
        return CodeRefused(_("That recovery code is not valid or has already been used."))
    return CodeRefused(_("That code is not right. Type the 6-digit code your authenticator "
                         "app shows now; each code can be used once."))


def _normalise(code: str) -> str:
    return re.sub(r"[\s\-]", "", str(code or "")).lower()


def enrolment_confirm(user: User, code: str, *, request=None) -> tuple[TOTPDevice, list[str]]:
    """Confirm `user`'s unconfirmed device with its first code, replace any old
    recovery codes with RECOVERY_CODES new ones and return (device, codes); the
    codes are shown once and never again (the tokens themselves are stored as
    django-otp stores them). Raises AlreadyEnrolled if a device is
    confirmed already, CodeRefused for a wrong, used or throttled code
    (announced as "device.verify_fail"). Announced as "device.enrol"."""
    code = _normalise(code)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise AlreadyEnrolled
        device = (TOTPDevice.objects.select_for_update()
                  .filter(user=user, confirmed=False).order_by("pk").first())
        if device is None:
            raise CodeRefused(_("Start again: reload the page to get a new QR code."))
        refused = _check(device, code, user=user, request=request, kind="enrol")
        if refused is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _replace_recovery_codes(user)
            _announce("device.enrol", by=user, subject=user, request=request, kind="totp")
    if refused is not None:
        raise refused
    return device, codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def verify(user: User, code: str, *, request=None):
    """Check a 6-digit TOTP code, or else a recovery code (spaces and dashes
    ignored, any case), against `user`'s confirmed devices and return the
    device that accepted it. Raises CodeRefused (wrong, already used, or
    throttled: then with wait_seconds), announced as "device.verify_fail";
    a recovery code used is announced as "device.recovery_use" (new: the
    number of codes left). A user with no such device gets CodeRefused."""
    code = _normalise(code)
    with transaction.atomic():
        if TOTP_CODE.match(code):
            device = (TOTPDevice.objects.select_for_update()
                      .filter(user=user, confirmed=True).order_by("pk").first())
            kind = "totp"
        else:
            device = (StaticDevice.objects.select_for_update()
                      .filter(user=user, confirmed=True).order_by("pk").first())
            kind = "recovery"
        if device is None:
            _announce("device.verify_fail", by=user, subject=user, request=request,
                      outcome="denied", kind=kind)
            refused = CodeRefused(_("That code is not right. Type the 6-digit code your "
                                    "authenticator app shows now; each code can be used "
                                    "once."))
        else:
            refused = _check(device, code, user=user, request=request, kind=kind)
        if refused is None and kind == "recovery":
            _announce("device.recovery_use", by=user, subject=user, request=request,
                      kind="recovery", new=device.token_set.count())
    if refused is not None:
        raise refused
    return device


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes `user` has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(subject: User, *, by: User, reason: str, request=None) -> int:
    """Remove every TOTP device and recovery code of `subject`, so that they
    enrol again at their next sign-in (or step-up); their sessions lose the
    verification at once (django-otp finds no device). `reason` is a key of
    RESET_REASONS (ValueError otherwise). Raises PermissionDenied unless
    schools.access.may_reset_credentials(by, subject): never the auditor's,
    never outside the admin's bureau. Announced as "device.reset" (kind: the
    reason). Returns the number of devices removed. Rule: security.md G6;
    issue 9 items 6 and 7."""
    if reason not in RESET_REASONS:
        raise ValueError(f"unknown reset reason {reason!r}")
    if not access.may_reset_credentials(by, subject):
        raise PermissionDenied
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=subject).delete()[1].get(
            TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user=subject).delete()[1].get(
            StaticDevice._meta.label, 0)
        _announce("device.reset", by=by, subject=subject, request=request, kind=reason)
    return removed


def demo_device(user: User, key_hex: str) -> TOTPDevice:
    """Give `user` a confirmed TOTP device with the fixed key `key_hex` (40 hex
    digits): the demo only (seed_demo), so that `manage.py totp_code` can print
    the current code. Replaces any device the user had."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key_hex, confirmed=True)
