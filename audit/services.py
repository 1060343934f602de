"""Writing to the audit trail. Any app may call these; audit imports no domain app.

A record is described through a small protocol, so audit needs no domain model:

- its type is ``obj._meta.label_lower`` ("reporting.progressreport");
- its public code is ``obj.audit_code`` if the model defines it, else its
  ``code`` field (a UUID), else its primary key — never a name;
- its school is ``obj.audit_school_id`` if defined, else ``obj.school_id``,
  else the object itself when it is a School, else none.

The request, when there is one, gives the IP (through schools.access.client_ip,
the one place that knows about proxies). Receivers of signals sent without a
request (workflow transitions inside services) take the request the audit
middleware is serving, if any (`current_request`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from core import clock
from schools import access
from schools.models import School

from . import actions
from .models import EXTRA_KEYS, AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served (set by audit.middleware), or None in a task,
    a command or a test that calls services directly."""
    return _current_request.get()


def set_current_request(request: HttpRequest | None) -> contextvars.Token:
    """Make `request` the current one; returns the token to reset it with."""
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def describe(obj: models.Model) -> tuple[str, str, int | None]:
    """(target_type, target_code, school_id) of a model instance, by the
    protocol in the module docstring. Raises nothing."""
    code = getattr(obj, "audit_code", None)
    if code is None:
        code = getattr(obj, "code", None) if _has_field(obj, "code") else None
    if code is None:
        code = obj.pk
    if hasattr(obj, "audit_school_id"):
        school_id = obj.audit_school_id
    elif isinstance(obj, School):
        school_id = obj.pk
    else:
        school_id = getattr(obj, "school_id", None)
    return obj._meta.label_lower, str(code), school_id


def _has_field(obj: models.Model, name: str) -> bool:
    try:
        obj._meta.get_field(name)
    except Exception:  # FieldDoesNotExist
        return False
    return True


# The longest string an audit row's `extra` keeps (a filter value typed into
# the auditor's page, a kind): references, not content.
MAX_EXTRA_CHARS = 200


def _trimmed(value: Any) -> Any:
    """`value` with every string in it (dict values and keys, list items) cut at
    MAX_EXTRA_CHARS characters; anything else as it is."""
    if isinstance(value, str):
        return value[:MAX_EXTRA_CHARS]
    if isinstance(value, Mapping):
        return {_trimmed(k) if isinstance(k, str) else k: _trimmed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_trimmed(v) for v in value]
    return value


def audit_record(
    *,
    request: HttpRequest | None = None,
    user,
    action: str,
    obj: models.Model | None = None,
    target_type: str = "",
    target_code: str = "",
    school_id: int | None = None,
    target: str = "",
    extra: Mapping[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.ALLOWED,
    status: int | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Write one row and return it.

    `action` must be a registered code (audit.actions), else UnknownAction.
    The record is `obj` (described by `describe`) or given as `target_type` and
    `target_code`; `school_id` overrides the school found from `obj`. `target`
    is a free-form reference (a refused URL path), cut at 200 characters.
    `request` (for the IP) defaults to the request being served, if any.
    `extra` may hold only the keys of models.EXTRA_KEYS (ValueError otherwise)
    and must be JSON-serialisable; every string in it, however deeply nested
    (an export's filters), is cut at MAX_EXTRA_CHARS characters, so a typed
    value cannot fill the log. `user` may be None or anonymous (a system
    action): the row then names nobody. `at` defaults to core.clock.now().
    """
    code = actions.get(action).code
    if request is None:
        request = current_request()
    extra = _trimmed(dict(extra or {}))
    unknown = set(extra) - EXTRA_KEYS
    if unknown:
        raise ValueError(f"audit extra keys not allowed: {sorted(unknown)}")
    found_school = None
    if obj is not None:
        target_type, target_code, found_school = describe(obj)
    authenticated = bool(getattr(user, "is_authenticated", False))
    return AuditEvent.objects.create(
        at=at or clock.now(),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=code,
        target_type=target_type[:100],
        target_code=str(target_code)[:64],
        school_id=school_id if school_id is not None else found_school,
        target=target[:200],
        extra=extra,
        outcome=outcome,
        status=status,
        ip=access.client_ip(request) if request is not None else None,
    )


# Rows per INSERT of audit_record_many (a school's whole roster is ~3,000).
BULK_BATCH = 1000


def audit_record_many(
    *,
    request: HttpRequest | None = None,
    user,
    action: str,
    target_type: str,
    target_codes: list[str],
    school_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
    status: int | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Write one ALLOWED row per code of `target_codes` (records of one type,
    e.g. the pupils of an export), all alike but for the code, in bulk
    (one INSERT per BULK_BATCH rows), and return how many were written.
    Same checks and defaults as `audit_record`: UnknownAction for an
    unregistered `action`, ValueError for `extra` keys outside EXTRA_KEYS."""
    code = actions.get(action).code
    if request is None:
        request = current_request()
    extra = _trimmed(dict(extra or {}))
    unknown = set(extra) - EXTRA_KEYS
    if unknown:
        raise ValueError(f"audit extra keys not allowed: {sorted(unknown)}")
    authenticated = bool(getattr(user, "is_authenticated", False))
    common = {
        "at": at or clock.now(),
        "user": user if authenticated else None,
        "username": user.get_username() if authenticated else "",
        "action": code, "target_type": target_type[:100], "school_id": school_id,
        "extra": extra, "outcome": AuditEvent.Outcome.ALLOWED, "status": status,
        "ip": access.client_ip(request) if request is not None else None,
    }
    rows = [AuditEvent(target_code=str(c)[:64], **common) for c in target_codes]
    AuditEvent.objects.bulk_create(rows, batch_size=BULK_BATCH)
    return len(rows)
