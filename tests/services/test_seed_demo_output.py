"""`manage.py seed_demo` on the embedded default prints the demo district and
logins, and no broker warning (issue 8 item 7): a kick would go to the SQLite
broker under var/ like any other publisher's; since issue 9 item 9 the demo's
back-dated reports notify nobody, so there is none."""

import io
import sqlite3
import warnings

import pytest
from django.core.management import call_command

from notifications.models import Notice
from tests.dead_broker import celery_app_on
from tests.test_logging import console_output


@pytest.mark.django_db
def test_seed_demo_prints_no_broker_warning(tmp_path, django_capture_on_commit_callbacks):
    broker_file = tmp_path / "broker.sqlite3"
    stdout, stderr = io.StringIO(), io.StringIO()
    with (celery_app_on(f"portalsqlite+sqlite:///{broker_file}",
                        backend=f"db+sqlite:///{tmp_path / 'results.sqlite3'}"),
          warnings.catch_warnings(record=True) as caught,
          console_output() as log):
        warnings.simplefilter("always")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo", "--schools", "2", stdout=stdout, stderr=stderr)

    assert "Demo district ready: 2 schools" in stdout.getvalue()
    assert stderr.getvalue() == ""
    assert log.getvalue() == "", "nothing logged at WARNING or above"
    assert [str(w.message) for w in caught] == []
    # The demo's back-dated history tells nobody (no receipts), so seed_demo
    # has nothing to kick: the broker got no message (and no table, when
    # nothing was ever published to it).
    with sqlite3.connect(broker_file) as db:
        tables = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        queued = (db.execute("SELECT count(*) FROM kombu_message").fetchone()[0]
                  if "kombu_message" in tables else 0)
    assert queued == 0
    assert not Notice.objects.exists()
