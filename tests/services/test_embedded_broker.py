"""The embedded default's broker (`make run`, no Redis) survives real use
(issue 8 item 7): several processes publishing at once while a real worker
consumes lose no message and kill no worker, and everything the broker writes
stays under var/. kombu's filesystem transport, used before, lost its worker to
a JSONDecodeError on a half-written message after ~5,700 messages from three
publishers and wrote ./control into the working directory."""

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.services.workers import ROOT, start_worker, stop_worker

PUBLISHERS = ("a", "b", "c")
# Messages per publisher: 6,000 in all, beyond the ~5,700 that killed the
# filesystem transport's worker. Publishing and consuming them takes ~25 s on an
# idle 2-core machine (CI), three times that when other work shares it.
PER_PUBLISHER = 2000
# Seconds allowed for publishing and consuming all of them: a guard against a
# hang, not a measure of speed.
BUDGET_S = 240


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"VAR_DIR": str(var_dir), "DEBUG": "1", "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "safety_portal.settings.base"})
    return env


def succeeded_ids(log_text: str) -> list[str]:
    return re.findall(r"safety_portal\.ping\[([\w-]+)\] succeeded", log_text)


def waiting(var_dir: Path) -> int:
    with sqlite3.connect(var_dir / "celery" / "broker.sqlite3") as db:
        return db.execute("SELECT count(*) FROM kombu_message").fetchone()[0]


def wait_for(predicate, *, deadline: float, step: float = 0.5) -> bool:
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.mark.timeout(400)
def test_three_publishers_flood_the_embedded_broker_and_the_worker_gets_every_message(
        tmp_path):
    var_dir, cwd = tmp_path / "var", tmp_path / "cwd"
    cwd.mkdir()
    log_path = tmp_path / "worker.log"
    worker = start_worker(env={"VAR_DIR": str(var_dir)}, drop=("REDIS_URL", "DATABASE_URL"),
                          log_path=log_path, cwd=cwd)
    try:
        assert wait_for(lambda: "ready." in log_path.read_text(),
                        deadline=time.monotonic() + 60), log_path.read_text()[-3000:]
        started = time.monotonic()
        publishers = [
            subprocess.Popen([sys.executable, "-m", "tests.services.flood_publisher",
                              prefix, str(PER_PUBLISHER)],
                             cwd=cwd, env=embedded_env(var_dir), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for prefix in PUBLISHERS
        ]
        for publisher in publishers:
            out, err = publisher.communicate(timeout=BUDGET_S)
            assert publisher.returncode == 0, err[-3000:]
            assert out.strip() == str(PER_PUBLISHER)

        expected = {f"{p}-{n}" for p in PUBLISHERS for n in range(PER_PUBLISHER)}
        wait_for(lambda: len(succeeded_ids(log_path.read_text())) >= len(expected)
                 or worker.poll() is not None,
                 deadline=started + BUDGET_S)
        elapsed = time.monotonic() - started
        log_text = log_path.read_text()

        assert worker.poll() is None, f"the worker died:\n{log_text[-3000:]}"
        done = succeeded_ids(log_text)
        missing = len(expected - set(done))
        assert not missing, (f"{missing} messages not consumed after {elapsed:.0f} s, "
                             f"{waiting(var_dir)} still waiting in the broker")
        assert len(done) == len(expected), "a message was delivered twice"
        assert "Traceback" not in log_text
    finally:
        stop_worker(worker)

    # Nothing outside var/: the working directory stays empty (kombu's
    # filesystem transport wrote ./control there) and the broker is a file
    # under var/celery/.
    assert list(cwd.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "var", "worker.log"]
    assert (var_dir / "celery" / "broker.sqlite3").is_file()
    assert waiting(var_dir) == 0, "a taken message is deleted, not kept"


def test_the_repository_holds_no_broker_state():
    """The filesystem transport's exchange table was once committed
    (control/celery.pidbox.exchange)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [path for path in tracked
                if path.startswith(("control/", "var/celery/")) or path.endswith(".exchange")]


def test_the_broker_file_uses_the_write_ahead_log_and_waits_for_the_lock(tmp_path):
    from sqlalchemy import text

    from safety_portal.embedded_broker import BUSY_TIMEOUT_S, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'broker.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_S * 1000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


def test_the_embedded_broker_runs_on_a_sqlite_file_only():
    from safety_portal.embedded_broker import make_engine

    with pytest.raises(ValueError, match="runs on a SQLite file"):
        make_engine("redis://127.0.0.1:6379/0")
