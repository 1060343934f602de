"""Reporting's entries in the top bar: the school's reports, and for the
bureau the dashboard and the review queue."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem
from schools import access
from schools.access_rules import SchoolsPerm

from .access_rules import ReportingPerm


def _reports(user) -> str | None:
    # The first school whose reports this person may open (most have one).
    schools = access.schools_for(user, ReportingPerm.VIEW_REPORT)
    return reverse("reporting:school_reports", args=[schools[0]]) if schools else None


def _district(name: str):
    def href(user) -> str | None:
        return reverse(name) if access.has_perm(user, SchoolsPerm.VIEW_DISTRICT) else None
    return href


NAV = [
    NavItem(20, _("Reports"), _reports, testid="nav-reports"),
    NavItem(30, _("Dashboard"), _district("reporting:dashboard"), testid="nav-dashboard"),
    NavItem(35, _("Review"), _district("reporting:review_queue"), testid="nav-review"),
]
