"""The group channel: a school's 企业微信 (WeCom) group bot or 钉钉 (DingTalk)
custom robot, told once per school and per (kind, subject).

Shape of the channel:

- ``enqueue_group_messages`` writes GroupMessage rows for the school's *enabled*
  robots in the transaction that enqueues the notices (notifications.services
  calls it); the unique (robot, key) makes a second scan add nothing.
- ``deliver_group_due`` is run by the periodic delivery task after the e-mails:
  it locks one due row (SELECT ... FOR UPDATE SKIP LOCKED), POSTs it, and marks
  it sent in that transaction; a 5xx, a network error or an ``errcode`` other
  than 0 is retried with the e-mails' backoff, up to MAX_ATTEMPTS.
- The text is built only from the kind's ``group_keys`` (a whitelist of context
  keys, e.g. the school's name and the deadline) plus a link: the row stores
  nothing else, so a child's name, a score or a case cannot reach a group chat
  (security.md G5, ASVS 2.2.3).
- The webhook URL and the secret are credentials: they appear in no log line and
  no ``last_error`` (only an exception class, an HTTP status or an errcode).

Webhook URLs must be https on a host of ``settings.GROUP_ROBOT_HOSTS``; plain
http is accepted for a loopback host only when ``GROUP_ROBOT_ALLOW_LOOPBACK`` is
on (DEBUG and the tests). The robot never follows a redirect.

DingTalk signing ("加签"): ``timestamp`` is the current time in milliseconds,
``sign`` = url-encoded base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")),
both added to the query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from . import kinds
from .emails import is_portal_path
from .models import DeliveryStatus, GroupMessage, GroupRobot

logger = logging.getLogger("safety_portal.notifications")

# The row stays locked while the platform answers; bound that wait (seconds).
ROBOT_TIMEOUT_SECONDS = 5
# After this many failed posts a run stops: the network is probably down, and a
# timeout per message would outlast the task's time limit.
MAX_FAILURES_PER_RUN = 3
# WeCom text messages carry at most 2048 bytes; stay well under it.
MAX_TEXT_BYTES = 1800
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_ANSWER_LIMIT = 64 * 1024


# ------------------------------------------------------------------ the URL


def check_webhook_url(url: str) -> None:
    """Raise ValidationError unless `url` is a webhook the portal may post to:
    https on an allowed host (settings.GROUP_ROBOT_HOSTS), or http(s) on a
    loopback host when settings.GROUP_ROBOT_ALLOW_LOOPBACK is on. No user:password."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValidationError(_("Enter a valid webhook URL."), code="invalid") from None
    if parts.username or parts.password:
        raise ValidationError(_("The webhook URL must not contain a user name or password."),
                              code="credentials")
    loopback = host in LOOPBACK_HOSTS and getattr(settings, "GROUP_ROBOT_ALLOW_LOOPBACK", False)
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        raise ValidationError(_("The webhook URL must start with https://."), code="scheme")
    allowed = {h.lower() for h in getattr(settings, "GROUP_ROBOT_HOSTS", ())}
    if not loopback and host not in allowed:
        raise ValidationError(
            _("The webhook URL must be on one of these hosts: %(hosts)s."),
            code="host", params={"hosts": ", ".join(sorted(allowed))})


