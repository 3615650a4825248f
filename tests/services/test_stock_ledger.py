"""The ledger and its balances through the services: receive, put away, move, pick, issue, return, costing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import AlreadyRecorded, Conflict, IdempotencyMismatch, Invalid, NotFound
from app.extensions import db
from app.stock import queries
from app.stock import services as stock
from app.stock.models import StockMovement
from app.uow import UnitOfWork


def U():
    return UnitOfWork()


def on_hand(item_id, loc_code, lot=""):
    from app.locations.queries import by_code

    bal = queries.balance_of(db.session, item_id, by_code(db.session, loc_code).id, lot)
    return bal.on_hand if bal else Decimal(0)


def test_receive_put_away_move_and_pick_keep_every_balance_equal_to_its_ledger(warehouse, make_item, who):
    item = make_item()
    r = stock.receive(code=item.ean, location_code="WH-DOCK", quantity=10, unit_cost="2.00", who=who(), uow=U())
    assert r.on_hand_to == "10" and r.cost == "20"
    stock.relocate(kind="put_away", code=item.ean, from_code="WH-DOCK", to_code="A-01", quantity=10, who=who(), uow=U())
    stock.relocate(kind="move", code=item.ean, from_code="A-01", to_code="A-02", quantity=4, who=who(), uow=U())
    picked = stock.take_out(kind="pick", code=item.ean, location_code="A-02", quantity=3, who=who(), uow=U())
    assert picked.on_hand_from == "1" and picked.cost == "6"
    assert (on_hand(item.id, "WH-DOCK"), on_hand(item.id, "A-01"), on_hand(item.id, "A-02")) == (0, 6, 1)
    assert queries.verify(db.session) == []


def test_a_case_code_counts_as_its_pack_quantity(warehouse, make_item, who):
    item = make_item(case=12)
    r = stock.receive(code=item.case_ean, location_code="A-01", quantity=2, who=who(), uow=U())
    assert r.quantity == "24"
    assert on_hand(item.id, "A-01") == 24


def test_the_same_scan_id_twice_writes_one_movement_and_answers_already_recorded(warehouse, make_item, who):
    item = make_item()
    actor = who("scan-twice-0001")
    stock.receive(sku=item.sku, location_code="A-01", quantity=5, who=actor, uow=U())
    with pytest.raises(AlreadyRecorded) as err:
        stock.receive(sku=item.sku, location_code="A-01", quantity=5, who=actor, uow=U())
    assert err.value.outcome["quantity"] == "5"
    assert db.session.query(StockMovement).count() == 1
    with pytest.raises(IdempotencyMismatch):
        stock.take_out(sku=item.sku, location_code="A-01", quantity=1, who=actor, uow=U())
    assert db.session.query(StockMovement).count() == 1  # the pick was done, then undone at the claim
    assert on_hand(item.id, "A-01") == 5


@pytest.mark.parametrize("flow", ["pick", "move"])
def test_a_replayed_scan_that_no_longer_applies_answers_already_recorded_not_why_it_fails(warehouse, make_item,
                                                                                             put_stock, who, flow):
    """The scans that move stock write their id only at commit, so a replay redoes the work first: when the work
    now fails (the one unit it took is gone), the answer is still the first outcome, and nothing is written."""
    item = make_item()
    put_stock(item, "A-01", 1)
    actor = who(f"replay-gone-{flow}-0001")

    def scan():
        if flow == "pick":
            return stock.take_out(sku=item.sku, location_code="A-01", quantity=1, who=actor, uow=U())
        return stock.relocate(sku=item.sku, from_code="A-01", to_code="A-02", quantity=1, who=actor, uow=U())

    first = scan()
    before = db.session.query(StockMovement).count()
    with pytest.raises(AlreadyRecorded) as err:
        scan()
    assert err.value.outcome["movement_ids"] == first.movement_ids
    assert db.session.query(StockMovement).count() == before
    assert queries.verify(db.session) == []


@pytest.mark.parametrize(
    ("method", "cost_of_goods", "value_left"),
    # 4 bought at 2.00, then 4 at 4.00; 5 picked.
    [("fifo", 12, 12),      # 4×2 + 1×4 taken; 3×4 left
     ("lifo", 18, 6),       # 4×4 + 1×2 taken; 3×2 left
     ("average", 15, 9)],   # 5×3 taken; 3×3 left
)
def test_cost_of_goods_follows_the_items_valuation_method(warehouse, make_item, put_stock, who, method, cost_of_goods,
                                                          value_left):
    item = make_item(valuation_method=method)
    put_stock(item, "A-01", 4, cost="2.00")
    put_stock(item, "A-01", 4, cost="4.00")
    picked = stock.take_out(sku=item.sku, location_code="A-01", quantity=5, who=who(), uow=U())
    assert Decimal(picked.cost) == cost_of_goods
    assert queries.valuation(db.session).total == value_left
    assert queries.verify(db.session) == []


def test_moves_do_not_change_value_and_counts_price_found_stock_at_the_latest_cost(warehouse, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 2, cost="5.00")
    stock.relocate(sku=item.sku, from_code="A-01", to_code="A-02", quantity=2, who=who(), uow=U())
    assert queries.valuation(db.session).total == Decimal(10)


def test_receiving_against_a_purchase_order_follows_its_status_and_refuses_over_receipt(warehouse, make_item, who):
    from app.stock import purchasing

    item = make_item()
    po = purchasing.create_po(supplier="Acme", lines=[(item.sku, 10, "1.10")], actor_id=warehouse.manager_id, uow=U())
    number = po.number
    r = stock.receive(sku=item.sku, location_code="WH-DOCK", quantity=6, po_number=number, who=who(), uow=U())
    assert r.reference == number and r.cost == "6.6" and "4 still to come" in r.notes[0]
    assert purchasing.get_po(db.session, number).status == "partial"
    with pytest.raises(Conflict, match="over"):
        stock.receive(sku=item.sku, location_code="WH-DOCK", quantity=5, po_number=number, who=who(), uow=U())
    stock.receive(sku=item.sku, location_code="WH-DOCK", quantity=4, po_number=number, who=who(), uow=U())
    assert purchasing.get_po(db.session, number).status == "received"
    purchasing.close_po(number=number, uow=U())
    with pytest.raises(Conflict, match="closed"):
        stock.receive(sku=item.sku, location_code="WH-DOCK", quantity=1, po_number=number, who=who(), uow=U())
    assert on_hand(item.id, "WH-DOCK") == 10


def test_over_receipt_within_the_setting_is_accepted_and_shown(app, warehouse, make_item, who):
    from app.stock import purchasing

    item = make_item()
    po = purchasing.create_po(supplier="Acme", lines=[(item.sku, 10, "1")], actor_id=None, uow=U())
    app.config["STOCK_OVER_RECEIPT_PERCENT"] = 10
    try:
        r = stock.receive(sku=item.sku, location_code="WH-DOCK", quantity=11, po_number=po.number, who=who(), uow=U())
    finally:
        app.config.pop("STOCK_OVER_RECEIPT_PERCENT")
    assert "1 over" in r.notes[0]


def test_lots_and_expiry_come_from_a_gs1_label(warehouse, make_item, who):
    item = make_item(tracking="lot", expiry_required=True)
    gtin = item.ean.zfill(14)
    expiry = date.today() + timedelta(days=200)
    label = f"01{gtin}17{expiry:%y%m%d}10LOT42"
    r = stock.receive(code=label, location_code="A-01", quantity=3, who=who(), uow=U())
    assert r.lot == "LOT42"
    mv = db.session.get(StockMovement, r.movement_ids[0])
    assert mv.expiry == expiry
    assert on_hand(item.id, "A-01", "LOT42") == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"code": "4006381333932"}, Invalid, "check digit"),
        ({"code": "0104006381333932"}, Invalid, "check digit"),
        ({"code": "010400638133393117260230"}, Invalid, "not a real date"),
        ({"code": "01040063813339311726"}, Invalid, "cut short"),
        ({"code": "4006381333931"}, NotFound, "Unknown code"),
        ({"quantity": 0}, Invalid, "more than zero"),
        ({"quantity": -2}, Invalid, "negative"),
        ({"quantity": "1.5"}, Invalid, "whole"),
        ({"quantity": "lots"}, Invalid, "not a number"),
        ({"quantity": 10**9 + 1}, Invalid, "believable"),
        ({"location_code": "NOWHERE"}, NotFound, "No location"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message_and_nothing_written(warehouse, make_item, who, kwargs, error,
                                                                          message):
    item = make_item()
    args = {"code": item.ean, "location_code": "A-01", "quantity": 1, **kwargs}
    with pytest.raises(error, match=message):
        stock.receive(who=who(), uow=U(), **args)
    assert db.session.query(StockMovement).count() == 0


def test_lot_tracked_items_refuse_a_missing_lot_and_an_expired_lot(warehouse, make_item, who, put_stock):
    item = make_item(tracking="lot", expiry_required=True)
    with pytest.raises(Invalid, match="lot"):
        stock.receive(sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=U())
    with pytest.raises(Invalid, match="expiry"):
        stock.receive(sku=item.sku, location_code="A-01", quantity=1, lot="L1", who=who(), uow=U())
    with pytest.raises(Invalid, match="expired"):
        stock.receive(sku=item.sku, location_code="A-01", quantity=1, lot="L0", expiry=date.today() - timedelta(days=1),
                      who=who(), uow=U())
    assert db.session.query(StockMovement).count() == 0


def test_an_expired_lot_on_the_shelf_can_be_moved_and_taken_back_but_not_picked_issued_consumed_or_received(
        warehouse, make_item, put_stock, who, expire_lot):
    item = make_item(tracking="lot")
    put_stock(item, "A-01", 5, lot="OLD1", expiry=date.today() + timedelta(days=30))
    expire_lot(item, "OLD1")
    moved = stock.relocate(sku=item.sku, from_code="A-01", to_code="A-02", quantity=2, lot="OLD1", who=who(), uow=U())
    assert on_hand(item.id, "A-02", "OLD1") == 2
    assert moved.notes == [f"Lot OLD1 expired on {date.today() - timedelta(days=1)}: keep it apart, it cannot be "
                           "picked or issued."]
    back = stock.return_stock(sku=item.sku, location_code="A-02", quantity=1, lot="OLD1", reason="Customer return",
                              who=who(), uow=U())
    assert on_hand(item.id, "A-02", "OLD1") == 3 and "expired" in back.notes[0]
    before = db.session.query(StockMovement).count()
    for refused in (
        lambda: stock.take_out(sku=item.sku, location_code="A-01", quantity=1, lot="OLD1", who=who(), uow=U()),
        lambda: stock.take_out(kind="issue", sku=item.sku, location_code="A-01", quantity=1, lot="OLD1",
                               reference="JOB-1", who=who(), uow=U()),
        lambda: stock.receive(sku=item.sku, location_code="A-01", quantity=1, lot="OLD1", who=who(), uow=U()),
    ):
        with pytest.raises(Invalid, match="Lot OLD1 expired on"):
            refused()
    with U() as uow, pytest.raises(Invalid, match="Lot OLD1 expired on"):
        stock.consume_within(uow, sku=item.sku, location_code="A-01", quantity=1, lot="OLD1", reference="MNT-1",
                             actor_id=warehouse.staff_id)
    assert db.session.query(StockMovement).count() == before
    assert on_hand(item.id, "A-01", "OLD1") == 3
    assert queries.verify(db.session) == []


def test_a_return_keeps_its_reason_and_reference_and_refuses_a_reason_too_long(warehouse, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 2, cost="4")
    r = stock.return_stock(sku=item.sku, location_code="A-01", quantity=3, reason="Unused from a job",
                           reference=" JOB-17 ", who=who(), uow=U())
    mv = db.session.get(StockMovement, r.movement_ids[0])
    assert (mv.kind, mv.quantity, mv.reason, mv.reference, mv.unit_cost) == ("return", 3, "Unused from a job",
                                                                             "JOB-17", 4)
    with pytest.raises(Invalid, match="reason is at most 40"):
        stock.return_stock(sku=item.sku, location_code="A-01", quantity=1, reason="x" * 41, who=who(), uow=U())
    assert on_hand(item.id, "A-01") == 5 and queries.verify(db.session) == []


def test_picking_from_a_bin_without_the_item_is_refused(warehouse, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 5)
    with pytest.raises(Conflict, match="no SKU"):
        stock.take_out(sku=item.sku, location_code="A-02", quantity=1, who=who(), uow=U())


def test_negative_stock_only_when_the_setting_allows_it(app, warehouse, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 1)
    with pytest.raises(stock.InsufficientStock):
        stock.take_out(sku=item.sku, location_code="A-01", quantity=2, who=who(), uow=U())
    app.config["STOCK_ALLOW_NEGATIVE"] = "1"
    try:
        stock.take_out(sku=item.sku, location_code="A-01", quantity=2, who=who(), uow=U())
        stock.take_out(sku=item.sku, location_code="A-02", quantity=1, who=who(), uow=U())  # a bin it never was in
    finally:
        app.config.pop("STOCK_ALLOW_NEGATIVE")
    assert (on_hand(item.id, "A-01"), on_hand(item.id, "A-02")) == (-1, -1)
    assert queries.verify(db.session) == []


def test_an_issue_needs_a_cost_centre_and_a_return_brings_stock_back(warehouse, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 5, cost="1")
    with pytest.raises(Invalid, match="cost centre"):
        stock.take_out(kind="issue", sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=U())
    stock.take_out(kind="issue", sku=item.sku, location_code="A-01", quantity=2, reference="CC-410", who=who(), uow=U())
    stock.return_stock(sku=item.sku, location_code="A-01", quantity=1, reference="CC-410", who=who(), uow=U())
    assert on_hand(item.id, "A-01") == 4
    assert queries.verify(db.session) == []


def test_the_ledger_refuses_changes_and_deletes(warehouse, make_item, put_stock):
    item = make_item()
    r = put_stock(item, "A-01", 1)
    with U() as uow:
        mv = uow.session.get(StockMovement, r.movement_ids[0])
        mv.reference = "tampered"
        with pytest.raises(RuntimeError, match="never changed"):
            uow.session.flush()


def test_flask_stock_verify_exits_non_zero_when_a_balance_disagrees(app, warehouse, make_item, put_stock):
    item = make_item()
    put_stock(item, "A-01", 3)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["stock", "verify"])
    assert ok.exit_code == 0 and "OK" in ok.output
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE stock_balance SET on_hand = on_hand + 1000 WHERE item_id = :i"), {"i": item.id})
    bad = runner.invoke(args=["stock", "verify"])
    assert bad.exit_code == 1, (bad.output, bad.exception)
    assert "MISMATCH" in bad.output


def test_flask_stock_verify_reads_one_snapshot_while_stock_moves(app, warehouse, make_item, put_stock, who):
    """A receipt committed between two of verify's reads (here: right after its first, which adds up what came in)
    is not reported as a mismatch: verify sees the ledger and the balances as of one moment."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    item = make_item()
    put_stock(item, "A-01", 10)
    sku, item_id = item.sku, item.id
    db.session.remove()
    picked = []

    def pick_meanwhile(*_args):
        if not picked:
            picked.append(True)
            with Session(db.engine) as other:
                stock.receive(sku=sku, location_code="A-01", quantity=4, unit_cost="1.00", who=who(),
                              uow=UnitOfWork(other))

    event.listen(db.engine, "after_cursor_execute", pick_meanwhile)
    try:
        result = app.test_cli_runner().invoke(args=["stock", "verify"])
    finally:
        event.remove(db.engine, "after_cursor_execute", pick_meanwhile)
    assert picked, "the receipt went in while verify was reading"
    assert result.exit_code == 0, (result.output, result.exception)
    assert on_hand(item_id, "A-01") == 14
    assert queries.verify(db.session) == []


