"""自动保存: the report form's draft, saved on the server as the user types
(issue 8 item 1, screens.md "a draft is never lost").

The page's script (static/js/report_draft.js) posts the form's fields here a
few seconds after a change and when a field is left, with the `version` of the
draft the page was typed over. The answer is JSON, for the script only:

    200 {"ok": true, "version": 4, "saved_at": "2026-05-12T14:05:00+08:00",
         "message": "已自动保存 14:05"}
    400 {"ok": false, "error": "invalid", "message": ..., "fields": {name: [msg]}}
    403 / 404 {"ok": false, "error": "forbidden" | "not_found", "message": ...}
    409 {"ok": false, "error": "stale" | "not_editable", "message": ...}

Access is exactly that of saving the draft (reporting.views._report_place:
schools.access, EDIT_REPORT on the school); the CSRF middleware guards it like
every POST. An autosave is a draft save and nothing more: it never submits, it
writes no transition and no audit row of its own, and it never overwrites a
newer save (services.report_save_draft's expected_version).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock

from . import services
from .forms import ReportForm
from .views import _posted_version, _report_place


def _refused(status: int, error: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"ok": False, "error": error, "message": message, **extra},
                        status=status)


def _invalid(errors) -> JsonResponse:
    fields = {name: [str(m) for m in messages] for name, messages in errors.items()}
    problems = " ".join(m for messages in fields.values() for m in messages)
    return _refused(400, "invalid", _("Not saved automatically: %(problems)s") % {
        "problems": problems}, fields=fields)


@require_POST
@login_required
def report_autosave(request, pk: int, deadline_id: int):
    """Save the posted report fields as the draft if the stored draft is still
    the `version` the page was typed over. Answers JSON (see the module)."""
    try:
        school, deadline, report = _report_place(request, pk, deadline_id)
    except Http404:  # already recorded by the access layer
        return _refused(404, "not_found", _("This report was not found."))
    except PermissionDenied:
        return _refused(403, "forbidden", _("You may not change this report."))
    version = _posted_version(request.POST.get("version"))
    if version is None:
        return _refused(400, "invalid", _("The page is out of date: reload it."))
    form = ReportForm(request.POST, report=report, kind=deadline.kind)
    if not form.is_valid():
        return _invalid(form.errors)
    if report is None and version != 0:
        return _refused(409, "stale", _("The page is out of date: reload it."))
    at = clock.now()
    try:
        report = report or services.report_start(school=school, deadline=deadline,
                                                 by=request.user)
        report = services.report_save_draft(
            report=report, by=request.user, sections=form.sections_data(),
            measures=form.measures_data(), expected_version=version)
    except services.DraftConflict as exc:
        return _refused(409, "stale", " ".join(exc.messages))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):  # a section the service finds too long
            return _invalid(exc.message_dict)
        # Submitted (seen under the service's lock, so also when it happened
        # while this request was on its way).
        return _refused(409, "not_editable", _(
            "This report has been submitted and can no longer be changed. "
            "Autosave has stopped."))
    local = timezone.localtime(at, timezone.get_default_timezone())
    return JsonResponse({
        "ok": True, "version": report.draft_version, "saved_at": local.isoformat(),
        "message": _("Saved automatically at %(time)s") % {"time": local.strftime("%H:%M")},
    })
