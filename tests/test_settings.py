"""Settings come from the environment; production refuses to start without its
secrets and passes Django's deployment checks with no warning."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 30 + "Z9!x" * 10,
    "ALLOWED_HOSTS": "portal.example.edu.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/safety_portal",
    "PORTAL_BASE_URL": "https://portal.example.edu.cn",
}


def manage(*args, env):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a real
    # deployment never has it (check --deploy rightly refuses it).
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION
             and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_check_deploy_is_silent_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL", "EMAIL_URL",
                                     "DATABASE_URL", "PORTAL_BASE_URL"])
def test_production_refuses_to_start_without_a_required_setting(missing):
    # Issue 8 item 8: without DATABASE_URL production ran on SQLite, and compose
    # filled in a console e-mail backend and https://localhost links.
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"without {missing} (e.g." in result.stderr


def test_a_blank_required_setting_counts_as_missing_and_every_missing_one_is_named():
    env = {**PRODUCTION, "DATABASE_URL": "  ", "EMAIL_URL": ""}
    env.pop("PORTAL_BASE_URL")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert ("cannot start without DATABASE_URL (e.g. postgres://portal:pw@postgres:5432/"
            "portal), EMAIL_URL (e.g. smtp+tls://") in result.stderr
    assert "PORTAL_BASE_URL (e.g. https://portal.example.edu.cn)" in result.stderr


def test_a_portal_base_url_without_its_scheme_is_refused():
    result = manage("check", env={**PRODUCTION, "PORTAL_BASE_URL": "portal.example.edu.cn"})
    assert result.returncode != 0
    assert "PORTAL_BASE_URL='portal.example.edu.cn' must start with https://" in result.stderr


def test_a_malformed_boolean_is_refused_instead_of_guessed():
    result = manage("check", env={"DEBUG": "flase"})
    assert result.returncode != 0
    assert "is not a boolean" in result.stderr


def test_the_embedded_default_needs_no_environment(tmp_path):
    result = manage("check", env={"VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_time_zone_and_language():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_axes_locks_by_username_only_with_an_expiring_cool_off():
    from django.conf import settings

    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME is not None


def test_passwords_are_hashed_with_argon2_outside_tests():
    from safety_portal.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_migrations_are_in_step_with_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
