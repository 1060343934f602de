from django.dispatch import receiver

from schools.access import access_denied

from .middleware import RECORDED_FLAG
from .models import AuditEvent
from .services import audit_record


@receiver(access_denied, dispatch_uid="audit_access_denied")
def record_denial(sender, request, user, perm, target, status, **kwargs):
    audit_record(
        request=request, user=user, action=f"denied:{perm}", target=target,
        outcome=AuditEvent.Outcome.DENIED, status=status,
    )
    if request is not None:
        setattr(request, RECORDED_FLAG, True)
