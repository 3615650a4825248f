"""API operations on items, stock, assets and reservations; role limits per operation; the cursor feeds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.api.openapi import OPERATIONS
from app.extensions import db
from app.stock import services as stock
from app.stock.models import Item, StockMovement
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset
from tests.conftest import ROLES
from tests.support.feeds import follow_a_late_commit


def _movements() -> int:
    return db.session.scalar(select(func.count()).select_from(StockMovement))


def test_every_operation_admits_exactly_its_roles_with_a_token(app, client, token_for):
    tokens = {role: token_for(role) for role in ROLES}
    wrong = []
    for op in OPERATIONS:
        path = op.path
        for param in op.path_params:
            path = path.replace("{" + param + "}", "NOPE-1")
        for role in ROLES:
            resp = client.open(path, method=op.method.upper(), headers=tokens[role], json={} if op.body else None)
            refused = resp.status_code == 403
            if refused == (role in op.roles):
                wrong.append((op.method, op.path, role, resp.status_code))
    assert wrong == []


def test_items_are_created_read_listed_and_changed(client, token_for, warehouse):
    mgr = token_for("manager")
    body = {"sku": "cable-2m", "name": "USB-C cable 2 m", "reorder_point": 10, "standard_cost": "3.20",
            "barcodes": [{"code": "4006381333931"}, {"code": "04006381333948", "level": "case", "pack_quantity": 12}]}
    made = client.post("/api/v1/items", json=body, headers=mgr, csrf=False)
    assert made.status_code == 201, made.json
    assert made.json["sku"] == "CABLE-2M" and Decimal(made.json["on_hand"]) == 0
    assert {(b["level"], b["pack_quantity"]) for b in made.json["barcodes"]} == {("each", 1), ("case", 12)}
    assert client.get("/api/v1/items/cable-2m", headers=mgr).json["name"] == "USB-C cable 2 m"
    assert [i["sku"] for i in client.get("/api/v1/items?q=usb", headers=mgr).json["items"]] == ["CABLE-2M"]
    patched = client.patch("/api/v1/items/CABLE-2M", json={"reorder_point": 25, "active": False}, headers=mgr)
    assert patched.status_code == 200, patched.json
    assert Decimal(patched.json["reorder_point"]) == 25
    assert patched.json["active"] is False
    dup = client.post("/api/v1/items", json=body, headers=mgr, csrf=False)
    assert dup.status_code == 409 and "already used" in dup.json["detail"]
    assert client.get("/api/v1/items/NOPE", headers=mgr).status_code == 404


def test_receive_move_pick_and_count_through_the_api_keep_the_ledger(client, token_for, make_item, warehouse):
    make_item("BOLT-M6")
    floor = token_for("staff")
    r = client.post("/api/v1/stock/receive", json={"sku": "BOLT-M6", "location": "WH-DOCK", "quantity": 40,
                                                   "unit_cost": "0.10"}, headers=floor)
    assert r.status_code == 200 and r.json["on_hand_to"] in ("40", "40.000")
    m = client.post("/api/v1/stock/move", json={"sku": "BOLT-M6", "from_location": "WH-DOCK", "to_location": "A-01",
                                                "quantity": 30}, headers=floor)
    assert m.status_code == 200
    p = client.post("/api/v1/stock/pick", json={"sku": "BOLT-M6", "location": "A-01", "quantity": 5,
                                                "order": "SO-1"}, headers=floor)
    assert p.status_code == 200
    short = client.post("/api/v1/stock/pick", json={"sku": "BOLT-M6", "location": "A-01", "quantity": 500},
                        headers=floor)
    assert short.status_code == 409 and short.json["code"] == "insufficient_stock"
    c = client.post("/api/v1/stock/count", json={"sku": "BOLT-M6", "location": "A-01", "counted": 24},
                    headers=token_for("manager"))
    assert c.status_code == 200 and Decimal(c.json["adjustment"]) == -1
    balances = client.get("/api/v1/stock?sku=bolt-m6", headers=floor).json["items"]
    assert {(b["location"], Decimal(b["on_hand"])) for b in balances} == {("WH-DOCK", 10), ("A-01", 24)}
    from app.stock.queries import verify

    assert verify(db.session) == []


def test_stock_comes_back_through_the_api_with_its_reason_and_reference_once_per_key(client, token_for, make_item,
                                                                                       put_stock):
    item = make_item("RET-1")
    put_stock(item, "A-01", 2, cost="1.50")
    headers = {**token_for("staff"), "Idempotency-Key": "job-17-return-0001"}
    body = {"sku": "ret-1", "location": "a-01", "quantity": 3, "reason": "Unused from a job", "reference": "JOB-17"}
    first = client.post("/api/v1/stock/return", json=body, headers=headers)
    assert first.status_code == 200, first.json
    assert first.json["kind"] == "return" and first.json["to_location"] == "A-01"
    assert Decimal(first.json["on_hand_to"]) == 5
    again = client.post("/api/v1/stock/return", json=body, headers=headers)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    mv = db.session.scalars(select(StockMovement).where(StockMovement.kind == "return")).one()
    assert (mv.quantity, mv.reason, mv.reference, mv.source) == (3, "Unused from a job", "JOB-17", "api")
    floor = token_for("staff")
    for wrong, status, field in (({"quantity": 0}, 422, "quantity"), ({"reason": "x" * 41}, 422, "reason"),
                                 ({"location": "NOWHERE"}, 404, "location"), ({"sku": "NOPE"}, 404, "sku"),
                                 ({"serial": "S1"}, 422, "serial")):
        resp = client.post("/api/v1/stock/return", json={**body, **wrong}, headers=floor)
        assert (resp.status_code, resp.json["field"]) == (status, field), resp.json
    assert _movements() == 2  # the opening receipt and the one return


def test_the_openapi_document_describes_the_return_operation(client, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for("staff")).json
    op = spec["paths"]["/api/v1/stock/return"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ReturnIn"}
    schema = spec["components"]["schemas"]["ReturnIn"]
    assert set(schema["required"]) == {"sku", "location", "quantity"}
    assert set(schema["properties"]) == {"sku", "location", "quantity", "lot", "reason", "reference"}
    assert {"200", "404", "409", "422"} <= set(op["responses"])


def test_a_resent_pick_with_the_same_idempotency_key_applies_once(client, token_for, make_item, put_stock):
    item = make_item("NUT-M6")
    put_stock(item, "A-01", 10)
    headers = {**token_for("staff"), "Idempotency-Key": "shop-order-77-line-1"}
    body = {"sku": "NUT-M6", "location": "A-01", "quantity": 3}
    before = _movements()
    first = client.post("/api/v1/stock/pick", json=body, headers=headers)
    again = client.post("/api/v1/stock/pick", json=body, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert _movements() == before + 1
    other = client.post("/api/v1/stock/pick", json={**body, "quantity": 4}, headers=headers)
    assert other.status_code == 422


def test_bad_quantities_are_refused_before_anything_is_written(client, token_for, make_item):
    make_item("WASHER")
    floor = token_for("staff")
    for qty in (0, -1, 10**10, "many"):
        resp = client.post("/api/v1/stock/receive", json={"sku": "WASHER", "location": "A-01", "quantity": qty},
                           headers=floor)
        assert resp.status_code == 422 and resp.json["field"] == "quantity"
    half = client.post("/api/v1/stock/receive", json={"sku": "WASHER", "location": "A-01", "quantity": 1.5},
                       headers=floor)
    assert half.status_code == 422 and "whole" in half.json["detail"].lower()
    assert _movements() == 0


def test_assets_are_registered_checked_out_returned_and_maintained(client, token_for, make_user):
    mgr, tech_user = token_for("manager"), make_user("technician")
    tech = token_for("technician", tech_user)
    body = {"tag": "ln-0100", "model": {"manufacturer": "Fluke", "name": "87V", "category": "Meters"},
            "cost": "400.00", "purchase_date": "2025-01-15", "useful_life_months": 48, "pool": "loaner"}
    made = client.post("/api/v1/assets", json=body, headers=mgr)
    assert made.status_code == 201 and made.json["tag"] == "LN-0100" and made.json["status"] == "in_stock"
    due = (date.today() + timedelta(days=7)).isoformat()
    out = client.post("/api/v1/assets/LN-0100/checkout", json={"assignee": tech_user.email, "due": due}, headers=tech)
    assert out.status_code == 200 and out.json["tags"] == ["LN-0100"]
    twice = client.post("/api/v1/assets/LN-0100/checkout", json={"assignee": "ACME Ltd", "due": due}, headers=tech)
    assert twice.status_code == 409
    assert client.get("/api/v1/assets/LN-0100", headers=tech).json["status"] == "checked_out"
    back = client.post("/api/v1/assets/LN-0100/checkin", json={"condition": "good"}, headers=tech)
    assert back.status_code == 200 and back.json["maintenance_opened"] is False
    again = client.post("/api/v1/assets/LN-0100/checkin", json={"condition": "good"}, headers=tech)
    assert again.status_code == 409
    logged = client.post("/api/v1/assets/LN-0100/maintenance", json={"kind": "inspection", "findings": "ok"},
                         headers=tech)
    assert logged.status_code == 201
    past = client.post("/api/v1/assets/LN-0100/checkout", json={"assignee": tech_user.email, "due": "2020-01-01"},
                       headers=tech)
    assert past.status_code == 422 and past.json["field"] in ("due", "due_on")
    assert client.post("/api/v1/assets/NOPE-9/checkout", json={"assignee": "x", "due": due},
                       headers=tech).status_code == 404


def test_overlapping_reservations_of_one_asset_are_refused_with_409(client, token_for):
    an_asset("LN-0200")
    tech = token_for("technician")
    start = datetime.now(UTC) + timedelta(days=2)
    window = {"tag": "LN-0200", "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=2)).isoformat()}
    assert client.post("/api/v1/reservations", json=window, headers=tech).status_code == 201
    clash = {**window, "starts_at": (start + timedelta(days=1)).isoformat(),
             "ends_at": (start + timedelta(days=3)).isoformat()}
    resp = client.post("/api/v1/reservations", json=clash, headers=tech)
    assert resp.status_code == 409
    backwards = {**window, "ends_at": (start - timedelta(days=1)).isoformat()}
    assert client.post("/api/v1/reservations", json=backwards, headers=tech).status_code == 422
    listed = client.get("/api/v1/reservations?tag=LN-0200", headers=tech).json["items"]
    assert len(listed) == 1


def _follow(client, headers, url, expected: int, seconds: float = 20) -> list[int]:
    """Follow a feed as an ERP would: poll with the cursor until `expected` rows came (a write transaction still
    open anywhere in the PostgreSQL cluster may hold new rows back for a moment; it never makes them skip)."""
    seen, cursor, deadline = [], None, time.monotonic() + seconds
    while len(seen) < expected and time.monotonic() < deadline:
        page = client.get(url + (f"?after={cursor}&limit=7" if cursor else "?limit=7"), headers=headers).json
        seen += [row["id"] for row in page["items"]]
        cursor = page["next"]
        if not page["items"]:
            time.sleep(0.05)
    return seen


def test_the_movement_feed_hands_out_every_movement_once_in_pages(client, token_for, make_item, put_stock):
    item = make_item("FEED-1")
    for _ in range(20):
        put_stock(item, "A-01", 1)
    mgr = token_for("manager")
    ids = _follow(client, mgr, "/api/v1/movements", expected=20)
    assert ids == sorted(db.session.scalars(select(StockMovement.id)))
    page = client.get("/api/v1/movements?limit=5", headers=mgr).json
    assert set(page["items"][0]) >= {"sku", "kind", "quantity", "from_location", "to_location", "actor", "at"}


def test_a_movement_committed_late_is_not_skipped_by_a_reader_in_between(app, client, token_for, make_item, who):
    """Writer A gets the lower id but commits after writer B; a reader polling in between must not skip A's."""
    # B must not wait for A's lock on the item: two items.
    item_id, other = make_item("LATE-1").id, make_item("LATE-2").sku
    mgr = token_for("manager")
    actor_a, actor_b = who(), who()

    def write_a(s):
        stock.stock_in(s, kind="receipt", item=s.get(Item, item_id), dst=stock.find_location(s, "A-01"),
                       qty=Decimal(1), who=actor_a, unit_cost=Decimal(1))

    seen = follow_a_late_commit(app, client, "/api/v1/movements", mgr, write_a=write_a,
                                write_b=lambda: stock.receive(sku=other, location_code="A-02", quantity=1, who=actor_b,
                                                              uow=UnitOfWork()))
    assert sorted(seen) == sorted(db.session.scalars(select(StockMovement.id))) and len(seen) == len(set(seen)) == 2


