"""Engine behaviour that differs per database.

SQLite: WAL, a busy timeout, foreign keys, and SQLAlchemy's documented pysqlite recipe so that we emit BEGIN
ourselves. A unit of work that writes begins with BEGIN IMMEDIATE, taking the write lock up front: concurrent
writers then queue instead of failing with "database is locked" half-way through. The app's session reads outside
a transaction, statement by statement, so reads never wait behind writers (WAL) and see what PostgreSQL's READ
COMMITTED would.

Writers also queue on a writer lock of our own (WriterLock) before they ask SQLite: threads of one process on a
Python lock, processes on an flock() of a file next to the database. Both wake the next writer the moment the lock
is free, where SQLite's busy handler polls with sleeps that grow to 100 ms — under 16 concurrent scans that turned
a 10 ms write into a 1 s tail.
"""

from __future__ import annotations

import fcntl
import os
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session

SQLITE_BUSY_TIMEOUT_MS = 30_000


class WriterLock:
    """One SQLite writer at a time, queued without polling. Re-entrant within a thread."""

    def __init__(self, path: str | None) -> None:
        self._path = path  # None for an in-memory database: one process, the thread lock is enough
        self._pid = os.getpid()
        self._threads = threading.RLock()
        self._fd: int | None = None
        self._depth = 0

    def _after_fork(self) -> None:
        # A lock inherited through fork would be shared with the parent; each process opens its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._threads = threading.RLock()
            self._fd = None
            self._depth = 0

    def acquire(self) -> None:
        self._after_fork()
        self._threads.acquire()
        try:
            if self._depth == 0 and self._path:
                if self._fd is None:
                    try:
                        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                    except OSError as err:
                        # A read-only or full file system: nothing can be written, so the database is unavailable
                        # for this write (503, app/web/errors.py), as SQLite itself would have said a step later.
                        raise OperationalError("open the SQLite writer lock", None, err) from err
                fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks without the GIL; the kernel wakes us
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_writer_locks: dict[str, WriterLock] = {}


def writer_lock(engine: Engine) -> WriterLock | None:
    """The writer lock of a SQLite engine; None for PostgreSQL, which locks rows, not the database."""
    engine = getattr(engine, "engine", engine)  # a Connection (tests bind sessions to one) knows its Engine
    return _writer_locks.get(str(engine.url)) if engine.dialect.name == "sqlite" else None


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file::memory:")
    lock_path = f"{os.path.abspath(database)}.writer-lock" if on_disk else None
    _writer_locks.setdefault(str(engine.url), WriterLock(lock_path))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # 1 MiB of page cache per connection instead of 2: a gunicorn worker holds one per thread, the OS caches the
        # file anyway, and the dashboard's scans over 50,000 items took no longer (84 vs 82 ms) while each worker
        # kept ~4 MB less.
        cur.execute("PRAGMA cache_size=-1024")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # The app's session reads without a transaction (sqlite_begin=None, app/extensions.Session): each statement
        # sees what is committed when it starts — as under PostgreSQL's READ COMMITTED — and a request that reads,
        # then writes, takes the write lock on the same connection without a ROLLBACK first (app/uow.py). Everyone
        # else gets BEGIN DEFERRED, and a unit of work BEGIN IMMEDIATE.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode:
            conn.exec_driver_sql(f"BEGIN {mode}")


def read_one_snapshot(session) -> None:
    """Let the session's next reads see the database as of one moment, for figures that must agree with each other
    (the ledger with the balances, on-hand with on-order): PostgreSQL REPEATABLE READ (READ COMMITTED takes a
    snapshot per statement), SQLite a read transaction (the app's session otherwise reads statement by statement).
    Ends the session's current transaction: call it before those reads, in a request that only reads."""
    session.rollback()
    postgres = session.get_bind().dialect.name == "postgresql"
    session.connection(execution_options={"isolation_level": "REPEATABLE READ"} if postgres
                       else {"sqlite_begin": "DEFERRED"})
    own = session() if isinstance(session, scoped_session) else session
    own.info["snapshot"] = own.get_transaction()  # a unit of work after it starts afresh (app/uow.py)
