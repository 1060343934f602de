"""Pages for importing a school's pupil roster (issue 9 item 3): upload,
preview, confirm, result, and the template to download.

Whoever holds schools.manage_roster at the school (its principal and safety
officer) with a recent second factor (step-up: the preview shows children).
The work is in schools.roster (plan, uploads); these views only ask and show.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.downloads import attachment

from . import access
from .access_rules import SchoolsPerm
from .forms import RosterUploadForm
from .models import PupilStatus, RosterUpload, RosterUploadStatus, School
from .roster import uploads
from .roster.plan import KEEP, LEAVE_CHOICES, LeaveNotChosen, RosterHasErrors
from .roster.table import RosterFileError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _school(request, pk: int) -> School:
    return access.get_for_user(request, School.objects, SchoolsPerm.MANAGE_ROSTER, pk=pk)


def _upload(request, school: School, code, *, sensitive: bool = False) -> RosterUpload:
    return access.get_for_user(request, RosterUpload.objects.filter(school=school),
                               SchoolsPerm.MANAGE_ROSTER, sensitive=sensitive, code=code)


def _refused(request, school, message: str, status: int, upload=None):
    return render(request, "schools/roster_refused.html",
                  {"school": school, "message": message, "upload": upload}, status=status)


@require_safe
@login_required
def roster_template(request, pk: int):
    """The empty roster template (学生名册模板.xlsx); no child's data in it."""
    from .roster.template import build_template

    _school(request, pk)
    response = HttpResponse(build_template(), content_type=XLSX)
    return attachment(response, "学生名册模板.xlsx", "roster_template.xlsx")


@access.require_recent_second_factor(perm=SchoolsPerm.MANAGE_ROSTER)
def roster_import(request, pk: int):
    school = _school(request, pk)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = uploads.store_upload(
                school=school, by=request.user, uploaded=form.cleaned_data["file"],
                full_roster=form.cleaned_data["full_roster"])
        except RosterFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("schools:roster_preview", pk=school.pk, code=upload.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "schools/roster_import.html", {"school": school, "form": form},
                  status=status)


def _closed(request, school, upload):
    """The page for an upload that can no longer be confirmed, or None."""
    if upload.status == RosterUploadStatus.COMMITTED:
        return redirect("schools:roster_result", pk=school.pk, code=upload.code)
    if upload.status != RosterUploadStatus.PENDING:
        return _refused(request, school, _(
            "This upload was abandoned. Upload the file again."), 410, upload)
    if upload.is_expired():
        return _refused(request, school, _(
            "This preview is more than 24 hours old and has expired; nothing was changed. "
            "Upload the file again."), 410, upload)
    return None


@require_safe
@access.require_recent_second_factor(perm=SchoolsPerm.MANAGE_ROSTER)
def roster_preview(request, pk: int, code):
    school = _school(request, pk)
    upload = _upload(request, school, code, sensitive=True)
    closed = _closed(request, school, upload)
    if closed is not None:
        return closed
    try:
        plan = uploads.plan_for(upload)
    except RosterFileError as exc:
        return _refused(request, school, exc.message, 400, upload)
    # Nothing is chosen for the portal's guess except graduation from the
    # school's last grade: a person says what happened to each child.
    choices = [(PupilStatus.TRANSFERRED_OUT.value, _("Transferred out (转出)")),
               (PupilStatus.GRADUATED.value, _("Graduated (毕业)")),
               (KEEP, _("Keep enrolled"))]
    missing = [{"pupil": m, "choices": choices,
                "chosen": m.default if m.default == PupilStatus.GRADUATED else ""}
               for m in plan.missing]
    return render(request, "schools/roster_preview.html", {
        "school": school, "upload": upload, "plan": plan, "missing": missing,
        "is_uploader": upload.uploaded_by_id == request.user.pk})


@require_POST
@access.require_recent_second_factor(perm=SchoolsPerm.MANAGE_ROSTER)
def roster_confirm(request, pk: int, code):
    school = _school(request, pk)
    upload = _upload(request, school, code)
    fingerprint = request.POST.get("fingerprint", "")
    leave = {key.removeprefix("leave-"): value for key, value in request.POST.items()
             if key.startswith("leave-")}
    if not fingerprint or any(v not in LEAVE_CHOICES for v in leave.values()):
        return _refused(request, school, _(
            "The confirmation was incomplete; nothing was changed. Open the preview and "
            "confirm from there."), 400, upload)
    try:
        uploads.confirm_upload(upload, by=request.user, fingerprint=fingerprint, leave=leave,
                               include_hidden=request.POST.get("include_hidden") == "on",
                               request=request)
    except uploads.UploadRefused as exc:
        return _refused(request, school, exc.message, exc.status, upload)
    except LeaveNotChosen as exc:
        messages.error(request, ngettext(
            "Say what happened to the %(count)d pupil not in the file; nothing was changed.",
            "Say what happened to each of the %(count)d pupils not in the file; nothing was "
            "changed.", exc.count) % {"count": exc.count})
        return redirect("schools:roster_preview", pk=school.pk, code=upload.code)
    except RosterHasErrors:
        return _refused(request, school, _(
            "The file has rows with errors; nothing was changed. Fix these rows in your file "
            "and upload it again."), 400, upload)
    except RosterFileError as exc:
        return _refused(request, school, exc.message, 400, upload)
    messages.success(request, _("The roster was imported."))
    return redirect("schools:roster_result", pk=school.pk, code=upload.code)


@require_safe
@access.require_recent_second_factor(perm=SchoolsPerm.MANAGE_ROSTER)
def roster_result(request, pk: int, code):
    school = _school(request, pk)
    upload = _upload(request, school, code)
    if upload.status != RosterUploadStatus.COMMITTED:
        return redirect("schools:roster_preview", pk=school.pk, code=upload.code)
    return render(request, "schools/roster_result.html",
                  {"school": school, "upload": upload, "result": upload.result})
