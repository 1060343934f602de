"""A task round-trips through a real Celery worker process over Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(redis_url, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "REDIS_URL": redis_url, "DEBUG": "1", "VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base"}
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "safety_portal", "worker", "--pool=solo",
         "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_task_round_trips_through_a_real_worker_over_redis(redis_url, worker):
    client = Celery(broker=redis_url, backend=redis_url)
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
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"DEBUG": "1", "VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base"})
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "safety_portal", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        queue = tmp_path / "celery" / "queue"
        queue.mkdir(parents=True, exist_ok=True)
        (tmp_path / "celery" / "results").mkdir(parents=True, exist_ok=True)
        client = Celery(broker="filesystem://", backend=f"file://{tmp_path / 'celery' / 'results'}")
        client.conf.broker_transport_options = {
            "data_folder_in": str(queue), "data_folder_out": str(queue)}
        result = client.send_task("safety_portal.ping", args=["offline"])
        assert result.get(timeout=60) == "pong:offline"
    finally:
        process.terminate()
        process.wait(timeout=20)
