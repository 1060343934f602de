"""incidents' entry in the top bar: 强制报告. The school's leads and
principal go to their school's list; every other member of staff to the
concerns they logged, where the button to log one is. The bureau's officer
has none yet (the bureau view is a later part of issue 10)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem
from schools import access

from .access_rules import IncidentsPerm


def _incidents(user) -> str | None:
    led = access.schools_for(user, IncidentsPerm.MANAGE_REFERRAL)
    if led:
        return reverse("incidents:school_concerns", args=[led[0]])
    if access.schools_for(user, IncidentsPerm.LOG_CONCERN):
        return reverse("incidents:my_concerns")
    return None


NAV = [NavItem(46, _("Mandatory reporting"), _incidents, testid="nav-incidents")]
