"""The services refuse values that look valid one by one but cannot be stored or compared — so the phone's forms,
the CSV import and the API all get the same clear 422 instead of a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.assets import services as assets
from app.errors import Invalid
from app.extensions import db
from app.stock import counting
from app.stock import services as stock
from app.stock.models import Item, StockMovement
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset, sid


def test_a_loan_due_more_than_five_years_ahead_is_refused(make_user):
    an_asset("LN-0400")
    tech = make_user("technician")
    with pytest.raises(Invalid, match="more than five years away") as err:
        assets.check_out(tags=["LN-0400"], due_on=date(9999, 12, 31), borrower_id=tech.id, actor_id=tech.id,
                         scan_id=sid(), uow=UnitOfWork())
    assert err.value.field == "due_on"
    out = assets.check_out(tags=["LN-0400"], due_on=date.today() + timedelta(days=30), borrower_id=tech.id,
                           actor_id=tech.id, scan_id=sid(), uow=UnitOfWork())
    assert out.tags == ["LN-0400"]


def test_a_reservation_with_a_time_without_its_zone_is_refused(make_user):
    an_asset("LN-0401")
    tech = make_user("technician")
    with pytest.raises(Invalid, match="time zone") as err:
        assets.reserve(tag="LN-0401", starts_at=datetime(2030, 2, 1, 12), ends_at=datetime(2030, 2, 2, 12),
                       holder_id=tech.id, actor_id=tech.id, uow=UnitOfWork())
    assert err.value.field == "starts_at"


def test_a_receipt_worth_more_than_one_movement_may_be_is_refused_and_writes_nothing(make_item, who):
    make_item("BIG-2")
    with pytest.raises(Invalid, match="more than one movement can be worth") as err:
        stock.receive(sku="BIG-2", location_code="A-01", quantity="1000000000", unit_cost="1000000000", who=who(),
                      uow=UnitOfWork())
    assert err.value.field == "quantity"
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_a_count_finding_stock_worth_more_than_an_item_may_hold_is_refused(make_item, put_stock, who):
    put_stock(make_item("BIG-3"), "A-01", 1, cost="900000")  # later finds are valued at this cost
    with pytest.raises(Invalid, match="more than one"):
        counting.count_now(sku="BIG-3", location_code="A-01", counted="1000000000", who=who(), uow=UnitOfWork())
    item = db.session.scalar(select(Item).where(Item.sku == "BIG-3"))
    assert item.on_hand_total == 1 and item.stock_value == Decimal(900000)


@pytest.mark.parametrize("raw, says", [
    ("9" * 27, "more than an amount can be"),    # decimal.InvalidOperation in the rounding: a 500 before
    ("1e30", "more than an amount can be"),
    ("10000000000.00", "more than an amount can be"),
    ("NaN", "not an amount of money"),
    ("-Infinity", "not an amount of money"),
    ("sNaN", "not an amount of money"),
])
def test_an_amount_no_money_column_holds_is_refused_by_the_shared_parser(raw, says):
    with pytest.raises(Invalid, match=says) as err:
        assets.parse_money(raw, "cost")
    assert err.value.field == "cost"
    assert assets.parse_money("9,999,999,999.99", "cost") == Decimal("9999999999.99")


def test_a_csv_of_assets_with_huge_amounts_lists_them_in_the_dry_run_and_writes_nothing(warehouse):
    from app.assets.models import Asset
    from app.csvio.kinds import KINDS
    from app.csvio.services import run_import

    text = ("tag,manufacturer,model,category,cost,salvage_value,useful_life_months\n"
            f"LN-0410,Fluke,87V,Test equipment,{'9' * 27},0,60\n"
            "LN-0411,Fluke,87V,Test equipment,1200,1e30,60\n"
            "LN-0412,Fluke,87V,Test equipment,NaN,0,60\n"
            "LN-0413,Fluke,87V,Test equipment,1200,200,60\n")
    report = run_import(KINDS["assets"], text.encode(), actor_id=None, dry_run=True, uow=UnitOfWork())
    db.session.rollback()
    assert [(p.line, p.column) for p in report.problems] == [(2, "cost"), (3, "salvage_value"), (4, "cost")]
    assert "more than an amount can be" in report.problems[0].message
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_a_reservation_window_beyond_five_years_is_refused_by_the_rule_every_form_uses(make_user):
    an_asset("LN-0402")
    tech = make_user("technician")
    now = datetime.now(UTC)
    with pytest.raises(Invalid, match="more than five years from now") as err:
        assets.reserve(tag="LN-0402", starts_at=now + timedelta(days=1), ends_at=datetime(9999, 12, 31, tzinfo=UTC),
                       holder_id=tech.id, actor_id=tech.id, uow=UnitOfWork())
    assert err.value.field == "ends_at"
    with pytest.raises(Invalid, match="more than five years ago") as err:
        assets.reserve(tag="LN-0402", starts_at=datetime(1, 1, 1, tzinfo=UTC), ends_at=now + timedelta(days=1),
                       holder_id=tech.id, actor_id=tech.id, uow=UnitOfWork())
    assert err.value.field == "starts_at"
    made = assets.reserve(tag="LN-0402", starts_at=now + timedelta(days=4 * 365),
                          ends_at=now + timedelta(days=4 * 365 + 2), holder_id=tech.id, actor_id=tech.id,
                          uow=UnitOfWork())
    assert made.state == "booked"
