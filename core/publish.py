"""Publishing a Celery task from a web request without ever waiting on the broker.

Every task the portal queues from a request is a *kick*: the work it asks for is
recorded in a database row first (an outbox: a notice, an export job), and a
periodic beat task picks the row up anyway. So a kick may be lost, but it must
never hold the request: with Redis stopped, the default publishing path blocked
for ~19 s (the Redis result backend subscribes to the result channel inside
apply_async and retries 20 x 1 s, outside the publish retry policy).

`fire_and_forget` publishes once, on its own short-lived broker connection with
a short connect and socket timeout (settings.TASK_PUBLISH_TIMEOUT), no connection
retries and no result backend (ignore_result: apply_async never subscribes), and
catches and logs every exception. It returns whether the broker took the message.

core imports no portal app; celery and django only.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

logger = logging.getLogger("safety_portal.core")

# Seconds. Bounds the TCP connect and every socket read/write of the one attempt;
# a kick to a healthy Redis takes about a millisecond.
DEFAULT_PUBLISH_TIMEOUT = 0.3


def publish_timeout() -> float:
    return float(getattr(settings, "TASK_PUBLISH_TIMEOUT", DEFAULT_PUBLISH_TIMEOUT))


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    errors: list[type[BaseException]] = [OperationalError, OSError, TimeoutError]
    try:
        import redis
    except ImportError:  # pragma: no cover - the portal always has redis
        pass
    else:
        errors.append(redis.exceptions.RedisError)
    return tuple(errors)


def fire_and_forget(task, *args, label: str = "", fallback: str = "",
                    log: logging.Logger | None = None, queue: str | None = None,
                    **kwargs) -> bool:
    """Queue `task(*args, **kwargs)` with one quick attempt; never raise.

    `label` names the work in the log line ("notice delivery"), `fallback` says
    what happens instead ("the periodic run will send it"), `log` is the
    caller's logger, `queue` overrides the task's route. Returns True when the
    broker accepted the message (or, in eager mode, the task ran).
    """
    log = log or logger
    label = label or task.name
    route = {"queue": queue} if queue else {}
    started = time.monotonic()
    try:
        app = task._get_app()
        if app.conf.task_always_eager:
            # Tests and embedded runs: the task runs inline; there is no broker.
            task.apply_async(args, kwargs, ignore_result=True, **route)
            return True
        timeout = publish_timeout()
        options = dict(app.conf.broker_transport_options or {})
        options.update({
            # kombu's connect loop: one attempt, bounded by `timeout`.
            "max_retries": 0,
            "connect_retries_timeout": timeout,
            # redis-py's socket: connect, and every read/write after it.
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry_on_timeout": False,
        })
        with app.connection_for_write(connect_timeout=timeout,
                                      transport_options=options) as connection:
            task.apply_async(args, kwargs, connection=connection, ignore_result=True,
                             retry=False, **route)
        return True
    except _broker_errors() as exc:
        log.warning("%s not queued, broker unreachable (%s) after %.2f s; %s",
                    label, type(exc).__name__, time.monotonic() - started,
                    fallback or "it stays recorded for the periodic run")
    except Exception:  # noqa: BLE001 - a kick must never fail the request
        log.exception("%s not queued; %s", label,
                      fallback or "it stays recorded for the periodic run")
    return False
