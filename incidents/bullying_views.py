"""The pages of bullying cases (学生欺凌; issue 10 item 3). Child-level: every
page is behind a recent second factor and every case opened or listed is an
audit row (by code). The school's leads and principal work a case; the
counselor reaches its psychological support only; the head teacher of a
pupil involved its state and their own visits. Thin: the services in
incidents.bullying decide.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.forms import add_service_errors
from core.workflows import InvalidTransition
from schools import access
from schools.models import School

from . import bullying, selectors
from .access_rules import IncidentsPerm
from .followup_kinds import BULLYING_INVESTIGATION, BULLYING_RECHECK
from .forms import (
    AppealForm,
    BullyingDecisionForm,
    BullyingReportForm,
    BullyingStopForm,
    GuardianContactForm,
    LinkReferralForm,
    NoteForm,
    TextForm,
    TransitionForm,
    VisitAssignForm,
)
from .models import BullyingCase, BullyingEntryKind, BullyingParty, BullyingSupport, Referral
from .workflows import BULLYING

PER_PAGE = 50


def _now_minute():
    return timezone.localtime(clock.now(), timezone.get_default_timezone()) \
        .replace(second=0, microsecond=0)


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_BULLYING, target="schools.school")
def school_bullying(request, pk: int):
    """学生欺凌: the school's cases for its leads and principal, open ones or,
    with ``?closed=1``, closed ones, 50 a page, each with its state and
    clocks. Every case on the page is an audit row."""
    school = access.get_for_user(request, School.objects, IncidentsPerm.VIEW_BULLYING, pk=pk)
    closed = request.GET.get("closed") == "1"
    page = Paginator(bullying.school_cases(school, closed=closed), PER_PAGE).get_page(
        request.GET.get("page"))
    access.record_sensitive_reads(request, "incidents.bullyingcase", [c.code for c in page],
                                  "view", IncidentsPerm.VIEW_BULLYING, school_id=school.pk)
    now = clock.now()
    for case in page:
        due = case.recheck_due_at if case.state == "appealed" else (
            case.investigation_due_at if case.state == "investigating" else None)
        case.clock_due = due and clock.today(due - dt.timedelta(microseconds=1))
        case.clock_overdue = due is not None and due <= now
    return render(request, "incidents/bullying_school.html", {
        "school": school, "page": page, "closed": closed,
        "may_report": access.can(request.user, IncidentsPerm.MANAGE_BULLYING, school)})


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_BULLYING,
                                     target="schools.school")
def bullying_new(request, pk: int):
    """登记欺凌事件: a lead records the report and the pupils involved. A bad
    POST is a 400 with every field kept."""
    school = access.get_for_user(request, School.objects, IncidentsPerm.MANAGE_BULLYING, pk=pk)
    form = BullyingReportForm(request.POST or None, classes=selectors.concern_classes(school),
                              initial={"reported_at": _now_minute()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = bullying.bullying_report(
                    school=school, by=request.user, reporter=data["reporter"],
                    reported_at=data["reported_at"], acts=data["acts"],
                    description=data["description"], involved=form.involved(),
                    occurred_on=data["occurred_on"], place=data["place"], request=request)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The case is recorded; the counselor has been "
                                            "asked to support the pupils. Record now how it "
                                            "was stopped."))
                return redirect("incidents:bullying_detail", code=case.code)
        status = 400
    return render(request, "incidents/bullying_new.html", {"school": school, "form": form},
                  status=status)


def _case(request, code, perm=IncidentsPerm.VIEW_BULLYING, *, sensitive=False,
          action="view"):
    return access.get_for_user(
        request, BullyingCase.objects.select_related("school", "recorded_by", "referral"),
        perm, sensitive=sensitive, action=action, code=code)


ACTION_LABELS = {
    "investigate": gettext_lazy("Start the investigation"),
    "follow_up": gettext_lazy("Move to follow-up"),
}


def _referral_choices(case) -> list[tuple[str, str]]:
    """(code, "detected time · situations") of the school's 50 latest
    referrals, times in Asia/Shanghai: what a case may be linked to."""
    zone = timezone.get_default_timezone()
    return [(str(r.code), f"{timezone.localtime(r.detected_at, zone):%Y-%m-%d %H:%M} · "
                          f"{'、'.join(r.situation_labels)}")
            for r in Referral.objects.filter(school_id=case.school_id)
            .order_by("-detected_at")[:50]]


def _context(request, case, **forms):
    manages = access.allows(request.user, IncidentsPerm.MANAGE_BULLYING, case)
    available = {t.name for t in BULLYING.available(case, request.user)} if manages else set()
    referrals = _referral_choices(case) if manages else []

    def form(name, factory):
        if name in forms:
            return forms[name]
        return factory() if manages else None

    investigation = bullying.clock_of(case, BULLYING_INVESTIGATION)
    recheck = bullying.clock_of(case, BULLYING_RECHECK)
    visits = list(bullying.open_visits(case))
    for visit in visits:
        visit.due_day = bullying.due_day(visit)
    return {
        "case": case, "manages": manages, "available": available,
        "investigation_overdue": investigation is not None and investigation.state == "open"
        and investigation.due_at < clock.now(),
        "action_labels": ACTION_LABELS,
        "parties": bullying.ordered_parties(case),
        "contacts": list(case.guardian_contacts.select_related("recorded_by")),
        "chronology": list(case.chronology.select_related("by")),
        "investigation": investigation, "investigation_due": bullying.due_day(investigation),
        "recheck": recheck, "recheck_due": bullying.due_day(recheck),
        "visits": visits,
        "stop_form": form("stop", lambda: BullyingStopForm(initial={
            "stopped_at": case.stopped_at or _now_minute(),
            "safety_measures": case.safety_measures})),
        "guardian_form": form("guardians", lambda: GuardianContactForm(
            initial={"informed_at": _now_minute()})),
        "decision_form": form("decide", lambda: BullyingDecisionForm(
            initial={"committee_on": clock.today()})),
        "appeal_form": form("appeal", AppealForm),
        "transition_form": form("transition", TransitionForm),
        "visit_form": form("visit_assign", lambda: VisitAssignForm(
            staff=bullying.visit_staff(case))),
        "link_form": form("link", lambda: LinkReferralForm(referrals=referrals)),
        "note_form": form("note", NoteForm),
        "visit_record_form": form("visit", TextForm),
    }


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_BULLYING,
                                     target="incidents.bullyingcase")
def bullying_detail(request, code):
    """A case: the report, the pupils involved, stopping and safety, the
    guardians told, the investigation and its clock, the decision, the
    appeal and its clock, visits, the chronology; the lead's forms."""
    case = _case(request, code, sensitive=True)
    return render(request, "incidents/bullying_detail.html", _context(request, case))


