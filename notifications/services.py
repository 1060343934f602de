"""The outbox's writes: enqueue, cancel, mark read, and deliver.

Enqueue never needs Redis. The row is written in the caller's transaction, so a
report saved while Redis is down keeps its notices (security.md G11, F1); after
commit we only *try* to wake a worker. The periodic `deliver_notices` run sends
whatever is due either way.

Delivery locks one notice (SELECT ... FOR UPDATE SKIP LOCKED), sends it and marks
it sent in the same transaction, one notice per transaction. Two workers never
send the same row, and a worker killed mid-send rolls back so the row goes out
later. The one window left for a duplicate is a crash between the SMTP server's
"250 OK" and the COMMIT of that single row: SMTP cannot do better.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone, translation

from .emails import is_portal_path, render_notice_email
from .models import CONTEXT_KEYS, Notice
from .tasks import kick_delivery

logger = logging.getLogger("safety_portal.notifications")

MAX_ATTEMPTS = 10
RETRY_BASE_SECONDS = 30
# The retry time is stored in the row, not a Celery countdown, but it is kept
# far below the Redis visibility timeout (1 h) all the same (security.md F3).
RETRY_CAP_SECONDS = 10 * 60
# The row stays locked while the SMTP server answers; bound that wait.
SMTP_TIMEOUT_SECONDS = 30
SMTP_ERRORS = (smtplib.SMTPException, socket.timeout, OSError)
_MAX_TEXT = 200
_KEY_CHUNK = 500


@dataclass(frozen=True)
class NoticeDraft:
    """One notice for notice_enqueue_many (scans know user ids, not users)."""

    key: str
    kind: str
    recipient_id: int
    context: Mapping[str, object] = field(default_factory=dict)
    language: str | None = None


# ------------------------------------------------------------------ enqueue


def notice_enqueue(
    *, key: str, kind: str, recipient, context: Mapping[str, object], language: str | None = None
) -> tuple[Notice, bool]:
    """Create the notice unless one with `key` exists. Returns (notice, created)."""
    fields = _clean_fields(key=key, kind=kind, context=context,
                           language=language or getattr(recipient, "language", None))
    # get_or_create inserts inside its own savepoint; when a concurrent
    # transaction inserted the same key first, the unique index raises
    # IntegrityError, the savepoint rolls back and the winner's row is returned.
    # The caller's transaction stays usable and exactly one row exists.
    notice, created = Notice.objects.get_or_create(key=key, defaults={
        "recipient": recipient, **fields})
    if created:
        _kick_after_commit()
    return notice, created


def notice_enqueue_many(drafts: Iterable[NoticeDraft]) -> int:
    """Insert the notices whose keys are new, in one batch; returns how many were new.

    Exact unless two scans insert the same key at the same moment; then both may
    count it, while the table still holds one row.
    """
    unique: dict[str, NoticeDraft] = {}
    cleaned: dict[str, dict] = {}
    for draft in drafts:
        if draft.key not in unique:
            unique[draft.key] = draft
            cleaned[draft.key] = _clean_fields(key=draft.key, kind=draft.kind,
                                               context=draft.context, language=draft.language)
    keys = list(unique)
    existing: set[str] = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start:start + _KEY_CHUNK]
        existing.update(Notice.objects.filter(key__in=chunk).values_list("key", flat=True))
    fresh = [unique[k] for k in keys if k not in existing]
    # A draft without a language is written in its recipient's (User.language).
    languages = _languages_of({d.recipient_id for d in fresh if not d.language})
    new = []
    for d in fresh:
        fields = cleaned[d.key]
        if not d.language:
            fields["language"] = _supported_language(languages.get(d.recipient_id))
        new.append(Notice(key=d.key, recipient_id=d.recipient_id, **fields))
    if new:
        # ignore_conflicts covers keys inserted since the look-up above.
        Notice.objects.bulk_create(new, ignore_conflicts=True)
        _kick_after_commit()
    return len(new)


def _languages_of(user_ids: set[int]) -> dict[int, str]:
    """Each recipient's own language (User.language), for a scan's batch."""
    ids = sorted(user_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), _KEY_CHUNK):
        found.update(get_user_model().objects.filter(pk__in=ids[start:start + _KEY_CHUNK])
                     .values_list("pk", "language"))
    return found


# What each kind's e-mail shows, besides the link ("path", always required).
REQUIRED_CONTEXT = {
    Notice.Kind.REMINDER: {"school_name", "deadline_date"},
    Notice.Kind.OVERDUE: {"school_name", "deadline_date"},
    Notice.Kind.RETURNED: {"school_name", "deadline_date"},
    Notice.Kind.DIGEST: {"count"},
}


def _clean_fields(*, key: str, kind: str, context: Mapping[str, object],
                  language: str | None) -> dict:
    if not key or len(key) > 200:
        raise ValueError("a notice key must have 1 to 200 characters")
    kind = Notice.Kind(kind)
    cleaned = _clean_context(context)
    missing = REQUIRED_CONTEXT[kind] - cleaned.keys()
    if missing:
        raise ValueError(f"a {kind.value} notice needs {sorted(missing)} in its context")
    return {"kind": kind.value, "context": cleaned, "language": _supported_language(language)}


def _clean_context(context: Mapping[str, object]) -> dict:
    """Keep the context to CONTEXT_KEYS, so nothing else can reach an e-mail."""
    cleaned = {}
    for name, value in context.items():
        allowed = CONTEXT_KEYS.get(name)
        if allowed is None:
            raise ValueError(f"a notice context may not carry {name!r}; see CONTEXT_KEYS")
        if isinstance(value, date) and not isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise ValueError(f"notice context {name!r} has the wrong type")
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            raise ValueError(f"notice context {name!r} is longer than {_MAX_TEXT} characters")
        if isinstance(value, list) and not all(
                isinstance(v, str) and len(v) <= 40 for v in value[:10]) or (
                isinstance(value, list) and len(value) > 10):
            raise ValueError(f"notice context {name!r} must be a short list of codes")
        cleaned[name] = value
    if not is_portal_path(cleaned.get("path")):
        raise ValueError("a notice context needs 'path', a relative link into the portal")
    if "deadline_date" in cleaned:
        try:
            date.fromisoformat(cleaned["deadline_date"])
        except ValueError:
            raise ValueError("notice context 'deadline_date' must be YYYY-MM-DD") from None
    return cleaned


def _supported_language(language: str | None) -> str:
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _kick() -> None:
    kick_delivery()


def _kick_after_commit() -> None:
    # One kick per transaction is enough: a scan that enqueues 300 notices one
    # by one must not queue 300 tasks. run_on_commit holds (savepoints, func, ...).
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        entry[1] is _kick for entry in getattr(connection, "run_on_commit", [])
    ):
        return
    transaction.on_commit(_kick, robust=True)


# ------------------------------------------------------------------ cancel and read


def notice_cancel(*, key: str) -> bool:
    """Cancel a pending notice whose reason has gone (the report came in)."""
    return Notice.objects.pending().filter(key=key).update(status=Notice.Status.CANCELLED) == 1


def notice_cancel_where(**filters) -> int:
    """Cancel the pending notices matching `filters`, e.g. key__startswith="overdue:7:"."""
    if not filters:
        raise ValueError("notice_cancel_where needs at least one filter")
    return Notice.objects.pending().filter(**filters).update(status=Notice.Status.CANCELLED)


def notice_mark_read(*, notice: Notice, user) -> bool:
    """Mark the user's own notice read; returns False if it already was."""
    if notice.recipient_id != user.pk:
        raise PermissionDenied
    now = timezone.now()
    updated = Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now)
    if updated:
        notice.read_at = now
    return bool(updated)


