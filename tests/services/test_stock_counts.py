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
    assert [x.code for x in rep.bins_not_counted] == ["A-02", "A-03"]  # A-03 held stock: also expected, not found
    assert [(x.item.sku, x.location.code) for x in rep.not_found] == [("CNT-B", "A-03")]
