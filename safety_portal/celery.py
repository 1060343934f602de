"""The Celery application: configuration under the CELERY_ settings namespace,
tasks discovered in every app's tasks.py."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safety_portal.settings.base")

app = Celery("safety_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    # kombu's filesystem transport does not create its folders and fails
    # without them; the embedded default (`make run`) depends on it.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


# Its caller reads the answer: the one task that stores a result.
@app.task(name="safety_portal.ping", ignore_result=False)
def ping(payload: str = "") -> str:
    """Round-trip probe for health checks and the worker integration test."""
    return f"pong:{payload}"
