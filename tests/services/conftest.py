"""Real services. Without CI a missing service skips these tests; under CI
(CI set) a missing service fails the run, so a green CI means they ran."""

import os

import pytest
import redis

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def require(reason: str):
    if under_ci():
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require(f"Redis is not reachable at {url}: {exc}")
    return url


@pytest.fixture(autouse=True)
def _join_allowed_in_the_test_process():
    """These tests wait for results from real workers (result.get()). Celery's
    "am I inside a task?" flag is a process global that eager tasks set and reset
    around their run; two eager tasks overlapping in two threads (the browser tests'
    threaded live server handles requests in parallel) can leave it set, and every
    later result.get() in the process then refuses to block. The test process is
    never inside a task here, so the flag is put back before each test."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)
