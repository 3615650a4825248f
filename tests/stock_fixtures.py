"""Fixtures for stock tests: a small warehouse, items and opening stock, built through the services."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from app.locations import services as location_services
from app.stock import services as stock
from app.stock.rules import with_check_digit
from app.uow import UnitOfWork

_ean_bodies = itertools.count(400638133390)


def new_ean() -> str:
    """A valid EAN-13 never used before in this run."""
    return with_check_digit(str(next(_ean_bodies)))


@pytest.fixture
def warehouse(make_user):
    """Site WH with a dock, zone A with bins A-01…A-03 (in walking order), a second site DEP with one bin."""
    def loc(code, kind, parent=None, walk=0):
        return location_services.create_location(code=code, name=code, kind=kind, parent_code=parent,
                                                 walk_order=walk, uow=UnitOfWork())

    loc("WH", "site")
    loc("WH-DOCK", "dock", "WH", 0)
    loc("WH-A", "zone", "WH", 1)
    for i in (1, 2, 3):
        loc(f"A-0{i}", "bin", "WH-A", 10 + i)
    loc("DEP", "site")
    loc("DEP-01", "bin", "DEP", 50)
    staff = make_user("staff")
    manager = make_user("manager")
    return SimpleNamespace(staff=staff, manager=manager, staff_id=staff.id, manager_id=manager.id)


@pytest.fixture
def make_item(warehouse):
    counter = itertools.count(1)

    def make(sku: str | None = None, *, name: str | None = None, case: int | None = None, **values):
        n = next(counter)
        sku = sku or f"SKU-{n:04d}"
        ean = new_ean()
        barcodes = [(ean, "each", 1)]
        if case:
            barcodes.append((new_ean(), "case", case))
        values.setdefault("standard_cost", "2.50")
        item = stock.create_item(sku=sku, name=name or f"Test item {n}", barcodes=barcodes, uow=UnitOfWork(), **values)
        item.ean = ean
        item.case_ean = barcodes[1][0] if case else None
        return item

    return make


@pytest.fixture
def who(warehouse):
    """who(scan_id=None) → an Actor for the staff user."""
    counter = itertools.count(1)

    def make(scan_id: str | None = "auto", source: str = "typed", actor_id: int | None = None):
        if scan_id == "auto":
            scan_id = f"test-scan-{next(counter):06d}"
        return stock.Actor(actor_id=actor_id or warehouse.staff_id, source=source, scan_id=scan_id)

    return make


@pytest.fixture
def put_stock(who):
    """put_stock(item, "A-01", 10, cost="1.00", lot=None, expiry=None) receives stock straight into a bin."""

    def put(item, location: str, quantity, cost=None, lot=None, expiry=None):
        return stock.receive(sku=item.sku, location_code=location, quantity=quantity, unit_cost=cost, lot=lot,
                             expiry=expiry, who=who(), uow=UnitOfWork())

    return put


@pytest.fixture
def expire_lot(warehouse):
    """expire_lot(item, "L1"): the lot's expiry date passes while its stock is on the shelf (it was yesterday)."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from app.stock.models import StockLot

    def expire(item, lot: str):
        with UnitOfWork() as uow:
            row = uow.session.scalar(select(StockLot).where(StockLot.item_id == item.id, StockLot.code == lot))
            row.expiry = date.today() - timedelta(days=1)
            uow.commit()

    return expire
