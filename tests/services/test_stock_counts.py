"""Counts: scan bin then items, variance against the balance when counted, recount, approval with reasons."""

from __future__ import annotations

import pytest

from app.errors import Conflict
from app.extensions import db
from app.stock import counting, queries
from app.stock import services as stock
from app.stock.models import StockMovement
from app.uow import UnitOfWork


def U():
    return UnitOfWork()


def _on_hand(item_id, loc):
    from app.locations.queries import by_code

    bal = queries.balance_of(db.session, item_id, by_code(db.session, loc).id)
    return bal.on_hand if bal else 0


def test_a_pick_during_the_count_is_not_a_false_variance(warehouse, make_item, put_stock, who):
    item = make_item("CNT-A", case=6)
    put_stock(item, "A-01", 10)
    number = counting.create_count(location_code="WH-A", assigned_to=warehouse.staff_id,
                                   actor_id=warehouse.manager_id, uow=U()).number
    counting.count_scan(number=number, location_code="A-01", code=item.ean, who=who(), uow=U())  # 1
    counting.count_scan(number=number, location_code="A-01", code=item.ean, who=who(), uow=U())  # 2
    counting.count_scan(number=number, location_code="A-01", code=item.case_ean, who=who(), uow=U())  # 8
    # Meanwhile a picker takes 3 from the bin: the count saw 10 − 2 missing, the bin now holds 7.
    stock.take_out(sku="CNT-A", location_code="A-01", quantity=3, who=who(), uow=U())
    counting.submit_count(number=number, who=who(), uow=U())
    line = counting.report(db.session, number).lines[0]
    assert (line.expected, line.counted, line.variance) == (10, 8, -2)
    counting.approve_count(number=number, who=who(actor_id=warehouse.manager_id), reasons={line.id: "damaged"},
                           uow=U())
    assert _on_hand(item.id, "A-01") == 5
    mv = db.session.query(StockMovement).filter_by(kind="count_adjustment").one()
    assert (mv.quantity, mv.reason) == (-2, "damaged")
    assert queries.verify(db.session) == []


def test_uncounted_stock_is_expected_but_not_found_and_stock_elsewhere_is_in_the_wrong_bin(warehouse, make_item,
                                                                                             put_stock, who):
    a, b = make_item("CNT-A"), make_item("CNT-B")
    put_stock(a, "A-01", 4)
    put_stock(b, "A-03", 2)
    number = counting.create_count(location_code="A-02", actor_id=None, uow=U()).number
    counting.count_scan(number=number, location_code="A-02", code=b.ean, who=who(), uow=U())
    with pytest.raises(Conflict, match="not part of count"):
        counting.count_scan(number=number, location_code="A-01", code=a.ean, who=who(), uow=U())
    counting.submit_count(number=number, who=who(), uow=U())
    rep = counting.report(db.session, number)
    assert [(x.item.sku, w) for x, w in rep.wrong_bin] == [("CNT-B", ["A-03"])]
    whole = counting.create_count(location_code="WH-A", actor_id=None, uow=U()).number
    counting.submit_count(number=whole, who=who(), uow=U())
    missing = counting.report(db.session, whole).not_found
    assert sorted((x.item.sku, x.location.code) for x in missing) == [("CNT-A", "A-01"), ("CNT-B", "A-03")]


def test_a_recount_replaces_the_first_count(warehouse, make_item, put_stock, who):
    item = make_item("CNT-A")
    put_stock(item, "A-01", 5)
    number = counting.create_count(location_code="A-01", blind=True, actor_id=None, uow=U()).number
    counting.count_scan(number=number, location_code="A-01", code=item.ean, quantity=9, who=who(), uow=U())
    counting.submit_count(number=number, who=who(), uow=U())
    line_id = counting.report(db.session, number).lines[0].id
    counting.request_recount(number=number, line_ids=[line_id], uow=U())
    r = counting.count_scan(number=number, location_code="A-01", code=item.ean, quantity=5, who=who(), uow=U())
    assert r.expected is None  # blind
    counting.submit_count(number=number, who=who(), uow=U())
    line = counting.report(db.session, number).lines[0]
    assert (line.previous_count, line.counted, line.variance) == (9, 5, 0)
    counting.approve_count(number=number, who=who(actor_id=warehouse.manager_id), uow=U())
    assert db.session.query(StockMovement).filter_by(kind="count_adjustment").count() == 0


