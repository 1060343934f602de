import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from core import clock, downloads
from core.downloads import photo_response
from core.photos import DEFAULT_MAX_BYTES, safe_display_name
from core.uploads import PhotoSizeLimitHandler
from schools import access
from schools.access_rules import SchoolsPerm
from schools.models import School, SchoolType

from . import bulletin_views, bulletins, dashboard, export_jobs, selectors, services, workflows
from .access_rules import ReportingPerm
from .filters import DashboardFilter, ReviewQueueFilter
from .forms import BulletinForm, PhotoForm, ReportForm, ReturnForm
from .models import (
    MAX_PHOTOS_PER_REPORT,
    Bulletin,
    Deadline,
    ExportJob,
    ProgressReport,
    ReportPhoto,
)


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def school_reports(request, pk: int):
    """报告: the school's workbench, a to-do list (selectors.school_todo): returned
    reports, missed deadlines to 补报, the current deadline, then the rest."""
    school = access.get_for_user(request, School.objects, ReportingPerm.VIEW_REPORT, pk=pk)
    todo = selectors.school_todo(school)
    rows = todo.returned + todo.missed + todo.current + todo.later + todo.history
    return render(request, "reporting/school_reports.html", {
        "school": school, "todo": todo,
        "rows": sorted(rows, key=lambda r: (r.deadline.due_date, r.deadline.kind)),
        "can_edit": access.can(request.user, ReportingPerm.EDIT_REPORT, school),
    })


@login_required
def report_edit(request, pk: int, deadline_id: int):
    """填写报告: save a draft any time; submit when complete. On an error the
    draft is still saved and everything typed is shown again. A save from a page
    opened before the draft was saved elsewhere (another tab or phone: the posted
    `version` is older) is refused and shown again as typed, nothing overwritten;
    saving once more from that page then wins (issue 8 item 1)."""
    school, deadline, report = _report_place(request, pk, deadline_id)
    if report is not None and not report.is_editable:
        return redirect("reporting:report_detail", code=report.code)
    form = ReportForm(request.POST if request.method == "POST" else None, report=report,
                      kind=deadline.kind)
    status = 200
    photo_form = PhotoForm(earliest=deadline.campaign.start_month)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            report = report or services.report_start(school=school, deadline=deadline,
                                                     by=request.user)
            try:
                # The saved copy: its draft_version is what the page's autosave
                # types over next, also when the submission below is refused.
                report = _save_typed(request, report, form)
                if "submit" in request.POST:
                    services.report_submit(report=report, by=request.user)
                    messages.success(request, _("Report submitted."))
                    return redirect("reporting:report_detail", code=report.code)
                messages.success(request, _("Draft saved."))
                return redirect("reporting:report_edit", pk=school.pk, deadline_id=deadline.pk)
            except services.DraftConflict:
                # The page shows the stored version now: saving again overwrites.
                status = 409
                form.add_error(None, _(
                    "This report was saved in another window or on another device after this "
                    "page was opened, so nothing was saved now. What you typed is still below: "
                    "check it, then press Save draft or Submit again to keep this text."))
            except ValidationError as exc:
                _add_errors(form, exc)
                messages.error(request, _("The draft is saved, but the report is not complete "
                                          "yet. See the notes below."))
    return _render_form(request, school, deadline, report, form, photo_form, status)


def _save_typed(request, report: ProgressReport, form: ReportForm) -> ProgressReport:
    """Save the posted draft unless the page was opened on an older version AND the
    stored draft now says something else (another tab or phone saved other text):
    then services.DraftConflict. When the stored text is what this page sends (its
    own autosave, fired as the field lost focus to the 提交 button, got there
    first), the save goes ahead."""
    def save(expected):
        return services.report_save_draft(report=report, by=request.user,
                                          sections=form.sections_data(),
                                          measures=form.measures_data(),
                                          expected_version=expected)
    try:
        return save(_posted_version(request.POST.get("version")))
    except services.DraftConflict:
        stored = ProgressReport.objects.prefetch_related("measures").get(pk=report.pk)
        if not _holds(stored, form):
            raise
        return save(None)


