"""The pages of mandatory reporting (issue 10 items 1 and 6): logging a
concern (any member of staff, on a phone), the concerns one logged, a
school's list for its leads, a concern, and its referral with the
chronology. Thin: access through schools.access (a 404 for anyone who is not
one of the school's named people or the bureau's child-protection officer;
403 at once for whoever holds the permission nowhere), a recent second
factor, one audit row per open; the services decide everything else."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock, downloads
from core.downloads import photo_response
from core.forms import add_service_errors
from core.photos import DEFAULT_MAX_BYTES
from core.uploads import PhotoSizeLimitHandler
from core.workflows import InvalidTransition
from schools import access
from schools.models import Bureau, School

from . import counts, selectors, services
from .access_rules import IncidentsPerm
from .forms import (
    AgencyReportForm,
    AttachmentForm,
    ConcernForm,
    CountsFilterForm,
    LeadsForm,
    NoteForm,
    ReferralOpenForm,
    TransitionForm,
)
from .models import Concern, Referral, ReferralAttachment
from .workflows import REFERRAL

PER_PAGE = 50


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def concern_new(request):
    """登记疑似情况: any member of a school's staff (incidents.log_concern),
    with no second factor — the page shows no child and a child must never
    wait on a code; reading anything back asks for one. Someone at several
    schools picks the school first (``?school=<pk>``). A POST that fails
    keeps every word typed (400); one that succeeds goes to 我登记的情况 and
    says the same whether or not the child was found on the roll."""
    user = request.user
    school_ids = access.schools_for(user, IncidentsPerm.LOG_CONCERN)
    if not school_ids:
        access.deny(request, IncidentsPerm.LOG_CONCERN, request.path, status=403)
    chosen = request.GET.get("school") or (school_ids[0] if len(school_ids) == 1 else None)
    if chosen is None:
        # A POST that names no school has nowhere to go: choose one first.
        return render(request, "incidents/concern_school.html", {
            "schools": School.objects.filter(pk__in=school_ids).order_by("name")},
            status=400 if request.method == "POST" else 200)
    if not str(chosen).isdigit():
        access.deny(request, IncidentsPerm.LOG_CONCERN, request.path, status=404)
    school = access.get_for_user(request, School.objects, IncidentsPerm.LOG_CONCERN,
                                 pk=int(chosen))
    form = ConcernForm(request.POST or None, classes=selectors.concern_classes(school),
                       initial={"observed_at": _now_minute()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            pupil, description = services.concern_child(
                school=school, school_class_id=getattr(data["school_class"], "pk", None),
                name=data["child_name"], details=data["child_details"])
            try:
                services.concern_log(
                    school=school, by=user, pupil=pupil, child_description=description,
                    observed=data["observed"], child_words=data["child_words"],
                    observed_at=data["observed_at"], place=data["place"],
                    immediate_actions=data["immediate_actions"], request=request)
            except ValidationError as exc:
                _concern_form_errors(form, exc)
            else:
                messages.success(request, _("Logged. The school's leads have been told; "
                                            "thank you for speaking up."))
                return redirect("incidents:my_concerns")
        status = 400
    return render(request, "incidents/concern_form.html", {"school": school, "form": form},
                  status=status)


def _now_minute():
    # The form's default "when": now, to the minute, in the bureau's zone.
    return timezone.localtime(clock.now(), timezone.get_default_timezone()) \
        .replace(second=0, microsecond=0)


def _concern_form_errors(form, exc: ValidationError) -> None:
    # The service speaks of `pupil` and `child_description`; the form asks
    # for a name and details.
    fields = {"pupil": "child_name", "child_description": "child_details"}
    for field, errors in exc.message_dict.items():
        for error in errors:
            name = fields.get(field, field)
            form.add_error(name if name in form.fields else None, error)


@never_cache
@require_GET
@login_required
def my_concerns(request):
    """我登记的情况: the concerns the signed-in person logged, newest first, 50
    a page, each with its date and state only (no child, so no second
    factor); opening one asks for it. 403 for whoever logs concerns nowhere."""
    if not access.holds_anywhere(request.user, IncidentsPerm.LOG_CONCERN):
        access.deny(request, IncidentsPerm.LOG_CONCERN, request.path, status=403)
    page = Paginator(selectors.concerns_logged_by(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    rows = [{"concern": c, "state": selectors.concern_state(c)} for c in page]
    lead_school = next(iter(access.schools_for(request.user, IncidentsPerm.MANAGE_REFERRAL)),
                       None)
    return render(request, "incidents/my_concerns.html", {
        "page": page, "rows": rows, "lead_school": lead_school})


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.LOG_CONCERN,
                                     target="incidents.loggedconcern")
def my_concern_detail(request, code):
    """A concern as the person who logged it reads it back: what they wrote and
    its state, no more. Only their own (404 for anyone else's, even a lead's:
    the lead reads it on the concern page); one audit row per open."""
    concern = access.get_for_user(
        request, selectors.concerns_logged_by(request.user).select_related(
            "pupil__current_class", "logged_by"),
        IncidentsPerm.LOG_CONCERN, sensitive=True, code=code)
    return render(request, "incidents/my_concern_detail.html", {
        "concern": concern, "state": selectors.concern_state(concern)})


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL, target="schools.school")
def school_concerns(request, pk: int):
    """强制报告: the concerns of school `pk` for its leads and principal (and
    the bureau's child-protection officer), open ones or, with
    ``?closed=1``, closed ones; 50 a page, with the child, the state and the
    time from logging to the police report. Every concern on the page is one
    audit row (view, by code)."""
    school = access.get_for_user(request, School.objects, IncidentsPerm.VIEW_REFERRAL, pk=pk)
    closed = request.GET.get("closed") == "1"
    page = Paginator(selectors.school_concerns(school, closed=closed), PER_PAGE).get_page(
        request.GET.get("page"))
    rows = selectors.concern_rows(page)
    access.record_sensitive_reads(request, "incidents.concern",
                                  [row.concern.code for row in rows], "view",
                                  IncidentsPerm.VIEW_REFERRAL, school_id=school.pk)
    return render(request, "incidents/school_concerns.html", {
        "school": school, "page": page, "rows": rows, "closed": closed,
        "may_log": access.can(request.user, IncidentsPerm.LOG_CONCERN, school),
        "may_designate": access.can(request.user, IncidentsPerm.DESIGNATE_LEAD, school)})


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL)
def bureau_referrals(request):
    """The district's referrals for the bureau's child-protection officer
    (issue 10 item 6: "see their bureau's referrals with names, for
    cooperation with the police"): open ones, the longest waiting first, or
    closed ones (?closed=1); 50 a page with the school, the child, the state
    and whether the police report is overdue. Only bureau roles that hold
    incidents.view_referral (403 for a school's lead: their list is the
    school's). Every referral on the page is an audit row."""
    bureau_ids = access.bureaus_for(request.user, IncidentsPerm.VIEW_REFERRAL)
    if not bureau_ids:
        access.deny(request, IncidentsPerm.VIEW_REFERRAL, "bureau_referrals", status=403)
    closed = request.GET.get("closed") == "1"
    page = Paginator(selectors.bureau_referrals(bureau_ids, closed=closed), PER_PAGE) \
        .get_page(request.GET.get("page"))
    access.record_sensitive_reads(request, "incidents.referral", [r.code for r in page],
                                  "view", IncidentsPerm.VIEW_REFERRAL)
    overdue_before = clock.now() - dt.timedelta(hours=settings.INCIDENTS_POLICE_REPORT_HOURS)
    return render(request, "incidents/bureau_referrals.html", {
        "page": page, "closed": closed, "overdue_before": overdue_before,
        "query": "closed=1" if closed else ""})


def chosen_bureau(request, perm, target: str, wanted: str) -> Bureau:
    """The bureau `wanted` (a ?bureau= value) among those where the user holds
    `perm` by a bureau role, else their first. Refuses with 403 (audited,
    `target`) whoever holds it nowhere."""
    bureau_ids = access.bureaus_for(request.user, perm)
    if not bureau_ids:
        access.deny(request, perm, target, status=403)
    return Bureau.objects.get(
        pk=int(wanted) if wanted.isdigit() and int(wanted) in bureau_ids else bureau_ids[0])


def bureau_filter_request(request, *, target: str, template: str, empty: str):
    """(bureau, form, year, school type, None) for a bureau view and its Excel
    (incidents.view_counts; chosen_bureau), or (…, the 400 page `template`
    with `empty` None) for a bad filter."""
    bureau = chosen_bureau(request, IncidentsPerm.VIEW_COUNTS, target,
                           request.GET.get("bureau", ""))
    form = CountsFilterForm.recent(request.GET or None)
    this_year = form.initial["year"]
    if form.is_bound and not form.is_valid():
        return bureau, form, this_year, "", render(
            request, template, {"bureau": bureau, "form": form, empty: None}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    return bureau, form, data.get("year") or this_year, data.get("school_type", ""), None


def _counts_request(request):
    return bureau_filter_request(request, target="referral_counts",
                                 template="incidents/bureau_counts.html", empty="counts")


@require_GET
@login_required
def bureau_counts(request):
    """强制报告统计 (issue 10 item 7): the bureau's referrals by month,
    situation, school type and state, and the time from detection to the
    report to the police — suppressed counts (incidents.counts), never a
    child, a school or a code. No second factor: nothing here is a child's."""
    bureau, form, year, school_type, refused = _counts_request(request)
    if refused is not None:
        return refused
    data = counts.referral_counts(bureau_id=bureau.pk, year=year, school_type=school_type)
    query = {"year": year, "school_type": school_type, "bureau": request.GET.get("bureau", "")}
    return render(request, "incidents/bureau_counts.html", {
        "bureau": bureau, "form": form, "counts": data, "months": counts.month_labels(),
        "situation_rows": list(zip(data.situations, data.by_situation.cells,
                                   data.by_situation.row_totals, strict=True)),
        "type_rows": list(zip(data.types, data.by_type.cells, data.by_type.row_totals,
                              strict=True)),
        "legend": counts.legend(),
        "query": urlencode({k: v for k, v in query.items() if v})})


@require_GET
@login_required
def bureau_counts_xlsx(request):
    """The bureau view as an Excel file, with the same suppression; the
    download is an audit row (export.referral_counts)."""
    bureau, form, year, school_type, refused = _counts_request(request)
    if refused is not None:
        return refused
    data = counts.referral_counts(bureau_id=bureau.pk, year=year, school_type=school_type)
    out = io.BytesIO()
    counts.write_workbook(data, bureau_name=bureau.name, out=out)
    out.seek(0)
    services.referral_counts_exported(bureau=bureau, year=year, school_type=school_type,
                                      by=request.user, request=request)
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument"
                                              ".spreadsheetml.sheet")
    return downloads.attachment(
        response, downloads.file_name(_("Mandatory reporting"), bureau.name, str(year),
                                      ext="xlsx"),
        fallback=f"referrals_{bureau.code}_{year}.xlsx")


@never_cache
@require_http_methods(["GET", "POST"])
@access.require_recent_second_factor(perm=IncidentsPerm.DESIGNATE_LEAD, target="schools.school")
def school_leads(request, pk: int):
    """强制报告负责人 of school `pk`: its principal ticks who among the staff
    are the school's mandatory-reporting leads (behind the step-up: it
    decides who reads referrals). A bad POST is a 400 with the choices kept."""
    school = access.get_for_user(request, School.objects, IncidentsPerm.DESIGNATE_LEAD, pk=pk)
    staff = services.school_staff_for_designation(school)
    # Not `request.POST or None`: unticking everyone posts nothing, and that
    # is a choice (no designated lead), not an unsent form.
    form = LeadsForm(request.POST if request.method == "POST" else None, staff=staff,
                     initial={"leads": [p.pk for p in staff if p.is_lead]})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.reporting_leads_set(school=school, user_ids=form.cleaned_data["leads"],
                                             by=request.user, request=request)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The mandatory-reporting leads were saved."))
                return redirect("incidents:school_leads", pk=school.pk)
        status = 400
    return render(request, "incidents/school_leads.html", {"school": school, "form": form},
                  status=status)


@never_cache
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
                add_service_errors(form, exc)
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


@never_cache
@require_http_methods(["GET"])
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.referral")
def referral_detail(request, code):
    """A referral: the concern, the reports to departments, the state and the
    chronology; the lead's forms beside them."""
    referral = _referral(request, code, IncidentsPerm.VIEW_REFERRAL, sensitive=True)
    return render(request, "incidents/referral_detail.html", _referral_context(
        request, referral))


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.referral")
def referral_print(request, code):
    """强制报告登记表 (issue 10 item 7): the referral on one printable page for
    the handover to the police — the child, the situations, the concern, the
    reports to departments, the chronology and lines to sign — for whoever
    may open the referral. Each open is an audit row with action print."""
    referral = access.get_for_user(
        request, Referral.objects.select_related("school", "concern__pupil__current_class",
                                                 "concern__logged_by", "opened_by"),
        IncidentsPerm.VIEW_REFERRAL, sensitive=True, action="print", code=code)
    return render(request, "incidents/referral_print.html", {
        "referral": referral, "concern": referral.concern,
        "reports": list(referral.reports.select_related("recorded_by")),
        "chronology": list(referral.chronology.select_related("by")),
        "printed_at": clock.now()})


TRANSITION_LABELS = {
    "accept": gettext_lazy("The police accepted the case"),
    "cooperate": gettext_lazy("Cooperating with the investigation"),
    "close": gettext_lazy("Close the referral"),
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
        "attachments": list(referral.attachments.all()),
        "attachment_form": forms.get("attachment_form") or (
            AttachmentForm() if manages and referral.state != "closed" else None),
        "transitions": transitions if manages else [],
        "report_form": forms.get("report_form") or (AgencyReportForm() if manages else None),
        "note_form": forms.get("note_form") or (NoteForm() if manages else None),
        "transition_form": forms.get("transition_form") or TransitionForm(),
    }


@never_cache
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
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The report was recorded."))
            return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, report_form=form), status=400)


@never_cache
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
            add_service_errors(form, exc)
        else:
            return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, note_form=form), status=400)


