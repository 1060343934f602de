"""Project-wide views. The workbench (工作台) gathers every app's part for the
person signed in: it composes the apps' selectors and holds no rules, and lives
here because schools, the ground floor, may not import the apps above it. Also
the health check and the language switch."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET

from audit.access_rules import AuditPerm
from followups import selectors as followup_selectors
from reporting import selectors as reporting_selectors
from reporting.access_rules import ReportingPerm
from safety_portal.health import health_response
from schools import access
from schools import selectors as school_selectors
from schools import services as school_services
from schools.access_rules import SchoolsPerm
from schools.models import Role, TaskForceMember


@login_required
def home(request):
    """工作台: what this person needs, by the roles they hold."""
    user = request.user
    school_roles = access.school_roles_of(user)
    context = {"is_district": access.has_perm(user, SchoolsPerm.VIEW_DISTRICT),
               "is_auditor": access.has_perm(user, AuditPerm.VIEW_AUDIT_LOG)}
    if school_roles:
        schools = school_selectors.school_list_for(user).filter(pk__in=list(school_roles))
        context["school_cards"] = [
            {
                "school": school,
                "roles": sorted(school_roles[school.pk], key=list(Role).index),
                "principals": school.principal_memberships,
                "next": reporting_selectors.next_open_row(
                    reporting_selectors.school_deadline_rows(school)),
                "can_report": access.can(user, ReportingPerm.VIEW_REPORT, school),
                "can_edit": access.can(user, ReportingPerm.EDIT_REPORT, school),
            }
            for school in schools
        ]
        led = access.schools_for(user, SchoolsPerm.MANAGE_TASK_FORCE)
        context["task_force"] = (
            TaskForceMember.objects.filter(school_id__in=led).select_related("user", "school")
        )
    context["todos"] = followup_selectors.todos_for(user)
    if context["is_district"]:
        context["overview"] = school_selectors.district_overview(user)
        context["awaiting_review"] = reporting_selectors.awaiting_review_count(user)
    return render(request, "schools/home.html", context)


@require_GET
def healthz(request):
    """Liveness and database reachability, for a probe from outside the
    container (the container's own probe is answered by safety_portal.health
    before host validation). Says nothing about the data."""
    return health_response()


def set_language(request):
    """Django's language switch (cookie, then back to `next`), which for a
    signed-in user also keeps the choice on the account: their e-mails and
    their other devices follow it."""
    response = i18n_views.set_language(request)
    language = request.POST.get(i18n_views.LANGUAGE_QUERY_PARAMETER)
    if request.method == "POST" and request.user.is_authenticated and language:
        with contextlib.suppress(ValidationError):  # Django's view ignored it too
            school_services.user_set_language(user=request.user, language=language)
    return response
