"""The access layer: every "may this user see or do this" answer comes from here.

Rules are tables, not scattered ifs:

- SCHOOL_RULES: what a school role may do at its own school;
- BUREAU_SCHOOL_RULES: what a bureau role may do at any school of its bureau;
- GLOBAL_RULES: what is not about one school (the district overview, the audit log);
- ADMIN_MODEL_RULES: which bureau roles may view/add/change/delete each model in
  the Django admin. A model registered in the admin with no row here is refused
  to everyone but superusers, and the authorization matrix test fails.

Views call `get_school_for_user`/`require_perm`; querysets are scoped with
`.visible_to(user)`. A school the user may not see is a 404 (so its existence
does not leak); a school they may see but not act on is a 403. Every denial is
logged and sent to the audit trail through the `access_denied` signal (schools
is the ground floor and imports no other app; audit listens).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from ..models import SCHOOL_ROLES, Membership, Role, School
from .signals import access_denied

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

logger = logging.getLogger("safety_portal.access")

class Perm(StrEnum):
    VIEW_SCHOOL = "view_school"
    VIEW_SCHOOL_PEOPLE = "view_school_people"
    MANAGE_TASK_FORCE = "manage_task_force"
    VIEW_DISTRICT = "view_district"
    VIEW_AUDIT_LOG = "view_audit_log"
    USE_ADMIN = "use_admin"
    VIEW_REPORT = "view_report"
    EDIT_REPORT = "edit_report"
    REVIEW_REPORT = "review_report"
    # notifications' school group robot page (issue 7): the principal alone sets
    # up where the school's group messages go. The lead may move it to a rule file.
    MANAGE_GROUP_ROBOT = "manage_group_robot"


SCHOOL_RULES: dict[Perm, frozenset[Role]] = {
    Perm.VIEW_SCHOOL: SCHOOL_ROLES,
    Perm.VIEW_SCHOOL_PEOPLE: frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER}),
    Perm.MANAGE_TASK_FORCE: frozenset({Role.PRINCIPAL}),
    # Progress reports are the school's account of its campaign work (no child
    # data); the principal and the safety officer write them.
    Perm.VIEW_REPORT: frozenset(
        {Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.HEAD_TEACHER, Role.COUNSELOR}),
    Perm.EDIT_REPORT: frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER}),
    Perm.MANAGE_GROUP_ROBOT: frozenset({Role.PRINCIPAL}),
}
BUREAU_SCHOOL_RULES: dict[Perm, frozenset[Role]] = {
    Perm.VIEW_SCHOOL: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
    Perm.VIEW_SCHOOL_PEOPLE: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
    Perm.MANAGE_TASK_FORCE: frozenset({Role.BUREAU_ADMIN}),
    Perm.VIEW_REPORT: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
    Perm.REVIEW_REPORT: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
}
GLOBAL_RULES: dict[Perm, frozenset[Role]] = {
    Perm.VIEW_DISTRICT: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
    # The auditor reads the audit log and nothing else; nobody else reads it, so
    # the people it watches cannot read (or learn to avoid) it.
    Perm.VIEW_AUDIT_LOG: frozenset({Role.AUDITOR}),
    Perm.USE_ADMIN: frozenset({Role.BUREAU_ADMIN, Role.INSPECTOR}),
}

_BA, _IN = Role.BUREAU_ADMIN, Role.INSPECTOR
_NONE: frozenset[Role] = frozenset()


def _admin_rule(view=_NONE, add=_NONE, change=_NONE, delete=_NONE) -> dict[str, frozenset[Role]]:
    return {"view": frozenset(view), "add": frozenset(add), "change": frozenset(change),
            "delete": frozenset(delete)}


ADMIN_MODEL_RULES: dict[str, dict[str, frozenset[Role]]] = {
    "schools.user": _admin_rule(view={_BA}, add={_BA}, change={_BA}),
    "schools.bureau": _admin_rule(view={_BA, _IN}, change={_BA}),
    "schools.school": _admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}),
    "schools.schoolclass": _admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
    "schools.membership": _admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}, delete={_BA}),
    "schools.taskforcemember": _admin_rule(view={_BA, _IN}, add={_BA}, change={_BA},
                                           delete={_BA}),
    # Campaigns and their calendar belong to the bureau admin; reports are
    # reviewed through admin actions (approve/return), never edited in place.
    "reporting.campaign": _admin_rule(view={_BA, _IN}, add={_BA}, change={_BA}),
    "reporting.deadline": _admin_rule(view={_BA, _IN}, change={_BA}),
    "reporting.progressreport": _admin_rule(view={_BA, _IN}),
    # The outbox, for checking that a notice went out; written by services only.
    "notifications.notice": _admin_rule(view={_BA}),
    # A locked-out teacher is unlocked by deleting their attempt record.
    "axes.accessattempt": _admin_rule(view={_BA}, delete={_BA}),
    "axes.accesslog": _admin_rule(view={_BA}),
    "axes.accessfailurelog": _admin_rule(view={_BA}),
    # Schedules are operated by deployment (setup_periodic_tasks), not by hand:
    # superusers only.
    "django_celery_beat.periodictask": _admin_rule(),
    "django_celery_beat.crontabschedule": _admin_rule(),
    "django_celery_beat.intervalschedule": _admin_rule(),
    "django_celery_beat.solarschedule": _admin_rule(),
    "django_celery_beat.clockedschedule": _admin_rule(),
}


@dataclass
class Grants:
    """What one user holds, loaded once per request."""

    school_roles: dict[int, set[Role]] = field(default_factory=lambda: defaultdict(set))
    bureau_roles: dict[int, set[Role]] = field(default_factory=lambda: defaultdict(set))

    @property
    def all_bureau_roles(self) -> set[Role]:
        return set().union(*self.bureau_roles.values()) if self.bureau_roles else set()

    @property
    def all_school_roles(self) -> set[Role]:
        return set().union(*self.school_roles.values()) if self.school_roles else set()


_CACHE_ATTR = "_safety_portal_grants"


def grants(user) -> Grants:
    """The user's active roles. Cached on the user object, which Django loads
    afresh on every request, so a demotion takes effect on the next request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Grants()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    result = Grants()
    rows = Membership.objects.filter(user=user, is_active=True).values_list(
        "role", "school_id", "bureau_id"
    )
    for role, school_id, bureau_id in rows:
        if school_id is not None:
            result.school_roles[school_id].add(Role(role))
        else:
            result.bureau_roles[bureau_id].add(Role(role))
    setattr(user, _CACHE_ATTR, result)
    return result


