"""consume_within: the assets branch consumes spare parts inside its own unit of work."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.stock import queries
from app.stock.models import Item, StockMovement
from app.stock.services import InsufficientStock, consume_within
from app.uow import UnitOfWork


def _consume(warehouse, commit=True, **kw):
    uow = UnitOfWork()
    with uow:
        args = {"sku": "PART-1", "location_code": "A-01", "quantity": 2, "reference": "MNT-7",
                "actor_id": warehouse.staff_id}
        args.update(kw)
        mv = consume_within(uow, **args)
        if commit:
            uow.commit()
        return mv


def test_consuming_parts_writes_a_costed_consumption_movement_when_the_caller_commits(warehouse, make_item, put_stock):
    item = make_item("PART-1")
    put_stock(item, "A-01", 5, cost="3.00")
    mv = _consume(warehouse)
    assert mv.kind == "consumption" and mv.quantity == 2 and mv.total_cost == Decimal("6.00")
    assert mv.reference == "MNT-7" and mv.source == "typed"
    assert queries.total_on_hand(db.session, item.id) == 3
    assert queries.verify(db.session) == []


def test_nothing_is_consumed_when_the_callers_transaction_rolls_back(warehouse, make_item, put_stock):
    item_id = make_item("PART-1").id
    put_stock(db.session.get(Item, item_id), "A-01", 5)
    _consume(warehouse, commit=False)
    db.session.remove()
    assert queries.total_on_hand(db.session, item_id) == 5
    assert db.session.query(StockMovement).filter_by(kind="consumption").count() == 0


def test_consuming_more_than_the_place_holds_raises_insufficient_stock_a_conflict(warehouse, make_item, put_stock):
    item = make_item("PART-1")
    put_stock(item, "A-01", 1)
    with pytest.raises(InsufficientStock) as err:
        _consume(warehouse, quantity=2)
    assert isinstance(err.value, Conflict) and err.value.status == 409
    assert queries.total_on_hand(db.session, item.id) == 1


def test_unknown_sku_or_location_raise_not_found(warehouse, make_item, put_stock):
    make_item("PART-1")
    with pytest.raises(NotFound):
        _consume(warehouse, sku="NOPE-1")
    with pytest.raises(NotFound):
        _consume(warehouse, location_code="Z-99")


def test_a_bad_quantity_or_missing_reference_is_invalid(warehouse, make_item, put_stock):
    item = make_item("PART-1")
    put_stock(item, "A-01", 5)
    for bad in (0, -1, "1.5", "abc"):
        with pytest.raises(Invalid):
            _consume(warehouse, quantity=bad)
    with pytest.raises(Invalid):
        _consume(warehouse, reference=" ")


def test_lot_tracked_parts_need_their_lot(warehouse, make_item, put_stock):
    item = make_item("PART-1", tracking="lot")
    put_stock(item, "A-01", 5, lot="L1")
    with pytest.raises(Invalid, match="lot"):
        _consume(warehouse)
    mv = _consume(warehouse, lot="L1")
    assert mv.lot == "L1"
