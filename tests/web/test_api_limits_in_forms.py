"""The limits the API's audit put on amounts of money and on reservation windows live in the shared helpers and
rules (assets.services.parse_money, assets.rules.check_window), so the web forms get the same clear 422 — where a
huge cost or a booking in year 9999 was a 500 or was accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.assets.models import Asset, Reservation
from app.extensions import db
from app.maintenance.models import MaintenanceRecord
from tests.asset_helpers import a_model, an_asset, sid


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("field, value, says", [
    ("cost", "9" * 27, "more than an amount can be"),   # 27 digits overflowed the rounding (decimal.InvalidOperation)
    ("cost", "1e30", "more than an amount can be"),
    ("salvage_value", "1e30", "more than an amount can be"),
    ("cost", "10000000000", "more than an amount can be"),
    ("cost", "NaN", "is not an amount of money"),
    ("cost", "Infinity", "is not an amount of money"),
])
def test_registering_an_asset_with_an_absurd_amount_is_a_422_naming_it(login, field, value, says):
    c = login("manager")
    m = a_model()
    form = {"tag": "LN-0500", "model_id": m.id, "cost": "1500", "useful_life_months": "36", "salvage_value": "0",
            "depreciation_method": "straight_line", "status": "in_stock", field: value}
    resp = c.post("/assets/new", data=form)
    assert resp.status_code == 422 and says in resp.get_data(as_text=True)
    assert _count(Asset) == 0
    ok = c.post("/assets/new", data={**form, "cost": "9999999999.99", "salvage_value": "0"})
    assert ok.status_code == 303


def test_logging_maintenance_with_a_cost_of_27_digits_is_a_422_not_a_500(login):
    c = login("technician")
    an_asset("LN-0501")
    resp = c.post("/maintenance/log", data={"scan_id": sid(), "tag": "LN-0501", "kind": "inspection",
                                            "cost": "9" * 27}, htmx=True)
    assert resp.status_code == 422 and "more than an amount can be" in resp.get_data(as_text=True)
    assert _count(MaintenanceRecord) == 0


@pytest.mark.parametrize("starts_at, ends_at, says", [
    ("2030-02-01T09:00", "9999-12-31T23:59", "more than five years from now"),
    ("0001-01-01T00:00", "2030-02-01T09:00", "more than five years ago"),
    ("0001-01-01T00:00:00+14:00", "2030-02-01T09:00", "not a date and time within the calendar"),
    ("2030-02-01T09:00", "9999-12-31T23:59:59-14:00", "not a date and time within the calendar"),
])
def test_the_reservation_form_refuses_a_window_beyond_five_years(login, starts_at, ends_at, says):
    c = login("technician")
    an_asset("LN-0502")
    resp = c.post("/assets/reservations", data={"scan_id": sid(), "tag": "LN-0502", "starts_at": starts_at,
                                                "ends_at": ends_at}, htmx=True)
    assert resp.status_code == 422 and says in resp.get_data(as_text=True)
    assert _count(Reservation) == 0
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    later = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    ok = c.post("/assets/reservations", data={"scan_id": sid(), "tag": "LN-0502", "starts_at": soon,
                                              "ends_at": later}, htmx=True)
    assert ok.status_code == 200 and _count(Reservation) == 1


@pytest.mark.parametrize("field, value", [("model_id", str(10**30)), ("useful_life_months", str(2**31))])
def test_a_number_beyond_an_integer_column_in_a_form_is_a_422_naming_it(login, field, value):
    c = login("manager")
    m = a_model()
    form = {"tag": "LN-0503", "model_id": m.id, "cost": "1500", "useful_life_months": "36",
            "depreciation_method": "straight_line", "status": "in_stock", field: value}
    resp = c.post("/assets/new", data=form)
    assert resp.status_code == 422 and "The number must be at most 2,147,483,647" in resp.get_data(as_text=True)
    assert _count(Asset) == 0


def test_a_useful_life_beyond_a_hundred_years_is_refused_so_the_assets_page_stays_quick(login):
    # Two billion months fitted the column, and the asset's page then computed its schedule for ever.
    c = login("manager")
    m = a_model()
    form = {"tag": "LN-0504", "model_id": m.id, "cost": "1500", "useful_life_months": "1201",
            "depreciation_method": "straight_line", "status": "in_stock", "purchase_date": "2024-01-01"}
    resp = c.post("/assets/new", data=form)
    assert resp.status_code == 422 and "at most 1200 months" in resp.get_data(as_text=True)
    assert _count(Asset) == 0
    assert c.post("/assets/new", data={**form, "useful_life_months": "1200"}).status_code == 303
    assert c.get("/assets/LN-0504").status_code == 200
