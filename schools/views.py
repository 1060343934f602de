import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import downloads
from core.timelines import entries_for

from . import access, selectors, services
from . import pupil_counts as counts
from .access_rules import SchoolsPerm
from .forms import PupilCountFilterForm, TaskForceMemberForm
from .models import Bureau, School, TaskForceMember


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


def _counts_bureau(request) -> Bureau:
    """The bureau whose counts `request.user` asked for (?bureau=, else their
    first) among those where they hold schools.view_pupil_counts; refused
    (403, audited) when they hold it nowhere."""
    bureau_ids = access.bureaus_for(request.user, SchoolsPerm.VIEW_PUPIL_COUNTS)
    if not bureau_ids:
        access.deny(request, SchoolsPerm.VIEW_PUPIL_COUNTS, "pupil_counts", status=403)
    wanted = request.GET.get("bureau", "")
    chosen = int(wanted) if wanted.isdigit() and int(wanted) in bureau_ids else bureau_ids[0]
    return Bureau.objects.get(pk=chosen)


def _counts_filter(request):
    """(bureau, filter form, school type or "", None) for the counts page and
    its Excel; the last item is the 400 page instead when the filter is bad."""
    bureau = _counts_bureau(request)
    form = PupilCountFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return bureau, form, "", render(request, "schools/pupil_counts.html",
                                        {"bureau": bureau, "form": form, "table": None},
                                        status=400)
    school_type = form.cleaned_data.get("school_type", "") if form.is_bound else ""
    return bureau, form, school_type, None


COUNTS_PER_PAGE = 100  # schools a page of the 重点群体统计


@require_GET
@login_required
def pupil_counts(request):
    """重点群体统计: enrolled pupils per school and priority group, today,
    suppressed (schools.pupil_counts). Never a child's name or number."""
    bureau, form, school_type, refused = _counts_filter(request)
    if refused is not None:
        return refused
    table = counts.pupil_counts(bureau_id=bureau.pk, school_type=school_type)
    # Suppression is worked out on the whole table; the page shows a slice of
    # its schools and always the district's totals.
    page = Paginator(table.rows, COUNTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "schools/pupil_counts.html", {
        "bureau": bureau, "form": form, "table": table, "school_type": school_type,
        "page": page, "query": urlencode({k: v for k, v in (("bureau", request.GET.get("bureau")),
                                                             ("school_type", school_type)) if v}),
        "legend": counts.legend()})


@require_GET
@login_required
def pupil_counts_xlsx(request):
    """The same table as an Excel file, with the same suppression."""
    bureau, form, school_type, refused = _counts_filter(request)
    if refused is not None:
        return refused
    table = counts.pupil_counts(bureau_id=bureau.pk, school_type=school_type)
    out = io.BytesIO()
    counts.write_workbook(table, bureau_name=bureau.name, out=out)
    out.seek(0)
    services.pupil_counts_exported(bureau=bureau, school_type=school_type, by=request.user,
                                   request=request)
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument"
                                              ".spreadsheetml.sheet")
    day = f"{table.day:%Y%m%d}"
    return downloads.attachment(
        response, downloads.file_name(_("Priority-group counts"), bureau.name, day, ext="xlsx"),
        fallback=f"priority_groups_{bureau.code}_{day}.xlsx")
