"""Maintenance by scan: records, schedules and meter readings, spare parts consumed in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.assets import queries as asset_queries
from app.assets.models import AssetEvent
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.idempotency import AppliedRequest
from app.locations.services import create_location
from app.maintenance import queries, services
from app.maintenance.models import MaintenanceRecord, MaintenanceSchedule, PartUsed
from app.stock import queries as stock_queries
from app.stock.models import StockMovement
from app.stock.services import InsufficientStock
from app.uow import UnitOfWork
from tests.asset_helpers import an_asset, sid


def today():
    return datetime.now(UTC).date()


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def log(tech, tag="LN-0001", **kw):
    kw.setdefault("kind", "preventive")
    return services.log_maintenance(tag=tag, actor_id=tech.id, scan_id=sid(), uow=UnitOfWork(), **kw)


@pytest.fixture
def van(make_user):
    tech = make_user("technician")
    create_location(code="VAN-07", name="Van", kind="van", holder_id=tech.id, uow=UnitOfWork())
    return tech


def test_logging_work_on_an_asset_in_stock_records_a_closed_record_and_an_event(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    result = log(tech, findings="cleaned contacts", labour_minutes=30, cost=Decimal("12.50"), downtime_minutes=45)
    rec = db.session.get(MaintenanceRecord, result.record_id)
    assert rec.state == "closed" and rec.labour_minutes == 30 and rec.cost == Decimal("12.50")
    assert asset_queries.by_tag(db.session, "LN-0001").status == "in_stock"
    assert asset_queries.timeline(db.session, rec.asset_id)[-1].kind == "maintenance_logged"


def test_logging_the_repair_of_an_asset_in_the_workshop_closes_it_and_puts_it_back(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    services.open_maintenance(tag="LN-0001", kind="corrective", findings="noisy fan", actor_id=tech.id,
                              scan_id=sid(), uow=UnitOfWork())
    assert asset_queries.by_tag(db.session, "LN-0001").status == "in_maintenance"
    result = log(tech, kind="corrective", findings="fan replaced")
    assert result.closed_open_record and count(MaintenanceRecord) == 1
    assert asset_queries.by_tag(db.session, "LN-0001").status == "in_stock"
    assert "noisy fan" in db.session.get(MaintenanceRecord, result.record_id).findings


def test_a_unit_set_aside_for_a_reservation_comes_back_from_maintenance_still_set_aside(make_user):
    from app.assets import services as assets
    from app.assets.models import Reservation

    holder, other = make_user("technician"), make_user("technician")
    asset = an_asset("LN-0001")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    res = assets.reserve(tag="LN-0001", holder_id=holder.id, starts_at=start, ends_at=start + timedelta(hours=4),
                         actor_id=holder.id, uow=UnitOfWork())
    assets.fulfil_reservation(reservation_id=res.id, tag="LN-0001", actor_id=holder.id, scan_id=sid(),
                              uow=UnitOfWork())
    services.open_maintenance(tag="LN-0001", kind="inspection", findings=None, actor_id=holder.id, scan_id=sid(),
                              uow=UnitOfWork())
    log(holder, kind="inspection")
    assert asset_queries.by_tag(db.session, "LN-0001").status == "reserved"
    with pytest.raises(assets.ReservedForSomeoneElse, match="set aside for"):
        assets.check_out(tags=["LN-0001"], due_on=today() + timedelta(days=1), borrower_id=other.id,
                         actor_id=other.id, scan_id=sid(), uow=UnitOfWork())
    db.session.rollback()
    assets.check_out(tags=["LN-0001"], due_on=today() + timedelta(days=1), borrower_id=holder.id,
                     actor_id=holder.id, scan_id=sid(), uow=UnitOfWork())
    assert db.session.get(Reservation, res.id).state == "collected"
    assert asset_queries.replayed_status(db.session, asset.id) == "checked_out"


def test_a_second_open_record_for_the_same_asset_is_refused(make_user):
    tech = make_user("technician")
    an_asset("LN-0001")
    services.open_maintenance(tag="LN-0001", kind="corrective", findings="x", actor_id=tech.id, scan_id=sid(),
                              uow=UnitOfWork())
    with pytest.raises(Conflict):
        services.open_maintenance(tag="LN-0001", kind="corrective", findings="y", actor_id=tech.id, scan_id=sid(),
                                  uow=UnitOfWork())


def test_a_schedule_becomes_due_then_logging_it_resets_the_clock(make_user):
    tech = make_user("technician")
    asset = an_asset("LN-0001")
    sched = services.add_schedule(tag="LN-0001", title="Calibration", kind="calibration", every_days=30,
                                  starts_on=today() - timedelta(days=40), uow=UnitOfWork())
    items = queries.due_list(db.session, today=today())
    assert [(i.asset.tag, i.due.state) for i in items] == [("LN-0001", "overdue")]
    log(tech, kind="calibration", schedule_id=sched.id)
    assert queries.due_list(db.session, today=today()) == []
    assert db.session.get(MaintenanceSchedule, sched.id).last_done_on == today()
    assert asset.id == items[0].asset.id


def test_hours_of_use_make_a_schedule_due(make_user):
    tech = make_user("technician")
    an_asset("GEN-01", pool=None)
    services.record_meter(tag="GEN-01", hours=100, actor_id=tech.id, uow=UnitOfWork())
    services.add_schedule(tag="GEN-01", title="Oil change", every_hours=250, uow=UnitOfWork())
    services.record_meter(tag="GEN-01", hours=360, actor_id=tech.id, uow=UnitOfWork())
    [item] = queries.due_list(db.session, today=today())
    assert item.due.state == "overdue" and item.due.due_hours == 350
    with pytest.raises(Invalid, match="cannot go backwards"):
        services.record_meter(tag="GEN-01", hours=300, actor_id=tech.id, uow=UnitOfWork())


def test_parts_are_consumed_from_the_van_in_the_same_transaction(van, make_item, put_stock):
    item = make_item("FILTER-12")
    put_stock(item, "VAN-07", 5, cost="4.00")
    an_asset("LN-0001")
    parts = services.parse_parts("filter-12 2", "VAN-07")
    result = log(van, parts=parts)
    assert result.parts == 1
    used = db.session.scalar(select(PartUsed))
    mv = db.session.get(StockMovement, used.movement_id)
    assert mv.kind == "consumption" and mv.reference == f"maintenance:{result.record_id}"
    assert stock_queries.total_on_hand(db.session, item.id) == 3


def test_more_parts_than_the_van_holds_writes_nothing_at_all(van, make_item, put_stock):
    item = make_item("FILTER-12")
    put_stock(item, "VAN-07", 1)
    an_asset("LN-0001")
    events_before, claims_before = count(AssetEvent), count(AppliedRequest)
    with pytest.raises(InsufficientStock, match="FILTER-12 from VAN-07.*Nothing was recorded"):
        log(van, parts=services.parse_parts("FILTER-12 3", "VAN-07"))
    assert count(MaintenanceRecord) == 0 and count(PartUsed) == 0 and count(AssetEvent) == events_before
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == "consumption")) == 0
    assert count(AppliedRequest) == claims_before
    assert stock_queries.total_on_hand(db.session, item.id) == 1


def test_a_part_line_without_quantity_or_place_is_refused():
    with pytest.raises(Invalid, match="SKU and the quantity"):
        services.parse_parts("FILTER-12", "VAN-07")
    with pytest.raises(Invalid, match="where the part comes from"):
        services.parse_parts("FILTER-12 1", None)


def test_maintenance_of_an_unknown_tag_is_refused(make_user):
    with pytest.raises(NotFound):
        log(make_user("technician"), tag="NOPE-1")
