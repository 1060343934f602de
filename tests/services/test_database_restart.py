"""security.md G12: when PostgreSQL restarts, the connections the web workers
keep (CONN_MAX_AGE) die under them. Health checks (CONN_HEALTH_CHECKS) notice a
dead connection before a request uses it, so no request fails.

A real gunicorn worker serves the test database; the test ends its database
connections as a restart would, and asks again."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psycopg2
import pytest
from django.db import connection

from tests.services.workers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def gunicorn(shared_database_url, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL restart needs PostgreSQL")
    before = other_connections()  # whatever earlier tests left behind
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base",
           "DEBUG": "1", "DATABASE_URL": shared_database_url, "VAR_DIR": str(tmp_path),
           "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "600"}
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "safety_portal.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/healthz"  # a request that reads the database
    try:
        for _ in range(100):
            try:
                if get(url) == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()}")
        yield url, before
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def other_connections(kill: frozenset[int] = frozenset()) -> set[int]:
    """The pids of the database's connections but the test's own (which must
    tidy up afterwards); end those in `kill` first, as a restart would."""
    connection.ensure_connection()
    ours = connection.connection.get_backend_pid()
    killer = psycopg2.connect(**connection.get_connection_params())
    killer.autocommit = True
    try:
        with killer.cursor() as cur:
            if kill:
                # Wait (up to 5 s) until each backend has really gone: without a
                # timeout pg_terminate_backend only signals it, and the pid may
                # still be listed below for a moment (a flaky failure).
                cur.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                            "WHERE pid = ANY(%s)", [list(kill)])
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid NOT IN (pg_backend_pid(), %s)", [ours])
            return {pid for (pid,) in cur.fetchall()}
    finally:
        killer.close()


def test_no_request_fails_after_the_database_dropped_the_workers_connection(gunicorn):
    url, before = gunicorn
    assert get(url) == 200
    kept = other_connections() - before
    assert len(kept) == 1, "the worker keeps its connection between requests"

    assert other_connections(kill=frozenset(kept)).isdisjoint(kept)

    assert get(url) == 200
    assert get(url) == 200
    renewed = other_connections() - before
    assert len(renewed) == 1, "and keeps the new one"
    assert renewed != kept
