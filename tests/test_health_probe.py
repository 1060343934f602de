"""The compose health check passes with a real ALLOWED_HOSTS, and host checks are
not weakened (issue 8 item 8). The probe runs inside the web container:
GET http://127.0.0.1:8000/healthz, so its Host is 127.0.0.1, which a real
deployment never lists."""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture
def real_hosts(settings):
    settings.ALLOWED_HOSTS = ["portal.example.org"]


def probe_command() -> list[str]:
    """The web service's health check, as compose runs it."""
    test = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test[1:]


@pytest.mark.django_db
@pytest.mark.usefixtures("real_hosts")
class TestTheProbeFromInsideTheContainer:
    def test_passes_with_host_127_0_0_1_from_loopback(self, client):
        response = client.get("/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 200
        assert response.content == b"ok"

    def test_passes_over_ipv6_loopback(self, client):
        response = client.get("/healthz", HTTP_HOST="[::1]:8000", REMOTE_ADDR="::1")
        assert response.status_code == 200

    def test_says_503_when_the_database_is_down(self, client, monkeypatch):
        def down():
            raise OSError("connection refused")

        monkeypatch.setattr(connection, "cursor", down)
        response = client.get("/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 503


@pytest.mark.django_db
@pytest.mark.usefixtures("real_hosts")
class TestHostChecksStayWhole:
    def test_another_page_with_a_bad_host_is_400(self, client):
        response = client.get(reverse("login"), HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 400

    def test_healthz_from_elsewhere_with_a_bad_host_is_400(self, client):
        response = client.get("/healthz", HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 400

    def test_only_a_plain_get_is_the_probe(self, client):
        assert client.post("/healthz", HTTP_HOST="127.0.0.1").status_code == 400
        assert client.get("/healthz?x=1", HTTP_HOST="127.0.0.1").status_code == 400
        assert client.get("/healthz/", HTTP_HOST="127.0.0.1").status_code == 400

    def test_healthz_with_an_allowed_host_from_elsewhere_is_the_normal_view(self, client):
        response = client.get("/healthz", HTTP_HOST="portal.example.org", REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200


def test_the_compose_probe_asks_loopback_for_healthz():
    command = probe_command()
    assert re.search(r"http://127\.0\.0\.1:8000/healthz\b", " ".join(command))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.timeout(120)
def test_the_compose_probe_passes_against_gunicorn_in_production(tmp_path):
    """gunicorn on the production settings (DEBUG=0, ALLOWED_HOSTS a real name),
    probed by the very command of docker-compose.yml: it passes, and Django
    logs no DisallowedHost."""
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base", "DEBUG": "0",
        "SECRET_KEY": "k" * 30 + "Z9!x" * 10, "ALLOWED_HOSTS": "portal.example.org",
        # The probe asks the database for SELECT 1 only: an empty file will do.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0", "EMAIL_URL": "smtp://127.0.0.1:25",
        "PORTAL_BASE_URL": "https://portal.example.org", "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    })
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "safety_portal.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            command = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                       for part in probe_command()]
            command[0] = sys.executable if command[0] == "python" else command[0]
            deadline = time.monotonic() + 60
            while True:
                result = subprocess.run(command, capture_output=True, text=True,
                                        timeout=30, check=False)
                if result.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert result.returncode == 0, (shlex.join(command), result.stderr,
                                            log_path.read_text())
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert "DisallowedHost" not in log_path.read_text()
