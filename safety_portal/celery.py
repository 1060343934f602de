"""The Celery application: configuration under the CELERY_ settings namespace,
tasks discovered in every app's tasks.py."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger
from kombu.transport import TRANSPORT_ALIASES

# The embedded default's broker (`make run`, no Redis) is named by its URL,
# portalsqlite+sqlite:///<file> (settings); SQLAlchemy loads only when it is used.
TRANSPORT_ALIASES.setdefault("portalsqlite", "safety_portal.embedded_broker:Transport")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safety_portal.settings.base")

app = Celery("safety_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_folder(sender: Celery, **kwargs) -> None:
    # The embedded default (`make run`) keeps its broker and results in SQLite
    # files under var/celery/; SQLite creates the files but not their folder.
    for url in (sender.conf.broker_url or "", sender.conf.result_backend or ""):
        if isinstance(url, str) and "sqlite:///" in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _withhold_database_detail(logger, **kwargs) -> None:
    # The worker logs through handlers of its own (it takes over the root
    # logger): they withhold a database error's DETAIL like the portal's
    # console handler (safety_portal.log_filters.DatabaseErrorDetail, G5).
    from .log_filters import DatabaseErrorDetail

    for handler in logger.handlers:
        if not any(isinstance(f, DatabaseErrorDetail) for f in handler.filters):
            handler.addFilter(DatabaseErrorDetail())


# Its caller reads the answer: the one task that stores a result.
@app.task(name="safety_portal.ping", ignore_result=False)
def ping(payload: str = "") -> str:
    """Round-trip probe for health checks and the worker integration test."""
    return f"pong:{payload}"
