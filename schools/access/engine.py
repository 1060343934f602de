"""The access engine: every "may this user see or do this" answer comes from here.

It knows roles, grants and the two ways a record belongs somewhere (a school, a
bureau) or to someone (its owner), and no domain: the permissions, the role
tables, the admin rows and how each model says whose it is come from each app's
``access_rules`` module, merged by rules.py on first use.

Views call `get_for_user` (fetch what the user may see, check the perm, refuse:
404 when the record is not visible, so its existence does not leak; 403 when it
is visible but the perm is not held) or `require_perm` (a global perm).
Services and workflows ask `can`, `can_in_bureau`, `has_perm` or `allows`.
Querysets are scoped with `School.objects.visible_to(user)`, `schools_for`,
`bureaus_for`. Nothing outside this package reads the grants themselves
(tests/schools/test_access_boundary.py holds it there).

Every denial is logged and sent through `access_denied`; every open of a
sensitive record through `access_granted` (schools is the ground floor and
imports no other app; audit listens).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from ipware import get_client_ip

from ..models import Membership, Pupil, Role, School, SchoolClass
from ..school_year import current_school_year
from .rules import BureauScope, OwnerScope, Perm, PupilScope, SchoolScope, rulebook
from .signals import access_denied, access_granted

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

__all__ = [
    "Perm", "admin_allows", "admin_bureau_ids", "admin_model_labels", "allows", "bureaus_for",
    "can", "can_for_pupil", "can_in_bureau", "client_ip", "deny", "forget", "get_for_user",
    "has_perm", "holds_anywhere", "is_active_user", "led_class_ids", "perm", "pupils_visible_q",
    "require_perm", "school_roles_of", "schools_for", "visible_school_ids_q",
]

logger = logging.getLogger("safety_portal.access")


@dataclass
class Grants:
    """What one user holds, loaded once per request. Private to this package."""

    school_roles: dict[int, set[Role]] = field(default_factory=lambda: defaultdict(set))
    bureau_roles: dict[int, set[Role]] = field(default_factory=lambda: defaultdict(set))
    # {school id: ids of the classes led there this school year by a
    # class-bound role}; loaded on first need (one query), None until then.
    led_classes: dict[int, frozenset[int]] | None = None

    @property
    def all_bureau_roles(self) -> set[Role]:
        return set().union(*self.bureau_roles.values()) if self.bureau_roles else set()


_CACHE_ATTR = "_safety_portal_grants"


def grants(user) -> Grants:
    """The user's active roles. Cached on the user object, which Django loads
    afresh on every request, so a demotion takes effect on the next request.
    Only this package reads it; everyone else asks a question below."""
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


_NONE: frozenset[Role] = frozenset()


# ------------------------------------------------------------------ questions


def perm(code: str) -> Perm:
    """The Perm member with this code ("reporting.view_report"), for code below
    the app that declares it (schools may not import reporting). Raises
    ImproperlyConfigured when no rule file declares it, so a typo fails loudly."""
    try:
        return rulebook().perms[code]
    except KeyError:
        raise ImproperlyConfigured(f"no access_rules module declares {code!r}") from None


def has_perm(user, perm: Perm) -> bool:
    """A permission that is not about one school or bureau (GLOBAL_RULES, or
    SUPERUSER_PERMS for a superuser). False for signed-out or inactive users."""
    if not is_active_user(user):
        return False
    book = rulebook()
    if user.is_superuser and perm in book.superuser:
        return True
    return bool(grants(user).all_bureau_roles & book.global_.get(perm, _NONE))


def can(user, perm: Perm, school: School) -> bool:
    """May `user` exercise `perm` at `school`: by a role at that very school
    (SCHOOL_RULES) or a role in that school's bureau (BUREAU_RULES)?"""
    if not is_active_user(user):
        return False
    book = rulebook()
    g = grants(user)
    if g.school_roles.get(school.pk, _NONE) & book.school.get(perm, _NONE):
        return True
    return bool(g.bureau_roles.get(school.bureau_id, _NONE) & book.bureau.get(perm, _NONE))


def can_in_bureau(user, perm: Perm, bureau_id: int) -> bool:
    """May `user` exercise `perm` at the level of bureau `bureau_id` (BUREAU_RULES)?"""
    if not is_active_user(user):
        return False
    held = grants(user).bureau_roles.get(bureau_id, _NONE)
    return bool(held & rulebook().bureau.get(perm, _NONE))


