"""Stock rules without Flask or a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.errors import Invalid
from app.stock.models import StockBalance
from app.stock.rules import (
    InsufficientStock,
    Layer,
    average_after_receipt,
    check_lot,
    expiry_warning,
    gtin_check_digit,
    parse_quantity,
    plan_issue,
    suggested_order_quantity,
    with_check_digit,
)
from app.stock.types import Money, Qty

D = Decimal


def test_picking_more_than_is_available_raises_insufficient_stock():
    bal = StockBalance(on_hand=D(3), allocated=D(0), lot="")
    with pytest.raises(InsufficientStock):
        bal.take(D(5))
    assert bal.on_hand == 3


def test_allocated_stock_is_not_available_except_to_its_own_pick():
    bal = StockBalance(on_hand=D(5), allocated=D(4), lot="")
    with pytest.raises(InsufficientStock):
        bal.take(D(2))
    bal.take(D(3), from_allocation=D(3))
    assert (bal.on_hand, bal.allocated) == (2, 1)


def test_negative_stock_only_when_allowed():
    bal = StockBalance(on_hand=D(1), allocated=D(0), lot="")
    bal.take(D(3), allow_negative=True)
    assert bal.on_hand == -2


@pytest.mark.parametrize(
    ("raw", "uom", "message"),
    [("", "ea", "Enter a quantity"), ("0", "ea", "more than zero"), ("-1", "ea", "negative"),
     ("2.5", "ea", "whole"), ("abc", "ea", "not a number"), ("1e12", "ea", "believable"), ("NaN", "ea", "real number"),
     ("0.0001", "kg", "decimal places")],
)
def test_bad_quantities_are_refused_with_a_specific_message(raw, uom, message):
    with pytest.raises(Invalid, match=message):
        parse_quantity(raw, uom=uom)


def test_measured_items_accept_fractions_and_a_comma():
    assert parse_quantity("2,5", uom="kg") == D("2.5")
    assert parse_quantity(3, uom="ea") == 3


def test_fifo_lifo_and_average_draw_from_their_layers():
    layers = [Layer(1, D(4), D(2)), Layer(2, D(4), D(4))]
    assert plan_issue(layers, D(5), "fifo", D(0))[1] == 12
    assert plan_issue(layers, D(5), "lifo", D(0))[1] == 18
    takes, cost = plan_issue(layers, D(10), "fifo", D(9))
    assert takes[-1].layer_id is None and cost == 8 + 16 + 2 * 9  # what no layer covers is costed at the fallback


def test_the_moving_average_restarts_after_the_shelf_was_empty():
    assert average_after_receipt(D(10), D(2), D(10), D(4)) == 3
    assert average_after_receipt(D(0), D(2), D(5), D(7)) == 7


def test_lots_are_required_for_tracked_items_and_expired_lots_refused():
    today = date(2026, 11, 25)
    assert check_lot("none", False, "X", None, today, incoming=True) == ""
    with pytest.raises(Invalid, match="tracked by lot"):
        check_lot("lot", False, "", None, today, incoming=True)
    with pytest.raises(Invalid, match="expiry"):
        check_lot("lot", True, "L1", None, today, incoming=True)
    with pytest.raises(Invalid, match="expired"):
        check_lot("lot", False, "L1", today - timedelta(days=1), today, incoming=False)


def test_an_expired_lot_passes_only_where_it_is_counted_moved_or_taken_back_and_is_said_to_be_expired():
    today = date(2026, 11, 25)
    yesterday = today - timedelta(days=1)
    assert check_lot("lot", False, "L1", yesterday, today, incoming=False, allow_expired=True) == "L1"
    assert check_lot("lot", False, "L1", yesterday, today, incoming=True, allow_expired=True) == "L1"
    with pytest.raises(Invalid, match="expired on 2026-11-24"):
        check_lot("lot", False, "L1", yesterday, today, incoming=True)
    assert expiry_warning("L1", yesterday, today) == (
        "Lot L1 expired on 2026-11-24: keep it apart, it cannot be picked or issued.")
    assert expiry_warning("L1", today, today) is None and expiry_warning("", yesterday, today) is None


def test_check_digits_match_gs1():
    assert gtin_check_digit("400638133393") == 1
    assert with_check_digit("03600029145") == "036000291452"  # a UPC-A


def test_the_reorder_suggestion_orders_up_to_the_point_plus_lead_time_use():
    args = dict(on_order=D(0), reorder_point=D(10), safety_stock=D(2), daily_usage=D(1), lead_time_days=5)
    assert suggested_order_quantity(on_hand=D(20), available=D(20), **args) == 0
    assert suggested_order_quantity(on_hand=D(8), available=D(8), **args) == 10 + 5 - 8
    assert suggested_order_quantity(on_hand=D(0), available=D(0), **{**args, "reorder_point": D(0),
                                                                     "safety_stock": D(0), "daily_usage": D(0)}) == 1


def test_quantities_and_money_are_stored_exactly_as_scaled_integers():
    assert Qty().process_bind_param(D("1.5"), None) == 1500
    assert Qty().process_result_value(1500, None) == D("1.5")
    assert Money().process_result_value(125000, None) == D("12.5")
    with pytest.raises(ValueError):
        Qty().process_bind_param(D("0.0001"), None)
