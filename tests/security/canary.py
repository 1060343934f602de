"""Canary strings and the sinks a child's data must never reach (security.md G5).

A *canary* is a distinctive value planted in a pupil's record (name, 学籍号 and
the ID-card number inside it, a guardian's name and phone, a circumstance's
note). A *sink* is a channel that leaves the record's own tables: log records,
e-mails, Celery task payloads and return values, the web server's access log
(each request as gunicorn writes it in the deployed format), the notifications
outbox, follow-ups and the audit trail.

`SinkCapture` collects every sink into one text per sink while a scenario runs;
`hits()` lists each canary found in each sink, in the forms a value takes on
its way out (as typed, JSON-escaped, percent-encoded, any case), and
`assert_clean()` fails naming each hit and its context. The self-tests in
test_child_data_canary.py plant a canary in each sink through its real path,
so a sink that stopped being captured fails there, not silently here.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.core import mail
from django.core.signals import request_started

from schools.student_numbers import id_check_character


def id_number(first17: str) -> str:
    """An 18-character resident ID number (GB 11643-1999) from its first 17
    digits, with its check character."""
    return first17 + id_check_character(first17)


@dataclass(frozen=True)
class Canary:
    label: str
    value: str

    def forms(self) -> set[str]:
        """The value as it may appear in a sink, lower-cased (hits are found in
        the lower-cased text): as typed, JSON-escaped (\\u91d1…),
        percent-encoded (a URL path or query) and as a WSGI path holds it."""
        return {form.lower() for form in (
            self.value,
            json.dumps(self.value)[1:-1],
            quote(self.value, safe=""),
            quote_plus(self.value),
            # A WSGI path (PATH_INFO) holds the UTF-8 bytes as Latin-1 characters.
            self.value.encode("utf-8").decode("latin-1"),
        )}


# Region 99 is no province: these cannot be anybody's numbers.
ID_NUMBER = id_number("99010120170305123")
PUPIL_NAME = Canary("pupil's name", "金丝雀甲乙")
STUDENT_NUMBER = Canary("学籍号", "G" + ID_NUMBER)
ID_IN_NUMBER = Canary("ID number inside the 学籍号", ID_NUMBER)
GUARDIAN_NAME = Canary("guardian's name", "金丝雀家长")
GUARDIAN_PHONE = Canary("guardian's phone", "10012345678")
# "10…" is no mobile number (the guardian form refuses it): the phone a guardian
# is changed to through the form.
NEW_PHONE = Canary("guardian's new phone", "19987654321")
NOTE = Canary("circumstance note", "CANARY-NOTE-7f3a")
# A pupil who comes in by a roster file (pages and command), with an ID-card
# number column the importer checks and never stores.
IMPORTED_ID = id_number("99010120160304456")
IMPORTED_NAME = Canary("imported pupil's name", "金丝雀丙丁")
IMPORTED_NUMBER = Canary("imported pupil's 学籍号", "G" + IMPORTED_ID)
IMPORTED_ID_NUMBER = Canary("imported pupil's ID number", IMPORTED_ID)
# Free text typed about a child that is not a note: the reason for a status change.
REASON = Canary("status change reason", "CANARY-REASON-5b1e")
# G5 names passwords too: one typed at sign-in.
PASSWORD = Canary("password", "CANARY-PASS-2c9d")
CANARIES = (PUPIL_NAME, STUDENT_NUMBER, ID_IN_NUMBER, GUARDIAN_NAME, GUARDIAN_PHONE,
            NEW_PHONE, NOTE, REASON, IMPORTED_NAME, IMPORTED_NUMBER, IMPORTED_ID_NUMBER,
            PASSWORD)


def canaries_in(text: str, canaries: Iterable[Canary] = CANARIES) -> list[Canary]:
    """The canaries found in `text`, in any of their forms."""
    lowered = text.lower()
    return [c for c in canaries if any(form in lowered for form in c.forms())]


@dataclass(frozen=True)
class Hit:
    sink: str
    canary: Canary
    context: str

    def __str__(self) -> str:
        return f"{self.canary.label} in {self.sink}: …{self.context}…"


# The loggers whose records are captured at DEBUG (those configured with
# propagate=False are listened to directly: their records never reach the root).
CAPTURED_PREFIXES = ("safety_portal", "django", "celery", "kombu", "axes", "py.warnings")

# A LogRecord's own attributes; anything else came in through `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}
# Objects handed to handlers that the configured formatter never prints
# (Django's request log passes the request and its status).
_UNPRINTED_EXTRAS = frozenset({"request", "status_code", "server_time"})


# Loggers of the tests' own machinery, not the portal's: aiosmtpd (the fake
# SMTP server of smtp_inbox) logs every line it receives.
IGNORED_LOGGERS = frozenset({"mail.log"})


class _Collector(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.name in IGNORED_LOGGERS:
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken call still shows its parts
            message = f"{record.msg!r} % {record.args!r}"
        parts = [record.name, record.levelname, message]
        # A formatter writes exc_text when a filter has set it.
        if record.exc_text:
            parts.append(record.exc_text)
        elif record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            parts.append(record.stack_info)
        extra = {k: v for k, v in vars(record).items()
                 if k not in _RECORD_ATTRS and k not in _UNPRINTED_EXTRAS}
        if extra:
            parts.append(repr(extra))
        self.into.append(" ".join(parts))


def mime_text(raw: bytes) -> str:
    """An e-mail as text to search: its bytes as sent, its headers decoded
    (RFC 2047), every part's payload decoded (base64, quoted-printable) in its
    charset (HTML with its character references resolved), and the XML inside
    any zipped attachment (an .xlsx), references resolved too."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [raw.decode("utf-8", "replace")]
    parts.extend(f"{name}: {value}" for name, value in parsed.items())
    for part in parsed.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        parts.append(f"[part {part.get_content_type()} {part.get_filename() or ''}]")
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        parts.append(html.unescape(text) if part.get_content_subtype() == "html" else text)
        parts.extend(_zipped_text(payload))
    return "\n".join(parts)


