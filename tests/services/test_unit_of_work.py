"""One service call = one transaction; a client id applies once, even when copies race."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import AlreadyRecorded, IdempotencyMismatch, Invalid
from app.extensions import db
from app.idempotency import AppliedRequest
from app.locations.models import Location
from app.locations.services import create_location
from app.uow import UnitOfWork


def _locations() -> int:
    return db.session.scalar(select(func.count()).select_from(Location))


def test_leaving_without_commit_rolls_everything_back():
    with pytest.raises(RuntimeError), UnitOfWork() as uow:
        uow.session.add(Location(code="X1", name="x", kind="site"))
        uow.session.flush()
        raise RuntimeError("boom half-way")
    assert _locations() == 0


def test_a_change_outside_a_unit_of_work_is_refused_and_nothing_of_it_is_written():
    """On SQLite the app's session reads without a transaction: a stray flush would be committed on the spot."""
    create_location(code="X2", name="Before", kind="site", uow=UnitOfWork())
    db.session.remove()
    loc = db.session.scalar(select(Location).where(Location.code == "X2"))
    loc.name = "Changed behind the services' back"
    db.session.add(Location(code="X3", name="x", kind="site"))
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        db.session.flush()
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        db.session.scalar(select(func.count()).select_from(Location))  # a query would flush it too (autoflush)
    db.session.rollback()
    db.session.remove()
    assert [(x.code, x.name) for x in db.session.scalars(select(Location).order_by(Location.code))] == [("X2", "Before")]
    with UnitOfWork() as uow:  # the same change through a unit of work is written, and the flag ends with it
        uow.session.scalar(select(Location).where(Location.code == "X2")).name = "Renamed"
        uow.commit()
    assert "writing" not in db.session.info
    db.session.remove()
    assert db.session.scalar(select(Location.name).where(Location.code == "X2")) == "Renamed"


def test_a_claimed_id_applies_once_and_a_repeat_gets_the_first_outcome():
    with UnitOfWork() as uow:
        uow.claim("scan-0001-abc", scope="test.thing")
        uow.record({"applied": 1})
        uow.commit()
    with pytest.raises(AlreadyRecorded) as err, UnitOfWork() as uow:
        uow.claim("scan-0001-abc", scope="test.thing")
    assert err.value.outcome == {"applied": 1}


def test_an_id_reused_for_another_kind_of_action_is_refused():
    with UnitOfWork() as uow:
        uow.claim("scan-0002-abc", scope="stock.pick")
        uow.commit()
    with pytest.raises(IdempotencyMismatch), UnitOfWork() as uow:
        uow.claim("scan-0002-abc", scope="stock.receive")


def test_a_claim_is_released_when_the_action_fails():
    with pytest.raises(Invalid), UnitOfWork() as uow:
        uow.claim("scan-0003-abc", scope="test.thing")
        raise Invalid("stock gone")
    assert db.session.get(AppliedRequest, "scan-0003-abc") is None


@pytest.mark.parametrize("bad", ["", "short", "has space in it", "x" * 101, "semi;colon-123"])
def test_malformed_ids_are_refused(bad):
    with pytest.raises(Invalid, match="scan id"), UnitOfWork() as uow:
        uow.claim(bad, scope="test.thing")


def test_ten_copies_of_one_scan_arriving_together_apply_exactly_once(concurrently):
    def work(i):
        with UnitOfWork() as uow:
            uow.claim("scan-race-0001", scope="test.race")
            uow.session.add(Location(code=f"RACE{i}", name="race", kind="site"))
            uow.record({"by": i})
            uow.commit()
            return "applied"

    results = concurrently(10, work)
    applied = [r for r in results if r == "applied"]
    repeats = [r for r in results if isinstance(r, AlreadyRecorded)]
    assert len(applied) == 1 and len(repeats) == 9, results
    assert _locations() == 1


def test_concurrent_writers_queue_instead_of_failing(concurrently):
    results = concurrently(8, lambda i: create_location(code=f"Q{i}", name="q", kind="site", uow=UnitOfWork()))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _locations() == 8


def _writer_lock_is_free() -> bool:
    """Whether another process could take the SQLite writer lock now (a separate open file = a separate owner)."""
    import fcntl
    import os

    from app.db_setup import writer_lock

    lock = writer_lock(db.engine)
    path = lock._path  # noqa: SLF001 - the file the lock lives in
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("how", ["commit", "exception", "refused claim"])
def test_sqlite_writers_hold_the_writer_lock_only_inside_the_unit_of_work(is_postgres, how):
    # Writers queue on our own lock (app/db_setup.WriterLock) before BEGIN IMMEDIATE; a unit of work that ends in any
    # way — also one refused on entry — must hand it on, or every later scan would wait forever.
    if is_postgres:
        pytest.skip("PostgreSQL locks rows; the writer lock is SQLite's (the SQLite half of CI runs this)")
    with UnitOfWork() as uow:
        uow.claim("lock-0001-abc", scope="test.thing")
        uow.commit()
    assert _writer_lock_is_free()
    if how == "commit":
        with UnitOfWork() as uow:
            assert not _writer_lock_is_free()
            uow.session.add(Location(code="L1", name="x", kind="site"))
            uow.commit()
    elif how == "exception":
        with pytest.raises(RuntimeError), UnitOfWork():
            assert not _writer_lock_is_free()
            raise RuntimeError("boom")
    else:
        with pytest.raises(IdempotencyMismatch), UnitOfWork(idempotency_key="lock-0001-abc", scope="other.thing"):
            pass
    assert _writer_lock_is_free()
