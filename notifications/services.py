"""The outbox's writes: enqueue, cancel, mark read, group robots, and deliver.

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

import json
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
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.signals import business_action
from core.workflows import Transition, Workflow

from . import kinds
from .emails import is_portal_path, render_notice_email
from .models import GroupMessage, GroupRobot, Notice
from .notice_kinds import ROBOT_TEST
from .robots import (
    GroupDraft,
    cancel_group_messages,
    check_webhook_url,
    enqueue_group_messages,
    group_context,
)
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


Subject = tuple[str, str]  # (model label, public code or id as text)


@dataclass(frozen=True)
class NoticeDraft:
    """One notice for notice_enqueue_many (scans know user ids, not users).

    `subject` is what the notice is about, (model label, code): required when
    the kind declares a subject_type, and of that type. `school_id` is the
    school whose group robot should also hear of it (kinds with ``group``);
    `group_key` is the group message's dedupe key, by default
    "<kind>:<subject code>" — one group message per school and (kind, subject).
    """

    key: str
    kind: str
    recipient_id: int
    context: Mapping[str, object] = field(default_factory=dict)
    language: str | None = None
    subject: Subject | None = None
    school_id: int | None = None
    group_key: str | None = None


# ------------------------------------------------------------------ enqueue


def notice_enqueue(
    *, key: str, kind: str, recipient, context: Mapping[str, object],
    language: str | None = None, subject: Subject | None = None, school=None,
    group_key: str | None = None,
) -> tuple[Notice, bool]:
    """Create the notice unless one with `key` exists. Returns (notice, created).

    Raises LookupError for a kind nobody registered and ValueError for a key,
    context or subject the kind does not allow. When the notice is new and the
    kind goes to groups, the school's enabled robots get their message too (see
    NoticeDraft for `school` and `group_key`).
    """
    draft = NoticeDraft(key=key, kind=kind, recipient_id=recipient.pk, context=context,
                        language=language or getattr(recipient, "language", None),
                        subject=subject, school_id=getattr(school, "pk", school),
                        group_key=group_key)
    fields = _clean_fields(draft)
    # get_or_create inserts inside its own savepoint; when a concurrent
    # transaction inserted the same key first, the unique index raises
    # IntegrityError, the savepoint rolls back and the winner's row is returned.
    # The caller's transaction stays usable and exactly one row exists.
    notice, created = Notice.objects.get_or_create(key=key, defaults={
        "recipient": recipient, **fields})
    if created:
        enqueue_group_messages(_group_drafts([draft], {key: fields}))
        _kick_after_commit()
    return notice, created


def notice_enqueue_many(drafts: Iterable[NoticeDraft]) -> int:
    """Insert the notices whose keys are new, in one batch; returns how many were new.

    Raises like notice_enqueue (nothing is written then). On PostgreSQL the
    keys are deduplicated by the INSERT itself (ON CONFLICT DO NOTHING
    RETURNING), so the count is exact even when two scans insert the same key
    at once. Elsewhere: exact unless two scans insert the same key at the same
    moment; then both may count it, while the table still holds one row (and
    each group message is still written once).
    """
    unique: dict[str, NoticeDraft] = {}
    cleaned: dict[str, dict] = {}
    contexts: dict[tuple[str, int], tuple[Mapping, dict]] = {}
    for draft in drafts:
        if draft.key not in unique:
            unique[draft.key] = draft
            cleaned[draft.key] = _clean_fields(draft, contexts)
    if connections[Notice.objects.db].vendor == "postgresql":
        fresh = _insert_new(list(unique.values()), cleaned)
    else:
        keys = list(unique)
        existing: set[str] = set()
        for start in range(0, len(keys), _KEY_CHUNK):
            chunk = keys[start:start + _KEY_CHUNK]
            existing.update(Notice.objects.filter(key__in=chunk).values_list("key", flat=True))
        fresh = [unique[k] for k in keys if k not in existing]
        _fill_languages(fresh, cleaned)
        # ignore_conflicts covers keys inserted since the look-up above.
        Notice.objects.bulk_create([Notice(key=d.key, recipient_id=d.recipient_id,
                                           **cleaned[d.key]) for d in fresh],
                                   ignore_conflicts=True)
    if fresh:
        enqueue_group_messages(_group_drafts(fresh, cleaned))
        _kick_after_commit()
    return len(fresh)


_INSERT_CHUNK = 5000


def _fill_languages(drafts: list[NoticeDraft], cleaned: Mapping[str, dict]) -> None:
    # A draft without a language is written in its recipient's (User.language).
    languages = _languages_of({d.recipient_id for d in drafts if not d.language})
    for d in drafts:
        if not d.language:
            cleaned[d.key]["language"] = _supported_language(languages.get(d.recipient_id))


def _insert_new(drafts: list[NoticeDraft], cleaned: Mapping[str, dict]) -> list[NoticeDraft]:
    """PostgreSQL: insert the drafts whose key is new, one statement per 5,000
    (INSERT … SELECT FROM unnest(arrays): a scan's 100,000 notices cost ~2 s
    instead of ~6 s of SQL plus ~8 s of building model rows for bulk_create),
    and return those that were new, in order."""
    _fill_languages(drafts, cleaned)
    field = Notice._meta.get_field
    names = ["key", "kind", "subject_type", "subject_code", "recipient", "language",
             "context", "status", "attempts", "next_attempt_at", "created_at", "last_error"]
    connection = connections[Notice.objects.db]
    q = connection.ops.quote_name
    columns = ", ".join(q(field(name).column) for name in names)
    # Only the model's own table and column names are interpolated; every
    # value is a parameter.
    sql = (
        f"INSERT INTO {q(Notice._meta.db_table)} ({columns}) "  # noqa: S608
        "SELECT k, kd, st, sc, r, lang, ctx::jsonb, %s, 0, %s, %s, '' "
        "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], "
        "%s::text[], %s::text[]) AS u(k, kd, st, sc, r, lang, ctx) "
        f"ON CONFLICT ({q(field('key').column)}) DO NOTHING RETURNING {q(field('key').column)}"
    )
    now = timezone.now()
    new_keys: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(drafts), _INSERT_CHUNK):
            chunk = drafts[start:start + _INSERT_CHUNK]
            rows = [cleaned[d.key] for d in chunk]
            cursor.execute(sql, [
                Notice.Status.PENDING.value, now, now, [d.key for d in chunk],
                [r["kind"] for r in rows], [r["subject_type"] for r in rows],
                [r["subject_code"] for r in rows], [d.recipient_id for d in chunk],
                [r["language"] for r in rows], [json.dumps(r["context"]) for r in rows]])
            new_keys.update(key for (key,) in cursor.fetchall())
    return [d for d in drafts if d.key in new_keys]


def _group_drafts(drafts: Iterable[NoticeDraft], cleaned: Mapping[str, dict]
                  ) -> list[GroupDraft]:
    """What the new notices ask of their schools' group robots: one draft per
    notice of a group kind with a school; robots.enqueue_group_messages keeps
    one per (school, group key)."""
    found = []
    for draft in drafts:
        kind = kinds.get(draft.kind)
        if not kind.group or draft.school_id is None:
            continue
        fields = cleaned[draft.key]
        found.append(GroupDraft(
            school_id=draft.school_id, kind=kind,
            key=draft.group_key or f"{kind.name}:{fields['subject_code']}",
            subject_type=fields["subject_type"], subject_code=fields["subject_code"],
            context=fields["context"]))
    return found


def _languages_of(user_ids: set[int]) -> dict[int, str]:
    """Each recipient's own language (User.language), for a scan's batch."""
    ids = sorted(user_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), _KEY_CHUNK):
        found.update(get_user_model().objects.filter(pk__in=ids[start:start + _KEY_CHUNK])
                     .values_list("pk", "language"))
    return found


def _clean_fields(draft: NoticeDraft,
                  contexts: dict[tuple[str, int], tuple[Mapping, dict]] | None = None) -> dict:
    """The Notice fields of a draft, checked against its registered kind.
    `contexts` remembers cleaned contexts by object: drafts that share one (a
    scan tells the principal and the safety officer the same thing) clean it
    once."""
    if not draft.key or len(draft.key) > 200:
        raise ValueError("a notice key must have 1 to 200 characters")
    kind = kinds.get(draft.kind)
    if kind.template_prefix is None:
        raise ValueError(f"notice kind {kind.name!r} is for group robots only")
    seen = contexts.get((kind.name, id(draft.context))) if contexts is not None else None
    if seen is not None and seen[0] is draft.context:
        cleaned = seen[1]
    else:
        cleaned = clean_context(kind, draft.context)
        if contexts is not None:
            # The context is kept too, so its id cannot be reused meanwhile.
            contexts[(kind.name, id(draft.context))] = (draft.context, cleaned)
    subject_type, subject_code = _clean_subject(kind, draft.subject)
    if kind.group and draft.school_id is not None and not (draft.group_key or subject_code):
        raise ValueError(f"a {kind.name} notice for a group needs a subject or a group_key")
    return {"kind": kind.name, "context": cleaned, "subject_type": subject_type,
            "subject_code": subject_code, "language": _supported_language(draft.language)}


def clean_context(kind: kinds.NoticeKind, context: Mapping[str, object]) -> dict:
    """The context a notice of `kind` stores: declared keys only, JSON types only,
    "path" a relative portal link, the required keys present, and the kind's
    preparer able to read it. Raises ValueError naming the offending key."""
    cleaned = {}
    for name, value in context.items():
        allowed = kind.allowed_types(name)
        if allowed is None:
            raise ValueError(f"a {kind.name} notice context may not carry {name!r}")
        if isinstance(value, date) and not isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            raise ValueError(f"notice context {name!r} has the wrong type")
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            raise ValueError(f"notice context {name!r} is longer than {_MAX_TEXT} characters")
        if isinstance(value, list) and (len(value) > kinds.MAX_LIST_ITEMS or not all(
                isinstance(v, str) and len(v) <= kinds.MAX_LIST_ITEM_CHARS for v in value)):
            raise ValueError(f"notice context {name!r} must be a short list of short strings")
        cleaned[name] = value
    if not is_portal_path(cleaned.get(kinds.PATH_KEY)):
        raise ValueError("a notice context needs 'path', a relative link into the portal")
    missing = kind.required - cleaned.keys()
    if missing:
        raise ValueError(f"a {kind.name} notice needs {sorted(missing)} in its context")
    try:
        kind.prepare(cleaned)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"a {kind.name} notice context cannot be read: {exc}") from None
    return cleaned


def _clean_subject(kind: kinds.NoticeKind, subject: Subject | None) -> tuple[str, str]:
    if kind.subject_type is None:
        if subject is not None:
            raise ValueError(f"a {kind.name} notice is about no record; give no subject")
        return "", ""
    if subject is None:
        raise ValueError(f"a {kind.name} notice needs its subject ({kind.subject_type}, code)")
    subject_type, code = subject
    code = str(code)
    if subject_type != kind.subject_type:
        raise ValueError(f"the subject of a {kind.name} notice is a {kind.subject_type}, "
                         f"not a {subject_type}")
    if not code or len(code) > 100:
        raise ValueError("a notice subject code must have 1 to 100 characters")
    return subject_type, code


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


def notice_cancel_for(subject_type: str, subject_code, kinds: Iterable[str] | None = None
                      ) -> int:
    """Cancel the pending notices about one record — or several, when
    `subject_code` is a list or tuple of codes — and their pending group
    messages, optionally only those of `kinds`; returns how many notices were
    cancelled. Uses the (subject_type, subject_code, status) index."""
    if isinstance(subject_code, list | tuple | set | frozenset):
        filters = {"subject_type": subject_type,
                   "subject_code__in": [str(c) for c in subject_code]}
    else:
        filters = {"subject_type": subject_type, "subject_code": str(subject_code)}
    if kinds is not None:
        filters["kind__in"] = list(kinds)
    cancel_group_messages(**filters)
    return Notice.objects.pending().filter(**filters).update(status=Notice.Status.CANCELLED)


def notice_cancel_where(**filters) -> int:
    """Cancel the pending notices matching `filters`, e.g. key__startswith="overdue:7:".

    Prefer notice_cancel_for: filtering the JSON context scans the table."""
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


# ------------------------------------------------------------------ group robots


def group_robot_save(*, school, platform: str, webhook_url: str = "", secret: str = "",
                     enabled: bool = True, by) -> GroupRobot:
    """Set up (or change) the school's robot of `platform`; returns it. Call
    inside a transaction (it locks the robot's row).

    An empty `webhook_url` or `secret` keeps the stored one (pages never show
    them back, so they cannot be re-submitted). Raises ValidationError for a
    URL robots.check_webhook_url refuses, or a new robot without a URL.
    Announced as core.signals.business_action "robot.save" by `by` (audit
    records it) with only the platform and the enabled flag: never the URL or
    the secret.
    """
    robot = GroupRobot.objects.select_for_update().filter(school=school, platform=platform).first()
    if robot is None:
        if not webhook_url:
            raise ValidationError({"webhook_url": _("Enter the robot's webhook URL.")})
        robot = GroupRobot(school=school, platform=platform, created_by=by)
    if webhook_url:
        check_webhook_url(webhook_url)
        robot.webhook_url = webhook_url
    if secret:
        robot.secret = secret
    robot.enabled = enabled
    robot.full_clean()
    robot.save()
    logger.info("group robot %s of school %s saved by user %s (enabled: %s)",
                robot.pk, school.pk, getattr(by, "pk", None), robot.enabled)
    _announce_robot("robot.save", robot, by)
    return robot


def _announce_robot(code: str, robot: GroupRobot, by) -> None:
    # The platform and the enabled flag only: the webhook URL and the secret
    # are credentials and never leave this app.
    business_action.send(sender=None, code=code, by=by, obj=robot,
                         school_id=robot.school_id,
                         extra={"platform": robot.platform, "enabled": robot.enabled})


@transaction.atomic
def group_robot_send_test(*, robot: GroupRobot, by, at: datetime | None = None) -> GroupMessage:
    """Queue a test message to `robot` (enabled or not: the principal checks the
    set-up before switching it on) and return it. Sent by the delivery task,
    never in the request; its status shows on the robot page. Announced as
    core.signals.business_action "robot.test" (platform and enabled flag only),
    in the same transaction as the queued message."""
    at = at or timezone.now()
    kind = ROBOT_TEST
    context = clean_context(kind, {
        "path": reverse("notifications:group_robots", args=[robot.school_id]),
        "school_name": robot.school.name})
    message = GroupMessage.objects.create(
        key=f"test:{int(at.timestamp() * 1000)}:{getattr(by, 'pk', 0)}", robot=robot,
        kind=kind.name, subject_type=kind.subject_type, subject_code=str(robot.pk),
        language=_supported_language(getattr(by, "language", None)),
        context=group_context(kind, context), next_attempt_at=at)
    _announce_robot("robot.test", robot, by)
    _kick_after_commit()
    return message


# ------------------------------------------------------------------ delivery

# A notice's lifecycle (the system's own; no person applies these): pending →
# sent, failed (after MAX_ATTEMPTS, or a recipient without an address), or
# cancelled (its reason went away, its recipient was deactivated). Cancelling
# the notices of a subject in bulk (notice_cancel_for) is the same "cancel"
# applied as one conditional UPDATE, for the thousands a moved deadline touches.
S = Notice.Status
NOTICE_WORKFLOW = Workflow(
    model=Notice,
    transitions=[
        Transition("send", sources={S.PENDING}, target=S.SENT),
        Transition("fail", sources={S.PENDING}, target=S.FAILED),
        Transition("cancel", sources={S.PENDING}, target=S.CANCELLED),
    ],
)


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
        for _attempt in range(batch):
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
        NOTICE_WORKFLOW.apply(notice, "send", by=None, locked=True, changes=lambda row, when: {
            "sent_at": when, "attempts": row.attempts + 1, "last_error": ""})
        return _Outcome.SENT


def _finish(notice: Notice, status: str, reason: str) -> None:
    transition = "cancel" if status == Notice.Status.CANCELLED else "fail"
    NOTICE_WORKFLOW.apply(notice, transition, by=None, locked=True,
                          changes=lambda row, when: {"last_error": reason[:200]})
    logger.info("notice %s %s: %s", notice.pk, status, reason)


def _record_failure(notice: Notice, now: datetime, exc: BaseException) -> None:
    notice.attempts += 1
    notice.last_error = _describe(exc)
    if notice.attempts >= MAX_ATTEMPTS:
        NOTICE_WORKFLOW.apply(notice, "fail", by=None, locked=True, changes=lambda row, when: {
            "attempts": notice.attempts, "last_error": notice.last_error})
        notice.status = Notice.Status.FAILED
    else:
        notice.next_attempt_at = now + retry_delay(notice.attempts)
        notice.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    logger.warning("notice %s not sent (%s), attempt %s of %s, now %s",
                   notice.pk, notice.last_error, notice.attempts, MAX_ATTEMPTS, notice.status)


def _describe(exc: BaseException) -> str:
    # Class and SMTP code only: SMTP error texts quote addresses (no PII here).
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__
