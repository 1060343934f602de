"""The Celery broker of the embedded default (`make run`, no Redis): kombu's
SQLAlchemy transport on its own SQLite file under var/ (issue 8 item 7).

Why not kombu's filesystem transport, which `make run` used before: a publisher
writes each message file in place, so a worker reading the queue folder can open
a half-written file. Under three concurrent publishers the worker died of a
JSONDecodeError after ~5,700 messages, and the transport wrote its exchange table
into ./control of whatever the working directory was. A SQLite transaction is
all-or-nothing: a reader sees a whole message or none, whoever is writing.

What this module adds to kombu's SQLAlchemy transport:

* the engine is built here, with SQLite's write-ahead log (readers never block
  the writer), a 30 s busy timeout (publishers queue for the write lock instead
  of failing with "database is locked") and `synchronous=NORMAL` (a commit does
  not wait for the disk; the embedded default is for one person's machine). Any
  other transport option (the Redis socket timeouts core.publish passes for a
  quick kick) is ignored instead of reaching `create_engine` as an error;
* a message is deleted when it is taken, instead of being kept forever as
  "invisible", so the file does not grow with every beat tick. kombu never
  revisits an invisible row either, so nothing is lost that kombu would have
  kept: an unacknowledged message goes back to the queue on a worker's orderly
  shutdown, as in kombu.

Selected in settings by the broker URL `portalsqlite+sqlite:///<path>`: the
alias is registered with kombu by safety_portal.celery (imported before any
connection is made), like kombu's own `sqla+…`; SQLAlchemy is imported only
when the transport is used. One worker consumes (the
embedded default runs one, solo pool); any number of processes may publish.
"""

from __future__ import annotations

from json import loads
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text

# Seconds a publisher or the worker waits for SQLite's write lock before the
# operation fails (SQLite's own default is 5).
BUSY_TIMEOUT_S = 30


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    finally:
        cursor.close()


def make_engine(url: str):
    """A SQLAlchemy engine on the SQLite file of `url` ("sqlite:///<path>"), with
    the write-ahead log, the busy timeout and `synchronous=NORMAL` set on every
    connection. Raises ValueError for any other kind of database."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"the embedded broker runs on a SQLite file, not {url!r}")
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _on_connect)
    return engine


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self):
        return make_engine(self.connection.client.hostname)

    def _get(self, queue):
        """Take the oldest message of `queue` and delete it, in one immediate
        (write-locked) transaction; raise queue.Empty when there is none."""
        obj = self._get_or_create(queue)
        session = self.session
        session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            msg = (session.query(self.message_cls)
                   .filter(self.message_cls.queue_id == obj.id)
                   .order_by(self.message_cls.id)
                   .limit(1)
                   .first())
            if msg is None:
                raise Empty()
            payload = msg.payload
            session.delete(msg)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return loads(bytes_to_str(payload))

    def _size(self, queue):
        obj = self._get_or_create(queue)
        return (self.session.query(self.message_cls)
                .filter(self.message_cls.queue_id == obj.id).count())

    def _purge(self, queue):
        count = self._query_all(queue).delete(synchronize_session=False)
        self.session.commit()
        return count


class Transport(kombu_sqla.Transport):
    Channel = Channel