def _zipped_text(payload: bytes) -> list[str]:
    if not payload.startswith(b"PK"):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            # XML: openpyxl writes every non-ASCII character as &#NNNNN;.
            return [html.unescape(archive.read(name).decode("utf-8", "replace"))
                    for name in archive.namelist()]
    except zipfile.BadZipFile:
        return []


def table_text(model) -> str:
    """Every row of `model`, every column (text, JSON, references), as JSON
    with the characters as they are (not \\u-escaped)."""
    rows = list(model._base_manager.order_by("pk").values())
    return f"[{model._meta.label}] " + json.dumps(rows, default=str, ensure_ascii=False)


# The infrastructure tables a child's data must never reach: the outbox (notices,
# group robots and their messages), follow-ups (their data feeds notices), the
# audit trail, the admin's change log and axes' sign-in logs.
TABLE_APPS = ("notifications", "followups", "audit", "admin", "axes")


ROOT = Path(__file__).resolve().parents[2]


def deployed_access_log_format() -> str:
    """The access log format gunicorn runs with in the image: the Dockerfile
    CMD's --access-logformat, else gunicorn's default (which writes the whole
    request line, query string included, and the Referer)."""
    from gunicorn.config import AccessLogFormat

    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    cmd = next(json.loads(line.strip()[len("CMD"):]) for line in text.splitlines()
               if line.strip().startswith("CMD"))
    assert cmd[0] == "gunicorn", cmd
    if "--access-logformat" in cmd:
        return cmd[cmd.index("--access-logformat") + 1]
    return AccessLogFormat.default


