"""Who must show a second factor, and when (security.md G6; issue 9 item 6).

One policy, read by the sign-in middleware, the admin site, the step-up
decorator and the device reset:

- `second_factor_required(user)`: at sign-in, before any other page. Every
  account holding a bureau role (bureau admin, inspector, auditor) and every
  account that may reach the admin site by its flags (is_staff, is_superuser).
  School staff are not asked at sign-in: they are asked by `step_up` before a
  child-level sensitive page.
- `require_recent_second_factor(max_age=settings.STEP_UP_SECONDS)`: a view
  decorator for child-level sensitive pages. The session's last successful code
  must be younger than `max_age` seconds, else the verify page (or the enrol
  page, for someone with no device yet) and back through `next`.
- `may_reset_credentials(by, subject)` / `may_grant_role(by, role)` /
  `may_manage_account(by, subject)` / `may_place_membership(by, subject, ...)`:
  separation of duties. The bureau admin resets the devices (and passwords) of
  the people of their own bureau and its schools, never the auditor's, never
  those of someone who also belongs to another bureau, never grants the
  auditor role (only a superuser, by deployment, does), and gives roles only
  at their own bureau and its schools, to people of no other bureau.

The time of the last verification is kept in the session as epoch seconds
(`VERIFIED_AT_SESSION_KEY`), next to django-otp's own device key.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse

from ..models import BUREAU_ROLES, Membership, Role
from .engine import bureaus_for, deny, grants, holds_anywhere, is_active_user, perm

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

__all__ = [
    "VERIFIED_AT_SESSION_KEY", "has_second_factor_device", "may_grant_role",
    "may_manage_account", "may_place_membership", "may_reset_credentials",
    "mark_second_factor_verified", "require_recent_second_factor",
    "second_factor_age", "second_factor_required", "second_factor_satisfied",
    "second_factor_url",
]

# Epoch seconds (int) of the session's last successful TOTP or recovery code.
VERIFIED_AT_SESSION_KEY = "sp_2fa_at"

# Only a superuser (a deployment step) grants these; a bureau admin cannot.
RESERVED_ROLES = frozenset({Role.AUDITOR})


def second_factor_required(user) -> bool:
    """True when `user` must enter a TOTP code right after the password, before
    any other page: any active bureau role, or the admin site's flags
    (is_staff, is_superuser). False for school staff (asked only by step-up),
    signed-out and inactive users. No query beyond the cached grants.
    Rule: security.md G6 "TOTP at sign-in for 100% of bureau accounts and the
    admin site"; issue 9 item 6."""
    if not is_active_user(user):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(grants(user).all_bureau_roles & BUREAU_ROLES)


def has_second_factor_device(user) -> bool:
    """Whether `user` has a confirmed TOTP device (one query)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_satisfied(request: HttpRequest) -> bool:
    """True when the signed-in user of `request` has verified a device in this
    session (django-otp's OTPMiddleware: `request.user.is_verified()`)."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def mark_second_factor_verified(request: HttpRequest, device) -> None:
    """Record in the session that `device` (one of request.user's django-otp
    devices) has just verified a code: django_otp.login (the device's
    persistent id under its session key) plus the time now, epoch seconds,
    under VERIFIED_AT_SESSION_KEY. The session key is rotated: a step up in
    privilege gets a new session id (G7)."""
    from django_otp import login as otp_login

    request.session.cycle_key()
    otp_login(request, device)
    request.session[VERIFIED_AT_SESSION_KEY] = int(time.time())


def second_factor_age(request: HttpRequest) -> float | None:
    """Seconds since the session's last successful second factor, or None when
    there is none (or django-otp no longer vouches for the device: it was
    reset)."""
    at = request.session.get(VERIFIED_AT_SESSION_KEY)
    if at is None or not second_factor_satisfied(request):
        return None
    return time.time() - float(at)


def second_factor_url(request: HttpRequest, *, enrol: bool) -> str:
    """The verify (or enrol) page, with `next` = the page asked for."""
    name = "second_factor_enrol" if enrol else "second_factor_verify"
    return f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"


def require_recent_second_factor(view: Callable | None = None, *,
                                 max_age: int | None = None, perm=None,
                                 target: str = "") -> Callable:
    """View decorator for child-level sensitive pages (step-up, "sudo mode").

    Signed out → the sign-in page. No confirmed TOTP device → the enrol page;
    no verification in this session, or one older than `max_age` seconds
    (default settings.STEP_UP_SECONDS, 2 h) → the verify page; both with
    ``next`` set to this page, which they return to. With `perm` (a Perm), a
    signed-in user who holds it nowhere — no school role, bureau role or
    global grant carries it — is refused (403, audited through deny) before
    being asked for a code: nobody types a code only to learn the page is not
    theirs; `target` (a model label such as "schools.pupil") names the record
    of the URL's ``code`` in that refusal's audit row. The view still checks
    the record itself. Use as
    ``@require_recent_second_factor``,
    ``@require_recent_second_factor(perm=SchoolsPerm.VIEW_PUPIL)`` or
    ``@require_recent_second_factor(max_age=600)``.
    Rule: security.md G6 "a recent TOTP (step-up, default 2 h) before any
    child-level sensitive page"; issue 9 item 6."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not is_active_user(request.user):
                return redirect_to_login(request.get_full_path())
            if perm is not None and not holds_anywhere(request.user, perm):
                deny(request, perm, request.path, status=403, target_type=target,
                     target_code=str(kwargs.get("code", "")) if target else "")
            limit = settings.STEP_UP_SECONDS if max_age is None else max_age
            age = second_factor_age(request)
            if age is None or age > limit:
                enrol = not has_second_factor_device(request.user)
                return redirect(second_factor_url(request, enrol=enrol))
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def may_grant_role(by, role: str) -> bool:
    """May `by` give anyone `role`? The reserved roles (the auditor) only by a
    superuser; other roles as the admin's own rules allow (this adds no
    right). Rule: security.md G6 "the bureau admin can neither grant the
    auditor role…"; issue 9 item 7."""
    if not is_active_user(by):
        return False
    return by.is_superuser or Role(role) not in RESERVED_ROLES


