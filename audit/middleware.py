from .models import AuditEvent
from .services import audit_record

RECORDED_FLAG = "_audit_denial_recorded"


class ForbiddenResponseAuditMiddleware:
    """Every 403 a signed-in user meets is on the audit trail (G4: 100% of
    denials), including those raised by the Django admin and other code that
    does not go through schools.access.deny (which records its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 403
            and not getattr(request, RECORDED_FLAG, False)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            audit_record(request=request, user=request.user, action="denied:http",
                         target=request.path, outcome=AuditEvent.Outcome.DENIED, status=403)
        return response