def _holds(report: ProgressReport, form: ReportForm) -> bool:
    """Whether `report` as stored says what `form` sends (sections and measures,
    blanks trimmed as the service trims them)."""
    sent_sections = {k: (v or "").strip() for k, v in form.sections_data().items()}
    stored_sections = {k: (report.sections.get(k) or "").strip() for k in sent_sections}
    sent_measures = {k: (v or "").strip() for k, v in form.measures_data().items()}
    stored_measures = {m.measure: (m.narrative or "").strip() for m in report.measures.all()}
    return sent_sections == stored_sections and sent_measures == stored_measures


def _posted_version(raw: str | None) -> int | None:
    """The draft_version the posted page was opened on, or None when the form sent
    none (then the save is not checked)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def _report_place(request, pk: int, deadline_id: int):
    """(school, deadline, report or None) for the report form's URLs, if the
    user may edit the school's reports: an unknown or foreign school or deadline
    is a 404 (access.get_for_user, access.deny)."""
    school = access.get_for_user(request, School.objects, ReportingPerm.EDIT_REPORT, pk=pk)
    deadline = selectors.deadlines_for_school(school).filter(pk=deadline_id).first()
    if deadline is None:
        access.deny(request, ReportingPerm.EDIT_REPORT, f"deadline:{deadline_id}", status=404)
    return school, deadline, ProgressReport.objects.filter(school=school, deadline=deadline).first()


def _render_form(request, school, deadline, report, form, photo_form, status,
                 photo_error: str = "", photo_retry: list[str] | None = None):
    photos = list(report.photos.all()) if report else []
    # Where the report stands against its deadline, said at the top of the form
    # (issue 8, walk-through i): a school about to submit late is told so first.
    # A returned report keeps its first submission's timeliness: nothing to say.
    first_time = report is None or report.first_submitted_at is None
    today = clock.today()
    return render(request, "reporting/report_form.html", {
        "overdue_days": ((today - deadline.due_date).days
                         if first_time and deadline.is_closed(clock.now()) else None),
        "days_left": (deadline.due_date - today).days if first_time else None,
        "school": school, "deadline": deadline, "report": report, "form": form,
        "photo_form": photo_form, "photos": photos, "photo_error": photo_error,
        "photo_room": MAX_PHOTOS_PER_REPORT - len(photos),
        # Files chosen but not kept: a browser cannot re-attach them, so the page
        # names them and asks for them again (issue 8 item 1).
        "photo_retry": photo_retry or [],
    }, status=status)


@csrf_exempt  # the CSRF check runs in _photo_add, after the size-limit handler is in place
@require_POST
@login_required
def photo_add(request, pk: int, deadline_id: int):
    """添加照片: several at once, each re-encoded; a bad file is named and skipped."""
    request.upload_handlers.insert(0, PhotoSizeLimitHandler(request))
    try:
        request.FILES  # noqa: B018 - parse the upload now, under our handler
    except (TooManyFilesSent, TooManyFieldsSent, RequestDataTooBig):
        # Django refuses the whole request (more than DATA_UPLOAD_MAX_NUMBER_FILES
        # files): the portal's own page says what the limits are, never a bare 400.
        return _upload_refused(request, pk, deadline_id)
    return _photo_add(request, pk, deadline_id)


def _upload_refused(request, pk: int, deadline_id: int):
    school, deadline, report = _report_place(request, pk, deadline_id)
    messages.error(request, _("The photos were not added: too many files at once."))
    form = ReportForm(None, report=report, kind=deadline.kind)
    return _render_form(request, school, deadline, report, form, PhotoForm(), status=400,
                        photo_error=_(
                            "Too many files were sent at once. Choose at most %(n)s photos of "
                            "up to %(mb)s MB each, and add them again.") % {
                            "n": MAX_PHOTOS_PER_REPORT,
                            "mb": DEFAULT_MAX_BYTES // (1024 * 1024)})


@csrf_protect
def _photo_add(request, pk: int, deadline_id: int):
    school, deadline, report = _report_place(request, pk, deadline_id)
    if report is not None and not report.is_editable:
        return redirect("reporting:report_detail", code=report.code)
    # The page's script sends what is typed in the report form along with the
    # photos ("draft_carried"): it is saved as the draft first, so adding a
    # photo never discards unsaved text (screens.md "a draft is never lost").
    draft_form = None
    if request.POST.get("draft_carried"):
        draft_form = ReportForm(request.POST, report=report, kind=deadline.kind)
        if draft_form.is_valid():
            report = report or services.report_start(school=school, deadline=deadline,
                                                     by=request.user)
            try:
                report = services.report_save_draft(report=report, by=request.user,
                                                    sections=draft_form.sections_data(),
                                                    measures=draft_form.measures_data())
            except ValidationError as exc:
                _add_errors(draft_form, exc)
    photo_form = PhotoForm(request.POST, request.FILES, earliest=deadline.campaign.start_month)
    files = request.FILES.getlist("photos")
    problems = [
        _("%(name)s is larger than %(limit)s MB.") % {
            "name": safe_display_name(name), "limit": DEFAULT_MAX_BYTES // (1024 * 1024)}
        for name in request.oversize_files
    ]
    if not files and not problems:
        photo_form.add_error("photos", _("Choose at least one photo."))
    if photo_form.is_valid() and files:
        report = report or services.report_start(school=school, deadline=deadline,
                                                 by=request.user)
        uploads = [services.PhotoUpload(file=f, caption=photo_form.cleaned_data["caption"],
                                        taken_on=photo_form.cleaned_data["taken_on"])
                   for f in files]
        added, rejected = services.report_add_photos(report=report, by=request.user,
                                                     uploads=uploads)
        problems += rejected
        if added:
            messages.success(request, _("%(n)s photos added.") % {"n": len(added)})
        if not problems:
            return redirect("reporting:report_edit", pk=school.pk, deadline_id=deadline.pk)
    retry = [] if photo_form.is_valid() else [
        safe_display_name(name) for name in [f.name for f in files] + request.oversize_files]
    for problem in problems:
        photo_form.add_error("photos", problem)
    # What was typed is shown again as typed (and, when it could be, saved).
    form = draft_form or ReportForm(None, report=report, kind=deadline.kind)
    return _render_form(request, school, deadline, report, form, photo_form, status=400,
                        photo_retry=retry)


@require_GET
@login_required
def photo_file(request, code, size: str = "full"):
    """A photo, only through this permission check, shown in the browser (inline) and
    never sniffed into anything but a JPEG (U1, U12; issue 8 item 2)."""
    photo = access.get_for_user(request, ReportPhoto.objects, ReportingPerm.VIEW_REPORT,
                                code=code)
    field = photo.thumbnail if size == "thumbnail" else photo.image
    return photo_response(field, as_attachment=False,
                          filename=f"{photo.code}{'-thumb' if size == 'thumbnail' else ''}.jpg")


@require_POST
@login_required
def photo_remove(request, code):
    photo = access.get_for_user(request, ReportPhoto.objects.select_related("report__deadline"),
                                ReportingPerm.EDIT_REPORT, code=code)
    report = photo.report
    try:
        services.report_remove_photo(photo=photo, by=request.user)
        messages.success(request, _("Photo removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reporting:report_edit", pk=report.school_id, deadline_id=report.deadline_id)


@login_required
def report_detail(request, code):
    report = access.get_for_user(request, ProgressReport.objects.select_related("deadline"),
                                 ReportingPerm.VIEW_REPORT, code=code)
    can_review = access.can(request.user, ReportingPerm.REVIEW_REPORT, report.school)
    return render(request, "reporting/report_detail.html", {
        "report": report, **selectors.report_detail(report),
        "can_review": can_review and report.status in ("submitted", "resubmitted"),
        "can_edit": report.is_editable and access.can(request.user, ReportingPerm.EDIT_REPORT,
                                                      report.school),
        # 撤回: the workflow's own answer (state and access), for the button only.
        "can_withdraw": any(t.name == "withdraw"
                            for t in workflows.REPORT.available(report, request.user)),
        "return_form": _return_form(request, report),
    })


def _return_form(request, report) -> ReturnForm:
    """The 退回 form, bound to the reason typed before a refusal (and so
    showing its error) once, right after report_return sent the reviewer back."""
    typed = request.session.pop(_return_draft_key(report), None)
    if typed is None:
        return ReturnForm()
    form = ReturnForm({"reason": typed})
    form.is_valid()  # its errors show next to the kept text
    return form


@require_POST
@login_required
def report_approve(request, code):
    report = access.get_for_user(request, ProgressReport.objects.select_related("deadline"),
                                 ReportingPerm.REVIEW_REPORT, code=code)
    try:
        services.report_approve(report=report, by=request.user)
        messages.success(request, _("Report approved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reporting:report_detail", code=report.code)
    if "next" in request.POST:  # 通过并下一份
        following = selectors.next_to_review(request.user, report)
        if following is None:
            messages.info(request, _("Nothing else awaits review."))
            return redirect("reporting:review_queue")
        return redirect("reporting:report_detail", code=following.code)
    return redirect("reporting:report_detail", code=report.code)


def _return_draft_key(report) -> str:
    return f"reporting:return-draft:{report.code}"


@require_POST
@login_required
def report_return(request, code):
    """退回 with a reason. A refused reason (empty, too long) or a refusal by
    the service goes back to the report's own page with the typed reason and
    the message (kept in the session for that one page; issue 8 item 9: the
    address stayed on …/return/, and the text was Django's)."""
    report = access.get_for_user(request, ProgressReport.objects.select_related("deadline"),
                                 ReportingPerm.REVIEW_REPORT, code=code)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.report_return(report=report, by=request.user,
                                   reason=form.cleaned_data["reason"])
            messages.success(request, _("Report returned to the school."))
            return redirect("reporting:report_detail", code=report.code)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError)
                           else _("not allowed"))
    request.session[_return_draft_key(report)] = request.POST.get("reason", "")
    return redirect(reverse("reporting:report_detail", args=[report.code]) + "#return")


