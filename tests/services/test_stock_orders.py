"""Orders: allocate, pick in walking order, short pick → backorder, pack, ship; issues without an order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.locations.services import create_location
from app.stock import orders, queries
from app.stock import services as stock
from app.stock.models import Item, StockBalance, StockLot
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
    number, task = _one_picked(a, put_stock, who, ordered=3)
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


def test_cancelling_an_order_with_picked_goods_puts_them_back_into_the_bin_scanned(warehouse, make_item, put_stock,
                                                                                    who):
    a = make_item("ORD-A", valuation_method="fifo")
    put_stock(a, "A-01", 2, cost="1.00")
    put_stock(a, "A-01", 3, cost="3.00")  # worth 11.00 in all
    number = orders.create_order(customer="C", lines=[("ORD-A", 3)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    [task] = orders.pick_list(db.session, number)
    orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=a.ean, quantity=2,
                        who=who(), uow=U())  # the two at 1.00
    with pytest.raises(Conflict, match="scan the bin to put them back into"):
        orders.cancel_order(number=number, uow=U())
    db.session.rollback()
    orders.cancel_order(number=number, put_back_to="A-02", who=who(), uow=U())
    db.session.rollback()
    bal = {b.location.code: (b.on_hand, b.allocated) for b in db.session.query(StockBalance).filter_by(item_id=a.id)}
    assert bal == {"A-01": (3, 0), "A-02": (2, 0)}  # the 2 picked are back, nothing is promised any more
    cancelled = orders.get_order(db.session, number)
    assert cancelled.status == "cancelled" and cancelled.lines[0].picked_qty == 0
    assert queries.verify(db.session) == []
    # Back at what they cost when picked (1.00), not at the newest layer's 3.00: the stock is worth 11.00 again.
    assert db.session.get(Item, a.id).stock_value == Decimal("11.00")


def _one_picked(item, put_stock, who, *, ordered: int):
    """3 of the item in A-01, an order for `ordered` of it allocated, and 1 picked: (order number, its pick task)."""
    put_stock(item, "A-01", 3)
    number = orders.create_order(customer="C", lines=[(item.sku, ordered)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=item.ean, quantity=1,
                        who=who(), uow=U())
    return number, task


def _pick_all(number, item, who):
    for task in orders.pick_list(db.session, number):
        orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code=task.location.code,
                            code=item.ean, quantity=task.quantity, who=who(), uow=U())


def test_what_was_never_reserved_goes_on_the_backorder_when_the_order_ships(warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 6)
    number = orders.create_order(customer="C", lines=[("ORD-A", 10)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    r = orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=a.ean, quantity=6,
                            who=who(), uow=U())
    assert "4 not in stock go on a backorder when it ships" in " ".join(r.notes)
    orders.pack_scan(number=number, code=a.ean, quantity=6, who=who(), uow=U())
    orders.ship(number=number, carrier="DHL", tracking_number="JD0002", actor_id=None, uow=U())
    shipped = orders.get_order(db.session, number)
    assert shipped.lines[0].unallocated_qty == 4 and shipped.lines[0].open_qty == 0
    backorder = orders.get_order(db.session, f"{number}-B")
    assert [(x.item.sku, x.ordered_qty) for x in backorder.lines] == [("ORD-A", Decimal(4))]
    assert backorder.status == "open" and backorder.backorder_of.number == number
    assert orders.backorder_reasons(backorder) == {a.id: "4 not in stock when allocated"}


def test_a_backorder_takes_the_next_free_number_when_someone_used_the_obvious_one(warehouse, make_item, put_stock,
                                                                                    who):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 1)
    number = orders.create_order(customer="C", lines=[("ORD-A", 3)], actor_id=None, uow=U()).number
    orders.create_order(customer="Other", lines=[("ORD-A", 1)], actor_id=None, number=f"{number}-B", uow=U())
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    orders.confirm_pick(number=number, allocation_id=task.allocation_id, bin_code="A-01", code=a.ean, quantity=1,
                        who=who(), uow=U())
    orders.pack_scan(number=number, code=a.ean, quantity=1, who=who(), uow=U())
    orders.ship(number=number, carrier="DHL", tracking_number="JD0009", actor_id=None, uow=U())
    backorder = orders.get_order(db.session, f"{number}-B2")
    assert backorder.customer == "C" and [(x.item.sku, x.ordered_qty) for x in backorder.lines] == [("ORD-A", 2)]


def test_a_picker_short_and_stock_never_reserved_both_go_on_the_backorder_with_their_reasons(
        warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    number, task = _one_picked(a, put_stock, who, ordered=5)
    orders.report_short(number=number, allocation_id=task.allocation_id, reason="damaged", who=who(), uow=U())
    orders.pack_scan(number=number, code=a.ean, who=who(), uow=U())
    orders.ship(number=number, carrier="DHL", tracking_number="JD0003", actor_id=None, uow=U())
    backorder = orders.get_order(db.session, f"{number}-B")
    assert [(x.item.sku, x.ordered_qty) for x in backorder.lines] == [("ORD-A", Decimal(4))]
    assert orders.backorder_reasons(backorder) == {a.id: "2 damaged, 2 not in stock when allocated"}


def test_a_manager_closes_an_order_with_nothing_in_stock_short_and_it_is_backordered_at_once(warehouse, make_item):
    make_item("ORD-A")
    number = orders.create_order(customer="Bakery", lines=[("ORD-A", 5)], actor_id=None, uow=U()).number
    assert orders.allocate(number=number, uow=U()).status == "open"  # nothing to reserve
    with pytest.raises(Conflict, match="is open"):
        orders.ship(number=number, carrier="DHL", tracking_number="JD0004", actor_id=None, uow=U())
    closed = orders.close_short(number=number, actor_id=warehouse.manager_id, uow=U())
    assert closed.status == "backordered" and closed.lines[0].unallocated_qty == 5
    backorder = orders.get_order(db.session, f"{number}-B")
    assert backorder.customer == "Bakery" and backorder.status == "open"
    assert [(x.item.sku, x.ordered_qty) for x in backorder.lines] == [("ORD-A", Decimal(5))]
    assert orders.backorder_reasons(backorder) == {backorder.lines[0].item_id: "5 not in stock when allocated"}
    with pytest.raises(Conflict, match="backordered"):
        orders.close_short(number=number, actor_id=None, uow=U())
    with pytest.raises(Conflict, match="backordered"):
        orders.cancel_order(number=number, uow=U())


def test_closing_short_releases_what_is_reserved_with_its_reason_and_the_picked_goods_still_ship(
        warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    number, task = _one_picked(a, put_stock, who, ordered=5)
    with pytest.raises(Invalid, match="Choose why"):
        orders.close_short(number=number, reason="", actor_id=None, uow=U())
    closed = orders.close_short(number=number, reason="not_found", actor_id=None, uow=U())
    assert closed.status == "picked" and orders.pick_list(db.session, number) == []
    assert db.session.query(StockBalance).filter_by(item_id=a.id).one().allocated == 0
    orders.pack_scan(number=number, code=a.ean, who=who(), uow=U())
    orders.ship(number=number, carrier="DHL", tracking_number="JD0005", actor_id=None, uow=U())
    backorder = orders.get_order(db.session, f"{number}-B")
    assert backorder.lines[0].ordered_qty == 4
    assert orders.backorder_reasons(backorder) == {a.id: "2 not in the bin, 2 not in stock when allocated"}
    assert queries.verify(db.session) == []


def test_an_order_with_nothing_picked_cannot_be_shipped_empty(warehouse, make_item, put_stock, who):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 2)
    number = orders.create_order(customer="C", lines=[("ORD-A", 2)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    task = orders.pick_list(db.session, number)[0]
    orders.report_short(number=number, allocation_id=task.allocation_id, reason="damaged", who=who(), uow=U())
    with pytest.raises(Conflict, match="Nothing was picked"):
        orders.ship(number=number, carrier="DHL", tracking_number="JD0006", actor_id=None, uow=U())
    assert orders.close_short(number=number, actor_id=None, uow=U()).status == "backordered"
    assert orders.backorder_reasons(orders.get_order(db.session, f"{number}-B")) == {a.id: "2 damaged"}


def test_allocation_leaves_expired_lots_where_they_are(warehouse, make_item, put_stock, who):
    a = make_item("ORD-LOT", tracking="lot")
    put_stock(a, "A-01", 5, lot="OLD", expiry=date.today() + timedelta(days=1))
    put_stock(a, "A-02", 5, lot="NEW", expiry=date.today() + timedelta(days=60))
    # The first lot's date has passed since it was received.
    with U() as uow:
        uow.session.query(StockLot).filter_by(item_id=a.id, code="OLD").one().expiry = date.today() - timedelta(days=1)
        uow.commit()
    number = orders.create_order(customer="C", lines=[("ORD-LOT", 4)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    tasks = orders.pick_list(db.session, number)
    assert [(t.location.code, t.lot, t.quantity) for t in tasks] == [("A-02", "NEW", 4)]
    orders.confirm_pick(number=number, allocation_id=tasks[0].allocation_id, bin_code="A-02", code=a.ean, lot="NEW",
                        quantity=4, who=who(), uow=U())
    assert orders.get_order(db.session, number).status == "picked"


def test_allocation_never_reserves_stock_in_a_technicians_van(warehouse, make_item, put_stock):
    create_location(code="VAN-1", name="Van 1", kind="van", parent_code="WH", uow=U())
    a = make_item("ORD-VAN")
    put_stock(a, "VAN-1", 5)
    put_stock(a, "A-03", 2)
    number = orders.create_order(customer="C", lines=[("ORD-VAN", 4)], actor_id=None, site_code="WH",
                                 uow=U()).number
    order = orders.allocate(number=number, uow=U())
    assert [(t.location.code, t.quantity) for t in orders.pick_list(db.session, number)] == [("A-03", 2)]
    assert order.lines[0].open_qty == 2
    van = stock.find_location(db.session, "VAN-1")
    assert db.session.query(StockBalance).filter_by(item_id=a.id, location_id=van.id).one().allocated == 0


@pytest.mark.parametrize("raw", ["abc", "", "1.5", "99999999999", "-3"])
def test_a_short_report_naming_no_real_pick_is_refused_and_changes_nothing(warehouse, make_item, put_stock, who,
                                                                           raw):
    a = make_item("ORD-A")
    put_stock(a, "A-01", 2)
    number = orders.create_order(customer="C", lines=[("ORD-A", 2)], actor_id=None, uow=U()).number
    orders.allocate(number=number, uow=U())
    with pytest.raises(Invalid, match="is not a pick of order"):
        orders.report_short(number=number, allocation_id=raw, reason="damaged", who=who(), uow=U())
    with pytest.raises(Invalid, match="is not a pick of order"):
        orders.confirm_pick(number=number, allocation_id=raw, bin_code="A-01", code=a.ean, who=who(), uow=U())
    assert orders.get_order(db.session, number).lines[0].short_qty == 0
    assert db.session.query(StockBalance).filter_by(item_id=a.id).one().allocated == 2


def test_a_pick_of_another_order_is_not_found(warehouse, make_item, put_stock, who):
    make_item("ORD-A")
    first = orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, uow=U()).number
    other = orders.create_order(customer="D", lines=[("ORD-A", 1)], actor_id=None, uow=U()).number
    put_stock(stock.find_item(db.session, sku="ORD-A").item, "A-01", 2)
    orders.allocate(number=first, uow=U())
    alloc = orders.pick_list(db.session, first)[0].allocation_id
    with pytest.raises(NotFound, match="no such pick"):
        orders.report_short(number=other, allocation_id=str(alloc), reason="damaged", who=who(), uow=U())


def test_an_order_number_is_registered_as_its_scan_code_and_must_scan_back_as_itself(warehouse, make_item):
    from app.scanning.registry import lookup

    make_item("ORD-A")
    order = orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, number="so-77", uow=U())
    code = lookup(db.session, "SO-77")
    assert (code.kind, code.target_id) == ("order", order.id)
    auto = orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, uow=U())
    assert lookup(db.session, auto.number).kind == "order"
    with pytest.raises(Conflict, match="already used"):
        orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, number="A-01", uow=U())  # a bin
    with pytest.raises(Invalid, match="product barcode"):
        orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, number="4006381333931", uow=U())
    with pytest.raises(Invalid, match="cannot be an order number"):
        orders.create_order(customer="C", lines=[("ORD-A", 1)], actor_id=None, number="SO#1", uow=U())
