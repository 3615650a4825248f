"""The demo data: about 200 items with valid barcodes, stock in both sites that agrees with its ledger."""

from __future__ import annotations

from sqlalchemy import func, select

from app import demo
from app.extensions import db
from app.scanning.rules import parse
from app.stock import queries
from app.stock.models import Item, ItemBarcode, Order, PurchaseOrder, StockBalance


def test_the_demo_seed_is_valid_and_agrees_with_its_ledger(app):
    demo.seed(app, log=lambda *_: None)
    s = db.session
    assert 190 <= s.scalar(select(func.count()).select_from(Item)) <= 220
    for row in s.scalars(select(ItemBarcode)):
        assert parse(row.label).kind == "gtin", row.label  # every printed code has a valid check digit
    assert s.scalar(select(func.count()).select_from(ItemBarcode).where(ItemBarcode.level == "case")) > 20
    sites = {b.location.path().split(" › ")[0] for b in s.scalars(select(StockBalance).where(StockBalance.on_hand > 0))}
    assert sites == {"WH1", "DEP2"}
    assert s.scalar(select(func.count()).select_from(PurchaseOrder)) == 3
    assert s.scalars(select(Order.status)).all() == ["allocated"] * 3
    assert queries.verify(s) == []
