"""The ground floor's entries in the top bar: the schools list, the pupil roster
and a head teacher's classes, and the admin."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem

from . import access
from .access_rules import SchoolsPerm


def _schools(user) -> str | None:
    if access.schools_for(user, SchoolsPerm.VIEW_SCHOOL) or \
            access.has_perm(user, SchoolsPerm.VIEW_DISTRICT):
        return reverse("schools:list")
    return None


def _pupil_counts(user) -> str | None:
    # 重点群体统计: whoever holds the counts permission in some bureau.
    if access.bureaus_for(user, SchoolsPerm.VIEW_PUPIL_COUNTS):
        return reverse("schools:pupil_counts")
    return None


def _roster(user) -> str | None:
    # The first school where this person sees pupils (most have one); the
    # bureau sees none (it holds view_pupil at no school).
    schools = access.schools_for(user, SchoolsPerm.VIEW_PUPIL)
    return reverse("schools:roster", args=[schools[0]]) if schools else None


def _my_classes(user) -> str | None:
    return reverse("schools:my_classes") if access.schools_for(
        user, SchoolsPerm.VIEW_OWN_CLASSES) else None


def _admin(user) -> str | None:
    return reverse("admin:index") if access.has_perm(user, SchoolsPerm.USE_ADMIN) else None


NAV = [
    NavItem(40, _("Schools"), _schools, testid="nav-schools"),
    NavItem(43, _("Priority-group counts"), _pupil_counts, testid="nav-pupil-counts"),
    NavItem(42, _("Pupil roster"), _roster, testid="nav-roster"),
    NavItem(44, _("My classes"), _my_classes, testid="nav-my-classes"),
    NavItem(90, _("Administration"), _admin, testid="nav-admin"),
]