def test_verify_finds_a_promise_no_order_allocation_holds(warehouse, make_item, put_stock):
    from sqlalchemy import select

    from app.stock.models import StockBalance

    item = make_item()
    put_stock(item, "A-01", 3)
    assert queries.verify(db.session) == []
    with U() as uow:
        balance = uow.session.scalar(select(StockBalance).where(StockBalance.item_id == item.id))
        balance.allocated = Decimal(2)  # promised, behind the services' back: no order line holds it
        uow.commit()
    [problem] = queries.verify(db.session)
    assert problem.what == "allocated" and "2 promised, but order allocations hold 0" in str(problem)


def test_a_serial_number_is_in_stock_once_and_moves_one_at_a_time(warehouse, make_item, put_stock, who):
    item = make_item(tracking="serial")
    put_stock(item, "A-01", 1, lot="SN-1")
    with pytest.raises(Conflict, match="already in stock, in A-01"):
        stock.receive(sku=item.sku, location_code="A-02", quantity=1, lot="SN-1", who=who(), uow=U())
    with pytest.raises(Invalid, match="one at a time"):
        stock.receive(sku=item.sku, location_code="A-02", quantity=2, lot="SN-2", who=who(), uow=U())
    stock.take_out(sku=item.sku, location_code="A-01", quantity=1, lot="SN-1", who=who(), uow=U())
    stock.receive(sku=item.sku, location_code="A-02", quantity=1, lot="SN-1", who=who(), uow=U())  # came back
    assert on_hand(item.id, "A-02", "SN-1") == 1


