"""The workbench (工作台): the one page that gathers every app's part for the
person signed in. It composes the apps' selectors and holds no rules; it lives
here because schools, the ground floor, may not import the apps above it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from reporting import selectors as reporting_selectors
from schools import access
from schools import selectors as school_selectors
from schools.access import Perm
from schools.models import Role, TaskForceMember


@login_required
def home(request):
    """工作台: what this person needs, by the roles they hold."""
    user = request.user
    grants = access.grants(user)
    context = {"is_district": access.has_perm(user, Perm.VIEW_DISTRICT),
               "is_auditor": access.has_perm(user, Perm.VIEW_AUDIT_LOG)}
    if grants.school_roles:
        schools = school_selectors.school_list_for(user).filter(pk__in=list(grants.school_roles))
        context["school_cards"] = [
            {
                "school": school,
                "roles": sorted(grants.school_roles[school.pk], key=list(Role).index),
                "principals": school.principal_memberships,
                "next": reporting_selectors.next_open_row(
                    reporting_selectors.school_deadline_rows(school)),
                "can_report": access.can(user, Perm.VIEW_REPORT, school),
                "can_edit": access.can(user, Perm.EDIT_REPORT, school),
            }
            for school in schools
        ]
        led = [s for s, roles in grants.school_roles.items() if Role.PRINCIPAL in roles]
        context["task_force"] = (
            TaskForceMember.objects.filter(school_id__in=led).select_related("user", "school")
        )
    if context["is_district"]:
        context["overview"] = school_selectors.district_overview(user)
    return render(request, "schools/home.html", context)
