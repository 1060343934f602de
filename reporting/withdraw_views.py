"""撤回: a school takes back a report it submitted, until an inspector has
reviewed it (issue 8 item 5; the rule and its timeliness: services.report_withdraw)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schools import access

from . import services
from .access_rules import ReportingPerm
from .models import ProgressReport


@require_POST
@login_required
def report_withdraw(request, code):
    """POST only, for the school's writers (principal, safety officer): the
    report becomes a draft and its form opens. Refused with the reason (already
    reviewed, or not submitted) back on the report's page."""
    report = access.get_for_user(request, ProgressReport.objects.select_related("deadline"),
                                 ReportingPerm.EDIT_REPORT, code=code)
    try:
        services.report_withdraw(report=report, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reporting:report_detail", code=report.code)
    messages.success(request, _("The report is withdrawn and is a draft again. Submit it "
                                "again when it is ready: the new submission time counts."))
    return redirect("reporting:report_edit", pk=report.school_id, deadline_id=report.deadline_id)
