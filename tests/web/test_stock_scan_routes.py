"""The scan flows over HTTP: full pages and htmx partials, success and failure events, idempotent scan ids, and a
specific message with the right status — and nothing written — for every kind of bad input."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.stock import purchasing, queries
from app.stock.models import StockMovement
from app.uow import UnitOfWork


def post_scan(client, url, *, htmx=True, scan_id=None, **fields):
    data = {"scan_id": scan_id or uuid.uuid4().hex, "source": "wedge", **fields}
    return client.post(url, data=data, htmx=htmx)


def events(resp) -> dict:
    return json.loads(resp.headers.get("HX-Trigger") or "{}")


def movements() -> int:
    db.session.rollback()
    return db.session.query(StockMovement).count()


@pytest.fixture
def item(make_item):
    return make_item("WEB-1", case=12)


def test_receive_bin_then_items_in_an_htmx_partial_with_success_events(staff, item):
    step = post_scan(staff, "/stock/receive", scan="WH-DOCK")
    assert step.status_code == 200
    assert step.data.lstrip().startswith(b'<section id="scan-panel"')
    assert 'name="dst" value="WH-DOCK"' in step.text
    assert "scan-succeeded" in events(step) and "stock-changed" not in events(step)
    done = post_scan(staff, "/stock/receive", scan=item.case_ean, dst="WH-DOCK", qty="2")
    assert done.status_code == 200 and "Received" in done.text and "24 × WEB-1" in done.text
    assert {"scan-succeeded", "stock-changed"} <= set(events(done))
    assert 'name="dst" value="WH-DOCK"' in done.text  # the dock stays for the next item
    assert movements() == 1


def test_a_plain_form_post_redirects_to_the_page_keeping_what_stays(staff, item):
    resp = post_scan(staff, "/stock/receive", htmx=False, scan=item.ean, dst="WH-DOCK")
    assert resp.status_code == 303
    assert "/stock/receive?dst=WH-DOCK" in resp.headers["Location"]
    page = staff.get(resp.headers["Location"])
    assert page.status_code == 200 and b"<!doctype html>" in page.data and b"Received 1" in page.data


def test_put_away_item_then_bin_and_bin_then_items(staff, item, put_stock):
    put_stock(item, "WH-DOCK", 10)
    # item then bin: the bin is used once
    r = post_scan(staff, "/stock/put-away", scan=item.ean, src="WH-DOCK")
    assert 'name="item" value="' in r.text and "Scan the bin" in r.text
    r = post_scan(staff, "/stock/put-away", scan="A-01", src="WH-DOCK", item=item.ean.zfill(14))
    assert "Put away" in r.text and 'name="dst" value=""' in r.text
    # bin then items: the bin stays
    r = post_scan(staff, "/stock/put-away", scan="A-02", src="WH-DOCK")
    assert 'name="bin_first" value="1"' in r.text
    for _ in range(2):
        r = post_scan(staff, "/stock/put-away", scan=item.ean, src="WH-DOCK", dst="A-02", bin_first="1")
        assert r.status_code == 200 and 'name="dst" value="A-02"' in r.text
    db.session.rollback()
    assert queries.total_on_hand(db.session, item.id) == 10
    assert movements() == 4  # the receipt and three put-aways


def test_move_and_pick_by_scanning(staff, item, put_stock):
    put_stock(item, "A-01", 5)
    r = post_scan(staff, "/stock/move", scan="A-01")
    r = post_scan(staff, "/stock/move", scan=item.ean, src="A-01")
    r = post_scan(staff, "/stock/move", scan="A-02", src="A-01", item=item.ean.zfill(14), qty="3")
    assert "Moved" in r.text and "3 × WEB-1" in r.text
    r = post_scan(staff, "/stock/pick", scan=item.ean, src="A-02")
    assert "Picked" in r.text and "2 left in A-02" in r.text


def test_the_same_scan_id_posted_twice_writes_one_movement_and_says_already_recorded(staff, item):
    first = post_scan(staff, "/stock/receive", scan_id="twice-0000000001", scan=item.ean, dst="A-01")
    again = post_scan(staff, "/stock/receive", scan_id="twice-0000000001", scan=item.ean, dst="A-01")
    assert first.status_code == again.status_code == 200
    assert "Already recorded" in again.text
    assert events(again)["scan-succeeded"]["already"] is True
    assert movements() == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"scan": "4006381333931"}, 404, "Unknown code"),
        ({"scan": "4006381333932"}, 422, "check digit"),
        ({"scan": "010400638133393117260230"}, 422, "not a real date"),
        ({"scan": "01040063813339311726"}, 422, "cut short"),
        ({"scan": "0104006381333932"}, 422, "check digit"),
        ({"qty": "0"}, 422, "more than zero"),
        ({"qty": "-3"}, 422, "negative"),
        ({"qty": "1.5"}, 422, "whole number"),
        ({"qty": "ten"}, 422, "not a number"),
        ({"qty": "1000000001"}, 422, "not believable"),
    ],
)
def test_bad_scans_get_a_specific_message_the_right_status_and_write_nothing(staff, item, fields, status, message):
    data = {"scan": item.ean, "dst": "A-01", **fields}
    resp = post_scan(staff, "/stock/receive", **data)
    assert resp.status_code == status
    assert message in resp.text
    assert events(resp)["scan-failed"]["message"]
    assert movements() == 0


def test_lot_required_but_missing_and_an_expired_lot_are_refused(staff, make_item):
    lot_item = make_item("LOT-1", tracking="lot", expiry_required=True)
    missing = post_scan(staff, "/stock/receive", scan=lot_item.ean, dst="A-01")
    assert missing.status_code == 422 and "tracked by lot" in missing.text
    old = (date.today() - timedelta(days=3)).strftime("%y%m%d")
    expired = post_scan(staff, "/stock/receive", scan=f"01{lot_item.ean.zfill(14)}17{old}10OLD1", dst="A-01")
    assert expired.status_code == 422 and "expired" in expired.text
    assert movements() == 0


def test_picking_from_a_bin_without_the_item_is_a_conflict(staff, item, put_stock):
    put_stock(item, "A-01", 2)
    resp = post_scan(staff, "/stock/pick", scan=item.ean, src="A-03")
    assert resp.status_code == 409 and "no WEB-1" in resp.text
    assert movements() == 1


def test_receiving_against_a_closed_purchase_order_is_refused(staff, item, warehouse):
    po = purchasing.create_po(supplier="Acme", lines=[("WEB-1", 5, "1")], actor_id=None, uow=UnitOfWork())
    number = po.number
    purchasing.close_po(number=number, uow=UnitOfWork())
    step = post_scan(staff, "/stock/receive", scan=number)  # said at the scan of the PO, not at its first item
    assert step.status_code == 409 and f"{number} is closed" in step.text
    assert f'name="po" value="{number}"' not in step.text
    resp = post_scan(staff, "/stock/receive", scan=item.ean, dst="WH-DOCK", po=number)
    assert resp.status_code == 409 and "closed" in resp.text
    assert movements() == 0


def test_scanning_something_that_is_not_an_item_or_place_says_so(staff, item, warehouse):
    po = purchasing.create_po(supplier="Acme", lines=[("WEB-1", 5, "1")], actor_id=None, uow=UnitOfWork())
    resp = post_scan(staff, "/stock/pick", scan=po.number)
    assert resp.status_code == 422 and "purchase order" in resp.text


def test_technicians_may_not_use_the_floor_flows(login, item):
    tech = login("technician")
    assert post_scan(tech, "/stock/receive", scan=item.ean, dst="A-01").status_code == 403
    assert movements() == 0


def carried(resp) -> dict:
    """What the form carries to the next scan (its hidden fields and the lot, expiry and reference it shows)."""
    import re

    names = "item|src|dst|po|bin_first|lot|expiry|reference|reason"
    found = re.findall(rf'<input (?:type="hidden" )?(?:id="\w+" )?name="({names})"[^>]*?value="([^"]*)"', resp.text)
    return dict(found)


def test_a_lot_and_expiry_typed_before_the_item_scan_are_received_with_it(staff, make_item):
    lot_item = make_item("LOT-TYPED", tracking="lot", expiry_required=True)
    expiry = (date.today() + timedelta(days=90)).isoformat()
    resp = post_scan(staff, "/stock/receive", scan=lot_item.ean, dst="A-01", lot="L-77", expiry=expiry)
    assert resp.status_code == 200, resp.text
    assert "Received" in resp.text and "1 × LOT-TYPED" in resp.text and "lot L-77" in resp.text
    db.session.rollback()
    mv = db.session.query(StockMovement).one()
    assert (mv.lot, mv.expiry.isoformat()) == ("L-77", expiry)


def test_a_lot_held_for_one_item_is_not_taken_for_the_next_item_scanned(staff, make_item):
    first, second = make_item("LOT-A", tracking="lot"), make_item("LOT-B", tracking="lot")
    resp = post_scan(staff, "/stock/receive", scan=second.ean, item=first.ean.zfill(14), lot="LA-1")
    assert resp.status_code == 200 and f'name="item" value="{second.ean.zfill(14)}"' in resp.text
    assert carried(resp)["lot"] == ""
    assert movements() == 0


def test_put_away_item_first_then_the_dock_then_the_bin(staff, item, put_stock):
    put_stock(item, "WH-DOCK", 10)
    step = post_scan(staff, "/stock/put-away", scan=item.ean)
    assert "Scan the bin to take from" in step.text
    step = post_scan(staff, "/stock/put-away", scan="WH-DOCK", **carried(step))
    assert carried(step)["src"] == "WH-DOCK" and carried(step)["dst"] == ""
    assert "Scan the bin or dock it goes to" in step.text
    done = post_scan(staff, "/stock/put-away", scan="A-01", **carried(step))
    assert done.status_code == 200 and "Put away" in done.text and "1 × WEB-1" in done.text
    assert carried(done)["src"] == "WH-DOCK" and carried(done)["dst"] == ""  # the dock stays, the bin was for one
    # then bin then items, from the same dock: the bin stays for each
    step = post_scan(staff, "/stock/put-away", scan="A-02", **carried(done))
    assert carried(step)["bin_first"] == "1"
    for _ in range(2):
        step = post_scan(staff, "/stock/put-away", scan=item.ean, **carried(step))
        assert "Put away" in step.text and carried(step)["dst"] == "A-02"
    db.session.rollback()
    on_hand = {loc.code: qty for loc, _lot, qty, _a in queries.on_hand_by_location(db.session, item.id)}
    assert on_hand == {"WH-DOCK": 7, "A-01": 1, "A-02": 2}


def test_a_return_is_scanned_item_then_bin_with_its_reason_and_applies_once(staff, login, item, put_stock):
    put_stock(item, "A-01", 2)
    assert b"/stock/return" in staff.get("/tasks").data  # in the floor's tasks, with receive, pick and move
    hub = staff.hx_get(f"/scan/resolve?code={item.ean}").text  # and among the scan hub's actions for an item
    assert f'/stock/return?item={item.ean.zfill(14)}' in hub
    page = staff.get("/stock/return")
    assert page.status_code == 200 and 'name="reason"' in page.text
    step = post_scan(staff, "/stock/return", scan=item.ean, qty="3", reason="Unused from a job", reference="JOB-9")
    assert step.status_code == 200 and "Scan the bin or dock it goes to" in step.text and movements() == 1
    fields = {**carried(step), "qty": "3"}
    done = post_scan(staff, "/stock/return", scan_id="return-000000001", scan="A-01", **fields)
    assert done.status_code == 200 and "Returned" in done.text and "3 × WEB-1" in done.text
    assert "Now 5 in A-01" in done.text and {"scan-succeeded", "stock-changed"} <= set(events(done))
    again = post_scan(staff, "/stock/return", scan_id="return-000000001", scan="A-01", **fields)
    assert "Already recorded" in again.text and movements() == 2
    mv = db.session.query(StockMovement).filter_by(kind="return").one()
    assert (mv.quantity, mv.reason, mv.reference) == (3, "Unused from a job", "JOB-9")
    bad = post_scan(staff, "/stock/return", scan=item.ean, dst="A-01", qty="0")
    assert bad.status_code == 422 and "more than zero" in bad.text and movements() == 2
    assert post_scan(login("technician"), "/stock/return", scan=item.ean, dst="A-01").status_code == 403
    assert movements() == 2


def test_a_scan_id_shaped_like_an_api_key_is_refused_and_never_answered_with_that_request(staff, item, put_stock,
                                                                                        client, token_for, make_user):
    """The API stores a client's Idempotency-Key as u<user>:<key> beside the phones' scan ids (found by review)."""
    put_stock(item, "A-01", 5)
    manager = make_user("manager")
    api = client.post("/api/v1/stock/pick", json={"sku": "WEB-1", "location": "A-01", "quantity": 2}, csrf=False,
                      headers={**token_for("manager", user=manager), "Idempotency-Key": "erp-pick-000001"})
    assert api.status_code == 200, api.text
    before = movements()
    r = post_scan(staff, "/stock/pick", scan=item.ean, src="A-01", scan_id=f"u{manager.id}:erp-pick-000001")
    assert r.status_code in (400, 422)
    assert "scan id is missing or malformed" in r.text
    assert "Picked" not in r.text and "already" not in r.text.lower()
    assert movements() == before
    assert queries.total_on_hand(db.session, item.id) == 3


def test_a_replayed_pick_applied_before_whose_barcode_moved_since_is_a_conflict_that_says_it_was_applied(
        staff, login, item, put_stock):
    """The phone picked, the line broke before the answer came back, and a manager detached the barcode before the
    phone replayed the scan: the replay fails at its first lookup, before any unit of work could find its id. The
    conflict says the pick was done already, and offers no retry — nobody picks it again believing it was lost."""
    import re

    from app.scanning.models import ScanConflict
    from app.stock import services as stock

    put_stock(item, "A-01", 5)
    form = {"source": "wedge", "scan": item.ean, "src": "A-01"}
    for scan_id in ("lost-answer-000001", "lost-answer-000002"):
        assert staff.post("/stock/pick", data={**form, "scan_id": scan_id}, htmx=True).status_code == 200
    replay = {"X-Scan-Replay": "1"}

    def conflict(scan_id: str) -> ScanConflict:
        db.session.rollback()
        return db.session.query(ScanConflict).filter_by(scan_id=scan_id).one()

    # The same id with another form reaches the unit of work, which refuses it as a different request: that conflict
    # says so, not "applied already".
    mismatch = staff.post("/stock/pick", data={**form, "scan_id": "lost-answer-000001", "qty": "3"}, headers=replay,
                          htmx=True)
    assert mismatch.status_code == 422
    assert conflict("lost-answer-000001").reason.startswith("This id was already used for a different request")
    stock.detach_barcode(sku="WEB-1", code=item.ean, uow=UnitOfWork())

    again = staff.post("/stock/pick", data={**form, "scan_id": "lost-answer-000001"}, headers=replay, htmx=True)
    assert again.status_code == 404
    mine = conflict("lost-answer-000001")
    assert str(mine.id) == again.headers["X-Scan-Conflict"]
    assert mine.reason.startswith("Applied already, at ") and "Unknown code" in mine.reason and not mine.retryable
    card = re.search(r'<li class="conflict"[^>]*data-conflict="lost-answer-000001".*?</li>', staff.get(
        "/scan/conflicts").text, re.S).group(0)
    assert "Applied already" in card and "Retry" not in card
    # Not applied, or applied for someone else: a plain conflict, offered for retry.
    fresh = staff.post("/stock/pick", data={**form, "scan_id": "never-applied-0001"}, headers=replay, htmx=True)
    someone_else = login("staff")
    theirs = someone_else.post("/stock/pick", data={**form, "scan_id": "lost-answer-000002"}, headers=replay, htmx=True)
    assert fresh.status_code == theirs.status_code == 404
    for scan_id in ("never-applied-0001", "lost-answer-000002"):
        row = conflict(scan_id)
        assert row.reason.startswith("Unknown code") and row.retryable
    assert conflict("lost-answer-000002").actor_id == someone_else.user.id
    assert movements() == 3 and queries.total_on_hand(db.session, item.id) == 3  # put in once, picked twice
