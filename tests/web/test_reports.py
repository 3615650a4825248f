"""Reports as tables and CSV: filters, formula-injection safety, impossible dates, roles."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.stock import counting
from app.stock import services as stock
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset


def _csv(resp):
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_every_report_renders_and_exports(manager, make_item, put_stock, who):
    item = make_item()
    put_stock(item, "A-01", 5, cost="2.00")
    an_asset("LN-0001")
    today = date.today().isoformat()
    for name in ("stock-valuation", "movements", "count-variances", "asset-register", "depreciation", "loans"):
        assert manager.get(f"/reports/{name}").status_code == 200, name
        rows = _csv(manager.get(f"/reports/{name}?format=csv&start=2020-01-01&end={today}"))
        assert rows[0], name
    assert manager.get("/reports/").status_code == 200
    assert manager.get("/reports/nope").status_code == 404


def test_movement_history_filters_by_item_location_person_and_dates(manager, make_item, put_stock, who, warehouse):
    a, b = make_item(), make_item()
    put_stock(a, "A-01", 5)
    put_stock(b, "A-02", 5)
    stock.take_out(sku=a.sku, location_code="A-01", quantity=2, who=who(actor_id=warehouse.manager_id),
                   uow=UnitOfWork())
    today = date.today()
    rows = _csv(manager.get(f"/reports/movements?format=csv&item={a.sku}"))
    assert [r[1] for r in rows[1:]] == ["receipt", "pick"]
    rows = _csv(manager.get("/reports/movements?format=csv&location=a-02"))
    assert [r[2] for r in rows[1:]] == [b.sku]
    rows = _csv(manager.get(f"/reports/movements?format=csv&person={warehouse.manager.email}"))
    assert [r[1] for r in rows[1:]] == ["pick"]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert len(_csv(manager.get(f"/reports/movements?format=csv&start={tomorrow}"))) == 1  # header only
    html = manager.get(f"/reports/movements?item={a.sku}").get_data(as_text=True)
    assert "Download CSV" in html and a.sku in html


def test_csv_neutralises_formulas(manager, make_item, put_stock, who):
    item = make_item(name="=HYPERLINK(\"http://x\")")
    put_stock(item, "A-01", 1)
    stock.take_out(kind="issue", sku=item.sku, location_code="A-01", quantity=1, reference="@job-7", who=who(),
                   uow=UnitOfWork())
    rows = _csv(manager.get("/reports/movements?format=csv"))
    assert rows[2][9] == "'@job-7"
    an_asset("LN-0001")
    text = manager.get("/reports/movements?format=csv").get_data(as_text=True)
    assert "\n=" not in text and ",=" not in text


@pytest.mark.parametrize("query", ["start=2025-02-01&end=2025-01-01", "start=2025-13-45", "end=yesterday"])
def test_impossible_dates_are_a_clear_422(manager, query):
    for fmt in ("", "&format=csv"):
        resp = manager.get(f"/reports/movements?{query}{fmt}")
        assert resp.status_code == 422
        assert "date" in resp.get_data(as_text=True)
    resp = manager.hx_get(f"/reports/journal?{query}")
    assert resp.status_code == 422 and "<html" not in resp.get_data(as_text=True)


def test_journal_needs_a_period_and_balances(manager, make_item, put_stock, who, warehouse):
    assert "Choose the period" in manager.get("/reports/journal").get_data(as_text=True)
    assert manager.get("/reports/journal?format=csv").status_code == 422
    item = make_item()
    put_stock(item, "A-01", 10, cost="3.00")
    stock.take_out(sku=item.sku, location_code="A-01", quantity=2, who=who(), uow=UnitOfWork())
    counting.count_now(sku=item.sku, location_code="A-01", counted=7, who=who(actor_id=warehouse.manager_id),
                       uow=UnitOfWork())
    an_asset("LN-0001", purchase_date=date(2024, 1, 1), cost="1200.00", salvage="0.00", life=12)
    rows = _csv(manager.get(f"/reports/journal?format=csv&start=2024-01-01&end={date.today().isoformat()}"))
    lines = rows[1:]
    debit = sum(float(r[2] or 0) for r in lines)
    credit = sum(float(r[3] or 0) for r in lines)
    assert debit == credit
    by_account = {(r[1], Decimal(r[2] or r[3])) for r in lines}
    assert ("5000 Cost of goods sold", Decimal(6)) in by_account  # 2 × 3.00
    assert ("5200 Inventory adjustments", Decimal(3)) in by_account  # 1 lost × 3.00
    assert any(r[1] == "6100 Depreciation expense" and float(r[2]) == 1200 for r in lines)


@pytest.mark.parametrize("role", ["staff", "technician"])
def test_reports_are_for_managers(login, role):
    c = login(role)
    assert c.get("/reports/").status_code == 403
    assert c.get("/reports/movements?format=csv").status_code == 403
