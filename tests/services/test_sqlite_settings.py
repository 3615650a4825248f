"""SQLite as the app configures it: WAL, a busy timeout, foreign keys on, and units of work that take the write
lock when they begin (BEGIN IMMEDIATE), tested at the connection level — below the app's own writer lock, which
would hide the difference between IMMEDIATE and DEFERRED for threads of this process."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text

from app.db_setup import SQLITE_BUSY_TIMEOUT_MS
from app.extensions import db
from app.uow import UnitOfWork


@pytest.fixture
def sqlite_path(is_postgres) -> str:
    if is_postgres:
        pytest.skip("SQLite connection settings: this run uses PostgreSQL (TEST_DATABASE_URL)")
    return db.engine.url.database


def _outsider(path: str) -> sqlite3.Connection:
    """Another connection to the same file that does not wait at all and knows nothing of the app's locks."""
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def test_every_connection_uses_wal_a_busy_timeout_and_foreign_keys(sqlite_path):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_unit_of_work_holds_the_write_lock_from_its_first_moment(sqlite_path):
    other = _outsider(sqlite_path)
    try:
        with UnitOfWork() as uow:
            uow.session.execute(text("SELECT 1"))  # a read only: with BEGIN DEFERRED no lock would be held yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        # Once the unit of work ends, the next writer gets the lock at once.
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_unit_of_work_begins_with_begin_immediate_and_the_apps_reads_hold_no_transaction(sqlite_path):
    """The app's session reads statement by statement (no BEGIN, nothing pinned in the WAL); a unit of work after
    those reads begins BEGIN IMMEDIATE on the same connection; other users of the engine get BEGIN DEFERRED."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(statement.upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with UnitOfWork() as uow:
            uow.session.execute(text("SELECT 1"))
        db.session.remove()
        db.session.execute(text("SELECT 1"))  # a page reads…
        read_on = db.session.connection().connection.driver_connection
        assert read_on.in_transaction is False
        with UnitOfWork() as uow:  # …then writes, in the same request
            assert uow.session.connection().connection.driver_connection is read_on
            assert read_on.in_transaction is True
        db.session.remove()
        with db.engine.begin() as conn:  # a script or a migration
            conn.execute(text("SELECT 1"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert seen == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_reads_never_wait_behind_a_writer(sqlite_path):
    other = _outsider(sqlite_path)
    try:
        other.execute("BEGIN IMMEDIATE")  # someone else is writing
        db.session.remove()
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # WAL: the read goes ahead
        db.session.remove()
        other.execute("ROLLBACK")
    finally:
        other.close()
