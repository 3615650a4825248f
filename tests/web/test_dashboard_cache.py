"""The dashboard keeps its aggregate tiles (stock value, reorder status, turns, book value, idle assets,
warranties) until the data under them may have changed — and never shows a number that a write has made stale."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event

from app.assets.models import Asset
from app.extensions import db
from app.stock import services as stock
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset


def _tile(client, name: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = client.hx_get(f"/dashboard/tile/{name}")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert resp.status_code == 200
    return resp.get_data(as_text=True), seen


def test_an_unchanged_stock_value_is_not_summed_again(manager, make_item, put_stock):
    item = make_item()
    put_stock(item, "A-01", 4, cost="2.50")
    first, first_sql = _tile(manager, "stock-value")
    again, again_sql = _tile(manager, "stock-value")
    assert "10.00" in first and again == first
    assert any("stock_value" in q for q in first_sql)
    assert not any("stock_value" in q for q in again_sql), "the aggregate ran again although nothing changed"


def test_a_pick_shows_in_the_stock_value_at_once(manager, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 4, cost="2.50")
    assert "10.00" in _tile(manager, "stock-value")[0]
    stock.take_out(sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=UnitOfWork())
    html = _tile(manager, "stock-value")[0]
    assert "7.50" in html and "10.00" not in html


def test_a_new_reorder_point_shows_in_the_reorder_tile_at_once(manager, make_item, put_stock):
    item = make_item(reorder_point="0")
    put_stock(item, "A-01", 3)
    assert item.sku not in _tile(manager, "replenish")[0]
    stock.update_item(sku=item.sku, reorder_point="5", uow=UnitOfWork())
    assert item.sku in _tile(manager, "replenish")[0]


def test_a_changed_asset_shows_in_the_book_value_at_once(manager):
    asset = an_asset("LN-0001", cost="1200.00", salvage="200.00")
    before = _tile(manager, "book-value")[0]
    with UnitOfWork() as uow:
        uow.session.get(Asset, asset.id).cost = Decimal("2400.00")
        uow.commit()
    after = _tile(manager, "book-value")[0]
    assert "1200.00" in before and "2400.00" in after and after != before
