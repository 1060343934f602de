"""The auditor's pages: the log, filtered and paginated, and its Excel export.
Only AuditPerm.VIEW_AUDIT_LOG (the auditor) may see or export it; reading and
exporting the log are themselves on the log ("audit.view", "audit.export"),
the reads hidden from the page unless asked for (audit.filters)."""

import io

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import downloads
from schools import access
from schools.access import require_perm
from schools.models import School

from . import actions
from .access_rules import AuditPerm
from .exports import write_audit_workbook
from .filters import AuditEventFilter
from .models import AuditEvent
from .services import audit_record

PER_PAGE = 50


def _filterset(request) -> AuditEventFilter:
    schools = School.objects.filter(bureau_id__in=access.bureaus_for(request.user, None))
    return AuditEventFilter(request.GET, queryset=AuditEvent.objects.all(),
                            schools=schools.order_by("code"))


def _used_filters(filterset: AuditEventFilter) -> dict[str, str]:
    """The valid filters that narrowed the log ({name: value as text}), for the
    audit row of the reading; an unticked box is not a filter."""
    data = getattr(filterset.form, "cleaned_data", {})
    return {name: str(getattr(value, "pk", value)) for name, value in data.items()
            if value is not None and value is not False and value != ""}


def _render_list(request, filterset: AuditEventFilter):
    """The page, and its "audit.view" row. With an invalid filter: no rows
    (never the unfiltered log), the form's errors by its fields, a banner, and
    status 400; the typed values stay in the form."""
    valid = filterset.is_valid()
    events = filterset.qs if valid else AuditEvent.objects.none()
    page = Paginator(events.select_related("school"), PER_PAGE).get_page(
        request.GET.get("page"))
    for event in page:
        event.action_label = actions.label(event.action)
        event.type_label = actions.record_type_label(event.target_type)
    status = 200 if valid else 400
    audit_record(request=request, user=request.user, action=actions.AUDIT_VIEW.code,
                 target="audit_log", extra={"filters": _used_filters(filterset)}, status=status)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {
        "filter": filterset, "form": filterset.form, "page": page, "query": query.urlencode(),
        "filter_invalid": not valid,
    }, status=status)


@require_perm(AuditPerm.VIEW_AUDIT_LOG)
def event_list(request):
    """审计日志: newest first, 50 a page, the auditors' own reads left out
    unless asked for, a fixed number of queries whatever the number of rows
    (count, page with its schools, the school and record-type choices).
    An invalid filter answers 400 with the errors and no rows."""
    return _render_list(request, _filterset(request))


@require_GET
@require_perm(AuditPerm.VIEW_AUDIT_LOG)
def event_export(request):
    """The filtered log as .xlsx (at most exports.MAX_ROWS rows). With an
    invalid filter no file is written: the page answers 400 with the errors,
    as event_list does (and the reading is logged as one)."""
    filterset = _filterset(request)
    if not filterset.is_valid():
        return _render_list(request, filterset)
    out = io.BytesIO()
    rows = write_audit_workbook(filterset.qs, out)
    out.seek(0)
    audit_record(request=request, user=request.user, action=actions.AUDIT_EXPORT.code,
                 target="audit_log", extra={"filters": _used_filters(filterset), "rows": rows},
                 status=200)
    made = downloads.stamp()
    return downloads.attachment(
        FileResponse(out, content_type="application/vnd.openxmlformats-officedocument"
                                       ".spreadsheetml.sheet"),
        downloads.file_name(_("Audit log"), made, ext="xlsx"),
        fallback=f"audit-log_{made}.xlsx")
