"""A pupil's page and the changes made from it (issue 9 items 2, 5, 8).

Every view is behind the step-up (require_recent_second_factor: the page
shows a child) and fetches through schools.access.get_for_user, so a pupil
the person may not see is a 404 and a pupil they see without the permission
a 403. Opening the page (and each form page, which shows the child too) is
one audit row (record.view); a POST is audited by its business action
instead. Nothing here is cached by the browser (Cache-Control: no-store).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.timelines import entries_for

from . import access, pupil_detail, pupil_services
from .access_rules import SchoolsPerm
from .pupil_forms import CircumstanceEndForm, CircumstanceForm, GuardianForm, PupilStatusForm
from .pupil_models import Circumstance, Pupil

# How many lines of "who looked at this record" the page shows.
READS_SHOWN = 50



def _pupil(request, code, perm):
    """The pupil `code` if request.user sees it and holds `perm` for it (404 /
    403 otherwise). A GET shows the child, so it is audited as a view; a POST
    is audited by the action it performs."""
    return access.get_for_user(
        request, Pupil.objects.select_related("school", "current_class"), perm,
        sensitive=request.method == "GET", action="view", code=code)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError next to the form's fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


@never_cache
@require_http_methods(["GET"])
@access.require_recent_second_factor(perm=SchoolsPerm.VIEW_PUPIL, target="schools.pupil")
def pupil_detail_view(request, code):
    pupil = _pupil(request, code, SchoolsPerm.VIEW_PUPIL)
    user = request.user
    context = pupil_detail.pupil_page(pupil, user)
    context["timeline"] = entries_for("schools.pupil", str(pupil.code), user, limit=30)
    if context["can_view_access_log"]:
        # One more than shown, to say when there are older ones.
        reads = entries_for("schools.pupil:reads", str(pupil.code), user,
                            limit=READS_SHOWN + 1)
        context["reads"] = reads[:READS_SHOWN]
        context["reads_more"] = len(reads) > READS_SHOWN
        context["reads_shown"] = READS_SHOWN
    if context["can_record_circumstance"]:
        # Each current circumstance carries its own small "end" form.
        for c in context["circumstances_current"] or ():
            c.end_form = CircumstanceEndForm(since=c.since, prefix=f"end{c.pk}")
    return render(request, "schools/pupil_detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=SchoolsPerm.RECORD_CIRCUMSTANCE,
                                     target="schools.pupil")
def circumstance_add(request, code):
    pupil = _pupil(request, code, SchoolsPerm.RECORD_CIRCUMSTANCE)
    form = CircumstanceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pupil_services.circumstance_record(pupil=pupil, by=request.user, request=request,
                                               **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The circumstance is recorded."))
            return redirect("schools:pupil_detail", code=pupil.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "schools/circumstance_form.html",
                  {"pupil": pupil, "form": form}, status=status)


@never_cache
@require_POST
@access.require_recent_second_factor(perm=SchoolsPerm.RECORD_CIRCUMSTANCE,
                                     target="schools.circumstance")
def circumstance_end(request, code):
    circumstance = access.get_for_user(
        request, Circumstance.objects.select_related("pupil__school"),
        SchoolsPerm.RECORD_CIRCUMSTANCE, code=code)
    pupil = circumstance.pupil
    form = CircumstanceEndForm(request.POST, since=circumstance.since,
                               prefix=f"end{circumstance.pk}")
    if form.is_valid():
        try:
            pupil_services.circumstance_end(circumstance=circumstance, by=request.user,
                                            request=request, until=form.cleaned_data["until"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The circumstance is ended."))
            return redirect("schools:pupil_detail", code=pupil.code)
    return render(request, "schools/circumstance_end.html",
                  {"pupil": pupil, "circumstance": circumstance, "form": form}, status=400)


def _guardian_form(request, pupil, guardian=None):
    if request.method == "POST":
        return GuardianForm(request.POST)
    if guardian is None:
        return GuardianForm(initial={"lives_with_child": True,
                                     "is_primary": not pupil.guardians.exists()})
    return GuardianForm(initial={f: getattr(guardian, f)
                                 for f in pupil_services.GUARDIAN_FIELDS})


def _guardian_page(request, pupil, guardian=None):
    form = _guardian_form(request, pupil, guardian)
    if request.method == "POST" and form.is_valid():
        try:
            pupil_services.guardian_save(pupil=pupil, guardian=guardian, data=form.cleaned_data,
                                         by=request.user, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The guardian is saved."))
            return redirect("schools:pupil_detail", code=pupil.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "schools/guardian_form.html",
                  {"pupil": pupil, "guardian": guardian, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=SchoolsPerm.EDIT_GUARDIANS, target="schools.pupil")
def guardian_add(request, code):
    pupil = _pupil(request, code, SchoolsPerm.EDIT_GUARDIANS)
    return _guardian_page(request, pupil)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=SchoolsPerm.EDIT_GUARDIANS, target="schools.pupil")
def guardian_edit(request, code, pk: int):
    pupil = _pupil(request, code, SchoolsPerm.EDIT_GUARDIANS)
    guardian = pupil.guardians.filter(pk=pk).first()
    if guardian is None:
        raise Http404
    return _guardian_page(request, pupil, guardian)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=SchoolsPerm.MANAGE_ROSTER, target="schools.pupil")
def pupil_status(request, code):
    pupil = _pupil(request, code, SchoolsPerm.MANAGE_ROSTER)
    form = PupilStatusForm(request.POST if request.method == "POST" else None,
                           current=pupil.status)
    if request.method == "POST" and form.is_valid():
        try:
            pupil_services.pupil_change_status(
                pupil=pupil, status=form.cleaned_data["status"], on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"], by=request.user, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The pupil's status is changed."))
            return redirect("schools:pupil_detail", code=pupil.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "schools/pupil_status_form.html",
                  {"pupil": pupil, "form": form}, status=status)