def bureaus_for(user, perm: Perm | None) -> list[int]:
    """Ids of the bureaus where `user` holds `perm` by a bureau role, sorted; with
    perm=None, every bureau where the user holds any role. [] when signed out."""
    if not is_active_user(user):
        return []
    bureau_roles = grants(user).bureau_roles
    if perm is None:
        return sorted(b for b, roles in bureau_roles.items() if roles)
    allowed = rulebook().bureau.get(perm, _NONE)
    return sorted(b for b, roles in bureau_roles.items() if roles & allowed)


def schools_for(user, perm: Perm) -> list[int]:
    """Ids of the schools where `user` holds `perm` by a role at that school
    (not through a bureau), sorted. [] when signed out."""
    if not is_active_user(user):
        return []
    allowed = rulebook().school.get(perm, _NONE)
    return sorted(s for s, roles in grants(user).school_roles.items() if roles & allowed)


def holds_anywhere(user, perm: Perm) -> bool:
    """Does `user` hold `perm` somewhere: at a school, in a bureau or
    globally? False when signed out. For refusing a whole page before any
    record is looked up (require_recent_second_factor(perm=…))."""
    return bool(schools_for(user, perm) or bureaus_for(user, perm) or has_perm(user, perm))


def school_roles_of(user) -> dict[int, frozenset[Role]]:
    """{school id: the roles the user holds there}, for showing who someone is
    (the workbench's cards); decisions ask `can`/`schools_for` instead."""
    if not is_active_user(user):
        return {}
    return {s: frozenset(roles) for s, roles in grants(user).school_roles.items() if roles}


def led_class_ids(user) -> dict[int, frozenset[int]]:
    """{school id: ids of the classes `user` leads there in the current school
    year} through an active membership in a class-bound role (the head
    teacher, CLASS_BOUND_ROLES). One query, then cached with the grants. {}
    when signed out."""
    if not is_active_user(user):
        return {}
    g = grants(user)
    if g.led_classes is None:
        book = rulebook()
        led: dict[int, set[int]] = defaultdict(set)
        if book.class_bound and any(roles & book.class_bound
                                    for roles in g.school_roles.values()):
            rows = SchoolClass.objects.filter(
                school_year=current_school_year(),
                head_teacher_memberships__user=user,
                head_teacher_memberships__is_active=True,
                head_teacher_memberships__role__in=sorted(book.class_bound),
            ).values_list("school_id", "id")
            for school_id, class_id in rows:
                if book.class_bound & g.school_roles.get(school_id, set()):
                    led[school_id].add(class_id)
        g.led_classes = {s: frozenset(ids) for s, ids in led.items()}
    return g.led_classes


def _pupil_perm(perm: Perm | None) -> Perm:
    book = rulebook()
    if perm is None:
        if book.pupil_visibility is None:
            raise ImproperlyConfigured("no access_rules module declares PUPIL_VISIBILITY")
        return book.pupil_visibility
    return perm


def pupils_visible_q(user, perm: Perm | None = None) -> Q:
    """The filter on Pupil behind `Pupil.objects.visible_to(user)`: the pupils
    of every school where the user holds `perm` (default PUPIL_VISIBILITY,
    "schools.view_pupil") by a role that is not class-bound, those in the
    classes they lead this school year where they hold it only by a
    class-bound role (the head teacher), and those of every bureau where a
    bureau role holds it (no bureau rule does today: bureau pages count).
    Rule: issue 9 item 4."""
    if not is_active_user(user):
        return Q(pk__in=[])
    perm = _pupil_perm(perm)
    book = rulebook()
    allowed = book.school.get(perm, _NONE)
    whole, by_class = [], []
    for school_id, roles in grants(user).school_roles.items():
        held = roles & allowed
        if held - book.class_bound:
            whole.append(school_id)
        elif held:
            by_class.extend(led_class_ids(user).get(school_id, ()))
    q = Q(pk__in=[])
    if whole:
        q |= Q(school_id__in=sorted(whole))
    if by_class:
        q |= Q(current_class_id__in=sorted(by_class))
    bureaus = bureaus_for(user, perm)
    if bureaus:
        q |= Q(bureau_id__in=bureaus)
    return q


