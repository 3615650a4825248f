"""When the database is gone, every page answers a clear 503 — also for a signed-in user, whose session would
otherwise be loaded from the very database that is down (the PostgreSQL-restart fault test found a bare 500)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


@pytest.fixture
def database_down(monkeypatch):
    def down(*_a, **_k):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    def go():
        monkeypatch.setattr(Session, "get", down)
        monkeypatch.setattr(Session, "execute", down)
        monkeypatch.setattr(Session, "connection", down)  # the signed-in person is read on the connection

    return go


@pytest.mark.parametrize("path", ["/scan/", "/stock/pick", "/assets/checkout"])
def test_a_signed_in_user_gets_a_clear_503_page_when_the_database_is_down(login, database_down, path):
    client = login("manager")
    database_down()
    resp = client.get(path)
    assert resp.status_code == 503
    assert b"cannot be reached" in resp.data
    assert resp.headers["Retry-After"] == "5"


def test_an_htmx_scan_gets_a_503_it_can_show_when_the_database_is_down(login, database_down):
    client = login("staff")
    client.csrf_token()
    database_down()
    resp = client.post("/stock/pick", data={"scan": "X", "scan_id": "abcdefgh12"}, htmx=True)
    assert resp.status_code == 503
    assert resp.headers["HX-Retarget"] == "#flash"


def test_a_connection_that_dies_while_the_session_closes_does_not_turn_the_answer_into_a_500(login, monkeypatch):
    # The PostgreSQL-restart fault test: the answer was made, then the session's closing rollback hit the
    # terminated connection. The person still gets the answer that was made.
    client = login("staff")
    real_close = Session.close
    calls = {"n": 0}

    def close_once_broken(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        return real_close(self)

    monkeypatch.setattr(Session, "close", close_once_broken)
    resp = client.get("/scan/")
    assert resp.status_code == 200
    assert b"Scan" in resp.data
    assert calls["n"] >= 1
    monkeypatch.setattr(Session, "close", real_close)
    assert client.get("/scan/").status_code == 200  # and the next request works on a fresh session


def test_a_scan_whose_sqlite_writer_lock_cannot_be_opened_is_a_clear_503_and_writes_nothing(
        app, staff, make_item, put_stock, tmp_path, monkeypatch):
    """The writer lock is a file beside the database; on a read-only or full file system it cannot be opened, and
    the scan is told the database is unavailable — not a bare 500 (the read-only fault test met this when the
    database's write-ahead log was still there, so SQLite itself had let the reads through)."""
    from app.db_setup import writer_lock
    from app.extensions import db
    from app.stock.models import StockMovement

    with app.app_context():
        lock = writer_lock(db.engine)
    if lock is None:
        pytest.skip("the writer lock is SQLite's; PostgreSQL locks rows (the SQLite half of CI runs this)")
    item = make_item("LOCK-1")
    put_stock(item, "A-01", 5)
    staff.csrf_token()
    unopenable = tmp_path / "writer-lock-is-a-directory"
    unopenable.mkdir()
    monkeypatch.setattr(lock, "_path", str(unopenable))
    monkeypatch.setattr(lock, "_fd", None)
    resp = staff.post("/stock/pick", data={"scan": item.ean, "src": "A-01", "scan_id": "lockless-0001",
                                           "source": "wedge"}, htmx=True)
    assert resp.status_code == 503, resp.text
    assert resp.headers["HX-Retarget"] == "#flash"
    assert resp.headers["Retry-After"] == "5"
    db.session.rollback()
    assert db.session.query(StockMovement).filter_by(item_id=item.id, kind="pick").count() == 0


@pytest.mark.parametrize("failure", ["the connection drops", "a statement fails"])
def test_a_refused_scan_whose_id_cannot_be_looked_up_still_gets_its_own_answer(staff, make_item, put_stock,
                                                                               monkeypatch, failure):
    """A scan that moves stock checks its id only when its work is refused (app/uow.py, at_commit); if that lookup
    fails, the person still gets the scan's own answer on a usable session — not a 500 (found by review)."""
    import uuid

    from app.extensions import db
    from app.stock.models import StockMovement
    from app.uow import UnitOfWork

    if db.engine.dialect.name != "postgresql":
        pytest.skip("a failed statement or a dropped connection breaks a PostgreSQL transaction; SQLite reads "
                    "outside one (the PostgreSQL half of CI runs this)")
    item = make_item("LOOKUP-1")
    put_stock(item, "A-01", 2)
    before = db.session.query(StockMovement).count()
    prior = UnitOfWork._prior

    def lookup_fails(self, key):
        sql = ("SELECT pg_terminate_backend(pg_backend_pid())" if failure == "the connection drops"
               else "SELECT no_such_column FROM applied_request")
        self.session.connection().exec_driver_sql(sql)
        return prior(self, key)

    monkeypatch.setattr(UnitOfWork, "_prior", lookup_fails)
    staff.csrf_token()
    resp = staff.post("/stock/pick", data={"scan_id": uuid.uuid4().hex, "source": "wedge", "scan": item.ean,
                                           "src": "A-03"}, htmx=True)
    assert resp.status_code == 409, (resp.status_code, resp.text[:300])
    assert "There is no LOOKUP-1 in A-03" in resp.text
    db.session.rollback()
    assert db.session.query(StockMovement).count() == before
