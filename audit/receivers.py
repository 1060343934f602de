"""Rows from what other apps announce. audit imports no domain app: it listens.

- schools.access ``access_denied`` → "access.denied" (DENIED), the permission in
  extra, the refused reference in `target`, and the record's type, code (as
  looked up) and school when the access layer names them (a 404 names no
  school); ``access_granted`` → "record.view" / "record.export" / "record.print",
  one row per code when it carries ``target_codes`` (written in bulk).
- core.workflows ``transition_applied`` → one row per transition of any
  workflow, coded through audit.actions.for_transition, the record's old and new
  state in extra. A code nobody registered raises UnknownAction, inside the
  domain's transaction: a domain's transition is not done until it is audited.
  A system transition (by=None) that its domain did not map is not a business
  action and is left out.
- schools ``membership_changed`` → "role.grant" / "role.revoke";
  ``password_changed`` → "password.change" (own) or "password.reset" (another's).
- core.signals ``business_action`` → one row under its code (robots, task
  force, second-factor devices: apps that may not import audit); an
  unregistered code raises UnknownAction inside the sender's transaction. An
  ``outcome="denied"`` keyword (a refused second-factor code) makes it a
  DENIED row.
"""

from django.dispatch import receiver

from core.signals import business_action
from core.workflows import transition_applied
from schools.access import access_denied, access_granted
from schools.signals import membership_changed, password_changed

from . import actions
from .middleware import RECORDED_FLAG
from .models import AuditEvent
from .services import audit_record, audit_record_many


@receiver(access_denied, dispatch_uid="audit_access_denied")
def record_denial(sender, request, user, perm, target, status, target_type="",
                  target_code="", school_id=None, **kwargs):
    audit_record(
        request=request, user=user, action=actions.ACCESS_DENIED.code, target=str(target),
        target_type=str(target_type or ""), target_code=str(target_code or ""),
        school_id=school_id, extra={"permission": str(perm)},
        outcome=AuditEvent.Outcome.DENIED, status=status,
    )
    if request is not None:
        setattr(request, RECORDED_FLAG, True)


@receiver(access_granted, dispatch_uid="audit_access_granted")
def record_sensitive_access(sender, request, user, perm, target_type, target_code, action,
                            target_codes=None, **kwargs):
    if target_codes is not None:
        # Many records at once (schools.access.record_sensitive_reads): one
        # row each, one insert.
        audit_record_many(
            request=request, user=user, action=actions.RECORD_ACTIONS[action],
            target_type=target_type, target_codes=list(target_codes),
            school_id=kwargs.get("school_id"), extra={"permission": str(perm)}, status=200,
        )
        return
    audit_record(
        request=request, user=user, action=actions.RECORD_ACTIONS[action],
        target_type=target_type, target_code=str(target_code),
        school_id=kwargs.get("school_id"), extra={"permission": str(perm)},
        status=200,
    )


@receiver(transition_applied, dispatch_uid="audit_transition_applied")
def record_transition(sender, applied, by, **kwargs):
    try:
        code = actions.for_transition(sender._meta.label_lower, applied.transition.name)
    except actions.UnknownAction:
        if by is None:
            # The system's own bookkeeping (a job claimed by a worker, a notice
            # marked sent) is not a business action unless its domain maps it.
            return
        raise
    extra = {"old": applied.source, "new": applied.target}
    if applied.record is not None and getattr(applied.record, "reason", ""):
        extra["reason_given"] = True
    audit_record(user=by, action=code, obj=applied.obj,
                 extra=extra, at=applied.at)


@receiver(membership_changed, dispatch_uid="audit_membership_changed")
def record_membership(sender, membership_id, change, role, school_id, user_id, by,
                      request=None, **kwargs):
    code = actions.ROLE_GRANT.code if change == "grant" else actions.ROLE_REVOKE.code
    audit_record(
        request=request, user=by, action=code,
        target_type=sender._meta.label_lower, target_code=str(membership_id),
        school_id=school_id, extra={"role": str(role), "subject_user": user_id},
    )


@receiver(password_changed, dispatch_uid="audit_password_changed")
def record_password(sender, user, by, request=None, **kwargs):
    own = by is not None and by.pk == user.pk
    audit_record(
        request=request, user=by,
        action=actions.PASSWORD_CHANGE.code if own else actions.PASSWORD_RESET.code,
        obj=user, extra={"subject_user": user.pk},
    )


@receiver(business_action, dispatch_uid="audit_business_action")
def record_business_action(sender, code, by, obj=None, school_id=None, extra=None,
                           request=None, outcome=None, **kwargs):
    audit_record(request=request, user=by, action=code, obj=obj,
                 school_id=school_id, extra=extra,
                 outcome=AuditEvent.Outcome(outcome or AuditEvent.Outcome.ALLOWED))
