"""A task round-trips through a real Celery worker process over Redis."""

import uuid

import pytest
from celery import Celery

from tests.services.workers import start_worker, stop_worker


@pytest.fixture
def worker(redis_url, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = start_worker(env={"REDIS_URL": redis_url, "VAR_DIR": str(tmp_path)},
                           queue=queue, log_path=tmp_path / "worker.log")
    try:
        yield queue
    finally:
        stop_worker(process)


def test_a_task_round_trips_through_a_real_worker_over_redis(redis_url, worker):
    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
    result = client.send_task("safety_portal.ping", args=["hello"], queue=worker)
    assert result.get(timeout=60) == "pong:hello"


def test_the_suite_runs_on_postgresql_under_ci():
    from django.db import connection

    from tests.services.conftest import under_ci

    if not under_ci():
        pytest.skip("only enforced under CI")
    assert connection.vendor == "postgresql", "CI must run the suite on PostgreSQL"


def test_the_embedded_default_runs_a_real_worker_without_redis(tmp_path):
    """`make run` has no Redis: the SQLite broker under var/ must carry tasks."""
    process = start_worker(env={"VAR_DIR": str(tmp_path)},
                           drop=("REDIS_URL", "DATABASE_URL"))
    (tmp_path / "celery").mkdir(exist_ok=True)
    try:
        client = Celery(broker=f"portalsqlite+sqlite:///{tmp_path / 'celery' / 'broker.sqlite3'}",
                        backend=f"db+sqlite:///{tmp_path / 'celery' / 'results.sqlite3'}",
                        set_as_current=False)
        result = client.send_task("safety_portal.ping", args=["offline"])
        assert result.get(timeout=60) == "pong:offline"
    finally:
        stop_worker(process)
