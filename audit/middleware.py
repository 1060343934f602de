"""Two jobs around every request: make it the current request for receivers
that are told of an action without one (audit.services.current_request), and
put every 403 a signed-in user meets on the trail."""

from . import actions
from .models import AuditEvent
from .services import audit_record, reset_current_request, set_current_request

RECORDED_FLAG = "_audit_denial_recorded"


class ForbiddenResponseAuditMiddleware:
    """Every 403 a signed-in user meets is on the audit trail (G4: 100% of
    denials), including those raised by the Django admin and other code that
    does not go through schools.access.deny (which records its own). While the
    request is served it is audit's current request (for the IP of business
    actions recorded from signals)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_current_request(request)
        try:
            response = self.get_response(request)
        finally:
            reset_current_request(token)
        if (
            response.status_code == 403
            and not getattr(request, RECORDED_FLAG, False)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            audit_record(request=request, user=request.user, action=actions.ACCESS_DENIED.code,
                         target=request.path, outcome=AuditEvent.Outcome.DENIED, status=403)
        return response