def _totals(item):
    from app.stock.models import Item

    db.session.expire_all()
    row = db.session.get(Item, item.id)
    return row.on_hand_total, row.stock_value


@pytest.mark.parametrize("method, after_pick", [
    ("fifo", Decimal("4")),          # the pick took a 1.00: 1 × 1.00 + 2 × 1.50 left
    ("lifo", Decimal("3.5")),        # the pick took a 1.50: 2 × 1.00 + 1 × 1.50 left
    ("average", Decimal("3.75")),    # 3 left at the running average 1.25
])
def test_each_item_keeps_its_on_hand_total_and_stock_value_with_every_movement(warehouse, make_item, who, method,
                                                                                 after_pick):
    from app.stock import counting

    item = make_item(valuation_method=method)
    stock.receive(sku=item.sku, location_code="A-01", quantity=2, unit_cost="1.00", who=who(), uow=U())
    stock.receive(sku=item.sku, location_code="A-02", quantity=2, unit_cost="1.50", who=who(), uow=U())
    assert _totals(item) == (4, 5)
    stock.relocate(sku=item.sku, from_code="A-02", to_code="A-03", quantity=1, who=who(), uow=U())
    assert _totals(item) == (4, 5), "a move inside the company changes neither"
    stock.take_out(sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=U())
    assert _totals(item) == (3, after_pick)
    counting.count_now(sku=item.sku, location_code="A-03", counted=0, who=who(), uow=U())  # one lost
    counting.count_now(sku=item.sku, location_code="A-03", counted=2, who=who(), uow=U())  # two found
    on_hand_total, value = _totals(item)
    assert on_hand_total == 4 and value > 0
    assert queries.verify(db.session) == []


