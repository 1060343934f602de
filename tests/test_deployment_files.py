"""The production files do what the README says (issue 8 item 8). There is no
Docker engine here: the files are read (and docker-compose validates the compose
file when it is installed; CI installs it)."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_ENV = {
    "SECRET_KEY": "ci", "ALLOWED_HOSTS": "portal.example.org", "POSTGRES_PASSWORD": "ci",
    "EMAIL_URL": "smtp+tls://u:pw@mail.example.org:587", "DEFAULT_FROM_EMAIL": "a@example.org",
    "PORTAL_BASE_URL": "https://portal.example.org",
}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


# ------------------------------------------------------------------ .dockerignore

@pytest.mark.parametrize("entry", [".env", ".git", ".venv", "var", "media", "*.sqlite3"])
def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image(entry):
    lines = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")}
    assert entry in lines


# ------------------------------------------------------------------ Dockerfile

def test_a_code_change_does_not_reinstall_the_dependencies():
    steps = dockerfile_instructions()
    copies = [(i, args) for i, (kw, args) in enumerate(steps) if kw == "COPY"]
    install = next(i for i, (kw, args) in enumerate(steps)
                   if kw == "RUN" and "pip install -r" in args)
    code = next(i for i, args in copies if args.split() == [".", "."])
    before_install = [args for i, args in copies if i < install]
    assert before_install == ["pyproject.toml ./"], "only pyproject.toml before the install"
    assert install < code
    later_installs = [args for kw, args in steps[code:] if kw == "RUN" and "pip install" in args]
    assert later_installs == [], "nothing is installed after the code is copied"


def test_the_dependency_layer_installs_the_dependencies_and_the_production_extra():
    install = next(args for kw, args in dockerfile_instructions()
                   if kw == "RUN" and "pip install -r" in args)
    snippet = re.search(r'python -c "(.+?)" >', install).group(1)
    listed = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split("\n")
    project = pyproject()
    assert [line for line in listed if line] == (project["dependencies"]
                                                 + project["optional-dependencies"]["production"])


def gunicorn_command() -> list[str]:
    cmd = next(args for kw, args in dockerfile_instructions() if kw == "CMD")
    return yaml.safe_load(cmd)  # a JSON array


def test_gunicorn_is_pinned_in_the_production_extra_and_installed_at_that_version():
    from importlib.metadata import version

    pins = [d for d in pyproject()["optional-dependencies"]["production"]
            if d.startswith("gunicorn")]
    assert len(pins) == 1
    assert re.fullmatch(r"gunicorn==\d+\.\d+\.\d+", pins[0])
    assert not [d for d in pyproject()["dependencies"] if d.startswith("gunicorn")]
    assert version("gunicorn") == pins[0].split("==")[1]


def test_gunicorn_gets_a_control_socket_in_a_folder_the_portal_user_owns():
    command = gunicorn_command()
    socket_path = Path(command[command.index("--control-socket") + 1])
    steps = dockerfile_instructions()
    user_at = next(i for i, (kw, _) in enumerate(steps) if kw == "USER")
    setup = " ".join(args for kw, args in steps[:user_at] if kw == "RUN")
    assert re.search(rf"mkdir -p [^&]*{re.escape(str(socket_path.parent))}\b", setup)
    owned = re.search(r"chown -R portal (\S+)", setup).group(1)
    assert socket_path.is_relative_to(owned)
    assert steps[user_at][1] == "portal"


def test_the_image_command_is_valid_for_the_pinned_gunicorn(tmp_path):
    command = gunicorn_command()
    command[command.index("--control-socket") + 1] = str(tmp_path / "gunicorn.ctl")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DJANGO_SETTINGS_MODULE": "safety_portal.settings.base", "DEBUG": "0",
                "SECRET_KEY": "k" * 30 + "Z9!x" * 10, "ALLOWED_HOSTS": "portal.example.org",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "REDIS_URL": "redis://127.0.0.1:1/0", "EMAIL_URL": "smtp://127.0.0.1:25",
                "PORTAL_BASE_URL": "https://portal.example.org", "VAR_DIR": str(tmp_path)})
    result = subprocess.run([sys.executable, "-m", *command, "--check-config"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, (shlex.join(command), result.stderr)


# ------------------------------------------------------------------ docker-compose.yml

def test_the_published_ports_bind_loopback_only():
    # The portal trusts X-Forwarded-Proto from whoever connects (issue 8 item 8).
    tryout = yaml.safe_load((ROOT / "docker-compose.tryout.yml").read_text())["services"]
    services = {**compose()["services"], **tryout}
    published = {name: service.get("ports", []) for name, service in services.items()}
    assert published["web"], "web is published for the proxy on this host"
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_compose_has_no_development_fallbacks():
    environment = compose()["x-portal"]["environment"]
    for name, value in environment.items():
        assert "consolemail" not in str(value), name
        assert "localhost" not in str(value), name
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "PORTAL_BASE_URL",
                 "DEFAULT_FROM_EMAIL"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", environment[name]), name


def docker_compose_config(env: dict[str, str], *files: str) -> subprocess.CompletedProcess:
    if not shutil.which("docker-compose"):
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail("CI is set but docker-compose is not installed")
        pytest.skip("docker-compose is not installed")
    clean = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}
    files_args = [arg for name in ("docker-compose.yml", *files) for arg in ("-f", name)]
    return subprocess.run(["docker-compose", *files_args, "config", "-q"],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def test_compose_validates_with_every_required_setting():
    result = docker_compose_config(COMPOSE_ENV)
    assert result.returncode == 0, result.stderr


def test_the_tryout_override_validates_on_top_of_the_compose_file():
    result = docker_compose_config(COMPOSE_ENV, "docker-compose.tryout.yml")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["EMAIL_URL", "PORTAL_BASE_URL", "DEFAULT_FROM_EMAIL"])
def test_compose_refuses_to_start_without_a_required_setting(missing):
    result = docker_compose_config({k: v for k, v in COMPOSE_ENV.items() if k != missing})
    assert result.returncode != 0
    assert f"set {missing}, e.g." in result.stderr


# ------------------------------------------------------------------ README

def test_the_readme_starts_with_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [
        ["make", "run"], ["make", "test"]]


@pytest.mark.parametrize("documented", [
    "PORT=8080 make run",                                   # PORT of `make run`
    "docker-compose.tryout.yml",                            # production without certificates
    "celery -A safety_portal worker",                       # worker without Docker
    "--scheduler django_celery_beat.schedulers:DatabaseScheduler",  # beat without Docker
    "python manage.py scan_followups",                      # the scan by hand
    "celery -A safety_portal call followups.scan_followups",
    "127.0.0.1:${WEB_PORT:-8000}",                          # the loopback binding
])
def test_the_readme_documents_how_to_run_production(documented):
    assert documented in (ROOT / "README.md").read_text()


def test_the_scan_the_readme_names_is_a_real_task_and_command():
    from django.core.management import get_commands

    from followups.tasks import scan_followups
    from notifications.tasks import deliver_notices

    assert scan_followups.name == "followups.scan_followups"
    assert deliver_notices.name == "notifications.deliver_notices"
    assert get_commands()["scan_followups"] == "followups"
