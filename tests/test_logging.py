"""What the portal writes to its log for an expected refusal (issue 8 item 7):
one line, not two tracebacks. Read from the console handler every portal and
Django logger writes to, as an operator reads it."""

import io
import logging
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from safety_portal.log_filters import DENIAL_LOGGED_FLAG


@contextmanager
def console_output():
    """Everything the configured console handler writes while inside."""
    handler = logging.getLogger("django.request").handlers[0]
    assert handler is logging.getLogger("safety_portal").handlers[0], "one console"
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


@pytest.fixture
def debug_on(settings):
    # `make run` serves with DEBUG on, where Django's own console handler used
    # to print every request record a second time.
    settings.DEBUG = True


def test_a_refused_page_logs_one_line_without_a_traceback(world, login, debug_on):
    client = login(world.safety_officer)
    with console_output() as out:
        response = client.get("/audit/")
    assert response.status_code == 403
    assert len(lines(out)) == 1, out.getvalue()
    assert "access denied" in out.getvalue()
    assert "'a-safety'" in out.getvalue()
    assert "Traceback" not in out.getvalue()


def test_a_refusal_outside_the_access_layer_is_one_line_from_django(rf: RequestFactory,
                                                                     debug_on):
    request = rf.get("/admin/somewhere/")
    with console_output() as out:
        log_response("Forbidden (Permission denied): %s", request.path,
                     response=HttpResponse(status=403), request=request,
                     exception=PermissionDenied())
    assert len(lines(out)) == 1, out.getvalue()
    assert lines(out)[0].endswith("Forbidden (Permission denied): /admin/somewhere/")


def test_django_leaves_out_a_refusal_the_access_layer_already_logged(rf, debug_on):
    request = rf.get("/reports/1/")
    setattr(request, DENIAL_LOGGED_FLAG, True)
    with console_output() as out:
        log_response("Forbidden (Permission denied): %s", request.path,
                     response=HttpResponse(status=403), request=request,
                     exception=PermissionDenied())
    assert out.getvalue() == ""


def test_a_server_error_keeps_its_traceback_once(rf, debug_on):
    request = rf.get("/broken/")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        with console_output() as out:
            log_response("Internal Server Error: %s", request.path,
                         response=HttpResponse(status=500), request=request, exception=exc)
    assert out.getvalue().count("Traceback") == 1
    assert "RuntimeError: boom" in out.getvalue()


def test_a_not_found_page_still_logs_its_line(rf, debug_on):
    request = rf.get("/nowhere/")
    with console_output() as out:
        log_response("Not Found: %s", request.path, response=HttpResponse(status=404),
                     request=request)
    assert len(lines(out)) == 1


# A database error's DETAIL quotes the row it refused (security.md G5): the
# console writes the error and the constraint's name, never the values.
PG_UNIQUE = ('duplicate key value violates unique constraint "pupil_student_number_per_bureau"\n'
             "DETAIL:  Key (bureau_id, student_number)=(1, G330102201503051234) already exists.\n")


def test_a_database_errors_detail_is_withheld_from_the_traceback_and_the_message(rf):
    from django.db import IntegrityError

    request = rf.get("/schools/1/roster/import/x/confirm/")
    try:
        raise IntegrityError(PG_UNIQUE)
    except IntegrityError as exc:
        with console_output() as out:
            log_response("Internal Server Error: %s", request.path,
                         response=HttpResponse(status=500), request=request, exception=exc)
            logging.getLogger("safety_portal.schools").warning("not saved: %s", exc)
    assert "G330102201503051234" not in out.getvalue()
    assert out.getvalue().count('unique constraint "pupil_student_number_per_bureau"') == 2
    assert out.getvalue().count("DETAIL:  (withheld from the log") == 2
    assert "Traceback" in out.getvalue()


def test_the_celery_workers_handlers_withhold_it_too():
    from celery.signals import after_setup_logger

    logger = logging.getLogger("tests.worker-root")
    buffer = io.StringIO()
    logger.addHandler(logging.StreamHandler(buffer))
    logger.propagate = False
    try:
        after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO,
                                logfile=None, format="%(message)s", colorize=False)
        logger.error("Task failed: %s", PG_UNIQUE)
    finally:
        logger.handlers.clear()
    assert "G330102201503051234" not in buffer.getvalue()
    assert "withheld" in buffer.getvalue()
