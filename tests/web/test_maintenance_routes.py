"""Maintenance routes: log by scan (htmx and plain), parts refused clearly, due assets shown when scanned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.locations.services import create_location
from app.maintenance import services
from app.maintenance.models import MaintenanceRecord
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset, sid


def test_logging_maintenance_by_htmx_announces_maintenance_logged(login):
    c = login("technician")
    an_asset("LN-0001")
    resp = c.post("/maintenance/log", data={"scan_id": sid(), "tag": "ln-0001", "kind": "inspection",
                                            "findings": "ok", "labour_minutes": "15"}, htmx=True)
    assert resp.status_code == 200
    assert "maintenance-logged" in json.loads(resp.headers["HX-Trigger"])
    assert resp.get_data(as_text=True).lstrip().startswith('<section id="maintenance-log-panel"')


def test_parts_beyond_what_the_van_holds_get_409_and_nothing_is_written(login, make_item, put_stock):
    c = login("technician")
    create_location(code="VAN-07", name="Van", kind="van", holder_id=c.user.id, uow=UnitOfWork())
    put_stock(make_item("FUSE-5"), "VAN-07", 1)
    an_asset("LN-0001")
    resp = c.post("/maintenance/log", data={"scan_id": sid(), "tag": "LN-0001", "kind": "corrective",
                                            "parts": "FUSE-5 4"}, htmx=True)
    assert resp.status_code == 409
    assert "Spare part FUSE-5 from VAN-07" in json.loads(resp.headers["HX-Trigger"])["scan-failed"]["message"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MaintenanceRecord)) == 0


def test_the_log_form_offers_the_technicians_van_as_the_parts_source(login):
    c = login("technician")
    create_location(code="VAN-07", name="Van", kind="van", holder_id=c.user.id, uow=UnitOfWork())
    assert 'value="VAN-07"' in c.get("/maintenance/log").get_data(as_text=True)


def test_scanning_an_asset_that_is_due_shows_the_maintenance_due(login):
    c = login("technician")
    an_asset("LN-0001")
    services.add_schedule(tag="LN-0001", title="Safety test", every_days=90,
                          starts_on=datetime.now(UTC).date() - timedelta(days=100), uow=UnitOfWork())
    html = c.hx_get("/scan/resolve?code=LN-0001").get_data(as_text=True)
    assert "Maintenance overdue" in html and "Safety test" in html and "Log maintenance" in html
    assert "Safety test" in c.get("/maintenance/").get_data(as_text=True)


def test_the_log_form_preselects_the_schedule_that_is_due(login):
    c = login("technician")
    an_asset("LN-0001")
    sched = services.add_schedule(tag="LN-0001", title="Safety test", every_days=30,
                                  starts_on=datetime.now(UTC).date() - timedelta(days=40), uow=UnitOfWork())
    html = c.get("/maintenance/log?tag=LN-0001").get_data(as_text=True)
    assert f'<option value="{sched.id}" selected>Safety test (overdue)</option>' in html
