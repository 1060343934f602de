"""incidents' entry in the top bar: 强制报告. The school's leads and
principal go to their school's list; every other member of staff to the
concerns they logged, where the button to log one is; the bureau's
child-protection officer to the district's referrals. The bureau's people
who hold incidents.view_counts also get 强制报告统计. 矛盾纠纷排查 takes a
school's principal and safety officer to their school's monthly returns, and
the bureau's people to which schools filed them. 学生欺凌 takes the leads
and the principal to their school's cases, a head teacher to the cases of
their pupils, the counselor to the cases she supports."""

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
    if access.bureaus_for(user, IncidentsPerm.VIEW_REFERRAL):
        return reverse("incidents:bureau_referrals")  # the child-protection officer
    return None


def _counts(user) -> str | None:
    return reverse("incidents:bureau_counts") if access.bureaus_for(
        user, IncidentsPerm.VIEW_COUNTS) else None


def _disputes(user) -> str | None:
    schools = access.schools_for(user, IncidentsPerm.FILE_DISPUTES)
    if schools:
        return reverse("incidents:school_disputes", args=[schools[0]])
    if access.bureaus_for(user, IncidentsPerm.VIEW_COUNTS):
        return reverse("incidents:bureau_disputes")
    return None


def _bullying(user) -> str | None:
    led = access.schools_for(user, IncidentsPerm.VIEW_BULLYING)
    if led:
        return reverse("incidents:school_bullying", args=[led[0]])
    if access.schools_for(user, IncidentsPerm.VIEW_BULLYING_STATUS):
        return reverse("incidents:bullying_classes")  # a head teacher
    if access.schools_for(user, IncidentsPerm.SUPPORT_BULLYING):
        return reverse("incidents:bullying_support_list")  # the counselor
    return None


NAV = [NavItem(46, _("Mandatory reporting"), _incidents, testid="nav-incidents"),
       NavItem(47, _("Mandatory-reporting counts"), _counts, testid="nav-incident-counts"),
       NavItem(48, _("Dispute screening"), _disputes, testid="nav-disputes"),
       NavItem(49, _("Bullying"), _bullying, testid="nav-bullying")]
