"""Logging filters named in settings.LOGGING. Imported while logging is
configured, before the apps are ready: no models, no app imports."""

import logging
import re

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


# PostgreSQL's DETAIL line of an error: the values it refused ("Key (bureau_id,
# student_number)=(1, G3301…) already exists", "Failing row contains (…)").
_DATABASE_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
DETAIL_WITHHELD = r"\1  (withheld from the log: it quotes the row's values)"


def withhold_database_detail(text: str) -> str:
    """`text` with every PostgreSQL DETAIL line replaced by a note that it was
    withheld; the error's first line (the constraint's name) stays."""
    return _DATABASE_DETAIL.sub(DETAIL_WITHHELD, text)


class DatabaseErrorDetail(logging.Filter):
    """A database error never writes the values it quotes (security.md G5).

    PostgreSQL explains an IntegrityError with the row's values: a unique
    学籍号 refused (two schools of a bureau importing the same new pupil at
    once) logs "DETAIL: Key (bureau_id, student_number)=(1, G3301…)", and a
    check constraint "Failing row contains (…)" with every column, a child's
    name and note among them. On the handler, so every record through it is
    covered: the traceback (exc_text, which formatters reuse) and the message
    (an exception formatted into it with %s) lose their DETAIL lines; the
    first line, naming the constraint, stays. Always returns True."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = withhold_database_detail(record.exc_text)
        message = record.getMessage()
        if "DETAIL:" in message:
            record.msg, record.args = withhold_database_detail(message), None
        return True
