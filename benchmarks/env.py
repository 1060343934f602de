"""Environment for the benchmark process, its export child and gunicorn.

Must run before Django is imported anywhere."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/safety_portal_bench"
# --quick gets its own database when DATABASE_URL is unset, so its scan (which
# reads every deadline in the database) does not also scan the 50,000 bureau.
QUICK_DATABASE_URL = DEFAULT_DATABASE_URL + "_quick"
PG_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}
ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent


def database_url(quick: bool = False) -> str:
    url = os.environ.get("DATABASE_URL") or (QUICK_DATABASE_URL if quick else DEFAULT_DATABASE_URL)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in PG_SCHEMES:
        sys.exit(
            f"benchmarks: DATABASE_URL must point at a PostgreSQL server (got scheme {scheme!r}).\n"
            "SQLite is refused: its figures say nothing about production. Example:\n"
            f"  DATABASE_URL={DEFAULT_DATABASE_URL} make bench"
        )
    return url


def configure(workdir: str | None = None, quick: bool = False) -> dict[str, str]:
    """Set the process environment (DEBUG=1, PostgreSQL, a throw-away VAR_DIR and
    MEDIA_ROOT) and return it for child processes."""
    url = database_url(quick)
    workdir = workdir or tempfile.mkdtemp(prefix="safety-bench-")
    env = {
        "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "VAR_DIR": str(Path(workdir) / "var"),
        "MEDIA_ROOT": str(Path(workdir) / "media"),
        "BENCH_WORKDIR": workdir,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return dict(os.environ)


def ensure_database(url: str) -> bool:
    """Create the database if it does not exist; True when it was created."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    dbname = parts.path.lstrip("/") or "postgres"
    admin_url = urlunsplit((parts.scheme.replace("pgsql", "postgres"), parts.netloc,
                            "/postgres", parts.query, ""))
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            return True
    finally:
        conn.close()


def start(url: str) -> bool:
    """Create the bench database at `url` if missing, set Django up and keep Celery
    in-process (quiet_celery). Returns True when the database was created; exits
    the process with a message when PostgreSQL cannot be reached."""
    try:
        created = ensure_database(url)
    except Exception as exc:  # noqa: BLE001 - any connection failure ends the run
        sys.exit(f"benchmarks: cannot reach PostgreSQL at {url}: {exc}")
    import django

    django.setup()
    quiet_celery()
    return created


def quiet_celery() -> None:
    """No broker traffic in-process: eager tasks and a no-op delivery kick."""
    from safety_portal.celery import app

    app.conf.task_always_eager = True
    import notifications.services
    import notifications.tasks

    def _no_kick(*args, **kwargs):
        return None

    notifications.tasks.kick_delivery = _no_kick
    notifications.services.kick_delivery = _no_kick