def may_reset_credentials(by, subject) -> bool:
    """May `by` reset `subject`'s credentials (remove their second-factor
    devices, set their password in the admin)? A superuser: anyone.
    Otherwise `by` must hold "schools.reset_second_factor" in a bureau where
    `subject` holds a role (at the bureau or one of its schools), and
    `subject` must be neither a superuser nor the holder of a reserved role
    (the auditor). Rule: security.md G6 "…nor reset the auditor's
    credentials"; issue 9 items 6 and 7."""
    if not is_active_user(by):
        return False
    if by.is_superuser:
        return True
    if subject.is_superuser:
        return False
    held = Membership.objects.filter(user=subject).values_list("role", flat=True)
    if RESERVED_ROLES & {Role(r) for r in held}:
        return False
    bureaus = bureaus_for(by, perm("schools.reset_second_factor"))
    return bool(bureaus) and _belongs_only_to(subject, bureaus, placed=True)


def _belongs_only_to(subject, bureaus: list[int], *, placed: bool) -> bool:
    """Whether every membership of `subject` (active or not) is at one of
    `bureaus` or their schools; with placed=True, and there is at least one.
    Two queries at most."""
    memberships = Membership.objects.filter(user=subject)
    outside = memberships.exclude(Q(bureau_id__in=bureaus) | Q(school__bureau_id__in=bureaus))
    if outside.exists():
        return False
    return memberships.exists() if placed else True


def may_manage_account(by, subject) -> bool:
    """May `by` change `subject`'s account (its details, whether it is active)
    or give them a role? A superuser: anyone. Otherwise `by` must hold
    "schools.manage_accounts" in some bureau, `subject` must not be a
    superuser, and every membership `subject` has (at a bureau or a school,
    active or not) must be in the bureaus where `by` holds it — so a person
    who also belongs to another bureau is that bureau's too, and neither admin
    alone manages them. Someone with no membership yet (an account just made)
    may be managed. Rule: security.md G6 (separation of duties); issue 9
    item 7."""
    if not is_active_user(by):
        return False
    if by.is_superuser:
        return True
    if subject is None or getattr(subject, "is_superuser", False):
        return False
    bureaus = bureaus_for(by, perm("schools.manage_accounts"))
    return bool(bureaus) and _belongs_only_to(subject, bureaus, placed=False)


def may_place_membership(by, subject, *, role: str, school=None, bureau_id=None) -> bool:
    """May `by` give `subject` the role `role` at `school` (a School) or at
    bureau `bureau_id`? `may_grant_role(by, role)`, `may_manage_account(by,
    subject)`, and the place must be in a bureau where `by` holds
    "schools.manage_accounts" (a superuser: anywhere). Rule: issue 9 item 7
    (a bureau admin gives roles in their own bureau only)."""
    if not may_grant_role(by, role) or not may_manage_account(by, subject):
        return False
    if by.is_superuser:
        return True
    place = school.bureau_id if school is not None else bureau_id
    return place is not None and place in bureaus_for(by, perm("schools.manage_accounts"))
