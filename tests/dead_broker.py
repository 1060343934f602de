"""The real Celery app pointed at a broker that is not there (not eager).

Two kinds of dead: a closed port (the connection is refused at once) and a
black hole (the TCP connection is accepted and nothing ever answers, like a
hung Redis or a dropped route). Both are on loopback and owned by the test, so
no other service can be listening there.

Only the conf keys changed here are saved and restored, and they are read
before the change (app.conf loads Django's settings lazily; saving afterwards
"restored" the dead broker for every later test once). The result backend the
app had built, and the current app, are put back too.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest
from celery import current_app

from safety_portal.celery import app

_KEYS = ("broker_url", "broker_write_url", "result_backend", "task_always_eager")
_MISSING = object()


@contextmanager
def celery_app_on(url: str, backend: str | None = None):
    """The project's app publishing to `url`, its results at `backend` (the
    broker's URL unless said), not eager, while inside."""
    saved = {key: app.conf[key] for key in _KEYS}
    saved_backend = getattr(app._local, "backend", _MISSING)
    # shared_task proxies resolve to the *current* app; a client app made by
    # another test (Celery() is current by default) must not take the kicks.
    previous_app = current_app._get_current_object()
    app.set_current()
    app.conf.update(broker_url=url, broker_write_url=None, result_backend=backend or url,
                    task_always_eager=False)
    # The backend is built once per thread from the conf; drop it so that a
    # publish which touched it would meet the dead Redis too.
    if saved_backend is not _MISSING:
        del app._local.backend
    try:
        yield app
    finally:
        app.conf.update(saved)
        if hasattr(app._local, "backend"):
            del app._local.backend
        if saved_backend is not _MISSING:
            app._local.backend = saved_backend
        previous_app.set_current()


@contextmanager
def closed_port():
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def black_hole():
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
        for conn in held:
            conn.close()


@pytest.fixture
def dead_broker():
    """The Celery app on a refused Redis port, broker and result backend both."""
    with closed_port() as port, celery_app_on(f"redis://127.0.0.1:{port}/0") as dead:
        yield dead


@pytest.fixture
def hung_broker():
    """The Celery app on a Redis that accepts connections and never answers."""
    with black_hole() as port, celery_app_on(f"redis://127.0.0.1:{port}/0") as dead:
        yield dead