def test_verify_names_an_item_whose_kept_totals_disagree_with_its_balances_and_layers(warehouse, make_item, put_stock):
    item = make_item()
    put_stock(item, "A-01", 3, cost="2.00")
    assert queries.verify(db.session) == []
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE item SET on_hand_total = on_hand_total + 1000, stock_value = 0 WHERE id = :i"),
                     {"i": item.id})
    db.session.remove()  # a new transaction sees the change
    problems = [str(p) for p in queries.verify(db.session)]
    assert problems == [f"item {item.id}: its on-hand total says 4, its balances hold 3",
                        f"item {item.id}: its stock value says 0, its cost layers are worth 6"]


@pytest.mark.parametrize(("method", "costs_of_goods"), [
    ("fifo", [1, 5, 15]),   # 1.00; then 2.00 + 3.00; then 4.00 + 5.00 + 6.00
    ("lifo", [6, 9, 6]),    # 6.00; then 5.00 + 4.00; then 3.00 + 2.00 + 1.00
])
def test_picks_drawing_one_two_or_three_cost_layers_leave_everything_agreeing(warehouse, make_item, put_stock, who,
                                                                              method, costs_of_goods):
    """A pick writes its balance, the layers it draws, the item's totals and its movement (on PostgreSQL in one
    statement when it draws up to two layers, one by one beyond): after each pick the answer, the balance, the
    layers, the totals and the ledger agree."""
    item = make_item(valuation_method=method)
    for cost in ("1.00", "2.00", "3.00", "4.00", "5.00", "6.00"):
        put_stock(item, "A-01", 1, cost=cost)
    left = 6
    for qty, cost_of_goods in zip((1, 2, 3), costs_of_goods, strict=True):
        picked = stock.take_out(sku=item.sku, location_code="A-01", quantity=qty, who=who(), uow=U())
        left -= qty
        assert Decimal(picked.cost) == cost_of_goods
        assert Decimal(picked.on_hand_from) == left == on_hand(item.id, "A-01")
        assert queries.verify(db.session) == []
    assert _totals(item) == (0, 0)
    assert db.session.query(StockMovement).filter_by(item_id=item.id, kind="pick").count() == 3