@login_required
def review_queue(request):
    """审核: reports awaiting review, by deadline, school type and status."""
    if not access.has_perm(request.user, SchoolsPerm.VIEW_DISTRICT):
        access.deny(request, SchoolsPerm.VIEW_DISTRICT, request.path, status=403)
    deadlines = Deadline.objects.filter(campaign__bureau__in=access.bureaus_for(
        request.user, ReportingPerm.VIEW_CAMPAIGN)).order_by("due_date")
    filterset = ReviewQueueFilter(request.GET,
                                  queryset=selectors.review_candidates(request.user),
                                  deadlines=deadlines)
    reports = filterset.qs
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reporting/review_queue.html", {
        "form": filterset.form, "page": page, "query": query.urlencode(),
        "total": page.paginator.count,
    })


@login_required
def bureau_dashboard(request):
    """督导看板: the timeliness of every school at every deadline."""
    if not access.has_perm(request.user, SchoolsPerm.VIEW_DISTRICT):
        access.deny(request, SchoolsPerm.VIEW_DISTRICT, request.path, status=403)
    campaigns = list(dashboard.campaigns_for(request.user).order_by("-start_month"))
    chosen = DashboardFilter(request.GET, campaign_ids=[c.pk for c in campaigns]).values()
    campaign = next((c for c in campaigns if c.pk == chosen["campaign"]),
                    campaigns[0] if campaigns else None)
    if campaign is None:
        return render(request, "reporting/dashboard.html", {"campaigns": []})
    context = dashboard.dashboard(
        request.user, campaign=campaign, deadline_id=chosen["deadline"],
        school_type=chosen["school_type"], state=chosen["state"],
        after=request.GET.get("after"), before=request.GET.get("before"),
    )
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    return render(request, "reporting/dashboard.html", {
        **context, "campaigns": campaigns, "query": query.urlencode(),
        "school_type": chosen["school_type"], "state": chosen["state"],
        "school_types": SchoolType.choices, "states": dashboard.STATE_LABELS,
        "export_kinds": ExportJob.Kind.choices,
    })


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def bulletin(request, deadline_id: int):
    """通报: drafted from the data when first opened (a draft's figures follow the
    data until it is published), worded by the inspector, then published."""
    deadline = access.get_for_user(request, Deadline.objects, ReportingPerm.REVIEW_REPORT,
                                   pk=deadline_id)
    try:
        item = bulletins.bulletin_draft(deadline=deadline, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('reporting:dashboard')}?deadline={deadline.pk}")
    if request.method == "POST" and "regenerate" in request.POST:
        try:
            bulletins.bulletin_regenerate(bulletin=item, by=request.user)
            messages.success(request, _("The notice was drafted again from the current data."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("reporting:bulletin", deadline_id=deadline.pk)
    form = BulletinForm(request.POST if request.method == "POST" else None, initial={
        "title": item.title, "addressees": item.addressees, "body": item.body,
        "remedy_by": item.remedy_by, "cc": item.cc})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                bulletins.bulletin_edit(bulletin=item, by=request.user, **form.cleaned_data)
                if "publish" in request.POST:
                    bulletins.bulletin_publish(bulletin=item, by=request.user)
                    messages.success(request, _("The notice is published."))
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("reporting:bulletin", deadline_id=deadline.pk)
            except ValidationError as exc:
                _add_errors(form, exc)
                item.refresh_from_db()  # the preview shows what is saved
    return render(request, "reporting/bulletin.html", {
        "bulletin": item, "deadline": deadline, "form": form,
        **bulletin_views.document_context(item)}, status=status)


@require_GET
@login_required
def bulletin_xlsx(request, deadline_id: int):
    deadline = access.get_for_user(request, Deadline.objects.select_related("campaign__bureau"),
                                   ReportingPerm.REVIEW_REPORT, pk=deadline_id)
    item = Bulletin.objects.filter(deadline=deadline).first()
    if item is None:
        access.deny(request, ReportingPerm.REVIEW_REPORT, f"deadline:{deadline_id}", status=404)
    out = io.BytesIO()
    bulletins.bulletin_workbook(item, out)
    out.seek(0)
    response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument"
                                              ".spreadsheetml.sheet")
    bureau = deadline.campaign.bureau
    day = f"{deadline.due_date:%Y%m%d}"
    return downloads.attachment(
        response, downloads.file_name(_("Late-school notice"), bureau.name, day, ext="xlsx"),
        fallback=f"tongbao_{bureau.code}_{day}.xlsx")


@require_POST
@login_required
def export_start(request):
    if not access.has_perm(request.user, SchoolsPerm.VIEW_DISTRICT):
        access.deny(request, SchoolsPerm.VIEW_DISTRICT, request.path, status=403)
    campaign = dashboard.campaigns_for(request.user).filter(
        pk=_int_or_none(request.POST.get("campaign"))).first()
    kind = request.POST.get("kind")
    if campaign is None or kind not in ExportJob.Kind.values:
        messages.error(request, _("Choose what to export."))
        return redirect("reporting:dashboard")
    job = export_jobs.export_start(user=request.user, campaign=campaign, kind=kind)
    return redirect("reporting:export", code=job.code)


@require_GET
@login_required
def export_status(request, code):
    return render(request, "reporting/export.html", {"job": access.get_for_user(
        request, ExportJob.objects, SchoolsPerm.VIEW_DISTRICT, code=code)})


@require_GET
@login_required
def export_download(request, code):
    job = access.get_for_user(request, ExportJob.objects.select_related("campaign__bureau"),
                              SchoolsPerm.VIEW_DISTRICT, code=code)
    if job.status != ExportJob.Status.DONE:
        access.deny(request, SchoolsPerm.VIEW_DISTRICT, f"exportjob:{code}", status=404)
    audit_record(request=request, user=request.user, action="export.download", obj=job,
                 extra={"kind": job.kind}, status=200)
    response = FileResponse(job.file.open("rb"),
                            content_type="application/vnd.openxmlformats-officedocument"
                                         ".spreadsheetml.sheet")
    name, fallback = export_jobs.download_names(job)
    return downloads.attachment(response, name, fallback)