def _run(request, case, action, data):
    """Call the service for `action` with the form's cleaned `data`."""
    common = {"case": case, "by": request.user, "request": request}
    if action == "stop":
        return bullying.bullying_record_stop(**common, **data)
    if action == "guardians":
        return bullying.bullying_inform_guardians(**common, **data)
    if action == "investigate":
        return bullying.bullying_start_investigation(**common)
    if action == "decide":
        return bullying.bullying_decide(**common, **data)
    if action == "appeal":
        return bullying.bullying_appeal(**common, **data)
    if action in ("recheck", "follow_up", "close"):
        return bullying.bullying_transition(**common, name=action, reason=data.get("reason", ""))
    if action == "link":
        referral = Referral.objects.filter(code=data["referral"],
                                           school_id=case.school_id).first() \
            if data.get("referral") else None
        if referral is None:
            raise ValidationError({"referral": _("Choose one of the school's referrals.")})
        return bullying.bullying_link_referral(**common, referral=referral)
    if action == "note":
        return bullying.bullying_add_note(**common, text=data["text"])
    if action == "visit_assign":
        return bullying.bullying_schedule_visit(**common, assignee_id=data["assignee"],
                                                due_on=data["due_on"])
    if action == "visit":
        return bullying.bullying_record_visit(**common, text=data["text"])
    raise KeyError(action)


DONE = {
    "stop": gettext_lazy("Recorded: how it was stopped and what keeps the pupils safe."),
    "guardians": gettext_lazy("Recorded: the guardians were told."),
    "investigate": gettext_lazy("The investigation has started: 10 days to the decision."),
    "decide": gettext_lazy("The committee's decision is recorded."),
    "appeal": gettext_lazy("The appeal is recorded: the county's re-check is due in 15 days."),
    "recheck": gettext_lazy("The re-check's result is recorded."),
    "follow_up": gettext_lazy("The case is in follow-up."),
    "close": gettext_lazy("The case is closed."),
    "link": gettext_lazy("The case is linked to its mandatory report."),
    "note": gettext_lazy("Added to the chronology."),
    "visit_assign": gettext_lazy("The visit is given; it is in their 我的待办."),
    "visit": gettext_lazy("The visit is recorded."),
}

FORMS = {
    "stop": ("stop", BullyingStopForm), "guardians": ("guardians", GuardianContactForm),
    "investigate": ("transition", TransitionForm), "decide": ("decide", BullyingDecisionForm),
    "appeal": ("appeal", AppealForm), "recheck": ("transition", TransitionForm),
    "follow_up": ("transition", TransitionForm), "close": ("transition", TransitionForm),
    "link": ("link", None), "note": ("note", NoteForm),
    "visit_assign": ("visit_assign", None), "visit": ("visit", TextForm),
}


@never_cache
@require_POST
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_BULLYING,
                                     target="incidents.bullyingcase")
