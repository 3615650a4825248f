"""Counts and order picks over HTTP where bins and lots meet: a bin scanned and found empty is told apart from one
nobody went to (online and replayed from a phone), a found lot is counted without an expiry or with the one typed or
on its label, a blind count never says where the system has an item, and an order pick by GS1 label takes the lot
on the label when two reserved lots share a bin."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.scanning.models import ScanConflict
from app.stock import counting, orders, queries
from app.stock.models import CountBinVisit, CountLine, CountSession, StockLot, StockMovement
from app.uow import UnitOfWork

REPLAY = {"X-Scan-Replay": "1"}


def scan(client, url, *, headers=None, scan_id=None, **fields):
    data = {"scan_id": scan_id or uuid.uuid4().hex, "source": "typed", **fields}
    return client.post(url, data=data, headers=headers or {}, htmx=True)


def visited(number: str) -> list[str]:
    from app.locations.models import Location

    db.session.rollback()
    return list(db.session.scalars(
        select(Location.code).join(CountBinVisit, CountBinVisit.location_id == Location.id)
        .join(CountSession, CountSession.id == CountBinVisit.session_id)
        .where(CountSession.number == number).order_by(Location.code)))


def count_lines(number: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CountLine).join(CountSession)
                             .where(CountSession.number == number))


def conflicts() -> list[ScanConflict]:
    db.session.rollback()
    return list(db.session.scalars(select(ScanConflict).order_by(ScanConflict.id)))


# --- bins visited --------------------------------------------------------------------------------------------------


def test_the_review_tells_a_bin_found_empty_from_one_nobody_scanned_and_approving_counts_the_empty_one_zero(
        manager, staff, make_item, put_stock):
    a, b, c = make_item("VIS-A"), make_item("VIS-B"), make_item("VIS-C")
    put_stock(a, "A-01", 2)
    put_stock(b, "A-02", 3)
    put_stock(c, "A-03", 1)
    number = counting.create_count(location_code="WH-A", actor_id=None, uow=UnitOfWork()).number
    url = f"/stock/counts/{number}"
    assert scan(staff, url, scan="A-01").status_code == 200
    assert scan(staff, url, scan=a.ean, bin="A-01", qty="2").status_code == 200
    step = scan(staff, url, scan="A-02", bin="A-01")  # looked in A-02: nothing there
    assert step.status_code == 200 and 'name="bin" value="A-02"' in step.text
    assert visited(number) == ["A-01", "A-02"]
    staff.post(f"{url}/submit")

    review = manager.get(f"{url}/review").text
    assert "<li><strong>A-01</strong>: 2 × VIS-A</li>" in review
    assert "Visited, found empty" in review
    assert (f"<li><strong>A-02</strong> — scanned by {staff.user.name} at " in review
            and ", nothing counted; approving books as counted 0: 3 × VIS-B expected.</li>" in review)
    assert "Not visited — nobody scanned: A-03. Skipped?" in review
    assert "Skipped, or empty?" not in review
    approved = manager.post(f"{url}/approve", data={"default_reason": "lost", "scan_id": uuid.uuid4().hex})
    assert approved.status_code == 303
    said = manager.get(approved.headers["Location"]).text
    assert f"Count {number} approved: 2 adjustment(s) booked. Found empty, counted 0: A-02." in said
    assert ", nothing counted; booked as counted 0: 3 × VIS-B expected.</li>" in said
    db.session.rollback()
    bins = {loc.code: qty for loc, _lot, qty, _alloc in queries.on_hand_by_location(db.session, b.id)}
    assert bins.get("A-02", 0) == 0
    assert queries.verify(db.session) == []


def test_a_count_bin_kept_offline_with_that_bin_held_is_a_visit_when_replayed_even_twice(staff, make_item):
    make_item("VIS-OFF")
    number = counting.create_count(location_code="WH-A", actor_id=None, uow=UnitOfWork()).number
    url = f"/stock/counts/{number}"
    for _ in range(2):  # the answer got lost: the phone sends it again
        resp = scan(staff, url, headers=REPLAY, scan_id="offline-visit-1", scan="a-02", bin="A-02")
        assert resp.status_code == 200 and "X-Scan-Conflict" not in resp.headers
    assert visited(number) == ["A-02"] and conflicts() == [] and count_lines(number) == 0
    # Held with another bin, the phone took the code for an item: still a conflict, and no visit.
    other = scan(staff, url, headers=REPLAY, scan="A-03", bin="A-02")
    assert other.status_code == 422 and other.headers.get("X-Scan-Conflict")
    assert visited(number) == ["A-02"]


# --- a found lot's expiry ------------------------------------------------------------------------------------------


def test_the_count_page_counts_a_found_lot_with_the_expiry_typed_on_its_label_or_none(staff, make_item, put_stock):
    item = make_item("CNT-EXPQ", tracking="lot", expiry_required=True)
    put_stock(item, "A-01", 1, lot="KNOWN", expiry=date.today() + timedelta(days=30))
    number = counting.create_count(location_code="A-01", blind=True, actor_id=None, uow=UnitOfWork()).number
    url = f"/stock/counts/{number}"
    page = staff.get(f"{url}?bin=A-01")
    assert 'name="expiry" type="date"' in page.text

    on_label = date.today() + timedelta(days=120)
    label = f"01{item.ean.zfill(14)}17{on_label:%y%m%d}10LBL1"
    read = scan(staff, url, scan=label, bin="A-01")
    assert read.status_code == 200 and f"lot LBL1 (expiry {on_label.isoformat()})" in read.text
    typed_date = date.today() + timedelta(days=60)
    typed = scan(staff, url, scan=item.ean, bin="A-01", lot="TYPED1", expiry=typed_date.isoformat(), qty="2")
    assert typed.status_code == 200 and f"lot TYPED1 (expiry {typed_date.isoformat()})" in typed.text
    assert 'name="expiry" type="date" value=""' in typed.text  # it went with that scan
    unknown = scan(staff, url, scan=item.ean, bin="A-01", lot="NODATE")
    assert unknown.status_code == 200 and "1 × CNT-EXPQ" in unknown.text
    assert "on receipt" not in unknown.text and "NODATE has no expiry date on record" in unknown.text

    bad = scan(staff, url, scan=item.ean, bin="A-01", lot="BAD1", expiry="2030-02-30")
    assert bad.status_code == 422 and "is not a date (YYYY-MM-DD)" in bad.text
    assert 'value="2030-02-30"' in bad.text and 'value="BAD1"' in bad.text  # kept, to be put right
    db.session.rollback()
    lots = dict(db.session.execute(select(StockLot.code, StockLot.expiry).where(StockLot.item_id == item.id)).all())
    assert (lots["LBL1"], lots["TYPED1"], lots["NODATE"]) == (on_label, typed_date, None) and "BAD1" not in lots
    assert sorted((x.lot, x.counted) for x in counting.get_count(db.session, number).lines) == [
        ("LBL1", 1), ("NODATE", 1), ("TYPED1", 2)]


# --- blind counts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blind", [True, False])
def test_a_blind_count_never_says_where_the_system_has_an_item_found_in_another_bin(staff, make_item, put_stock,
                                                                                     blind):
    item = make_item("CNT-HINT")
    put_stock(item, "A-01", 4)
    number = counting.create_count(location_code="WH-A", blind=blind, actor_id=None, uow=UnitOfWork()).number
    resp = scan(staff, f"/stock/counts/{number}", scan=item.ean, bin="A-02")
    assert resp.status_code == 200 and "1 × CNT-HINT" in resp.text
    assert ("the system has it in A-01" in resp.text) is not blind
    assert ("A-01" in resp.text) is not blind  # nothing else on a blind count's page names it either


# --- order picking by GS1 label --------------------------------------------------------------------------------------


def test_an_order_pick_by_gs1_label_takes_the_lot_on_the_label_when_two_reserved_lots_share_a_bin(staff, make_item,
                                                                                                    put_stock):
    item = make_item("PICK-LOTS", tracking="lot")
    soon, later, latest = (date.today() + timedelta(days=d) for d in (30, 90, 400))
    put_stock(item, "A-01", 3, lot="OLD", expiry=soon)
    put_stock(item, "A-01", 3, lot="NEW", expiry=later)
    put_stock(item, "A-01", 3, lot="SPARE", expiry=latest)
    number = orders.create_order(customer="C", lines=[("PICK-LOTS", 5)], actor_id=None, uow=UnitOfWork()).number
    orders.allocate(number=number, uow=UnitOfWork())  # OLD 3 and NEW 2, both in A-01
    url = f"/stock/orders/{number}/pick"

    def label(lot, expiry):
        return f"01{item.ean.zfill(14)}17{expiry:%y%m%d}10{lot}"

    new = scan(staff, url, scan=label("NEW", later), bin="A-01", qty="2")
    assert new.status_code == 200 and "2 × PICK-LOTS" in new.text and "lot NEW" in new.text
    spare = scan(staff, url, scan=label("SPARE", latest), bin="A-01")
    assert spare.status_code == 409
    assert (f"The label says lot SPARE, but {number} has lot OLD of PICK-LOTS reserved in A-01: pick that one."
            in spare.text)
    old = scan(staff, url, scan=label("OLD", soon), bin="A-01", qty="3")
    assert old.status_code == 200 and "lot OLD" in old.text
    db.session.rollback()
    picked = dict(db.session.execute(select(StockMovement.lot, func.sum(StockMovement.quantity))
                                     .where(StockMovement.item_id == item.id, StockMovement.kind == "pick")
                                     .group_by(StockMovement.lot)).all())
    assert picked == {"NEW": 2, "OLD": 3}  # nothing of SPARE: the refused scan wrote nothing
    assert orders.get_order(db.session, number).status == "picked"
    assert queries.verify(db.session) == []


def test_a_gs1_label_naming_no_lot_reserved_in_the_bin_names_every_reserved_lot(staff, make_item, put_stock):
    item = make_item("PICK-LOTS2", tracking="lot")
    put_stock(item, "A-01", 2, lot="L1", expiry=date.today() + timedelta(days=30))
    put_stock(item, "A-01", 2, lot="L2", expiry=date.today() + timedelta(days=60))
    number = orders.create_order(customer="C", lines=[("PICK-LOTS2", 4)], actor_id=None, uow=UnitOfWork()).number
    orders.allocate(number=number, uow=UnitOfWork())
    resp = scan(staff, f"/stock/orders/{number}/pick", scan=f"01{item.ean.zfill(14)}10L9", bin="A-01")
    assert resp.status_code == 409
    assert f"The label says lot L9, but {number} has lots L1, L2 of PICK-LOTS2 reserved in A-01" in resp.text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == "pick")) == 0