def access_log_line(environ: dict) -> str:
    """The line gunicorn's access log writes for a request with `environ`
    (Django's test client's WSGI environ), in the deployed format, through
    gunicorn's own atoms (gunicorn.glogging.Logger.atoms)."""
    from gunicorn.glogging import Logger, SafeAtoms

    environ = dict(environ)
    # gunicorn's RAW_URI: the path and query as the client sent them.
    query = environ.get("QUERY_STRING", "")
    raw_path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=")
    environ.setdefault("RAW_URI", raw_path + (f"?{query}" if query else ""))
    headers = [(k[5:].replace("_", "-"), v) for k, v in environ.items()
               if k.startswith("HTTP_")]
    response = SimpleNamespace(status="200", sent=0, headers=[])
    atoms = Logger.atoms(Logger.__new__(Logger), response, SimpleNamespace(headers=headers),
                         environ, dt.timedelta(0))
    return deployed_access_log_format() % SafeAtoms(atoms)


@dataclass
class SinkCapture:
    """Every sink, between start() and stop(): log records of the root and
    the CAPTURED_PREFIXES loggers at DEBUG (through the configured handlers'
    filters), task payloads (published, or run eagerly) and return values,
    each request as the web server's access log writes it, what commands run
    through call_command printed; texts() reads e-mails and TABLE_APPS' tables
    when asked."""

    logs: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # What management commands printed (a deployment's one-off container logs it).
    commands: list[str] = field(default_factory=list)
    smtp_inbox: object | None = None  # tests.conftest.smtp_inbox's Inbox, when used

    # ---------------------------------------------------------------- hooks
    def start(self) -> None:
        from celery.signals import before_task_publish, task_postrun, task_prerun

        self._collector = _Collector(self.logs)
        loggers = self._loggers()
        # What the configured handlers drop or rewrite is not written: the
        # capture applies their filters too (pytest's own handlers aside).
        for handler in {h for logger in loggers for h in logger.handlers
                        if not type(h).__module__.startswith("_pytest")}:
            for log_filter in handler.filters:
                self._collector.addFilter(log_filter)
        self._levels: dict[logging.Logger, int] = {}
        for logger in loggers:
            self._levels[logger] = logger.level
            logger.setLevel(logging.DEBUG)
            if logger is logging.getLogger() or not logger.propagate:
                logger.addHandler(self._collector)
        self._disabled = logging.root.manager.disable
        logging.disable(logging.NOTSET)
        before_task_publish.connect(self._on_publish, weak=False)
        task_prerun.connect(self._on_prerun, weak=False)
        task_postrun.connect(self._on_postrun, weak=False)
        request_started.connect(self._on_request, weak=False)

    def stop(self) -> None:
        from celery.signals import before_task_publish, task_postrun, task_prerun

        request_started.disconnect(self._on_request)
        task_postrun.disconnect(self._on_postrun)
        task_prerun.disconnect(self._on_prerun)
        before_task_publish.disconnect(self._on_publish)
        logging.disable(self._disabled)
        for logger, level in self._levels.items():
            logger.removeHandler(self._collector)
            logger.setLevel(level)

    @staticmethod
    def _loggers() -> list[logging.Logger]:
        manager = logging.root.manager
        names = {name for name in manager.loggerDict
                 if name.split(".")[0] in CAPTURED_PREFIXES}
        names.update(CAPTURED_PREFIXES)
        return [logging.getLogger(), *(logging.getLogger(name) for name in sorted(names))]

    def _on_publish(self, sender=None, body=None, headers=None, **kwargs) -> None:
        # Protocol 2: body is (args, kwargs, embed); the headers carry argsrepr
        # and kwargsrepr, which flower and the worker's log show.
        self.tasks.append(f"published {sender} " + json.dumps(
            {"body": body, "headers": headers}, default=repr, ensure_ascii=False))

    def _on_prerun(self, sender=None, task_id=None, task=None, args=None, kwargs=None,
                   **extra) -> None:
        # Eager runs (the test settings) publish nothing: this is their payload.
        self.tasks.append(f"ran {getattr(task, 'name', sender)} " + json.dumps(
            {"args": args, "kwargs": kwargs}, default=repr, ensure_ascii=False))

    def _on_postrun(self, sender=None, task=None, retval=None, **extra) -> None:
        # The worker logs what a task returns ("succeeded in 0.01s: <retval>").
        self.tasks.append(f"returned {getattr(task, 'name', sender)} {retval!r}")

    def _on_request(self, sender=None, environ=None, **kwargs) -> None:
        if environ is not None:
            self.requests.append(access_log_line(environ))

    def call_command(self, *args, **options) -> str:
        """django.core.management.call_command, its stdout and stderr kept as
        a sink (a CommandError's message too); returns the stdout."""
        from django.core.management import CommandError, call_command

        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=err, **options)
        except CommandError as exc:
            err.write(f"CommandError: {exc}")
            raise
        finally:
            self.commands.append(f"$ {args[0]}\n{out.getvalue()}\n{err.getvalue()}")
        return out.getvalue()

    # ---------------------------------------------------------------- reading
    def texts(self) -> dict[str, str]:
        """The text of every sink, by sink name: the database tables and the
        e-mails are read now."""
        sinks = {
            "log records": "\n".join(self.logs),
            "Celery task payloads": "\n".join(self.tasks),
            "web server access log": "\n".join(self.requests),
            "command output": "\n".join(self.commands),
            "e-mails (outbox)": "\n\n".join(
                mime_text(message.message().as_bytes()) for message in
                getattr(mail, "outbox", [])),
        }
        if self.smtp_inbox is not None:
            sinks["e-mails (received by SMTP)"] = "\n\n".join(
                mime_text(message.as_bytes()) for _rcpt, message in self.smtp_inbox.messages)
        for app_label in TABLE_APPS:
            for model in apps.get_app_config(app_label).get_models():
                sinks[f"table {model._meta.db_table}"] = table_text(model)
        return sinks

    def hits(self, canaries: Iterable[Canary] = CANARIES) -> list[Hit]:
        found = []
        for sink, text in self.texts().items():
            lowered = text.lower()
            for canary in canaries:
                for form in canary.forms():
                    at = lowered.find(form)
                    if at >= 0:
                        found.append(Hit(sink, canary, text[max(0, at - 120):at + 80]))
                        break
        return found

    def number_hits(self, numbers: Mapping[str, str]) -> list[Hit]:
        """Hits of many numbers at once (`numbers`: value -> what it is, e.g.
        every 学籍号 and phone a command wrote): each sink is cut into runs of
        letters and digits, a run starting with G also counted without it
        (the ID number inside a 学籍号)."""
        wanted = {value.upper(): label for value, label in numbers.items()}
        found = []
        for sink, text in self.texts().items():
            runs = set(re.findall(r"[0-9A-Z]+", text.upper()))
            runs |= {run[1:] for run in runs if run.startswith("G")}
            found.extend(Hit(sink, Canary(wanted[value], value), value)
                         for value in sorted(runs & wanted.keys()))
        return found

    def assert_clean(self, numbers: Mapping[str, str] | None = None) -> None:
        """No canary in any sink; nor any of `numbers` (see number_hits)."""
        found = self.hits() + (self.number_hits(numbers) if numbers else [])
        assert not found, "a child's data left through a side channel:\n" + "\n".join(
            str(hit) for hit in found)


def record_numbers() -> dict[str, str]:
    """Every 学籍号 (and the ID number inside) and guardian's mobile number
    now in the database, as {value: what it is}: the canaries of records a
    command or a file made (names and notes are left out: a two-character
    name may well be a teacher's too, and a demo note is everyday words)."""
    from schools.models import Guardian, Pupil
    from schools.student_numbers import embeds_id_number

    numbers: dict[str, str] = {}
    for number in Pupil.objects.values_list("student_number", flat=True):
        numbers[number] = "a pupil's 学籍号"
        if embeds_id_number(number):
            numbers[number[1:]] = "the ID number inside a 学籍号"
    for phone in Guardian.objects.exclude(phone="").values_list("phone", flat=True):
        if re.fullmatch(r"\d{11}", phone):
            numbers[phone] = "a guardian's phone"
    return numbers