def _meanwhile(sql: str, **params) -> None:
    """Someone else commits a change, on another connection, while this request's session holds older copies."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_an_item_deactivated_after_the_screen_read_its_code_is_not_received(warehouse, make_item, who):
    item = make_item()
    ean, item_id = item.ean, item.id
    db.session.remove()
    scanned = queries.classify(db.session, ean)  # the receive screen classified the scan
    assert scanned.item.active
    _meanwhile("UPDATE item SET active = :no WHERE id = :id", no=False, id=item_id)
    with pytest.raises(Conflict, match="deactivated"):
        stock.receive(code=ean, location_code="A-01", quantity=2, unit_cost="1.00", who=who(), uow=U())
    db.session.remove()
    assert on_hand(item_id, "A-01") == 0


def test_a_bin_deactivated_after_the_screen_read_it_gives_nothing_out(warehouse, make_item, put_stock, who):
    from app.locations.queries import by_code

    item = make_item()
    put_stock(item, "A-01", 5)
    sku, item_id = item.sku, item.id
    db.session.remove()
    shown = by_code(db.session, "A-01")  # the pick screen showed the bin, and the request still holds it
    assert shown.active
    _meanwhile("UPDATE location SET active = :no WHERE code = 'A-01'", no=False)
    with pytest.raises(Conflict, match="A-01 is deactivated"):
        stock.take_out(sku=sku, location_code="A-01", quantity=1, who=who(), uow=U())
    db.session.remove()
    assert on_hand(item_id, "A-01") == 5


def _move_code_meanwhile(code: str, from_sku: str, to_sku: str, pack_qty: int) -> None:
    """A manager moves a case code to another item, in their own request (session), while the scan is under way."""
    from flask import current_app

    with current_app.app_context():
        stock.detach_barcode(sku=from_sku, code=code, uow=U())
        stock.attach_barcode(sku=to_sku, code=code, level="case", pack_qty=pack_qty, uow=U())


def test_a_code_moved_to_another_item_after_the_screen_read_it_picks_the_item_it_names_now(warehouse, make_item,
                                                                                          put_stock, who):
    old, new = make_item(case=12), make_item()
    put_stock(old, "A-01", 50)
    put_stock(new, "A-01", 50)
    code, old_sku, new_sku, old_id, new_id = old.case_ean, old.sku, new.sku, old.id, new.id
    db.session.remove()
    db.session.connection()  # the request has read already (the signed-in person)
    scanned = queries.classify(db.session, code)  # the pick screen classified the scan: 12 of the old item
    assert (scanned.item.sku, scanned.pack_qty) == (old_sku, 12)
    _move_code_meanwhile(code, old_sku, new_sku, 6)
    result = stock.take_out(code=code, location_code="A-01", quantity=1, who=who(), uow=U())
    assert result.sku == new_sku
    db.session.remove()
    assert (on_hand(old_id, "A-01"), on_hand(new_id, "A-01")) == (50, 44)


def test_a_code_moved_to_another_item_after_the_screen_read_it_is_counted_as_the_item_it_names_now(
        warehouse, make_item, put_stock, who):
    from app.stock import counting

    old, new = make_item(case=12), make_item()
    put_stock(new, "A-01", 6)
    code, old_sku, new_sku = old.case_ean, old.sku, new.sku
    number = counting.create_count(location_code="A-01", assigned_to=warehouse.staff_id,
                                   actor_id=warehouse.manager_id, uow=U()).number
    db.session.remove()
    db.session.connection()  # the request has read already (the signed-in person)
    assert queries.classify(db.session, code).item.sku == old_sku  # the count screen classified the scan
    _move_code_meanwhile(code, old_sku, new_sku, 6)
    counting.count_scan(number=number, location_code="A-01", code=code, who=who(), uow=U())
    db.session.remove()
    line = counting.report(db.session, number).lines
    assert [(x.item.sku, x.counted) for x in line] == [(new_sku, 6)]


def test_a_write_after_a_snapshot_read_starts_afresh_and_takes_what_was_committed_since(warehouse, make_item,
                                                                                       put_stock, who):
    """A page that read one snapshot (read_one_snapshot) and then writes: on PostgreSQL the write would otherwise go
    on in the REPEATABLE READ transaction and fail to lock the item another pick changed since."""
    from flask import current_app

    from app.db_setup import read_one_snapshot

    item = make_item()
    put_stock(item, "A-01", 5)
    sku, item_id = item.sku, item.id
    db.session.remove()
    read_one_snapshot(db.session)
    assert on_hand(item_id, "A-01") == 5  # the snapshot is taken
    with current_app.app_context():  # meanwhile someone else picks one
        stock.take_out(sku=sku, location_code="A-01", quantity=1, who=who(), uow=U())
    result = stock.take_out(sku=sku, location_code="A-01", quantity=1, who=who(), uow=U())
    assert result.on_hand_from == "3"
    db.session.remove()
    assert on_hand(item_id, "A-01") == 3


def test_a_purchase_order_closed_after_the_screen_showed_it_takes_no_receipt(warehouse, make_item, who):
    from app.stock import purchasing

    item = make_item()
    number = purchasing.create_po(supplier="Acme", lines=[(item.sku, 10, "1.10")], actor_id=warehouse.manager_id,
                                  uow=U()).number
    sku, item_id = item.sku, item.id
    db.session.remove()
    shown = purchasing.get_po(db.session, number)  # the receive screen shows the order and its lines
    assert shown.status == "open" and shown.lines[0].received_qty == 0
    _meanwhile("UPDATE purchase_order SET status = 'closed' WHERE number = :n", n=number)
    with pytest.raises(Conflict, match="closed"):
        stock.receive(sku=sku, location_code="WH-DOCK", quantity=2, po_number=number, who=who(), uow=U())
    db.session.remove()
    assert on_hand(item_id, "WH-DOCK") == 0
    assert purchasing.get_po(db.session, number).status == "closed"


@pytest.mark.parametrize(("kind", "field", "limit"), [("issue", "reference", 80), ("return", "reference", 80),
                                                      ("return", "reason", 40), ("move", "reference", 80)])
def test_typed_text_longer_than_the_ledger_keeps_is_refused_not_cut(warehouse, make_item, put_stock, who, kind, field,
                                                                    limit):
    """A movement's reference and reason went into the ledger cut to fit (an issue's job number lost its end
    without a word); every kind of movement now refuses them with the limit, and nothing moves."""
    item = make_item()
    put_stock(item, "A-01", 5)
    before = db.session.query(StockMovement).count()
    text_ = {field: "J" * (limit + 1)}
    with pytest.raises(Invalid, match=f"The {field} is at most {limit} characters") as refused:
        if kind == "issue":
            stock.take_out(kind="issue", sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=U(), **text_)
        elif kind == "return":
            stock.return_stock(sku=item.sku, location_code="A-01", quantity=1, who=who(), uow=U(), **text_)
        else:
            stock.relocate(kind="move", sku=item.sku, from_code="A-01", to_code="A-02", quantity=1, who=who(), uow=U(),
                           **text_)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.query(StockMovement).count() == before and queries.verify(db.session) == []
    assert queries.total_on_hand(db.session, item.id) == 5
