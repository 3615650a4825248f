"""Idempotency-Key semantics the integrations depend on: copies sent at the same moment all get the first answer
(status and body), a key is the sending user's own, and a reused key with another body is refused everywhere —
the scan lookup included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.assets.models import Asset, AssetEvent, Reservation
from app.extensions import db
from app.locations.models import Location
from app.stock.models import Item
from tests.asset_helpers import an_asset

COPIES = 6


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _send_at_once(app, concurrently, method: str, path: str, body: dict, headers: dict) -> list:
    def send(_i):
        resp = app.test_client().open(path, method=method, json=body, headers=headers)
        return resp.status_code, resp.get_json(), resp.headers.get("Idempotent-Replayed")

    results = concurrently(COPIES, send)
    db.session.rollback()  # the test's own read snapshot began before the copies wrote
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    return results


def _all_the_first_answer(results: list, status: int) -> dict:
    assert {code for code, _body, _replayed in results} == {status}, results
    bodies = [body for _code, body, _replayed in results]
    assert all(body == bodies[0] for body in bodies), bodies
    assert sorted(str(replayed) for _c, _b, replayed in results) == ["None"] + ["true"] * (COPIES - 1)
    return bodies[0]


def test_copies_of_a_create_sent_at_once_all_get_the_first_201_and_one_location_is_made(app, concurrently,
                                                                                          token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "erp-site-create-0001"}
    results = _send_at_once(app, concurrently, "POST", "/api/v1/locations",
                            {"code": "WH9", "name": "Nine", "kind": "site"}, headers)
    body = _all_the_first_answer(results, 201)
    assert body["code"] == "WH9"
    assert _count(Location) == 1


def test_copies_of_a_check_out_sent_at_once_all_get_the_first_200_and_it_is_lent_once(app, concurrently,
                                                                                       token_for, make_user):
    an_asset("LN-0500")
    tech = make_user("technician")
    headers = {**token_for("technician", tech), "Idempotency-Key": "field-app-checkout-0001"}
    due = (date.today() + timedelta(days=3)).isoformat()
    results = _send_at_once(app, concurrently, "POST", "/api/v1/assets/LN-0500/checkout",
                            {"assignee": tech.email, "due": due}, headers)
    body = _all_the_first_answer(results, 200)
    assert body == {"tags": ["LN-0500"], "holder": body["holder"], "due_on": due}
    assert _count(AssetEvent, AssetEvent.kind == "checked_out") == 1


def test_copies_of_a_reservation_and_of_an_asset_registration_sent_at_once_apply_once(app, concurrently,
                                                                                      token_for):
    an_asset("LN-0501")
    start = datetime.now(UTC) + timedelta(days=5)
    window = {"tag": "LN-0501", "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat()}
    tech = {**token_for("technician"), "Idempotency-Key": "booking-tool-0001"}
    _all_the_first_answer(_send_at_once(app, concurrently, "POST", "/api/v1/reservations", window, tech), 201)
    assert _count(Reservation) == 1
    mgr = {**token_for("manager"), "Idempotency-Key": "erp-asset-new-0001"}
    new = {"tag": "LN-0502", "model": {"manufacturer": "Bosch", "name": "GLM 50", "category": "Lasers"}}
    _all_the_first_answer(_send_at_once(app, concurrently, "POST", "/api/v1/assets", new, mgr), 201)
    assert _count(Asset, Asset.tag == "LN-0502") == 1


def test_copies_of_an_item_patch_sent_at_once_all_get_the_first_answer(app, concurrently, token_for, make_item):
    make_item("PATCH-1")
    headers = {**token_for("manager"), "Idempotency-Key": "erp-item-edit-0001"}
    results = _send_at_once(app, concurrently, "PATCH", "/api/v1/items/PATCH-1",
                            {"name": "Renamed", "active": False}, headers)
    body = _all_the_first_answer(results, 200)
    assert body["name"] == "Renamed" and body["active"] is False


def test_a_replay_answers_with_the_first_status_and_the_document_says_so(client, token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "erp-site-create-0002"}
    first = client.post("/api/v1/locations", json={"code": "WH8", "kind": "site"}, headers=headers)
    again = client.post("/api/v1/locations", json={"code": "WH8", "kind": "site"}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    op = spec["paths"]["/api/v1/locations"]["post"]
    assert "200" not in op["responses"]  # a replay of a 201 is a 201, not a 200
    assert "Idempotent-Replayed" in op["responses"]["201"]["headers"]
    key = next(p for p in op["parameters"] if p["name"] == "Idempotency-Key")
    assert "same status" in key["description"]


def test_two_users_may_use_the_same_key_and_both_writes_apply(client, token_for, make_item, put_stock):
    put_stock(make_item("SHARED-1"), "A-01", 10)
    body = {"sku": "SHARED-1", "location": "A-01", "quantity": 2}
    first = client.post("/api/v1/stock/pick", json=body, headers={**token_for("staff"), "Idempotency-Key": "k-000001"})
    second = client.post("/api/v1/stock/pick", json=body, headers={**token_for("staff"), "Idempotency-Key": "k-000001"})
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in second.headers
    assert first.json["movement_ids"] != second.json["movement_ids"]
    assert db.session.scalar(select(Item.on_hand_total).where(Item.sku == "SHARED-1")) == 6


def test_one_user_reusing_a_key_with_another_body_gets_422_and_nothing_applies(client, token_for):
    headers = {**token_for("manager"), "Idempotency-Key": "k-000002"}
    assert client.post("/api/v1/locations", json={"code": "WH5", "kind": "site"}, headers=headers).status_code == 201
    other = client.post("/api/v1/locations", json={"code": "WH6", "kind": "site"}, headers=headers)
    assert other.status_code == 422 and other.json["code"] == "idempotency_mismatch"
    assert other.json["field"] == "Idempotency-Key"
    assert _count(Location) == 1


def test_a_long_key_is_kept_per_user_too(client, token_for):
    key = "x" * 100
    a = client.post("/api/v1/locations", json={"code": "WH1", "kind": "site"},
                    headers={**token_for("manager"), "Idempotency-Key": key})
    b = client.post("/api/v1/locations", json={"code": "WH2", "kind": "site"},
                    headers={**token_for("manager"), "Idempotency-Key": key})
    assert a.status_code == b.status_code == 201 and _count(Location) == 2


def test_the_scan_lookup_refuses_a_reused_key_with_another_body(client, token_for):
    headers = {**token_for("staff"), "Idempotency-Key": "scan-key-000001"}
    first = client.post("/api/v1/scan", json={"code": "4006381333931"}, headers=headers)
    again = client.post("/api/v1/scan", json={"code": "4006381333931"}, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/scan", json={"code": "WH1"}, headers=headers)
    assert other.status_code == 422 and other.json["code"] == "idempotency_mismatch"
    # Without a key the lookup stays a plain read.
    assert client.post("/api/v1/scan", json={"code": "WH1"}, headers=token_for("staff")).status_code == 200


def test_a_refused_write_keeps_no_key_and_the_document_says_a_fixed_retry_runs_again(client, token_for, make_item,
                                                                                     put_stock):
    item = make_item("KEEP-1")
    headers = {**token_for("staff"), "Idempotency-Key": "erp-pick-keep-0001"}
    body = {"sku": "KEEP-1", "location": "A-01", "quantity": 3}
    assert client.post("/api/v1/stock/pick", json=body, headers=headers).status_code == 409  # nothing there yet
    put_stock(item, "A-01", 5)
    again = client.post("/api/v1/stock/pick", json=body, headers=headers)
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert again.json["on_hand_from"] == "2"
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    key = next(p for p in spec["paths"]["/api/v1/stock/pick"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert "Only a successful answer is kept" in key["description"]
    assert "sent again with the same key once the cause is fixed" in key["description"]
