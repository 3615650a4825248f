"""POST /api/v1/stock/pick with the number of one of our orders picks through its pick list: the order's
reservation in that bin is used up and its line counts what was picked — as when the picker scans it on the phone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.api.services import create_token
from app.extensions import db
from app.stock import orders, queries
from app.stock.models import Item, StockBalance, StockMovement
from app.uow import UnitOfWork


@pytest.fixture
def staff(make_user):
    user = make_user("staff")
    return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}


@pytest.fixture
def allocated_order(warehouse, make_item, put_stock):
    put_stock(make_item("SO-ITEM"), "A-01", 10)
    number = orders.create_order(customer="Bakery", lines=[("SO-ITEM", 4)], number="SO-1001",
                                 actor_id=warehouse.manager_id, uow=UnitOfWork()).number
    orders.allocate(number=number, uow=UnitOfWork())
    return number


def _balance() -> tuple[Decimal, Decimal]:
    bal = db.session.scalar(select(StockBalance).join(Item, Item.id == StockBalance.item_id)
                            .where(Item.sku == "SO-ITEM"))
    return bal.on_hand, bal.allocated


def test_a_pick_for_an_order_uses_its_allocation_and_counts_on_its_line(client, staff, allocated_order):
    assert _balance() == (10, 4)
    resp = client.post("/api/v1/stock/pick", json={"sku": "SO-ITEM", "location": "A-01", "quantity": 3,
                                                   "order": "so-1001"}, headers=staff)
    assert resp.status_code == 200, resp.json
    assert "1 more to pick on SO-1001." in resp.json["notes"]
    assert _balance() == (7, 1)  # the reservation went down with the stock: the other 6 stay available
    order = orders.get_order(db.session, "SO-1001")
    assert order.status == "picking" and order.lines[0].picked_qty == 3
    assert [t.quantity for t in orders.pick_list(db.session, "SO-1001")] == [1]
    assert db.session.scalar(select(StockMovement.reference).where(StockMovement.kind == "pick")) == "SO-1001"
    assert queries.verify(db.session) == []


def test_an_order_pick_beyond_what_is_reserved_or_from_another_bin_is_a_409(client, staff, allocated_order, put_stock):
    too_many = client.post("/api/v1/stock/pick", json={"sku": "SO-ITEM", "location": "A-01", "quantity": 5,
                                                       "order": "SO-1001"}, headers=staff)
    assert too_many.status_code == 409 and too_many.json["field"] == "quantity"
    elsewhere = client.post("/api/v1/stock/pick", json={"sku": "SO-ITEM", "location": "A-02", "quantity": 1,
                                                        "order": "SO-1001"}, headers=staff)
    assert elsewhere.status_code == 409 and "not to be picked from A-02" in elsewhere.json["detail"]
    assert _balance() == (10, 4)
    assert db.session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.kind == "pick")) == 0


def test_an_order_not_yet_allocated_is_not_picked_around_its_pick_list(client, staff, warehouse, make_item, put_stock):
    put_stock(make_item("SO-ITEM"), "A-01", 10)
    orders.create_order(customer="Bakery", lines=[("SO-ITEM", 4)], number="SO-2002", actor_id=None, uow=UnitOfWork())
    resp = client.post("/api/v1/stock/pick", json={"sku": "SO-ITEM", "location": "A-01", "quantity": 1,
                                                   "order": "SO-2002"}, headers=staff)
    assert resp.status_code == 409 and resp.json["field"] == "order" and "nothing to pick" in resp.json["detail"]
    assert _balance() == (10, 0)


def test_another_systems_order_reference_is_kept_on_a_plain_pick(client, staff, warehouse, make_item, put_stock):
    put_stock(make_item("SO-ITEM"), "A-01", 10)
    resp = client.post("/api/v1/stock/pick", json={"sku": "SO-ITEM", "location": "A-01", "quantity": 2,
                                                   "order": "SHOP-77"}, headers=staff)
    assert resp.status_code == 200
    assert _balance() == (8, 0)
    assert db.session.scalar(select(StockMovement.reference).where(StockMovement.kind == "pick")) == "SHOP-77"


def test_an_order_pick_of_a_lot_uses_that_lots_allocation(client, staff, warehouse, make_item, put_stock):
    item = make_item("SO-LOT", tracking="lot")
    put_stock(item, "A-01", 2, lot="L1")
    put_stock(item, "A-01", 5, lot="L2")
    orders.create_order(customer="Bakery", lines=[("SO-LOT", 6)], number="SO-3003", actor_id=None, uow=UnitOfWork())
    orders.allocate(number="SO-3003", uow=UnitOfWork())
    before = {t.lot: t.quantity for t in orders.pick_list(db.session, "SO-3003")}
    assert before == {"L1": 2, "L2": 4}
    resp = client.post("/api/v1/stock/pick", json={"sku": "SO-LOT", "location": "A-01", "quantity": 3, "lot": "L2",
                                                   "order": "SO-3003"}, headers=staff)
    assert resp.status_code == 200, resp.json
    assert resp.json["lot"] == "L2"
    assert {t.lot: t.quantity for t in orders.pick_list(db.session, "SO-3003")} == {"L1": 2, "L2": 1}
    other = client.post("/api/v1/stock/pick", json={"sku": "SO-LOT", "location": "A-01", "quantity": 1, "lot": "L9",
                                                    "order": "SO-3003"}, headers=staff)
    assert other.status_code == 409 and other.json["field"] == "lot"
