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
    """`make run` has no Redis: the filesystem broker must carry tasks."""
    process = start_worker(env={"VAR_DIR": str(tmp_path)},
                           drop=("REDIS_URL", "DATABASE_URL"))
    try:
        queue = tmp_path / "celery" / "queue"
        queue.mkdir(parents=True, exist_ok=True)
        (tmp_path / "celery" / "results").mkdir(parents=True, exist_ok=True)
        client = Celery(broker="filesystem://", set_as_current=False,
                        backend=f"file://{tmp_path / 'celery' / 'results'}")
        client.conf.broker_transport_options = {
            "data_folder_in": str(queue), "data_folder_out": str(queue),
            "control_folder": str(tmp_path / "celery" / "control")}
        result = client.send_task("safety_portal.ping", args=["offline"])
        assert result.get(timeout=60) == "pong:offline"
    finally:
        stop_worker(process)
