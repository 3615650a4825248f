"""The scan hub resolves any code in one lookup and answers as a page or an htmx partial with an event."""

from __future__ import annotations

import json

from app.locations.services import create_location
from app.uow import UnitOfWork


def _bin():
    create_location(code="WH1", name="Main", kind="site", uow=UnitOfWork())
    create_location(code="WH1-A", name="Zone A", kind="zone", parent_code="WH1", uow=UnitOfWork())
    create_location(code="WH1-A1-1", name="Aisle 1 level 1", kind="bin", parent_code="WH1-A", uow=UnitOfWork())


def test_scanning_a_bin_code_shows_the_bin_and_announces_success(login):
    _bin()
    c = login("staff")
    resp = c.hx_get("/scan/resolve?code=wh1-a1-1")
    assert resp.status_code == 200
    assert b"Aisle 1 level 1" in resp.data and b"WH1 \xe2\x80\xba WH1-A \xe2\x80\xba WH1-A1-1" in resp.data
    assert b"<html" not in resp.data
    event = json.loads(resp.headers["HX-Trigger"])
    assert event["scan-succeeded"] == {"kind": "location", "code": "WH1-A1-1"}


def test_without_htmx_the_same_answer_is_a_full_page(login):
    _bin()
    resp = login("staff").get("/scan/resolve?code=WH1-A1-1")
    assert resp.status_code == 200 and b"<html" in resp.data and b"Aisle 1 level 1" in resp.data


def test_an_unknown_code_says_so_with_404_and_a_failure_event(login):
    resp = login("technician").hx_get("/scan/resolve?code=4006381333931")
    assert resp.status_code == 404
    assert b"Unknown code 04006381333931" in resp.data
    assert "scan-failed" in json.loads(resp.headers["HX-Trigger"])


def test_a_malformed_code_gets_the_specific_reason_with_422(login):
    resp = login("staff").hx_get("/scan/resolve?code=4006381333932")
    assert resp.status_code == 422
    assert b"wrong check digit" in resp.data
    assert json.loads(resp.headers["HX-Trigger"])["scan-failed"]["message"].startswith("The barcode")


def test_gs1_fields_are_shown_even_for_an_unknown_product(login):
    resp = login("staff").hx_get("/scan/resolve", query_string={"code": "0107032069804988172612311012AB"})
    assert resp.status_code == 404
    assert b"2026-12-31" in resp.data and b"12AB" in resp.data


def test_the_scan_page_keeps_the_field_ready_for_a_hardware_scanner(login):
    page = login("staff").get("/scan/").data
    assert b'id="scan-code"' in page and b"autofocus" in page and b"data-scan-input" in page


def test_scanning_an_order_number_offers_its_pick_list(login, warehouse, make_item, put_stock):
    from app.stock import orders

    item = make_item("HUB-ORD")
    put_stock(item, "A-01", 2)
    number = orders.create_order(customer="Café", lines=[("HUB-ORD", 2)], actor_id=None, uow=UnitOfWork()).number
    c = login("staff")
    waiting = c.hx_get("/scan/resolve", query_string={"code": number.lower()})
    assert waiting.status_code == 200 and f"Order {number}".encode() in waiting.data
    assert b"Nothing is reserved for this order yet" in waiting.data and b">Pick<" not in waiting.data
    orders.allocate(number=number, uow=UnitOfWork())
    resp = c.hx_get("/scan/resolve", query_string={"code": number})
    assert json.loads(resp.headers["HX-Trigger"])["scan-succeeded"] == {"kind": "order", "code": number}
    pick_url = f"/stock/orders/{number}/pick"
    assert f'<a class="btn" href="{pick_url}">Pick</a>'.encode() in resp.data
    assert b"Scan bin A-01" in c.get(pick_url).data
    # A technician does not pick orders: the order is named, nothing is offered.
    tech = login("technician").hx_get("/scan/resolve", query_string={"code": number})
    assert tech.status_code == 200 and b"/pick" not in tech.data
