"""Writing to the audit trail. Any app may call these; audit imports no domain app.

The address on a row is the client's as schools.access.client_ip reads it (through
PROXY_COUNT trusted proxies), not the last proxy's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schools.access import client_ip

from .models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest


def audit_record(
    *,
    request: HttpRequest | None,
    user,
    action: str,
    target: str,
    outcome: str,
    status: int | None = None,
) -> AuditEvent:
    authenticated = bool(getattr(user, "is_authenticated", False))
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action[:60],
        target=target[:200],
        outcome=outcome,
        status=status,
        ip=client_ip(request),
    )
