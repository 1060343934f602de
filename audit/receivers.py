"""audit listens to the access layer (schools imports no other app): every
refusal becomes a DENIED row, every open/export/print of a sensitive record an
ALLOWED row (security.md G4)."""

from django.dispatch import receiver

from schools.access import access_denied, access_granted

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


@receiver(access_granted, dispatch_uid="audit_access_granted")
def record_sensitive_access(sender, request, user, perm, target_type, target_code, action,
                            **kwargs):
    audit_record(
        request=request, user=user, action=f"{action}:{perm}",
        target=f"{target_type}:{target_code}", outcome=AuditEvent.Outcome.ALLOWED,
        status=200,
    )