def can_for_pupil(user, perm: Perm, pupil: Pupil) -> bool:
    """May `user` exercise `perm` (a child-level permission) on `pupil`? The
    same reach as pupils_visible_q, for one pupil, with no query beyond the
    grants and the led classes."""
    if not is_active_user(user):
        return False
    book = rulebook()
    held = grants(user).school_roles.get(pupil.school_id, _NONE) & book.school.get(perm, _NONE)
    if held - book.class_bound:
        return True
    if held and pupil.current_class_id in led_class_ids(user).get(pupil.school_id, ()):
        return True
    return can_in_bureau(user, perm, pupil.bureau_id)


def visible_school_ids_q(user) -> Q:
    """The filter behind School.objects.visible_to(user): the schools where the
    user holds the rulebook's SCHOOL_VISIBILITY perm."""
    if not is_active_user(user):
        return Q(pk__in=[])
    book = rulebook()
    perm = book.school_visibility
    return Q(bureau_id__in=bureaus_for(user, perm)) | Q(pk__in=schools_for(user, perm))


# ------------------------------------------------------------------ records


def _label(model) -> str:
    return model._meta.label_lower


def _scoped(queryset: QuerySet, user, scope) -> QuerySet:
    """`queryset` narrowed to the records `user` may know exist."""
    if not is_active_user(user):
        return queryset.none()
    if isinstance(scope, SchoolScope):
        if scope.seen_with is not None:
            held = (Q(pk__in=schools_for(user, scope.seen_with))
                    | Q(bureau_id__in=bureaus_for(user, scope.seen_with)))
            visible = School.objects.filter(held)
        else:
            visible = School.objects.filter(visible_school_ids_q(user))
        if not scope.path:
            return queryset.filter(pk__in=visible.values("pk"))
        return queryset.filter(**{f"{scope.path}__in": visible}).select_related(scope.path)
    if isinstance(scope, BureauScope):
        queryset = queryset.filter(**{f"{scope.path}__in": bureaus_for(user, scope.seen_with)})
        head = scope.path.rpartition("__")[0]
        return queryset.select_related(head) if head else queryset
    if isinstance(scope, OwnerScope):
        return queryset.filter(**{scope.path: user})
    if isinstance(scope, PupilScope):
        q = pupils_visible_q(user)
        if not scope.path:
            return queryset.filter(q)
        return queryset.filter(**{f"{scope.path}__in": Pupil.objects.filter(q)}).select_related(
            scope.path)
    raise TypeError(f"not a scope: {scope!r}")


def _holds(user, perm: Perm, record: Model, scope) -> bool:
    if isinstance(scope, SchoolScope):
        return can(user, perm, scope.school_of(record))
    if isinstance(scope, BureauScope):
        return can_in_bureau(user, perm, scope.bureau_id_of(record))
    if isinstance(scope, OwnerScope):
        return (is_active_user(user) and scope.owner_id_of(record) == user.pk
                and has_perm(user, perm))
    if isinstance(scope, PupilScope):
        return can_for_pupil(user, perm, scope.pupil_of(record))
    raise TypeError(f"not a scope: {scope!r}")


def allows(user, perm, record) -> bool:
    """May `user` exercise `perm` on `record` (a model instance whose label has a
    RECORD_SCOPES entry)? No query beyond the grants and what the scope's path
    needs. Also the `authorize=` of core.workflows.Workflow, which calls
    ``authorize(user, record, perm)``: the two last arguments are accepted in
    either order (the record is the model instance). Raises ImproperlyConfigured
    for a model with no scope."""
    if isinstance(perm, Model) and not isinstance(record, Model):
        perm, record = record, perm
    scope = rulebook().scope_for(_label(record))
    return _holds(user, perm, record, scope)