def test_an_expired_lot_is_counted_with_a_warning_and_its_variance_approved(warehouse, make_item, put_stock, who,
                                                                           expire_lot):
    from datetime import date, timedelta

    item = make_item("CNT-LOT", tracking="lot")
    put_stock(item, "A-01", 4, lot="OLD1", expiry=date.today() + timedelta(days=30))
    expire_lot(item, "OLD1")
    number = counting.create_count(location_code="A-01", blind=False, actor_id=None, uow=U()).number
    r = counting.count_scan(number=number, location_code="A-01", code=item.ean, lot="OLD1", quantity=3, who=who(),
                            uow=U())
    assert (r.lot, r.counted, r.expected) == ("OLD1", "3", "4")
    assert any("expired" in n for n in r.notes)
    counting.submit_count(number=number, who=who(), uow=U())
    counting.approve_count(number=number, who=who(actor_id=warehouse.manager_id), default_reason="expired", uow=U())
    from app.locations.queries import by_code

    assert queries.balance_of(db.session, item.id, by_code(db.session, "A-01").id, "OLD1").on_hand == 3
    assert queries.verify(db.session) == []


def test_the_report_says_which_bins_of_the_scope_were_counted_and_which_were_not(warehouse, make_item, put_stock,
                                                                                  who):
    a, b = make_item("CNT-A"), make_item("CNT-B")
    put_stock(a, "A-01", 4)
    put_stock(b, "A-03", 2)
    number = counting.create_count(location_code="WH-A", actor_id=None, uow=U()).number
    counting.count_scan(number=number, location_code="A-01", code=a.ean, quantity=4, who=who(), uow=U())
    counting.submit_count(number=number, who=who(), uow=U())
    rep = counting.report(db.session, number)
    assert [x.code for x in rep.bins_counted] == ["A-01"]
    assert rep.bins_empty == []  # nobody scanned
    assert [x.code for x in rep.bins_not_visited] == ["A-02", "A-03"]  # A-03 held stock: also expected, not found
    assert [(x.item.sku, x.location.code) for x in rep.not_found] == [("CNT-B", "A-03")]


def _visits(number):
    from sqlalchemy import select

    from app.stock.models import CountBinVisit, CountSession

    db.session.rollback()
    return db.session.execute(
        select(CountBinVisit.location_id, CountBinVisit.visited_by).join(CountSession)
        .where(CountSession.number == number)).all()


def test_a_bin_scanned_and_found_empty_is_reported_apart_from_one_nobody_visited_and_approved_as_counted_zero(
        warehouse, make_item, put_stock, who):
    a, b, c = make_item("VIS-A"), make_item("VIS-B"), make_item("VIS-C")
    put_stock(a, "A-01", 4)
    put_stock(b, "A-02", 3)
    put_stock(c, "A-03", 2)
    number = counting.create_count(location_code="WH-A", assigned_to=warehouse.staff_id, actor_id=None,
                                   uow=U()).number
    assert counting.visit_bin(number=number, location_code="a-01", who=who(), uow=U()) == "A-01"
    counting.count_scan(number=number, location_code="A-01", code=a.ean, quantity=4, who=who(), uow=U())
    for _ in range(2):  # looked twice, found nothing: one visit
        counting.visit_bin(number=number, location_code="A-02", who=who(), uow=U())
    assert len(_visits(number)) == 2
    counting.submit_count(number=number, who=who(), uow=U())

    rep = counting.report(db.session, number)
    [counted] = rep.bins_counted
    assert (counted.code, [(x.item.sku, x.counted) for x in counted.lines]) == ("A-01", [("VIS-A", 4)])
    [empty] = rep.bins_empty
    assert (empty.code, empty.visited_by, empty.lines) == ("A-02", warehouse.staff.name, [])
    assert [(x.item.sku, x.expected, x.counted) for x in empty.zeroed] == [("VIS-B", 3, 0)]
    [skipped] = rep.bins_not_visited
    assert (skipped.code, skipped.visited_by) == ("A-03", None)

    counting.approve_count(number=number, who=who(actor_id=warehouse.manager_id), uow=U())
    assert (_on_hand(a.id, "A-01"), _on_hand(b.id, "A-02")) == (4, 0)  # found empty: counted 0, written off
    assert queries.verify(db.session) == []


