"""Signals any app may send and infrastructure listens to (core imports no app).

``business_action``: a business action that is not a workflow transition
(core.workflows' ``transition_applied`` covers those): setting up a school's
group robot, queuing its test message, changing the school's task force. Sent
with sender=None, after the change, inside the service's transaction, with the
keywords:

- code: the audit action code ("robot.save"); it must be registered in audit's
  vocabulary (audit.actions), else the receiver raises UnknownAction and the
  service's transaction is rolled back: an action is not done until audited;
- by: the user who acted (None for the system itself);
- obj: the record it concerns (optional; described by its model label and
  public code, never a name);
- school_id: the school it concerns (optional; default: the record's school);
- extra: a dict of non-personal values under audit's fixed keys
  (audit.models.EXTRA_KEYS: statuses, roles, user ids, flags) — never a secret,
  a URL, a name or free text;
- request: the request being served (optional; audit falls back to the one
  its middleware is serving);
- outcome: "denied" for a refused attempt (a wrong second-factor code);
  optional, default "allowed".

Apps below audit (schools, notifications) announce through this instead of
importing audit; audit turns each into exactly one row.
"""

from django.dispatch import Signal

business_action = Signal()


def announce(code: str, *, by, obj, school_id: int | None, request=None, **extra) -> None:
    """Send `business_action` for action `code` (registered by the app's
    audit_actions) done by `by` to `obj` at school `school_id`, from
    `request` (None outside a request), with `extra` (only keys audit
    allows: ids, counts, statuses — never a name). Audit writes one row."""
    business_action.send(sender=None, code=code, by=by, obj=obj, school_id=school_id,
                         request=request, extra=extra or None)