def masked_url(url: str) -> str:
    """The URL with every query value hidden but its last 4 characters, for pages
    (the WeCom ``key`` and the DingTalk ``access_token`` are credentials)."""
    parts = urlsplit(url)
    query = [(name, mask(value)) for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def mask(secret: str) -> str:
    """"****abcd": enough to recognise a credential, never enough to use it."""
    if not secret:
        return ""
    return "****" + (secret[-4:] if len(secret) >= 12 else "")


# ------------------------------------------------------------------ enqueue


@dataclass(frozen=True)
class GroupDraft:
    """What a new notice asks of its school's group: built by the services from
    a cleaned notice context (ISO dates, declared keys only)."""

    school_id: int
    key: str
    kind: kinds.NoticeKind
    subject_type: str
    subject_code: str
    context: Mapping[str, object]


def enqueue_group_messages(drafts: Iterable[GroupDraft]) -> int:
    """Write one pending GroupMessage per enabled robot of each draft's school,
    unless the robot already has that key; returns how many rows it offered to
    the table (rows already there are skipped by the unique (robot, key)).
    Two queries whatever the number of drafts (robots, then one insert)."""
    wanted: dict[tuple[int, str], GroupDraft] = {}
    for draft in drafts:
        if draft.kind.group:
            wanted.setdefault((draft.school_id, draft.key), draft)
    if not wanted:
        return 0
    robots: dict[int, list[int]] = defaultdict(list)
    for robot_id, school_id in GroupRobot.objects.filter(
            school_id__in={school for school, _key in wanted}, enabled=True
    ).values_list("pk", "school_id"):
        robots[school_id].append(robot_id)
    language = translation.get_supported_language_variant(settings.LANGUAGE_CODE)
    rows = [
        GroupMessage(
            key=draft.key, robot_id=robot_id, kind=draft.kind.name,
            subject_type=draft.subject_type, subject_code=draft.subject_code,
            language=language, context=group_context(draft.kind, draft.context),
        )
        for (school_id, _key), draft in wanted.items()
        for robot_id in robots[school_id]
    ]
    if not rows:
        return 0
    # A row already there (an earlier scan, a concurrent one) is left as it is.
    created = GroupMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def group_context(kind: kinds.NoticeKind, context: Mapping[str, object]) -> dict:
    """The part of a notice context a group message may keep: the link path and
    the kind's group_keys, nothing else."""
    return {name: value for name, value in context.items()
            if name == kinds.PATH_KEY or name in kind.group_keys}


def cancel_group_messages(**filters) -> int:
    """Cancel the pending group messages matching `filters` (subject_type,
    subject_code, kind__in); returns how many."""
    return GroupMessage.objects.filter(status=DeliveryStatus.PENDING, **filters).update(
        status=DeliveryStatus.CANCELLED)


# ------------------------------------------------------------------ the text


def group_text(message: GroupMessage) -> str:
    """The message a group reads, in the message's language: the portal's name,
    the kind's group wording filled from its whitelisted keys only, and the link.
    Raises LookupError for an unregistered kind, ValueError for a bad context."""
    kind = kinds.get(message.kind)
    if not kind.group:
        raise ValueError(f"notice kind {kind.name!r} does not go to groups")
    stored = group_context(kind, message.context or {})
    path = stored.get(kinds.PATH_KEY)
    if not is_portal_path(path):
        raise ValueError(f"group message {message.pk} has no valid portal path")
    with translation.override(message.language):
        prepared = kind.prepare(stored)
        values = {name: _display(prepared.get(name, "")) for name in kind.group_keys}
        body = str(kind.group_wording) % values
        link = settings.PORTAL_BASE_URL.rstrip("/") + path
        text = f"【{settings.PORTAL_NAME}】{body}\n{link}"
    return _truncate(text)


def _display(value: object) -> str:
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def _truncate(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= MAX_TEXT_BYTES:
        return text
    return encoded[:MAX_TEXT_BYTES].decode(errors="ignore") + "…"


def payload(platform: str, text: str) -> dict:
    """The JSON body: both platforms take {"msgtype": "text", "text": {"content": ...}}."""
    if platform not in GroupRobot.Platform.values:
        raise ValueError(f"unknown robot platform {platform!r}")
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (not yet url-encoded): base64(HMAC-SHA256(secret,
    f"{timestamp_ms}\\n{secret}"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(robot: GroupRobot, *, timestamp_ms: int | None = None) -> str:
    """The URL to post to: DingTalk robots with a secret get ``timestamp`` and
    ``sign`` in the query (url-encoded), every other robot its URL unchanged."""
    if robot.platform != GroupRobot.Platform.DINGTALK or not robot.secret:
        return robot.webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    parts = urlsplit(robot.webhook_url)
    query = [(n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True)
             if n not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp_ms)), ("sign", dingtalk_sign(robot.secret,
                                                                        timestamp_ms))]
    return urlunsplit(parts._replace(query=urlencode(query)))


# ------------------------------------------------------------------ sending


class RobotError(Exception):
    """A post that did not go through. ``reason`` is safe to log and store: an
    exception class, "HTTP <status>" or "errcode <n>", never the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would carry the message (and DingTalk's signature) elsewhere.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(robot: GroupRobot, text: str) -> None:
    """POST `text` to the robot, whose URL the caller has checked
    (check_webhook_url, in _deliver_one). Raises RobotError unless the platform
    answered HTTP 2xx with JSON ``errcode`` 0."""
    url = signed_url(robot)
    body = json.dumps(payload(robot.platform, text), ensure_ascii=False).encode()
    loopback = (urlsplit(url).hostname or "").lower() in LOOPBACK_HOSTS
    handlers: list = [_NoRedirect()]
    if loopback:
        handlers.append(urllib.request.ProxyHandler({}))  # never via a proxy to ourselves
    opener = urllib.request.build_opener(*handlers)
    # The scheme and host were checked above (https, allowed hosts).
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with opener.open(request, timeout=ROBOT_TIMEOUT_SECONDS) as response:
            raw = response.read(_ANSWER_LIMIT)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise RobotError(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        # .reason may be an exception whose text names the host: keep the class.
        reason = exc.reason if isinstance(exc.reason, BaseException) else exc
        raise RobotError(type(reason).__name__) from None
    except (TimeoutError, OSError) as exc:
        raise RobotError(type(exc).__name__) from None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise RobotError("answer is not JSON") from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        shown = errcode if isinstance(errcode, int) else "missing"
        raise RobotError(f"errcode {shown}")


class _Outcome(Enum):
    NOTHING_DUE = "nothing due"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


def deliver_group_due(*, batch: int = 50, now: datetime | None = None) -> int:
    """Post up to `batch` pending group messages due at `now`; returns how many
    were sent. Stops after MAX_FAILURES_PER_RUN failed posts."""
    now = now or timezone.now()
    sent = failures = 0
    for _attempt in range(batch):
        outcome = _deliver_one(now)
        if outcome is _Outcome.NOTHING_DUE:
            break
        if outcome is _Outcome.SENT:
            sent += 1
        elif outcome is _Outcome.FAILED:
            failures += 1
            if failures >= MAX_FAILURES_PER_RUN:
                break
    return sent


def _deliver_one(now: datetime) -> _Outcome:
    from .services import MAX_ATTEMPTS, retry_delay

    with transaction.atomic():
        message = (
            GroupMessage.objects.due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("robot")
            .order_by("next_attempt_at", "id")
            .first()
        )
        if message is None:
            return _Outcome.NOTHING_DUE
        robot = message.robot
        if not robot.enabled:
            _finish(message, DeliveryStatus.CANCELLED, "robot disabled")
            return _Outcome.SKIPPED
        try:
            check_webhook_url(robot.webhook_url)
            text = group_text(message)
        except ValidationError:
            _finish(message, DeliveryStatus.FAILED, "webhook URL not allowed")
            return _Outcome.SKIPPED
        except Exception as exc:
            # A message that cannot be built must not block the ones behind it.
            logger.exception("group message %s cannot be built", message.pk)
            _finish(message, DeliveryStatus.FAILED, type(exc).__name__)
            return _Outcome.SKIPPED
        try:
            post(robot, text)
        except RobotError as exc:
            message.attempts += 1
            message.last_error = exc.reason
            if message.attempts >= MAX_ATTEMPTS:
                message.status = DeliveryStatus.FAILED
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning("group message %s to %s robot %s not sent (%s), attempt %s of %s, "
                           "now %s", message.pk, robot.platform, robot.pk, exc.reason,
                           message.attempts, MAX_ATTEMPTS, message.status)
            return _Outcome.FAILED
        message.status = DeliveryStatus.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.last_error = ""
        message.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        return _Outcome.SENT


def _finish(message: GroupMessage, status: str, reason: str) -> None:
    message.status = status
    message.last_error = reason[:200]
    message.save(update_fields=["status", "last_error"])
    logger.info("group message %s %s: %s", message.pk, status, reason)
