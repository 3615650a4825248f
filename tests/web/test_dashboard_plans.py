"""The dashboard does not grow with the ledger: none of its statements reads the whole of a table that grows with
every movement or asset event. Every statement of the page and all its tiles (each recomputed) is explained by
SQLite's planner, which without statistics plans as for big tables. A test that cannot time the dashboard at a
million movements can still prove it reads no more of the ledger there than here."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.dashboard import cache as tile_cache
from app.dashboard.routes import TILES
from app.extensions import db
from app.stock import services as stock
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset

LEDGERS = ("stock_movement", "asset_event", "cost_layer", "stock_balance", "applied_request")


def test_no_dashboard_statement_scans_a_ledger_table(login, make_item, put_stock, who, database_url):
    if not database_url.startswith("sqlite"):
        print("\nSKIPPED: query plans are checked with SQLite's EXPLAIN QUERY PLAN (the SQLite half of CI runs this)")
        pytest.skip("query plans are checked on SQLite")
    manager = login("manager")
    item = make_item(reorder_point="5")
    put_stock(item, "A-01", 8, cost="2.00")
    stock.take_out(sku=item.sku, location_code="A-01", quantity=2, who=who(), uow=UnitOfWork())
    an_asset("LN-0001", cost="900.00", salvage="0")
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    tile_cache.clear()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert manager.get("/dashboard/").status_code == 200
        for tile in TILES:
            assert manager.hx_get(f"/dashboard/tile/{tile.name}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) > 20, "the tiles ran their queries"
    scans = []
    with db.engine.connect() as conn:
        for statement, parameters in seen:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            # Walking an index in its order and stopping at a LIMIT with no filter (the latest movements) reads
            # only those rows; any other scan reads the whole table.
            newest_first = (re.search(r"LIMIT \S+\s*(OFFSET \S+\s*)?$", statement) and " WHERE " not in statement
                            and not any("TEMP B-TREE" in d for d in plan))
            for detail in plan:
                for table in LEDGERS:
                    if re.match(rf"SCAN {table}\b", detail) and not (newest_first and "USING INDEX" in detail):
                        scans.append(f"{detail}  ←  {statement[:160]}")
                # Searching movements by kind alone reads every movement of that kind there ever was (a bare
                # "SEARCH stock_movement" is max(id) read from the end of the table).
                if (re.match(r"SEARCH stock_movement .", detail) and "created_at" not in detail
                        and "item_id=" not in detail and "rowid" not in detail and "id=" not in detail):
                    scans.append(f"{detail}  ←  {statement[:160]}")
    assert scans == [], "\n".join(scans)
