"""Valid-looking input the API once answered with a 500: each is now a 422 naming the request's field, and
nothing is written. Also: a lot for an item without lots, and error fields named as the request names them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.api.services import create_token
from app.assets.models import AssetEvent, Reservation
from app.extensions import db
from app.stock.models import StockMovement
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset


@pytest.fixture
def token_for(make_user):
    def make(role: str) -> dict:
        user = make_user(role)
        return {"Authorization": f"Bearer {create_token(user_id=user.id, name='t', uow=UnitOfWork()).token}"}

    return make


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
