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
