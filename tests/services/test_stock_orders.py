"""Orders: allocate, pick in walking order, short pick → backorder, pack, ship; issues without an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import Conflict, Invalid
from app.extensions import db
from app.stock import orders, queries
from app.stock import services as stock
from app.stock.models import StockBalance
from app.uow import UnitOfWork


def U():
    return UnitOfWork()


def test_allocation_reserves_available_stock_and_the_pick_list_walks_the_route(warehouse, make_item, put_stock, who):
    a, b = make_item("ORD-A"), make_item("ORD-B")
    put_stock(a, "A-03", 5)
    put_stock(a, "A-01", 2)
    put_stock(b, "A-02", 4)
    order = orders.create_order(customer="Bakery", lines=[("ORD-A", 6), ("ORD-B", 1)], actor_id=warehouse.manager_id,
                                uow=U())
    number = order.number
    orders.allocate(number=number, uow=U())
    tasks = orders.pick_list(db.session, number)
    assert [(t.location.code, t.sku, t.quantity) for t in tasks] == [("A-01", "ORD-A", 2), ("A-02", "ORD-B", 1),
                                                                     ("A-03", "ORD-A", 4)]
    allocated = {b.location.code: (b.on_hand, b.allocated) for b in db.session.query(StockBalance).filter_by(item_id=a.id)}
    assert allocated == {"A-01": (2, 2), "A-03": (5, 4)}
    # Allocated stock is not available to an ad-hoc pick.
    with pytest.raises(stock.InsufficientStock):
        stock.take_out(sku="ORD-A", location_code="A-03", quantity=2, who=who(), uow=U())


def test_picking_confirms_bin_and_item_and_refuses_the_wrong_bin(warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 3)
    number = orders.create_order(customer="C", lines=[("ORD-A", 2)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    with pytest.raises(Conflict, match="Wrong bin"):
        orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-02", code=a.ean, who=who(),
                            uow=U())
    r = orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=a.ean, quantity=2,
                            who=who(), uow=U())
    assert r.on_hand_from == "1" and "Order picked." in r.notes
    assert orders.get_order(db.session, number).status == "picked"
    bal = db.session.query(StockBalance).filter_by(item_id=a.id).one()
    assert (bal.on_hand, bal.allocated) == (1, 0)
    assert queries.verify(db.session) == []


def test_a_short_pick_is_backordered_with_its_reason_when_the_order_ships(warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 3)
    number = orders.create_order(customer="C", lines=[("ORD-A", 3)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=a.ean, quantity=1,
                        who=who(), uow=U())
    orders.report_short(number=number, allocation_id=task.allocation_id, reason="damaged", who=who(), uow=U())
    order = orders.get_order(db.session, number)
    assert order.status == "picked" and order.lines[0].short_qty == 2 and order.lines[0].short_reason == "damaged"
    with pytest.raises(Conflict, match="packed"):
        orders.ship(number=number, carrier="DHL", tracking_number="JD0001", actor_id=None, uow=U())
    out = orders.pack_scan(number=number, code=a.ean, who=who(), uow=U())
    assert out["package"].endswith("-P1")
    with pytest.raises(Conflict, match="picked and not packed"):
        orders.pack_scan(number=number, code=a.ean, who=who(), uow=U())
    with pytest.raises(Invalid, match="tracking"):
        orders.ship(number=number, carrier="DHL", tracking_number="", actor_id=None, uow=U())
    orders.ship(number=number, carrier="DHL", tracking_number="JD0001", actor_id=None, uow=U())
    shipped = orders.get_order(db.session, number)
    assert shipped.status == "shipped" and shipped.tracking_number == "JD0001"
    backorder = orders.get_order(db.session, f"{number}-B")
    assert [(x.item.sku, x.ordered_qty) for x in backorder.lines] == [("ORD-A", Decimal(2))]
    bal = db.session.query(StockBalance).filter_by(item_id=a.id).one()
    assert (bal.on_hand, bal.allocated) == (2, 0)


def test_cancelling_an_order_releases_its_reservations(warehouse, make_item, put_stock):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 3)
    number = orders.create_order(customer="C", lines=[("ORD-A", 3)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    orders.cancel_order(number=number, uow=U())
    assert db.session.query(StockBalance).filter_by(item_id=a.id).one().allocated == 0
