from django.core.paginator import Paginator
from django.shortcuts import render

from schools.access import require_perm

from .access_rules import AuditPerm
from .models import AuditEvent
from .services import audit_record


@require_perm(AuditPerm.VIEW_AUDIT_LOG)
def event_list(request):
    events = AuditEvent.objects.all()
    outcome = request.GET.get("outcome")
    if outcome in AuditEvent.Outcome.values:
        events = events.filter(outcome=outcome)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    # Reading the trail is itself on the trail.
    audit_record(request=request, user=request.user, action="read:audit_log",
                 target="audit_log", outcome=AuditEvent.Outcome.ALLOWED, status=200)
    return render(request, "audit/event_list.html", {
        "page": page, "outcome": outcome, "outcomes": AuditEvent.Outcome.choices,
    })
