from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.timelines import entries_for

from . import access, selectors, services
from .access_rules import SchoolsPerm
from .forms import TaskForceMemberForm
from .models import School, TaskForceMember


@login_required
def school_list(request):
    if not (access.schools_for(request.user, SchoolsPerm.VIEW_SCHOOL)
            or access.has_perm(request.user, SchoolsPerm.VIEW_DISTRICT)):
        access.deny(request, SchoolsPerm.VIEW_SCHOOL, "school_list", status=403)
    schools = selectors.school_list_for(request.user)
    return render(request, "schools/school_list.html", {"schools": schools})


@login_required
def school_detail(request, pk: int):
    school = access.get_for_user(request, School.objects, SchoolsPerm.VIEW_SCHOOL, pk=pk)
    context = {"school": school, **selectors.school_detail(school)}
    user = request.user
    context["can_see_people"] = access.can(user, SchoolsPerm.VIEW_SCHOOL_PEOPLE, school)
    context["can_manage_task_force"] = access.can(user, SchoolsPerm.MANAGE_TASK_FORCE, school)
    context["can_manage_roster"] = access.can(user, SchoolsPerm.MANAGE_ROSTER, school)
    # notifications' permission, named by code: schools imports no app above it.
    context["can_manage_group_robots"] = access.can(
        user, access.perm("notifications.manage_group_robot"), school)
    if not context["can_see_people"]:
        context.pop("members")
    # What happened at the school, from every app, as far as this person may see.
    context["timeline"] = entries_for("schools.school", str(school.pk), user, limit=10)
    return render(request, "schools/school_detail.html", context)


@login_required
def task_force_add(request, pk: int):
    school = access.get_for_user(request, School.objects, SchoolsPerm.MANAGE_TASK_FORCE, pk=pk)
    candidates = selectors.task_force_candidates(school)
    form = TaskForceMemberForm(request.POST if request.method == "POST" else None,
                               candidates=candidates)
    if request.method == "POST" and form.is_valid():
        # Naming a new 组长 steps the old one down: say whom (issue 8 item 9).
        previous = selectors.task_force_leader(school) if form.cleaned_data["is_leader"] else None
        try:
            services.task_force_add_member(school=school, by=request.user, request=request,
                                               **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Added to the task force."))
            if previous is not None:
                messages.warning(request, _(
                    "%(new)s now leads the task force of %(school)s; %(old)s, who led it "
                    "before, stays on it as a member.") % {
                    "new": form.cleaned_data["user"], "school": school, "old": previous.user})
            return redirect("schools:detail", pk=school.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "schools/task_force_form.html",
                  {"school": school, "form": form}, status=status)


@require_POST
@login_required
def task_force_remove(request, pk: int, member_id: int):
    school = access.get_for_user(request, School.objects, SchoolsPerm.MANAGE_TASK_FORCE, pk=pk)
    try:
        services.task_force_remove_member(school=school, member_id=member_id,
                                          by=request.user, request=request)
    except TaskForceMember.DoesNotExist:
        access.deny(request, SchoolsPerm.MANAGE_TASK_FORCE, f"task_force_member:{member_id}",
                    status=404)
    messages.success(request, _("Removed from the task force."))
    return redirect("schools:detail", pk=school.pk)


class LoginView(auth_views.LoginView):
    """The sign-in page; after a timed-out session (``?expired=1``, set by
    `schools.middleware.SessionLifetimeMiddleware`) it says why the user was signed out:
    the idle timeout (SESSION_COOKIE_AGE, seconds) or the absolute cap
    (SESSION_ABSOLUTE_SECONDS), security.md G7."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_idle_minutes"] = settings.SESSION_COOKIE_AGE // 60
        context["session_absolute_hours"] = settings.SESSION_ABSOLUTE_SECONDS // 3600
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own page, announcing the change (audit records "password.change")."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_set_by(user=form.user, by=self.request.user, request=self.request)
        return response