def test_a_bin_outside_the_count_or_a_count_no_longer_open_records_no_visit(warehouse, make_item, who):
    number = counting.create_count(location_code="WH-A", assigned_to=warehouse.staff_id, actor_id=None,
                                   uow=U()).number
    with pytest.raises(Conflict, match="DEP-01 is not part of count"):
        counting.visit_bin(number=number, location_code="DEP-01", who=who(), uow=U())
    other = counting.create_count(location_code="WH-A", assigned_to=warehouse.manager_id, actor_id=None,
                                  uow=U()).number
    with pytest.raises(Conflict, match="assigned to someone else"):
        counting.visit_bin(number=other, location_code="A-01", who=who(), uow=U())
    counting.cancel_count(number=number, uow=U())
    with pytest.raises(Conflict, match="is cancelled; it takes no more counts"):
        counting.visit_bin(number=number, location_code="A-01", who=who(), uow=U())
    assert _visits(number) == [] and _visits(other) == []


def test_a_found_lot_of_an_expiry_required_item_is_counted_without_an_expiry_or_with_the_one_typed(
        warehouse, make_item, put_stock, who):
    from datetime import date, timedelta

    from sqlalchemy import select

    from app.stock.models import StockLot

    item = make_item("CNT-EXPREQ", tracking="lot", expiry_required=True)
    put_stock(item, "A-01", 2, lot="KNOWN", expiry=date.today() + timedelta(days=90))
    number = counting.create_count(location_code="A-01", blind=False, actor_id=None, uow=U()).number
    found = counting.count_scan(number=number, location_code="A-01", code=item.ean, lot="FOUND1", quantity=3,
                                who=who(), uow=U())
    assert (found.lot, found.counted, found.expected, found.expiry) == ("FOUND1", "3", "0", None)
    assert any("FOUND1 has no expiry date on record" in n for n in found.notes)
    later = date.today() + timedelta(days=200)
    dated = counting.count_scan(number=number, location_code="A-01", code=item.ean, lot="FOUND2", expiry=later,
                                who=who(), uow=U())
    assert (dated.lot, dated.expiry, dated.notes) == ("FOUND2", later.isoformat(), [])
    counting.count_scan(number=number, location_code="A-01", code=item.ean, lot="KNOWN", quantity=2, who=who(),
                        uow=U())
    counting.submit_count(number=number, who=who(), uow=U())
    counting.approve_count(number=number, who=who(actor_id=warehouse.manager_id), default_reason="found", uow=U())
    from app.locations.queries import by_code

    a01 = by_code(db.session, "A-01").id
    assert [queries.balance_of(db.session, item.id, a01, lot).on_hand for lot in ("FOUND1", "FOUND2", "KNOWN")] == [
        3, 1, 2]
    expiries = dict(db.session.execute(select(StockLot.code, StockLot.expiry).where(StockLot.item_id == item.id)).all())
    assert (expiries["FOUND1"], expiries["FOUND2"]) == (None, later)
    assert queries.verify(db.session) == []
    # Receiving stays strict: a new lot of this item still needs its expiry there.
    from app.errors import Invalid

    with pytest.raises(Invalid, match="needs an expiry date on receipt"):
        stock.receive(sku=item.sku, location_code="A-01", quantity=1, lot="NEW9", who=who(), uow=U())


@pytest.mark.parametrize("blind", [True, False])
def test_only_a_non_blind_count_says_where_the_system_has_an_item_scanned_where_none_is_expected(
        warehouse, make_item, put_stock, who, blind):
    item = make_item("CNT-WHERE")
    put_stock(item, "A-01", 5)
    number = counting.create_count(location_code="WH-A", blind=blind, actor_id=None, uow=U()).number
    r = counting.count_scan(number=number, location_code="A-02", code=item.ean, who=who(), uow=U())
    assert r.notes == ([] if blind else ["Not expected in A-02; the system has it in A-01."])
    assert r.expected == (None if blind else "0")
