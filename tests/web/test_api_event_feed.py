"""The asset event feed (/api/v1/events), followed as an ERP would: every event once, in pages, never skipping one
whose transaction committed late and never repeating one — also while several people write at the same time."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.api.services import create_token
from app.assets import services as assets
from app.assets.models import AssetEvent
from app.extensions import db
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset, sid
from tests.support.feeds import follow_a_late_commit


@pytest.fixture
def manager(make_user):
    """The BI tool's token (headers) and its user's id (for the writers, made here: threads get plain values)."""
    user = make_user("manager")
    token = create_token(user_id=user.id, name="bi", uow=UnitOfWork()).token
    return SimpleNamespace(headers={"Authorization": f"Bearer {token}"}, id=user.id)


def _event_ids() -> list[int]:
    db.session.rollback()  # a fresh snapshot: what the writers committed
    return sorted(db.session.scalars(select(AssetEvent.id)))


def _transfer_in_thread(app, tag: str, department: str, actor_id: int) -> None:
    with app.app_context():
        assets.transfer(tag=tag, department=department, actor_id=actor_id, scan_id=sid(), uow=UnitOfWork())
        db.session.remove()


def test_the_event_feed_hands_out_every_event_once_in_pages(client, manager):
    for i in range(6):
        an_asset(f"EV-{i:04d}")
    actor = manager.id
    for i in range(6):
        assets.transfer(tag=f"EV-{i:04d}", department="Sales", actor_id=actor, scan_id=sid(), uow=UnitOfWork())
    seen, cursor = [], None
    for _ in range(10):
        page = client.get("/api/v1/events?limit=5" + (f"&after={cursor}" if cursor else ""),
                          headers=manager.headers).json
        seen += [row["id"] for row in page["items"]]
        cursor = page["next"]
    assert seen == _event_ids() and len(seen) == 12
    first = client.get("/api/v1/events?limit=1", headers=manager.headers).json["items"][0]
    assert first["tag"] == "EV-0000" and first["kind"] and first["status_after"] == "in_stock"


def test_an_event_committed_late_is_not_skipped_by_a_reader_in_between(app, client, manager):
    """Writer A gets the lower id but commits after writer B; a reader polling in between must not skip A's."""
    an_asset("LATE-A")
    an_asset("LATE-B")
    actor = manager.id
    before = set(_event_ids())

    def write_a(session):
        asset = assets.lock_asset(session, "LATE-A")
        asset.department = "Late"
        assets.append_event(session, asset, "transferred", actor_id=actor, scan_id=sid(), data={"department": "Late"})

    seen = follow_a_late_commit(app, client, "/api/v1/events", manager.headers, write_a=write_a,
                                write_b=lambda: assets.transfer(tag="LATE-B", department="Early", actor_id=actor,
                                                                scan_id=sid(), uow=UnitOfWork()))
    new = [i for i in _event_ids() if i not in before]
    assert sorted(seen) == new and len(seen) == len(set(seen)) == 2


def test_the_event_feed_follows_concurrent_writers_without_gaps_or_repeats(app, client, manager):
    writers, per_writer = 4, 12
    for w in range(writers):
        an_asset(f"BUSY-{w}")
    actor = manager.id
    start = threading.Barrier(writers)

    def write(w: int) -> None:
        start.wait()
        for n in range(per_writer):
            _transfer_in_thread(app, f"BUSY-{w}", f"Dept {w}-{n}", actor)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    seen, cursor, deadline = [], None, time.monotonic() + 60
    expected = writers * (per_writer + 1)  # each asset's registration and its transfers
    while time.monotonic() < deadline:
        page = client.get("/api/v1/events?limit=7" + (f"&after={cursor}" if cursor else ""),
                          headers=manager.headers).json
        seen += [r["id"] for r in page["items"]]
        cursor = page["next"]
        if not any(t.is_alive() for t in threads) and len(seen) >= expected:
            break
        if not page["items"]:
            time.sleep(0.01)
    for t in threads:
        t.join(30)
    assert len(seen) == len(set(seen)) == expected
    assert sorted(seen) == _event_ids()
