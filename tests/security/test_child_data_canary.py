"""A child's data never leaves through a side channel (security.md G5, G4;
issue 9 item 5).

A pupil whose name, 学籍号 (with the ID-card number inside it), guardian's name
and phone and circumstance note are canaries (tests/security/canary.py) goes
through what the portal does with a child's record — opened, refused,
changed — while every sink is captured: log records of every logger at DEBUG,
e-mails (the outbox, and the bytes a real SMTP server receives), Celery task
payloads, the web server's request lines, the outbox, follow-up and audit
tables. Not one canary may turn up in any of them.

The harness proves first that each sink is really captured (a canary planted
through each sink's real path is found), so a green run here means something.

G4: N opens of a child's record are exactly N "record.view" rows (who, when,
which record by type and code, from where, outcome), and every refusal an
"access.denied" row.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading
import uuid

import pytest
import time_machine
from celery import shared_task
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from core.publish import fire_and_forget
from notifications.models import Notice
from notifications.services import deliver_due
from schools import access
from schools.models import Circumstance, Guardian, Pupil, Role, SchoolClass
from schools.student_numbers import birth_date_in_id, is_valid_id_number, normalise
from tests.conftest import shanghai, sign_in
from tests.schools.factories import school_member
from tests.security.canary import (
    CANARIES,
    GUARDIAN_NAME,
    GUARDIAN_PHONE,
    ID_IN_NUMBER,
    ID_NUMBER,
    IMPORTED_ID_NUMBER,
    IMPORTED_NAME,
    IMPORTED_NUMBER,
    NEW_PHONE,
    NOTE,
    PASSWORD,
    PUPIL_NAME,
    REASON,
    ROOT,
    STUDENT_NUMBER,
    SinkCapture,
    canaries_in,
    record_numbers,
)
from tests.services.conftest import redis_url  # noqa: F401 - the real-Redis fixture

# The school year 2026–2027 (its classes lead a head teacher to their pupils).
IN_2026_27 = shanghai("2026-11-30 10:00")
CLIENT_IP = "10.20.30.40"


@pytest.fixture(autouse=True)
def _in_the_school_year():
    with time_machine.travel(IN_2026_27, tick=False):
        yield


@pytest.fixture
def sinks(db):
    """Every sink captured from here to the end of the test (SinkCapture)."""
    capture = SinkCapture()
    capture.start()
    try:
        yield capture
    finally:
        capture.stop()


@pytest.fixture
def smtp_sinks(sinks, smtp_inbox):
    """`sinks`, with e-mail going to a real SMTP server whose received bytes
    are a sink too."""
    sinks.smtp_inbox = smtp_inbox
    return sinks


@shared_task(name="tests.security.canary_echo", ignore_result=True)
def canary_echo(*args, **kwargs) -> None:
    """A task that does nothing: the self-tests send canaries through it."""


# ------------------------------------------------------------------ the pupil


@pytest.fixture
def classes(world):
    return {n: SchoolClass.objects.create(school=world.school_a, school_year=2026, grade=3,
                                          number=n) for n in (1, 2)}


def make_canary_pupil(world, school_class) -> Pupil:
    """The canary pupil in `school_class` of school A, with a primary guardian
    and a current circumstance, made through the ORM."""
    pupil = Pupil.objects.create(
        bureau=world.bureau, school=world.school_a, current_class=school_class,
        student_number=normalise(STUDENT_NUMBER.value), name=PUPIL_NAME.value, gender="F",
        date_of_birth=birth_date_in_id(ID_NUMBER), home_area="示例村")
    Guardian.objects.create(pupil=pupil, name=GUARDIAN_NAME.value, relationship="mother",
                            phone=GUARDIAN_PHONE.value, works_away=True,
                            works_away_place="外省", is_primary=True)
    Circumstance.objects.create(pupil=pupil, group="left_behind",
                                since=dt.date(2026, 9, 1), note=NOTE.value,
                                recorded_by=world.principal)
    return pupil


@pytest.fixture
def canary_pupil(world, classes) -> Pupil:
    return make_canary_pupil(world, classes[1])


def lead(user, *school_classes) -> None:
    user.memberships.get(role=Role.HEAD_TEACHER).classes.set(school_classes)
    access.forget(user)


def request_by(user, path: str = "/schools/pupils/"):
    request = RequestFactory().get(path, REMOTE_ADDR=CLIENT_IP)
    request.user = user
    request.session = {}
    return request


def test_the_canaries_are_what_they_claim_to_be():
    # Valid GB 11643 numbers, so the 学籍号 pass normalise as real ones would.
    assert is_valid_id_number(ID_NUMBER)
    assert is_valid_id_number(IMPORTED_ID_NUMBER.value)
    assert normalise(STUDENT_NUMBER.value) == STUDENT_NUMBER.value
    assert normalise(IMPORTED_NUMBER.value) == IMPORTED_NUMBER.value
    assert ID_IN_NUMBER.value in STUDENT_NUMBER.value
    assert len({c.value for c in CANARIES}) == len(CANARIES)


# ------------------------------------------------------------------ the harness


class TestEachSinkIsCaptured:
    """A canary sent through each sink's real path is found: the scenarios
    below can fail."""

    @pytest.mark.parametrize("logger_name", [
        "", "safety_portal.schools", "safety_portal.access", "django.request",
        "django.template", "celery.app.trace", "axes.watch_login"])
    def test_a_debug_record_of_any_logger(self, sinks, logger_name):
        logging.getLogger(logger_name).debug("opened %s", PUPIL_NAME.value)
        assert [h.canary for h in sinks.hits() if h.sink == "log records"] == [PUPIL_NAME]

    def test_an_exception_logged_with_its_traceback(self, sinks):
        try:
            raise ValueError(f"bad row {STUDENT_NUMBER.value}")
        except ValueError:
            logging.getLogger("safety_portal.schools").exception("import failed")
        assert {h.canary for h in sinks.hits()} >= {STUDENT_NUMBER, ID_IN_NUMBER}

    def test_a_value_given_as_extra(self, sinks):
        logging.getLogger("safety_portal").info("saved", extra={"who": GUARDIAN_PHONE.value})
        assert [h.canary for h in sinks.hits()] == [GUARDIAN_PHONE]

    def test_the_capture_leaves_the_logging_configuration_as_it_was(self):
        portal = logging.getLogger("safety_portal")
        before = (portal.level, list(portal.handlers), logging.getLogger().level)
        capture = SinkCapture()
        capture.start()
        assert portal.level == logging.DEBUG
        capture.stop()
        assert (portal.level, list(portal.handlers), logging.getLogger().level) == before

    def test_an_email_in_the_outbox_its_headers_body_and_attachments(self, sinks):
        self.send_mail()
        assert {h.canary for h in sinks.hits() if h.sink == "e-mails (outbox)"} == {
            PUPIL_NAME, NOTE, GUARDIAN_NAME}

    def test_an_email_received_by_a_real_smtp_server(self, smtp_sinks):
        self.send_mail()
        assert mail.outbox == []  # it went over SMTP
        assert {h.canary for h in smtp_sinks.hits()
                if h.sink == "e-mails (received by SMTP)"} == {PUPIL_NAME, NOTE, GUARDIAN_NAME}

    @staticmethod
    def send_mail():
        from openpyxl import Workbook

        book = Workbook()
        book.active["A1"] = GUARDIAN_NAME.value
        xlsx = io.BytesIO()
        book.save(xlsx)
        message = mail.EmailMessage(subject=f"关于{PUPIL_NAME.value}", body="见附件",
                                    to=["principal@school.example.cn"])
        # Base64 on the wire: only a decoding capture finds them.
        message.attach("note.txt", NOTE.value * 40, "text/plain")
        message.attach("roster.xlsx", xlsx.getvalue(),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        message.send()

    def test_the_arguments_of_a_task_run_eagerly(self, sinks):
        canary_echo.delay(PUPIL_NAME.value, note=NOTE.value)
        fire_and_forget(canary_echo, phone=GUARDIAN_PHONE.value)
        assert {h.canary for h in sinks.hits() if h.sink == "Celery task payloads"} == {
            PUPIL_NAME, NOTE, GUARDIAN_PHONE}

    def test_the_arguments_of_a_task_published_to_the_broker(self, sinks, redis_url):  # noqa: F811
        import redis

        from safety_portal.celery import app

        queue = f"canary-{uuid.uuid4().hex[:8]}"
        app.conf.task_always_eager = False
        try:
            assert fire_and_forget(canary_echo, STUDENT_NUMBER.value, queue=queue)
        finally:
            app.conf.task_always_eager = True
            redis.Redis.from_url(app.conf.broker_url).delete(queue)
        published = [t for t in sinks.tasks if t.startswith("published")]
        assert len(published) == 1
        assert STUDENT_NUMBER in {h.canary for h in sinks.hits()}

    def test_a_path_in_the_web_servers_access_log(self, sinks, client):
        client.get(f"/schools/pupils/{PUPIL_NAME.value}/")
        # Django's request log names the path of the 404 too.
        assert {(h.sink, h.canary) for h in sinks.hits()} == {
            ("web server access log", PUPIL_NAME), ("log records", PUPIL_NAME)}

    def test_the_outbox_and_audit_tables_text_and_json_columns(self, sinks, world):
        Notice.objects.create(key="canary:1", kind="overdue", recipient=world.principal,
                              context={"school_name": PUPIL_NAME.value},
                              last_error=GUARDIAN_PHONE.value)
        audit_record(user=world.principal, action="record.view", target=NOTE.value,
                     extra={"filters": {"q": GUARDIAN_NAME.value}})
        found = {(h.sink, h.canary) for h in sinks.hits()}
        assert found == {
            ("table notifications_notice", PUPIL_NAME),
            ("table notifications_notice", GUARDIAN_PHONE),
            ("table audit_auditevent", NOTE),
            ("table audit_auditevent", GUARDIAN_NAME),
        }

    def test_what_a_command_prints(self, sinks, world, tmp_path):
        # The preview lists the headers it ignored.
        roster = tmp_path / "roster.csv"
        roster.write_text(f"学籍号,姓名,{NOTE.value}\n", encoding="utf-8")
        sinks.call_command("import_roster", str(roster), "--school", world.school_a.code)
        with pytest.raises(CommandError):
            sinks.call_command("import_roster", f"/nonexistent/{PUPIL_NAME.value}.csv",
                               "--school", world.school_a.code)
        assert {(h.sink, h.canary) for h in sinks.hits()} == {
            ("command output", NOTE), ("command output", PUPIL_NAME)}

    def test_the_numbers_of_every_record_at_once(self, sinks, canary_pupil):
        numbers = record_numbers()
        assert numbers[STUDENT_NUMBER.value] == "a pupil's 学籍号"
        assert numbers[ID_NUMBER] == "the ID number inside a 学籍号"
        assert numbers[GUARDIAN_PHONE.value] == "a guardian's phone"
        sinks.assert_clean(numbers)
        logging.getLogger("safety_portal").info("row %s", ID_NUMBER)
        assert [h.canary.label for h in sinks.number_hits(numbers)] == [
            "the ID number inside a 学籍号"]

    def test_assert_clean_fails_naming_the_sink_and_the_canary(self, sinks):
        sinks.assert_clean()
        logging.getLogger("safety_portal.schools").warning("note: %s", NOTE.value)
        with pytest.raises(AssertionError, match="circumstance note in log records"):
            sinks.assert_clean()


class TestTheWebServersAccessLog:
    """A roster searched by name or 学籍号 carries it in its query string
    (?q=), and the next page's Referer repeats it: neither web server logs
    them."""

    def test_gunicorn_logs_neither_the_query_string_nor_the_referer(self, sinks, client):
        client.get("/", {"q": PUPIL_NAME.value},
                   HTTP_REFERER=f"https://portal.example.edu.cn/?q={STUDENT_NUMBER.value}")
        [line] = sinks.requests
        assert '"GET / HTTP/1.1"' in line
        assert sinks.hits() == []

    def test_nginx_logs_neither_the_query_string_nor_the_referer(self):
        conf = (ROOT / "docs" / "deploy" / "nginx-portal.conf").read_text()
        formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
        used = re.findall(r"^\s*access_log\s+\S+\s+(\w+);", conf, re.MULTILINE)
        assert used == ["portal"], "every access_log names the portal's format"
        line = "".join(re.findall(r"'([^']*)'", formats["portal"]))
        assert "$uri" in line
        for variable in ("$request ", '$request"', "$request_uri", "$args", "$arg_",
                         "$query_string", "$is_args", "$http_referer"):
            assert variable not in line, variable


# ------------------------------------------------------------------ scenarios


def deliver_everything() -> None:
    """Send whatever the scenario queued in the outbox, so its e-mails are read."""
    deliver_due(batch=500)


class TestTheChildsDataStaysInItsRecord:
    def test_creating_opening_and_refusing_a_pupil_through_the_access_layer(
            self, world, classes, sinks, django_capture_on_commit_callbacks):
        view = access.perm("schools.view_pupil")
        with django_capture_on_commit_callbacks(execute=True):
            pupil = make_canary_pupil(world, classes[1])
            guardian = pupil.guardians.get()
            circumstance = pupil.circumstances.get()
            lead(world.head_teacher, classes[2])
            # Opened (view, export, print) by those who may.
            for user in (world.principal, world.safety_officer, world.counselor):
                for action in ("view", "export", "print"):
                    access.get_for_user(request_by(user), Pupil.objects, view, sensitive=True,
                                        action=action, code=pupil.code)
            access.get_for_user(request_by(world.counselor), Circumstance.objects,
                                access.perm("schools.view_circumstances"), sensitive=True,
                                code=circumstance.code)
            access.get_for_user(request_by(world.principal), Guardian.objects, view,
                                pk=guardian.pk)
            # Refused: a head teacher of another class, staff, bureau roles, another
            # school (404); the counselor without the roster's permission (403).
            for user in (world.head_teacher, world.staff, world.inspector,
                         world.bureau_admin, world.peer_principal, world.foreign_principal):
                with pytest.raises(Http404):
                    access.get_for_user(request_by(user), Pupil.objects, view, sensitive=True,
                                        code=pupil.code)
            with pytest.raises(PermissionDenied):
                access.get_for_user(request_by(world.counselor), Pupil.objects,
                                    access.perm("schools.manage_roster"), code=pupil.code)
            for user in (world.head_teacher, world.inspector):
                assert not access.can_for_pupil(user, view, pupil)
            deliver_everything()
        assert AuditEvent.objects.filter(action__startswith="record.").count() == 10
        assert AuditEvent.objects.filter(action="access.denied").count() == 7
        assert sum("access denied" in line for line in sinks.logs) == 7  # the logs were live
        sinks.assert_clean()

    def test_what_the_records_call_themselves(self, canary_pupil):
        # __str__ and repr end up in log lines, admin messages, exception texts
        # and task reprs.
        records = [canary_pupil, *canary_pupil.guardians.all(),
                   *canary_pupil.circumstances.all()]
        for record in records:
            for text in (str(record), repr(record)):
                assert canaries_in(text) == [], text

    def test_a_database_error_about_the_childs_record(self, world, sinks, canary_pupil):
        # Two schools of the bureau importing the same new pupil at once: the
        # later insert meets the unique 学籍号, and PostgreSQL's error quotes
        # the row (a 500, whose traceback Django's request log writes).
        if connection.vendor != "postgresql":
            pytest.skip("PostgreSQL's errors quote the values (this suite runs on it in CI)")
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            Pupil.objects.create(bureau=world.bureau, school=world.school_b,
                                 student_number=STUDENT_NUMBER.value, name=PUPIL_NAME.value,
                                 gender="F", date_of_birth=canary_pupil.date_of_birth)
        assert STUDENT_NUMBER.value in str(refused.value)  # what the database says
        with pytest.raises(IntegrityError) as refused_row, transaction.atomic():
            Circumstance.objects.create(pupil=canary_pupil, group="orphan", note=NOTE.value,
                                        since=dt.date(2026, 9, 1), until=dt.date(2026, 8, 1))
        assert NOTE.value in str(refused_row.value)  # "Failing row contains (…)"
        for caught in (refused, refused_row):
            logging.getLogger("django.request").error(
                "Internal Server Error: %s", "/schools/1/roster/import/x/confirm/",
                exc_info=(caught.type, caught.value, caught.tb))
            logging.getLogger("safety_portal.schools").warning("not saved: %s", caught.value)
        written = "\n".join(sinks.logs)
        assert "pupil_student_number_per_bureau" in written  # the constraint is named
        assert "circumstance_until_after_since" in written
        sinks.assert_clean()

    def test_a_password_typed_at_sign_in_right_or_wrong(self, world, client, sinks):
        world.principal.set_password(PASSWORD.value)
        world.principal.save()
        login = reverse("login")
        wrong = client.post(login, {"username": "a-safety", "password": PASSWORD.value})
        assert wrong.status_code == 200  # the form again
        right = client.post(login, {"username": "a-principal", "password": PASSWORD.value})
        assert right.status_code == 302
        assert any("login failure" in line for line in sinks.logs)
        assert sum('"POST /accounts/login/' in line for line in sinks.requests) == 2
        sinks.assert_clean()


# ------------------------------------------------------------------ through the pages


def pupil_url(name: str, pupil, **kwargs) -> str:
    return reverse(f"schools:{name}", kwargs={"code": pupil.code, **kwargs})


class TestThroughThePages:
    """The school works with the canary pupil through every page that shows
    or changes a child's record, including the refusals and the forms sent
    back with errors; the bureau reads its counts."""

    def test_the_schools_people_open_list_export_and_change_the_record(
            self, world, classes, sinks, client, django_capture_on_commit_callbacks):
        lead(world.head_teacher, classes[1])
        other_head = school_member(world.school_a, Role.HEAD_TEACHER, username="a-teacher-2")
        lead(other_head, classes[2])
        school = world.school_a
        with django_capture_on_commit_callbacks(execute=True):
            pupil = make_canary_pupil(world, classes[1])
            guardian = pupil.guardians.get()
            circumstance = pupil.circumstances.get()

            sign_in(client, world.principal, verified=True)
            page = client.get(pupil_url("pupil_detail", pupil))
            assert PUPIL_NAME.value in page.content.decode()  # the page shows the child
            roster = reverse("schools:roster", kwargs={"pk": school.pk})
            for query in ({}, {"q": PUPIL_NAME.value}, {"q": STUDENT_NUMBER.value},
                          {"group": "left_behind"}):
                assert client.get(roster, query).status_code == 200
            export = reverse("schools:roster_export", kwargs={"pk": school.pk})
            for query in ({}, {"q": PUPIL_NAME.value}):
                assert client.get(export, query).status_code == 200

            # Circumstances: one refused (a child in difficulty needs its
            # kind), one recorded, the old one ended.
            add = pupil_url("circumstance_add", pupil)
            assert client.get(add).status_code == 200
            assert client.post(add, {"group": "in_difficulty", "since": "2026-11-01",
                                     "note": NOTE.value}).status_code == 400
            assert client.post(add, {"group": "in_difficulty", "difficulty_type": "family",
                                     "since": "2026-11-01", "note": NOTE.value}
                               ).status_code == 302
            end = reverse("schools:circumstance_end", kwargs={"code": circumstance.code})
            assert client.post(end, {f"end{circumstance.pk}-until": "2026-11-20"}
                               ).status_code == 302
            assert client.post(end, {f"end{circumstance.pk}-until": "2020-01-01"}
                               ).status_code == 400

            # Guardians: the canary phone is no mobile number (refused), then a
            # good one; a second guardian added.
            edit = pupil_url("guardian_edit", pupil, pk=guardian.pk)
            assert client.get(edit).status_code == 200
            typed = {"name": GUARDIAN_NAME.value, "relationship": "mother",
                     "works_away": "on", "works_away_place": "外省", "is_primary": "on"}
            assert client.post(edit, {**typed, "phone": GUARDIAN_PHONE.value}
                               ).status_code == 400
            assert client.post(edit, {**typed, "phone": NEW_PHONE.value}).status_code == 302
            assert client.post(pupil_url("guardian_add", pupil), {
                "name": GUARDIAN_NAME.value + "二", "relationship": "father",
                "phone": NEW_PHONE.value, "lives_with_child": "on"}).status_code == 302

            # 学籍状态: a day in the future refused, then suspended.
            status = pupil_url("pupil_status", pupil)
            assert client.get(status).status_code == 200
            assert client.post(status, {"status": "suspended", "on": "2026-12-31",
                                        "reason": REASON.value}).status_code == 400
            assert client.post(status, {"status": "suspended", "on": "2026-11-30",
                                        "reason": REASON.value}).status_code == 302
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 200

            # The head teacher of the pupil's class, and the one of the other class.
            sign_in(client, world.head_teacher, verified=True)
            assert client.get(reverse("schools:my_classes")).status_code == 200
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 200
            sign_in(client, other_head, verified=True)
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 404
            assert client.get(roster, {"q": PUPIL_NAME.value}).status_code == 200
            # Staff and the counselor where they may not go.
            # Staff hold the pupil permission nowhere: refused before any lookup.
            sign_in(client, world.staff, verified=True)
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 403
            assert client.get(roster, {"q": STUDENT_NUMBER.value}).status_code == 403
            sign_in(client, world.counselor, verified=True)
            assert client.post(status, {"status": "enrolled", "on": "2026-11-30",
                                        "reason": REASON.value}).status_code == 403
            assert client.get(export, {"q": PUPIL_NAME.value}).status_code == 403
            # The principal without a recent second factor is sent to show one.
            sign_in(client, world.principal, verified=False)
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 302
            # The bureau counts the district's children.
            sign_in(client, world.bureau_admin)
            assert client.get(reverse("schools:pupil_counts")).status_code == 200
            assert client.get(reverse("schools:pupil_counts_xlsx")).status_code == 200
            sign_in(client, world.inspector)
            assert client.get(pupil_url("pupil_detail", pupil)).status_code == 403
            deliver_everything()
        assert AuditEvent.objects.filter(action="record.view", target_type="schools.pupil",
                                         target_code=str(pupil.code)).exists()
        assert AuditEvent.objects.filter(action="access.denied").count() >= 5
        assert sinks.requests
        assert sinks.logs
        sinks.assert_clean()


    def test_a_roster_comes_in_through_the_pages_and_the_command(
            self, world, classes, sinks, client, settings, tmp_path,
            django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path
        school = world.school_a
        header = ("学籍号,姓名,性别,出生日期,身份证号,年级,班级,监护人1姓名,监护人1关系,"
                  "监护人1电话\n")
        known = (f"{STUDENT_NUMBER.value},{PUPIL_NAME.value},女,2017-03-05,,三年级,2,"
                 f"{GUARDIAN_NAME.value},妈妈,{NEW_PHONE.value}")
        new = (f"{IMPORTED_NUMBER.value},{IMPORTED_NAME.value},男,2016-03-04,"
               f"{IMPORTED_ID_NUMBER.value},三年级,1,{GUARDIAN_NAME.value},爸爸,{NEW_PHONE.value}")
        # Refused cells: a phone that is no mobile number, a 学籍号 whose
        # check digit is wrong, an ID number that is not the pupil's.
        wrong = (f"{IMPORTED_NUMBER.value[:-1]}0,{IMPORTED_NAME.value},男,2016-03-04,"
                 f"{ID_NUMBER},三年级,1,{GUARDIAN_NAME.value},爸爸,{GUARDIAN_PHONE.value}")
        clean = (header + known + "\n" + new + "\n").encode("utf-8")
        faulty = (header + known + "\n" + wrong + "\n").encode("utf-8")

        def upload(body: bytes, name: str):
            response = client.post(reverse("schools:roster_import", args=[school.pk]),
                                   {"file": SimpleUploadedFile(name, body, "text/csv")})
            assert response.status_code == 302, response.content.decode()[:2000]
            preview = client.get(response["Location"])
            assert preview.status_code == 200
            fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"',
                                    preview.content.decode())
            return response["Location"], fingerprint and fingerprint.group(1)

        with django_capture_on_commit_callbacks(execute=True):
            make_canary_pupil(world, classes[1])
            sign_in(client, world.principal, verified=True)
            assert client.get(reverse("schools:roster_template", args=[school.pk])
                              ).status_code == 200
            # A file with errors: previewed, its confirmation refused.
            preview, fingerprint = upload(faulty, f"{IMPORTED_NAME.value}.csv")
            confirm = preview.rstrip("/") + "/confirm/"
            assert client.post(confirm, {"fingerprint": fingerprint or "0" * 64}
                               ).status_code >= 400
            # A clean one: previewed, confirmed, its result shown.
            preview, fingerprint = upload(clean, "名册.csv")
            done = client.post(preview.rstrip("/") + "/confirm/", {"fingerprint": fingerprint})
            assert done.status_code == 302
            assert client.get(done["Location"]).status_code == 200
            assert Pupil.objects.filter(student_number=IMPORTED_NUMBER.value).exists()

            # The command: a preview of the faulty file (exit 1 on --commit),
            # then the clean file committed again (nothing changes).
            faulty_file, clean_file = tmp_path / "faulty.csv", tmp_path / "clean.csv"
            faulty_file.write_bytes(faulty)
            clean_file.write_bytes(clean)
            sinks.call_command("import_roster", str(faulty_file), "--school", school.code)
            with pytest.raises(CommandError):
                sinks.call_command("import_roster", str(faulty_file), "--school", school.code,
                                   "--commit")
            sinks.call_command("import_roster", str(clean_file), "--school", school.code,
                               "--commit")
            deliver_everything()
        assert AuditEvent.objects.filter(action="roster.import").count() == 2
        sinks.assert_clean(numbers=record_numbers())


    @pytest.mark.django_db(transaction=True)
    def test_two_schools_importing_the_same_new_pupil_at_once(
            self, world, sinks, client, settings, tmp_path, monkeypatch):
        # School A confirms its import while school B's import of the same new
        # pupil commits: A's insert meets the unique 学籍号, whose PostgreSQL
        # error quotes it. A is told the roster changed; nothing quotes it.
        settings.MEDIA_ROOT = tmp_path
        sign_in(client, world.principal, verified=True)
        roster = (f"学籍号,姓名,性别,出生日期,年级,班级\n{IMPORTED_NUMBER.value},"
                  f"{IMPORTED_NAME.value},男,2016-03-04,三年级,1\n").encode()
        response = client.post(reverse("schools:roster_import", args=[world.school_a.pk]),
                               {"file": SimpleUploadedFile("名册.csv", roster, "text/csv")})
        preview = client.get(response["Location"]).content.decode()
        fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview).group(1)
        path = tmp_path / "roster.csv"
        path.write_bytes(roster)

        def at_school_b():
            try:
                Pupil.objects.create(bureau=world.bureau, school=world.school_b,
                                     student_number=IMPORTED_NUMBER.value,
                                     name=IMPORTED_NAME.value, gender="M",
                                     date_of_birth=dt.date(2016, 3, 4))
            finally:
                connection.close()  # this thread's own connection

        insert = Pupil.objects.bulk_create

        def meanwhile_school_b_commits(*args, **kwargs):
            if not Pupil.objects.filter(student_number=IMPORTED_NUMBER.value).exists():
                other = threading.Thread(target=at_school_b)
                other.start()
                other.join()
            return insert(*args, **kwargs)

        monkeypatch.setattr(Pupil.objects, "bulk_create", meanwhile_school_b_commits)
        client.raise_request_exception = False
        confirmed = client.post(response["Location"].rstrip("/") + "/confirm/",
                                {"fingerprint": fingerprint})
        assert confirmed.status_code == 409  # the roster changed: look again
        # The command, as deployment staff would run it in the same moment.
        Pupil.objects.filter(school=world.school_b).delete()
        with pytest.raises(CommandError, match="changed meanwhile"):
            sinks.call_command("import_roster", str(path), "--school", world.school_a.code,
                               "--commit")
        assert not Pupil.objects.filter(school=world.school_a).exists()
        sinks.assert_clean()

    def test_the_demo_roster_leaves_none_of_its_numbers_behind(self, db, sinks):
        sinks.call_command("seed_demo", schools=1)
        numbers = record_numbers()
        assert len(numbers) > 100  # pupils, their ID numbers and guardians' phones
        sinks.assert_clean(numbers)


# ------------------------------------------------------------------ G4


class TestMandatoryReportingAndBullying:
    """Issue 10 item 9: a concern, its referral and a bullying case about the
    canary pupil go through their pages — logged, told, opened, worked,
    counted by the bureau — and no canary reaches a sink."""

    def test_a_concern_a_referral_and_a_bullying_case_about_the_child(
            self, world, classes, sinks, client, django_capture_on_commit_callbacks):
        from incidents.models import BullyingCase, Concern, Referral

        lead(world.head_teacher, classes[1])
        for user in (world.principal, world.safety_officer, world.head_teacher,
                     world.counselor):
            type(user).objects.filter(pk=user.pk).update(email=f"{user.username}@a.example")
        with django_capture_on_commit_callbacks(execute=True):
            pupil = make_canary_pupil(world, classes[1])
            # A teacher logs a concern from her phone, naming the child.
            sign_in(client, world.head_teacher)
            assert client.post(reverse("incidents:concern_new"), {
                "school_class": classes[1].pk, "child_name": PUPIL_NAME.value,
                "observed": NOTE.value, "observed_at": "2026-11-30T09:30",
                "child_words": REASON.value}).status_code == 302
            concern = Concern.objects.get()
            assert concern.pupil == pupil
            # The principal opens the referral and reports to the police.
            sign_in(client, world.principal, verified=True)
            assert client.post(reverse("incidents:concern_detail", args=[concern.code]),
                               {"situations": ["injury_neglect"]}).status_code == 302
            referral = Referral.objects.get()
            assert client.post(reverse("incidents:referral_report", args=[referral.code]), {
                "agency": "police", "reported_at": "2026-11-30T09:50",
                "receiving_unit": "城关派出所", "method": "call_110",
                "officer": GUARDIAN_NAME.value, "receipt_number": "R-1"}).status_code == 302
            assert client.get(reverse("incidents:referral_print", args=[referral.code])
                              ).status_code == 200
            # A bullying case about the same child, worked through its pages.
            assert client.post(reverse("incidents:bullying_new", args=[world.school_a.pk]), {
                "reporter": "guardian", "reported_at": "2026-11-30T09:00",
                "acts": ["physical"], "description": NOTE.value,
                "class_0": classes[1].pk, "name_0": PUPIL_NAME.value, "role_0": "target",
            }).status_code == 302
            case = BullyingCase.objects.get()

            def act(name, data=None):
                return client.post(reverse("incidents:bullying_action",
                                           args=[case.code, name]), data or {})

            assert act("stop", {"stopped_at": "2026-11-30T09:10",
                                "safety_measures": REASON.value}).status_code == 302
            assert act("link", {"referral": str(referral.code)}).status_code == 302
            assert act("investigate").status_code == 302
            assert act("decide", {"committee_on": "2026-11-30", "committee_members": "校长",
                                  "is_bullying": "yes", "finding": NOTE.value,
                                  "severity": "serious", "measures": ["discipline"]}
                       ).status_code == 302
            assert act("visit_assign", {"assignee": world.head_teacher.pk,
                                        "due_on": "2026-12-01"}).status_code == 302
            # The counselor and the head teacher, each on their page.
            sign_in(client, world.counselor, verified=True)
            assert client.post(reverse("incidents:bullying_support", args=[case.code]),
                               {"text": REASON.value}).status_code == 302
            sign_in(client, world.head_teacher, verified=True)
            assert client.post(reverse("incidents:bullying_status", args=[case.code]),
                               {"text": NOTE.value}).status_code == 302
            # The bureau counts it.
            sign_in(client, world.inspector)
            assert client.get(reverse("incidents:bureau_counts")).status_code == 200
            assert client.get(reverse("incidents:bureau_counts_xlsx")).status_code == 200
            from followups.services import scan

            scan(at=IN_2026_27 + dt.timedelta(days=3))
            deliver_everything()
        assert Notice.objects.filter(kind__startswith="incidents.").exists()
        assert sinks.requests
        sinks.assert_clean()


class TestEachOpenIsOneAuditRow:
    N = 4

    def test_n_opens_are_n_view_rows_naming_who_when_which_and_from_where(
            self, world, canary_pupil):
        moments = [IN_2026_27 + dt.timedelta(minutes=m) for m in range(self.N)]
        for moment in moments:
            with time_machine.travel(moment, tick=False):
                access.get_for_user(request_by(world.counselor), Pupil.objects,
                                    access.perm("schools.view_pupil"), sensitive=True,
                                    code=canary_pupil.code)
        rows = list(AuditEvent.objects.filter(action="record.view").order_by("at"))
        assert [(r.user, r.username, r.at, r.target_type, r.target_code, r.school_id, r.ip,
                 r.outcome) for r in rows] == [
            (world.counselor, "a-counselor", moment, "schools.pupil", str(canary_pupil.code),
             world.school_a.pk, CLIENT_IP, "allowed") for moment in moments]

    def test_each_refusal_is_one_denied_row(self, world, classes, canary_pupil):
        lead(world.head_teacher, classes[2])
        for _ in range(self.N):
            with pytest.raises(Http404):
                access.get_for_user(request_by(world.head_teacher), Pupil.objects,
                                    access.perm("schools.view_pupil"), sensitive=True,
                                    code=canary_pupil.code)
        rows = AuditEvent.objects.filter(action="access.denied")
        assert rows.count() == self.N
        assert {(r.user, r.outcome, r.status, r.ip, r.target_type, r.school_id) for r in rows} == {
            (world.head_teacher, "denied", 404, CLIENT_IP, "schools.pupil", None)}
        assert not AuditEvent.objects.filter(action="record.view").exists()

    def test_n_opens_of_the_pupils_page_are_n_rows_and_each_refusal_one(
            self, world, classes, canary_pupil, client):
        lead(world.head_teacher, classes[2])  # not the pupil's class
        page = pupil_url("pupil_detail", canary_pupil)
        moments = [IN_2026_27 + dt.timedelta(minutes=m) for m in range(self.N)]
        sign_in(client, world.counselor, verified=True)
        for moment in moments:
            with time_machine.travel(moment, tick=False):
                assert client.get(page, REMOTE_ADDR=CLIENT_IP).status_code == 200
        sign_in(client, world.head_teacher, verified=True)
        for _ in range(self.N):
            assert client.get(page, REMOTE_ADDR=CLIENT_IP).status_code == 404
        sign_in(client, world.counselor, verified=True)
        status_page = pupil_url("pupil_status", canary_pupil)
        assert client.get(status_page, REMOTE_ADDR=CLIENT_IP).status_code == 403

        reads = AuditEvent.objects.filter(action__startswith="record.").order_by("at", "id")
        assert [(r.user, r.at, r.action, r.target_type, r.target_code, r.school_id, r.ip,
                 r.outcome) for r in reads] == [
            (world.counselor, moment, "record.view", "schools.pupil", str(canary_pupil.code),
             world.school_a.pk, CLIENT_IP, "allowed") for moment in moments]
        denials = AuditEvent.objects.filter(action="access.denied").order_by("id")
        assert [(r.user, r.status, r.target_type, r.target_code, r.school_id, r.ip, r.outcome)
                for r in denials] == [
            (world.head_teacher, 404, "schools.pupil", str(canary_pupil.code), None, CLIENT_IP,
             "denied")] * self.N + [
            # The counselor holds the right to change a status nowhere: refused
            # before the pupil is looked up, so the row names it but no school.
            (world.counselor, 403, "schools.pupil", str(canary_pupil.code), None,
             CLIENT_IP, "denied")]
