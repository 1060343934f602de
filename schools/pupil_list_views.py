"""Pupil lists: a school's roster (学生名册) with its filters, a head teacher's
classes (我的班级) and the roster's Excel export (issue 9 items 4, 5 and 8).

Thin views: the access layer decides who sees which pupils
(`Pupil.objects.visible_to`, via schools.roster.listing), the FilterSet
narrows, and every listing is on the audit trail (one row for the school
listed, one row per pupil exported).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import downloads

from . import access
from .access_rules import SchoolsPerm
from .models import School
from .roster import export, listing
from .roster.filters import RosterFilter
from .school_year import current_school_year
from .school_year import label as school_year_label

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHOOL_LABEL = "schools.school"
PUPIL_LABEL = "schools.pupil"


def _second_factor_is_recent(request) -> bool:
    """The session's second factor is younger than STEP_UP_SECONDS: the same
    test as access.require_recent_second_factor, for a filter (not a page)."""
    age = access.second_factor_age(request)
    return age is not None and age <= settings.STEP_UP_SECONDS


def _filterset(request, school: School, *, perm=None, step_up_done: bool) -> RosterFilter:
    """The roster's FilterSet over the pupils `request.user` sees at `school`
    (through `perm`, default schools.view_pupil). The priority-group filter is
    there only for a holder of schools.view_circumstances whose second factor
    is recent (`step_up_done`)."""
    user = request.user
    group_scope = None
    if step_up_done and access.can(user, SchoolsPerm.VIEW_CIRCUMSTANCES, school):
        group_scope = access.pupils_visible_q(user, SchoolsPerm.VIEW_CIRCUMSTANCES)
    return RosterFilter(request.GET, queryset=listing.roster_pupils(user, school, perm),
                        classes=listing.roster_classes(user, school), group_scope=group_scope)


@require_GET
@login_required
def roster(request, pk: int):
    """学生名册: the pupils of school `pk` the user may see, 50 a page, with
    search and filters. 404 when the school is not visible to the user, 403
    when it is but they see no pupil there (staff, the bureau). The listing is
    one audit row (the school, action view; permission view_circumstances
    when a priority group was filtered on)."""
    school = access.get_for_user(request, School.objects, SchoolsPerm.VIEW_PUPIL, pk=pk)
    user = request.user
    recent = _second_factor_is_recent(request)
    filterset = _filterset(request, school, step_up_done=recent)
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    used = filterset.used()
    may_filter_groups = access.can(user, SchoolsPerm.VIEW_CIRCUMSTANCES, school)
    perm = SchoolsPerm.VIEW_CIRCUMSTANCES if "group" in used else SchoolsPerm.VIEW_PUPIL
    access.record_sensitive_reads(request, SCHOOL_LABEL, [school.code], "view", perm,
                                  school_id=school.pk)
    query = request.GET.copy()
    query.pop("page", None)
    may_export = access.can(user, SchoolsPerm.MANAGE_ROSTER, school)
    return render(request, "schools/pupils/roster.html", {
        "school": school, "form": filterset.form, "page": page, "query": query.urlencode(),
        "total": page.paginator.count,
        "full_numbers": may_export, "may_export": may_export,
        "verify_url": access.second_factor_url(request, enrol=False)
        if may_filter_groups and not recent else "",
        "school_year": school_year_label(current_school_year()),
    })


@require_GET
@login_required
def my_classes(request):
    """我的班级: the classes the user leads this school year with their 在读
    pupils and counts; an empty state for a head teacher who leads none. 403
    for anyone who holds no class-bound role (schools.view_own_classes). One
    audit row per school listed (usually one)."""
    user = request.user
    if not access.schools_for(user, SchoolsPerm.VIEW_OWN_CLASSES):
        access.deny(request, SchoolsPerm.VIEW_OWN_CLASSES, request.path, status=403)
    classes = listing.my_classes(user)
    schools = {c.school_class.school_id: c.school_class.school for c in classes}
    for school in schools.values():
        access.record_sensitive_reads(request, SCHOOL_LABEL, [school.code], "view",
                                      SchoolsPerm.VIEW_PUPIL, school_id=school.pk)
    return render(request, "schools/pupils/my_classes.html", {
        "classes": classes, "school_year": school_year_label(current_school_year()),
    })


@require_GET
@login_required
def roster_export(request, pk: int):
    """学生名册导出: the roster of school `pk`, with the page's filters, as .xlsx.
    Only for the roster's manager there (schools.manage_roster: else 403, or
    404 for a school the user does not see), then a recent second factor
    (else the verify page and back)."""
    school = access.get_for_user(request, School.objects, SchoolsPerm.MANAGE_ROSTER, pk=pk)
    return _roster_file(request, school)


@access.require_recent_second_factor
def _roster_file(request, school: School) -> HttpResponse:
    filterset = _filterset(request, school, perm=SchoolsPerm.MANAGE_ROSTER, step_up_done=True)
    pupils = export.with_export_data(filterset.qs)
    out = io.BytesIO()
    codes = export.write_roster_workbook(pupils.iterator(chunk_size=2000), out)
    # One audit row per pupil exported, written in one insert.
    access.record_sensitive_reads(request, PUPIL_LABEL, codes, "export",
                                  SchoolsPerm.MANAGE_ROSTER, school_id=school.pk)
    day = downloads.stamp(minutes=False)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return downloads.attachment(
        response, downloads.file_name(_("Pupil roster"), school.name, day, ext="xlsx"),
        fallback=f"roster_{school.code}_{day}.xlsx")
