"""What a phone needs to fill in the multi-step scan flows while offline, and what the server does with what it
replays: an action completes once, and a replayed scan that completes nothing is a conflict — never a silent 200."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.locations import services as location_services
from app.scanning.models import ScanConflict
from app.stock import counting, orders, purchasing, queries
from app.stock.models import StockMovement
from app.uow import UnitOfWork
from tests.asset_helpers import a_model, an_asset

REPLAY = {"X-Scan-Replay": "1"}


def post_scan(client, url, *, headers=None, scan_id=None, **fields):
    data = {"scan_id": scan_id or uuid.uuid4().hex, "source": "wedge", "device_time": "2026-11-24T23:59:00Z",
            **fields}
    return client.post(url, data=data, headers=headers or {}, htmx=True)


def conflicts() -> list[ScanConflict]:
    db.session.rollback()
    return list(db.session.scalars(select(ScanConflict).order_by(ScanConflict.id)))


def movements(kind: str | None = None) -> int:
    db.session.rollback()
    query = select(func.count()).select_from(StockMovement)
    if kind:
        query = query.where(StockMovement.kind == kind)
    return db.session.scalar(query)


def events(resp) -> dict:
    return json.loads(resp.headers.get("HX-Trigger") or "{}")


@pytest.fixture
def item(make_item):
    return make_item("OFFL-1", name="Offline widget")


# --- the codes a phone keeps for offline use ---------------------------------------------------------------------------


def test_the_phone_gets_every_active_place_with_its_kind_and_parent_and_the_receivable_purchase_orders(
    staff, warehouse, item
):
    location_services.set_location_active(code="A-03", active=False, uow=UnitOfWork())
    open_po = purchasing.create_po(supplier="Acme", lines=[("OFFL-1", 5, "1")], actor_id=None, uow=UnitOfWork())
    closed = purchasing.create_po(supplier="Gone Ltd", lines=[("OFFL-1", 5, "1")], actor_id=None, uow=UnitOfWork())
    purchasing.close_po(number=closed.number, uow=UnitOfWork())
    draft = purchasing.create_po(supplier="Later", lines=[("OFFL-1", 1, "1")], actor_id=None, uow=UnitOfWork(),
                                 status="draft")

    resp = staff.get("/stock/offline-codes")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "no-store" in resp.headers["Cache-Control"]
    body = resp.get_json()
    places = {p["code"]: p for p in body["places"]}
    assert set(places) == {"WH", "WH-DOCK", "WH-A", "A-01", "A-02", "DEP", "DEP-01"}  # A-03 is deactivated
    assert places["WH-DOCK"] == {"code": "WH-DOCK", "name": "WH-DOCK", "kind": "dock", "parent": "WH"}
    assert places["A-01"]["kind"] == "bin" and places["A-01"]["parent"] == "WH-A"
    assert places["WH"]["parent"] is None
    assert body["purchase_orders"] == [{"number": open_po.number, "supplier": "Acme", "status": "open"}]
    assert closed.number not in resp.text and draft.number not in resp.text
    assert body["next"] is None


def test_many_places_come_in_pages_that_never_skip_or_repeat_one(staff, warehouse, monkeypatch):
    from app.stock import scan_routes

    monkeypatch.setattr(scan_routes, "OFFLINE_PAGE", 3)
    seen, url, pages = [], "/stock/offline-codes", 0
    while url:
        body = staff.get(url).get_json()
        pages += 1
        assert len(body["places"]) <= 3
        assert ("purchase_orders" in body) == (pages == 1)  # the orders come once, with the first page
        seen += [p["code"] for p in body["places"]]
        url = body["next"]
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize(("role", "status"), [("staff", 200), ("manager", 200), ("admin", 200), ("technician", 403)])
def test_the_offline_codes_are_for_the_stock_floor_only(login, warehouse, role, status):
    assert login(role).get("/stock/offline-codes").status_code == status


def test_signed_out_phones_get_no_codes(client, warehouse):
    resp = client.get("/stock/offline-codes")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_every_multi_step_scan_form_tells_the_phone_how_to_fill_it_in_offline(staff, warehouse):
    page = staff.get("/stock/pick").text
    assert 'data-offline-steps="stock"' in page and 'data-needs="item src"' in page
    assert 'data-codes-url="/stock/offline-codes"' in page and 'name="held" value=""' in page
    assert 'data-slot-box="src"' in page and 'data-slot-box="item"' in page


# --- an item the phone held offline, sent when the connection is back ---------------------------------------------------


def test_an_item_held_on_the_phone_is_read_before_the_scan_that_completes_the_move(staff, item, put_stock):
    put_stock(item, "A-01", 5)
    before = movements()
    resp = post_scan(staff, "/stock/move", held=item.ean, scan="A-02", src="A-01")
    assert resp.status_code == 200 and "Moved" in resp.text and "1 × OFFL-1" in resp.text
    assert 'name="dst" value=""' in resp.text and 'name="held" value=""' in resp.text
    assert movements() == before + 1
    db.session.rollback()
    on_hand = {loc.code: qty for loc, _lot, qty, _a in queries.on_hand_by_location(db.session, item.id)}
    assert on_hand == {"A-01": 4, "A-02": 1}


def test_changing_the_bin_keeps_the_item_the_phone_held(staff, item):
    resp = post_scan(staff, "/stock/pick", held=item.ean, src="A-01", clear="src")
    assert resp.status_code == 200
    assert f'name="item" value="{item.ean.zfill(14)}"' in resp.text and 'name="src" value=""' in resp.text
    assert movements() == 0


# --- replayed scans that complete nothing are conflicts ----------------------------------------------------------------


def test_a_replayed_item_scan_without_its_bin_is_a_conflict_saying_what_to_do(staff, item):
    resp = post_scan(staff, "/stock/pick", headers=REPLAY, scan_id="offline-pick-no-bin-1", scan=item.ean)
    assert resp.status_code == 422
    assert "scan-failed" in events(resp)
    [row] = conflicts()
    assert resp.headers["X-Scan-Conflict"] == str(row.id)
    assert row.scan_id == "offline-pick-no-bin-1" and row.url == "/stock/pick" and row.actor_id == staff.user.id
    assert row.reason == ("OFFL-1 Offline widget was scanned offline on the Pick screen, but no bin to take from was "
                          "held, so nothing was picked. Pick it again.")
    assert row.error_code == "incomplete" and row.http_status == 422
    assert not row.retryable  # the same form would be just as incomplete
    assert movements() == 0


def test_a_replayed_bin_scan_that_only_fills_in_the_form_is_a_conflict_not_a_silent_200(staff, item):
    resp = post_scan(staff, "/stock/pick", headers=REPLAY, scan="A-01")
    assert resp.status_code == 422 and resp.headers.get("X-Scan-Conflict")
    [row] = conflicts()
    assert row.reason.startswith("A-01 was scanned offline on the Pick screen, but no item came with it")
    assert "check them" in row.reason


@pytest.mark.parametrize(
    ("url", "fields", "reason"),
    [
        ("/stock/receive", {"po": ""}, "but no dock or bin to receive into was held, so nothing was received."),
        ("/stock/move", {"src": "A-01"}, "but no bin it goes to was held, so nothing was moved. Move it again."),
        ("/stock/put-away", {"dst": "A-01"}, "but no bin to take from was held, so nothing was put away."),
        ("/stock/issue", {"src": "A-01"}, "but no job or cost centre was given, so nothing was issued."),
    ],
)
def test_each_flow_names_what_a_replayed_scan_was_missing(staff, item, url, fields, reason):
    resp = post_scan(staff, url, headers=REPLAY, scan=item.ean, **fields)
    assert resp.status_code == 422
    [row] = conflicts()
    assert row.reason.startswith("OFFL-1 Offline widget was scanned offline on the ") and reason in row.reason
    assert movements() == 0


def test_a_replayed_scan_that_completes_the_action_applies_once_and_is_no_conflict(staff, item, put_stock):
    put_stock(item, "A-01", 5)
    before = movements()
    for _ in range(2):  # the answer got lost: the phone sends it again
        resp = post_scan(staff, "/stock/pick", headers=REPLAY, scan_id="offline-pick-complete-1", scan=item.ean,
                         src="A-01")
        assert resp.status_code == 200 and "X-Scan-Conflict" not in resp.headers
    assert movements() == before + 1 and conflicts() == []


def test_a_live_bin_scan_still_just_fills_in_the_form(staff, item):
    resp = post_scan(staff, "/stock/pick", scan="A-01")
    assert resp.status_code == 200 and 'name="src" value="A-01"' in resp.text
    assert conflicts() == []


def test_counts_replayed_offline_bin_alone_or_item_without_bin_are_conflicts(staff, warehouse, item, put_stock):
    put_stock(item, "A-01", 4)
    number = counting.create_count(location_code="WH-A", blind=True, assigned_to=staff.user.id, actor_id=None,
                                   uow=UnitOfWork()).number
    url = f"/stock/counts/{number}"
    only_bin = post_scan(staff, url, headers=REPLAY, scan="A-01")
    no_bin = post_scan(staff, url, headers=REPLAY, scan=item.ean)
    counted = post_scan(staff, url, headers=REPLAY, scan=item.ean, bin="A-01")
    assert (only_bin.status_code, no_bin.status_code, counted.status_code) == (422, 422, 200)
    first, second = conflicts()
    assert first.reason.startswith(f"Bin A-01 was scanned offline for count {number}; that only chooses the bin")
    assert second.reason == (f"OFFL-1 Offline widget was counted offline for count {number}, but no bin was held, "
                             "so nothing was counted. Count it again in its bin.")
    db.session.rollback()
    assert [line.counted for line in counting.get_count(db.session, number).lines if line.counted] == [1]


def test_order_picks_replayed_offline_bin_alone_or_item_without_bin_are_conflicts(staff, make_item, put_stock):
    thing = make_item("ORD-OFF")
    put_stock(thing, "A-02", 5)
    number = orders.create_order(customer="C", lines=[("ORD-OFF", 2)], actor_id=None, uow=UnitOfWork()).number
    orders.allocate(number=number, uow=UnitOfWork())
    url = f"/stock/orders/{number}/pick"
    assert post_scan(staff, url, headers=REPLAY, scan="A-02").status_code == 422
    assert post_scan(staff, url, headers=REPLAY, scan=thing.ean).status_code == 422
    assert post_scan(staff, url, headers=REPLAY, scan=thing.ean, bin="A-02").status_code == 200
    first, second = conflicts()
    assert first.reason.startswith(f"Bin A-02 was scanned offline to pick {number}; that only chooses the bin")
    assert second.reason.startswith("ORD-OFF ") and "no bin was held, so nothing was picked" in second.reason
    assert movements("pick") == 1


def test_a_replayed_add_to_batch_is_a_conflict_while_the_replayed_check_out_of_the_batch_applies(login):
    from app.assets.models import Loan

    tech = login("technician")
    model = a_model()
    for tag in ("OB-1", "OB-2"):
        an_asset(tag, model=model)
    step = post_scan(tech, "/assets/checkout", headers=REPLAY, tags="ob-2", collect="1")
    assert step.status_code == 422 and step.headers.get("X-Scan-Conflict")
    [row] = conflicts()
    assert row.reason.startswith("OB-2 was added to a check-out batch offline; adding to a batch checks nothing out")
    done = post_scan(tech, "/assets/checkout", headers=REPLAY, batch=["OB-1", "OB-2"], tags="",
                     due_on=(date.today() + timedelta(days=3)).isoformat(), condition_out="good")
    assert done.status_code == 200 and "Checked out OB-1, OB-2" in done.text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 2
