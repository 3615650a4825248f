"""Concurrent scans never lose an update and never oversell (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.stock import queries
from app.stock.models import StockMovement
from app.stock.services import Actor, InsufficientStock, take_out
from app.uow import UnitOfWork

pytestmark = pytest.mark.concurrency


def test_eight_workers_picking_fifty_each_from_a_bin_of_400_empty_it_exactly(warehouse, make_item, put_stock, concurrently):
    item = make_item("FAST-1")
    item_id = item.id
    put_stock(item, "A-01", 400, cost="1.25")
    staff = warehouse.staff_id

    def worker(w: int):
        for n in range(50):
            take_out(kind="pick", sku="FAST-1", location_code="A-01", quantity=1,
                     who=Actor(staff, scan_id=f"w{w}-pick-{n:03d}"), uow=UnitOfWork())
        return "done"

    results = concurrently(8, worker)
    assert results == ["done"] * 8
    db.session.remove()
    assert queries.total_on_hand(db.session, item_id) == 0
    assert db.session.query(StockMovement).filter_by(kind="pick").count() == 400
    assert queries.verify(db.session) == []


def test_twenty_concurrent_picks_of_one_from_a_bin_of_ten_sell_exactly_ten(warehouse, make_item, put_stock, concurrently):
    item = make_item("LAST-1")
    item_id = item.id
    put_stock(item, "A-01", 10)
    staff = warehouse.staff_id

    def worker(w: int):
        return take_out(kind="pick", sku="LAST-1", location_code="A-01", quantity=1,
                        who=Actor(staff, scan_id=f"race-{w:04d}"), uow=UnitOfWork())

    results = concurrently(20, worker)
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(ok) == 10 and len(refused) == 10, results
    assert all("available" in str(r) for r in refused)
    db.session.remove()
    assert queries.total_on_hand(db.session, item_id) == 0
    assert db.session.query(StockMovement).filter_by(kind="pick").count() == 10
    assert queries.verify(db.session) == []


def test_the_same_scan_sent_by_many_threads_at_once_applies_once(warehouse, make_item, put_stock, concurrently):
    from app.errors import AlreadyRecorded

    item = make_item("DUP-1")
    item_id = item.id
    put_stock(item, "A-01", 10)
    staff = warehouse.staff_id

    def worker(_w: int):
        return take_out(kind="pick", sku="DUP-1", location_code="A-01", quantity=1,
                        who=Actor(staff, scan_id="same-scan-0001"), uow=UnitOfWork())

    results = concurrently(6, worker)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, AlreadyRecorded) for r in results) == 5, results
    db.session.remove()
    assert queries.total_on_hand(db.session, item_id) == 9
