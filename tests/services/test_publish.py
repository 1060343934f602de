"""A kick from a web request never waits on the broker (core.publish).

With Redis stopped, the default publishing path blocked ~19 s: the Redis result
backend subscribes inside apply_async and retries 20 x 1 s. These tests use the
real Celery app (not eager) on a refused port, on a black hole that accepts and
never answers, and on the real Redis.
"""

import time
import uuid

import pytest
import redis

from core.publish import fire_and_forget
from notifications.tasks import deliver_notices
from reporting.tasks import run_export
from safety_portal.celery import app
from tests.conftest import captured
from tests.dead_broker import celery_app_on, dead_broker, hung_broker  # noqa: F401

# A fault bound, not a benchmark: generous on a shared 2-core machine.
BUDGET = 1.0


@pytest.fixture
def core_log(caplog):
    with captured(caplog, "safety_portal.core") as log:
        yield log


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


@pytest.mark.usefixtures("dead_broker")
def test_a_kick_to_a_refused_broker_gives_up_at_once_and_says_so(core_log):
    queued, took = timed(lambda: fire_and_forget(deliver_notices, label="notice delivery"))
    assert queued is False
    assert took < BUDGET
    assert "notice delivery not queued, broker unreachable (OperationalError)" in core_log.text


@pytest.mark.usefixtures("hung_broker")
def test_a_kick_to_a_broker_that_never_answers_gives_up_within_the_budget(core_log):
    queued, took = timed(lambda: fire_and_forget(run_export, 1, label="export 1"))
    assert queued is False
    assert took < BUDGET
    assert "export 1 not queued" in core_log.text


@pytest.mark.usefixtures("dead_broker")
def test_no_exception_of_publishing_reaches_the_caller(monkeypatch, core_log):
    def broken(*args, **kwargs):
        raise RuntimeError("Retry limit exceeded while trying to reconnect to the "
                           "Celery result store backend.")

    monkeypatch.setattr(deliver_notices, "apply_async", broken)
    assert fire_and_forget(deliver_notices) is False
    assert "RuntimeError" in core_log.text


def test_the_tasks_the_portal_queues_store_no_result():
    """Nothing reads their results, so publishing them never subscribes to the
    result channel. ping is the one task whose caller reads the answer."""
    portal = {name: task for name, task in app.tasks.items()
              if not name.startswith("celery.")}
    assert "reporting.sweep_exports" in portal
    storing = {name for name, task in portal.items() if not task.ignore_result}
    assert storing == {"safety_portal.ping"}


@pytest.mark.parametrize(("task_name", "args"), [("reporting.run_export", (7,)),
                                                  ("safety_portal.ping", ())])
def test_a_kick_reaches_a_live_redis_without_touching_the_result_backend(redis_url,
                                                                        monkeypatch,
                                                                        task_name, args):
    # Even a task that stores its result (ping) is kicked without a backend.
    task = app.tasks[task_name]
    queue = f"test-publish-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    with celery_app_on(redis_url) as live:
        def no_backend(*args, **kwargs):
            raise AssertionError("publishing touched the result backend")

        monkeypatch.setattr(live.backend, "on_task_call", no_backend)
        try:
            queued, took = timed(lambda: fire_and_forget(task, *args, queue=queue))
            assert queued is True
            assert took < BUDGET
            assert client.llen(queue) == 1
        finally:
            client.delete(queue, f"_kombu.binding.{queue}")


def test_the_dead_broker_leaves_the_app_as_it_found_it():
    from celery import current_app

    from tests.dead_broker import closed_port

    keys = ("broker_url", "broker_write_url", "result_backend", "task_always_eager")
    before = {key: app.conf[key] for key in keys}
    backend = app.backend
    current = current_app._get_current_object()
    with closed_port() as port, celery_app_on(f"redis://127.0.0.1:{port}/0"):
        assert app.conf.broker_url.endswith(f":{port}/0")
        assert app.conf.task_always_eager is False
    assert {key: app.conf[key] for key in keys} == before
    assert app.backend is backend
    assert current_app._get_current_object() is current
