"""Logging filters named in settings.LOGGING. Imported while logging is
configured, before the apps are ready: no models, no app imports."""

import logging

# Set on the request by schools.access.engine.deny, which has already written
# its own one-line record of the refusal (who, what, status, address).
DENIAL_LOGGED_FLAG = "_access_denial_logged"


class ExpectedForbidden(logging.Filter):
    """An expected 403 (PermissionDenied) logs one line, not a traceback
    (issue 8 item 7).

    Django's request handler logs every 403 as "Forbidden (Permission denied):
    <path>" with the exception's traceback. A refusal is the access layer
    working, not a fault: when schools.access.deny already logged it, Django's
    record is dropped; otherwise (the admin's own refusals) it is kept as one line
    without the traceback. Every other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        if request is not None and getattr(request, DENIAL_LOGGED_FLAG, False):
            return False
        record.exc_info = None
        record.exc_text = None
        return True