def get_for_user(request: HttpRequest, queryset, perm: Perm, *, sensitive: bool = False,
                 action: str = "view", **lookup):
    """The one record of `queryset` (a QuerySet or a Manager) matching `lookup`
    (e.g. ``code=code``, ``pk=pk``) that ``request.user`` may see and exercise
    `perm` on; its model must have a RECORD_SCOPES entry.

    Not visible to the user (or no such record): `deny(..., status=404)`, which
    raises Http404 - existence does not leak. Visible but `perm` not held: 403
    (PermissionDenied). Both are logged and sent as `access_denied`, target
    "<model_name>:<lookup values>", target_type the model label, target_code
    the lookup values as text, and for a 403 only the record's school_id (a
    record with a SchoolScope; None otherwise). With sensitive=True a found record is sent
    as `access_granted` (perm, target_type = model label, target_code = the
    record's public `code`, action), which audit writes as an ALLOWED row.
    """
    queryset = queryset.all()
    label = _label(queryset.model)
    scope = rulebook().scope_for(label)
    looked_up = "/".join(str(v) for v in lookup.values())
    target = f"{queryset.model._meta.model_name}:{looked_up}"
    record = _scoped(queryset, request.user, scope).filter(**lookup).first()
    if record is None:
        # No school: a 404 must not tell whose the record is.
        deny(request, perm, target, status=404, target_type=label, target_code=looked_up)
    if not _holds(request.user, perm, record, scope):
        if isinstance(scope, SchoolScope):
            school = scope.school_of(record)
        elif isinstance(scope, PupilScope):
            school = scope.pupil_of(record).school
        else:
            school = None
        deny(request, perm, target, status=403, target_type=label, target_code=looked_up,
             school_id=getattr(school, "pk", None))
    if sensitive:
        code = getattr(record, "code", None)
        if code is None:
            raise TypeError(f"{label} has no public code; a sensitive record needs one")
        school_id = None
        if isinstance(scope, SchoolScope):
            school_id = scope.school_of(record).pk
        elif isinstance(scope, PupilScope):
            school_id = scope.pupil_of(record).school_id
        access_granted.send(sender=None, request=request, user=request.user, perm=str(perm),
                            target_type=label, target_code=str(code), action=action,
                            school_id=school_id)
    return record


# ------------------------------------------------------------------ the admin


def admin_allows(user, model_label: str, action: str) -> bool:
    """Django admin: may `user` perform `action` (view/add/change/delete) on a
    model? A model with no ADMIN_MODEL_RULES row: superusers only."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    rule = rulebook().admin_models.get(model_label)
    if rule is None:
        return False
    allowed = rule[action]
    if action == "view":
        # Whoever may change may also view, as in Django's own permission model.
        allowed = allowed | rule["change"]
    return bool(grants(user).all_bureau_roles & allowed)


def admin_model_labels() -> list[str]:
    """Every model label with an ADMIN_MODEL_RULES row, sorted."""
    return sorted(rulebook().admin_models)


def admin_bureau_ids(user) -> list[int] | None:
    """Bureaus whose rows the user sees in the admin; None means all (superuser)."""
    if user.is_superuser:
        return None
    return bureaus_for(user, None)


# ------------------------------------------------------------------ view helpers


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as django-ipware reads it with the same settings as
    axes (PROXY_COUNT proxies trusted in X-Forwarded-For, see settings), falling
    back to REMOTE_ADDR when the chain is shorter than expected. None without a
    request."""
    if request is None:
        return None
    ip, _routable = get_client_ip(
        request,
        proxy_count=settings.AXES_IPWARE_PROXY_COUNT,
        request_header_order=settings.AXES_IPWARE_META_PRECEDENCE_ORDER,
    )
    return ip or request.META.get("REMOTE_ADDR")


def deny(request: HttpRequest, perm: str, target: str, *, status: int,
         target_type: str = "", target_code: str = "", school_id: int | None = None) -> None:
    """Record a refused access (log line and `access_denied`), then raise:
    Http404 for status 404, PermissionDenied otherwise. Never returns.

    `target` is a short reference (never a name); the optional `target_type`
    (model label), `target_code` (the lookup value) and `school_id` name the
    refused record for the audit row. Pass `school_id` only with a 403 on a
    record the user may know exists: with a 404 it would leak whose it is."""
    user = request.user
    logger.warning(
        "access denied user=%r perm=%r target=%r status=%s ip=%r",
        getattr(user, "username", None), str(perm), target, status, client_ip(request),
    )
    # Django's request log then leaves this refusal out (safety_portal.log_filters).
    request._access_denial_logged = True
    access_denied.send(
        sender=None, request=request, user=user, perm=str(perm), target=target, status=status,
        target_type=target_type, target_code=str(target_code),
        school_id=school_id if status != 404 else None,
    )
    if status == 404:
        raise Http404
    raise PermissionDenied


def require_perm(perm: Perm) -> Callable:
    """View decorator: sign-in required, then a global permission (`has_perm`),
    else 403 through `deny`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_perm(request.user, perm):
                deny(request, perm, request.path, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