def test_feeds_follow_concurrent_writers_without_gaps_or_repeats(app, client, token_for, make_item, who):
    sku = make_item("BUSY-1").sku
    mgr = token_for("manager")
    stop = threading.Event()
    actors = [[who() for _ in range(15)] for _ in range(4)]  # made here: the fixture is not thread-safe

    def write(mine):
        with app.app_context():
            for actor in mine:
                stock.receive(sku=sku, location_code="A-03", quantity=1, who=actor, uow=UnitOfWork())
            db.session.remove()

    writers = [threading.Thread(target=write, args=(actors[i],)) for i in range(4)]
    for w in writers:
        w.start()
    seen, cursor, deadline = [], None, time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        page = client.get("/api/v1/movements" + (f"?after={cursor}" if cursor else ""), headers=mgr).json
        seen += [r["id"] for r in page["items"]]
        cursor = page["next"]
        if not any(w.is_alive() for w in writers) and len(seen) >= 60:
            stop.set()
    for w in writers:
        w.join(30)
    assert len(seen) == len(set(seen)) == 60
    assert sorted(seen) == sorted(db.session.scalars(select(StockMovement.id)))


def test_a_malformed_cursor_is_a_422(client, token_for):
    resp = client.get("/api/v1/movements?after=abc", headers=token_for("manager"))
    assert resp.status_code == 422 and resp.json["field"] == "after"
    assert client.get("/api/v1/events?after=1-2", headers=token_for("manager")).status_code == 200