@never_cache
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
        add_service_errors(form, exc)
    else:
        return redirect("incidents:referral_detail", code=referral.code)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, transition_form=form), status=400)


@csrf_exempt  # the CSRF check runs in _referral_attach, after the size-limit handler is set
@require_POST
@login_required
def referral_attach(request, code):
    """附件: photos of injuries or of documents added to a referral (POST,
    multipart), each re-encoded; a file that is not a readable photo is
    named and skipped, the others kept. The size cap is enforced while the
    upload is read (core.uploads)."""
    request.upload_handlers.insert(0, PhotoSizeLimitHandler(request))
    return _referral_attach(request, code)


@csrf_protect
@never_cache
@access.require_recent_second_factor(perm=IncidentsPerm.MANAGE_REFERRAL,
                                     target="incidents.referral")
def _referral_attach(request, code):
    referral = _referral(request, code, IncidentsPerm.MANAGE_REFERRAL)
    try:
        request.FILES  # noqa: B018 - parse the upload now, under the size handler
    except (TooManyFilesSent, TooManyFieldsSent, RequestDataTooBig):
        form = AttachmentForm()
        form.add_error(None, _("Too many files were sent at once; add them a few at a time."))
        return render(request, "incidents/referral_detail.html",
                      _referral_context(request, referral, attachment_form=form), status=400)
    form = AttachmentForm(request.POST, request.FILES)
    oversize = [_("%(name)s is larger than %(limit)s MB.") % {
        "name": name, "limit": DEFAULT_MAX_BYTES // (1024 * 1024)}
        for name in getattr(request, "oversize_files", [])]
    if form.is_valid():
        files = form.cleaned_data["files"]
        if not files and not oversize:
            form.add_error("files", _("Choose at least one photo."))
        else:
            try:
                kept, refused = services.referral_attach(
                    referral=referral, by=request.user, request=request,
                    uploads=[services.AttachmentUpload(file=f,
                                                       caption=form.cleaned_data["caption"])
                             for f in files])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                for message in [*oversize, *refused]:
                    messages.error(request, message)
                if kept:
                    messages.success(request, ngettext(
                        "%(n)s attachment kept.", "%(n)s attachments kept.", len(kept)) % {
                        "n": len(kept)})
                    return redirect("incidents:referral_detail", code=referral.code)
                form.add_error("files", _("No photo was kept."))
    for message in oversize:
        form.add_error("files", message)
    return render(request, "incidents/referral_detail.html",
                  _referral_context(request, referral, attachment_form=form), status=400)


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.referralattachment")
def attachment_view(request, code):
    """A referral's photo in the browser, for those who may open the
    referral: ``?size=thumb`` the thumbnail (shown on the referral's page,
    whose open is the audit row), otherwise the full photo — an audit row of
    its own."""
    thumb = request.GET.get("size") == "thumb"
    attachment = access.get_for_user(
        request, ReferralAttachment.objects.select_related("referral__school"),
        IncidentsPerm.VIEW_REFERRAL, sensitive=not thumb, code=code)
    return photo_response(attachment.thumbnail if thumb else attachment.image,
                          filename=f"{attachment.code.hex[:8]}.jpg", as_attachment=False)


@never_cache
@require_GET
@access.require_recent_second_factor(perm=IncidentsPerm.VIEW_REFERRAL,
                                     target="incidents.referralattachment")
def attachment_download(request, code):
    """下载附件: the full photo as a file named by the referral's date and
    the photo's code, never its caption (it may name a child). An audit row
    (export)."""
    attachment = access.get_for_user(
        request, ReferralAttachment.objects.select_related("referral__school"),
        IncidentsPerm.VIEW_REFERRAL, sensitive=True, action="export", code=code)
    name = f"{_('mandatory report')}-{attachment.referral.detected_at:%Y-%m-%d}-" \
           f"{attachment.code.hex[:8]}.jpg"
    return photo_response(attachment.image, filename=name, as_attachment=True)
