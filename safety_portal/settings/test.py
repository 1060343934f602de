"""Settings for the test suite.

The database comes from DATABASE_URL like everywhere else: PostgreSQL under CI
(.ci/run sets it), SQLite when a developer runs the suite without it. Celery runs
eagerly with errors propagated; the tests that need a real worker over Redis
start one themselves (tests/services).
"""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F403
from .base import VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=15)
LOGGING["loggers"]["safety_portal"]["level"] = "INFO"  # noqa: F405

# A domain app that exists only in the tests: it shows a new domain plugging in
# by adding files (tests/plugin_app). Its tables come from its own migration
# (run_syncdb would create them before schools_school exists on PostgreSQL).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_app"]  # noqa: F405
# The group robot tests post to a fake webhook server on 127.0.0.1.
GROUP_ROBOT_ALLOW_LOOPBACK = True

# Tests see the production phone rule; the demo's 100 numbers are tested with
# an override (tests/schools/test_phones.py).
DEMO_PHONE_PREFIX = ""