def forget(user) -> None:
    """Drop the cached grants (after a membership change in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_active_user(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def has_perm(user, perm: Perm) -> bool:
    """A permission that is not about one school."""
    if not is_active_user(user):
        return False
    if user.is_superuser and perm in (Perm.USE_ADMIN,):
        return True
    return bool(grants(user).all_bureau_roles & GLOBAL_RULES.get(perm, _NONE))


def can(user, perm: Perm, school: School) -> bool:
    """May `user` exercise `perm` at `school`?"""
    if not is_active_user(user):
        return False
    g = grants(user)
    if g.school_roles.get(school.pk, set()) & SCHOOL_RULES.get(perm, _NONE):
        return True
    return bool(g.bureau_roles.get(school.bureau_id, set()) & BUREAU_SCHOOL_RULES.get(perm, _NONE))


def can_manage_campaign(user, bureau_id: int) -> bool:
    """Create campaigns and move their deadlines: the bureau admin of that bureau."""
    if not is_active_user(user):
        return False
    return Role.BUREAU_ADMIN in grants(user).bureau_roles.get(bureau_id, set())


def can_review_in_bureau(user, bureau_id: int) -> bool:
    """Approve or return reports of this bureau's schools."""
    if not is_active_user(user):
        return False
    held = grants(user).bureau_roles.get(bureau_id, set())
    return bool(held & BUREAU_SCHOOL_RULES[Perm.REVIEW_REPORT])


def visible_school_ids_q(user) -> Q:
    """The filter behind School.objects.visible_to(user)."""
    if not is_active_user(user):
        return Q(pk__in=[])
    g = grants(user)
    viewer_roles = BUREAU_SCHOOL_RULES[Perm.VIEW_SCHOOL]
    bureau_ids = [b for b, roles in g.bureau_roles.items() if roles & viewer_roles]
    school_ids = [
        s for s, roles in g.school_roles.items() if roles & SCHOOL_RULES[Perm.VIEW_SCHOOL]
    ]
    return Q(bureau_id__in=bureau_ids) | Q(pk__in=school_ids)


def roles_at(user, school: School) -> set[Role]:
    return set(grants(user).school_roles.get(school.pk, set()))


def is_bureau_user(user) -> bool:
    return bool(grants(user).all_bureau_roles)


def admin_allows(user, model_label: str, action: str) -> bool:
    """Django admin: may `user` perform `action` (view/add/change/delete) on a model?"""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    rule = ADMIN_MODEL_RULES.get(model_label)
    if rule is None:
        return False
    allowed = rule[action]
    if action == "view":
        # Whoever may change may also view, as in Django's own permission model.
        allowed = allowed | rule["change"]
    return bool(grants(user).all_bureau_roles & allowed)


def admin_bureau_ids(user) -> list[int] | None:
    """Bureaus whose rows the user sees in the admin; None means all (superuser)."""
    if user.is_superuser:
        return None
    return list(grants(user).bureau_roles)


# ------------------------------------------------------------------ view helpers


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def deny(request: HttpRequest, perm: str, target: str, *, status: int) -> None:
    """Record a refused access, then raise the matching exception."""
    user = request.user
    logger.warning(
        "access denied user=%r perm=%r target=%r status=%s ip=%r",
        getattr(user, "username", None), str(perm), target, status, client_ip(request),
    )
    access_denied.send(
        sender=None, request=request, user=user, perm=str(perm), target=target, status=status
    )
    if status == 404:
        raise Http404
    raise PermissionDenied


def get_school_for_user(request: HttpRequest, pk: int, perm: Perm = Perm.VIEW_SCHOOL) -> School:
    """The school `pk` if the user may see it and exercise `perm` there.

    Not visible: 404, as if it did not exist. Visible but not allowed: 403.
    """
    school = School.objects.visible_to(request.user).filter(pk=pk).first()
    if school is None:
        deny(request, perm, f"school:{pk}", status=404)
    if not can(request.user, perm, school):
        deny(request, perm, f"school:{pk}", status=403)
    return school


def require_perm(perm: Perm) -> Callable:
    """View decorator: sign-in required, then a global permission, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_perm(request.user, perm):
                deny(request, perm, request.path, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

