"""The lead's pages (issue 10 item 1): a concern, and its referral with the
chronology. Thin: access through schools.access (a 404 for anyone who is not
one of the school's named people or the bureau's child-protection officer;
403 at once for whoever holds the permission nowhere), a recent second
factor, one audit row per open; the services decide everything else."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.workflows import InvalidTransition
from schools import access

from . import services
from .access_rules import IncidentsPerm
from .forms import AgencyReportForm, NoteForm, ReferralOpenForm, TransitionForm
from .models import Concern, Referral
from .workflows import REFERRAL


def _no_store(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response

    return wrapper


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@_no_store
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.concern")
def concern_detail(request, code):
    """A concern as its school's leads and the bureau's officer read it; a
    lead opens its referral here (POST: the situations)."""
    concern = access.get_for_user(
        request, Concern.objects.select_related("school", "pupil__current_class", "logged_by"),
        IncidentsPerm.VIEW_REFERRAL, sensitive=True, code=code)
    referral = Referral.objects.filter(concern=concern).first()
    may_open = referral is None and access.can(request.user, IncidentsPerm.MANAGE_REFERRAL,
                                               concern.school)
    form = ReferralOpenForm(request.POST or None) if may_open else None
    status = 200
    if request.method == "POST":
        if not may_open:
            access.deny(request, IncidentsPerm.MANAGE_REFERRAL, f"concern:{concern.code}",
                        status=403, target_type="incidents.concern",
                        target_code=str(concern.code), school_id=concern.school_id)
        if form.is_valid():
            try:
                referral = services.referral_open(
                    concern=concern, situations=form.cleaned_data["situations"],
                    by=request.user, request=request)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The referral is open. Record the report to the "
                                            "police as soon as it is made."))
                return redirect("incidents:referral_detail", code=referral.code)
        status = 400
    return render(request, "incidents/concern_detail.html", {
        "concern": concern, "referral": referral, "form": form}, status=status)


def _referral(request, code, perm, *, sensitive: bool = False):
    return access.get_for_user(
        request, Referral.objects.select_related("school", "concern__pupil__current_class",
                                                 "concern__logged_by"),
        perm, sensitive=sensitive, code=code)


@_no_store
@require_http_methods(["GET"])
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.referral")
def referral_detail(request, code):
    """A referral: the concern, the reports to departments, the state and the
    chronology; the lead's forms beside them."""
    referral = _referral(request, code, IncidentsPerm.VIEW_REFERRAL, sensitive=True)
    return render(request, "incidents/referral_detail.html", _referral_context(
        request, referral))


TRANSITION_LABELS = {
    "accept": _lazy("The police accepted the case"),
    "cooperate": _lazy("Cooperating with the investigation"),
    "close": _lazy("Close the referral"),
}


def _referral_context(request, referral, **forms):
    manages = access.allows(request.user, IncidentsPerm.MANAGE_REFERRAL, referral)
    transitions = [{"name": t.name, "label": TRANSITION_LABELS[t.name]}
                   for t in REFERRAL.available(referral, request.user)
                   if t.name in TRANSITION_LABELS]
    return {
        "referral": referral, "concern": referral.concern, "manages": manages,
        "reports": list(referral.reports.select_related("recorded_by")),
        "chronology": list(referral.chronology.select_related("by")),
        "transitions": transitions if manages else [],
        "report_form": forms.get("report_form") or (AgencyReportForm() if manages else None),
        "note_form": forms.get("note_form") or (NoteForm() if manages else None),
        "transition_form": forms.get("transition_form") or TransitionForm(),
    }


@_no_store
@require_POST
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_REFERRAL,
                                     target="incidents.referral")
def referral_report(request, code):
    referral = _referral(request, code, IncidentsPerm.MANAGE_REFERRAL)
    form = AgencyReportForm(request.POST)
    if form.is_valid():
        try:
            services.referral_record_report(referral=referral, by=request.user,
                                            request=request, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The report was recorded."))
            return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, report_form=form), status=400)


@_no_store
@require_POST
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_REFERRAL,
                                     target="incidents.referral")
def referral_note(request, code):
    referral = _referral(request, code, IncidentsPerm.MANAGE_REFERRAL)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.referral_add_note(referral=referral, text=form.cleaned_data["text"],
                                       by=request.user, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, note_form=form), status=400)


@_no_store
@require_POST
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_REFERRAL,
                                     target="incidents.referral")
def referral_transition(request, code, name):
    referral = _referral(request, code, IncidentsPerm.MANAGE_REFERRAL)
    form = TransitionForm(request.POST)
    form.is_valid()
    try:
        services.referral_transition(referral=referral, name=name, by=request.user,
                                     reason=form.cleaned_data.get("reason", ""),
                                     request=request)
    except KeyError:
        form.add_error(None, _("This cannot be done to the referral in its present state."))
    except InvalidTransition as exc:
        form.add_error(None, exc.messages[0])
    except ValidationError as exc:
        _form_errors(form, exc)
    else:
        return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, transition_form=form), status=400)