def bullying_action(request, code, action):
    """One of the lead's steps on a case (FORMS); back to the case, or the
    case again with the form's errors and what was typed (400)."""
    case = _case(request, code, IncidentsPerm.MANAGE_BULLYING)
    if action not in FORMS:
        access.deny(request, IncidentsPerm.MANAGE_BULLYING, f"bullying:{action}", status=404)
    slot, form_class = FORMS[action]
    if action == "link":
        form = LinkReferralForm(request.POST, referrals=_referral_choices(case))
    elif action == "visit_assign":
        form = VisitAssignForm(request.POST, staff=bullying.visit_staff(case))
    else:
        form = form_class(request.POST)
    if form.is_valid():
        try:
            _run(request, case, action, form.cleaned_data)
        except InvalidTransition as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, DONE.get(action, _("Saved.")))
            return redirect("incidents:bullying_detail", code=case.code)
    case.refresh_from_db()
    return render(request, "incidents/bullying_detail.html",
                  {**_context(request, case, **{slot: form}), "failed": slot}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=IncidentsPerm.SUPPORT_BULLYING,
                                     target="incidents.bullyingsupport")
def bullying_support(request, code):
    """心理辅导: the counselor's page of a case — the pupils involved (names,
    classes, roles) and the support recorded, never the investigation — and
    the form to record support (POST). Each open is an audit row."""
    case = access.get_for_user(request, BullyingSupport.objects.select_related("school"),
                               IncidentsPerm.SUPPORT_BULLYING, sensitive=True, code=code)
    form = TextForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                bullying.bullying_record_support(case=case, text=form.cleaned_data["text"],
                                                 by=request.user, request=request)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The support was recorded."))
                return redirect("incidents:bullying_support", code=case.code)
        status = 400
    return render(request, "incidents/bullying_support.html", {
        "case": case, "form": form,
        "parties": list(case.parties.select_related("pupil__current_class")),
        "entries": list(case.chronology.filter(kind=BullyingEntryKind.SUPPORT)
                        .select_related("by"))}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_BULLYING_STATUS,
                                     target="incidents.bullyingparty")
def bullying_status(request, code):
    """A case as the head teacher of a pupil involved reads it: the pupils of
    their classes in it, the state and its dates, and their own follow-up
    visits, with the form to record one (POST) — not the investigation, the
    finding or the other pupils. Each open is an audit row."""
    party = access.get_for_user(
        request, BullyingParty.objects.select_related("case__school", "pupil__current_class")
        .order_by("id"), IncidentsPerm.VIEW_BULLYING_STATUS, case__code=code)
    case = party.case
    access.record_sensitive_reads(request, "incidents.bullyingcase", [case.code], "view",
                                  IncidentsPerm.VIEW_BULLYING_STATUS, school_id=case.school_id)
    visits = list(bullying.open_visits(case, request.user))
    form = TextForm(request.POST or None) if visits else None
    status = 200
    if request.method == "POST":
        if form is None:
            access.deny(request, IncidentsPerm.VIEW_BULLYING_STATUS, f"bullying:{case.code}",
                        status=403, target_type="incidents.bullyingcase",
                        target_code=str(case.code), school_id=case.school_id)
        if form.is_valid():
            try:
                bullying.bullying_record_visit(case=case, text=form.cleaned_data["text"],
                                               by=request.user, request=request)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The visit was recorded."))
                return redirect("incidents:bullying_status", code=case.code)
        status = 400
    mine = [p for p in bullying.parties_for_head_teacher(request.user).filter(case=case)]
    for visit in visits:
        visit.due_day = bullying.due_day(visit)
    return render(request, "incidents/bullying_status.html", {
        "case": case, "pupils": mine, "visits": visits, "form": form,
        "my_visits": list(case.chronology.filter(kind=BullyingEntryKind.VISIT,
                                                 by=request.user))}, status=status)


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_BULLYING_STATUS)
def bullying_classes(request):
    """我班学生涉及的欺凌事件: for a head teacher, the cases that involve
    pupils of the classes they lead, with the state only, 50 a page; each
    listed case is an audit row."""
    if not access.holds_anywhere(request.user, IncidentsPerm.VIEW_BULLYING_STATUS):
        access.deny(request, IncidentsPerm.VIEW_BULLYING_STATUS, request.path, status=403)
    page = Paginator(bullying.parties_for_head_teacher(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    access.record_sensitive_reads(request, "incidents.bullyingcase",
                                  sorted({str(p.case.code) for p in page}), "view",
                                  IncidentsPerm.VIEW_BULLYING_STATUS)
    return render(request, "incidents/bullying_classes.html", {"page": page})


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.SUPPORT_BULLYING)
def bullying_support_list(request):
    """心理辅导 (欺凌事件): for the counselor, the open cases of her school(s)
    with the support recorded so far, to go back to a case after its first
    session; 50 a page, each listed case an audit row."""
    school_ids = access.schools_for(request.user, IncidentsPerm.SUPPORT_BULLYING)
    if not school_ids:
        access.deny(request, IncidentsPerm.SUPPORT_BULLYING, request.path, status=403)
    cases = (BullyingSupport.objects.filter(school_id__in=school_ids)
             .exclude(state="closed").select_related("school")
             .annotate(sessions=Count("chronology", filter=Q(
                 chronology__kind=BullyingEntryKind.SUPPORT)))
             .order_by("-reported_at", "-id"))
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    access.record_sensitive_reads(request, "incidents.bullyingsupport",
                                  [c.code for c in page], "view",
                                  IncidentsPerm.SUPPORT_BULLYING)
    return render(request, "incidents/bullying_support_list.html", {"page": page})
