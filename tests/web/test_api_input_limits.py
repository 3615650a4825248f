"""Valid-looking input the API once answered with a 500: each is now a 422 naming the request's field, and
nothing is written. Also: a lot for an item without lots, and error fields named as the request names them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.assets.models import Asset, AssetEvent, Reservation
from app.extensions import db
from app.stock.models import Item, StockMovement
from tests.asset_helpers import a_model, an_asset
from tests.stock_fixtures import new_ean


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_reservation_time_without_a_time_zone_is_a_422_not_a_500(client, token_for):
    an_asset("LN-0300")
    resp = client.post("/api/v1/reservations", json={"tag": "LN-0300", "starts_at": "2030-02-01T12:00:00",
                                                     "ends_at": "2030-02-02T12:00:00+00:00"},
                       headers=token_for("technician"))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.json["field"] == "starts_at" and "timezone" in resp.json["detail"]
    assert _count(Reservation) == 0
    ok = client.post("/api/v1/reservations", json={"tag": "LN-0300", "starts_at": "2030-02-01T12:00:00Z",
                                                   "ends_at": "2030-02-02T12:00:00+01:00"},
                     headers=token_for("technician"))
    assert ok.status_code == 201, ok.json


def test_the_openapi_document_asks_for_reservation_times_with_an_offset(client, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for("staff")).json
    starts = spec["components"]["schemas"]["ReservationIn"]["properties"]["starts_at"]
    assert starts["format"] == "date-time" and "offset" in starts["description"]


def test_a_due_date_years_ahead_is_a_422_naming_due_not_a_500(client, token_for):
    an_asset("LN-0301", pool="demo")  # a demo unit may go to a customer
    tech = token_for("technician")
    for due in ("9999-12-31", (date.today() + timedelta(days=6 * 366)).isoformat()):
        resp = client.post("/api/v1/assets/LN-0301/checkout", json={"assignee": "ACME Ltd", "due": due}, headers=tech)
        assert resp.status_code == 422, resp.json
        assert resp.json["field"] == "due" and "five years" in resp.json["detail"]
    assert _count(AssetEvent) == 1  # its registration only
    fine = (date.today() + timedelta(days=4 * 365)).isoformat()
    assert client.post("/api/v1/assets/LN-0301/checkout", json={"assignee": "ACME Ltd", "due": fine},
                       headers=tech).status_code == 200


def test_a_receipt_worth_more_than_the_books_hold_is_a_422_not_a_500(client, token_for, make_item):
    make_item("BIG-1")
    floor = token_for("staff")
    resp = client.post("/api/v1/stock/receive", json={"sku": "BIG-1", "location": "A-01", "quantity": 1e9,
                                                      "unit_cost": 1e9}, headers=floor)
    assert resp.status_code == 422 and resp.json["field"] == "quantity"
    assert "more than one movement can be worth" in resp.json["detail"]
    assert _count(StockMovement) == 0
    # Each receipt within the limit, but together more than one item's stock can be worth.
    for _ in range(5):
        assert client.post("/api/v1/stock/receive", json={"sku": "BIG-1", "location": "A-01", "quantity": 100_000_000,
                                                          "unit_cost": 1000}, headers=floor).status_code == 200
    more = client.post("/api/v1/stock/receive", json={"sku": "BIG-1", "location": "A-01", "quantity": 1,
                                                      "unit_cost": 1}, headers=floor)
    assert more.status_code == 422 and "more than one item can hold" in more.json["detail"]
    assert _count(StockMovement) == 5


def test_the_receive_limits_are_in_the_openapi_document(client, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for("staff")).json
    assert "100,000,000,000" in spec["components"]["schemas"]["ReceiveIn"]["description"]


@pytest.mark.parametrize("path, body", [
    ("/api/v1/stock/receive", {"sku": "PLAIN-1", "location": "A-01", "quantity": 1, "lot": "L1"}),
    ("/api/v1/stock/move", {"sku": "PLAIN-1", "from_location": "A-01", "to_location": "A-02", "quantity": 1,
                            "lot": "L1"}),
    ("/api/v1/stock/pick", {"sku": "PLAIN-1", "location": "A-01", "quantity": 1, "lot": "L1"}),
    ("/api/v1/stock/count", {"sku": "PLAIN-1", "location": "A-01", "counted": 1, "lot": "L1"}),
    ("/api/v1/stock/return", {"sku": "PLAIN-1", "location": "A-01", "quantity": 1, "lot": "L1"}),
])
def test_a_lot_for_an_item_without_lots_is_refused_not_ignored(client, token_for, make_item, put_stock, path, body):
    put_stock(make_item("PLAIN-1"), "A-01", 5)
    before = _count(StockMovement)
    resp = client.post(path, json=body, headers=token_for("manager"))
    assert resp.status_code == 422 and resp.json["field"] == "lot"
    assert "not tracked by lot" in resp.json["detail"]
    assert _count(StockMovement) == before


def test_error_fields_are_named_as_the_request_names_them(client, token_for, make_item, warehouse):
    make_item("NAMED-1")
    floor = token_for("staff")
    po = client.post("/api/v1/stock/receive", json={"sku": "NAMED-1", "location": "A-01", "quantity": 1,
                                                    "purchase_order": "PO-NOPE"}, headers=floor)
    assert po.status_code == 404 and po.json["field"] == "purchase_order"
    where = client.post("/api/v1/stock/receive", json={"sku": "NAMED-1", "location": "NOWHERE", "quantity": 1},
                        headers=floor)
    assert where.status_code == 404 and where.json["field"] == "location"
    an_asset("LN-0302")
    past = client.post("/api/v1/assets/LN-0302/checkout", json={"assignee": "ACME Ltd", "due": "2020-01-01"},
                       headers=token_for("technician"))
    assert past.status_code == 422 and past.json["field"] == "due"
    nobody = client.post("/api/v1/assets", json={"tag": "LN-0303", "location": "NOWHERE",
                                                 "model": {"manufacturer": "F", "name": "M", "category": "C"}},
                         headers=token_for("manager"))
    assert nobody.status_code == 404 and nobody.json["field"] == "location"


# --- times near the calendar's ends (reservations) --------------------------------------------------------------

def _in_years(years: float) -> str:
    return (datetime.now(UTC) + timedelta(days=round(365.25 * years))).replace(microsecond=0).isoformat()


@pytest.mark.parametrize("starts_at, ends_at, field, message", [
    # Shifted to UTC these leave the calendar (year 0, year 10000): they were a 500 in the overlap query.
    ("0001-01-01T00:00:00+14:00", "2030-02-02T12:00:00Z", "starts_at", "within five years"),
    ("2030-02-01T12:00:00Z", "9999-12-31T23:59:59-14:00", "ends_at", "within five years"),
    # Within the calendar, but no booking is that long: refused like a due date in 9999.
    ("2030-02-01T12:00:00Z", "9999-12-31T23:59:59Z", "ends_at", "more than five years from now"),
    ("0001-01-01T00:00:00Z", "2030-02-02T12:00:00Z", "starts_at", "more than five years ago"),
    (_in_years(1), _in_years(5.1), "ends_at", "more than five years from now"),
    # Numbers are not times (lax parsing read them as seconds since 1970).
    (1_900_000_000, "2030-02-02T12:00:00Z", "starts_at", "date and time with its offset"),
    ("1900000000", "2030-02-02T12:00:00Z", "starts_at", "date and time with its offset"),
])
def test_a_reservation_time_beyond_five_years_or_the_calendar_is_a_422_not_a_500(client, token_for, starts_at,
                                                                                 ends_at, field, message):
    an_asset("LN-0310")
    resp = client.post("/api/v1/reservations", json={"tag": "LN-0310", "starts_at": starts_at, "ends_at": ends_at},
                       headers=token_for("technician"))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.json
    assert resp.json["field"] == field and message in resp.json["detail"]
    assert _count(Reservation) == 0


def test_a_reservation_just_inside_five_years_is_booked(client, token_for):
    an_asset("LN-0311")
    resp = client.post("/api/v1/reservations", json={"tag": "LN-0311", "starts_at": _in_years(4.9),
                                                     "ends_at": _in_years(4.95)}, headers=token_for("technician"))
    assert resp.status_code == 201, resp.json
    # The answer gives the times in UTC, whatever offset they were sent with.
    sent = client.post("/api/v1/reservations", json={"tag": "LN-0311", "starts_at": "2030-02-01T09:00:00+14:00",
                                                     "ends_at": "2030-02-01T10:00:00+14:00"},
                       headers=token_for("technician"))
    assert sent.status_code == 201 and sent.json["starts_at"].startswith("2030-01-31T19:00:00")


# --- hand-made list cursors --------------------------------------------------------------------------------------

def _cursor(*key) -> str:
    # As paging.encode makes them, but from any values at all (json.dumps escapes NUL and lone surrogates).
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path, key", [
    ("/api/v1/locations", (10**30, "A")),          # beyond walk_order's 32-bit column (an overflow on both)
    ("/api/v1/locations", (2**31, "A")),
    ("/api/v1/stock", ("A", 10**20, "B", "C")),
    ("/api/v1/items", ("A\x00B",)),                # PostgreSQL cannot compare a NUL
    ("/api/v1/items", ("\ud800",)),                # a lone surrogate cannot be sent to either database
    ("/api/v1/stock", ("\ud800", 1, "B", "C")),
    ("/api/v1/assets", ("X" * 200,)),              # longer than any tag
    ("/api/v1/locations", (True, "A")),
    ("/api/v1/reservations", ("0001-01-01T00:00:00+14:00", 1)),  # year 0 in UTC
    ("/api/v1/reservations", ("2030-01-01T00:00:00", 1)),        # no offset: no moment
    ("/api/v1/reservations", ("tomorrow", 1)),
])
def test_a_hand_made_cursor_the_api_never_gave_is_malformed_not_a_500(client, token_for, warehouse, path, key):
    resp = client.get(path, query_string={"after": _cursor(*key)}, headers=token_for("staff"))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.json
    assert resp.json["field"] == "after" and "cursor is malformed" in resp.json["detail"]


@pytest.mark.parametrize("path, key", [
    ("/api/v1/locations", (2**31 - 1, "A")),
    ("/api/v1/locations", (-(2**31), "A")),
    ("/api/v1/stock", ("ZZZ", 2**31 - 1, "Z", "")),
    ("/api/v1/items", ("Ä" * 40,)),
    ("/api/v1/reservations", ("9999-12-31T23:59:59+00:00", 2**31 - 1)),
])
def test_a_cursor_at_the_edge_of_what_can_be_stored_is_read(client, token_for, warehouse, path, key):
    resp = client.get(path, query_string={"after": _cursor(*key)}, headers=token_for("staff"))
    assert resp.status_code == 200, resp.json
    assert resp.json["next"] is None


# --- bodies that are not JSON ------------------------------------------------------------------------------------

def _writes():
    import app.api.routes  # noqa: F401 - declares the operations
    from app.api.openapi import OPERATIONS

    return [op for op in OPERATIONS if op.body is not None]


def _url(op) -> str:
    return op.path.replace("{sku}", "NEST-1").replace("{tag}", "LN-0320")


@pytest.mark.parametrize("op", _writes(), ids=lambda op: f"{op.method} {op.path}")
def test_a_body_nested_a_thousand_deep_is_a_400_on_every_write_not_a_500(client, token_for, op):
    nested = "[" * 1000 + "]" * 1000  # 2 KB: Flask's get_json() raised RecursionError on it
    resp = client.open(_url(op), method=op.method.upper(), data=nested, content_type="application/json",
                       headers=token_for("admin"))
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json", resp.data
    assert resp.json["detail"] == "The body is not valid JSON (nested too deeply)."


@pytest.mark.parametrize("body, why", [
    ("{", "not valid JSON"),
    ('{"code": "\\ud800"}', "not valid JSON"),          # a lone surrogate
    ('{"code": ' + "[" * 300 + "]" * 300 + "}", "nested too deeply"),
    (b'{"code": "\xff"}', "not valid JSON"),             # not UTF-8
])
def test_a_body_that_is_not_json_is_a_400_saying_so(client, token_for, body, why):
    resp = client.post("/api/v1/scan", data=body, content_type="application/json", headers=token_for("staff"))
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json", resp.data
    assert why in resp.json["detail"]


def test_a_body_without_the_json_content_type_is_a_400_asking_for_it(client, token_for):
    resp = client.post("/api/v1/scan", data='{"code": "X"}', content_type="text/plain", headers=token_for("staff"))
    assert resp.status_code == 400 and "Content-Type: application/json" in resp.json["detail"]


# --- error fields named per operation ----------------------------------------------------------------------------

def test_barcode_and_tag_errors_name_the_field_the_client_sent(client, token_for, make_item, warehouse):
    taken = make_item("NAMED-2").ean
    manager = token_for("manager")
    good = new_ean()

    def item(sku, *barcodes):
        return client.post("/api/v1/items", json={"sku": sku, "name": "Named", "barcodes": list(barcodes)},
                           headers=manager)

    wrong_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    resp = item("NAMED-3", {"code": good}, {"code": wrong_digit})
    assert resp.status_code == 422 and resp.json["field"] == "barcodes.1.code"
    resp = item("NAMED-3", {"code": taken})
    assert resp.status_code == 409 and resp.json["field"] == "barcodes.0.code"
    assert "already belongs to another item" in resp.json["detail"]
    resp = item("NAMED-3", {"code": good, "level": "case", "pack_quantity": 1})
    assert resp.status_code == 422 and resp.json["field"] == "barcodes.0.pack_quantity"
    # The SKU itself refused as some other thing's code is still the sku.
    resp = item("A-01")
    assert resp.status_code == 409 and resp.json["field"] == "sku"
    assert _count(Item) == 1  # NAMED-2 only: each refusal wrote nothing, not even the item

    model = {"manufacturer": "F", "name": "M", "category": "C"}
    for tag, status in (("A-01", 409), ("USR-00042", 422)):  # a bin's code; a people's-badge code
        resp = client.post("/api/v1/assets", json={"tag": tag, "model": model}, headers=manager)
        assert resp.status_code == status and resp.json["field"] == "tag", resp.json
    # On the stock operations a refused item code is the request's sku.
    resp = client.post("/api/v1/stock/receive", json={"sku": "NOPE-1", "location": "A-01", "quantity": 1},
                       headers=manager)
    assert resp.status_code == 404 and resp.json["field"] == "sku"


# --- input that was quietly ignored ------------------------------------------------------------------------------

def test_an_expiry_for_an_item_without_lots_is_refused_not_dropped(client, token_for, make_item):
    make_item("PLAIN-2")
    make_item("LOTTED-2", tracking="lot")
    floor = token_for("staff")
    expiry = (date.today() + timedelta(days=90)).isoformat()
    resp = client.post("/api/v1/stock/receive", json={"sku": "PLAIN-2", "location": "A-01", "quantity": 1,
                                                      "expiry": expiry}, headers=floor)
    assert resp.status_code == 422 and resp.json["field"] == "expiry" and "not tracked by lot" in resp.json["detail"]
    assert _count(StockMovement) == 0
    ok = client.post("/api/v1/stock/receive", json={"sku": "LOTTED-2", "location": "A-01", "quantity": 1,
                                                    "lot": "L-7", "expiry": expiry}, headers=floor)
    assert ok.status_code == 200, ok.json


def test_a_reservation_naming_a_tag_and_another_model_is_refused(client, token_for):
    asset = an_asset("LN-0330")
    other = a_model("Bosch", "GLM 50", "Measuring")
    tech = token_for("technician")
    window = {"starts_at": "2030-03-01T09:00:00Z", "ends_at": "2030-03-01T17:00:00Z"}
    resp = client.post("/api/v1/reservations", json={"tag": "LN-0330", "model_id": other.id, **window}, headers=tech)
    assert resp.status_code == 422 and resp.json["field"] == "model_id"
    assert f"LN-0330 is a Fluke 87V Multimeter (model {asset.model_id}), not model {other.id}" in resp.json["detail"]
    assert _count(Reservation) == 0
    same = client.post("/api/v1/reservations", json={"tag": "LN-0330", "model_id": asset.model_id, **window},
                       headers=tech)
    assert same.status_code == 201 and same.json["model_id"] == asset.model_id


def test_registering_a_known_model_under_another_category_is_refused(client, token_for):
    a_model("Fluke", "87V Multimeter", "Test equipment")
    manager = token_for("manager")
    model = {"manufacturer": "Fluke", "name": "87V Multimeter", "category": "Furniture"}
    resp = client.post("/api/v1/assets", json={"tag": "LN-0340", "model": model}, headers=manager)
    assert resp.status_code == 409 and resp.json["field"] == "model.category"
    assert "registered in the category Test equipment, not Furniture" in resp.json["detail"]
    assert _count(Asset) == 0
    same = client.post("/api/v1/assets", json={"tag": "LN-0340", "model": {**model, "category": "test equipment"}},
                       headers=manager)
    assert same.status_code == 201 and same.json["category"] == "Test equipment"


def test_the_same_barcode_twice_in_one_item_is_listed_twice_not_taken(client, token_for, warehouse):
    ean = new_ean()
    resp = client.post("/api/v1/items", json={"sku": "TWICE-1", "name": "Twice", "barcodes": [
        {"code": ean}, {"code": "0" + ean, "level": "case", "pack_quantity": 6}]},  # its GTIN-14 spelling
        headers=token_for("manager"))
    assert resp.status_code == 422 and resp.json["field"] == "barcodes.1.code"
    assert "listed twice" in resp.json["detail"] and "another item" not in resp.json["detail"]
    assert _count(Item) == 0


def test_the_document_and_the_service_agree_a_lot_is_at_most_20_characters(client, token_for, make_item):
    make_item("LOTTED-3", tracking="lot")
    headers = token_for("staff")
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    for schema in ("ReceiveIn", "MoveIn", "PickIn", "ReturnIn", "CountIn"):
        assert spec["components"]["schemas"][schema]["properties"]["lot"]["anyOf"][0]["maxLength"] == 20, schema
    resp = client.post("/api/v1/stock/receive", json={"sku": "LOTTED-3", "location": "A-01", "quantity": 1,
                                                      "lot": "L" * 21}, headers=headers)
    assert resp.status_code == 422 and resp.json["field"] == "lot"
    assert client.post("/api/v1/stock/receive", json={"sku": "LOTTED-3", "location": "A-01", "quantity": 1,
                                                      "lot": "L" * 20}, headers=headers).status_code == 200


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/assets", {"tag": "LN-0350", "warranty_end": 0}, "warranty_end"),          # was 1970-01-01
    ("/api/v1/assets", {"tag": "LN-0350", "purchase_date": "1700000000"}, "purchase_date"),
    ("/api/v1/assets", {"tag": "LN-0350", "useful_life_months": "36"}, "useful_life_months"),
    ("/api/v1/assets", {"tag": "LN-0350", "useful_life_months": 36.0}, "useful_life_months"),
    ("/api/v1/locations", {"code": "LAX-1", "kind": "bin", "walk_order": True}, "walk_order"),  # was 1
    ("/api/v1/items", {"sku": "LAX-1", "name": "Lax", "lead_time_days": True}, "lead_time_days"),
    ("/api/v1/items", {"sku": "LAX-1", "name": "Lax", "tracking": "lot", "expiry_required": 1}, "expiry_required"),
    ("/api/v1/items", {"sku": "LAX-1", "name": "Lax", "reorder_point": True}, "reorder_point"),
])
def test_values_of_the_wrong_json_type_are_refused_not_converted(client, token_for, path, body, field):
    if path == "/api/v1/assets":
        body = {**body, "model": {"manufacturer": "F", "name": "M", "category": "C"}}
    resp = client.post(path, json=body, headers=token_for("manager"))
    assert resp.status_code == 422 and resp.json["field"] == field, resp.json
    assert _count(Asset) == 0 and _count(Item) == 0


def test_quantities_stay_json_numbers_or_decimal_strings(client, token_for, make_item):
    make_item("QTY-1", uom="kg")
    floor = token_for("staff")
    for quantity in (2, 2.5, "1.25"):
        resp = client.post("/api/v1/stock/receive", json={"sku": "QTY-1", "location": "A-01", "quantity": quantity,
                                                          "unit_cost": "1.10"}, headers=floor)
        assert resp.status_code == 200, resp.json
    item = client.get("/api/v1/items/QTY-1", headers=floor).json
    assert Decimal(item["on_hand"]) == Decimal("5.75")