# ------------------------------------------------------------------ delivery


class _Outcome(Enum):
    NOTHING_DUE = "nothing due"
    SENT = "sent"
    SKIPPED = "skipped"
    SMTP_FAILED = "smtp failed"


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failure: ~30 s, 1, 2, 4, 8 min, then 10 min.

    The jitter (up to half the delay) spreads notices that failed together.
    """
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def deliver_due(*, batch: int = 50, now: datetime | None = None) -> int:
    """Send up to `batch` pending notices due at `now`; returns how many were sent.

    Stops at the first SMTP failure: the server is probably down, and waiting for
    a timeout per message would outlast the task's time limit.
    """
    now = now or timezone.now()
    sent = 0
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS
    connection = get_connection(fail_silently=False, timeout=timeout)
    try:
        for _ in range(batch):
            outcome = _deliver_one(connection, now)
            if outcome is _Outcome.SENT:
                sent += 1
            elif outcome in (_Outcome.NOTHING_DUE, _Outcome.SMTP_FAILED):
                break
    finally:
        with suppress(*SMTP_ERRORS):
            connection.close()
    return sent


def _deliver_one(connection, now: datetime) -> _Outcome:
    with transaction.atomic():
        notice = (
            Notice.objects.due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .order_by("next_attempt_at", "id")
            .first()
        )
        if notice is None:
            return _Outcome.NOTHING_DUE
        recipient = notice.recipient
        if not recipient.is_active:
            _finish(notice, Notice.Status.CANCELLED, "recipient deactivated")
            return _Outcome.SKIPPED
        if not recipient.email:
            _finish(notice, Notice.Status.FAILED, "recipient has no e-mail address")
            return _Outcome.SKIPPED
        try:
            message = render_notice_email(notice, connection=connection)
            # Opened here, not up front: most runs find nothing due. Once open,
            # the connection carries the rest of the batch.
            connection.open()
            message.send()
        except SMTP_ERRORS as exc:
            _record_failure(notice, now, exc)
            # The next message opens a fresh connection.
            with suppress(*SMTP_ERRORS):
                connection.close()
            return _Outcome.SMTP_FAILED
        except Exception as exc:
            # A notice that cannot be rendered (a template bug, a bad row) must
            # not block every notice queued behind it.
            logger.exception("notice %s cannot be sent", notice.pk)
            _finish(notice, Notice.Status.FAILED, _describe(exc))
            return _Outcome.SKIPPED
        notice.status = Notice.Status.SENT
        notice.sent_at = timezone.now()
        notice.attempts += 1
        notice.last_error = ""
        notice.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        return _Outcome.SENT


def _finish(notice: Notice, status: str, reason: str) -> None:
    notice.status = status
    notice.last_error = reason[:200]
    notice.save(update_fields=["status", "last_error"])
    logger.info("notice %s %s: %s", notice.pk, status, reason)


def _record_failure(notice: Notice, now: datetime, exc: BaseException) -> None:
    notice.attempts += 1
    notice.last_error = _describe(exc)
    if notice.attempts >= MAX_ATTEMPTS:
        notice.status = Notice.Status.FAILED
    else:
        notice.next_attempt_at = now + retry_delay(notice.attempts)
    notice.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    logger.warning("notice %s not sent (%s), attempt %s of %s, now %s",
                   notice.pk, notice.last_error, notice.attempts, MAX_ATTEMPTS, notice.status)


def _describe(exc: BaseException) -> str:
    # Class and SMTP code only: SMTP error texts quote addresses (no PII here).
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__
