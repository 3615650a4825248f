"""The stock ledger and the asset history are append-only in the database itself: no statement, from the app or
from another tool, can change or remove an entry (app/append_only.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.assets.models import AssetEvent
from app.extensions import db
from app.stock import queries
from app.stock.models import StockMovement
from tests.asset_helpers import an_asset

REFUSALS = [
    ("stock_movement", "UPDATE stock_movement SET quantity = quantity + 100", "UPDATE"),
    ("stock_movement", "UPDATE stock_movement SET reference = 'rewritten'", "UPDATE"),
    ("stock_movement", "DELETE FROM stock_movement", "DELETE"),
    ("asset_event", "UPDATE asset_event SET kind = 'retired'", "UPDATE"),
    ("asset_event", "DELETE FROM asset_event", "DELETE"),
]


def _rows(table: str) -> list:
    return [tuple(r) for r in db.session.execute(text(f"SELECT * FROM {table} ORDER BY id"))]  # noqa: S608


@pytest.fixture
def history(make_item, put_stock):
    item = make_item(sku="LEDGER-1")
    put_stock(item, "A-01", 5, cost="2.00")
    put_stock(item, "A-01", 3, cost="2.50")
    an_asset("LN-0900")
    sku = item.sku
    db.session.remove()
    return SimpleNamespace(sku=sku)


@pytest.mark.parametrize(("table", "sql", "verb"), REFUSALS)
def test_no_statement_changes_or_removes_an_entry_of_the_ledger_or_the_asset_history(history, table, sql, verb):
    before = _rows(table)
    assert before, "the set-up wrote entries to check"
    with pytest.raises(DBAPIError) as refused:
        with db.engine.begin() as conn:
            conn.execute(text(sql))
    message = str(refused.value.orig)
    assert f"{table} is append-only" in message and verb in message
    db.session.remove()
    assert _rows(table) == before
    assert queries.verify(db.session) == []


def test_a_refused_rewrite_takes_the_rest_of_its_transaction_with_it(history):
    """A script that rewrites a movement and then 'fixes' the balance to match leaves both as they were."""
    balances = db.session.execute(text("SELECT id, on_hand FROM stock_balance ORDER BY id")).all()
    with pytest.raises(DBAPIError):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE stock_balance SET on_hand = on_hand + 100"))
            conn.execute(text("UPDATE stock_movement SET quantity = quantity + 100"))
    db.session.remove()
    assert db.session.execute(text("SELECT id, on_hand FROM stock_balance ORDER BY id")).all() == balances
    assert queries.verify(db.session) == []


def test_postgresql_refuses_to_truncate_the_ledger_or_the_asset_history(history, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none (its DELETE is refused by the other tests)")
    for table in ("stock_movement", "asset_event"):
        with pytest.raises(DBAPIError, match=f"{table} is append-only: TRUNCATE refused"):
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table} CASCADE"))
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 2
    assert db.session.scalar(select(func.count()).select_from(AssetEvent)) >= 1


def test_new_entries_are_still_written(history, put_stock):
    put_stock(history, "A-01", 1, cost="3.00")
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 3
    assert queries.verify(db.session) == []
